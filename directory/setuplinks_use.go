package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/seal"
)

// ActorSetupLink is the holder of a setup link: it acts in the link's
// workspace, for the link's one purpose, while the link works. Only this
// file makes such actors, from a token; front doors pass the token.
const ActorSetupLink ActorKind = "setup_link"

// setupRoleKey names the role a setup link acts with, in errors.
const setupRoleKey = "setup_link"

// usable says why a link cannot be used now, nil when it can.
func (r *setupLinkRow) usable(t *tx) error {
	switch {
	case r.RevokedAt != nil:
		return fmt.Errorf("setup link: %w", ErrRevoked)
	case r.CompletedAt != nil:
		return fmt.Errorf("setup link: %w (this setup is finished)", ErrUsed)
	case !t.now.Before(r.ExpiresAt):
		return fmt.Errorf("setup link: %w", ErrExpired)
	}
	return nil
}

// setupLinkPrincipal resolves a setup link's holder inside ws: only the
// link's own workspace, only while the link works, and with only the one
// permission of its purpose. It reads the link again in every
// transaction, so a revoke stops a holder between two steps.
func (t *tx) setupLinkPrincipal(ws *workspaceRow) (principal, error) {
	a := t.actor
	if a.WorkspaceID != ws.ID {
		return principal{}, fmt.Errorf("%w: the setup link belongs to another workspace", ErrForbidden)
	}
	r, err := t.setupLink(ws.ID, a.ID, false)
	if err != nil {
		return principal{}, fmt.Errorf("%w: setup link gone", ErrForbidden)
	}
	if err := r.usable(t); err != nil {
		return principal{}, err
	}
	perm, err := setupPermission(r.Purpose)
	if err != nil {
		return principal{}, err
	}
	return principal{actor: a, role: Role{Key: setupRoleKey, Name: "Setup link", Permissions: []Permission{perm}}}, nil
}

// setupLinkByToken loads the link a token names, in any state.
func (t *tx) setupLinkByToken(token string, lock bool) (*setupLinkRow, error) {
	q := setupLinkSelect + ` WHERE l.token_hash = ?`
	if lock {
		q += t.forUpdate()
	}
	var r setupLinkRow
	if err := t.get(&r, q, HashToken(token)); err != nil {
		return nil, notFound(err, "setup link")
	}
	return &r, nil
}

// OpenSetupLink returns the link a token names, for its page. An unknown
// token is ErrNotFound; a revoked or expired link is returned together
// with ErrRevoked or ErrExpired, so the page can say which. A finished
// link is returned without error (its page shows the summary).
func (d *Directory) OpenSetupLink(ctx context.Context, token string) (SetupLink, error) {
	var out SetupLink
	err := d.readTx(ctx, System(), func(t *tx) error {
		r, err := t.setupLinkByToken(token, false)
		if err != nil {
			return err
		}
		out = r.public()
		if err := r.usable(t); err != nil && !errors.Is(err, ErrUsed) {
			return err
		}
		return nil
	})
	return out, err
}

// setupActor checks that a token names a usable link of purpose (any
// purpose when "") and returns the actor its holder acts as, with the link.
func (d *Directory) setupActor(ctx context.Context, token, purpose string) (Actor, SetupLink, error) {
	var l SetupLink
	err := d.readTx(ctx, System(), func(t *tx) error {
		r, err := t.setupLinkByToken(token, false)
		if err != nil {
			return err
		}
		if err := r.usable(t); err != nil {
			return err
		}
		if purpose != "" && r.Purpose != purpose {
			return fmt.Errorf("%w: this setup link is for %s, not %s", ErrForbidden, setupPurposeName(r.Purpose), setupPurposeName(purpose))
		}
		l = r.public()
		return nil
	})
	if err != nil {
		return Actor{}, l, err
	}
	name := "IT admin with a setup link"
	if l.Description != "" {
		name += " (" + l.Description + ")"
	}
	return Actor{Kind: ActorSetupLink, ID: l.ID, Name: name, WorkspaceID: l.WorkspaceID, Source: "setup"}, l, nil
}

// setupPurposeName is a purpose in words.
func setupPurposeName(purpose string) string {
	switch purpose {
	case SetupSCIM:
		return "SCIM provisioning"
	case SetupSSO:
		return "single sign-on"
	case SetupDomain:
		return "domain verification"
	}
	return purpose
}

// SetupChooseProvider records which identity provider the holder of a
// SCIM or SSO link uses, so the page shows its steps and the summary
// names it.
func (d *Directory) SetupChooseProvider(ctx context.Context, token, provider string) (SetupLink, error) {
	if !ValidSetupProvider(provider) {
		return SetupLink{}, invalidf("pick one of the identity providers listed")
	}
	var out SetupLink
	err := d.inTx(ctx, System(), func(t *tx) error {
		r, err := t.setupLinkByToken(token, true)
		if err != nil {
			return err
		}
		if err := r.usable(t); err != nil {
			return err
		}
		if r.Purpose == SetupDomain {
			return fmt.Errorf("%w: a domain setup link needs no identity provider", ErrForbidden)
		}
		if _, err := t.exec(`UPDATE setup_links SET provider = ? WHERE id = ?`, provider, r.ID); err != nil {
			return fmt.Errorf("choose provider: %w", err)
		}
		r.Provider = provider
		out = r.public()
		return nil
	})
	return out, err
}

// scimProfile is the SCIM connection profile for a picked provider.
func scimProfile(provider string) string {
	switch provider {
	case SetupProviderOkta:
		return ProfileOkta
	case SetupProviderEntra:
		return ProfileEntra
	}
	return ProfileAuto
}

// SetupSCIMToken makes a SCIM token for the holder of a SCIM setup link,
// creating the workspace's SCIM connection first when it has none. The
// token is returned once, like every SCIM token.
func (d *Directory) SetupSCIMToken(ctx context.Context, token string) (SCIMToken, string, error) {
	actor, l, err := d.setupActor(ctx, token, SetupSCIM)
	if err != nil {
		return SCIMToken{}, "", err
	}
	if _, err := d.GetSCIMConnection(ctx, actor, l.WorkspaceID); errors.Is(err, ErrNotFound) {
		_, err = d.CreateSCIMConnection(ctx, actor, l.WorkspaceID, SCIMConnectionRequest{Profile: scimProfile(l.Provider)})
		if err != nil && !errors.Is(err, ErrConflict) {
			return SCIMToken{}, "", err
		}
	} else if err != nil {
		return SCIMToken{}, "", err
	}
	desc := "Made with a setup link"
	if l.Provider != "" {
		desc += " for " + SetupProviderName(l.Provider)
	}
	return d.CreateSCIMToken(ctx, actor, l.WorkspaceID, SCIMTokenRequest{Description: desc})
}

// SetupSCIMRequests returns the newest SCIM requests of the link's
// workspace made since the link was, newest first: what the page shows
// arriving. None yet (or no connection yet) is an empty list.
func (d *Directory) SetupSCIMRequests(ctx context.Context, token string, limit int) ([]SCIMRequest, error) {
	actor, l, err := d.setupActor(ctx, token, SetupSCIM)
	if err != nil {
		return nil, err
	}
	reqs, err := d.ListSCIMRequests(ctx, actor, l.WorkspaceID, 0, limit)
	if errors.Is(err, ErrNotFound) {
		return []SCIMRequest{}, nil
	} else if err != nil {
		return nil, err
	}
	out := reqs[:0]
	for _, r := range reqs {
		if !r.CreatedAt.Before(l.CreatedAt) {
			out = append(out, r)
		}
	}
	return out, nil
}

// SetupProviderName is a provider in words.
func SetupProviderName(p string) string {
	switch p {
	case SetupProviderOkta:
		return "Okta"
	case SetupProviderEntra:
		return "Microsoft Entra ID"
	case SetupProviderGoogle:
		return "Google Workspace"
	case SetupProviderOneLogin:
		return "OneLogin"
	case SetupProviderJumpCloud:
		return "JumpCloud"
	case SetupProviderGeneric:
		return "your identity provider"
	}
	return p
}

// SetupSSOConnection makes (or, when the link made one already, changes)
// the single sign-on connection of an SSO setup link. The connection is
// created switched off: nobody signs in through it until the holder ran a
// test sign-in and finished the setup. Validation is
// CreateOIDCConnection's.
func (d *Directory) SetupSSOConnection(ctx context.Context, token string, box *seal.Box, req OIDCConnectionRequest) (OIDCConnection, error) {
	actor, l, err := d.setupActor(ctx, token, SetupSSO)
	if err != nil {
		return OIDCConnection{}, err
	}
	if l.OIDCConnectionID != "" {
		if err := validateOIDCConnection(&req); err != nil {
			return OIDCConnection{}, err
		}
		upd := OIDCConnectionUpdate{Name: &req.Name, Issuer: &req.Issuer, ClientID: &req.ClientID, ClientSecret: &req.ClientSecret, Kind: &req.Kind,
			TenantID: &req.TenantID, HostedDomain: &req.HostedDomain}
		c, err := d.UpdateOIDCConnection(ctx, actor, l.WorkspaceID, l.OIDCConnectionID, box, upd)
		if err == nil {
			err = d.clearSetupTest(ctx, l.ID)
		}
		return c, err
	}
	req.Disabled = true
	c, err := d.CreateOIDCConnection(ctx, actor, l.WorkspaceID, box, req)
	if err != nil {
		return c, err
	}
	err = d.inTx(ctx, actor, func(t *tx) error {
		_, err := t.exec(`UPDATE setup_links SET oidc_connection_id = ? WHERE id = ?`, c.ID, l.ID)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("record the setup link's connection: %w", err)
	}
	return c, nil
}

// clearSetupTest forgets a test sign-in that a changed connection made
// stale.
func (d *Directory) clearSetupTest(ctx context.Context, linkID string) error {
	return d.inTx(ctx, System(), func(t *tx) error {
		_, err := t.exec(`UPDATE setup_links SET test_result = '' WHERE id = ?`, linkID)
		return err
	})
}

// SetupSSOTestConnection is the connection an SSO setup link made, for
// the relying party to start a test sign-in through it (even though it
// is not enabled yet). No connection yet is ErrNotFound.
func (d *Directory) SetupSSOTestConnection(ctx context.Context, token string) (OIDCConnection, error) {
	_, l, err := d.setupActor(ctx, token, SetupSSO)
	if err != nil {
		return OIDCConnection{}, err
	}
	if l.OIDCConnectionID == "" {
		return OIDCConnection{}, fmt.Errorf("%w: enter the provider's details first", ErrNotFound)
	}
	return d.OIDCConnectionByID(ctx, l.OIDCConnectionID)
}

// RecordSetupSignInTest keeps what a test sign-in through the link's
// connection received (req as the relying party verified it, claims as
// shown to the holder) and decides, with the same email-trust rule as a
// real sign-in, whether Roster would accept the email. Nobody is signed
// in and no person is created.
func (d *Directory) RecordSetupSignInTest(ctx context.Context, token string, req SignInRequest, claims map[string]string) (SetupSignInTest, error) {
	actor, l, err := d.setupActor(ctx, token, SetupSSO)
	if err != nil {
		return SetupSignInTest{}, err
	}
	var out SetupSignInTest
	err = d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(l.WorkspaceID)
		if err != nil {
			return err
		}
		if _, err := t.authorize(ws, PermConnectionsManage); err != nil {
			return err
		}
		if req.Connection != l.OIDCConnectionID {
			return fmt.Errorf("%w: the test sign-in went through another connection than this link's", ErrForbidden)
		}
		conn, err := t.oidcConnection(l.OIDCConnectionID)
		if err != nil {
			return err
		}
		email, _ := NormalizeEmail(req.Email)
		out = SetupSignInTest{At: t.now, Email: req.Email, EmailVerified: req.EmailVerified, Subject: req.Subject, Claims: claims}
		ok, err := t.trustSignIn(req, conn, email)
		switch {
		case errors.Is(err, ErrWrongTenant):
			out.Reason = "The account belongs to another Microsoft Entra tenant than the one this connection is pinned to."
		case err != nil:
			return err
		case ok:
			out.Accepted = true
		case email == "":
			out.Reason = "The identity provider sent no email address. Add the email claim (scope \"email\") to the application."
		default:
			dom, err := t.verifiedDomainOf(conn.WorkspaceID, EmailDomain(email))
			if err != nil {
				return err
			}
			if dom == nil {
				out.Reason = fmt.Sprintf("%s is not a verified domain of %s. Until it is, nobody with an address there can sign in through this connection; ask the workspace's admins to verify it (a domain setup link lets you do it).", EmailDomain(email), ws.Name)
			} else {
				out.Reason = "The identity provider did not mark the email address as verified (email_verified is not true)."
			}
		}
		b, _ := json.Marshal(out)
		if _, err := t.exec(`UPDATE setup_links SET test_result = ? WHERE id = ?`, string(b), l.ID); err != nil {
			return fmt.Errorf("record test sign-in: %w", err)
		}
		return nil
	})
	return out, err
}

// SetupDomains lists the domains of a domain setup link's workspace.
func (d *Directory) SetupDomains(ctx context.Context, token string) ([]Domain, error) {
	actor, l, err := d.setupActor(ctx, token, SetupDomain)
	if err != nil {
		return nil, err
	}
	return d.ListDomains(ctx, actor, l.WorkspaceID)
}

// SetupAddDomain claims a domain for the link's workspace (AddDomain).
func (d *Directory) SetupAddDomain(ctx context.Context, token, domain string) (Domain, error) {
	actor, l, err := d.setupActor(ctx, token, SetupDomain)
	if err != nil {
		return Domain{}, err
	}
	return d.AddDomain(ctx, actor, l.WorkspaceID, domain)
}

// SetupVerifyDomain checks a domain's TXT record now (VerifyDomain). A
// domain of another workspace is ErrNotFound.
func (d *Directory) SetupVerifyDomain(ctx context.Context, token, domainID string) (Domain, error) {
	actor, l, err := d.setupActor(ctx, token, SetupDomain)
	if err != nil {
		return Domain{}, err
	}
	return d.VerifyDomain(ctx, actor, l.WorkspaceID, domainID)
}

// FinishSetup ends a setup: it writes the summary the workspace's admins
// see, records a setup_link.completed event, and for an SSO link switches
// the connection on. An SSO setup finishes only after a test sign-in.
// The link cannot be used again.
func (d *Directory) FinishSetup(ctx context.Context, token string) (SetupLink, error) {
	actor, l, err := d.setupActor(ctx, token, "")
	if err != nil {
		return SetupLink{}, err
	}
	var summary string
	switch l.Purpose {
	case SetupSCIM:
		reqs, err := d.SetupSCIMRequests(ctx, token, 1000)
		if err != nil {
			return SetupLink{}, err
		}
		summary = scimSummary(l, reqs)
	case SetupDomain:
		doms, err := d.ListDomains(ctx, actor, l.WorkspaceID)
		if err != nil {
			return SetupLink{}, err
		}
		summary = domainSummary(doms)
	}
	var out SetupLink
	err = d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(l.WorkspaceID)
		if err != nil {
			return err
		}
		perm, _ := setupPermission(l.Purpose)
		if _, err := t.authorize(ws, perm); err != nil {
			return err
		}
		r, err := t.setupLink(ws.ID, l.ID, true)
		if err != nil {
			return err
		}
		if err := r.usable(t); err != nil {
			return err
		}
		if r.Purpose == SetupSSO {
			cur := r.public()
			if cur.Test == nil {
				return invalidf("run a test sign-in before switching single sign-on on")
			}
			conn, err := t.oidcConnection(r.OIDCConnectionID)
			if err != nil {
				return err
			}
			if _, err := t.exec(`UPDATE oidc_connections SET enabled = ?, updated_at = ? WHERE id = ?`, true, t.now, conn.ID); err != nil {
				return fmt.Errorf("enable connection: %w", err)
			}
			if err := t.emit(ws.ID, "oidc_connection.enabled", "oidc_connection", conn.ID, map[string]any{"issuer": conn.Issuer, "client_id": conn.ClientID}); err != nil {
				return err
			}
			summary = ssoSummary(cur, conn)
		}
		if _, err := t.exec(`UPDATE setup_links SET completed_at = ?, summary = ? WHERE id = ?`, t.now, summary, r.ID); err != nil {
			return fmt.Errorf("finish setup: %w", err)
		}
		now := t.now
		r.CompletedAt, r.Summary = &now, summary
		out = r.public()
		return t.emit(ws.ID, "setup_link.completed", "setup_link", r.ID, map[string]any{"purpose": r.Purpose, "provider": r.Provider, "summary": summary})
	})
	return out, err
}

func providerPhrase(l SetupLink) string {
	if l.Provider == "" || l.Provider == SetupProviderGeneric {
		return ""
	}
	return " from " + SetupProviderName(l.Provider)
}

func scimSummary(l SetupLink, reqs []SCIMRequest) string {
	if len(reqs) == 0 {
		return "SCIM provisioning" + providerPhrase(l) + " was set up; no request from the identity provider had arrived yet."
	}
	refused := 0
	for _, r := range reqs {
		if r.Status >= 400 {
			refused++
		}
	}
	s := fmt.Sprintf("SCIM provisioning%s is set up: %d request(s) received", providerPhrase(l), len(reqs))
	if refused > 0 {
		s += fmt.Sprintf(", %d refused", refused)
	}
	return s + "."
}

func ssoSummary(l SetupLink, c *OIDCConnection) string {
	s := fmt.Sprintf("Single sign-on%s is on (issuer %s, client %s).", providerPhrase(l), c.Issuer, c.ClientID)
	if l.Test.Accepted {
		return s + fmt.Sprintf(" The test sign-in as %s was accepted.", l.Test.Email)
	}
	return s + " The test sign-in was not accepted: " + l.Test.Reason
}

func domainSummary(doms []Domain) string {
	var verified, pending []string
	for _, d := range doms {
		if d.Verified {
			verified = append(verified, d.Domain)
		} else {
			pending = append(pending, d.Domain)
		}
	}
	s := "Domain setup finished."
	if len(verified) > 0 {
		s += " Verified: " + strings.Join(verified, ", ") + "."
	}
	if len(pending) > 0 {
		s += " Not verified yet: " + strings.Join(pending, ", ") + "."
	}
	return s
}

// CheckOIDCConnectionRequest normalises and validates a connection's
// settings the way CreateOIDCConnection will (the issuer of an Entra
// tenant or of Google filled in), so a door can check the provider's
// discovery before anything is saved.
func CheckOIDCConnectionRequest(req *OIDCConnectionRequest) error { return validateOIDCConnection(req) }
