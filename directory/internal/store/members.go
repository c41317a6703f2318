package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Membership statuses. Removed memberships stay as tombstones (so SCIM can
// re-provision the same externalId) but are never listed as members.
const (
	StatusInvited   = "invited"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusRemoved   = "removed"
)

// Membership kinds: internal (this is the user's home workspace) or
// external (a relationship with a user whose home is elsewhere).
const (
	KindInternal = "internal"
	KindExternal = "external"
)

// Membership sources: how the person came in.
const (
	SourceInvitation  = "invitation"
	SourceSCIM        = "scim"
	SourceDomain      = "domain"
	SourceJoinRequest = "join_request"
	SourceJoinLink    = "join_link"
	SourceOwner       = "owner"
)

// Member is a membership with its user's profile.
type Member struct {
	ID            string     `db:"id"`
	WorkspaceID   string     `db:"workspace_id"`
	UserID        string     `db:"user_id"`
	Email         string     `db:"email"`
	Name          string     `db:"name"`
	Phone         string     `db:"phone"`
	Locale        string     `db:"locale"`
	Role          string     `db:"role"`
	EffectiveRole string     `db:"effective_role"`
	Status        string     `db:"status"`
	Kind          string     `db:"kind"`
	Source        string     `db:"source"`
	MainAdmin     bool       `db:"main_admin"`
	ExternalID    *string    `db:"external_id"`
	JoinLinkID    *string    `db:"join_link_id"`
	TermsVersion  string     `db:"terms_version"`
	OnboardedAt   *time.Time `db:"onboarded_at"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

const MemberSelect = `SELECT m.id, m.workspace_id, m.user_id, COALESCE(u.email_norm, '') AS email, u.name, u.phone,
	CASE WHEN m.locale <> '' THEN m.locale ELSE u.locale END AS locale,
	m.role, m.effective_role, m.status, m.kind, m.source, m.main_admin, m.external_id, m.join_link_id,
	m.terms_version, m.onboarded_at, m.created_at, m.updated_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

// Member loads one non-removed membership of a workspace.
func (t *Tx) Member(workspaceID, membershipID string) (*Member, error) {
	var m Member
	if err := t.GetOne(&m, MemberSelect+` WHERE m.workspace_id = ? AND m.id = ? AND m.status <> 'removed'`, workspaceID, membershipID); err != nil {
		return nil, NotFound(err, fmt.Sprintf("member %s", membershipID))
	}
	return &m, nil
}

// SuspendedError is ErrSuspended (errors.Is) saying who suspended the
// membership, so that the person is told the truth: the workspace's
// identity provider (SCIM deactivated them, or created them inactive), or
// an administrator.
type SuspendedError struct {
	ByIdentityProvider bool
}

func (e *SuspendedError) Error() string {
	if e.ByIdentityProvider {
		return ErrSuspended.Error() + " by the workspace's identity provider"
	}
	return ErrSuspended.Error() + " by an administrator"
}

// Is makes errors.Is(err, ErrSuspended) hold.
func (e *SuspendedError) Is(target error) bool { return target == ErrSuspended }

// SuspendedError says who suspended a membership: whoever emitted its last
// member.suspended event, else (created suspended, with no such event)
// SCIM when SCIM created it.
func (t *Tx) SuspendedError(workspaceID, membershipID string) error {
	var kinds []string
	if err := t.SelectRows(&kinds, `SELECT actor_kind FROM events WHERE workspace_id = ? AND subject_kind = 'member' AND subject_id = ? AND type = 'member.suspended'
		ORDER BY id DESC LIMIT 1`, workspaceID, membershipID); err != nil {
		return fmt.Errorf("who suspended %s: %w", membershipID, err)
	}
	if len(kinds) == 1 {
		return &SuspendedError{ByIdentityProvider: kinds[0] == string(ActorSCIM)}
	}
	var pending []bool
	if err := t.SelectRows(&pending, `SELECT scim_pending_grant FROM memberships WHERE id = ?`, membershipID); err != nil {
		return fmt.Errorf("who suspended %s: %w", membershipID, err)
	}
	return &SuspendedError{ByIdentityProvider: len(pending) == 1 && pending[0]}
}

// RequireOtherOwner refuses a change that would leave the workspace with no
// active owner.
func (t *Tx) RequireOtherOwner(ws *WorkspaceRow, m *Member) error {
	if m.EffectiveRole != RoleOwner || m.Status != StatusActive {
		return nil
	}
	var n int
	if err := t.GetOne(&n, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status = 'active' AND effective_role = 'owner' AND id <> ?`, ws.ID, m.ID); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if n == 0 {
		return ErrLastOwner
	}
	return nil
}

// RecomputeRole sets a membership's effective role: the highest-ranked of
// its direct role and the roles mapped to its teams. It returns the result.
func (t *Tx) RecomputeRole(workspaceID, membershipID string) (string, error) {
	var cands []string
	if err := t.SelectRows(&cands, `SELECT role FROM memberships WHERE id = ?
		UNION SELECT tm.role FROM teams tm JOIN team_members x ON x.team_id = tm.id WHERE x.membership_id = ? AND tm.role IS NOT NULL`, membershipID, membershipID); err != nil {
		return "", fmt.Errorf("effective role: %w", err)
	}
	best, bestRank := "", -1
	for _, k := range cands {
		r, err := t.Role(workspaceID, k)
		if err != nil {
			continue // a mapping to a deleted custom role grants nothing
		}
		if r.Rank > bestRank || r.Rank == bestRank && r.Key < best {
			best, bestRank = r.Key, r.Rank
		}
	}
	if _, err := t.Execute(`UPDATE memberships SET effective_role = ? WHERE id = ? AND effective_role <> ?`, best, membershipID, best); err != nil {
		return "", fmt.Errorf("set effective role: %w", err)
	}
	return best, nil
}

// ChangeStatus moves a membership between active and suspended, with the
// seat check, owner guard, event and email that go with it. SCIM calls it
// too, so both doors follow one rule.
func (t *Tx) ChangeStatus(ws *WorkspaceRow, m *Member, status string) (Member, error) {
	if m.Status == status {
		return *m, nil
	}
	typ := ""
	switch status {
	case StatusSuspended:
		if err := t.RequireOtherOwner(ws, m); err != nil {
			return Member{}, err
		}
		typ = "member.suspended"
	case StatusActive:
		if m.Status != StatusSuspended {
			return Member{}, fmt.Errorf("%w: only a suspended member can be reactivated (status is %s)", ErrConflict, m.Status)
		}
		if err := t.ClaimSeat(ws, m.ID); err != nil {
			return Member{}, err
		}
		typ = "member.reactivated"
	default:
		return Member{}, Invalidf("unknown status %q", status)
	}
	if _, err := t.Execute(`UPDATE memberships SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?`, status, t.Now, m.ID); err != nil {
		return Member{}, fmt.Errorf("set status: %w", err)
	}
	if err := t.Emit(ws.ID, typ, "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email, "previous_status": m.Status}); err != nil {
		return Member{}, err
	}
	if status == StatusSuspended {
		if err := t.revokeSessions(m.UserID); err != nil {
			return Member{}, err
		}
	}
	if status == StatusSuspended && m.Status == StatusActive {
		if err := t.EnqueueEmail(ws.ID, EmailRequest{Template: "suspended", To: []string{m.Email}, Data: map[string]string{"workspace": ws.Name, "recipient_name": m.Name}}); err != nil {
			return Member{}, err
		}
	}
	n, err := t.Member(ws.ID, m.ID)
	if err != nil {
		return Member{}, err
	}
	return *n, nil
}

// RemoveMembership tombstones a membership (SCIM DELETE uses it too).
func (t *Tx) RemoveMembership(ws *WorkspaceRow, m *Member) error {
	if err := t.RequireOtherOwner(ws, m); err != nil {
		return err
	}
	if _, err := t.Execute(`UPDATE memberships SET status = 'removed', main_admin = FALSE, removed_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`, t.Now, t.Now, m.ID); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if err := t.TouchTeamsOf(m.ID); err != nil {
		return err
	}
	if _, err := t.Execute(`DELETE FROM team_members WHERE membership_id = ?`, m.ID); err != nil {
		return fmt.Errorf("leave teams: %w", err)
	}
	if err := t.revokeSessions(m.UserID); err != nil {
		return err
	}
	if _, err := t.Execute(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE membership_id = ? AND status = 'pending'`, t.Now, m.ID); err != nil {
		return fmt.Errorf("revoke invitations: %w", err)
	}
	return t.Emit(ws.ID, "member.removed", "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email})
}

func (t *Tx) MakeMainAdmin(workspaceID, membershipID string) error {
	if _, err := t.Execute(`UPDATE memberships SET main_admin = FALSE WHERE workspace_id = ? AND main_admin AND id <> ?`, workspaceID, membershipID); err != nil {
		return fmt.Errorf("clear main admin: %w", err)
	}
	if _, err := t.Execute(`UPDATE memberships SET main_admin = TRUE, updated_at = ? WHERE id = ?`, t.Now, membershipID); err != nil {
		return fmt.Errorf("set main admin: %w", err)
	}
	return t.Emit(workspaceID, "member.main_admin_changed", "member", membershipID, nil)
}

// DecodeStrings reads a JSON array column.
func DecodeStrings(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	return out
}
