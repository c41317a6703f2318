package setuplinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/seal"
)

// setupLinkByToken loads the link a token names, in any state.
func setupLinkByToken(t *store.Tx, token string, lock bool) (*store.SetupLinkRow, error) {
	q := store.SetupLinkSelect + ` WHERE l.token_hash = ?`
	if lock {
		q += t.ForUpdate()
	}
	var r store.SetupLinkRow
	if err := t.GetOne(&r, q, store.HashToken(token)); err != nil {
		return nil, store.NotFound(err, "setup link")
	}
	return &r, nil
}

// OpenSetupLink returns the link a token names, for its page. An unknown
// token is ErrNotFound; a revoked or expired link is returned together
// with ErrRevoked or ErrExpired, so the page can say which. A finished
// link is returned without error (its page shows the summary).
func (d *Links) OpenSetupLink(ctx context.Context, token string) (store.SetupLink, error) {
	var out store.SetupLink
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		r, err := setupLinkByToken(t, token, false)
		if err != nil {
			return err
		}
		out = r.Public()
		if err := r.Usable(t); err != nil && !errors.Is(err, store.ErrUsed) {
			return err
		}
		return nil
	})
	return out, err
}

// setupActor checks that a token names a usable link of purpose (any
// purpose when "") and returns the actor its holder acts as, with the link.
func (d *Links) setupActor(ctx context.Context, token, purpose string) (store.Actor, store.SetupLink, error) {
	var l store.SetupLink
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		r, err := setupLinkByToken(t, token, false)
		if err != nil {
			return err
		}
		if err := r.Usable(t); err != nil {
			return err
		}
		if purpose != "" && r.Purpose != purpose {
			return fmt.Errorf("%w: this setup link is for %s, not %s", store.ErrForbidden, setupPurposeName(r.Purpose), setupPurposeName(purpose))
		}
		l = r.Public()
		return nil
	})
	if err != nil {
		return store.Actor{}, l, err
	}
	name := "IT admin with a setup link"
	if l.Description != "" {
		name += " (" + l.Description + ")"
	}
	return store.Actor{Kind: store.ActorSetupLink, ID: l.ID, Name: name, WorkspaceID: l.WorkspaceID, Source: "setup"}, l, nil
}

// setupPurposeName is a purpose in words.
func setupPurposeName(purpose string) string {
	switch purpose {
	case store.SetupSCIM:
		return "SCIM provisioning"
	case store.SetupSSO:
		return "single sign-on"
	case store.SetupDomain:
		return "domain verification"
	}
	return purpose
}

// SetupChooseProvider records which identity provider the holder of a
// SCIM or SSO link uses, so the page shows its steps and the summary
// names it.
func (d *Links) SetupChooseProvider(ctx context.Context, token, provider string) (store.SetupLink, error) {
	if !ValidSetupProvider(provider) {
		return store.SetupLink{}, store.Invalidf("pick one of the identity providers listed")
	}
	var out store.SetupLink
	err := d.InTx(ctx, store.System(), func(t *store.Tx) error {
		r, err := setupLinkByToken(t, token, true)
		if err != nil {
			return err
		}
		if err := r.Usable(t); err != nil {
			return err
		}
		if r.Purpose == store.SetupDomain {
			return fmt.Errorf("%w: a domain setup link needs no identity provider", store.ErrForbidden)
		}
		if _, err := t.Execute(`UPDATE setup_links SET provider = ? WHERE id = ?`, provider, r.ID); err != nil {
			return fmt.Errorf("choose provider: %w", err)
		}
		r.Provider = provider
		out = r.Public()
		return nil
	})
	return out, err
}

// scimProfile is the SCIM connection profile for a picked provider.
func scimProfile(provider string) string {
	switch provider {
	case SetupProviderOkta:
		return store.ProfileOkta
	case SetupProviderEntra:
		return store.ProfileEntra
	}
	return store.ProfileAuto
}

// SetupSCIMToken makes a SCIM token for the holder of a SCIM setup link,
// creating the workspace's SCIM connection first when it has none. The
// token is returned once, like every SCIM token.
func (d *Links) SetupSCIMToken(ctx context.Context, token string) (store.SCIMToken, string, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupSCIM)
	if err != nil {
		return store.SCIMToken{}, "", err
	}
	if _, err := d.GetSCIMConnection(ctx, actor, l.WorkspaceID); errors.Is(err, store.ErrNotFound) {
		_, err = d.CreateSCIMConnection(ctx, actor, l.WorkspaceID, store.SCIMConnectionRequest{Profile: scimProfile(l.Provider)})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return store.SCIMToken{}, "", err
		}
	} else if err != nil {
		return store.SCIMToken{}, "", err
	}
	desc := "Made with a setup link"
	if l.Provider != "" {
		desc += " for " + SetupProviderName(l.Provider)
	}
	return d.CreateSCIMToken(ctx, actor, l.WorkspaceID, store.SCIMTokenRequest{Description: desc})
}

// SetupSCIMRequests returns the newest SCIM requests of the link's
// workspace made since the link was, newest first: what the page shows
// arriving. None yet (or no connection yet) is an empty list.
func (d *Links) SetupSCIMRequests(ctx context.Context, token string, limit int) ([]store.SCIMRequest, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupSCIM)
	if err != nil {
		return nil, err
	}
	reqs, err := d.ListSCIMRequests(ctx, actor, l.WorkspaceID, 0, limit)
	if errors.Is(err, store.ErrNotFound) {
		return []store.SCIMRequest{}, nil
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
func (d *Links) SetupSSOConnection(ctx context.Context, token string, box *seal.Box, req store.OIDCConnectionRequest) (store.OIDCConnection, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupSSO)
	if err != nil {
		return store.OIDCConnection{}, err
	}
	if l.OIDCConnectionID != "" {
		if err := store.ValidateOIDCConnection(&req); err != nil {
			return store.OIDCConnection{}, err
		}
		upd := store.OIDCConnectionUpdate{Name: &req.Name, Issuer: &req.Issuer, ClientID: &req.ClientID, ClientSecret: &req.ClientSecret, Kind: &req.Kind,
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
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		_, err := t.Execute(`UPDATE setup_links SET oidc_connection_id = ? WHERE id = ?`, c.ID, l.ID)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("record the setup link's connection: %w", err)
	}
	return c, nil
}

// clearSetupTest forgets a test sign-in that a changed connection made
// stale.
func (d *Links) clearSetupTest(ctx context.Context, linkID string) error {
	return d.InTx(ctx, store.System(), func(t *store.Tx) error {
		_, err := t.Execute(`UPDATE setup_links SET test_result = '' WHERE id = ?`, linkID)
		return err
	})
}

// SetupSSOTestConnection is the connection an SSO setup link made, for
// the relying party to start a test sign-in through it (even though it
// is not enabled yet). No connection yet is ErrNotFound.
func (d *Links) SetupSSOTestConnection(ctx context.Context, token string) (store.OIDCConnection, error) {
	_, l, err := d.setupActor(ctx, token, store.SetupSSO)
	if err != nil {
		return store.OIDCConnection{}, err
	}
	if l.OIDCConnectionID == "" {
		return store.OIDCConnection{}, fmt.Errorf("%w: enter the provider's details first", store.ErrNotFound)
	}
	return d.OIDCConnectionByID(ctx, l.OIDCConnectionID)
}

// RecordSetupSignInTest keeps what a test sign-in through the link's
// connection received (req as the relying party verified it, claims as
// shown to the holder) and decides, with the same email-trust rule as a
// real sign-in, whether Roster would accept the email. Nobody is signed
// in and no person is created.
func (d *Links) RecordSetupSignInTest(ctx context.Context, token string, req store.SignInRequest, claims map[string]string) (store.SetupSignInTest, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupSSO)
	if err != nil {
		return store.SetupSignInTest{}, err
	}
	var out store.SetupSignInTest
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(l.WorkspaceID)
		if err != nil {
			return err
		}
		if _, err := t.Authorize(ws, store.PermConnectionsManage); err != nil {
			return err
		}
		if req.Connection != l.OIDCConnectionID {
			return fmt.Errorf("%w: the test sign-in went through another connection than this link's", store.ErrForbidden)
		}
		conn, err := t.OidcConnection(l.OIDCConnectionID)
		if err != nil {
			return err
		}
		email, _ := store.NormalizeEmail(req.Email)
		out = store.SetupSignInTest{At: t.Now, Email: req.Email, EmailVerified: req.EmailVerified, Subject: req.Subject, Claims: claims}
		ok, err := t.TrustSignIn(req, conn, email)
		switch {
		case errors.Is(err, store.ErrWrongTenant):
			out.Reason = "The account belongs to another Microsoft Entra tenant than the one this connection is pinned to."
		case err != nil:
			return err
		case ok:
			out.Accepted = true
		case email == "":
			out.Reason = "The identity provider sent no email address. Add the email claim (scope \"email\") to the application."
		default:
			dom, err := t.VerifiedDomainOf(conn.WorkspaceID, store.EmailDomain(email))
			if err != nil {
				return err
			}
			if dom == nil {
				out.Reason = fmt.Sprintf("%s is not a verified domain of %s. Until it is, nobody with an address there can sign in through this connection; ask the workspace's admins to verify it (a domain setup link lets you do it).", store.EmailDomain(email), ws.Name)
			} else {
				out.Reason = "The identity provider did not mark the email address as verified (email_verified is not true)."
			}
		}
		b, _ := json.Marshal(out)
		if _, err := t.Execute(`UPDATE setup_links SET test_result = ? WHERE id = ?`, string(b), l.ID); err != nil {
			return fmt.Errorf("record test sign-in: %w", err)
		}
		return nil
	})
	return out, err
}

// SetupDomains lists the domains of a domain setup link's workspace.
func (d *Links) SetupDomains(ctx context.Context, token string) ([]store.Domain, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupDomain)
	if err != nil {
		return nil, err
	}
	return d.ListDomains(ctx, actor, l.WorkspaceID)
}

// SetupAddDomain claims a domain for the link's workspace (AddDomain).
func (d *Links) SetupAddDomain(ctx context.Context, token, domain string) (store.Domain, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupDomain)
	if err != nil {
		return store.Domain{}, err
	}
	return d.AddDomain(ctx, actor, l.WorkspaceID, domain)
}

// SetupVerifyDomain checks a domain's TXT record now (VerifyDomain). A
// domain of another workspace is ErrNotFound.
func (d *Links) SetupVerifyDomain(ctx context.Context, token, domainID string) (store.Domain, error) {
	actor, l, err := d.setupActor(ctx, token, store.SetupDomain)
	if err != nil {
		return store.Domain{}, err
	}
	return d.VerifyDomain(ctx, actor, l.WorkspaceID, domainID)
}

// FinishSetup ends a setup: it writes the summary the workspace's admins
// see, records a setup_link.completed event, and for an SSO link switches
// the connection on. An SSO setup finishes only after a test sign-in.
// The link cannot be used again.
func (d *Links) FinishSetup(ctx context.Context, token string) (store.SetupLink, error) {
	actor, l, err := d.setupActor(ctx, token, "")
	if err != nil {
		return store.SetupLink{}, err
	}
	var summary string
	switch l.Purpose {
	case store.SetupSCIM:
		reqs, err := d.SetupSCIMRequests(ctx, token, 1000)
		if err != nil {
			return store.SetupLink{}, err
		}
		summary = scimSummary(l, reqs)
	case store.SetupDomain:
		doms, err := d.ListDomains(ctx, actor, l.WorkspaceID)
		if err != nil {
			return store.SetupLink{}, err
		}
		summary = domainSummary(doms)
	}
	var out store.SetupLink
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(l.WorkspaceID)
		if err != nil {
			return err
		}
		perm, _ := store.SetupPermission(l.Purpose)
		if _, err := t.Authorize(ws, perm); err != nil {
			return err
		}
		r, err := t.SetupLink(ws.ID, l.ID, true)
		if err != nil {
			return err
		}
		if err := r.Usable(t); err != nil {
			return err
		}
		if r.Purpose == store.SetupSSO {
			cur := r.Public()
			if cur.Test == nil {
				return store.Invalidf("run a test sign-in before switching single sign-on on")
			}
			conn, err := t.OidcConnection(r.OIDCConnectionID)
			if err != nil {
				return err
			}
			if _, err := t.Execute(`UPDATE oidc_connections SET enabled = ?, updated_at = ? WHERE id = ?`, true, t.Now, conn.ID); err != nil {
				return fmt.Errorf("enable connection: %w", err)
			}
			if err := t.Emit(ws.ID, "oidc_connection.enabled", "oidc_connection", conn.ID, map[string]any{"issuer": conn.Issuer, "client_id": conn.ClientID}); err != nil {
				return err
			}
			summary = ssoSummary(cur, conn)
		}
		if _, err := t.Execute(`UPDATE setup_links SET completed_at = ?, summary = ? WHERE id = ?`, t.Now, summary, r.ID); err != nil {
			return fmt.Errorf("finish setup: %w", err)
		}
		now := t.Now
		r.CompletedAt, r.Summary = &now, summary
		out = r.Public()
		return t.Emit(ws.ID, "setup_link.completed", "setup_link", r.ID, map[string]any{"purpose": r.Purpose, "provider": r.Provider, "summary": summary})
	})
	return out, err
}

func providerPhrase(l store.SetupLink) string {
	if l.Provider == "" || l.Provider == SetupProviderGeneric {
		return ""
	}
	return " from " + SetupProviderName(l.Provider)
}

func scimSummary(l store.SetupLink, reqs []store.SCIMRequest) string {
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

func ssoSummary(l store.SetupLink, c *store.OIDCConnection) string {
	s := fmt.Sprintf("Single sign-on%s is on (issuer %s, client %s).", providerPhrase(l), c.Issuer, c.ClientID)
	if l.Test.Accepted {
		return s + fmt.Sprintf(" The test sign-in as %s was accepted.", l.Test.Email)
	}
	return s + " The test sign-in was not accepted: " + l.Test.Reason
}

func domainSummary(doms []store.Domain) string {
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
