package directory

// The operations below are done by the directory's jobs (provision,
// signin, outbox, setuplinks); the Directory passes each on, so that doors
// and their tests name one service.

import (
	"context"
	"time"

	"github.com/rosterhq/roster/seal"
)

// ClaimOutbox leases up to limit due messages of a kind for lease: they are
// not handed to anyone else until the lease runs out, so a sender that
// crashes mid-way loses nothing, and several replicas never send the same
// message at once (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a
// single writer). The claim is one statement, atomic on its own, like
// the completions below: the outbox is written at the rate things
// happen, and a transaction around each step would double its round trips.
// The earliest due are claimed first, and come back in id order.
func (d *Directory) ClaimOutbox(a0 context.Context, a1 string, a2 int, a3 time.Duration) ([]OutboxMessage, error) {
	return d.outbox.ClaimOutbox(a0, a1, a2, a3)
}

// ExtendOutboxLease is a sender's heartbeat: it extends the lease on
// messages it claimed and is still sending to lease from now, so a slow
// send is not handed to another replica meanwhile. A message is the
// sender's only while its attempt count is the one its claim set (a
// re-claim after the lease ran out counts another attempt); the ones
// that are not (re-claimed, or no longer pending) are returned as lost,
// and their leases are left alone. Lease instants are on the
// Directory's clock, like ClaimOutbox's.
func (d *Directory) ExtendOutboxLease(a0 context.Context, a1 []OutboxMessage, a2 time.Duration) (lost []int64, err error) {
	return d.outbox.ExtendOutboxLease(a0, a1, a2)
}

// CompleteOutbox marks a message delivered. Email payloads carry links with
// one-time tokens; once sent they are replaced by a redacted copy so no
// usable token stays in the database.
func (d *Directory) CompleteOutbox(a0 context.Context, a1 int64, a2 any) error {
	return d.outbox.CompleteOutbox(a0, a1, a2)
}

// FailOutbox records a failed attempt: retried at retryAt, or given up
// when final. A message given up for good keeps only its redacted copy
// (when one is given), like a sent one, so its one-time links do not stay
// in the database.
func (d *Directory) FailOutbox(a0 context.Context, a1 int64, a2 string, a3 time.Time, a4 bool, a5 any) error {
	return d.outbox.FailOutbox(a0, a1, a2, a3, a4, a5)
}

// OutboxOf lists a workspace's outbox messages of a kind, newest first, up
// to limit. It is for delivery logs and tests; it takes no actor because
// callers have already authorised the workspace.
func (d *Directory) OutboxOf(a0 context.Context, a1 string, a2 string, a3 int) ([]OutboxStatus, error) {
	return d.outbox.OutboxOf(a0, a1, a2, a3)
}

// ListOutbox lists outbox messages newest first, with why each failed.
func (d *Directory) ListOutbox(a0 context.Context, a1 Actor, a2 OutboxFilter) ([]OutboxEntry, error) {
	return d.outbox.ListOutbox(a0, a1, a2)
}

// RetryOutbox makes a message that failed for good due now. Its attempts
// are kept, so a message that fails again is given up at once rather than
// retried for another round of backoff. Only failed messages are retried:
// a pending one may be in a sender's hands right now.
func (d *Directory) RetryOutbox(a0 context.Context, a1 Actor, a2 string, a3 int64) (OutboxEntry, error) {
	return d.outbox.RetryOutbox(a0, a1, a2, a3)
}

// DiscardOutbox gives a message up for good without sending it: pending
// or failed, it becomes discarded, which no sender claims. An email's
// data (its one-time links) is dropped with it.
func (d *Directory) DiscardOutbox(a0 context.Context, a1 Actor, a2 string, a3 int64) (OutboxEntry, error) {
	return d.outbox.DiscardOutbox(a0, a1, a2, a3)
}

// SAMLConnectionForEmail is home-realm discovery for SAML: the SAML
// connection that signs in an email address, by the rule of
// OIDCConnectionForEmail (the domain must be VERIFIED by a workspace; a
// connection naming the domain wins over one serving every verified
// domain). The sign-in door asks it when no OIDC connection routes the
// address.
func (d *Directory) SAMLConnectionForEmail(a0 context.Context, a1 string) (conn SAMLConnection, ok bool, err error) {
	return d.signin.SAMLConnectionForEmail(a0, a1)
}

// SAMLConnectionsToRefresh lists the connections with a metadata URL whose
// metadata was last fetched before olderThan (or never), oldest first, at
// most limit: the refresher's work list, shared by every replica (each
// refresh is idempotent).
func (d *Directory) SAMLConnectionsToRefresh(a0 context.Context, a1 time.Time, a2 int) ([]SAMLConnection, error) {
	return d.signin.SAMLConnectionsToRefresh(a0, a1, a2)
}

// RecordSAMLMetadata stores what a refresh of a connection's metadata
// found: new metadata (whose entity ID must be the connection's, since
// identities are keyed on it), or why the fetch failed, which keeps the
// last good metadata in use. A change of metadata (a rotated certificate)
// is in the event feed.
func (d *Directory) RecordSAMLMetadata(a0 context.Context, a1 string, a2 string, a3 string, a4 error) error {
	return d.signin.RecordSAMLMetadata(a0, a1, a2, a3, a4)
}

// ConsumeSAMLAssertion records that the assertion id of issuer has been
// accepted, until it expires; a second use, on any replica sharing the
// database, is ErrAssertionReplayed. Expired records are dropped on the
// way, so the table holds only assertions that could still be presented.
func (d *Directory) ConsumeSAMLAssertion(a0 context.Context, a1 string, a2 string, a3 time.Time) error {
	return d.signin.ConsumeSAMLAssertion(a0, a1, a2, a3)
}

// SCIMCreateGroup creates a team for a group the IdP pushed. A name
// already used by a team of the workspace is ErrConflict (Entra requires
// unique display names; it looks groups up by name first). A group name
// the connection maps to a role makes the team grant it.
func (d *Directory) SCIMCreateGroup(a0 context.Context, a1 SCIMConnection, a2 SCIMGroupInput) (SCIMGroup, string, error) {
	return d.provision.SCIMCreateGroup(a0, a1, a2)
}

// SCIMGetGroup returns one group, with its members only when asked (so
// excludedAttributes=members never reads them).
func (d *Directory) SCIMGetGroup(a0 context.Context, a1 SCIMConnection, a2 string, a3 bool) (SCIMGroup, error) {
	return d.provision.SCIMGetGroup(a0, a1, a2, a3)
}

// SCIMListGroups pages through the workspace's groups matching q.Filter,
// with the members of the page's groups when asked (one more query).
func (d *Directory) SCIMListGroups(a0 context.Context, a1 SCIMConnection, a2 SCIMQuery, a3 bool) (SCIMGroupPage, error) {
	return d.provision.SCIMListGroups(a0, a1, a2, a3)
}

// SCIMUpdateGroup applies a PUT or PATCH to a group in one transaction:
// the group row is locked, so concurrent changes to one group queue and
// none is lost, and member operations touch only the members they name.
// Renaming to a name the connection maps to a role makes the team grant
// it (and renaming away from a mapped name stops it). It returns the
// group as changed, without members (its version is the answer's ETag:
// the members are not read again, so the lock is held no longer than the
// change needs), and what it did.
func (d *Directory) SCIMUpdateGroup(a0 context.Context, a1 SCIMConnection, a2 string, a3 SCIMGroupUpdate) (SCIMGroup, string, error) {
	return d.provision.SCIMUpdateGroup(a0, a1, a2, a3)
}

// SCIMDeleteGroup deletes a group's team; the members stay in the
// workspace and lose a role the team granted. check sees the group first
// (If-Match).
func (d *Directory) SCIMDeleteGroup(a0 context.Context, a1 SCIMConnection, a2 string, a3 func(cur SCIMGroup) error) (string, error) {
	return d.provision.SCIMDeleteGroup(a0, a1, a2, a3)
}

// SCIMGetUser returns one SCIM user of the connection's workspace, with
// one query.
func (d *Directory) SCIMGetUser(a0 context.Context, a1 SCIMConnection, a2 string) (SCIMUser, error) {
	return d.provision.SCIMGetUser(a0, a1, a2)
}

// SCIMUserGroups returns the groups (teams) of SCIM users, keyed by user
// id, for the users' "groups" attribute.
func (d *Directory) SCIMUserGroups(a0 context.Context, a1 SCIMConnection, a2 []string) (map[string][]SCIMMemberRef, error) {
	return d.provision.SCIMUserGroups(a0, a1, a2)
}

// SCIMListUsers pages through the SCIM users of the connection's workspace
// that match q.Filter, translated to SQL (no rows are filtered in Go). A
// lookup that fits one page is one query; a full page adds a count.
func (d *Directory) SCIMListUsers(a0 context.Context, a1 SCIMConnection, a2 SCIMQuery) (SCIMUserPage, error) {
	return d.provision.SCIMListUsers(a0, a1, a2)
}

// RecordSCIMRequests is WriteSCIMRequests for callers that keep no
// backlog: it reports only whether the database could be reached.
func (d *Directory) RecordSCIMRequests(a0 context.Context, a1 []SCIMRequest) error {
	return d.provision.RecordSCIMRequests(a0, a1)
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
func (d *Directory) WriteSCIMRequests(a0 context.Context, a1 []SCIMRequest) (done int, rejected int, err error) {
	return d.provision.WriteSCIMRequests(a0, a1)
}

// FilterSCIMRequests returns the newest entries of a workspace's request
// log that match f. It needs connections.manage, like ListSCIMRequests.
func (d *Directory) FilterSCIMRequests(a0 context.Context, a1 Actor, a2 string, a3 SCIMRequestFilter) ([]SCIMRequest, error) {
	return d.provision.FilterSCIMRequests(a0, a1, a2, a3)
}

// SCIMUpdateUser replaces a SCIM user with what update returns, in one
// transaction: PUT and every PATCH go through here, so a PATCH is atomic.
// A new userName must be free; a changed email relinks an internal person
// (re-inviting them if their invitation is pending, or applying the
// bridge rules if they had no address yet); name and language follow
// for internal people only, since an external person's profile belongs to
// their home workspace; active=false suspends and revokes sessions, and
// active=true reactivates with a seat check.
func (d *Directory) SCIMUpdateUser(a0 context.Context, a1 SCIMConnection, a2 string, a3 SCIMUpdate) (SCIMUser, string, error) {
	return d.provision.SCIMUpdateUser(a0, a1, a2, a3)
}

// SCIMDeleteUser removes a SCIM user (a SCIM DELETE): the membership
// becomes a tombstone that keeps its userName and externalId, so the same
// account provisioned again revives it. check sees the current state first
// (If-Match).
func (d *Directory) SCIMDeleteUser(a0 context.Context, a1 SCIMConnection, a2 string, a3 func(cur SCIMUser) error) (string, error) {
	return d.provision.SCIMDeleteUser(a0, a1, a2, a3)
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
func (d *Directory) SCIMCreateUser(a0 context.Context, a1 SCIMConnection, a2 SCIMUserInput) (SCIMUser, string, error) {
	return d.provision.SCIMCreateUser(a0, a1, a2)
}

// SessionByToken returns the live session a cookie names. Unknown, revoked
// and expired tokens are ErrNotFound; the caller treats all three as
// signed out.
func (d *Directory) SessionByToken(a0 context.Context, a1 string) (Session, error) {
	return d.signin.SessionByToken(a0, a1)
}

// EndSession signs a browser out (logout); an unknown token is not an
// error.
func (d *Directory) EndSession(a0 context.Context, a1 string) error {
	return d.signin.EndSession(a0, a1)
}

// SetupURL is the URL the holder of a setup link opens.
func (d *Directory) SetupURL(a0 string) string { return d.setuplinks.SetupURL(a0) }

// CreateSetupLink makes a setup link. The token and the URL built from it
// are returned once and never stored. A SCIM or SSO link needs
// connections.manage, a domain link domains.manage: a link never lets its
// holder do what its creator could not.
func (d *Directory) CreateSetupLink(a0 context.Context, a1 Actor, a2 string, a3 SetupLinkRequest) (SetupLink, string, string, error) {
	return d.setuplinks.CreateSetupLink(a0, a1, a2, a3)
}

// ListSetupLinks lists a workspace's setup links, newest first. It needs
// connections.manage or domains.manage.
func (d *Directory) ListSetupLinks(a0 context.Context, a1 Actor, a2 string) ([]SetupLink, error) {
	return d.setuplinks.ListSetupLinks(a0, a1, a2)
}

// GetSetupLink returns one setup link of a workspace, with the same
// permissions as ListSetupLinks.
func (d *Directory) GetSetupLink(a0 context.Context, a1 Actor, a2 string, a3 string) (SetupLink, error) {
	return d.setuplinks.GetSetupLink(a0, a1, a2, a3)
}

// RevokeSetupLink stops a setup link at once; its holder sees a page that
// says so. What the holder already set up stays. It needs the permission
// of the link's purpose; revoking a revoked link is ErrConflict.
func (d *Directory) RevokeSetupLink(a0 context.Context, a1 Actor, a2 string, a3 string) (SetupLink, error) {
	return d.setuplinks.RevokeSetupLink(a0, a1, a2, a3)
}

// OpenSetupLink returns the link a token names, for its page. An unknown
// token is ErrNotFound; a revoked or expired link is returned together
// with ErrRevoked or ErrExpired, so the page can say which. A finished
// link is returned without error (its page shows the summary).
func (d *Directory) OpenSetupLink(a0 context.Context, a1 string) (SetupLink, error) {
	return d.setuplinks.OpenSetupLink(a0, a1)
}

// SetupChooseProvider records which identity provider the holder of a
// SCIM or SSO link uses, so the page shows its steps and the summary
// names it.
func (d *Directory) SetupChooseProvider(a0 context.Context, a1 string, a2 string) (SetupLink, error) {
	return d.setuplinks.SetupChooseProvider(a0, a1, a2)
}

// SetupSCIMToken makes a SCIM token for the holder of a SCIM setup link,
// creating the workspace's SCIM connection first when it has none. The
// token is returned once, like every SCIM token.
func (d *Directory) SetupSCIMToken(a0 context.Context, a1 string) (SCIMToken, string, error) {
	return d.setuplinks.SetupSCIMToken(a0, a1)
}

// SetupSCIMRequests returns the newest SCIM requests of the link's
// workspace made since the link was, newest first: what the page shows
// arriving. None yet (or no connection yet) is an empty list.
func (d *Directory) SetupSCIMRequests(a0 context.Context, a1 string, a2 int) ([]SCIMRequest, error) {
	return d.setuplinks.SetupSCIMRequests(a0, a1, a2)
}

// SetupSSOConnection makes (or, when the link made one already, changes)
// the single sign-on connection of an SSO setup link. The connection is
// created switched off: nobody signs in through it until the holder ran a
// test sign-in and finished the setup. Validation is
// CreateOIDCConnection's.
func (d *Directory) SetupSSOConnection(a0 context.Context, a1 string, a2 *seal.Box, a3 OIDCConnectionRequest) (OIDCConnection, error) {
	return d.setuplinks.SetupSSOConnection(a0, a1, a2, a3)
}

// SetupSSOTestConnection is the connection an SSO setup link made, for
// the relying party to start a test sign-in through it (even though it
// is not enabled yet). No connection yet is ErrNotFound.
func (d *Directory) SetupSSOTestConnection(a0 context.Context, a1 string) (OIDCConnection, error) {
	return d.setuplinks.SetupSSOTestConnection(a0, a1)
}

// RecordSetupSignInTest keeps what a test sign-in through the link's
// connection received (req as the relying party verified it, claims as
// shown to the holder) and decides, with the same email-trust rule as a
// real sign-in, whether Roster would accept the email. Nobody is signed
// in and no person is created.
func (d *Directory) RecordSetupSignInTest(a0 context.Context, a1 string, a2 SignInRequest, a3 map[string]string) (SetupSignInTest, error) {
	return d.setuplinks.RecordSetupSignInTest(a0, a1, a2, a3)
}

// SetupDomains lists the domains of a domain setup link's workspace.
func (d *Directory) SetupDomains(a0 context.Context, a1 string) ([]Domain, error) {
	return d.setuplinks.SetupDomains(a0, a1)
}

// SetupAddDomain claims a domain for the link's workspace (AddDomain).
func (d *Directory) SetupAddDomain(a0 context.Context, a1 string, a2 string) (Domain, error) {
	return d.setuplinks.SetupAddDomain(a0, a1, a2)
}

// SetupVerifyDomain checks a domain's TXT record now (VerifyDomain). A
// domain of another workspace is ErrNotFound.
func (d *Directory) SetupVerifyDomain(a0 context.Context, a1 string, a2 string) (Domain, error) {
	return d.setuplinks.SetupVerifyDomain(a0, a1, a2)
}

// FinishSetup ends a setup: it writes the summary the workspace's admins
// see, records a setup_link.completed event, and for an SSO link switches
// the connection on. An SSO setup finishes only after a test sign-in.
// The link cannot be used again.
func (d *Directory) FinishSetup(a0 context.Context, a1 string) (SetupLink, error) {
	return d.setuplinks.FinishSetup(a0, a1)
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
func (d *Directory) SignIn(a0 context.Context, a1 SignInRequest) (SignInResult, error) {
	return d.signin.SignIn(a0, a1)
}

// SignInGapFor explains a missing route for email into workspaceID. It
// tells only about the workspace whose link the person holds.
func (d *Directory) SignInGapFor(a0 context.Context, a1 string, a2 string) (SignInGap, error) {
	return d.signin.SignInGapFor(a0, a1, a2)
}

// MyWorkspaces lists the workspaces of a user with each membership's
// status (removed ones are left out) and their pending join requests. It
// is the user's own view, so the only actor is the user.
func (d *Directory) MyWorkspaces(a0 context.Context, a1 string) (Me, error) {
	return d.signin.MyWorkspaces(a0, a1)
}

// CompleteOnboarding records the activation steps of the user's active
// membership in workspace: the accepted terms version on the membership,
// the name, language and phone. An external member's name and phone live
// in their home workspace, so only the language is recorded for them.
func (d *Directory) CompleteOnboarding(a0 context.Context, a1 string, a2 string, a3 Onboarding) (Member, error) {
	return d.signin.CompleteOnboarding(a0, a1, a2, a3)
}

// CreateWebhook registers a webhook; events committed from now on that
// match its types are delivered to it. It needs connections.manage.
func (d *Directory) CreateWebhook(a0 context.Context, a1 Actor, a2 string, a3 WebhookRequest) (Webhook, error) {
	return d.outbox.CreateWebhook(a0, a1, a2, a3)
}

// UpdateWebhook changes a webhook's URL, description, types, secret or
// active switch.
func (d *Directory) UpdateWebhook(a0 context.Context, a1 Actor, a2 string, a3 string, a4 WebhookUpdate) (Webhook, error) {
	return d.outbox.UpdateWebhook(a0, a1, a2, a3, a4)
}

// DeleteWebhook deletes a webhook with its delivery log; deliveries still
// queued for it are dropped.
func (d *Directory) DeleteWebhook(a0 context.Context, a1 Actor, a2 string, a3 string) error {
	return d.outbox.DeleteWebhook(a0, a1, a2, a3)
}

// GetWebhook returns one webhook.
func (d *Directory) GetWebhook(a0 context.Context, a1 Actor, a2 string, a3 string) (Webhook, error) {
	return d.outbox.GetWebhook(a0, a1, a2, a3)
}

// ListWebhooks lists a workspace's webhooks, oldest first.
func (d *Directory) ListWebhooks(a0 context.Context, a1 Actor, a2 string) ([]Webhook, error) {
	return d.outbox.ListWebhooks(a0, a1, a2)
}

// PingWebhook sends a webhook.ping event to one webhook only, so an admin
// can check the receiver and its signature verification.
func (d *Directory) PingWebhook(a0 context.Context, a1 Actor, a2 string, a3 string) (Event, error) {
	return d.outbox.PingWebhook(a0, a1, a2, a3)
}

// WebhookTarget loads a webhook for delivery. It takes no actor: the
// outbox worker acts for Roster itself. A deleted webhook is ErrNotFound.
func (d *Directory) WebhookTarget(a0 context.Context, a1 string) (WebhookTarget, error) {
	return d.outbox.WebhookTarget(a0, a1)
}

// RecordWebhookAttempt appends one attempt to the delivery log; the
// delivery handler calls it for every attempt, successful or not.
// a.Attempt is ignored: the log numbers attempts itself.
func (d *Directory) RecordWebhookAttempt(a0 context.Context, a1 WebhookAttempt) error {
	return d.outbox.RecordWebhookAttempt(a0, a1)
}

// ListWebhookDeliveries is a webhook's delivery log, newest first: up to
// limit deliveries, with status (pending/sent/failed) and every attempt's
// response code and error.
func (d *Directory) ListWebhookDeliveries(a0 context.Context, a1 Actor, a2 string, a3 string, a4 string, a5 int) ([]WebhookDelivery, error) {
	return d.outbox.ListWebhookDeliveries(a0, a1, a2, a3, a4, a5)
}

// RedeliverWebhook queues again every delivery of a webhook that failed
// for good (its receiver was down longer than the retries last), so a
// receiver that comes back gets everything. It returns how many were
// queued.
func (d *Directory) RedeliverWebhook(a0 context.Context, a1 Actor, a2 string, a3 string) (int, error) {
	return d.outbox.RedeliverWebhook(a0, a1, a2, a3)
}
