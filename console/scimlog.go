package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
	"github.com/rosterhq/roster/web/scimwords"
)

// logPageSize is how many requests one page of the log shows.
const logPageSize = 50

// scimLogData is the request log page.
type scimLogData struct {
	web.Page
	Base       string
	Rows       []logRow
	Outcome    string
	Operation  string
	Operations []choice
	Filtered   bool
	NextURL    string
	FirstURL   string
}

// logRow is a request in words.
type logRow struct {
	Time      string
	Operation string
	OK        bool
	Status    int
	Summary   string
}

// scimLog lists the directory's requests, newest first, narrowed by
// outcome and operation.
func (h *Handler) scimLog(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	q := r.URL.Query()
	d := &scimLogData{Page: h.frame(r, v, "SCIM request log", navSCIM), Base: h.scimBase(v), Outcome: q.Get("outcome"), Operation: q.Get("operation")}
	for _, op := range directory.SCIMOperations {
		label, _ := scimwords.Operation(op)
		d.Operations = append(d.Operations, choice{op, label})
	}
	if _, ok := scimwords.Operation(d.Operation); !ok {
		d.Operation = ""
	}
	if d.Outcome != directory.SCIMRequestsSucceeded && d.Outcome != directory.SCIMRequestsFailed {
		d.Outcome = ""
	}
	d.Filtered = d.Outcome != "" || d.Operation != ""
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	list, err := h.dir.FilterSCIMRequests(r.Context(), v.actor, v.slug, directory.SCIMRequestFilter{Before: max(before, 0), Limit: logPageSize + 1, Outcome: d.Outcome, Operation: d.Operation})
	if errors.Is(err, directory.ErrNotFound) {
		h.kit.Redirect(w, r, h.scimBase(v), "Set up SCIM provisioning first; its requests are logged from then on.")
		return
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	roles := h.logRoleNames(r, v)
	keep := url.Values{}
	if d.Outcome != "" {
		keep.Set("outcome", d.Outcome)
	}
	if d.Operation != "" {
		keep.Set("operation", d.Operation)
	}
	if len(list) > logPageSize {
		list = list[:logPageSize]
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(list[len(list)-1].ID, 10))
		d.NextURL = d.Base + "/log?" + next.Encode()
	}
	if before > 0 {
		d.FirstURL = d.Base + "/log"
		if len(keep) > 0 {
			d.FirstURL += "?" + keep.Encode()
		}
	}
	for _, e := range list {
		op, _ := scimwords.Operation(e.Operation())
		d.Rows = append(d.Rows, logRow{Time: e.CreatedAt.UTC().Format("2 Jan 2006 15:04:05"), Operation: op,
			OK: e.Succeeded(), Status: e.Status, Summary: scimwords.Summary(e, roles)})
	}
	h.render(w, r, http.StatusOK, "scimlog", d)
}

// logRoleNames maps role keys to their names, for the log's sentences.
func (h *Handler) logRoleNames(r *http.Request, v *view) map[string]string {
	out := map[string]string{}
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		h.log.Warn("role names for the request log", "err", err)
	}
	for _, x := range roles {
		out[x.Key] = x.Name
	}
	return out
}
