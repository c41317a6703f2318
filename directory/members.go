package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

const memberSelect = `SELECT m.id, m.workspace_id, m.user_id, COALESCE(u.email_norm, '') AS email, u.name, u.phone,
	CASE WHEN m.locale <> '' THEN m.locale ELSE u.locale END AS locale,
	m.role, m.effective_role, m.status, m.kind, m.source, m.main_admin, m.external_id, m.join_link_id,
	m.terms_version, m.onboarded_at, m.created_at, m.updated_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

// member loads one non-removed membership of a workspace.
func (t *tx) member(workspaceID, membershipID string) (*Member, error) {
	var m Member
	if err := t.get(&m, memberSelect+` WHERE m.workspace_id = ? AND m.id = ? AND m.status <> 'removed'`, workspaceID, membershipID); err != nil {
		return nil, notFound(err, fmt.Sprintf("member %s", membershipID))
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

// suspendedError says who suspended a membership: whoever emitted its last
// member.suspended event, else (created suspended, with no such event)
// SCIM when SCIM created it.
func (t *tx) suspendedError(workspaceID, membershipID string) error {
	var kinds []string
	if err := t.selectRows(&kinds, `SELECT actor_kind FROM events WHERE workspace_id = ? AND subject_kind = 'member' AND subject_id = ? AND type = 'member.suspended'
		ORDER BY id DESC LIMIT 1`, workspaceID, membershipID); err != nil {
		return fmt.Errorf("who suspended %s: %w", membershipID, err)
	}
	if len(kinds) == 1 {
		return &SuspendedError{ByIdentityProvider: kinds[0] == string(ActorSCIM)}
	}
	var pending []bool
	if err := t.selectRows(&pending, `SELECT scim_pending_grant FROM memberships WHERE id = ?`, membershipID); err != nil {
		return fmt.Errorf("who suspended %s: %w", membershipID, err)
	}
	return &SuspendedError{ByIdentityProvider: len(pending) == 1 && pending[0]}
}

// GetMember returns one member.
func (d *Directory) GetMember(ctx context.Context, actor Actor, workspace, membershipID string) (Member, error) {
	var out Member
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		m, err := t.member(ws.ID, membershipID)
		if err != nil {
			return err
		}
		out = *m
		return nil
	})
	return out, err
}

// manageTarget loads a member for a change by p, refusing changes to
// owners by non-owners.
func (t *tx) manageTarget(ws *workspaceRow, p principal, membershipID string) (*Member, error) {
	m, err := t.member(ws.ID, membershipID)
	if err != nil {
		return nil, err
	}
	if m.EffectiveRole == RoleOwner && !p.isOwner() {
		return nil, fmt.Errorf("%w: only owners change an owner", ErrForbidden)
	}
	return m, nil
}

// requireOtherOwner refuses a change that would leave the workspace with no
// active owner.
func (t *tx) requireOtherOwner(ws *workspaceRow, m *Member) error {
	if m.EffectiveRole != RoleOwner || m.Status != StatusActive {
		return nil
	}
	var n int
	if err := t.get(&n, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status = 'active' AND effective_role = 'owner' AND id <> ?`, ws.ID, m.ID); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if n == 0 {
		return ErrLastOwner
	}
	return nil
}

// ChangeRole sets a member's direct role. Team mappings may still grant a
// higher effective role.
func (d *Directory) ChangeRole(ctx context.Context, actor Actor, workspace, membershipID, role string) (Member, error) {
	var out Member
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		m, err := t.manageTarget(ws, p, membershipID)
		if err != nil {
			return err
		}
		if _, err := t.requireGrantable(ws, p, role); err != nil {
			return err
		}
		old := m.EffectiveRole
		if _, err := t.exec(`UPDATE memberships SET role = ?, updated_at = ?, version = version + 1 WHERE id = ?`, role, t.now, m.ID); err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		eff, err := t.recomputeRole(ws.ID, m.ID)
		if err != nil {
			return err
		}
		if old == RoleOwner && eff != RoleOwner {
			if err := t.requireOtherOwner(ws, m); err != nil {
				return err
			}
		}
		if err := t.emit(ws.ID, "member.role_changed", "member", m.ID, map[string]string{"user_id": m.UserID, "role": role, "effective_role": eff, "previous_role": old}); err != nil {
			return err
		}
		n, err := t.member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
}

// recomputeRole sets a membership's effective role: the highest-ranked of
// its direct role and the roles mapped to its teams. It returns the result.
func (t *tx) recomputeRole(workspaceID, membershipID string) (string, error) {
	var cands []string
	if err := t.selectRows(&cands, `SELECT role FROM memberships WHERE id = ?
		UNION SELECT tm.role FROM teams tm JOIN team_members x ON x.team_id = tm.id WHERE x.membership_id = ? AND tm.role IS NOT NULL`, membershipID, membershipID); err != nil {
		return "", fmt.Errorf("effective role: %w", err)
	}
	best, bestRank := "", -1
	for _, k := range cands {
		r, err := t.role(workspaceID, k)
		if err != nil {
			continue // a mapping to a deleted custom role grants nothing
		}
		if r.Rank > bestRank || r.Rank == bestRank && r.Key < best {
			best, bestRank = r.Key, r.Rank
		}
	}
	if _, err := t.exec(`UPDATE memberships SET effective_role = ? WHERE id = ? AND effective_role <> ?`, best, membershipID, best); err != nil {
		return "", fmt.Errorf("set effective role: %w", err)
	}
	return best, nil
}

// SuspendMember suspends an active or invited member: they keep their
// data but cannot sign in to the workspace, their sessions are revoked
// (sessions are checked against membership status), and they are emailed.
func (d *Directory) SuspendMember(ctx context.Context, actor Actor, workspace, membershipID string) (Member, error) {
	return d.setStatus(ctx, actor, workspace, membershipID, StatusSuspended)
}

// ReactivateMember makes a suspended member active again, if a seat is free.
func (d *Directory) ReactivateMember(ctx context.Context, actor Actor, workspace, membershipID string) (Member, error) {
	return d.setStatus(ctx, actor, workspace, membershipID, StatusActive)
}

func (d *Directory) setStatus(ctx context.Context, actor Actor, workspace, membershipID, status string) (Member, error) {
	var out Member
	var seatErr *SeatLimitError
	var wsID, email string
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		p, err := t.authorize(ws, PermMembersManage)
		if err != nil {
			return err
		}
		m, err := t.manageTarget(ws, p, membershipID)
		if err != nil {
			return err
		}
		email = m.Email
		out, err = t.changeStatus(ws, m, status)
		return err
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, actor, wsID, seatErr, email, "reactivation")
	}
	return out, err
}

// changeStatus moves a membership between active and suspended, with the
// seat check, owner guard, event and email that go with it. SCIM calls it
// too, so both doors follow one rule.
func (t *tx) changeStatus(ws *workspaceRow, m *Member, status string) (Member, error) {
	if m.Status == status {
		return *m, nil
	}
	typ := ""
	switch status {
	case StatusSuspended:
		if err := t.requireOtherOwner(ws, m); err != nil {
			return Member{}, err
		}
		typ = "member.suspended"
	case StatusActive:
		if m.Status != StatusSuspended {
			return Member{}, fmt.Errorf("%w: only a suspended member can be reactivated (status is %s)", ErrConflict, m.Status)
		}
		if err := t.claimSeat(ws, m.ID); err != nil {
			return Member{}, err
		}
		typ = "member.reactivated"
	default:
		return Member{}, invalidf("unknown status %q", status)
	}
	if _, err := t.exec(`UPDATE memberships SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?`, status, t.now, m.ID); err != nil {
		return Member{}, fmt.Errorf("set status: %w", err)
	}
	if err := t.emit(ws.ID, typ, "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email, "previous_status": m.Status}); err != nil {
		return Member{}, err
	}
	if status == StatusSuspended {
		if err := t.revokeSessions(m.UserID); err != nil {
			return Member{}, err
		}
	}
	if status == StatusSuspended && m.Status == StatusActive {
		if err := t.enqueueEmail(ws.ID, EmailRequest{Template: "suspended", To: []string{m.Email}, Data: map[string]string{"workspace": ws.Name, "recipient_name": m.Name}}); err != nil {
			return Member{}, err
		}
	}
	n, err := t.member(ws.ID, m.ID)
	if err != nil {
		return Member{}, err
	}
	return *n, nil
}

// RemoveMember removes a member: the membership becomes a tombstone, its
// pending invitations are revoked and its teams left. The user survives.
func (d *Directory) RemoveMember(ctx context.Context, actor Actor, workspace, membershipID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		m, err := t.manageTarget(ws, p, membershipID)
		if err != nil {
			return err
		}
		return t.removeMembership(ws, m)
	})
}

// removeMembership tombstones a membership (SCIM DELETE uses it too).
func (t *tx) removeMembership(ws *workspaceRow, m *Member) error {
	if err := t.requireOtherOwner(ws, m); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE memberships SET status = 'removed', main_admin = FALSE, removed_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`, t.now, t.now, m.ID); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if err := t.touchTeamsOf(m.ID); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM team_members WHERE membership_id = ?`, m.ID); err != nil {
		return fmt.Errorf("leave teams: %w", err)
	}
	if err := t.revokeSessions(m.UserID); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE membership_id = ? AND status = 'pending'`, t.now, m.ID); err != nil {
		return fmt.Errorf("revoke invitations: %w", err)
	}
	return t.emit(ws.ID, "member.removed", "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email})
}

// SetMainAdmin makes a member the workspace's main admin, replacing the
// previous one (a workspace has exactly one). Only owners decide it, and
// the main admin must be an active owner or admin.
func (d *Directory) SetMainAdmin(ctx context.Context, actor Actor, workspace, membershipID string) (Member, error) {
	var out Member
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.principal(ws)
		if err != nil {
			return err
		}
		if !p.isOwner() {
			return fmt.Errorf("%w: only owners choose the main admin", ErrForbidden)
		}
		m, err := t.member(ws.ID, membershipID)
		if err != nil {
			return err
		}
		if m.Status != StatusActive || (m.EffectiveRole != RoleOwner && m.EffectiveRole != RoleAdmin) {
			return fmt.Errorf("%w: the main admin must be an active owner or admin", ErrConflict)
		}
		if err := t.makeMainAdmin(ws.ID, m.ID); err != nil {
			return err
		}
		n, err := t.member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
}

func (t *tx) makeMainAdmin(workspaceID, membershipID string) error {
	if _, err := t.exec(`UPDATE memberships SET main_admin = FALSE WHERE workspace_id = ? AND main_admin AND id <> ?`, workspaceID, membershipID); err != nil {
		return fmt.Errorf("clear main admin: %w", err)
	}
	if _, err := t.exec(`UPDATE memberships SET main_admin = TRUE, updated_at = ? WHERE id = ?`, t.now, membershipID); err != nil {
		return fmt.Errorf("set main admin: %w", err)
	}
	return t.emit(workspaceID, "member.main_admin_changed", "member", membershipID, nil)
}

// ProfileUpdate changes a member's profile; nil fields are left alone.
type ProfileUpdate struct {
	Name   *string
	Phone  *string
	Locale *string
}

// UpdateMemberProfile changes a member's name, phone or language. A
// workspace may change only the language of an external member; their
// profile belongs to their home workspace. The name cannot be emptied.
func (d *Directory) UpdateMemberProfile(ctx context.Context, actor Actor, workspace, membershipID string, u ProfileUpdate) (Member, error) {
	var out Member
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return out, fieldError("name", "name cannot be empty")
	}
	if err := checkPerson(deref(u.Name), deref(u.Phone), deref(u.Locale)); err != nil {
		return out, err
	}
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.principal(ws)
		if err != nil {
			return err
		}
		m, err := t.member(ws.ID, membershipID)
		if err != nil {
			return err
		}
		self := p.membershipID == m.ID
		if !self && !p.can(PermMembersManage) {
			return fmt.Errorf("%w: role %q lacks %s", ErrForbidden, p.role.Key, PermMembersManage)
		}
		if m.Kind == KindExternal && (u.Name != nil || u.Phone != nil) && !self {
			return ErrExternalProfile
		}
		if u.Locale != nil {
			if _, err := t.exec(`UPDATE memberships SET locale = ?, updated_at = ? WHERE id = ?`, strings.TrimSpace(*u.Locale), t.now, m.ID); err != nil {
				return fmt.Errorf("set language: %w", err)
			}
		}
		if u.Name != nil || u.Phone != nil {
			name, phone := m.Name, m.Phone
			if u.Name != nil {
				name = strings.TrimSpace(*u.Name)
			}
			if u.Phone != nil {
				phone = strings.TrimSpace(*u.Phone)
			}
			if _, err := t.exec(`UPDATE users SET name = ?, phone = ?, phone_norm = ?, updated_at = ? WHERE id = ?`, name, phone, NormalizePhone(phone), t.now, m.UserID); err != nil {
				return fmt.Errorf("update profile: %w", err)
			}
		}
		if err := t.emit(ws.ID, "member.updated", "member", m.ID, profilePayload(u)); err != nil {
			return err
		}
		n, err := t.member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
}

// Lookup is what an admin may learn about a person before inviting them:
// whether they would join as a new internal user or as an external one,
// and whether they are already here. Nothing of any other workspace.
type Lookup struct {
	// JoinsAs is "internal" or "external".
	JoinsAs string
	// Status is the person's membership status in this workspace, or "".
	Status string
	// MembershipID is their membership here, when Status is set.
	MembershipID string
}

// LookupPerson answers Lookup for an email address or a phone number.
func (d *Directory) LookupPerson(ctx context.Context, actor Actor, workspace, emailOrPhone string) (Lookup, error) {
	var out Lookup
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersInvite)
		if err != nil {
			return err
		}
		var users []userRow
		if strings.Contains(emailOrPhone, "@") {
			email, err := NormalizeEmail(emailOrPhone)
			if err != nil {
				return err
			}
			err = t.selectRows(&users, `SELECT `+userColumns+` FROM users WHERE email_norm = ?`, email)
			if err != nil {
				return fmt.Errorf("look up person: %w", err)
			}
		} else {
			phone := NormalizePhone(emailOrPhone)
			if len(phone) < 6 {
				return invalidf("%q is neither an email address nor a phone number", emailOrPhone)
			}
			if err := t.selectRows(&users, `SELECT `+userColumns+` FROM users WHERE phone_norm = ? LIMIT 1`, phone); err != nil {
				return fmt.Errorf("look up person: %w", err)
			}
		}
		out.JoinsAs = KindInternal
		if len(users) == 0 {
			return nil
		}
		u := users[0]
		var m membershipRow
		err = t.get(&m, `SELECT id, status, kind FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws.ID, u.ID)
		if err == nil && m.Status != StatusRemoved {
			out.Status, out.MembershipID = m.Status, m.ID
		}
		if u.HomeWorkspaceID != nil && *u.HomeWorkspaceID != ws.ID {
			out.JoinsAs = KindExternal
		}
		return nil
	})
	return out, err
}

// decodeStrings reads a JSON array column.
func decodeStrings(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	return out
}
