package admin

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/directory"
)

func (a *API) setupLinkRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/setup-links", handle: a.listSetupLinks},
		{method: "POST", path: "/workspaces/{ws}/setup-links", handle: a.createSetupLink},
		{method: "GET", path: "/workspaces/{ws}/setup-links/{id}", handle: a.getSetupLink},
		{method: "POST", path: "/workspaces/{ws}/setup-links/{id}/revoke", handle: a.revokeSetupLink},
	}
}

// setupLinkBody creates a setup link; expires_in_hours defaults to 24.
type setupLinkBody struct {
	Purpose        *string  `json:"purpose"`
	Description    *string  `json:"description"`
	ExpiresInHours *float64 `json:"expires_in_hours"`
}

func (b *setupLinkBody) check() error {
	var req required
	req.check(b.Purpose != nil && (*b.Purpose == directory.SetupSCIM || *b.Purpose == directory.SetupSSO || *b.Purpose == directory.SetupDomain),
		"purpose", "is required: scim, sso or domain")
	req.check(b.Description == nil || len(*b.Description) <= 500, "description", "must be at most 500 characters")
	req.check(b.ExpiresInHours == nil || (*b.ExpiresInHours > 0 && *b.ExpiresInHours <= 720), "expires_in_hours", "must be more than 0 and at most 720 (30 days)")
	return req.err()
}

func (a *API) listSetupLinks(c *call) (int, any, error) {
	links, err := a.d.ListSetupLinks(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now()
	out := SetupLinkList{SetupLinks: []SetupLink{}}
	for _, l := range links {
		out.SetupLinks = append(out.SetupLinks, SetupLinkOf(l, now))
	}
	return http.StatusOK, out, nil
}

func (a *API) createSetupLink(c *call) (int, any, error) {
	var b setupLinkBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := b.check(); err != nil {
		return 0, nil, err
	}
	req := directory.SetupLinkRequest{Purpose: *b.Purpose, Description: deref(b.Description)}
	if b.ExpiresInHours != nil {
		req.ExpiresIn = time.Duration(*b.ExpiresInHours * float64(time.Hour))
	}
	link, _, url, err := a.d.CreateSetupLink(c.r.Context(), c.actor, c.ws, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, SetupLinkCreated{SetupLink: SetupLinkOf(link, time.Now()), URL: url}, nil
}

func (a *API) getSetupLink(c *call) (int, any, error) {
	link, err := a.d.GetSetupLink(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, SetupLinkOf(link, time.Now()), nil
}

func (a *API) revokeSetupLink(c *call) (int, any, error) {
	link, err := a.d.RevokeSetupLink(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, SetupLinkOf(link, time.Now()), nil
}

// SetupLink is a setup link on the wire (never its token).
type SetupLink struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Purpose     string     `json:"purpose"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Provider    string     `json:"provider,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	// OIDCConnectionID is the connection an SSO link made.
	OIDCConnectionID string `json:"oidc_connection_id,omitempty"`
}

// SetupLinkOf is l on the wire, its status at now.
func SetupLinkOf(l directory.SetupLink, now time.Time) SetupLink {
	return SetupLink{ID: l.ID, WorkspaceID: l.WorkspaceID, Purpose: l.Purpose, Description: l.Description, Status: l.Status(now), Provider: l.Provider,
		CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt, CompletedAt: l.CompletedAt, Summary: l.Summary,
		OIDCConnectionID: l.OIDCConnectionID}
}

// SetupLinkList is the answer of GET /setup-links.
type SetupLinkList struct {
	SetupLinks []SetupLink `json:"setup_links"`
}

// SetupLinkCreated is a new setup link with the URL to hand over, shown
// once.
type SetupLinkCreated struct {
	SetupLink SetupLink `json:"setup_link"`
	URL       string    `json:"url"`
}
