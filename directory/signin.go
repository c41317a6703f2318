package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrUnverifiedEmail refuses a sign-in that needs an email address the
// identity provider has not vouched for (no email_verified=true, or an
// Entra tenant outside the workspace's verified domains).
var ErrUnverifiedEmail = errors.New("the identity provider did not verify this email address")

// ErrNoAccount is a sign-in by someone who belongs to no workspace and
// brought no invitation or join link.
var ErrNoAccount = errors.New("no workspace has given this person access")

// ErrOrganizationSSO refuses a sign-in through a server-wide provider for
// an address whose domain a workspace has verified and routes to its own
// identity provider: that provider is authoritative for its people (it
// offboards them), so another provider's word on the address is not taken.
var ErrOrganizationSSO = errors.New("this address signs in with its organisation's identity provider")

// SignInOutcome says what a sign-in did.
type SignInOutcome string

// The outcomes of a sign-in (DESIGN.md, the bridge rules).
const (
	// SignInMember: an existing member (or a person with workspaces) is signed in.
	SignInMember SignInOutcome = "signed_in"
	// SignInAccepted: a pending invitation was accepted.
	SignInAccepted SignInOutcome = "invitation_accepted"
	// SignInJoined: an auto_join domain or a direct join link made a member.
	SignInJoined SignInOutcome = "joined"
	// SignInRequested: a join request was filed (request domain or join link).
	SignInRequested SignInOutcome = "requested"
	// SignInPending: a join request was already waiting.
	SignInPending SignInOutcome = "request_pending"
)

// SignInRequest is an identity the relying party verified (signature,
// issuer, audience, expiry, nonce, Google's hd already checked; whether an
// Entra tenant fits the connection is decided here) and what the person
// came for.
type SignInRequest struct {
	// Connection is a workspace connection id, or ServerProviderPrefix+key
	// for a server-wide provider.
	Connection string
	Issuer     string
	Subject    string
	// Email and EmailVerified are as the identity provider asserted them;
	// the directory decides whether to trust the address (see DESIGN.md).
	Email         string
	EmailVerified bool
	// ExternalIDs are immutable ids that SCIM may have stored as a
	// membership's externalId (the Entra oid, the Okta user id = sub);
	// they link a provisioned person on first sign-in.
	ExternalIDs []string
	// TenantID is the Entra tid claim.
	TenantID string
	Name     string
	Locale   string
	// EmailDomainOwnerVerified is Entra's xms_edov claim as received: the
	// tenant owns the email's domain. ProviderKind is the kind (OIDCEntra…)
	// of a server-wide provider; a workspace connection's own kind counts.
	// Directory decides what they mean (trustSignIn).
	EmailDomainOwnerVerified bool
	ProviderKind             string

	// Invitation or JoinLink is the token of the link the person
	// followed; neither for a plain login.
	Invitation string
	JoinLink   string

	// PreviousSession is the token of the browser's current session, which
	// the new one replaces.
	PreviousSession string
	SessionTTL      time.Duration
}

// SignInResult is the outcome and the new session.
type SignInResult struct {
	Outcome SignInOutcome
	UserID  string
	Email   string
	// Workspace is the workspace the sign-in was about, if any.
	Workspace *Workspace
	Member    *Member
	// Request is the join request filed or pending.
	Request *JoinRequest
	// NeedsOnboarding: the membership has activation steps to do.
	NeedsOnboarding bool
	// SessionToken goes into the session cookie; shown once.
	SessionToken   string
	SessionExpires time.Time
}

// signInUser is what the first step learns about the person.
type signInUser struct {
	userID     string // "" when nobody is linked or found
	identityID string // "" when the identity is not linked yet
	email      string // the address to act on: the linked user's, or a trusted one
	trusted    bool   // email may create or link (verified by the rules)
	conn       *OIDCConnection
}

// SignIn decides what a verified sign-in means, by the bridge rules of
// DESIGN.md, and opens a session: a pending invitation is accepted, an
// auto_join domain or direct join link makes a member, a request domain or
// approval join link files a join request, an existing member is signed in.
// Suspended, rejected, over the seat limit, a mismatched or unverified
// email, and used or expired links are errors (ErrSuspended, ErrRejected,
// ErrSeatLimit, ErrEmailMismatch, ErrUnverifiedEmail, ErrUsed, ErrExpired,
// ErrRevoked) for the front door to explain.
//
// It is the one call the OIDC callback makes. Identity linking, the
// outcome and the session are separate transactions (the outcome reuses
// AcceptInvitation, UseJoinLink and JoinByDomain); each is safe to repeat,
// so a failure between them is repaired by signing in again.
func (d *Directory) SignIn(ctx context.Context, req SignInRequest) (SignInResult, error) {
	var res SignInResult
	if req.Connection == "" || req.Issuer == "" || req.Subject == "" {
		return res, invalidf("a sign-in needs a connection, an issuer and a subject")
	}
	who, err := d.identify(ctx, req)
	if err != nil {
		return res, err
	}
	id := VerifiedIdentity{Email: who.email, Name: strings.TrimSpace(req.Name), Locale: strings.TrimSpace(req.Locale)}
	needEmail := func() error {
		if who.email == "" {
			return ErrUnverifiedEmail
		}
		return nil
	}
	switch {
	case req.Invitation != "":
		if err := needEmail(); err != nil {
			return res, err
		}
		acc, err := d.AcceptInvitation(ctx, req.Invitation, id)
		if errors.Is(err, ErrUsed) {
			// Following the link again after accepting it signs in.
			return d.signInAgain(ctx, who, req, func(t *tx) (string, error) {
				var wsID string
				err := t.get(&wsID, `SELECT workspace_id FROM invitations WHERE token_hash = ?`, HashToken(req.Invitation))
				return wsID, err
			}, err)
		}
		if err != nil {
			return res, err
		}
		ws := acc.Workspace
		res = SignInResult{Outcome: SignInAccepted, UserID: acc.Member.UserID, Email: acc.Member.Email, Workspace: &ws, Member: &acc.Member}
	case req.JoinLink != "":
		if err := needEmail(); err != nil {
			return res, err
		}
		jr, err := d.UseJoinLink(ctx, req.JoinLink, id)
		if err != nil {
			return res, err
		}
		res, err = d.joinResult(ctx, jr)
		if err != nil {
			return res, err
		}
	default:
		res, err = d.signInLogin(ctx, who, id)
		if err != nil {
			return res, err
		}
	}
	err = d.inTx(ctx, Actor{Kind: ActorUser, ID: res.UserID, Source: "oidc"}, func(t *tx) error {
		return t.finishSignIn(&res, who, req)
	})
	return res, err
}

// identify resolves the person behind an identity: by the linked identity
// (connection, issuer, subject); else, on a workspace connection, by a
// SCIM externalId; else by a trusted email. Whether the email is trusted,
// and whether an Entra tenant may sign in at all, is trustSignIn's rule.
func (d *Directory) identify(ctx context.Context, req SignInRequest) (signInUser, error) {
	var who signInUser
	err := d.readTx(ctx, System(), func(t *tx) error {
		email := ""
		if req.Email != "" {
			if e, err := NormalizeEmail(req.Email); err == nil {
				email = e
			}
		}
		if !strings.HasPrefix(req.Connection, ServerProviderPrefix) {
			c, err := t.oidcConnection(req.Connection)
			if err != nil {
				return err
			}
			if c.Issuer != req.Issuer {
				return fmt.Errorf("%w: issuer %s is not the connection's", ErrForbidden, req.Issuer)
			}
			who.conn = c
		}
		trusted, err := t.trustSignIn(req, who.conn, email)
		if err != nil {
			return err
		}
		who.trusted = trusted
		var linked struct {
			ID     string `db:"id"`
			UserID string `db:"user_id"`
		}
		err = t.get(&linked, `SELECT id, user_id FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ?`, req.Connection, req.Issuer, req.Subject)
		switch {
		case err == nil:
			who.userID, who.identityID = linked.UserID, linked.ID
		case !isNotFound(notFound(err, "")):
			return fmt.Errorf("find identity: %w", err)
		}
		if who.userID == "" && who.conn != nil {
			for _, ext := range req.ExternalIDs {
				if ext == "" {
					continue
				}
				var userID string
				err := t.get(&userID, `SELECT user_id FROM memberships WHERE workspace_id = ? AND external_id = ? AND status <> 'removed' ORDER BY created_at LIMIT 1`, who.conn.WorkspaceID, ext)
				if err == nil {
					who.userID = userID
					break
				} else if !isNotFound(notFound(err, "")) {
					return fmt.Errorf("find provisioned member: %w", err)
				}
			}
		}
		if who.userID == "" && trusted {
			u, err := t.userByEmail(email)
			if err != nil {
				return err
			}
			if u != nil {
				who.userID = u.ID
			}
		}
		if who.conn == nil {
			// A server-wide provider never speaks for a domain that a
			// workspace routes to its own provider, neither by the claimed
			// address nor by the linked person's.
			for _, addr := range []string{email, t.storedEmail(who.userID)} {
				if addr == "" {
					continue
				}
				routed, err := t.domainRouted(EmailDomain(addr))
				if err != nil {
					return err
				}
				if routed {
					return ErrOrganizationSSO
				}
			}
		}
		if who.userID != "" {
			var stored *string
			if err := t.get(&stored, `SELECT email_norm FROM users WHERE id = ?`, who.userID); err != nil {
				return fmt.Errorf("load user: %w", err)
			}
			if stored != nil {
				// A linked person acts with the address the directory
				// knows, which was trusted when it was linked.
				who.email = *stored
			}
		} else if trusted {
			who.email = email
		}
		return nil
	})
	return who, err
}

// storedEmail is a user's address, "" for none (or no user).
func (t *tx) storedEmail(userID string) string {
	if userID == "" {
		return ""
	}
	var e *string
	if err := t.get(&e, `SELECT email_norm FROM users WHERE id = ?`, userID); err != nil || e == nil {
		return ""
	}
	return *e
}

// domainRouted reports whether a workspace has verified domain and has an
// OIDC connection that signs it in (home-realm discovery would send the
// address there).
func (t *tx) domainRouted(domain string) (bool, error) {
	var rows []struct {
		Domains string `db:"domains"`
	}
	err := t.selectRows(&rows, `SELECT c.domains FROM domains d JOIN oidc_connections c ON c.workspace_id = d.workspace_id
		WHERE d.domain = ? AND d.verified_at IS NOT NULL`, domain)
	if err != nil {
		return false, fmt.Errorf("route %s: %w", domain, err)
	}
	for _, r := range rows {
		ds := decodeStrings(r.Domains)
		if len(ds) == 0 || slices.Contains(ds, domain) {
			return true, nil
		}
	}
	return false, nil
}

// signInLogin is a sign-in without a link: the connection's workspace (or,
// through a server-wide provider, the workspace that verified the email's
// domain) decides; otherwise a person with workspaces is simply signed in.
func (d *Directory) signInLogin(ctx context.Context, who signInUser, id VerifiedIdentity) (SignInResult, error) {
	var res SignInResult
	wsID := ""
	if who.conn != nil {
		wsID = who.conn.WorkspaceID
	} else if who.trusted && who.email != "" {
		err := d.readTx(ctx, System(), func(t *tx) error {
			err := t.get(&wsID, `SELECT workspace_id FROM domains WHERE domain = ? AND verified_at IS NOT NULL`, EmailDomain(who.email))
			if err != nil && !isNotFound(notFound(err, "")) {
				return fmt.Errorf("find domain: %w", err)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	if wsID == "" {
		if who.userID == "" {
			return res, ErrNoAccount
		}
		return SignInResult{Outcome: SignInMember, UserID: who.userID, Email: who.email}, nil
	}
	// An existing membership decides first: active signs in, suspended is
	// refused, a pending invitation is accepted.
	var seatErr *SeatLimitError
	var decided bool
	actor := Actor{Kind: ActorUser, ID: who.userID, Name: id.Name, Source: "oidc"}
	err := d.inTx(ctx, actor, func(t *tx) error {
		if who.userID == "" {
			return nil
		}
		ws, err := t.workspace(wsID)
		if err != nil {
			return err
		}
		m, err := t.membershipOf(ws.ID, who.userID)
		if err != nil || m == nil {
			return err
		}
		var mem *Member
		switch m.Status {
		case StatusSuspended:
			return t.suspendedError(ws.ID, m.ID)
		case StatusActive:
			if mem, err = t.member(ws.ID, m.ID); err != nil {
				return err
			}
			res.Outcome = SignInMember
		case StatusInvited:
			if who.email == "" {
				return ErrUnverifiedEmail
			}
			mem, err = t.acceptPendingInvitation(ws, m.ID, who.email, id)
			if err != nil || mem == nil {
				return err
			}
			res.Outcome = SignInAccepted
		default:
			return nil
		}
		pub := ws.public()
		res.UserID, res.Email, res.Workspace, res.Member = who.userID, mem.Email, &pub, mem
		decided = true
		return nil
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, actor, wsID, seatErr, who.email, "invitation acceptance")
	}
	if err != nil || decided {
		return res, err
	}
	// No membership: the domain's policy decides.
	if who.email == "" {
		return res, ErrUnverifiedEmail
	}
	jr, err := d.JoinByDomain(ctx, wsID, id)
	if err != nil {
		return res, err
	}
	return d.joinResult(ctx, jr)
}

// acceptPendingInvitation accepts the open invitation of an invited
// membership when its person signs in through the workspace's own routing
// (they never needed the link). nil when there is no open invitation.
func (t *tx) acceptPendingInvitation(ws *workspaceRow, membershipID, email string, id VerifiedIdentity) (*Member, error) {
	var r invitationRow
	err := t.get(&r, `SELECT `+invitationColumns+` FROM invitations WHERE membership_id = ? AND status = 'pending'`+t.forUpdate(), membershipID)
	if err != nil {
		if isNotFound(notFound(err, "")) {
			return nil, nil
		}
		return nil, fmt.Errorf("find invitation: %w", err)
	}
	return t.acceptInvitationRow(ws, &r, email, id)
}

// signInAgain turns a used invitation into a sign-in when the person is
// already an active member of its workspace; otherwise cause stands.
func (d *Directory) signInAgain(ctx context.Context, who signInUser, req SignInRequest, workspaceOf func(t *tx) (string, error), cause error) (SignInResult, error) {
	var res SignInResult
	if who.userID == "" {
		return res, cause
	}
	err := d.readTx(ctx, System(), func(t *tx) error {
		wsID, err := workspaceOf(t)
		if err != nil {
			return cause
		}
		ws, err := t.workspace(wsID)
		if err != nil {
			return err
		}
		m, err := t.membershipOf(ws.ID, who.userID)
		if err != nil {
			return err
		}
		if m == nil || m.Status != StatusActive {
			if m != nil && m.Status == StatusSuspended {
				return t.suspendedError(ws.ID, m.ID)
			}
			return cause
		}
		mem, err := t.member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		pub := ws.public()
		res = SignInResult{Outcome: SignInMember, UserID: who.userID, Email: mem.Email, Workspace: &pub, Member: mem}
		return nil
	})
	if err != nil {
		return res, err
	}
	err = d.inTx(ctx, Actor{Kind: ActorUser, ID: res.UserID, Source: "oidc"}, func(t *tx) error {
		return t.finishSignIn(&res, who, req)
	})
	return res, err
}

// joinResult turns a join outcome into a sign-in result.
func (d *Directory) joinResult(ctx context.Context, jr JoinResult) (SignInResult, error) {
	var res SignInResult
	switch {
	case jr.Member != nil:
		res.UserID, res.Email, res.Member = jr.Member.UserID, jr.Member.Email, jr.Member
	case jr.Request != nil:
		res.UserID, res.Email, res.Request = jr.Request.UserID, jr.Request.Email, jr.Request
	default:
		return res, fmt.Errorf("join: %q outcome without a member or a request", jr.Outcome)
	}
	switch jr.Outcome {
	case JoinOutcomeJoined:
		res.Outcome = SignInJoined
	case JoinOutcomeRequested:
		res.Outcome = SignInRequested
	case JoinOutcomePending:
		res.Outcome = SignInPending
	default:
		res.Outcome = SignInMember
	}
	wsID := ""
	if jr.Member != nil {
		wsID = jr.Member.WorkspaceID
	} else {
		wsID = jr.Request.WorkspaceID
	}
	err := d.readTx(ctx, System(), func(t *tx) error {
		ws, err := t.workspace(wsID)
		if err != nil {
			return err
		}
		pub := ws.public()
		res.Workspace = &pub
		return nil
	})
	return res, err
}

// finishSignIn links the identity to the user (first sign-in), records the
// sign-in and opens the rotated session.
func (t *tx) finishSignIn(res *SignInResult, who signInUser, req SignInRequest) error {
	if res.UserID == "" {
		return fmt.Errorf("sign in: %w", ErrNoAccount)
	}
	identityID := who.identityID
	email := ""
	if who.email != "" {
		email = who.email
	}
	if identityID == "" {
		identityID = newID()
		_, err := t.exec(`INSERT INTO oidc_identities (id, connection_id, issuer, subject, user_id, email, created_at, last_sign_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			identityID, req.Connection, req.Issuer, req.Subject, res.UserID, email, t.now, t.now)
		if isUniqueViolation(err) {
			// A parallel first sign-in linked it; use that link.
			if err := t.get(&identityID, `SELECT id FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ? AND user_id = ?`,
				req.Connection, req.Issuer, req.Subject, res.UserID); err != nil {
				return fmt.Errorf("%w: this identity is linked to another person", ErrConflict)
			}
		} else if err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
	} else if _, err := t.exec(`UPDATE oidc_identities SET last_sign_in_at = ? WHERE id = ?`, t.now, identityID); err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	wsID := ""
	if res.Workspace != nil {
		wsID = res.Workspace.ID
	}
	if res.Member != nil && res.Member.Status == StatusActive {
		if err := t.emit(res.Member.WorkspaceID, "member.signed_in", "member", res.Member.ID, map[string]string{"user_id": res.UserID, "connection": req.Connection, "outcome": string(res.Outcome)}); err != nil {
			return err
		}
		var onboarded struct {
			At    *time.Time `db:"onboarded_at"`
			Terms string     `db:"terms_version"`
			WS    string     `db:"ws_terms"`
		}
		if err := t.get(&onboarded, `SELECT m.onboarded_at, m.terms_version, w.terms_version AS ws_terms FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.id = ?`, res.Member.ID); err != nil {
			return fmt.Errorf("onboarding state: %w", err)
		}
		res.NeedsOnboarding = onboarded.At == nil || onboarded.Terms != onboarded.WS
	}
	token, expires, err := t.createSession(res.UserID, identityID, wsID, req.PreviousSession, req.SessionTTL)
	if err != nil {
		return err
	}
	res.SessionToken, res.SessionExpires = token, expires
	return nil
}
