package signin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
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

// SignInResult is the outcome and the new session.
type SignInResult struct {
	Outcome SignInOutcome
	UserID  string
	Email   string
	// Workspace is the workspace the sign-in was about, if any.
	Workspace *store.Workspace
	Member    *store.Member
	// Request is the join request filed or pending.
	Request *store.JoinRequest
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
	conn       *store.OIDCConnection
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
// It is the one call the OIDC callback makes, and one transaction:
// identifying the person, the outcome (the rules of AcceptInvitation,
// UseJoinLink and JoinByDomain) and the identity link and session commit
// together or not at all. Parallel sign-ins of one identity (a callback
// hit twice, two tabs) take turns: the first decides, the others find its
// work done and are signed in.
func (d *Signin) SignIn(ctx context.Context, req store.SignInRequest) (SignInResult, error) {
	req, err := req.Storable()
	if err != nil {
		return SignInResult{}, err
	}
	if req.Connection == "" || req.Issuer == "" || req.Subject == "" {
		return SignInResult{}, store.Invalidf("a sign-in needs a connection, an issuer and a subject")
	}
	var res SignInResult
	var seat seatNotice
	err = d.InTx(ctx, store.Actor{Kind: store.ActorUser, Name: strings.TrimSpace(req.Name), Source: "oidc"}, func(t *store.Tx) error {
		var err error
		res, err = signIn(t, req, &seat)
		return err
	})
	var seatErr *store.SeatLimitError
	if store.AsSeatLimit(err, &seatErr) && seat.workspaceID != "" {
		d.NotifySeatLimit(ctx, seat.actor, seat.workspaceID, seatErr, seat.email, seat.source)
	}
	if err != nil {
		return SignInResult{}, err
	}
	return res, nil
}

// seatNotice says what to tell a workspace's owners when a sign-in is
// refused at the seat limit: notifySeatLimit runs after the refused
// transaction has rolled back.
type seatNotice struct {
	actor       store.Actor
	workspaceID string
	email       string
	source      string
}

// signIn is SignIn in the caller's transaction; seat is filled in before
// each step that may claim a seat.
func signIn(t *store.Tx, req store.SignInRequest, seat *seatNotice) (SignInResult, error) {
	var res SignInResult
	// Nothing may be decided on what a parallel first sign-in of the same
	// identity has not committed yet: the identity, the user and the
	// membership it creates do not exist to be locked, so the key is.
	if err := t.LockKey(fmt.Sprintf("sign-in %q %q %q", req.Connection, req.Issuer, req.Subject)); err != nil {
		return res, err
	}
	who, err := identify(t, req)
	if err != nil {
		return res, err
	}
	id := store.VerifiedIdentity{Email: who.email, Name: strings.TrimSpace(req.Name), Locale: strings.TrimSpace(req.Locale)}
	// email is who.email normalised, for the link and domain rules.
	needEmail := func() (string, error) {
		if who.email == "" {
			return "", ErrUnverifiedEmail
		}
		return store.NormalizeEmail(who.email)
	}
	user := store.Actor{Kind: store.ActorUser, Name: id.Name, Source: "oidc"}
	switch {
	case req.Invitation != "":
		email, err := needEmail()
		if err != nil {
			return res, err
		}
		t.Actor = user
		acc, wsID, err := t.AcceptInvitation(req.Invitation, email, id)
		*seat = seatNotice{actor: store.Actor{Kind: store.ActorUser, Source: "oidc"}, workspaceID: wsID, email: email, source: "invitation acceptance"}
		if errors.Is(err, store.ErrUsed) {
			// Following the link again after accepting it signs in.
			res, err = signInAgain(t, who, wsID, err)
			if err != nil {
				return res, err
			}
			break
		}
		if err != nil {
			return res, err
		}
		ws := acc.Workspace
		res = SignInResult{Outcome: SignInAccepted, UserID: acc.Member.UserID, Email: acc.Member.Email, Workspace: &ws, Member: &acc.Member}
	case req.JoinLink != "":
		email, err := needEmail()
		if err != nil {
			return res, err
		}
		t.Actor = user
		jr, wsID, err := t.UseJoinLink(req.JoinLink, email, id)
		*seat = seatNotice{actor: user, workspaceID: wsID, email: email, source: "join link"}
		if err != nil {
			return res, err
		}
		if res, err = joinResult(t, jr); err != nil {
			return res, err
		}
	default:
		if res, err = signInLogin(t, who, id, seat); err != nil {
			return res, err
		}
	}
	t.Actor = store.Actor{Kind: store.ActorUser, ID: res.UserID, Source: "oidc"}
	return res, finishSignIn(t, &res, who, req)
}

// identify resolves the person behind an identity: by the linked identity
// (connection, issuer, subject); else, on a workspace connection, by a
// SCIM externalId; else by a trusted email. Whether the email is trusted,
// and whether an Entra tenant may sign in at all, is trustSignIn's rule.
func identify(t *store.Tx, req store.SignInRequest) (signInUser, error) {
	var who signInUser
	email := ""
	if req.Email != "" {
		if e, err := store.NormalizeEmail(req.Email); err == nil {
			email = e
		}
	}
	if !strings.HasPrefix(req.Connection, ServerProviderPrefix) {
		c, err := signInConnection(t, req)
		if err != nil {
			return who, err
		}
		if c.Issuer != req.Issuer {
			return who, fmt.Errorf("%w: issuer %s is not the connection's", store.ErrForbidden, req.Issuer)
		}
		who.conn = c
	}
	trusted, err := t.TrustSignIn(req, who.conn, email)
	if err != nil {
		return who, err
	}
	who.trusted = trusted
	var linked struct {
		ID     string `db:"id"`
		UserID string `db:"user_id"`
	}
	err = t.GetOne(&linked, `SELECT id, user_id FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ?`, req.Connection, req.Issuer, req.Subject)
	switch {
	case err == nil:
		who.userID, who.identityID = linked.UserID, linked.ID
	case !store.IsNotFound(store.NotFound(err, "")):
		return who, fmt.Errorf("find identity: %w", err)
	}
	if who.userID == "" && who.conn != nil {
		for _, ext := range req.ExternalIDs {
			if ext == "" {
				continue
			}
			var userID string
			err := t.GetOne(&userID, `SELECT user_id FROM memberships WHERE workspace_id = ? AND external_id = ? AND status <> 'removed' ORDER BY created_at LIMIT 1`, who.conn.WorkspaceID, ext)
			if err == nil {
				who.userID = userID
				break
			} else if !store.IsNotFound(store.NotFound(err, "")) {
				return who, fmt.Errorf("find provisioned member: %w", err)
			}
		}
	}
	if who.userID == "" && trusted {
		u, err := t.UserByEmail(email)
		if err != nil {
			return who, err
		}
		if u != nil {
			who.userID = u.ID
		}
	}
	if who.conn == nil {
		// A server-wide provider never speaks for a domain that a
		// workspace routes to its own provider, neither by the claimed
		// address nor by the linked person's.
		for _, addr := range []string{email, storedEmail(t, who.userID)} {
			if addr == "" {
				continue
			}
			routed, err := domainRouted(t, store.EmailDomain(addr))
			if err != nil {
				return who, err
			}
			if routed {
				return who, ErrOrganizationSSO
			}
		}
	}
	if who.userID != "" {
		var stored *string
		if err := t.GetOne(&stored, `SELECT email_norm FROM users WHERE id = ?`, who.userID); err != nil {
			return who, fmt.Errorf("load user: %w", err)
		}
		if stored != nil {
			// A linked person acts with the address the directory
			// knows, which was trusted when it was linked.
			who.email = *stored
		}
	} else if trusted {
		who.email = email
	}
	return who, nil
}

// storedEmail is a user's address, "" for none (or no user).
func storedEmail(t *store.Tx, userID string) string {
	if userID == "" {
		return ""
	}
	var e *string
	if err := t.GetOne(&e, `SELECT email_norm FROM users WHERE id = ?`, userID); err != nil || e == nil {
		return ""
	}
	return *e
}

// domainRouted reports whether a workspace has verified domain and has an
// OIDC or SAML connection that signs it in (home-realm discovery would send
// the address there). An OIDC connection not enabled yet (one a setup link
// made, before its test sign-in) routes nobody, so it does not shut out a
// server-wide provider while the IT admin is still setting it up.
func domainRouted(t *store.Tx, domain string) (bool, error) {
	if ok, err := connectionRoutes(t, "oidc_connections", " AND c.enabled", domain); ok || err != nil {
		return ok, err
	}
	return connectionRoutes(t, "saml_connections", "", domain)
}

// connectionRoutes reports whether a connection in table (oidc_connections
// or saml_connections) that meets the extra condition and, of a workspace
// that verified domain, signs the domain in: one that names no domains
// signs in all of them. table and and are constants, never input.
func connectionRoutes(t *store.Tx, table, and, domain string) (bool, error) {
	var rows []struct {
		Domains string `db:"domains"`
	}
	err := t.SelectRows(&rows, `SELECT c.domains FROM domains d JOIN `+table+` c ON c.workspace_id = d.workspace_id
		WHERE d.domain = ? AND d.verified_at IS NOT NULL`+and, domain)
	if err != nil {
		return false, fmt.Errorf("route %s: %w", domain, err)
	}
	for _, r := range rows {
		ds := store.DecodeStrings(r.Domains)
		if len(ds) == 0 || slices.Contains(ds, domain) {
			return true, nil
		}
	}
	return false, nil
}

// signInLogin is a sign-in without a link: the connection's workspace (or,
// through a server-wide provider, the workspace that verified the email's
// domain) decides; otherwise a person with workspaces is simply signed in.
func signInLogin(t *store.Tx, who signInUser, id store.VerifiedIdentity, seat *seatNotice) (SignInResult, error) {
	var res SignInResult
	wsID := ""
	if who.conn != nil {
		wsID = who.conn.WorkspaceID
	} else if who.trusted && who.email != "" {
		var err error
		if wsID, _, err = t.VerifiedDomainOwner(store.EmailDomain(who.email)); err != nil {
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
	if who.userID != "" {
		t.Actor = store.Actor{Kind: store.ActorUser, ID: who.userID, Name: id.Name, Source: "oidc"}
		*seat = seatNotice{actor: t.Actor, workspaceID: wsID, email: who.email, source: "invitation acceptance"}
		ws, err := t.Workspace(wsID)
		if err != nil {
			return res, err
		}
		m, err := t.MembershipOf(ws.ID, who.userID)
		if err != nil {
			return res, err
		}
		var mem *store.Member
		outcome := SignInMember
		switch {
		case m == nil:
		case m.Status == store.StatusSuspended:
			return res, t.SuspendedError(ws.ID, m.ID)
		case m.Status == store.StatusActive:
			if mem, err = t.Member(ws.ID, m.ID); err != nil {
				return res, err
			}
		case m.Status == store.StatusInvited:
			if who.email == "" {
				return res, ErrUnverifiedEmail
			}
			if mem, err = acceptPendingInvitation(t, ws, m.ID, who.email, id); err != nil {
				return res, err
			}
			outcome = SignInAccepted
		}
		if mem != nil {
			pub := ws.Public()
			return SignInResult{Outcome: outcome, UserID: who.userID, Email: mem.Email, Workspace: &pub, Member: mem}, nil
		}
	}
	// No membership: the domain's policy decides.
	if who.email == "" {
		return res, ErrUnverifiedEmail
	}
	email, err := store.NormalizeEmail(who.email)
	if err != nil {
		return res, err
	}
	t.Actor = store.Actor{Kind: store.ActorUser, Name: id.Name, Source: "oidc"}
	jr, wsID, err := t.JoinByDomain(wsID, email, id)
	*seat = seatNotice{actor: t.Actor, workspaceID: wsID, email: email, source: "domain auto-join"}
	if err != nil {
		return res, err
	}
	return joinResult(t, jr)
}

// acceptPendingInvitation accepts the open invitation of an invited
// membership when its person signs in through the workspace's own routing
// (they never needed the link). nil when there is no open invitation.
func acceptPendingInvitation(t *store.Tx, ws *store.WorkspaceRow, membershipID, email string, id store.VerifiedIdentity) (*store.Member, error) {
	var r store.InvitationRow
	err := t.GetOne(&r, `SELECT `+store.InvitationColumns+` FROM invitations WHERE membership_id = ? AND status = 'pending'`+t.ForUpdate(), membershipID)
	if err != nil {
		if store.IsNotFound(store.NotFound(err, "")) {
			return nil, nil
		}
		return nil, fmt.Errorf("find invitation: %w", err)
	}
	return t.AcceptInvitationRow(ws, &r, email, id)
}

// signInAgain turns a used invitation of workspace wsID into a sign-in
// when the person is already an active member of it; otherwise cause
// stands.
func signInAgain(t *store.Tx, who signInUser, wsID string, cause error) (SignInResult, error) {
	var res SignInResult
	if who.userID == "" || wsID == "" {
		return res, cause
	}
	ws, err := t.Workspace(wsID)
	if err != nil {
		return res, err
	}
	m, err := t.MembershipOf(ws.ID, who.userID)
	if err != nil {
		return res, err
	}
	if m == nil || m.Status != store.StatusActive {
		if m != nil && m.Status == store.StatusSuspended {
			return res, t.SuspendedError(ws.ID, m.ID)
		}
		return res, cause
	}
	mem, err := t.Member(ws.ID, m.ID)
	if err != nil {
		return res, err
	}
	pub := ws.Public()
	return SignInResult{Outcome: SignInMember, UserID: who.userID, Email: mem.Email, Workspace: &pub, Member: mem}, nil
}

// joinResult turns a join outcome into a sign-in result.
func joinResult(t *store.Tx, jr store.JoinResult) (SignInResult, error) {
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
	case store.JoinOutcomeJoined:
		res.Outcome = SignInJoined
	case store.JoinOutcomeRequested:
		res.Outcome = SignInRequested
	case store.JoinOutcomePending:
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
	ws, err := t.Workspace(wsID)
	if err != nil {
		return res, err
	}
	pub := ws.Public()
	res.Workspace = &pub
	return res, nil
}

// finishSignIn links the identity to the user (first sign-in), records the
// sign-in and opens the rotated session.
func finishSignIn(t *store.Tx, res *SignInResult, who signInUser, req store.SignInRequest) error {
	if res.UserID == "" {
		return fmt.Errorf("sign in: %w", ErrNoAccount)
	}
	identityID := who.identityID
	linked := identityID != ""
	if !linked {
		err := t.GetOne(&identityID, `INSERT INTO oidc_identities (id, connection_id, issuer, subject, user_id, email, created_at, last_sign_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (connection_id, issuer, subject) DO NOTHING RETURNING id`,
			store.NewID(), req.Connection, req.Issuer, req.Subject, res.UserID, who.email, t.Now, t.Now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Linked since identify looked: use that link if it is this
			// person's. Nothing failed, so the transaction can still read.
			var winner struct {
				ID     string `db:"id"`
				UserID string `db:"user_id"`
			}
			if err := t.GetOne(&winner, `SELECT id, user_id FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ?`,
				req.Connection, req.Issuer, req.Subject); err != nil {
				return fmt.Errorf("find linked identity: %w", err)
			}
			if winner.UserID != res.UserID {
				return fmt.Errorf("%w: this identity is linked to another person", store.ErrConflict)
			}
			identityID, linked = winner.ID, true
		case err != nil:
			return fmt.Errorf("link identity: %w", err)
		}
	}
	if linked {
		if _, err := t.Execute(`UPDATE oidc_identities SET last_sign_in_at = ? WHERE id = ?`, t.Now, identityID); err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
	}
	wsID := ""
	if res.Workspace != nil {
		wsID = res.Workspace.ID
	}
	if res.Member != nil && res.Member.Status == store.StatusActive {
		// The outcome was decided on a membership read without a lock:
		// lock the row now and check it is still active, so that a
		// suspension or removal committed meanwhile is not outrun by this
		// session (it revokes only the sessions it can see). Only the
		// membership is locked, not the workspace (hence the subquery).
		var onboarded struct {
			Status string     `db:"status"`
			At     *time.Time `db:"onboarded_at"`
			Terms  string     `db:"terms_version"`
			WS     string     `db:"ws_terms"`
		}
		if err := t.GetOne(&onboarded, `SELECT m.status, m.onboarded_at, m.terms_version, (SELECT w.terms_version FROM workspaces w WHERE w.id = m.workspace_id) AS ws_terms
			FROM memberships m WHERE m.id = ?`+t.ForNoKeyUpdate(), res.Member.ID); err != nil {
			return fmt.Errorf("onboarding state: %w", err)
		}
		switch onboarded.Status {
		case store.StatusActive:
		case store.StatusSuspended:
			return t.SuspendedError(res.Member.WorkspaceID, res.Member.ID)
		default:
			return fmt.Errorf("%w: the membership became %s during the sign-in", store.ErrConflict, onboarded.Status)
		}
		if err := t.Emit(res.Member.WorkspaceID, "member.signed_in", "member", res.Member.ID, map[string]string{"user_id": res.UserID, "connection": req.Connection, "outcome": string(res.Outcome)}); err != nil {
			return err
		}
		res.NeedsOnboarding = onboarded.At == nil || onboarded.Terms != onboarded.WS
	}
	token, expires, err := createSession(t, res.UserID, identityID, wsID, req.PreviousSession, req.SessionTTL)
	if err != nil {
		return err
	}
	res.SessionToken, res.SessionExpires = token, expires
	return nil
}
