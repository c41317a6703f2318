package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// scimSetActive applies active=true/false to a SCIM user: false suspends
// it (sessions revoked, event, email: changeStatus); true reactivates it
// with a seat check, back to invited when it still has a pending
// invitation (someone who never accepted must still accept), and applies
// the bridge rules to someone created inactive. It says what it did.
func (t *tx) scimSetActive(ws *workspaceRow, conn SCIMConnection, r *scimUserRow, in SCIMUserInput, active bool) (string, error) {
	if active == (r.Status != StatusSuspended) {
		return "", nil
	}
	m, err := t.member(ws.ID, r.ID)
	if err != nil {
		return "", err
	}
	if !active {
		if _, err := t.changeStatus(ws, m, StatusSuspended); err != nil {
			return "", err
		}
		return "suspended (active=false); sessions revoked", nil
	}
	var st struct {
		PendingGrant bool `db:"scim_pending_grant"`
		Invitations  int  `db:"invitations"`
	}
	if err := t.get(&st, `SELECT scim_pending_grant, (SELECT COUNT(*) FROM invitations WHERE membership_id = ? AND status = 'pending') AS invitations
		FROM memberships WHERE id = ?`, m.ID, m.ID); err != nil {
		return "", fmt.Errorf("reactivate member: %w", err)
	}
	switch {
	case st.PendingGrant:
		// Created inactive: grant now, as a create would have, to the
		// person this membership already is.
		if _, err := t.exec(`UPDATE memberships SET status = 'removed', scim_pending_grant = FALSE WHERE id = ?`, m.ID); err != nil {
			return "", fmt.Errorf("reactivate member: %w", err)
		}
		email := m.Email
		if email == "" {
			email = in.Email
		}
		g, err := t.scimGrant(ws, conn, &scimMembership{ID: m.ID, UserID: m.UserID, Status: StatusRemoved, Kind: m.Kind}, in, email, nil)
		if err != nil {
			return "", err
		}
		return "activated (active=true): " + g.action, nil
	case st.Invitations == 0:
		if _, err := t.changeStatus(ws, m, StatusActive); err != nil {
			return "", err
		}
		return "reactivated (active=true)", nil
	}
	if err := t.claimSeat(ws, m.ID); err != nil {
		return "", err
	}
	if _, err := t.exec(`UPDATE memberships SET status = 'invited', updated_at = ?, version = version + 1 WHERE id = ?`, t.now, m.ID); err != nil {
		return "", fmt.Errorf("reactivate invited member: %w", err)
	}
	if err := t.emit(ws.ID, "member.reactivated", "member", m.ID, map[string]string{"user_id": m.UserID, "email": m.Email, "previous_status": m.Status, "status": StatusInvited}); err != nil {
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
func (d *Directory) SCIMUpdateUser(ctx context.Context, conn SCIMConnection, id string, update SCIMUpdate) (SCIMUser, string, error) {
	var email string
	apply := func(update SCIMUpdate) (out SCIMUser, did []string, err error) {
		err = d.inTx(ctx, conn.Actor(), func(t *tx) error {
			did = did[:0]
			ws, err := t.scimWorkspace(conn)
			if err != nil {
				return err
			}
			cur, err := t.scimUser(ws.ID, id, true)
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
			if err := t.lockAddress(in.Email); err != nil {
				return err
			}
			if in.UserName != cur.UserName {
				did = append(did, fmt.Sprintf("userName %s → %s", cur.UserName, in.UserName))
				// The userName is the member's display in its groups.
				if err := t.touchTeamsOf(cur.ID); err != nil {
					return err
				}
			}
			r, err := t.scimWriteUser(ws.ID, cur.ID, in, false)
			if err != nil {
				return err
			}
			email = in.Email
			changes, err := t.scimUpdatePerson(ws, conn, cur, in, email)
			if err != nil {
				return err
			}
			did = append(did, changes...)
			change, err := t.scimSetActive(ws, conn, r, in, in.Active)
			if err != nil {
				return err
			}
			if change != "" {
				did = append(did, change)
			}
			if len(changes) > 0 || change != "" {
				if r, err = t.scimUser(ws.ID, cur.ID, false); err != nil {
					return err
				}
			}
			out = r.public()
			return t.emit(ws.ID, "member.updated", "member", r.ID, map[string]any{"user_id": r.UserID, "user_name": r.UserName, "external_id": r.ExternalID,
				"status": r.Status, "via": "scim", "changes": did})
		})
		return out, did, err
	}
	out, did, err := apply(update)
	var seatErr *SeatLimitError
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, conn.Actor(), conn.WorkspaceID, seatErr, email, "scim reactivation")
		if conn.SeatPolicy == SeatPolicySuspend {
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
	if in.UserName != r.UserName || in.Active != (r.Status != StatusSuspended) || !equalRole(in.ExternalID, r.ExternalID) {
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
func (t *tx) scimUpdatePerson(ws *workspaceRow, conn SCIMConnection, cur *scimUserRow, in SCIMUserInput, email string) ([]string, error) {
	var u userRow
	if err := t.get(&u, `SELECT `+userColumns+` FROM users WHERE id = ?`, cur.UserID); err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	var did []string
	internal := cur.Kind == KindInternal && (u.HomeWorkspaceID == nil || *u.HomeWorkspaceID == ws.ID)
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
		if _, err := t.exec(`UPDATE users SET name = ?, locale = ?, updated_at = ? WHERE id = ?`, name, locale, t.now, u.ID); err != nil {
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
	other, err := t.userByEmail(email)
	if err != nil {
		return nil, err
	}
	if other != nil {
		// The address is someone else's identity: never merge two people.
		return append(did, fmt.Sprintf("email %s belongs to another person; not linked", email)), nil
	}
	if _, err := t.exec(`UPDATE users SET email = ?, email_norm = ?, updated_at = ? WHERE id = ?`, email, email, t.now, u.ID); err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("%w: email %s is taken", ErrConflict, email)
		}
		return nil, fmt.Errorf("change email: %w", err)
	}
	did = append(did, fmt.Sprintf("email %s → %s", orNone(old), email))
	if cur.Status != StatusInvited {
		return did, nil
	}
	// An invited person's invitation names the old address (or none was
	// possible): revoke it and apply the rules to the new one.
	if _, err := t.exec(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE membership_id = ? AND status = 'pending'`, t.now, cur.ID); err != nil {
		return nil, fmt.Errorf("revoke invitation: %w", err)
	}
	role, err := t.role(ws.ID, conn.DefaultRole)
	if err != nil {
		return nil, fmt.Errorf("%w: the connection's default role %q no longer exists", ErrInvalid, conn.DefaultRole)
	}
	if conn.Activation == ActivationDomain {
		verified, err := t.scimDomainVerified(ws.ID, EmailDomain(email))
		if err != nil {
			return nil, err
		}
		if verified {
			am, err := t.activate(ws, cur.ID, activation{role: role.Key, via: "scim", viaID: conn.ID})
			if err != nil {
				return nil, err
			}
			return append(did, "activated (verified domain "+EmailDomain(am.Email)+")"), nil
		}
	}
	p, err := t.principal(ws)
	if err != nil {
		return nil, err
	}
	inv, err := t.inviteOne(ws, p, inviteSpec{email: email, name: in.Name, role: role, teams: []string{}, sendEmail: conn.SendInvitations, source: SourceSCIM, inviter: p})
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
func (d *Directory) SCIMDeleteUser(ctx context.Context, conn SCIMConnection, id string, check func(cur SCIMUser) error) (string, error) {
	var name string
	err := d.inTx(ctx, conn.Actor(), func(t *tx) error {
		ws, err := t.scimWorkspace(conn)
		if err != nil {
			return err
		}
		cur, err := t.scimUser(ws.ID, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur.public()); err != nil {
				return err
			}
		}
		name = cur.UserName
		m, err := t.member(ws.ID, cur.ID)
		if err != nil {
			return err
		}
		return t.removeMembership(ws, m)
	})
	if err != nil {
		return "", fmt.Errorf("delete user %s: %w", id, err)
	}
	return "removed user " + name + " (tombstone kept for re-provisioning)", nil
}
