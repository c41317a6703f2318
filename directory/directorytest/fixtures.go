package directorytest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/event"
)

// The fixtures below arrange what most behaviour tests start from. They
// go through the Directory's operations, except InsertVerifiedDomain,
// which writes the row a DNS check would have verified.

// NewWorkspace creates a workspace whose owner has accepted, and returns
// it with an Actor for that owner.
func NewWorkspace(t testing.TB, d *directory.Directory, slug string) (directory.Workspace, directory.Actor) {
	t.Helper()
	ctx := context.Background()
	ws, owner, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Work " + slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	acc, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@" + slug + ".example", Name: "Olivia Owner"})
	if err != nil {
		t.Fatalf("owner accepts: %v", err)
	}
	return ws, directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Name: "Olivia Owner", Source: "api"}
}

// Join invites email with role and accepts, returning the member and an
// actor for them.
func Join(t testing.TB, d *directory.Directory, by directory.Actor, ws, email, role string) (directory.Member, directory.Actor) {
	t.Helper()
	ctx := context.Background()
	out, err := d.Invite(ctx, by, ws, directory.InviteRequest{Text: email, Role: role})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	acc, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: email})
	if err != nil {
		t.Fatalf("accept %s: %v", email, err)
	}
	return acc.Member, directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Source: "api"}
}

// SCIMConnect gives ws a SCIM connection with req and returns it as a
// request authenticated with a fresh token sees it.
func SCIMConnect(t testing.TB, d *directory.Directory, ws string, req directory.SCIMConnectionRequest) directory.SCIMConnection {
	t.Helper()
	ctx := context.Background()
	op := directory.Operator()
	if _, err := d.CreateSCIMConnection(ctx, op, ws, req); err != nil {
		t.Fatalf("create SCIM connection: %v", err)
	}
	_, token, err := d.CreateSCIMToken(ctx, op, ws, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatalf("create SCIM token: %v", err)
	}
	conn, err := d.AuthenticateSCIM(ctx, token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return conn
}

// SCIMUser is a SCIM user representation as the front door hands it over.
func SCIMUser(userName, email string) directory.SCIMUserInput {
	attrs := map[string]any{"name": map[string]any{"givenName": "Sam", "familyName": "Person"}}
	in := directory.SCIMUserInput{UserName: userName, Active: true, Name: "Sam Person", Attrs: attrs}
	if email != "" {
		attrs["emails"] = []any{map[string]any{"value": email, "type": "work", "primary": true}}
		in.Email = email
		in.Emails = []directory.SCIMEmail{{Value: email, Type: "work", Primary: true}}
	}
	return in
}

// InsertVerifiedDomain marks domain verified for a workspace, as
// VerifyDomain does after a DNS TXT check; d must come from Open.
func InsertVerifiedDomain(t testing.TB, d *directory.Directory, wsID, domain, policy, role string) {
	t.Helper()
	now := time.Now().UTC()
	db := DB(t, d)
	_, err := db.Exec(db.Rebind(`INSERT INTO domains (id, workspace_id, domain, verification_token, verified_at, policy, default_role, created_at, updated_at) VALUES (?, ?, ?, 'tok', ?, ?, ?, ?, ?)`),
		"dom-"+domain, wsID, domain, now, policy, role, now, now)
	if err != nil {
		t.Fatalf("verify domain %s: %v", domain, err)
	}
}

// WebhookOutbox is the workspace's webhook messages in queue order.
func WebhookOutbox(t testing.TB, d *directory.Directory, workspaceID string) []directory.OutboxStatus {
	t.Helper()
	msgs, err := d.OutboxOf(context.Background(), workspaceID, directory.OutboxWebhook, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// OutboxOf is newest first; tests read in queue order.
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	return msgs
}

// SeatEvents returns the payloads of the workspace's seats.limit_reached
// events, oldest first. They are read from the events table, not the
// feed: on PostgreSQL the feed waits for every older transaction of the
// cluster, which other tests' leave open for as long as they like.
func SeatEvents(t testing.TB, d *directory.Directory, wsID string) []event.SeatLimitReached {
	t.Helper()
	db := DB(t, d)
	var payloads []string
	if err := db.Select(&payloads, db.Rebind(`SELECT payload FROM events WHERE workspace_id = ? AND type = 'seats.limit_reached' ORDER BY id`), wsID); err != nil {
		t.Fatal(err)
	}
	out := make([]event.SeatLimitReached, len(payloads))
	for i, raw := range payloads {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			t.Fatalf("payload %s: %v", raw, err)
		}
	}
	return out
}
