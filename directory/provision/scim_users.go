package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SCIMUser is a SCIM User resource as Roster keeps it: a membership that
// has a userName. The SCIM id is the membership id, so ids never cross
// workspaces.
type SCIMUser struct {
	ID         string
	UserID     string
	UserName   string
	ExternalID *string
	// Active is false only for suspended memberships: an invited person
	// the IdP created is active from the IdP's point of view.
	Active bool
	// Status and Kind are the membership's (invited/active/suspended,
	// internal/external).
	Status string
	Kind   string
	// Attrs holds the SCIM attributes the IdP sent that have no column
	// (name, emails, displayName, the enterprise extension…), as a JSON
	// object with the schema's attribute names.
	Attrs     json.RawMessage
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SCIMUserInput is a full user representation from the IdP (a POST, a PUT,
// or the result of applying a PATCH), already read by the SCIM door: it
// knows the schema, picks the address that identifies the person and
// their name, and keeps the rest of the resource in Attrs.
type SCIMUserInput struct {
	UserName   string
	ExternalID *string
	Active     bool
	// Email is the address that identifies the person ("" for none: such
	// a user is kept but cannot be invited yet). It must be an address
	// (see NormalizeEmail).
	Email string
	// Name is the person's display name and Locale their language, used
	// when the IdP creates the person.
	Name, Locale string
	// Emails are the user's addresses as sent, kept so that lists can be
	// filtered on them (the email fields of SCIMCond).
	Emails []SCIMEmail
	// Attrs holds every other attribute the IdP sent. It is stored as
	// JSON and returned as it is (SCIMUser.Attrs); the directory reads
	// nothing in it, though lists may filter on it (FieldAttr).
	Attrs map[string]any
}

// SCIMEmail is one of a SCIM user's addresses.
type SCIMEmail struct {
	Value   string
	Type    string
	Display string
	Primary bool
}

// scimUserRow is the stored form of SCIMUser.
type scimUserRow struct {
	ID         string    `db:"id"`
	UserID     string    `db:"user_id"`
	UserName   string    `db:"scim_user_name"`
	ExternalID *string   `db:"external_id"`
	Status     string    `db:"status"`
	Kind       string    `db:"kind"`
	Attrs      string    `db:"scim_attrs"`
	Version    int       `db:"version"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

const scimUserColumns = `m.id, m.user_id, m.scim_user_name, m.external_id, m.status, m.kind, m.scim_attrs, m.version, m.created_at, m.updated_at`

// scimVisible is the predicate of the memberships that are SCIM users of
// workspace ?: the partial indexes of 00003 match it.
const scimVisible = `m.workspace_id = ? AND m.scim_user_name_norm IS NOT NULL AND m.status <> 'removed'`

func (r *scimUserRow) public() SCIMUser {
	return SCIMUser{ID: r.ID, UserID: r.UserID, UserName: r.UserName, ExternalID: r.ExternalID, Active: r.Status != store.StatusSuspended,
		Status: r.Status, Kind: r.Kind, Attrs: json.RawMessage(r.Attrs), Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// validateSCIMUserInput checks what the domain needs of a representation.
func validateSCIMUserInput(in *SCIMUserInput) error {
	in.UserName = strings.TrimSpace(in.UserName)
	if in.UserName == "" {
		return store.Invalidf("userName is required")
	}
	if err := checkSCIMUser(in); err != nil {
		return err
	}
	if in.Email != "" {
		email, err := store.NormalizeEmail(in.Email)
		if err != nil {
			return store.Invalidf("the user's email %q: %v", in.Email, err)
		}
		in.Email = email
	}
	if in.Attrs == nil {
		in.Attrs = map[string]any{}
	}
	return nil
}

// scimUser loads a visible SCIM user of ws, locked for update when lock.
// The lock is FOR NO KEY UPDATE: it queues writers of the user without
// blocking a group change that references it, so a user change that then
// bumps its groups' versions (touchTeamsOf) cannot deadlock with one.
func scimUser(t *store.Tx, workspaceID, id string, lock bool) (*scimUserRow, error) {
	var r scimUserRow
	q := `SELECT ` + scimUserColumns + ` FROM memberships m WHERE ` + scimVisible + ` AND m.id = ?`
	if lock {
		q += t.ForNoKeyUpdate()
	}
	if err := t.GetOne(&r, q, workspaceID, id); err != nil {
		return nil, store.NotFound(err, "user "+id)
	}
	return &r, nil
}

// scimMembership is a membership the bridge may reuse for a SCIM user.
type scimMembership struct {
	ID           string  `db:"id"`
	UserID       string  `db:"user_id"`
	Status       string  `db:"status"`
	Kind         string  `db:"kind"`
	UserNameNorm *string `db:"scim_user_name_norm"`
	ExternalID   *string `db:"external_id"`
}

// scimSameAccount reports whether a SCIM tombstone is the IdP account in
// comes back: the same externalId when both have one, else the same
// userName (case-insensitively). Only then may the tombstone be revived
// under its old id; a SCIM id is never given to another account (RFC 7643
// 3.1, RFC 7644 3.6).
func scimSameAccount(tomb *scimMembership, in SCIMUserInput) bool {
	if tomb.ExternalID != nil && *tomb.ExternalID != "" && in.ExternalID != nil && *in.ExternalID != "" {
		return *tomb.ExternalID == *in.ExternalID
	}
	return tomb.UserNameNorm != nil && *tomb.UserNameNorm == store.FoldCase(in.UserName)
}

// scimDiscardTombstone deletes a SCIM tombstone that another IdP account
// of the same person replaces: the person's membership gets a new id, and
// the old one answers 404 for good. Its events stay in the feed.
func scimDiscardTombstone(t *store.Tx, id string) error {
	if _, err := t.Execute(`DELETE FROM memberships WHERE id = ? AND status = 'removed'`, id); err != nil {
		return fmt.Errorf("discard removed SCIM user: %w", err)
	}
	return nil
}

// SCIMCreateUser provisions a user the IdP created, by DESIGN.md's bridge
// rules: someone internal to another workspace gets an external invited
// membership that they must accept; someone whose email domain this
// workspace verified becomes an active internal member (unless the
// connection invites everyone); anyone else gets an invitation, emailed if
// the connection says so. A membership that already exists (an invitation
// sent by hand, say) is adopted; a tombstone left by a SCIM DELETE is
// revived under its old id when it is the same IdP account
// (scimSameAccount), and discarded when another account of the same
// person replaces it, so a SCIM id never passes to another account. The seat limit refuses with a *SeatLimitError
// (or creates the person suspended under the "suspend" seat policy) and
// notifies the admins. It returns the user and what was done.
func (d *Provisioner) SCIMCreateUser(ctx context.Context, conn store.SCIMConnection, in SCIMUserInput) (SCIMUser, string, error) {
	if err := validateSCIMUserInput(&in); err != nil {
		return SCIMUser{}, "", err
	}
	email := in.Email
	provision := func(in SCIMUserInput) (out SCIMUser, did string, err error) {
		err = d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
			ws, err := scimWorkspace(t, conn)
			if err != nil {
				return err
			}
			r, action, err := scimProvision(t, ws, conn, in, email)
			if err != nil {
				return err
			}
			out, did = r.public(), action
			return nil
		})
		return out, did, err
	}
	out, did, err := provision(in)
	var seatErr *store.SeatLimitError
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, conn.Actor(), conn.WorkspaceID, seatErr, email, "scim")
		if conn.SeatPolicy == store.SeatPolicySuspend {
			// Created suspended instead: a suspended member holds no seat.
			in.Active = false
			out, did, err = provision(in)
			did += " (" + seatErr.Error() + ")"
		}
	}
	if err != nil {
		return SCIMUser{}, "", fmt.Errorf("provision %s: %w", in.UserName, err)
	}
	return out, did, nil
}

// scimProvision is SCIMCreateUser inside its transaction.
func scimProvision(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, in SCIMUserInput, email string) (*scimUserRow, string, error) {
	var m *scimMembership
	var person *scimPerson
	var action string
	if email != "" {
		found, err := scimPersonAt(t, ws.ID, email, scimActivationDomain(conn, email))
		if err != nil {
			return nil, "", err
		}
		if found.member != nil && found.member.Status != store.StatusRemoved && found.member.UserNameNorm != nil {
			// Another SCIM user of this workspace already is this person
			// (IdPs may repeat an address across accounts): this one is
			// kept without linking the address, never merged.
			action = fmt.Sprintf("email %s belongs to another SCIM user here; not linked; ", email)
			email = ""
		} else {
			m, person = found.member, &found
			if m != nil && m.Status == store.StatusRemoved && m.UserNameNorm != nil && !scimSameAccount(m, in) {
				// The person's SCIM tombstone belongs to another IdP
				// account: this one starts afresh under a new id.
				if err := scimDiscardTombstone(t, m.ID); err != nil {
					return nil, "", err
				}
				action = "replaced the removed SCIM user of another IdP account; "
				m, found.member = nil, nil
			}
		}
	}
	if email == "" {
		// No address to match the person on: a tombstone with the same
		// userName or externalId is the same account coming back.
		tomb, err := scimTombstone(t, ws.ID, in)
		if err != nil {
			return nil, "", err
		}
		m = tomb
	}
	fresh := false
	var r *scimUserRow
	if m != nil && m.Status == store.StatusRemoved {
		// A revived tombstone reappears in the groups it was left in
		// (a revoked invitation keeps them).
		if err := t.TouchTeamsOf(m.ID); err != nil {
			return nil, "", err
		}
	}
	switch {
	case m != nil && m.Status != store.StatusRemoved:
		action += "linked existing " + m.Status + " member"
	case !in.Active:
		created, err := scimCreateSuspended(t, ws, conn, m, in, email)
		if err != nil {
			return nil, "", err
		}
		m, fresh, action = created.m, created.fresh, action+created.action
	default:
		granted, err := scimGrant(t, ws, conn, m, in, email, person)
		if err != nil {
			return nil, "", err
		}
		m, fresh, action, r = granted.m, granted.fresh, action+granted.action, granted.row
	}
	var err error
	if r != nil {
		// The membership was inserted with its SCIM columns; only the
		// email index is left.
		err = scimWriteEmails(t, ws.ID, m.ID, in.Emails)
	} else {
		r, err = scimWriteUser(t, ws.ID, m.ID, in, fresh)
	}
	if err != nil {
		return nil, "", err
	}
	if !in.Active && r.Status != store.StatusSuspended {
		// An existing member the IdP links as inactive.
		if _, err := scimSetActive(t, ws, conn, r, in, false); err != nil {
			return nil, "", err
		}
		action += "; suspended (active=false)"
		if r, err = scimUser(t, ws.ID, m.ID, false); err != nil {
			return nil, "", err
		}
	}
	if err := t.Emit(ws.ID, "member.provisioned", "member", r.ID, map[string]any{"user_id": r.UserID, "user_name": r.UserName,
		"external_id": r.ExternalID, "email": email, "status": r.Status, "kind": r.Kind, "connection_id": conn.ID}); err != nil {
		return nil, "", err
	}
	return r, action, nil
}

// scimTombstone finds the removed SCIM membership of the same IdP account
// (scimSameAccount): by externalId, else by userName; nil when there is
// none.
func scimTombstone(t *store.Tx, workspaceID string, in SCIMUserInput) (*scimMembership, error) {
	const cols = `SELECT m.id, m.user_id, m.status, m.kind, m.scim_user_name_norm, m.external_id FROM memberships m
		WHERE m.workspace_id = ? AND m.status = 'removed' AND `
	var ms []scimMembership
	if in.ExternalID != nil && *in.ExternalID != "" {
		if err := t.SelectRows(&ms, cols+`m.scim_user_name_norm IS NOT NULL AND m.external_id = ? ORDER BY m.removed_at DESC LIMIT 1`, workspaceID, *in.ExternalID); err != nil {
			return nil, fmt.Errorf("find removed SCIM user: %w", err)
		}
		if len(ms) > 0 {
			return &ms[0], nil
		}
	}
	if err := t.SelectRows(&ms, cols+`m.scim_user_name_norm = ? ORDER BY m.removed_at DESC LIMIT 1`, workspaceID, store.FoldCase(in.UserName)); err != nil {
		return nil, fmt.Errorf("find removed SCIM user: %w", err)
	}
	if len(ms) == 0 || !scimSameAccount(&ms[0], in) {
		return nil, nil
	}
	return &ms[0], nil
}

func scimWriteUser(t *store.Tx, workspaceID, membershipID string, in SCIMUserInput, fresh bool) (*scimUserRow, error) {
	attrs, err := json.Marshal(in.Attrs)
	if err != nil {
		return nil, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	var r scimUserRow
	err = t.GetOne(&r, `UPDATE memberships SET scim_user_name = ?, scim_user_name_norm = ?, external_id = ?, scim_attrs = ?, updated_at = ?, version = version + 1
		WHERE id = ? RETURNING `+strings.ReplaceAll(scimUserColumns, "m.", ""),
		in.UserName, store.FoldCase(in.UserName), in.ExternalID, string(attrs), t.Now, membershipID)
	if store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("%w: userName %q is already taken in this workspace", store.ErrConflict, in.UserName)
	} else if err != nil {
		return nil, fmt.Errorf("store SCIM user: %w", err)
	}
	if !fresh {
		if _, err := t.Execute(`DELETE FROM scim_emails WHERE membership_id = ?`, membershipID); err != nil {
			return nil, fmt.Errorf("store SCIM emails: %w", err)
		}
	}
	return &r, scimWriteEmails(t, workspaceID, membershipID, in.Emails)
}

// scimWriteEmails indexes a user's emails, one row per element.
func scimWriteEmails(t *store.Tx, workspaceID, membershipID string, emails []SCIMEmail) error {
	if len(emails) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO scim_emails (membership_id, position, workspace_id, value, value_norm, type, is_primary, display) VALUES `)
	args := make([]any, 0, 8*len(emails))
	for i, e := range emails {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		var typ, display *string
		if e.Type != "" {
			ft := store.FoldCase(e.Type)
			typ = &ft
		}
		if e.Display != "" {
			display = &e.Display
		}
		args = append(args, membershipID, i, workspaceID, e.Value, store.FoldCase(strings.TrimSpace(e.Value)), typ, e.Primary, display)
	}
	if _, err := t.Execute(b.String(), args...); err != nil {
		return fmt.Errorf("store SCIM emails: %w", err)
	}
	return nil
}
