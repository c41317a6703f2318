package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// GetMember returns one member.
func (d *Directory) GetMember(ctx context.Context, actor store.Actor, workspace, membershipID string) (store.Member, error) {
	var out store.Member
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		m, err := t.Member(ws.ID, membershipID)
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
func manageTarget(t *store.Tx, ws *store.WorkspaceRow, p store.Principal, membershipID string) (*store.Member, error) {
	m, err := t.Member(ws.ID, membershipID)
	if err != nil {
		return nil, err
	}
	if m.EffectiveRole == store.RoleOwner && !p.IsOwner() {
		return nil, fmt.Errorf("%w: only owners change an owner", store.ErrForbidden)
	}
	return m, nil
}

// ChangeRole sets a member's direct role. Team mappings may still grant a
// higher effective role.
func (d *Directory) ChangeRole(ctx context.Context, actor store.Actor, workspace, membershipID, role string) (store.Member, error) {
	var out store.Member
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		m, err := manageTarget(t, ws, p, membershipID)
		if err != nil {
			return err
		}
		if _, err := t.RequireGrantable(ws, p, role); err != nil {
			return err
		}
		old := m.EffectiveRole
		if _, err := t.Execute(`UPDATE memberships SET role = ?, updated_at = ?, version = version + 1 WHERE id = ?`, role, t.Now, m.ID); err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		eff, err := t.RecomputeRole(ws.ID, m.ID)
		if err != nil {
			return err
		}
		if old == store.RoleOwner && eff != store.RoleOwner {
			if err := t.RequireOtherOwner(ws, m); err != nil {
				return err
			}
		}
		if err := t.Emit(ws.ID, "member.role_changed", "member", m.ID, map[string]string{"user_id": m.UserID, "role": role, "effective_role": eff, "previous_role": old}); err != nil {
			return err
		}
		n, err := t.Member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
}

// SuspendMember suspends an active or invited member: they keep their
// data but cannot sign in to the workspace, their sessions are revoked
// (sessions are checked against membership status), and they are emailed.
func (d *Directory) SuspendMember(ctx context.Context, actor store.Actor, workspace, membershipID string) (store.Member, error) {
	return d.setStatus(ctx, actor, workspace, membershipID, store.StatusSuspended)
}

// ReactivateMember makes a suspended member active again, if a seat is free.
func (d *Directory) ReactivateMember(ctx context.Context, actor store.Actor, workspace, membershipID string) (store.Member, error) {
	return d.setStatus(ctx, actor, workspace, membershipID, store.StatusActive)
}

func (d *Directory) setStatus(ctx context.Context, actor store.Actor, workspace, membershipID, status string) (store.Member, error) {
	var out store.Member
	var seatErr *store.SeatLimitError
	var wsID, email string
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		p, err := t.Authorize(ws, store.PermMembersManage)
		if err != nil {
			return err
		}
		m, err := manageTarget(t, ws, p, membershipID)
		if err != nil {
			return err
		}
		email = m.Email
		out, err = t.ChangeStatus(ws, m, status)
		return err
	})
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, actor, wsID, seatErr, email, "reactivation")
	}
	return out, err
}

// RemoveMember removes a member: the membership becomes a tombstone, its
// pending invitations are revoked and its teams left. The user survives.
func (d *Directory) RemoveMember(ctx context.Context, actor store.Actor, workspace, membershipID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		m, err := manageTarget(t, ws, p, membershipID)
		if err != nil {
			return err
		}
		return t.RemoveMembership(ws, m)
	})
}

// SetMainAdmin makes a member the workspace's main admin, replacing the
// previous one (a workspace has exactly one). Only owners decide it, and
// the main admin must be an active owner or admin.
func (d *Directory) SetMainAdmin(ctx context.Context, actor store.Actor, workspace, membershipID string) (store.Member, error) {
	var out store.Member
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.Principal(ws)
		if err != nil {
			return err
		}
		if !p.IsOwner() {
			return fmt.Errorf("%w: only owners choose the main admin", store.ErrForbidden)
		}
		m, err := t.Member(ws.ID, membershipID)
		if err != nil {
			return err
		}
		if m.Status != store.StatusActive || (m.EffectiveRole != store.RoleOwner && m.EffectiveRole != store.RoleAdmin) {
			return fmt.Errorf("%w: the main admin must be an active owner or admin", store.ErrConflict)
		}
		if err := t.MakeMainAdmin(ws.ID, m.ID); err != nil {
			return err
		}
		n, err := t.Member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *n
		return nil
	})
	return out, err
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
func (d *Directory) UpdateMemberProfile(ctx context.Context, actor store.Actor, workspace, membershipID string, u ProfileUpdate) (store.Member, error) {
	var out store.Member
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return out, store.NewFieldError("name", "name cannot be empty")
	}
	if err := store.CheckPerson(deref(u.Name), deref(u.Phone), deref(u.Locale)); err != nil {
		return out, err
	}
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.Principal(ws)
		if err != nil {
			return err
		}
		m, err := t.Member(ws.ID, membershipID)
		if err != nil {
			return err
		}
		self := p.MembershipID == m.ID
		if !self && !p.Can(store.PermMembersManage) {
			return fmt.Errorf("%w: role %q lacks %s", store.ErrForbidden, p.Role.Key, store.PermMembersManage)
		}
		if m.Kind == store.KindExternal && (u.Name != nil || u.Phone != nil) && !self {
			return store.ErrExternalProfile
		}
		if u.Locale != nil {
			if _, err := t.Execute(`UPDATE memberships SET locale = ?, updated_at = ? WHERE id = ?`, strings.TrimSpace(*u.Locale), t.Now, m.ID); err != nil {
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
			if _, err := t.Execute(`UPDATE users SET name = ?, phone = ?, phone_norm = ?, updated_at = ? WHERE id = ?`, name, phone, store.NormalizePhone(phone), t.Now, m.UserID); err != nil {
				return fmt.Errorf("update profile: %w", err)
			}
		}
		if err := t.Emit(ws.ID, "member.updated", "member", m.ID, profilePayload(u)); err != nil {
			return err
		}
		n, err := t.Member(ws.ID, m.ID)
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
func (d *Directory) LookupPerson(ctx context.Context, actor store.Actor, workspace, emailOrPhone string) (Lookup, error) {
	var out Lookup
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersInvite)
		if err != nil {
			return err
		}
		var users []store.UserRow
		if strings.Contains(emailOrPhone, "@") {
			email, err := store.NormalizeEmail(emailOrPhone)
			if err != nil {
				return err
			}
			err = t.SelectRows(&users, `SELECT `+store.UserColumns+` FROM users WHERE email_norm = ?`, email)
			if err != nil {
				return fmt.Errorf("look up person: %w", err)
			}
		} else {
			phone := store.NormalizePhone(emailOrPhone)
			if len(phone) < 6 {
				return store.Invalidf("%q is neither an email address nor a phone number", emailOrPhone)
			}
			if err := t.SelectRows(&users, `SELECT `+store.UserColumns+` FROM users WHERE phone_norm = ? LIMIT 1`, phone); err != nil {
				return fmt.Errorf("look up person: %w", err)
			}
		}
		out.JoinsAs = store.KindInternal
		if len(users) == 0 {
			return nil
		}
		u := users[0]
		var m store.MembershipRow
		err = t.GetOne(&m, `SELECT id, status, kind FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws.ID, u.ID)
		if err == nil && m.Status != store.StatusRemoved {
			out.Status, out.MembershipID = m.Status, m.ID
		}
		if u.HomeWorkspaceID != nil && *u.HomeWorkspaceID != ws.ID {
			out.JoinsAs = store.KindExternal
		}
		return nil
	})
	return out, err
}

// deref is *s, "" for nil (a field left alone is within every limit).
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
