package inviting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// Invitee is one person to invite. Name is guessed from the address when
// empty; Profile holds extra columns of an import (kept on the user).
type Invitee struct {
	Email   string
	Name    string
	Phone   string
	Profile map[string]string
}

// InviteRequest invites many people at once with one role.
type InviteRequest struct {
	Invitees []Invitee
	// Text is pasted addresses separated by commas, semicolons, spaces or
	// new lines ("Jane <jane@x>" forms are accepted too).
	Text string
	Role string
	// Teams are team ids, joined when the invitation is accepted.
	Teams []string
	// Grants are opaque pre-assignments (a JSON array), delivered in the
	// member.activated event for the product to apply.
	Grants json.RawMessage
	// SendEmail defaults to true; false creates the person inactive
	// (invited) and sends nothing.
	SendEmail *bool
	// MainAdmin makes the invitee the main admin on acceptance (owners
	// only; one address only).
	MainAdmin bool
}

// ParseAddressList splits pasted text into addresses: commas, semicolons,
// white space and new lines separate them; "Jane Doe <addr>" is reduced to
// addr. Anything else is kept, so a typo comes back as an invalid address
// instead of vanishing.
func ParseAddressList(text string) []string {
	text = angleAddr.ReplaceAllString(text, " $1 ")
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '\r' || r == '\t' || r == ' '
	}) {
		if f = strings.Trim(f, "<>\"'"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// angleAddr matches "Display Name <addr>" in pasted lists.
var angleAddr = regexp.MustCompile(`[^,;\n<>]*<([^<>\s]+)>`)

// Invite invites every address of the request and returns one outcome per
// address, in order. Each address is its own transaction, so one bad
// address (invalid, over the seat limit) never fails the others. The
// returned error is for the request as a whole: no permission, unknown
// role or team, an invitee's details over the limits (a FieldError).
func (d *Inviter) Invite(ctx context.Context, actor store.Actor, workspace string, req InviteRequest) ([]store.InviteOutcome, error) {
	invitees := slices.Clone(req.Invitees)
	for _, a := range ParseAddressList(req.Text) {
		invitees = append(invitees, Invitee{Email: a})
	}
	if len(invitees) == 0 {
		return nil, store.Invalidf("no addresses to invite")
	}
	if len(invitees) > 10000 {
		return nil, store.Invalidf("at most 10,000 addresses per request (got %d)", len(invitees))
	}
	if req.MainAdmin && len(invitees) != 1 {
		return nil, store.Invalidf("only one person can be invited as main admin")
	}
	if len(req.Grants) > 0 && !json.Valid(req.Grants) {
		return nil, store.Invalidf("grants must be valid JSON")
	}
	for i, inv := range req.Invitees {
		if err := checkInvitee(i, inv); err != nil {
			return nil, err
		}
	}
	sendEmail := req.SendEmail == nil || *req.SendEmail
	var wsID string
	var base store.InviteSpec
	// Validate the request once before touching any address.
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		p, role, err := t.AuthorizeInvite(ws, req.Role)
		if err != nil {
			return err
		}
		if req.MainAdmin && !p.IsOwner() {
			return fmt.Errorf("%w: only owners invite a main admin", store.ErrForbidden)
		}
		if req.MainAdmin && role.Key != store.RoleOwner && role.Key != store.RoleAdmin {
			return store.Invalidf("the main admin must be invited as owner or admin")
		}
		teams, err := t.ResolveTeams(ws.ID, req.Teams)
		if err != nil {
			return err
		}
		base = store.InviteSpec{Role: role, Teams: teams, Grants: req.Grants, SendEmail: sendEmail, MainAdmin: req.MainAdmin, Source: store.SourceInvitation, Inviter: p}
		return nil
	})
	if err != nil {
		return nil, err
	}
	outcomes := make([]store.InviteOutcome, 0, len(invitees))
	seen := map[string]bool{}
	notified := false
	for _, inv := range invitees {
		email, err := store.NormalizeEmail(inv.Email)
		if err != nil {
			outcomes = append(outcomes, store.InviteOutcome{Email: strings.TrimSpace(inv.Email), Status: store.OutcomeInvalidAddress, Error: store.ErrorText(err)})
			continue
		}
		if seen[email] {
			outcomes = append(outcomes, store.InviteOutcome{Email: email, Status: store.OutcomeDuplicate, Error: "listed more than once"})
			continue
		}
		seen[email] = true
		spec := base
		spec.Email, spec.Name, spec.Phone, spec.Profile = email, strings.TrimSpace(inv.Name), strings.TrimSpace(inv.Phone), inv.Profile
		var out store.InviteOutcome
		err = d.InTx(ctx, actor, func(t *store.Tx) error {
			ws, err := t.Workspace(wsID)
			if err != nil {
				return err
			}
			spec.Inviter, err = t.Principal(ws)
			if err != nil {
				return err
			}
			out, err = t.InviteOne(ws, spec.Inviter, spec)
			return err
		})
		var seatErr *store.SeatLimitError
		switch {
		case store.AsSeatLimit(err, &seatErr):
			out = store.InviteOutcome{Email: email, Status: store.OutcomeSeatLimit, Error: seatErr.Error()}
			if !notified {
				d.NotifySeatLimit(ctx, actor, wsID, seatErr, email, "invitation")
				notified = true
			}
		case errors.Is(err, store.ErrForbidden):
			out = store.InviteOutcome{Email: email, Status: store.OutcomeNotPermitted, Error: store.ErrorText(err)}
		case err != nil:
			return outcomes, fmt.Errorf("invite %s: %w", email, err)
		}
		outcomes = append(outcomes, out)
	}
	return outcomes, nil
}
