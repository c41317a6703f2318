package suite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// scimConsoleTests: what the console's Connections pages ask of SCIM
// connections beyond the admin API: a filtered request log, and tokens
// rotated in one step.
var scimConsoleTests = []test{
	{"FilterSCIMRequests", testFilterSCIMRequests},
	{"RotateSCIMToken", testRotateSCIMToken},
}

func testFilterSCIMRequests(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, member := join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleMember)
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	other, _ := newWorkspace(t, d, "globex")
	otherConn := scimConnect(t, d, other.Slug, directory.SCIMConnectionRequest{})
	entry := func(method, path string, status int) directory.SCIMRequest {
		clock.Advance(time.Second)
		return directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: method, Path: path, Status: status, Action: method + " " + path, CreatedAt: clock.Now()}
	}
	entries := []directory.SCIMRequest{
		entry("POST", "/Users", 201),                           // 0 create user
		entry("POST", "/users", 403),                           // 1 create user, refused
		entry("PATCH", "/Users/abc", 200),                      // 2 update user
		entry("PUT", "/Users/abc", 409),                        // 3 update user, refused
		entry("DELETE", "/Users/abc", 204),                     // 4 delete user
		entry("GET", "/Users?filter=userName+eq+%22x%22", 200), // 5 read users
		entry("POST", "/Groups", 201),                          // 6 create group
		entry("PATCH", "/Groups/g1", 200),                      // 7 update group
		entry("GET", "/ServiceProviderConfig", 200),            // 8 other
		entry("GET", "/UsersAndMore", 404),                     // 9 other: not the Users resource
	}
	foreign := entry("POST", "/Users", 201)
	foreign.ConnectionID, foreign.WorkspaceID = otherConn.ID, other.ID
	if err := d.RecordSCIMRequests(ctx, append(entries, foreign)); err != nil {
		t.Fatal(err)
	}
	all, err := d.FilterSCIMRequests(ctx, owner, ws.Slug, directory.SCIMRequestFilter{})
	if err != nil || len(all) != len(entries) {
		t.Fatalf("unfiltered: %d entries, %v; want %d (the other workspace's stay out)", len(all), err, len(entries))
	}
	byIndex := func(list []directory.SCIMRequest) []string {
		var out []string
		for _, e := range list {
			out = append(out, e.Method+" "+e.Path)
		}
		return out
	}
	want := func(idx ...int) []string {
		var out []string
		for i := len(idx) - 1; i >= 0; i-- { // newest first
			out = append(out, entries[idx[i]].Method+" "+entries[idx[i]].Path)
		}
		return out
	}
	for _, tt := range []struct {
		f    directory.SCIMRequestFilter
		want []string
	}{
		{directory.SCIMRequestFilter{Outcome: directory.SCIMRequestsFailed}, want(1, 3, 9)},
		{directory.SCIMRequestFilter{Outcome: directory.SCIMRequestsSucceeded}, want(0, 2, 4, 5, 6, 7, 8)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpCreateUser}, want(0, 1)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpCreateUser, Outcome: directory.SCIMRequestsFailed}, want(1)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpUpdateUser}, want(2, 3)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpDeleteUser}, want(4)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpReadUsers}, want(5)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpCreateGroup}, want(6)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpUpdateGroup}, want(7)},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpDeleteGroup}, nil},
		{directory.SCIMRequestFilter{Operation: directory.SCIMOpOther}, want(8, 9)},
		{directory.SCIMRequestFilter{Outcome: directory.SCIMRequestsSucceeded, Limit: 2}, want(7, 8)},
		{directory.SCIMRequestFilter{Outcome: directory.SCIMRequestsSucceeded, Limit: 2, Before: all[2].ID}, want(5, 6)},
	} {
		got, err := d.FilterSCIMRequests(ctx, owner, ws.Slug, tt.f)
		if err != nil {
			t.Errorf("%+v: %v", tt.f, err)
			continue
		}
		if g := byIndex(got); len(g) != len(tt.want) || (len(g) > 0 && !equalStrings(g, tt.want)) {
			t.Errorf("%+v: got %q, want %q", tt.f, g, tt.want)
		}
		// Each entry's own operation agrees with the filter that found it.
		for _, e := range got {
			if tt.f.Operation != "" && e.Operation() != tt.f.Operation {
				t.Errorf("%s %s: Operation() = %s, found by the %s filter", e.Method, e.Path, e.Operation(), tt.f.Operation)
			}
		}
	}
	for _, f := range []directory.SCIMRequestFilter{{Outcome: "maybe"}, {Operation: "hack"}} {
		if _, err := d.FilterSCIMRequests(ctx, owner, ws.Slug, f); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", f, err)
		}
	}
	if _, err := d.FilterSCIMRequests(ctx, member, ws.Slug, directory.SCIMRequestFilter{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member reads the log: err = %v, want ErrForbidden", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testRotateSCIMToken(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, member := join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleMember)
	scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	old, oldSecret, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{Description: "Okta", ExpiresIn: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newWorkspace(t, d, "globex")
	scimConnect(t, d, other.Slug, directory.SCIMConnectionRequest{})
	if _, _, err := d.RotateSCIMToken(ctx, member, ws.Slug, old.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member rotates: err = %v, want ErrForbidden", err)
	}
	// Another workspace's owner cannot reach acme's token through globex.
	if _, _, err := d.RotateSCIMToken(ctx, op, other.Slug, old.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("rotate acme's token in globex: err = %v, want ErrNotFound", err)
	}
	clock.Advance(10 * 24 * time.Hour)
	fresh, secret, err := d.RotateSCIMToken(ctx, owner, ws.Slug, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if secret == "" || secret == oldSecret || fresh.ID == old.ID || fresh.Description != "Okta" || fresh.ExpiresAt == nil ||
		!fresh.ExpiresAt.Equal(clock.Now().Add(90*24*time.Hour)) || fresh.Hint != secret[len(secret)-4:] {
		t.Errorf("rotated: %+v (secret %d chars)", fresh, len(secret))
	}
	if _, err := d.AuthenticateSCIM(ctx, oldSecret); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("the old secret after rotation: err = %v, want ErrRevoked", err)
	}
	if _, err := d.AuthenticateSCIM(ctx, secret); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	if _, _, err := d.RotateSCIMToken(ctx, owner, ws.Slug, old.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("rotate a revoked token: err = %v, want ErrConflict", err)
	}
	tokens, err := d.ListSCIMTokens(ctx, owner, ws.Slug)
	if err != nil || len(tokens) != 3 { // scimConnect made one
		t.Fatalf("tokens: %+v %v", tokens, err)
	}
}
