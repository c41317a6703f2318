package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Domain policies: what a verified domain does for people whose verified
// email is at it.
const (
	// DomainAutoJoin makes them active members with the default role.
	DomainAutoJoin = "auto_join"
	// DomainRequest files a join request for an admin to decide.
	DomainRequest = "request"
)

// TXTPrefix is the label under which a workspace publishes its domain
// verification record: _roster-challenge.<domain>.
const TXTPrefix = "_roster-challenge."

// TXTValuePrefix starts the value of the verification record.
const TXTValuePrefix = "roster-verification="

// Domain is an email domain a workspace claims. Only verified domains grant
// anything (auto-join, join requests, home-realm discovery), and a domain
// is verified by at most one workspace.
type Domain struct {
	ID          string
	WorkspaceID string
	Domain      string
	Verified    bool
	VerifiedAt  *time.Time
	Policy      string
	DefaultRole string
	// TXTName and TXTValue are the DNS TXT record to publish to verify the
	// domain. The value is not a secret: anyone can read it from DNS.
	TXTName   string
	TXTValue  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type DomainRow struct {
	ID          string     `db:"id"`
	WorkspaceID string     `db:"workspace_id"`
	Domain      string     `db:"domain"`
	Token       string     `db:"verification_token"`
	VerifiedAt  *time.Time `db:"verified_at"`
	Policy      string     `db:"policy"`
	DefaultRole string     `db:"default_role"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
}

const DomainColumns = `id, workspace_id, domain, verification_token, verified_at, policy, default_role, created_at, updated_at`

func (r *DomainRow) Public() Domain {
	return Domain{ID: r.ID, WorkspaceID: r.WorkspaceID, Domain: r.Domain, Verified: r.VerifiedAt != nil, VerifiedAt: r.VerifiedAt,
		Policy: r.Policy, DefaultRole: r.DefaultRole, TXTName: TXTPrefix + r.Domain, TXTValue: TXTValuePrefix + r.Token,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// domainProfile maps a name the way lookups do (UTS 46 non-transitional,
// STD3 rules, Bidi rule, DNS lengths), so a Unicode name and its punycode
// form normalise to the same ASCII string.
var domainProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// NormalizeDomain turns what a person typed (or the domain of an email
// address) into the form Roster stores and compares: trimmed, without a
// leading @ or a trailing dot, lower-case, IDNA-mapped to ASCII
// (punycode). It rejects anything that is not a registrable host name: IP
// addresses, single labels, URLs, wildcards.
func NormalizeDomain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "@")
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", Invalidf("a domain is required")
	}
	ascii, err := domainProfile.ToASCII(strings.ToLower(s))
	if err != nil {
		return "", Invalidf("%q is not a valid domain name", Truncate(raw, 60))
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 || net.ParseIP(ascii) != nil || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", Invalidf("%q is not a valid domain name", Truncate(raw, 60))
	}
	return ascii, nil
}

// Domain loads one domain of a workspace.
func (t *Tx) Domain(workspaceID, domainID string, lock bool) (*DomainRow, error) {
	q := `SELECT ` + DomainColumns + ` FROM domains WHERE workspace_id = ? AND id = ?`
	if lock {
		q += t.ForUpdate()
	}
	var r DomainRow
	if err := t.GetOne(&r, q, workspaceID, domainID); err != nil {
		return nil, NotFound(err, "domain "+domainID)
	}
	return &r, nil
}

// VerifiedDomainOf returns the domain of ws that emailDomain is, if ws has
// verified it; nil otherwise (also for a malformed domain). Join rules call
// it: only verified domains grant anything.
func (t *Tx) VerifiedDomainOf(workspaceID, emailDomain string) (*Domain, error) {
	name, err := NormalizeDomain(emailDomain)
	if err != nil {
		return nil, nil
	}
	var r DomainRow
	err = t.GetOne(&r, `SELECT `+DomainColumns+` FROM domains WHERE workspace_id = ? AND domain = ? AND verified_at IS NOT NULL`, workspaceID, name)
	if err != nil {
		if IsNotFound(NotFound(err, "")) {
			return nil, nil
		}
		return nil, fmt.Errorf("find verified domain: %w", err)
	}
	d := r.Public()
	return &d, nil
}

// AddDomain claims an email domain for a workspace, unverified. The answer
// holds the TXT record to publish; VerifyDomain then checks it. Several
// workspaces may claim a domain, but only one can verify it. It needs
// domains.manage.
func (d *Store) AddDomain(ctx context.Context, actor Actor, workspace, domain string) (Domain, error) {
	name, err := NormalizeDomain(domain)
	if err != nil {
		return Domain{}, err
	}
	var out Domain
	err = d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermDomainsManage)
		if err != nil {
			return err
		}
		token, _ := NewToken()
		r := DomainRow{ID: NewID(), WorkspaceID: ws.ID, Domain: name, Token: token, Policy: DomainRequest, DefaultRole: RoleMember, CreatedAt: t.Now, UpdatedAt: t.Now}
		_, err = t.Execute(`INSERT INTO domains (`+DomainColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.WorkspaceID, r.Domain, r.Token, r.VerifiedAt, r.Policy, r.DefaultRole, r.CreatedAt, r.UpdatedAt)
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s is already a domain of this workspace", ErrConflict, name)
		} else if err != nil {
			return fmt.Errorf("add domain: %w", err)
		}
		out = r.Public()
		return t.Emit(ws.ID, "domain.added", "domain", r.ID, map[string]string{"domain": name})
	})
	return out, err
}

// VerifyDomain looks up the domain's TXT record through the Directory's
// resolver and marks the domain verified when the record is there. A
// missing record is ErrInvalid (with the record to publish in the
// message); a domain another workspace has verified is ErrConflict.
// Verifying a verified domain returns it unchanged. The DNS lookup runs
// outside any transaction.
func (d *Store) VerifyDomain(ctx context.Context, actor Actor, workspace, domainID string) (Domain, error) {
	var cur Domain
	err := d.ReadTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermDomainsManage)
		if err != nil {
			return err
		}
		r, err := t.Domain(ws.ID, domainID, false)
		if err != nil {
			return err
		}
		cur = r.Public()
		return nil
	})
	if err != nil || cur.Verified {
		return cur, err
	}
	if err := d.checkTXT(ctx, cur); err != nil {
		return cur, err
	}
	var out Domain
	err = d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermDomainsManage)
		if err != nil {
			return err
		}
		r, err := t.Domain(ws.ID, domainID, true)
		if err != nil {
			return err
		}
		if r.VerifiedAt != nil {
			out = r.Public()
			return nil
		}
		if TXTValuePrefix+r.Token != cur.TXTValue {
			return fmt.Errorf("%w: the domain changed while it was being verified; try again", ErrConflict)
		}
		_, err = t.Execute(`UPDATE domains SET verified_at = ?, updated_at = ? WHERE id = ?`, t.Now, t.Now, r.ID)
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s is verified by another workspace", ErrConflict, r.Domain)
		} else if err != nil {
			return fmt.Errorf("verify domain: %w", err)
		}
		now := t.Now
		r.VerifiedAt, r.UpdatedAt = &now, now
		out = r.Public()
		return t.Emit(ws.ID, "domain.verified", "domain", r.ID, map[string]string{"domain": r.Domain})
	})
	return out, err
}

// checkTXT looks for the domain's verification record.
func (d *Store) checkTXT(ctx context.Context, dom Domain) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	records, err := d.Resolver.LookupTXT(ctx, dom.TXTName)
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		return fmt.Errorf("%w: could not look up the TXT records of %s: %v", ErrInvalid, dom.TXTName, err)
	}
	if slices.ContainsFunc(records, func(r string) bool { return strings.TrimSpace(r) == dom.TXTValue }) {
		return nil
	}
	return Invalidf("no TXT record %q with value %q was found; publish it and try again (DNS changes can take a while to appear)", dom.TXTName, dom.TXTValue)
}

// ListDomains lists a workspace's domains by name; it needs
// domains.manage.
func (d *Store) ListDomains(ctx context.Context, actor Actor, workspace string) ([]Domain, error) {
	out := []Domain{}
	err := d.ReadTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermDomainsManage)
		if err != nil {
			return err
		}
		var rows []DomainRow
		if err := t.SelectRows(&rows, `SELECT `+DomainColumns+` FROM domains WHERE workspace_id = ? ORDER BY domain`, ws.ID); err != nil {
			return fmt.Errorf("list domains: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}
