package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Invitation statuses. An invitation past its expiry is reported as
// expired even while its row still says pending.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// OutcomeStatus is what happened to one address of an invitation batch.
type OutcomeStatus string

// The outcomes of inviting one address.
const (
	OutcomeInvited        OutcomeStatus = "invited"
	OutcomeResent         OutcomeStatus = "resent"
	OutcomeAlreadyMember  OutcomeStatus = "already_member"
	OutcomeInvalidAddress OutcomeStatus = "invalid_address"
	OutcomeSeatLimit      OutcomeStatus = "seat_limit"
	OutcomeNotPermitted   OutcomeStatus = "not_permitted"
	OutcomeDuplicate      OutcomeStatus = "duplicate"
)

// InviteOutcome is the answer for one address. Token and Link are set when
// a new link was made; they are shown once and never stored.
type InviteOutcome struct {
	Email        string
	Status       OutcomeStatus
	Kind         string
	MembershipID string
	InvitationID string
	Token        string
	Link         string
	Error        string
	// UserID is the invited person; scimWritten says the membership was
	// created with the spec's SCIM columns (inviteSpec.scim).
	UserID      string
	ScimWritten bool
}

type InviteSpec struct {
	Email     string
	Name      string
	Phone     string
	Profile   map[string]string
	Role      Role
	Teams     []string
	Grants    json.RawMessage
	SendEmail bool
	MainAdmin bool
	Source    string
	Inviter   Principal
	// Scim, for a SCIM create, holds the SCIM columns a new membership is
	// inserted with, saving the update that would store them after.
	Scim *ScimFields
	// Found says the caller already looked email up in this transaction
	// and user is what it found (nil: nobody), saving a second lookup.
	Found bool
	User  *UserRow
}

// ScimFields are the SCIM columns of a membership.
type ScimFields struct {
	UserName   string
	ExternalID *string
	Attrs      string
}

func AsSeatLimit(err error, target **SeatLimitError) bool {
	return err != nil && errors.As(err, target)
}

// MembershipRow is the raw membership of a user in a workspace, any status.
type MembershipRow struct {
	ID     string `db:"id"`
	Status string `db:"status"`
	Kind   string `db:"kind"`
}

func (t *Tx) MembershipOf(workspaceID, userID string) (*MembershipRow, error) {
	var m MembershipRow
	err := t.GetOne(&m, `SELECT id, status, kind FROM memberships WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	if err != nil {
		if IsNotFound(NotFound(err, "")) {
			return nil, nil
		}
		return nil, fmt.Errorf("find membership: %w", err)
	}
	return &m, nil
}

// EnsureUser finds the user for an address or creates one whose home is
// ws, and says which kind of membership they would have in ws.
func (t *Tx) EnsureUser(ws *WorkspaceRow, email, name, phone string, profile map[string]string) (*UserRow, string, error) {
	u, err := t.UserByEmail(email)
	if err != nil {
		return nil, "", err
	}
	return t.EnsureFoundUser(ws, u, email, name, phone, profile)
}

// EnsureFoundUser is ensureUser for a caller that already looked the
// address up in this transaction: u is the user found, nil for none.
func (t *Tx) EnsureFoundUser(ws *WorkspaceRow, u *UserRow, email, name, phone string, profile map[string]string) (*UserRow, string, error) {
	var err error
	if u == nil {
		if name == "" {
			name = GuessName(email)
		}
		prof := "{}"
		if len(profile) > 0 {
			b, _ := json.Marshal(profile)
			prof = string(b)
		}
		u, err = t.CreateUser(email, name, phone, "", ws.ID, prof)
		if err != nil {
			return nil, "", err
		}
		return u, KindInternal, nil
	}
	if u.HomeWorkspaceID == nil || *u.HomeWorkspaceID == ws.ID {
		if u.HomeWorkspaceID == nil {
			if _, err := t.Execute(`UPDATE users SET home_workspace_id = ? WHERE id = ?`, ws.ID, u.ID); err != nil {
				return nil, "", fmt.Errorf("set home workspace: %w", err)
			}
		}
		return u, KindInternal, nil
	}
	return u, KindExternal, nil
}

// InviteOne invites one normalised address inside the caller's transaction.
func (t *Tx) InviteOne(ws *WorkspaceRow, p Principal, s InviteSpec) (InviteOutcome, error) {
	out := InviteOutcome{Email: s.Email}
	var u *UserRow
	var kind string
	var err error
	if s.Found {
		u, kind, err = t.EnsureFoundUser(ws, s.User, s.Email, s.Name, s.Phone, s.Profile)
	} else {
		u, kind, err = t.EnsureUser(ws, s.Email, s.Name, s.Phone, s.Profile)
	}
	if err != nil {
		return out, err
	}
	out.Kind, out.UserID = kind, u.ID
	var m *MembershipRow
	if !u.fresh {
		// A user created just now has no membership to look for.
		if m, err = t.MembershipOf(ws.ID, u.ID); err != nil {
			return out, err
		}
	}
	if m != nil {
		switch m.Status {
		case StatusActive:
			out.Status, out.MembershipID, out.Kind = OutcomeAlreadyMember, m.ID, m.Kind
			return out, nil
		case StatusSuspended:
			out.Status, out.MembershipID, out.Error = OutcomeNotPermitted, m.ID, "this person is suspended; reactivate them instead"
			return out, nil
		case StatusInvited:
			var invID string
			err := t.GetOne(&invID, `SELECT id FROM invitations WHERE membership_id = ? AND status = 'pending'`, m.ID)
			if err == nil {
				return t.Resend(ws, invID, p)
			}
			// Invited with no open invitation (its invitation was
			// accepted elsewhere, or SCIM created it without one): make
			// a new one below.
		}
	}
	if m == nil || m.Status == StatusRemoved {
		if err := t.ClaimSeat(ws, ""); err != nil {
			return out, err
		}
	}
	if m == nil {
		m = &MembershipRow{ID: NewID(), Status: StatusInvited, Kind: kind}
		if s.Scim != nil {
			userName := s.Scim.UserName
			_, err = t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, scim_user_name, scim_user_name_norm, external_id, scim_attrs, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.ID, ws.ID, u.ID, s.Role.Key, s.Role.Key, kind, s.Source, s.Scim.UserName, FoldCase(s.Scim.UserName), s.Scim.ExternalID, s.Scim.Attrs, t.Now, t.Now)
			if t.Store.violates(err, "memberships_scim_user_name") {
				return out, fmt.Errorf("%w: userName %q is already taken in this workspace", ErrConflict, userName)
			}
			out.ScimWritten = err == nil
		} else {
			_, err = t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?)`,
				m.ID, ws.ID, u.ID, s.Role.Key, s.Role.Key, kind, s.Source, t.Now, t.Now)
		}
		if err != nil {
			return out, fmt.Errorf("create membership: %w", err)
		}
	} else {
		// A tombstone comes back as a fresh invitation.
		_, err = t.Execute(`UPDATE memberships SET role = ?, effective_role = ?, status = 'invited', kind = ?, source = ?, removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
			s.Role.Key, s.Role.Key, kind, s.Source, t.Now, m.ID)
		if err != nil {
			return out, fmt.Errorf("revive membership: %w", err)
		}
		m.Kind = kind
	}
	token, hash := NewToken()
	teams, _ := json.Marshal(s.Teams)
	grants := string(s.Grants)
	if grants == "" {
		grants = "[]"
	}
	inv := NewID()
	expires := t.Now.Add(time.Duration(ws.InvitationTTLSeconds) * time.Second)
	_, err = t.Execute(`INSERT INTO invitations (id, workspace_id, membership_id, email_norm, role, teams, grants, inviter_kind, inviter_id, inviter_name, token_hash, expires_at, status, send_email, main_admin, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
		inv, ws.ID, m.ID, s.Email, s.Role.Key, string(teams), grants, string(p.Actor.Kind), p.Actor.ID, inviterName(p), hash, expires, s.SendEmail, s.MainAdmin, t.Now, t.Now)
	if t.Store.violates(err, "invitations_open") {
		return out, fmt.Errorf("%w: %s already has an open invitation", ErrConflict, s.Email)
	}
	if err != nil {
		return out, fmt.Errorf("create invitation: %w", err)
	}
	out.Status, out.Kind, out.MembershipID, out.InvitationID = OutcomeInvited, m.Kind, m.ID, inv
	out.Token, out.Link = token, t.Store.InvitationLink(token)
	if err := t.Emit(ws.ID, "invitation.created", "invitation", inv, map[string]any{"email": s.Email, "role": s.Role.Key, "membership_id": m.ID, "kind": m.Kind, "send_email": s.SendEmail, "teams": s.Teams}); err != nil {
		return out, err
	}
	if s.SendEmail {
		teamNames, err := t.teamNamesJSON(ws.ID, s.Teams)
		if err != nil {
			return out, err
		}
		if err := t.EnqueueEmail(ws.ID, invitationEmail("invitation", ws, s.Email, u.Name, inviterName(p), s.Role.Name, out.Link, expires, teamNames)); err != nil {
			return out, err
		}
	}
	return out, nil
}

// InvitationLink is the URL a person follows to accept an invitation.
func (d *Store) InvitationLink(token string) string { return d.PublicURL + "/invite/" + token }

func inviterName(p Principal) string {
	if p.Actor.Name != "" {
		return p.Actor.Name
	}
	return "An administrator"
}

// invitationEmail is the invitation (or its reminder); teams is the
// names of the teams it adds the person to, as teamNamesJSON makes it.
func invitationEmail(template string, ws *WorkspaceRow, to, name, inviter, role, link string, expires time.Time, teams string) EmailRequest {
	req := EmailRequest{Template: template, To: []string{to}, Data: map[string]string{
		"workspace": ws.Name, "inviter": inviter, "role": role, "link": link,
		"expires": expires.UTC().Format(time.RFC3339), "recipient_name": name}}
	if teams != "" {
		req.Data["teams"] = teams
	}
	return req
}
