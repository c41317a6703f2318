package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
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

// maxSCIMEmails bounds the addresses kept per user.
const maxSCIMEmails = 100

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
	return SCIMUser{ID: r.ID, UserID: r.UserID, UserName: r.UserName, ExternalID: r.ExternalID, Active: r.Status != StatusSuspended,
		Status: r.Status, Kind: r.Kind, Attrs: json.RawMessage(r.Attrs), Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// validateSCIMUserInput checks what the domain needs of a representation.
func validateSCIMUserInput(in *SCIMUserInput) error {
	in.UserName = strings.TrimSpace(in.UserName)
	if in.UserName == "" {
		return invalidf("userName is required")
	}
	if len(in.UserName) > 512 {
		return invalidf("userName is longer than 512 characters")
	}
	if in.ExternalID != nil && len(*in.ExternalID) > 512 {
		return invalidf("externalId is longer than 512 characters")
	}
	if in.Email != "" {
		email, err := NormalizeEmail(in.Email)
		if err != nil {
			return invalidf("the user's email %q: %v", in.Email, err)
		}
		in.Email = email
	}
	if len(in.Emails) > maxSCIMEmails {
		return invalidf("at most %d emails per user", maxSCIMEmails)
	}
	if in.Attrs == nil {
		in.Attrs = map[string]any{}
	}
	return nil
}

// scimUser loads a visible SCIM user of ws, locked for update when lock.
func (t *tx) scimUser(workspaceID, id string, lock bool) (*scimUserRow, error) {
	var r scimUserRow
	q := `SELECT ` + scimUserColumns + ` FROM memberships m WHERE ` + scimVisible + ` AND m.id = ?`
	if lock {
		q += t.forUpdate()
	}
	if err := t.get(&r, q, workspaceID, id); err != nil {
		return nil, notFound(err, "user "+id)
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
}

// SCIMCreateUser provisions a user the IdP created, by DESIGN.md's bridge
// rules: someone internal to another workspace gets an external invited
// membership that they must accept; someone whose email domain this
// workspace verified becomes an active internal member (unless the
// connection invites everyone); anyone else gets an invitation, emailed if
// the connection says so. A membership that already exists (an invitation
// sent by hand, say) is adopted; a tombstone left by a SCIM DELETE is
// revived under its old id. The seat limit refuses with a *SeatLimitError
// (or creates the person suspended under the "suspend" seat policy) and
// notifies the admins. It returns the user and what was done.
func (d *Directory) SCIMCreateUser(ctx context.Context, conn SCIMConnection, in SCIMUserInput) (SCIMUser, string, error) {
	if err := validateSCIMUserInput(&in); err != nil {
		return SCIMUser{}, "", err
	}
	email := in.Email
	provision := func(in SCIMUserInput) (out SCIMUser, did string, err error) {
		// Most creates only read once and insert: optimistic.go.
		err = d.inTxOptimistic(ctx, conn.Actor(), conn.WorkspaceID, func(t *tx) error {
			ws, err := t.scimWorkspace(conn)
			if err != nil {
				return err
			}
			r, action, err := t.scimProvision(ws, conn, in, email)
			if err != nil {
				return err
			}
			out, did = r.public(), action
			return nil
		})
		return out, did, err
	}
	out, did, err := provision(in)
	var seatErr *SeatLimitError
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, conn.Actor(), conn.WorkspaceID, seatErr, email, "scim")
		if conn.SeatPolicy == SeatPolicySuspend {
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
func (t *tx) scimProvision(ws *workspaceRow, conn SCIMConnection, in SCIMUserInput, email string) (*scimUserRow, string, error) {
	var m *scimMembership
	var person *scimPerson
	var action string
	if email != "" {
		found, err := t.scimPersonAt(ws.ID, email, scimActivationDomain(conn, email))
		if err != nil {
			return nil, "", err
		}
		if found.member != nil && found.member.Status != StatusRemoved && found.member.UserNameNorm != nil {
			// Another SCIM user of this workspace already is this person
			// (IdPs may repeat an address across accounts): this one is
			// kept without linking the address, never merged.
			action = fmt.Sprintf("email %s belongs to another SCIM user here; not linked; ", email)
			email = ""
		} else {
			m, person = found.member, &found
		}
	}
	if email == "" {
		// No address to match the person on: a tombstone with the same
		// userName or externalId is the same account coming back.
		tomb, err := t.scimTombstone(ws.ID, in)
		if err != nil {
			return nil, "", err
		}
		m = tomb
	}
	fresh := false
	var r *scimUserRow
	switch {
	case m != nil && m.Status != StatusRemoved:
		action += "linked existing " + m.Status + " member"
	case !in.Active:
		created, err := t.scimCreateSuspended(ws, conn, m, in, email)
		if err != nil {
			return nil, "", err
		}
		m, fresh, action = created.m, created.fresh, action+created.action
	default:
		granted, err := t.scimGrant(ws, conn, m, in, email, person)
		if err != nil {
			return nil, "", err
		}
		m, fresh, action, r = granted.m, granted.fresh, action+granted.action, granted.row
	}
	var err error
	if r != nil {
		// The membership was inserted with its SCIM columns; only the
		// email index is left.
		err = t.scimWriteEmails(ws.ID, m.ID, in.Emails)
	} else {
		r, err = t.scimWriteUser(ws.ID, m.ID, in, fresh)
	}
	if err != nil {
		return nil, "", err
	}
	if !in.Active && r.Status != StatusSuspended {
		// An existing member the IdP links as inactive.
		if _, err := t.scimSetActive(ws, conn, r, in, false); err != nil {
			return nil, "", err
		}
		action += "; suspended (active=false)"
		if r, err = t.scimUser(ws.ID, m.ID, false); err != nil {
			return nil, "", err
		}
	}
	if err := t.emit(ws.ID, "member.provisioned", "member", r.ID, map[string]any{"user_id": r.UserID, "user_name": r.UserName,
		"external_id": r.ExternalID, "email": email, "status": r.Status, "kind": r.Kind, "connection_id": conn.ID}); err != nil {
		return nil, "", err
	}
	return r, action, nil
}

// scimTombstone finds a removed SCIM membership with the input's userName,
// else its externalId; nil when there is none.
func (t *tx) scimTombstone(workspaceID string, in SCIMUserInput) (*scimMembership, error) {
	var ms []scimMembership
	err := t.selectRows(&ms, `SELECT m.id, m.user_id, m.status, m.kind, m.scim_user_name_norm FROM memberships m
		WHERE m.workspace_id = ? AND m.status = 'removed' AND m.scim_user_name_norm = ? ORDER BY m.removed_at DESC LIMIT 1`, workspaceID, foldCase(in.UserName))
	if err == nil && len(ms) == 0 && in.ExternalID != nil && *in.ExternalID != "" {
		err = t.selectRows(&ms, `SELECT m.id, m.user_id, m.status, m.kind, m.scim_user_name_norm FROM memberships m
			WHERE m.workspace_id = ? AND m.status = 'removed' AND m.external_id = ? ORDER BY m.removed_at DESC LIMIT 1`, workspaceID, *in.ExternalID)
	}
	if err != nil {
		return nil, fmt.Errorf("find removed SCIM user: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return &ms[0], nil
}

// scimGrantResult is the membership a grant produced, whether it is a
// new row, and what it did.
type scimGrantResult struct {
	m      *scimMembership
	fresh  bool
	action string
	// row is the stored user when the grant already wrote its SCIM
	// columns (a new invited membership), else nil.
	row *scimUserRow
}

// scimGrant gives the person a seat by the bridge rules: m is nil (a new
// membership) or a tombstone to revive; email is "" when the person has no
// usable address; person is what scimPersonAt found for email in this
// transaction, or nil to look it up.
func (t *tx) scimGrant(ws *workspaceRow, conn SCIMConnection, m *scimMembership, in SCIMUserInput, email string, person *scimPerson) (scimGrantResult, error) {
	p, err := t.principal(ws)
	if err != nil {
		return scimGrantResult{}, err
	}
	role, err := t.role(ws.ID, conn.DefaultRole)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("%w: the connection's default role %q no longer exists", ErrInvalid, conn.DefaultRole)
	}
	name := in.Name
	if email == "" {
		// Nobody to invite: the person holds a seat, invited, until an
		// address arrives (scimUpdateEmail then applies the rules).
		if err := t.claimSeat(ws, ""); err != nil {
			return scimGrantResult{}, err
		}
		if m == nil {
			u, err := t.createUser("", name, "", in.Locale, ws.ID, "")
			if err != nil {
				return scimGrantResult{}, err
			}
			m = &scimMembership{ID: newID(), UserID: u.ID, Kind: KindInternal}
			if _, err := t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'invited', ?, 'scim', ?, ?)`,
				m.ID, ws.ID, u.ID, role.Key, role.Key, KindInternal, t.now, t.now); err != nil {
				return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
			}
		} else if _, err := t.exec(`UPDATE memberships SET role = ?, effective_role = ?, status = 'invited', source = 'scim', removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
			role.Key, role.Key, t.now, m.ID); err != nil {
			return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
		}
		fresh := m.Status == ""
		m.Status = StatusInvited
		if err := t.emit(ws.ID, "member.invited", "member", m.ID, map[string]any{"user_id": m.UserID, "role": role.Key, "via": "scim", "email": nil}); err != nil {
			return scimGrantResult{}, err
		}
		return scimGrantResult{m: m, fresh: fresh, action: "created without an email address (invited; no invitation sent)"}, nil
	}
	if person == nil {
		found, err := t.scimPersonAt(ws.ID, email, scimActivationDomain(conn, email))
		if err != nil {
			return scimGrantResult{}, err
		}
		person = &found
	}
	found := person.user
	if person.verified {
		u, kind, err := t.ensureFoundUser(ws, found, email, name, "", nil)
		if err != nil {
			return scimGrantResult{}, err
		}
		if kind == KindInternal {
			return t.scimActivate(ws, conn, m, u, role)
		}
		found = u
	}
	// Everyone else is invited; someone internal elsewhere joins as an
	// external member (inviteOne decides).
	attrs, err := json.Marshal(in.Attrs)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	spec := inviteSpec{email: email, name: name, role: role, teams: []string{}, sendEmail: conn.SendInvitations, source: SourceSCIM, inviter: p,
		found: true, user: found}
	if m == nil {
		spec.scim = &scimFields{userName: in.UserName, externalID: in.ExternalID, attrs: string(attrs)}
	}
	out, err := t.inviteOne(ws, p, spec)
	if err != nil {
		return scimGrantResult{}, err
	}
	if out.Status != OutcomeInvited {
		return scimGrantResult{}, fmt.Errorf("%w: %s", ErrConflict, out.Error)
	}
	sent := "not emailed"
	if conn.SendInvitations {
		sent = "emailed"
	}
	res := scimGrantResult{m: &scimMembership{ID: out.MembershipID, UserID: out.userID, Status: StatusInvited, Kind: out.Kind}, fresh: m == nil,
		action: fmt.Sprintf("invited %s as %s %s (invitation %s)", email, out.Kind, role.Key, sent)}
	if out.scimWritten {
		// Built from what was inserted, not read back: a new row's
		// version is the column default, 1.
		res.row = &scimUserRow{ID: out.MembershipID, UserID: out.userID, UserName: in.UserName, ExternalID: in.ExternalID, Status: StatusInvited,
			Kind: out.Kind, Attrs: string(attrs), Version: 1, CreatedAt: t.now, UpdatedAt: t.now}
	}
	return res, nil
}

// scimCreateSuspended provisions a person the IdP creates inactive (or,
// under the "suspend" seat policy, one over the seat limit): suspended,
// holding no seat, invited nowhere. active=true applies the bridge rules
// then (scim_pending_grant), so nobody skips an acceptance step this way.
func (t *tx) scimCreateSuspended(ws *workspaceRow, conn SCIMConnection, m *scimMembership, in SCIMUserInput, email string) (scimGrantResult, error) {
	role, err := t.role(ws.ID, conn.DefaultRole)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("%w: the connection's default role %q no longer exists", ErrInvalid, conn.DefaultRole)
	}
	fresh := m == nil
	if m == nil {
		var u *userRow
		kind := KindInternal
		if email != "" {
			u, kind, err = t.ensureUser(ws, email, in.Name, "", nil)
		} else {
			u, err = t.createUser("", in.Name, "", in.Locale, ws.ID, "")
		}
		if err != nil {
			return scimGrantResult{}, err
		}
		m = &scimMembership{ID: newID(), UserID: u.ID, Kind: kind}
		if _, err := t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, scim_pending_grant, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'suspended', ?, 'scim', TRUE, ?, ?)`, m.ID, ws.ID, u.ID, role.Key, role.Key, kind, t.now, t.now); err != nil {
			return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
		}
	} else if _, err := t.exec(`UPDATE memberships SET status = 'suspended', role = ?, effective_role = ?, source = 'scim', scim_pending_grant = TRUE, removed_at = NULL,
		updated_at = ?, version = version + 1 WHERE id = ?`, role.Key, role.Key, t.now, m.ID); err != nil {
		return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
	}
	m.Status = StatusSuspended
	return scimGrantResult{m: m, fresh: fresh, action: "created suspended (active=false: holds no seat, nobody invited yet)"}, nil
}

// scimActivate makes an internal person with a verified-domain address an
// active member at once: a new membership or a revived tombstone, through
// the same activation (seat check, event) every door uses.
func (t *tx) scimActivate(ws *workspaceRow, conn SCIMConnection, m *scimMembership, u *userRow, role Role) (scimGrantResult, error) {
	fresh := m == nil
	if m == nil {
		m = &scimMembership{ID: newID(), UserID: u.ID}
		// Inserted as removed so activate() claims a seat for it like
		// for any tombstone.
		if _, err := t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at, removed_at) VALUES (?, ?, ?, ?, ?, 'removed', 'internal', 'scim', ?, ?, ?)`,
			m.ID, ws.ID, u.ID, role.Key, role.Key, t.now, t.now, t.now); err != nil {
			return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
		}
	} else if _, err := t.exec(`UPDATE memberships SET kind = 'internal', source = 'scim' WHERE id = ?`, m.ID); err != nil {
		return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
	}
	am, err := t.activate(ws, m.ID, activation{role: role.Key, via: "scim", viaID: conn.ID})
	if err != nil {
		return scimGrantResult{}, err
	}
	m.Status, m.Kind = am.Status, KindInternal
	return scimGrantResult{m: m, fresh: fresh, action: fmt.Sprintf("activated %s as internal %s (verified domain %s)", am.Email, role.Key, EmailDomain(am.Email))}, nil
}

// scimDomainVerified reports whether the workspace verified domain.
func (t *tx) scimDomainVerified(workspaceID, domain string) (bool, error) {
	d, err := t.verifiedDomainOf(workspaceID, domain)
	return d != nil, err
}

// scimActivationDomain is the domain of email whose verification makes
// the person an active member at once: none ("") when the connection
// invites everyone.
func scimActivationDomain(conn SCIMConnection, email string) string {
	if conn.Activation != ActivationDomain {
		return ""
	}
	return EmailDomain(email)
}

// scimPerson is what provisioning an address needs to know, read in one
// query.
type scimPerson struct {
	// member is the person's membership in the workspace, any status,
	// locked for the transaction; nil when there is none.
	member *scimMembership
	// user has the address; nil when nobody has it.
	user *userRow
	// verified says the workspace verified the domain asked about.
	verified bool
}

// scimPersonAt finds the user with a normalised email, their membership in
// the workspace (locked on PostgreSQL) and whether the workspace verified
// emailDomain ("" for no domain), in one query: a SCIM create needs all
// three, and each round trip to the database is most of what a query
// costs.
func (t *tx) scimPersonAt(workspaceID, email, emailDomain string) (scimPerson, error) {
	domain, err := NormalizeDomain(emailDomain)
	if err != nil {
		domain = ""
	}
	if t.guessNewPerson(workspaceID, email, domain) {
		// Someone new, at a domain the workspace has not verified: the
		// run's final statement checks it (optimistic.go).
		return scimPerson{}, nil
	}
	var r struct {
		Verified        bool       `db:"verified"`
		ID              *string    `db:"id"`
		Email           *string    `db:"email"`
		EmailNorm       *string    `db:"email_norm"`
		Name            *string    `db:"name"`
		Phone           *string    `db:"phone"`
		Locale          *string    `db:"locale"`
		HomeWorkspaceID *string    `db:"home_workspace_id"`
		Profile         *string    `db:"profile"`
		CreatedAt       *time.Time `db:"created_at"`
		MemberID        *string    `db:"m_id"`
		MemberStatus    *string    `db:"m_status"`
		MemberKind      *string    `db:"m_kind"`
		MemberUserName  *string    `db:"m_user_name_norm"`
	}
	// The one-row derived table keeps a row when nobody has the address.
	// PostgreSQL cannot lock the nullable side of an outer join, so there
	// the membership is a LATERAL subquery that locks its row; SQLite has
	// no LATERAL and needs no lock (its writers are serialised).
	members := `LEFT JOIN memberships m ON m.user_id = u.id AND m.workspace_id = ?`
	if t.d.dialect == Postgres {
		members = `LEFT JOIN LATERAL (SELECT id, status, kind, scim_user_name_norm FROM memberships
			WHERE user_id = u.id AND workspace_id = ? FOR UPDATE) m ON TRUE`
	}
	// A peek: an optimistic run's inserts re-check through unique indexes
	// that nobody took the address or the membership meanwhile, and a
	// domain verified a moment later changes nothing that could not have
	// happened in the other order.
	err = t.peek(&r, `SELECT EXISTS (SELECT 1 FROM domains WHERE workspace_id = ? AND domain = ? AND verified_at IS NOT NULL) AS verified,
		u.id, u.email, u.email_norm, u.name, u.phone, u.locale, u.home_workspace_id, u.profile, u.created_at,
		m.id AS m_id, m.status AS m_status, m.kind AS m_kind, m.scim_user_name_norm AS m_user_name_norm
		FROM (SELECT 1 AS one) x LEFT JOIN users u ON u.email_norm = ? `+members, workspaceID, domain, email, workspaceID)
	if err != nil {
		return scimPerson{}, fmt.Errorf("find person, membership and verified domain: %w", err)
	}
	p := scimPerson{verified: r.Verified && domain != ""}
	if r.ID == nil {
		return p, nil
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	p.user = &userRow{ID: *r.ID, Email: r.Email, EmailNorm: r.EmailNorm, Name: str(r.Name), Phone: str(r.Phone), Locale: str(r.Locale),
		HomeWorkspaceID: r.HomeWorkspaceID, Profile: str(r.Profile), CreatedAt: *r.CreatedAt}
	if r.MemberID != nil {
		p.member = &scimMembership{ID: *r.MemberID, UserID: *r.ID, Status: str(r.MemberStatus), Kind: str(r.MemberKind), UserNameNorm: r.MemberUserName}
	}
	return p, nil
}

// scimWriteUser stores the SCIM side of a membership: userName (unique
// per workspace, case-insensitively: a clash is ErrConflict), externalId,
// the attributes and the email index, and returns the stored user. fresh
// says the membership is new, so it has no email rows to replace.
func (t *tx) scimWriteUser(workspaceID, membershipID string, in SCIMUserInput, fresh bool) (*scimUserRow, error) {
	attrs, err := json.Marshal(in.Attrs)
	if err != nil {
		return nil, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	var r scimUserRow
	err = t.get(&r, `UPDATE memberships SET scim_user_name = ?, scim_user_name_norm = ?, external_id = ?, scim_attrs = ?, updated_at = ?, version = version + 1
		WHERE id = ? RETURNING `+strings.ReplaceAll(scimUserColumns, "m.", ""),
		in.UserName, foldCase(in.UserName), in.ExternalID, string(attrs), t.now, membershipID)
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("%w: userName %q is already taken in this workspace", ErrConflict, in.UserName)
	} else if err != nil {
		return nil, fmt.Errorf("store SCIM user: %w", err)
	}
	if !fresh {
		if _, err := t.exec(`DELETE FROM scim_emails WHERE membership_id = ?`, membershipID); err != nil {
			return nil, fmt.Errorf("store SCIM emails: %w", err)
		}
	}
	return &r, t.scimWriteEmails(workspaceID, membershipID, in.Emails)
}

// isUserNameClash reports whether err is the unique index on a
// workspace's SCIM userNames refusing a row (PostgreSQL names the index,
// SQLite the column).
func isUserNameClash(err error) bool {
	return isUniqueViolation(err) && strings.Contains(err.Error(), "scim_user_name")
}

// scimWriteEmails indexes a user's emails, one row per element.
func (t *tx) scimWriteEmails(workspaceID, membershipID string, emails []SCIMEmail) error {
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
			ft := foldCase(e.Type)
			typ = &ft
		}
		if e.Display != "" {
			display = &e.Display
		}
		args = append(args, membershipID, i, workspaceID, e.Value, foldCase(strings.TrimSpace(e.Value)), typ, e.Primary, display)
	}
	if err := t.insert(nil, b.String(), args...); err != nil {
		return fmt.Errorf("store SCIM emails: %w", err)
	}
	return nil
}

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
			if in.UserName != cur.UserName {
				did = append(did, fmt.Sprintf("userName %s → %s", cur.UserName, in.UserName))
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

// SCIMGetUser returns one SCIM user of the connection's workspace, with
// one query.
func (d *Directory) SCIMGetUser(ctx context.Context, conn SCIMConnection, id string) (SCIMUser, error) {
	var r scimUserRow
	err := d.dbGet(ctx, &r, `SELECT `+scimUserColumns+` FROM memberships m WHERE `+scimVisible+` AND m.id = ?`, conn.WorkspaceID, id)
	if err != nil {
		return SCIMUser{}, notFound(err, "user "+id)
	}
	return r.public(), nil
}

// SCIMUserGroups returns the groups (teams) of SCIM users, keyed by user
// id, for the users' "groups" attribute.
func (d *Directory) SCIMUserGroups(ctx context.Context, conn SCIMConnection, ids []string) (map[string][]SCIMMemberRef, error) {
	out := map[string][]SCIMMemberRef{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := inQuery(`SELECT x.membership_id AS owner, t.id AS value, t.name AS display FROM team_members x JOIN teams t ON t.id = x.team_id
		WHERE t.workspace_id = ? AND x.membership_id IN (?) ORDER BY t.name_norm, t.id`, conn.WorkspaceID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Owner string `db:"owner"`
		SCIMMemberRef
	}
	if err := d.dbSelect(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("groups of users: %w", err)
	}
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.SCIMMemberRef)
	}
	return out, nil
}

// SCIMMemberRef is a reference between SCIM resources: a group member
// (value is the user id) or a user's group (value is the group id).
type SCIMMemberRef struct {
	Value   string `db:"value"`
	Display string `db:"display"`
}

// SCIMQuery selects and pages SCIM resources.
type SCIMQuery struct {
	// Filter narrows the result; nil matches every resource.
	Filter *SCIMCond
	// Sort orders the result; the zero value orders by id (creation).
	Sort SCIMSort
	// StartIndex is 1-based.
	StartIndex int
	// Count is the page size; 0 asks only for the total.
	Count int
	// afterID, when set, continues after that id in the default order
	// instead of skipping StartIndex-1 rows: a hint from the previous page
	// (scim_paging.go) that makes deep pages cost the same as the first.
	afterID string
	// total, when set, is the total an earlier page of the same list
	// reported: a full page reuses it instead of counting again, so paging
	// through a large list does not count it once per page.
	total *int
}

// SCIMUserPage is one page of users and the total that matched.
type SCIMUserPage struct {
	Total int
	Users []SCIMUser
}

// SCIMListUsers pages through the SCIM users of the connection's workspace
// that match q.Filter, translated to SQL (no rows are filtered in Go). A
// lookup that fits one page is one query; a full page adds a count.
func (d *Directory) SCIMListUsers(ctx context.Context, conn SCIMConnection, q SCIMQuery) (SCIMUserPage, error) {
	page := SCIMUserPage{Users: []SCIMUser{}}
	b := &sqlBuilder{dialect: d.dialect, args: []any{conn.WorkspaceID}}
	where := scimVisible
	if q.Filter != nil {
		cond, err := b.userCond(q.Filter)
		if err != nil {
			return page, err
		}
		where += " AND (" + cond + ")"
	}
	order, err := b.userOrder(q.Sort)
	if err != nil {
		return page, err
	}
	var rows []scimUserRow
	total, err := scimPageInto(ctx, d, listKey(conn, "users", q), &rows, func(r scimUserRow) string { return r.ID },
		scimUserColumns, "memberships m", where, b.args, order, "m.id", q)
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	page.Total = total
	for i := range rows {
		page.Users = append(page.Users, rows[i].public())
	}
	return page, nil
}

// scimPageInto runs the page query of a list into rows and returns the
// total. cols, from and where make the query; idCol is the id column of
// from, the last sort key and what afterID continues after.
//
// Deep pages: with an afterID hint the page continues after that id (an
// index range scan); without one the rows to skip are skipped in a
// subquery that reads only ids (an index-only scan), and only the page's
// rows are read whole. The total: a page shorter than asked tells it by
// itself; q.total, from an earlier page of the same list, is reused for
// full pages; otherwise it is counted.
//
// list names the list for its paging hints (scim_paging.go), which
// remember where this page ended and its total for the next page; id
// reads a row's id.
func scimPageInto[T any](ctx context.Context, d *Directory, list string, rows *[]T, id func(T) string,
	cols, from, where string, whereArgs []any, order, idCol string, q SCIMQuery) (int, error) {
	d.pages.prepare(list, &q)
	total, err := scimPage(ctx, d, rows, cols, from, where, whereArgs, order, idCol, q)
	if n := len(*rows); err == nil && n > 0 {
		d.pages.record(list, q, n, id((*rows)[n-1]), total)
	}
	return total, err
}

// scimPage is scimPageInto once the hints are read.
func scimPage[T any](ctx context.Context, d *Directory, rows *[]T, cols, from, where string, whereArgs []any, order, idCol string, q SCIMQuery) (int, error) {
	start := max(q.StartIndex, 1)
	countQ := `SELECT COUNT(*) FROM ` + from + ` WHERE ` + where
	if q.Count <= 0 {
		var n int
		err := d.dbGet(ctx, &n, countQ, whereArgs...)
		return n, err
	}
	args := append([]any(nil), whereArgs...)
	var query string
	switch {
	case q.afterID != "" && q.Sort.Field == 0:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + ` AND ` + idCol + ` > ? ORDER BY ` + order + ` LIMIT ?`
		args = append(args, q.afterID, q.Count)
	case start > 1:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + idCol + ` IN (SELECT ` + idCol + ` FROM ` + from + ` WHERE ` + where +
			` ORDER BY ` + order + ` LIMIT ? OFFSET ?) ORDER BY ` + order
		args = append(args, q.Count, start-1)
	default:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`
		args = append(args, q.Count)
	}
	if err := d.dbSelect(ctx, rows, query, args...); err != nil {
		return 0, err
	}
	n := len(*rows)
	switch {
	case n > 0 && n < q.Count, start == 1 && n == 0:
		return start - 1 + n, nil
	case q.total != nil:
		return *q.total, nil
	}
	var total int
	err := d.dbGet(ctx, &total, countQ, whereArgs...)
	return total, err
}
