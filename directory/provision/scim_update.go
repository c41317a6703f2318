package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// scimSetActive applies active=true/false to a SCIM user: false suspends
// it (sessions revoked, event, email: changeStatus); true reactivates it
// with a seat check, back to invited when it still has a pending
// invitation (someone who never accepted must still accept), and applies
// the bridge rules to someone created inactive. It says what it did.
func scimSetActive(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, r *scimUserRow, in SCIMUserInput, active bool) (string, error) {
	if active == (r.Status != store.StatusSuspended) {
		return "", nil
	}
	m, err := t.Member(ws.ID, r.ID)
	if err != nil {
		return "", err
	}
	if !active {
		if _, err := t.ChangeStatus(ws, m, store.StatusSuspended); err != nil {
			return "", err
		}
		return "suspended (active=false); sessions revoked", nil
	}
	var st struct {
		PendingGrant bool `db:"scim_pending_grant"`
		Invitations  int  `db:"invitations"`
	}
	if err := t.GetOne(&st, `SELECT scim_pending_grant, (SELECT COUNT(*) FROM invitations WHERE membership_id = ? AND status = 'pending') AS invitations
		FROM memberships WHERE id = ?`, m.ID, m.ID); err != nil {
		return "", fmt.Errorf("reactivate member: %w", err)
	}
	switch {
	case st.PendingGrant:
		// Created inactive: grant now, as a create would have, to the
		// person this membership already is.
		if _, err := t.Execute(`UPDATE memberships SET status = 'removed', scim_pending_grant = FALSE WHERE id = ?`, m.ID); err != nil {
			return "", fmt.Errorf("reactivate member: %w", err)
		}
		email := m.Email
		if email == "" {
			email = in.Email
		}
		g, err := scimGrant(t, ws, conn, &scimMembership{ID: m.ID, UserID: m.UserID, Status: store.StatusRemoved, Kind: m.Kind}, in, email, nil)
		if err != nil {
			return "", err
		}
		return "activated (active=true): " + g.action, nil
	case st.Invitations == 0:
		if _, err := t.ChangeStatus(ws, m, store.StatusActive); err != nil {
			return "", err
		}
		return "reactivated (active=true)", nil
	}
	if err := t.ClaimSeat(ws, m.ID); err != nil {
		return "", err
	}
	if _, err := t.Execute(`UPDATE memberships SET status = 'invited', updated_at = ?, version = version + 1 WHERE id = ?`, t.Now, m.ID); err != nil {
		return "", fmt.Errorf("reactivate invited member: %w", err)
	}
	if err := t.Emit(ws.ID, "member.reactivated", "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email, "previous_status": m.Status, "status": store.StatusInvited}); err != nil {
		return "", err
	}
	return "reactivated (active=true); still invited until the invitation is accepted", nil
}

// SCIMUpdate is a read-modify-write of a SCIM resource: it receives the
// current state and returns the full new representation, or an error
// (ErrPrecondition for an If-Match mismatch, ErrInvalid for a bad patch)
// that leaves everything unchanged.
type SCIMUpdate func(cur SCIMUser) (SCIMUserInput, error)

// SCIMUpdateUser replaces a SCIM user with what update returns, in one
// transaction: PUT and every PATCH go through here, so a PATCH is atomic.
// A new userName must be free; a changed email relinks an internal person
// (re-inviting them if their invitation is pending, or applying the
// bridge rules if they had no address yet); name and language follow
// for internal people only, since an external person's profile belongs to
// their home workspace; active=false suspends and revokes sessions, and
// active=true reactivates with a seat check.
func (d *Provisioner) SCIMUpdateUser(ctx context.Context, conn store.SCIMConnection, id string, update SCIMUpdate) (SCIMUser, string, error) {
	var email string
	apply := func(update SCIMUpdate) (out SCIMUser, did []string, err error) {
		err = d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
			did = did[:0]
			ws, err := scimWorkspace(t, conn)
			if err != nil {
				return err
			}
			cur, err := scimUser(t, ws.ID, id, true)
			if err != nil {
				return err
			}
			in, err := update(cur.public())
			if err != nil {
				return err
			}
			if err := validateSCIMUserInput(&in); err != nil {
				return err
			}
			same, err := cur.sameAs(in)
			if err != nil {
				return err
			}
			if same {
				// No change, no new version (RFC 7644 3.5.2): Entra
				// repeats PATCHes, and If-Match clients must not fail
				// for nothing.
				out = cur.public()
				did = append(did, "no change")
				return nil
			}
			// The address first, before writing anything a create of
			// the same person could be waiting for (users.go).
			if err := lockAddress(t, in.Email); err != nil {
				return err
			}
			if in.UserName != cur.UserName {
				did = append(did, fmt.Sprintf("userName %s → %s", cur.UserName, in.UserName))
				// The userName is the member's display in its groups.
				if err := t.TouchTeamsOf(cur.ID); err != nil {
					return err
				}
			}
			r, err := scimWriteUser(t, ws.ID, cur.ID, in, false)
			if err != nil {
				return err
			}
			email = in.Email
			changes, err := scimUpdatePerson(t, ws, conn, cur, in, email)
			if err != nil {
				return err
			}
			did = append(did, changes...)
			change, err := scimSetActive(t, ws, conn, r, in, in.Active)
			if err != nil {
				return err
			}
			if change != "" {
				did = append(did, change)
			}
			if len(changes) > 0 || change != "" {
				if r, err = scimUser(t, ws.ID, cur.ID, false); err != nil {
					return err
				}
			}
			out = r.public()
			return t.Emit(ws.ID, "member.updated", "member", r.ID, map[string]any{"user_id": r.UserID, "user_name": r.UserName, "external_id": r.ExternalID,
				"status": r.Status, "via": "scim", "changes": did})
		})
		return out, did, err
	}
	out, did, err := apply(update)
	var seatErr *store.SeatLimitError
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, conn.Actor(), conn.WorkspaceID, seatErr, email, "scim reactivation")
		if conn.SeatPolicy == store.SeatPolicySuspend {
			// The rest of the update applies; the person stays suspended.
			out, did, err = apply(func(cur SCIMUser) (SCIMUserInput, error) {
				in, err := update(cur)
				in.Active = false
				return in, err
			})
			did = append(did, "still suspended: "+seatErr.Error())
		}
	}
	if err != nil {
		return SCIMUser{}, "", fmt.Errorf("update user %s: %w", id, err)
	}
	if len(did) == 0 {
		did = append(did, "attributes updated")
	}
	return out, "updated user " + out.UserName + ": " + strings.Join(did, "; "), nil
}

// sameAs reports whether in is the representation already stored: same
// userName, externalId, active and attributes (compared as JSON values).
func (r *scimUserRow) sameAs(in SCIMUserInput) (bool, error) {
	if in.UserName != r.UserName || in.Active != (r.Status != store.StatusSuspended) || !store.EqualRole(in.ExternalID, r.ExternalID) {
		return false, nil
	}
	next, err := json.Marshal(in.Attrs)
	if err != nil {
		return false, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	var stored map[string]any
	dec := json.NewDecoder(strings.NewReader(r.Attrs))
	dec.UseNumber()
	if err := dec.Decode(&stored); err != nil {
		return false, nil // unreadable: store the new one
	}
	if stored == nil {
		stored = map[string]any{}
	}
	prev, err := json.Marshal(stored)
	if err != nil {
		return false, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	return bytes.Equal(prev, next), nil
}

// scimUpdatePerson carries a new representation over to the person:
// email, name and language of an internal person; the bridge rules for a
// person who just got their first address.
func scimUpdatePerson(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, cur *scimUserRow, in SCIMUserInput, email string) ([]string, error) {
	var u store.UserRow
	if err := t.GetOne(&u, `SELECT `+store.UserColumns+` FROM users WHERE id = ?`, cur.UserID); err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	var did []string
	internal := cur.Kind == store.KindInternal && (u.HomeWorkspaceID == nil || *u.HomeWorkspaceID == ws.ID)
	if !internal {
		return nil, nil
	}
	name, locale := in.Name, in.Locale
	if (name != "" && name != u.Name) || (locale != "" && locale != u.Locale) {
		if name == "" {
			name = u.Name
		}
		if locale == "" {
			locale = u.Locale
		}
		if _, err := t.Execute(`UPDATE users SET name = ?, locale = ?, updated_at = ? WHERE id = ?`, name, locale, t.Now, u.ID); err != nil {
			return nil, fmt.Errorf("update profile: %w", err)
		}
	}
	old := ""
	if u.EmailNorm != nil {
		old = *u.EmailNorm
	}
	if email == "" || email == old {
		return did, nil
	}
	other, err := t.UserByEmail(email)
	if err != nil {
		return nil, err
	}
	if other != nil {
		// The address is someone else's identity: never merge two people.
		return append(did, fmt.Sprintf("email %s belongs to another person; not linked", email)), nil
	}
	if _, err := t.Execute(`UPDATE users SET email = ?, email_norm = ?, updated_at = ? WHERE id = ?`, email, email, t.Now, u.ID); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, fmt.Errorf("%w: email %s is taken", store.ErrConflict, email)
		}
		return nil, fmt.Errorf("change email: %w", err)
	}
	did = append(did, fmt.Sprintf("email %s → %s", orNone(old), email))
	if cur.Status != store.StatusInvited {
		return did, nil
	}
	// An invited person's invitation names the old address (or none was
	// possible): revoke it and apply the rules to the new one.
	if _, err := t.Execute(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE membership_id = ? AND status = 'pending'`, t.Now, cur.ID); err != nil {
		return nil, fmt.Errorf("revoke invitation: %w", err)
	}
	role, err := t.Role(ws.ID, conn.DefaultRole)
	if err != nil {
		return nil, fmt.Errorf("%w: the connection's default role %q no longer exists", store.ErrInvalid, conn.DefaultRole)
	}
	if conn.Activation == store.ActivationDomain {
		verified, err := scimDomainVerified(t, ws.ID, store.EmailDomain(email))
		if err != nil {
			return nil, err
		}
		if verified {
			am, err := t.Activate(ws, cur.ID, store.Activation{Role: role.Key, Via: "scim", ViaID: conn.ID})
			if err != nil {
				return nil, err
			}
			return append(did, "activated (verified domain "+store.EmailDomain(am.Email)+")"), nil
		}
	}
	p, err := t.Principal(ws)
	if err != nil {
		return nil, err
	}
	inv, err := t.InviteOne(ws, p, store.InviteSpec{Email: email, Name: in.Name, Role: role, Teams: []string{}, SendEmail: conn.SendInvitations, Source: store.SourceSCIM, Inviter: p})
	if err != nil {
		return nil, err
	}
	return append(did, fmt.Sprintf("invited %s (%s)", email, inv.Status)), nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// SCIMDeleteUser removes a SCIM user (a SCIM DELETE): the membership
// becomes a tombstone that keeps its userName and externalId, so the same
// account provisioned again revives it. check sees the current state first
// (If-Match).
func (d *Provisioner) SCIMDeleteUser(ctx context.Context, conn store.SCIMConnection, id string, check func(cur SCIMUser) error) (string, error) {
	var name string
	err := d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
		ws, err := scimWorkspace(t, conn)
		if err != nil {
			return err
		}
		cur, err := scimUser(t, ws.ID, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur.public()); err != nil {
				return err
			}
		}
		name = cur.UserName
		m, err := t.Member(ws.ID, cur.ID)
		if err != nil {
			return err
		}
		return t.RemoveMembership(ws, m)
	})
	if err != nil {
		return "", fmt.Errorf("delete user %s: %w", id, err)
	}
	return "removed user " + name + " (tombstone kept for re-provisioning)", nil
}
