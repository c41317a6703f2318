package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// activityPageSize is how many events one page of the log shows.
const activityPageSize = 50

// activityData is the Activity page: the audit log, newest first.
type activityData struct {
	web.Page
	Base   string
	Groups []eventGroup
	// Type is the chosen group's key, Person what the person field says
	// (an address, or the filtered person's).
	Type     string
	Person   string
	Filtered bool
	Rows     []activityRow
	// NextURL pages to older events; FirstURL back to the newest.
	NextURL  string
	FirstURL string
	// PersonError is said next to the person field.
	PersonError string
}

// activityRow is one event in words: the sentence is Who, then Rest.
type activityRow struct {
	When   time.Time
	Who    string
	WhoURL string
	Rest   string
	Door   string
}

// activity is the workspace's audit log: who did what, from which door,
// filterable by kind of event and by person, paged with the feed's
// cursor. Reading it needs members.read, as the admin API's feed does.
func (h *Handler) activity(w http.ResponseWriter, r *http.Request) {
	v := h.open(w, r)
	if v == nil {
		return
	}
	if !v.access.Can(directory.PermMembersRead) {
		h.deny(w, r, v, "read the activity")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	d := &activityData{Page: h.frame(r, v, "Activity", navActivity), Base: base, Groups: eventGroups, Type: q.Get("type"),
		Person: strings.TrimSpace(q.Get("person"))}
	f := directory.ActivityFilter{Before: q.Get("before"), Limit: activityPageSize}
	if g, ok := groupByKey(d.Type); ok {
		f.Types = g.Types
	} else {
		d.Type = ""
	}
	status := http.StatusOK
	// The person field takes an address (typed) or a membership id (a
	// name followed from a row).
	if d.Person != "" {
		d.Filtered = true
		if strings.Contains(d.Person, "@") {
			found, err := h.dir.ListMembers(ctx, v.actor, v.slug, directory.MemberFilter{Query: d.Person, Limit: 20})
			if err != nil {
				h.fail(w, r, v.s, err)
				return
			}
			for _, m := range found.Members {
				if strings.EqualFold(m.Email, d.Person) {
					f.Person = m.ID
				}
			}
			if f.Person == "" {
				d.PersonError = "Nobody in " + v.access.WorkspaceName + " has the address " + d.Person + ". Type a member's full email address."
				status = http.StatusBadRequest
			}
		} else {
			f.Person = d.Person
		}
	}
	if d.Type != "" {
		d.Filtered = true
	}
	var page directory.ActivityPage
	if d.PersonError == "" {
		var err error
		page, err = h.dir.Activity(ctx, v.actor, v.slug, f)
		switch {
		case errors.Is(err, directory.ErrNotFound) && f.Person != "":
			d.PersonError = "That person is not a member of " + v.access.WorkspaceName + ". Type a member's full email address."
			status = http.StatusBadRequest
		case errors.Is(err, directory.ErrInvalid):
			// A cursor mangled in the address bar: start again from the
			// newest events rather than fail.
			f.Before = ""
			page, err = h.dir.Activity(ctx, v.actor, v.slug, f)
		}
		if err != nil && d.PersonError == "" {
			h.fail(w, r, v.s, err)
			return
		}
	}
	if page.Person != nil {
		d.Person = page.Person.Email
	}
	words, err := h.wording(r, v, page)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	for _, ev := range page.Events {
		who, member, rest := words.sentence(ev)
		row := activityRow{When: ev.CreatedAt, Who: who, Rest: rest, Door: doorWords(ev.Source)}
		if member != "" {
			row.WhoURL = activityURL(base, d.Type, member, "")
		}
		d.Rows = append(d.Rows, row)
	}
	if page.NextCursor != "" {
		d.NextURL = activityURL(base, d.Type, q.Get("person"), page.NextCursor)
	}
	if f.Before != "" {
		d.FirstURL = activityURL(base, d.Type, q.Get("person"), "")
	}
	h.render(w, r, status, "activity", d)
}

// activityURL is the Activity page with a filter and a cursor.
func activityURL(base, typ, person, before string) string {
	q := url.Values{}
	if typ != "" {
		q.Set("type", typ)
	}
	if person != "" {
		q.Set("person", person)
	}
	if before != "" {
		q.Set("before", before)
	}
	if len(q) == 0 {
		return base + "/activity"
	}
	return base + "/activity?" + q.Encode()
}

// wording loads the names the sentences of page use: roles and teams of
// the workspace, and the people the directory named.
func (h *Handler) wording(r *http.Request, v *view, page directory.ActivityPage) (*wording, error) {
	w := &wording{workspace: v.access.WorkspaceName, people: page.People, members: map[string]directory.ActivityPerson{},
		roles: map[string]string{}, teams: map[string]string{}}
	for _, p := range page.People {
		w.members[p.MembershipID] = p
	}
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	for _, x := range roles {
		w.roles[x.Key] = x.Name
	}
	teams, err := h.dir.ListTeams(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		w.teams[t.ID] = t.Name
	}
	return w, nil
}
