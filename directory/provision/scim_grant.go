package provision

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

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
func scimGrant(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, m *scimMembership, in SCIMUserInput, email string, person *scimPerson) (scimGrantResult, error) {
	p, err := t.Principal(ws)
	if err != nil {
		return scimGrantResult{}, err
	}
	role, err := t.Role(ws.ID, conn.DefaultRole)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("%w: the connection's default role %q no longer exists", store.ErrInvalid, conn.DefaultRole)
	}
	name := in.Name
	if email == "" {
		// Nobody to invite: the person holds a seat, invited, until an
		// address arrives (scimUpdateEmail then applies the rules).
		if err := t.ClaimSeat(ws, ""); err != nil {
			return scimGrantResult{}, err
		}
		if m == nil {
			u, err := t.CreateUser("", name, "", in.Locale, ws.ID, "")
			if err != nil {
				return scimGrantResult{}, err
			}
			m = &scimMembership{ID: store.NewID(), UserID: u.ID, Kind: store.KindInternal}
			if _, err := t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'invited', ?, 'scim', ?, ?)`,
				m.ID, ws.ID, u.ID, role.Key, role.Key, store.KindInternal, t.Now, t.Now); err != nil {
				return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
			}
		} else if _, err := t.Execute(`UPDATE memberships SET role = ?, effective_role = ?, status = 'invited', source = 'scim', removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
			role.Key, role.Key, t.Now, m.ID); err != nil {
			return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
		}
		fresh := m.Status == ""
		m.Status = store.StatusInvited
		if err := t.Emit(ws.ID, "member.invited", "member", m.ID, map[string]any{"user_id": m.UserID, "role": role.Key, "via": "scim", "email": nil}); err != nil {
			return scimGrantResult{}, err
		}
		return scimGrantResult{m: m, fresh: fresh, action: "created without an email address (invited; no invitation sent)"}, nil
	}
	if person == nil {
		found, err := scimPersonAt(t, ws.ID, email, scimActivationDomain(conn, email))
		if err != nil {
			return scimGrantResult{}, err
		}
		person = &found
	}
	found := person.user
	if person.verified {
		u, kind, err := t.EnsureFoundUser(ws, found, email, name, "", nil)
		if err != nil {
			return scimGrantResult{}, err
		}
		if kind == store.KindInternal {
			return scimActivate(t, ws, conn, m, u, role)
		}
		found = u
	}
	// Everyone else is invited; someone internal elsewhere joins as an
	// external member (inviteOne decides).
	attrs, err := json.Marshal(in.Attrs)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("encode SCIM attributes: %w", err)
	}
	spec := store.InviteSpec{Email: email, Name: name, Role: role, Teams: []string{}, SendEmail: conn.SendInvitations, Source: store.SourceSCIM, Inviter: p,
		Found: true, User: found}
	if m == nil {
		spec.Scim = &store.ScimFields{UserName: in.UserName, ExternalID: in.ExternalID, Attrs: string(attrs)}
	}
	out, err := t.InviteOne(ws, p, spec)
	if err != nil {
		return scimGrantResult{}, err
	}
	if out.Status != store.OutcomeInvited {
		return scimGrantResult{}, fmt.Errorf("%w: %s", store.ErrConflict, out.Error)
	}
	sent := "not emailed"
	if conn.SendInvitations {
		sent = "emailed"
	}
	res := scimGrantResult{m: &scimMembership{ID: out.MembershipID, UserID: out.UserID, Status: store.StatusInvited, Kind: out.Kind}, fresh: m == nil,
		action: fmt.Sprintf("invited %s as %s %s (invitation %s)", email, out.Kind, role.Key, sent)}
	if out.ScimWritten {
		// Built from what was inserted, not read back: a new row's
		// version is the column default, 1.
		res.row = &scimUserRow{ID: out.MembershipID, UserID: out.UserID, UserName: in.UserName, ExternalID: in.ExternalID, Status: store.StatusInvited,
			Kind: out.Kind, Attrs: string(attrs), Version: 1, CreatedAt: t.Now, UpdatedAt: t.Now}
	}
	return res, nil
}

// scimCreateSuspended provisions a person the IdP creates inactive (or,
// under the "suspend" seat policy, one over the seat limit): suspended,
// holding no seat, invited nowhere. active=true applies the bridge rules
// then (scim_pending_grant), so nobody skips an acceptance step this way.
func scimCreateSuspended(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, m *scimMembership, in SCIMUserInput, email string) (scimGrantResult, error) {
	role, err := t.Role(ws.ID, conn.DefaultRole)
	if err != nil {
		return scimGrantResult{}, fmt.Errorf("%w: the connection's default role %q no longer exists", store.ErrInvalid, conn.DefaultRole)
	}
	fresh := m == nil
	if m == nil {
		var u *store.UserRow
		kind := store.KindInternal
		if email != "" {
			u, kind, err = t.EnsureUser(ws, email, in.Name, "", nil)
		} else {
			u, err = t.CreateUser("", in.Name, "", in.Locale, ws.ID, "")
		}
		if err != nil {
			return scimGrantResult{}, err
		}
		m = &scimMembership{ID: store.NewID(), UserID: u.ID, Kind: kind}
		if _, err := t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, scim_pending_grant, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'suspended', ?, 'scim', TRUE, ?, ?)`, m.ID, ws.ID, u.ID, role.Key, role.Key, kind, t.Now, t.Now); err != nil {
			return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
		}
	} else if _, err := t.Execute(`UPDATE memberships SET status = 'suspended', role = ?, effective_role = ?, source = 'scim', scim_pending_grant = TRUE, removed_at = NULL,
		updated_at = ?, version = version + 1 WHERE id = ?`, role.Key, role.Key, t.Now, m.ID); err != nil {
		return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
	}
	m.Status = store.StatusSuspended
	return scimGrantResult{m: m, fresh: fresh, action: "created suspended (active=false: holds no seat, nobody invited yet)"}, nil
}

// scimActivate makes an internal person with a verified-domain address an
// active member at once: a new membership or a revived tombstone, through
// the same activation (seat check, event) every door uses.
func scimActivate(t *store.Tx, ws *store.WorkspaceRow, conn store.SCIMConnection, m *scimMembership, u *store.UserRow, role store.Role) (scimGrantResult, error) {
	fresh := m == nil
	if m == nil {
		m = &scimMembership{ID: store.NewID(), UserID: u.ID}
		// Inserted as removed so activate() claims a seat for it like
		// for any tombstone.
		if _, err := t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at, removed_at) VALUES (?, ?, ?, ?, ?, 'removed', 'internal', 'scim', ?, ?, ?)`,
			m.ID, ws.ID, u.ID, role.Key, role.Key, t.Now, t.Now, t.Now); err != nil {
			return scimGrantResult{}, fmt.Errorf("create membership: %w", err)
		}
	} else if _, err := t.Execute(`UPDATE memberships SET kind = 'internal', source = 'scim' WHERE id = ?`, m.ID); err != nil {
		return scimGrantResult{}, fmt.Errorf("revive membership: %w", err)
	}
	am, err := t.Activate(ws, m.ID, store.Activation{Role: role.Key, Via: "scim", ViaID: conn.ID})
	if err != nil {
		return scimGrantResult{}, err
	}
	m.Status, m.Kind = am.Status, store.KindInternal
	return scimGrantResult{m: m, fresh: fresh, action: fmt.Sprintf("activated %s as internal %s (verified domain %s)", am.Email, role.Key, store.EmailDomain(am.Email))}, nil
}

// scimDomainVerified reports whether the workspace verified domain.
func scimDomainVerified(t *store.Tx, workspaceID, domain string) (bool, error) {
	d, err := t.VerifiedDomainOf(workspaceID, domain)
	return d != nil, err
}

// scimActivationDomain is the domain of email whose verification makes
// the person an active member at once: none ("") when the connection
// invites everyone.
func scimActivationDomain(conn store.SCIMConnection, email string) string {
	if conn.Activation != store.ActivationDomain {
		return ""
	}
	return store.EmailDomain(email)
}

// scimPerson is what provisioning an address needs to know, read in one
// query.
type scimPerson struct {
	// member is the person's membership in the workspace, any status,
	// locked for the transaction; nil when there is none.
	member *scimMembership
	// user has the address; nil when nobody has it.
	user *store.UserRow
	// verified says the workspace verified the domain asked about.
	verified bool
}

// scimPersonAt finds the user with a normalised email, their membership in
// the workspace (locked on PostgreSQL) and whether the workspace verified
// emailDomain ("" for no domain), in one query: a SCIM create needs all
// three, and each round trip to the database is most of what a query
// costs.
func scimPersonAt(t *store.Tx, workspaceID, email, emailDomain string) (scimPerson, error) {
	domain, err := store.NormalizeDomain(emailDomain)
	if err != nil {
		domain = ""
	}
	if err := lockAddress(t, email); err != nil {
		return scimPerson{}, err
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
		MemberExtID     *string    `db:"m_external_id"`
	}
	// The one-row derived table keeps a row when nobody has the address.
	// PostgreSQL cannot lock the nullable side of an outer join, so there
	// the membership is a LATERAL subquery that locks its row; SQLite has
	// no LATERAL and needs no lock (its writers are serialised).
	members := `LEFT JOIN memberships m ON m.user_id = u.id AND m.workspace_id = ?`
	if t.Store.Flavor.RowLocks() {
		members = `LEFT JOIN LATERAL (SELECT id, status, kind, scim_user_name_norm, external_id FROM memberships
			WHERE user_id = u.id AND workspace_id = ? FOR UPDATE) m ON TRUE`
	}
	err = t.GetOne(&r, `SELECT EXISTS (SELECT 1 FROM domains WHERE workspace_id = ? AND domain = ? AND verified_at IS NOT NULL) AS verified,
		u.id, u.email, u.email_norm, u.name, u.phone, u.locale, u.home_workspace_id, u.profile, u.created_at,
		m.id AS m_id, m.status AS m_status, m.kind AS m_kind, m.scim_user_name_norm AS m_user_name_norm, m.external_id AS m_external_id
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
	p.user = &store.UserRow{ID: *r.ID, Email: r.Email, EmailNorm: r.EmailNorm, Name: str(r.Name), Phone: str(r.Phone), Locale: str(r.Locale),
		HomeWorkspaceID: r.HomeWorkspaceID, Profile: str(r.Profile), CreatedAt: *r.CreatedAt}
	if r.MemberID != nil {
		p.member = &scimMembership{ID: *r.MemberID, UserID: *r.ID, Status: str(r.MemberStatus), Kind: str(r.MemberKind), UserNameNorm: r.MemberUserName, ExternalID: r.MemberExtID}
	}
	return p, nil
}
