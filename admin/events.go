package admin

import (
	"net/http"
)

func (a *API) eventRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/events", params: []string{"after", "limit"}, handle: a.feed},
		// The same feed for an API key's own workspace, so the product's
		// backend needs no workspace in its URL.
		{method: "GET", path: "/events", access: keyAccess, params: []string{"after", "limit"}, handle: a.feed},
	}
}

// feed is the ordered event feed: resumable from any cursor, with no gaps
// or duplicates (see directory.Feed).
func (a *API) feed(c *call) (int, any, error) {
	limit, err := c.queryInt("limit", 100, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	page, err := a.d.Feed(c.r.Context(), c.actor, c.ws, c.r.URL.Query().Get("after"), limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, EventPageOf(page), nil
}
