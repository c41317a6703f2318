package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// membersPageSize is how many members one page lists.
const membersPageSize = 50

// membersData is the Members page.
type membersData struct {
	web.Page
	Base      string
	Filter    directory.MemberFilter
	Filtered  bool
	Rows      []memberRow
	Roles     []directory.Role
	Teams     []directory.Team
	CanInvite bool
	// Alone: the viewer is the only member so far.
	Alone    bool
	NextURL  string
	FirstURL string
}

// memberRow is a row of the Members page.
type memberRow struct {
	directory.MemberRow
	StatusLabel string
	StatusClass string
}

// members lists the workspace's members and pending invitations.
func (h *Handler) members(w http.ResponseWriter, r *http.Request) {
	v := h.open(w, r)
	if v == nil {
		return
	}
	if !v.access.Can(directory.PermMembersRead) {
		h.deny(w, r, v, "see the member list")
		return
	}
	q := r.URL.Query()
	f := directory.MemberFilter{Status: q.Get("status"), Role: q.Get("role"), Team: q.Get("team"), Kind: q.Get("kind"),
		Query: strings.TrimSpace(q.Get("q")), Cursor: q.Get("after"), Limit: membersPageSize}
	d := &membersData{Page: h.frame(r, v, "Members", navMembers), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug), Filter: f,
		CanInvite: v.access.Invite, Filtered: f.Status != "" || f.Role != "" || f.Team != "" || f.Kind != "" || f.Query != ""}
	page, err := h.dir.MembersPage(r.Context(), v.actor, v.slug, f)
	if errors.Is(err, directory.ErrInvalid) {
		// A hand-edited filter or cursor: say so, and show the first page.
		d.Error = "These filters are not valid: " + sentence(err) + " Showing everyone instead."
		d.Filter, d.Filtered = directory.MemberFilter{}, false
		page, err = h.dir.MembersPage(r.Context(), v.actor, v.slug, directory.MemberFilter{Limit: membersPageSize})
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	if d.Roles, err = h.dir.ListRoles(r.Context(), v.actor, v.slug); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	if d.Teams, err = h.dir.ListTeams(r.Context(), v.actor, v.slug); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	now := time.Now()
	for _, m := range page.Rows {
		row := memberRow{MemberRow: m, StatusLabel: statusLabel(m.Status), StatusClass: m.Status}
		if m.Invitation != nil && !now.Before(m.Invitation.ExpiresAt) {
			row.StatusLabel, row.StatusClass = "Invitation expired", "expired"
		}
		d.Rows = append(d.Rows, row)
	}
	d.Alone = !d.Filtered && f.Cursor == "" && len(d.Rows) == 1 && d.Rows[0].UserID == v.s.UserID
	keep := url.Values{}
	for _, k := range []string{"status", "role", "team", "kind", "q"} {
		if v := q.Get(k); v != "" && d.Filtered {
			keep.Set(k, v)
		}
	}
	if page.NextCursor != "" {
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("after", page.NextCursor)
		d.NextURL = d.Base + "/members?" + next.Encode()
	}
	if f.Cursor != "" {
		d.FirstURL = d.Base + "/members"
		if len(keep) > 0 {
			d.FirstURL += "?" + keep.Encode()
		}
	}
	h.render(w, r, http.StatusOK, "members", d)
}

// inviteData is the Invite page.
type inviteData struct {
	web.Page
	Base  string
	Form  *web.Form
	Roles []directory.Role
	Teams []directory.Team
	Seats string
	Owner bool
	// MainAdmin is the workspace's main admin now, whom inviting a new
	// main admin replaces (owners only).
	MainAdmin *directory.Member
	// Names is the second step: each address with the name it will get,
	// editable.
	Names []inviteName
	// Lookup is the answer of the look-up form; LookupOnly is false here
	// (the form stays on this page).
	Lookup     *lookupResult
	LookupOnly bool
	// Words says each outcome status of FlashItems for people.
	Words map[string]outcome
}

// outcome is an invitation outcome in words.
type outcome struct {
	Label string
	Text  string
}

var outcomeStatuses = []string{"invited", "external", "resent", "already_member", "duplicate", "invalid_address", "seat_limit", "not_permitted"}

func outcomeTable() map[string]outcome {
	out := map[string]outcome{}
	for _, s := range outcomeStatuses {
		l, t := outcomeWords(s)
		out[s] = outcome{Label: l, Text: t}
	}
	return out
}

// outcomeWords says an invitation outcome for people.
func outcomeWords(status string) (label, text string) {
	switch directory.OutcomeStatus(status) {
	case directory.OutcomeInvited:
		return "Invited", "An invitation is on its way."
	case directory.OutcomeResent:
		return "Resent", "They were already invited; the invitation was sent again with a new link."
	case directory.OutcomeAlreadyMember:
		return "Already a member", "Nothing to do: they are already in the workspace."
	case directory.OutcomeInvalidAddress:
		return "Invalid", "This is not an email address. Check it for typos."
	case directory.OutcomeSeatLimit:
		return "Seat limit", "No seat left. Free a seat or raise the limit, then invite them again."
	case directory.OutcomeNotPermitted:
		return "Not allowed", "Your role may not invite this person."
	case directory.OutcomeDuplicate:
		return "Listed twice", "This address appears more than once; it was invited once."
	case "external":
		return "External", "They already belong to another workspace, so they are invited as an external member: no second account."
	}
	return status, ""
}

// seatsText is the seats line of the Invite page.
func seatsText(s directory.Seats, now time.Time) string {
	switch {
	case s.TrialEndsAt != nil && now.Before(*s.TrialEndsAt):
		return "Seats: unlimited during the trial (until " + s.TrialEndsAt.UTC().Format("2 Jan 2006") + ")"
	case s.Limit == nil:
		return "Seats: unlimited"
	}
	left := max(*s.Limit-s.Used, 0)
	if left == 1 {
		return fmt.Sprintf("1 seat left of %d", *s.Limit)
	}
	return fmt.Sprintf("%d seats left of %d", left, *s.Limit)
}

func (h *Handler) inviteView(w http.ResponseWriter, r *http.Request) (*view, *inviteData) {
	v := h.open(w, r)
	if v == nil {
		return nil, nil
	}
	if !v.access.Invite {
		h.deny(w, r, v, "invite people (the owners decide which roles may)")
		return nil, nil
	}
	d := &inviteData{Page: h.frame(r, v, "Invite people", navInvite), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Roles: v.access.GrantableRoles, Owner: v.access.Owner, Words: outcomeTable()}
	seats, err := h.dir.SeatUsage(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	d.Seats = seatsText(seats, time.Now())
	if d.Teams, err = h.dir.ListTeams(r.Context(), v.actor, v.slug); err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	if d.Owner {
		if d.MainAdmin, err = h.dir.MainAdmin(r.Context(), v.actor, v.slug); err != nil {
			h.fail(w, r, v.s, err)
			return nil, nil
		}
	}
	return v, d
}

// invitePage is the Invite dialog as a page (it works without JS), with
// the outcomes of the last sending when it redirected here.
func (h *Handler) invitePage(w http.ResponseWriter, r *http.Request) {
	v, d := h.inviteView(w, r)
	if v == nil {
		return
	}
	d.Form = web.NewForm(url.Values{"send_email": {"yes"}})
	if q := strings.TrimSpace(r.URL.Query().Get("lookup")); q != "" {
		if d.Lookup = h.lookUp(w, r, v, d.Base, q); d.Lookup == nil {
			return
		}
		if d.Lookup.Kind != "here" && d.Lookup.Error == "" && strings.Contains(q, "@") {
			d.Form.Values.Set("addresses", q)
		}
	}
	h.render(w, r, http.StatusOK, "invite", d)
}

// inviteSubmit invites every address, one outcome each, then shows them
// on the Invite page (POST-redirect-GET).
func (h *Handler) inviteSubmit(w http.ResponseWriter, r *http.Request) {
	v, d := h.inviteView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, maxInviteBytes) {
		return
	}
	form := web.NewForm(r.PostForm)
	d.Form = form
	text := form.Value("addresses")
	addresses := directory.ParseAddressList(text)
	if len(addresses) == 0 {
		form.Fail("addresses", "Enter at least one email address.")
	}
	switch form.Value("step") {
	case "names":
		// The second step: the names each address will get, to check
		// and edit before sending.
		if form.OK() {
			for _, a := range addresses {
				d.Names = append(d.Names, inviteName{Email: a, Name: directory.GuessName(a)})
			}
		}
		h.render(w, r, http.StatusOK, "invite", d)
		return
	case "edit":
		h.render(w, r, http.StatusOK, "invite", d)
		return
	}
	invitees, names := namedInvitees(r)
	if names {
		text = ""
		d.Names = invitees.rows
	}
	role := form.Value("role")
	if role == "" {
		form.Fail("role", "Choose the role these people will have.")
	} else if !slices.ContainsFunc(d.Roles, func(x directory.Role) bool { return x.Key == role }) {
		form.Fail("role", "Choose one of the roles listed; you cannot hand out that one.")
	}
	if !form.OK() {
		d.Error = "Nobody was invited yet: please check the form."
		h.render(w, r, http.StatusBadRequest, "invite", d)
		return
	}
	send := form.Value("send_email") == "yes"
	req := directory.InviteRequest{Text: text, Invitees: invitees.list, Role: role, Teams: r.PostForm["team"], SendEmail: &send, MainAdmin: form.Value("main_admin") == "yes"}
	out, err := h.dir.Invite(r.Context(), v.actor, v.slug, req)
	if err != nil {
		var fe *directory.FieldError
		switch {
		case errors.As(err, &fe) && fe.Invitee >= 0 && fe.Invitee < len(d.Names):
			d.Names[fe.Invitee].Error = sentence(errors.New(fe.Detail))
			form.Fail("names", "A name is not accepted; see below.")
		case errors.As(err, &fe):
			form.Fail("addresses", sentence(err))
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "main admin"),
			errors.Is(err, directory.ErrForbidden) && strings.Contains(err.Error(), "main admin"):
			form.Fail("main_admin", sentence(err))
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "team"):
			form.Fail("team", sentence(err))
		case errors.Is(err, directory.ErrInvalid) || errors.Is(err, directory.ErrForbidden):
			form.Fail("role", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
		d.Error = "Nobody was invited yet: please check the form."
		h.render(w, r, http.StatusBadRequest, "invite", d)
		return
	}
	items := make([]web.FlashItem, 0, len(out))
	counts := map[string]int{}
	for _, o := range out {
		status := string(o.Status)
		if o.Status == directory.OutcomeInvited && o.Kind == directory.KindExternal {
			status = "external"
		}
		counts[status]++
		items = append(items, web.FlashItem{Label: o.Email, Status: status})
	}
	msg := summary(counts, len(out))
	if len(items) > web.MaxFlashItems {
		msg += fmt.Sprintf(" The first %d addresses are listed below.", web.MaxFlashItems)
	}
	h.kit.Redirect(w, r, d.Base+"/members/invite", msg, items...)
}

// summary counts the outcomes of a batch in a sentence.
func summary(counts map[string]int, total int) string {
	parts := []string{}
	for _, s := range outcomeStatuses {
		if n := counts[s]; n > 0 {
			label, _ := outcomeWords(s)
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(label)))
		}
	}
	noun := "addresses"
	if total == 1 {
		noun = "address"
	}
	return fmt.Sprintf("Sent to %d %s: %s.", total, noun, strings.Join(parts, ", "))
}
