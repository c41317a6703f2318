package suite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// scimConnectionTests: SCIM connections, their tokens, and the request
// log.
var scimConnectionTests = []test{
	{"SCIMConnectionsAndTokens", testSCIMConnectionsAndTokens},
	{"SCIMTokenExpiry", testSCIMTokenExpiry},
	{"SCIMRequestLog", testSCIMRequestLog},
}

func testSCIMConnectionsAndTokens(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	member, memberActor := join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleMember)
	_ = member
	if _, err := d.CreateSCIMConnection(ctx, memberActor, ws.Slug, directory.SCIMConnectionRequest{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member creates connection: err = %v, want ErrForbidden", err)
	}
	for _, req := range []directory.SCIMConnectionRequest{
		{Profile: "azure"}, {Activation: "sometimes"}, {SeatPolicy: "ignore"}, {DefaultRole: "nobody"},
		{LogRetention: time.Minute}, {TeamRoles: map[string]string{"Admins": "emperor"}},
	} {
		if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, req); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("create connection %+v: err = %v, want ErrInvalid", req, err)
		}
	}
	if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{DefaultRole: directory.RoleOwner}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("default role owner: err = %v, want ErrForbidden (SCIM acts as an admin)", err)
	}
	conn, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{Profile: "Entra", TeamRoles: map[string]string{"Managers": "manager"}})
	if err != nil {
		t.Fatal(err)
	}
	if conn.Profile != directory.ProfileEntra || conn.DefaultRole != directory.RoleMember || !conn.SendInvitations ||
		conn.Activation != directory.ActivationDomain || conn.SeatPolicy != directory.SeatPolicyRefuse || conn.LogRetention != directory.DefaultSCIMLogRetention {
		t.Errorf("connection defaults: %+v", conn)
	}
	if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("second connection: err = %v, want ErrConflict", err)
	}
	off := false
	up, err := d.UpdateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{SendInvitations: &off, SeatPolicy: "suspend"})
	if err != nil || up.SendInvitations || up.SeatPolicy != directory.SeatPolicySuspend || up.Profile != directory.ProfileEntra {
		t.Errorf("update connection: %+v, %v", up, err)
	}

	// Several tokens work side by side; each can be revoked or expire.
	t1, s1, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{Description: "okta"})
	if err != nil {
		t.Fatal(err)
	}
	t2, s2, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s1 == s2 || t1.Hint != s1[len(s1)-4:] || t2.ExpiresAt == nil {
		t.Errorf("tokens: %+v %+v", t1, t2)
	}
	for _, s := range []string{s1, s2} {
		c, err := d.AuthenticateSCIM(ctx, s)
		if err != nil || c.WorkspaceID != ws.ID || c.ID != conn.ID || c.Profile != directory.ProfileEntra || c.TeamRoles["Managers"] != "manager" {
			t.Errorf("authenticate: %+v, %v", c, err)
		}
	}
	if _, err := d.AuthenticateSCIM(ctx, "not-a-token"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown token: err = %v, want ErrNotFound", err)
	}
	if _, err := d.RevokeSCIMToken(ctx, memberActor, ws.Slug, t1.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member revokes: err = %v, want ErrForbidden", err)
	}
	if _, err := d.RevokeSCIMToken(ctx, owner, ws.Slug, t1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AuthenticateSCIM(ctx, s1); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("revoked token: err = %v, want ErrRevoked", err)
	}
	if _, err := d.RevokeSCIMToken(ctx, owner, ws.Slug, t1.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("revoke twice: err = %v, want ErrConflict", err)
	}
	if _, err := d.AuthenticateSCIM(ctx, s2); err != nil {
		t.Errorf("the other token still works: %v", err)
	}
	list, err := d.ListSCIMTokens(ctx, owner, ws.Slug)
	if err != nil || len(list) != 2 {
		t.Fatalf("list tokens: %d, %v", len(list), err)
	}
	now := time.Now()
	for _, k := range list {
		want := "active"
		if k.ID == t1.ID {
			want = "revoked"
		}
		if k.Status(now) != want {
			t.Errorf("token %s status %s, want %s", k.ID, k.Status(now), want)
		}
	}
	if _, err := d.ListSCIMTokens(ctx, owner, ""); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("owner lists every workspace's tokens: err = %v, want ErrForbidden", err)
	}
	if all, err := d.ListSCIMTokens(ctx, op, ""); err != nil || len(all) != 2 {
		t.Errorf("operator lists all tokens: %d, %v", len(all), err)
	}
}

func testSCIMTokenExpiry(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	_, secret, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{ExpiresIn: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AuthenticateSCIM(ctx, secret); err != nil {
		t.Fatal(err)
	}
	clock.Advance(90 * 24 * time.Hour)
	if _, err := d.AuthenticateSCIM(ctx, secret); !errors.Is(err, directory.ErrExpired) {
		t.Errorf("after 90 days: err = %v, want ErrExpired", err)
	}
}

func testSCIMRequestLog(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{LogRetention: 24 * time.Hour})
	old := directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: "GET", Path: "/Users", Status: 200, Action: "listed", Duration: time.Millisecond, CreatedAt: clock.Now()}
	fresh := old
	fresh.CreatedAt, fresh.Method, fresh.Status, fresh.Detail = clock.Now().Add(23*time.Hour), "POST", 409, "userName taken"
	if err := d.RecordSCIMRequests(ctx, []directory.SCIMRequest{old, fresh}); err != nil {
		t.Fatal(err)
	}
	list, err := d.ListSCIMRequests(ctx, owner, ws.Slug, 0, 10)
	if err != nil || len(list) != 2 || list[0].Method != "POST" || list[0].Detail != "userName taken" || list[1].Duration != time.Millisecond {
		t.Fatalf("log: %+v, %v", list, err)
	}
	clock.Advance(25 * time.Hour)
	if n, err := d.PruneSCIMRequests(ctx); err != nil || n != 1 {
		t.Errorf("prune: %d, %v; want 1 entry past the 24h retention", n, err)
	}
	if list, _ = d.ListSCIMRequests(ctx, owner, ws.Slug, 0, 10); len(list) != 1 || list[0].Method != "POST" {
		t.Errorf("after pruning: %+v", list)
	}
}
