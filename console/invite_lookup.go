package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// inviteName is an address of the second step of the Invite page with
// the name it will get.
type inviteName struct {
	Email string
	Name  string
	Error string
}

// invitees is the second step's list as submitted.
type invitees struct {
	list []directory.Invitee
	rows []inviteName
}

// namedInvitees reads the second step's addresses and names (pairs of
// invitee_email and invitee_name); false when the form has none.
func namedInvitees(r *http.Request) (invitees, bool) {
	emails, names := r.PostForm["invitee_email"], r.PostForm["invitee_name"]
	if len(emails) == 0 {
		return invitees{}, false
	}
	var out invitees
	for i, e := range emails {
		n := ""
		if i < len(names) {
			n = strings.TrimSpace(names[i])
		}
		out.list = append(out.list, directory.Invitee{Email: e, Name: n})
		out.rows = append(out.rows, inviteName{Email: e, Name: n})
	}
	return out, true
}

// lookupResult is what the Invite page says about a person looked up.
type lookupResult struct {
	Query string
	// Kind is "new", "external" or "here".
	Kind   string
	Status string
	// MemberURL opens their member page, when they are here and the
	// viewer may read members.
	MemberURL string
	Error     string
}

// lookUp asks directory who a person is before inviting them. It
// answers nil when it has already rendered an error page.
func (h *Handler) lookUp(w http.ResponseWriter, r *http.Request, v *view, base, q string) *lookupResult {
	res := &lookupResult{Query: q}
	l, err := h.dir.LookupPerson(r.Context(), v.actor, v.slug, q)
	switch {
	case errors.Is(err, directory.ErrInvalid):
		res.Error = "Enter an email address or a phone number with at least six digits."
		if strings.Contains(q, "@") {
			res.Error = "This is not an email address. Check it for typos."
		}
		return res
	case err != nil:
		h.fail(w, r, v.s, err)
		return nil
	}
	switch {
	case l.Status != "":
		res.Kind, res.Status = "here", strings.ToLower(statusLabel(l.Status))
		if v.access.Can(directory.PermMembersRead) && l.MembershipID != "" {
			res.MemberURL = base + "/members/" + url.PathEscape(l.MembershipID)
		}
		return res
	case l.JoinsAs == directory.KindExternal:
		res.Kind = "external"
	default:
		res.Kind = "new"
	}
	return res
}

// lookupData is the look-up page of people whose role may look people
// up (members.invite, as the admin API's look-up) but whom the owners
// have not let invite.
type lookupData struct {
	web.Page
	Base       string
	Lookup     *lookupResult
	LookupOnly bool
}

// lookupPage looks a person up; people who may invite do it on the
// Invite page, which offers to invite them.
func (h *Handler) lookupPage(w http.ResponseWriter, r *http.Request) {
	v := h.open(w, r)
	if v == nil {
		return
	}
	if !v.access.Can(directory.PermMembersInvite) {
		h.deny(w, r, v, "look people up")
		return
	}
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	q := strings.TrimSpace(r.URL.Query().Get("lookup"))
	if v.access.Invite {
		http.Redirect(w, r, base+"/members/invite?"+url.Values{"lookup": {q}}.Encode(), http.StatusSeeOther)
		return
	}
	d := &lookupData{Page: h.frame(r, v, "Look a person up", navLookup), Base: base, LookupOnly: true}
	if q != "" {
		if d.Lookup = h.lookUp(w, r, v, base, q); d.Lookup == nil {
			return
		}
	}
	h.render(w, r, http.StatusOK, "lookup", d)
}
