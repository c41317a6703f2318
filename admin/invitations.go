package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/directory"
)

func (a *API) invitationRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/invitations", params: []string{"status", "limit"}, handle: a.listInvitations},
		{method: "POST", path: "/workspaces/{ws}/invitations", handle: a.invite},
		{method: "POST", path: "/workspaces/{ws}/invitations/import", params: []string{"role", "teams", "send_email"}, handle: a.importInvitations},
		{method: "POST", path: "/workspaces/{ws}/invitations/{id}/resend", handle: a.resendInvitation},
		{method: "POST", path: "/workspaces/{ws}/invitations/{id}/revoke", handle: a.revokeInvitation},
	}
}

func (a *API) listInvitations(c *call) (int, any, error) {
	status, err := c.queryEnum("status", directory.StatusAll, directory.InvitationPending, directory.InvitationAccepted, directory.InvitationRevoked, directory.InvitationExpired)
	if err != nil {
		return 0, nil, err
	}
	limit, err := c.queryInt("limit", 200, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	list, err := a.d.ListInvitations(c.r.Context(), c.actor, c.ws, status, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, InvitationList{Invitations: listOf(list, InvitationOf)}, nil
}

// summarize counts outcomes by status, so a client sees at a glance
// whether everyone was invited.
func summarize[T any](outcomes []T, status func(T) directory.OutcomeStatus) map[string]int {
	s := map[string]int{}
	for _, o := range outcomes {
		s[string(status(o))]++
	}
	return s
}

func (a *API) invite(c *call) (int, any, error) {
	var b inviteBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("role", b.Role)
	n := len(b.Emails) + len(b.Invitees)
	req.check(n > 0 || strings.TrimSpace(b.Text) != "", "emails", "list at least one address in emails, invitees or text")
	req.check(n <= directory.MaxImportRows, "emails", fmt.Sprintf("at most %d addresses per request", directory.MaxImportRows))
	for i, inv := range b.Invitees {
		req.string(fmt.Sprintf("invitees/%d/email", i), inv.Email)
	}
	req.check(len(b.Teams) <= 100, "teams", "at most 100 teams")
	req.check(len(b.Grants) == 0 || string(b.Grants) == "null" || b.Grants[0] == '[', "grants", "must be a JSON array")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	r := directory.InviteRequest{Text: b.Text, Role: b.Role, Teams: b.Teams, SendEmail: b.SendEmail, MainAdmin: b.MainAdmin}
	if len(b.Grants) > 0 && string(b.Grants) != "null" {
		r.Grants = b.Grants
	}
	for _, e := range b.Emails {
		r.Invitees = append(r.Invitees, directory.Invitee{Email: e})
	}
	for _, inv := range b.Invitees {
		r.Invitees = append(r.Invitees, directory.Invitee{Email: inv.Email, Name: inv.Name, Phone: inv.Phone, Profile: inv.Profile})
	}
	outcomes, err := a.d.Invite(c.r.Context(), c.actor, c.ws, r)
	if err != nil {
		return 0, nil, inviteeProblem(err, len(b.Emails))
	}
	return http.StatusOK, InviteResult{
		Outcomes: listOf(outcomes, InviteOutcomeOf),
		Summary:  summarize(outcomes, func(o directory.InviteOutcome) directory.OutcomeStatus { return o.Status }),
	}, nil
}

// inviteeProblem points directory's refusal of one invitee's details at
// the body's invitees array: directory numbers the invitees it was given,
// and the handler gave it the plain emails first.
func inviteeProblem(err error, emails int) error {
	var fe *directory.FieldError
	if errors.As(err, &fe) && fe.Invitee >= emails {
		return errValidation(fieldErr(fmt.Sprintf("invitees/%d/%s", fe.Invitee-emails, fe.Field), fe.Detail))
	}
	return err
}

func (a *API) resendInvitation(c *call) (int, any, error) {
	out, err := a.d.ResendInvitation(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, InviteOutcomeOf(out), nil
}

func (a *API) revokeInvitation(c *call) (int, any, error) {
	if err := a.d.RevokeInvitation(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
