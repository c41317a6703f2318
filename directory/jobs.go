package directory

import (
	"context"
	"time"

	"github.com/rosterhq/roster/seal"
)

// The operations below are done by the directory's jobs (provision,
// signin, outbox, setuplinks, inviting); the Directory passes each on, so that doors
// and their tests name one service.

// ClaimOutbox leases up to limit due messages of a kind for lease: they are
// not handed to anyone else until the lease runs out, so a sender that
// crashes mid-way loses nothing, and several replicas never send the same
// message at once (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a
// single writer). The claim is one statement, atomic on its own, like
// the completions below: the outbox is written at the rate things
// happen, and a transaction around each step would double its round trips.
// The earliest due are claimed first, and come back in id order.
func (d *Directory) ClaimOutbox(ctx context.Context, kind string, limit int, lease time.Duration) ([]OutboxMessage, error) {
	return d.outbox.ClaimOutbox(ctx, kind, limit, lease)
}

// ExtendOutboxLease is a sender's heartbeat: it extends the lease on
// messages it claimed and is still sending to lease from now, so a slow
// send is not handed to another replica meanwhile. A message is the
// sender's only while its attempt count is the one its claim set (a
// re-claim after the lease ran out counts another attempt); the ones
// that are not (re-claimed, or no longer pending) are returned as lost,
// and their leases are left alone. Lease instants are on the
// Directory's clock, like ClaimOutbox's.
func (d *Directory) ExtendOutboxLease(ctx context.Context, msgs []OutboxMessage, lease time.Duration) (lost []int64, err error) {
	return d.outbox.ExtendOutboxLease(ctx, msgs, lease)
}

// CompleteOutbox marks a message delivered. Email payloads carry links with
// one-time tokens; once sent they are replaced by a redacted copy so no
// usable token stays in the database.
func (d *Directory) CompleteOutbox(ctx context.Context, id int64, redacted any) error {
	return d.outbox.CompleteOutbox(ctx, id, redacted)
}

// FailOutbox records a failed attempt: retried at retryAt, or given up
// when final. A message given up for good keeps only its redacted copy
// (when one is given), like a sent one, so its one-time links do not stay
// in the database.
func (d *Directory) FailOutbox(ctx context.Context, id int64, reason string, retryAt time.Time, final bool, redacted any) error {
	return d.outbox.FailOutbox(ctx, id, reason, retryAt, final, redacted)
}

// OutboxOf lists a workspace's outbox messages of a kind, newest first, up
// to limit. It is for delivery logs and tests; it takes no actor because
// callers have already authorised the workspace.
func (d *Directory) OutboxOf(ctx context.Context, workspaceID string, kind string, limit int) ([]OutboxStatus, error) {
	return d.outbox.OutboxOf(ctx, workspaceID, kind, limit)
}

// ListOutbox lists outbox messages newest first, with why each failed.
func (d *Directory) ListOutbox(ctx context.Context, actor Actor, f OutboxFilter) ([]OutboxEntry, error) {
	return d.outbox.ListOutbox(ctx, actor, f)
}

// RetryOutbox makes a message that failed for good due now. Its attempts
// are kept, so a message that fails again is given up at once rather than
// retried for another round of backoff. Only failed messages are retried:
// a pending one may be in a sender's hands right now.
func (d *Directory) RetryOutbox(ctx context.Context, actor Actor, workspace string, id int64) (OutboxEntry, error) {
	return d.outbox.RetryOutbox(ctx, actor, workspace, id)
}

// DiscardOutbox gives a message up for good without sending it: pending
// or failed, it becomes discarded, which no sender claims. An email's
// data (its one-time links) is dropped with it.
func (d *Directory) DiscardOutbox(ctx context.Context, actor Actor, workspace string, id int64) (OutboxEntry, error) {
	return d.outbox.DiscardOutbox(ctx, actor, workspace, id)
}

// SAMLConnectionForEmail is home-realm discovery for SAML: the SAML
// connection that signs in an email address, by the rule of
// OIDCConnectionForEmail (the domain must be VERIFIED by a workspace; a
// connection naming the domain wins over one serving every verified
// domain). The sign-in door asks it when no OIDC connection routes the
// address.
func (d *Directory) SAMLConnectionForEmail(ctx context.Context, email string) (conn SAMLConnection, ok bool, err error) {
	return d.signin.SAMLConnectionForEmail(ctx, email)
}

// SAMLConnectionsToRefresh lists the connections with a metadata URL whose
// metadata was last fetched before olderThan (or never), oldest first, at
// most limit: the refresher's work list, shared by every replica (each
// refresh is idempotent).
func (d *Directory) SAMLConnectionsToRefresh(ctx context.Context, olderThan time.Time, limit int) ([]SAMLConnection, error) {
	return d.signin.SAMLConnectionsToRefresh(ctx, olderThan, limit)
}

// RecordSAMLMetadata stores what a refresh of a connection's metadata
// found: new metadata (whose entity ID must be the connection's, since
// identities are keyed on it), or why the fetch failed, which keeps the
// last good metadata in use. A change of metadata (a rotated certificate)
// is in the event feed.
func (d *Directory) RecordSAMLMetadata(ctx context.Context, connectionID string, entityID string, metadataXML string, fetchErr error) error {
	return d.signin.RecordSAMLMetadata(ctx, connectionID, entityID, metadataXML, fetchErr)
}

// ConsumeSAMLAssertion records that the assertion id of issuer has been
// accepted, until it expires; a second use, on any replica sharing the
// database, is ErrAssertionReplayed. Expired records are dropped on the
// way, so the table holds only assertions that could still be presented.
func (d *Directory) ConsumeSAMLAssertion(ctx context.Context, issuer string, assertionID string, expires time.Time) error {
	return d.signin.ConsumeSAMLAssertion(ctx, issuer, assertionID, expires)
}

// SCIMCreateGroup creates a team for a group the IdP pushed. A name
// already used by a team of the workspace is ErrConflict (Entra requires
// unique display names; it looks groups up by name first). A group name
// the connection maps to a role makes the team grant it.
func (d *Directory) SCIMCreateGroup(ctx context.Context, conn SCIMConnection, in SCIMGroupInput) (SCIMGroup, string, error) {
	return d.provision.SCIMCreateGroup(ctx, conn, in)
}

// SCIMGetGroup returns one group, with its members only when asked (so
// excludedAttributes=members never reads them).
func (d *Directory) SCIMGetGroup(ctx context.Context, conn SCIMConnection, id string, members bool) (SCIMGroup, error) {
	return d.provision.SCIMGetGroup(ctx, conn, id, members)
}

// SCIMListGroups pages through the workspace's groups matching q.Filter,
// with the members of the page's groups when asked (one more query).
func (d *Directory) SCIMListGroups(ctx context.Context, conn SCIMConnection, q SCIMQuery, members bool) (SCIMGroupPage, error) {
	return d.provision.SCIMListGroups(ctx, conn, q, members)
}

// SCIMUpdateGroup applies a PUT or PATCH to a group in one transaction:
// the group row is locked, so concurrent changes to one group queue and
// none is lost, and member operations touch only the members they name.
// Renaming to a name the connection maps to a role makes the team grant
// it (and renaming away from a mapped name stops it). It returns the
// group as changed, without members (its version is the answer's ETag:
// the members are not read again, so the lock is held no longer than the
// change needs), and what it did.
func (d *Directory) SCIMUpdateGroup(ctx context.Context, conn SCIMConnection, id string, update SCIMGroupUpdate) (SCIMGroup, string, error) {
	return d.provision.SCIMUpdateGroup(ctx, conn, id, update)
}

// SCIMDeleteGroup deletes a group's team; the members stay in the
// workspace and lose a role the team granted. check sees the group first
// (If-Match).
func (d *Directory) SCIMDeleteGroup(ctx context.Context, conn SCIMConnection, id string, check func(cur SCIMGroup) error) (string, error) {
	return d.provision.SCIMDeleteGroup(ctx, conn, id, check)
}

// SCIMGetUser returns one SCIM user of the connection's workspace, with
// one query.
func (d *Directory) SCIMGetUser(ctx context.Context, conn SCIMConnection, id string) (SCIMUser, error) {
	return d.provision.SCIMGetUser(ctx, conn, id)
}

// SCIMUserGroups returns the groups (teams) of SCIM users, keyed by user
// id, for the users' "groups" attribute.
func (d *Directory) SCIMUserGroups(ctx context.Context, conn SCIMConnection, ids []string) (map[string][]SCIMMemberRef, error) {
	return d.provision.SCIMUserGroups(ctx, conn, ids)
}

// SCIMListUsers pages through the SCIM users of the connection's workspace
// that match q.Filter, translated to SQL (no rows are filtered in Go). A
// lookup that fits one page is one query; a full page adds a count.
func (d *Directory) SCIMListUsers(ctx context.Context, conn SCIMConnection, q SCIMQuery) (SCIMUserPage, error) {
	return d.provision.SCIMListUsers(ctx, conn, q)
}

// RecordSCIMRequests is WriteSCIMRequests for callers that keep no
// backlog: it reports only whether the database could be reached.
func (d *Directory) RecordSCIMRequests(ctx context.Context, entries []SCIMRequest) error {
	return d.provision.RecordSCIMRequests(ctx, entries)
}

// WriteSCIMRequests appends entries to the request logs, in multi-row
// inserts; the SCIM handler batches them off the request path. Texts are
// made storable first (invalid UTF-8 and NUL become U+FFFD, long values
// are cut), so no input a client chose can fail a write. An entry the
// database still refuses (its connection was deleted meanwhile) costs
// only itself: the chunk it was in is written again entry by entry, and
// the refused entries are logged and counted in rejected.
//
// done is how many leading entries were dealt with (stored or rejected).
// On an error, entries[done:] were not written and may be retried: the
// error is ErrUnavailable when the database could not be reached, or the
// context's error.
func (d *Directory) WriteSCIMRequests(ctx context.Context, entries []SCIMRequest) (done int, rejected int, err error) {
	return d.provision.WriteSCIMRequests(ctx, entries)
}

// FilterSCIMRequests returns the newest entries of a workspace's request
// log that match f. It needs connections.manage, like ListSCIMRequests.
func (d *Directory) FilterSCIMRequests(ctx context.Context, actor Actor, workspace string, f SCIMRequestFilter) ([]SCIMRequest, error) {
	return d.provision.FilterSCIMRequests(ctx, actor, workspace, f)
}

// SCIMUpdateUser replaces a SCIM user with what update returns, in one
// transaction: PUT and every PATCH go through here, so a PATCH is atomic.
// A new userName must be free; a changed email relinks an internal person
// (re-inviting them if their invitation is pending, or applying the
// bridge rules if they had no address yet); name and language follow
// for internal people only, since an external person's profile belongs to
// their home workspace; active=false suspends and revokes sessions, and
// active=true reactivates with a seat check.
func (d *Directory) SCIMUpdateUser(ctx context.Context, conn SCIMConnection, id string, update SCIMUpdate) (SCIMUser, string, error) {
	return d.provision.SCIMUpdateUser(ctx, conn, id, update)
}

// SCIMDeleteUser removes a SCIM user (a SCIM DELETE): the membership
// becomes a tombstone that keeps its userName and externalId, so the same
// account provisioned again revives it. check sees the current state first
// (If-Match).
func (d *Directory) SCIMDeleteUser(ctx context.Context, conn SCIMConnection, id string, check func(cur SCIMUser) error) (string, error) {
	return d.provision.SCIMDeleteUser(ctx, conn, id, check)
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
func (d *Directory) SCIMCreateUser(ctx context.Context, conn SCIMConnection, in SCIMUserInput) (SCIMUser, string, error) {
	return d.provision.SCIMCreateUser(ctx, conn, in)
}

// SessionByToken returns the live session a cookie names. Unknown, revoked
// and expired tokens are ErrNotFound; the caller treats all three as
// signed out.
func (d *Directory) SessionByToken(ctx context.Context, token string) (Session, error) {
	return d.signin.SessionByToken(ctx, token)
}

// EndSession signs a browser out (logout); an unknown token is not an
// error.
func (d *Directory) EndSession(ctx context.Context, token string) error {
	return d.signin.EndSession(ctx, token)
}

// SetupURL is the URL the holder of a setup link opens.
func (d *Directory) SetupURL(token string) string { return d.setuplinks.SetupURL(token) }

// CreateSetupLink makes a setup link. The token and the URL built from it
// are returned once and never stored. A SCIM or SSO link needs
// connections.manage, a domain link domains.manage: a link never lets its
// holder do what its creator could not.
func (d *Directory) CreateSetupLink(ctx context.Context, actor Actor, workspace string, req SetupLinkRequest) (SetupLink, string, string, error) {
	return d.setuplinks.CreateSetupLink(ctx, actor, workspace, req)
}

// ListSetupLinks lists a workspace's setup links, newest first. It needs
// connections.manage or domains.manage.
func (d *Directory) ListSetupLinks(ctx context.Context, actor Actor, workspace string) ([]SetupLink, error) {
	return d.setuplinks.ListSetupLinks(ctx, actor, workspace)
}

// GetSetupLink returns one setup link of a workspace, with the same
// permissions as ListSetupLinks.
func (d *Directory) GetSetupLink(ctx context.Context, actor Actor, workspace string, id string) (SetupLink, error) {
	return d.setuplinks.GetSetupLink(ctx, actor, workspace, id)
}

// RevokeSetupLink stops a setup link at once; its holder sees a page that
// says so. What the holder already set up stays. It needs the permission
// of the link's purpose; revoking a revoked link is ErrConflict.
func (d *Directory) RevokeSetupLink(ctx context.Context, actor Actor, workspace string, id string) (SetupLink, error) {
	return d.setuplinks.RevokeSetupLink(ctx, actor, workspace, id)
}

// OpenSetupLink returns the link a token names, for its page. An unknown
// token is ErrNotFound; a revoked or expired link is returned together
// with ErrRevoked or ErrExpired, so the page can say which. A finished
// link is returned without error (its page shows the summary).
func (d *Directory) OpenSetupLink(ctx context.Context, token string) (SetupLink, error) {
	return d.setuplinks.OpenSetupLink(ctx, token)
}

// SetupChooseProvider records which identity provider the holder of a
// SCIM or SSO link uses, so the page shows its steps and the summary
// names it.
func (d *Directory) SetupChooseProvider(ctx context.Context, token string, provider string) (SetupLink, error) {
	return d.setuplinks.SetupChooseProvider(ctx, token, provider)
}

// SetupSCIMToken makes a SCIM token for the holder of a SCIM setup link,
// creating the workspace's SCIM connection first when it has none. The
// token is returned once, like every SCIM token.
func (d *Directory) SetupSCIMToken(ctx context.Context, token string) (SCIMToken, string, error) {
	return d.setuplinks.SetupSCIMToken(ctx, token)
}

// SetupSCIMRequests returns the newest SCIM requests of the link's
// workspace made since the link was, newest first: what the page shows
// arriving. None yet (or no connection yet) is an empty list.
func (d *Directory) SetupSCIMRequests(ctx context.Context, token string, limit int) ([]SCIMRequest, error) {
	return d.setuplinks.SetupSCIMRequests(ctx, token, limit)
}

// SetupSSOConnection makes (or, when the link made one already, changes)
// the single sign-on connection of an SSO setup link. The connection is
// created switched off: nobody signs in through it until the holder ran a
// test sign-in and finished the setup. Validation is
// CreateOIDCConnection's.
func (d *Directory) SetupSSOConnection(ctx context.Context, token string, box *seal.Box, req OIDCConnectionRequest) (OIDCConnection, error) {
	return d.setuplinks.SetupSSOConnection(ctx, token, box, req)
}

// SetupSSOTestConnection is the connection an SSO setup link made, for
// the relying party to start a test sign-in through it (even though it
// is not enabled yet). No connection yet is ErrNotFound.
func (d *Directory) SetupSSOTestConnection(ctx context.Context, token string) (OIDCConnection, error) {
	return d.setuplinks.SetupSSOTestConnection(ctx, token)
}

// RecordSetupSignInTest keeps what a test sign-in through the link's
// connection received (req as the relying party verified it, claims as
// shown to the holder) and decides, with the same email-trust rule as a
// real sign-in, whether Roster would accept the email. Nobody is signed
// in and no person is created.
func (d *Directory) RecordSetupSignInTest(ctx context.Context, token string, req SignInRequest, claims map[string]string) (SetupSignInTest, error) {
	return d.setuplinks.RecordSetupSignInTest(ctx, token, req, claims)
}

// SetupDomains lists the domains of a domain setup link's workspace.
func (d *Directory) SetupDomains(ctx context.Context, token string) ([]Domain, error) {
	return d.setuplinks.SetupDomains(ctx, token)
}

// SetupAddDomain claims a domain for the link's workspace (AddDomain).
func (d *Directory) SetupAddDomain(ctx context.Context, token string, domain string) (Domain, error) {
	return d.setuplinks.SetupAddDomain(ctx, token, domain)
}

// SetupVerifyDomain checks a domain's TXT record now (VerifyDomain). A
// domain of another workspace is ErrNotFound.
func (d *Directory) SetupVerifyDomain(ctx context.Context, token string, domainID string) (Domain, error) {
	return d.setuplinks.SetupVerifyDomain(ctx, token, domainID)
}

// FinishSetup ends a setup: it writes the summary the workspace's admins
// see, records a setup_link.completed event, and for an SSO link switches
// the connection on. An SSO setup finishes only after a test sign-in.
// The link cannot be used again.
func (d *Directory) FinishSetup(ctx context.Context, token string) (SetupLink, error) {
	return d.setuplinks.FinishSetup(ctx, token)
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
func (d *Directory) SignIn(ctx context.Context, req SignInRequest) (SignInResult, error) {
	return d.signin.SignIn(ctx, req)
}

// SignInGapFor explains a missing route for email into workspaceID. It
// tells only about the workspace whose link the person holds.
func (d *Directory) SignInGapFor(ctx context.Context, workspaceID string, email string) (SignInGap, error) {
	return d.signin.SignInGapFor(ctx, workspaceID, email)
}

// MyWorkspaces lists the workspaces of a user with each membership's
// status (removed ones are left out) and their pending join requests. It
// is the user's own view, so the only actor is the user.
func (d *Directory) MyWorkspaces(ctx context.Context, userID string) (Me, error) {
	return d.signin.MyWorkspaces(ctx, userID)
}

// CompleteOnboarding records the activation steps of the user's active
// membership in workspace: the accepted terms version on the membership,
// the name, language and phone. An external member's name and phone live
// in their home workspace, so only the language is recorded for them.
func (d *Directory) CompleteOnboarding(ctx context.Context, userID string, workspace string, o Onboarding) (Member, error) {
	return d.signin.CompleteOnboarding(ctx, userID, workspace, o)
}

// CreateWebhook registers a webhook; events committed from now on that
// match its types are delivered to it. It needs connections.manage.
func (d *Directory) CreateWebhook(ctx context.Context, actor Actor, workspace string, req WebhookRequest) (Webhook, error) {
	return d.outbox.CreateWebhook(ctx, actor, workspace, req)
}

// UpdateWebhook changes a webhook's URL, description, types, secret or
// active switch.
func (d *Directory) UpdateWebhook(ctx context.Context, actor Actor, workspace string, id string, u WebhookUpdate) (Webhook, error) {
	return d.outbox.UpdateWebhook(ctx, actor, workspace, id, u)
}

// DeleteWebhook deletes a webhook with its delivery log; deliveries still
// queued for it are dropped.
func (d *Directory) DeleteWebhook(ctx context.Context, actor Actor, workspace string, id string) error {
	return d.outbox.DeleteWebhook(ctx, actor, workspace, id)
}

// GetWebhook returns one webhook.
func (d *Directory) GetWebhook(ctx context.Context, actor Actor, workspace string, id string) (Webhook, error) {
	return d.outbox.GetWebhook(ctx, actor, workspace, id)
}

// ListWebhooks lists a workspace's webhooks, oldest first.
func (d *Directory) ListWebhooks(ctx context.Context, actor Actor, workspace string) ([]Webhook, error) {
	return d.outbox.ListWebhooks(ctx, actor, workspace)
}

// PingWebhook sends a webhook.ping event to one webhook only, so an admin
// can check the receiver and its signature verification.
func (d *Directory) PingWebhook(ctx context.Context, actor Actor, workspace string, id string) (Event, error) {
	return d.outbox.PingWebhook(ctx, actor, workspace, id)
}

// WebhookTarget loads a webhook for delivery. It takes no actor: the
// outbox worker acts for Roster itself. A deleted webhook is ErrNotFound.
func (d *Directory) WebhookTarget(ctx context.Context, id string) (WebhookTarget, error) {
	return d.outbox.WebhookTarget(ctx, id)
}

// RecordWebhookAttempt appends one attempt to the delivery log; the
// delivery handler calls it for every attempt, successful or not.
// a.Attempt is ignored: the log numbers attempts itself.
func (d *Directory) RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) error {
	return d.outbox.RecordWebhookAttempt(ctx, a)
}

// ListWebhookDeliveries is a webhook's delivery log, newest first: up to
// limit deliveries, with status (pending/sent/failed) and every attempt's
// response code and error.
func (d *Directory) ListWebhookDeliveries(ctx context.Context, actor Actor, workspace string, id string, status string, limit int) ([]WebhookDelivery, error) {
	return d.outbox.ListWebhookDeliveries(ctx, actor, workspace, id, status, limit)
}

// RedeliverWebhook queues again every delivery of a webhook that failed
// for good (its receiver was down longer than the retries last), so a
// receiver that comes back gets everything. It returns how many were
// queued.
func (d *Directory) RedeliverWebhook(ctx context.Context, actor Actor, workspace string, id string) (int, error) {
	return d.outbox.RedeliverWebhook(ctx, actor, workspace, id)
}

// Invite invites every address of the request and returns one outcome per
// address, in order. Each address is its own transaction, so one bad
// address (invalid, over the seat limit) never fails the others. The
// returned error is for the request as a whole: no permission, unknown
// role or team, an invitee's details over the limits (a FieldError).
func (d *Directory) Invite(ctx context.Context, actor Actor, workspace string, req InviteRequest) ([]InviteOutcome, error) {
	return d.inviting.Invite(ctx, actor, workspace, req)
}

// ImportInvitations invites the people of a table, one outcome per data
// row in file order (inviting.Inviter.ImportInvitations has the rules).
func (d *Directory) ImportInvitations(ctx context.Context, actor Actor, workspace string, req ImportRequest) ([]ImportOutcome, error) {
	return d.inviting.ImportInvitations(ctx, actor, workspace, req)
}

// PlanImport answers, row by row, what ImportInvitations would do with
// req now, and writes nothing.
func (d *Directory) PlanImport(ctx context.Context, actor Actor, workspace string, req ImportRequest) (ImportPlan, error) {
	return d.inviting.PlanImport(ctx, actor, workspace, req)
}
