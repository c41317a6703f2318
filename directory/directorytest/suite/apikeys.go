package suite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// apiKeyTests: API keys, their scopes and expiry.
var apiKeyTests = []test{
	{"APIKeys", testAPIKeys},
}

func testAPIKeys(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	other, _ := newWorkspace(t, d, "other")

	key, token, err := d.CreateAPIKey(ctx, owner, ws.Slug, directory.APIKeyRequest{Name: " billing sync ", Role: directory.RoleManager})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, directory.APIKeyPrefix) || !strings.HasPrefix(token, key.TokenPrefix) || key.Name != "billing sync" || key.WorkspaceSlug != "acme" {
		t.Errorf("key = %+v, token %q", key, token)
	}
	actor, got, err := d.AuthenticateAPIKey(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if actor.Kind != directory.ActorAPIKey || actor.WorkspaceID != ws.ID || actor.Role != directory.RoleManager || actor.ID != key.ID || got.WorkspaceSlug != "acme" {
		t.Errorf("actor = %+v, key %+v", actor, got)
	}
	// The key acts with its role: a manager reads members and invites,
	// but cannot manage them, and never reaches another workspace.
	if _, err := d.ListMembers(ctx, actor, ws.Slug, directory.MemberFilter{}); err != nil {
		t.Errorf("manager key lists members: %v", err)
	}
	if _, err := d.ListMembers(ctx, actor, other.Slug, directory.MemberFilter{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("key in another workspace: err = %v, want ErrForbidden", err)
	}
	if _, _, err := d.CreateAPIKey(ctx, actor, ws.Slug, directory.APIKeyRequest{Name: "x", Role: directory.RoleMember}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager key creates a key: err = %v, want ErrForbidden", err)
	}

	// An admin cannot mint an owner key; the operator can.
	_, adminActor := join(t, d, owner, ws.Slug, "admin@acme.example", directory.RoleAdmin)
	if _, _, err := d.CreateAPIKey(ctx, adminActor, ws.Slug, directory.APIKeyRequest{Name: "x", Role: directory.RoleOwner}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin mints owner key: err = %v, want ErrForbidden", err)
	}
	if _, _, err := d.CreateAPIKey(ctx, op, ws.Slug, directory.APIKeyRequest{Name: "bootstrap", Role: directory.RoleOwner}); err != nil {
		t.Errorf("operator mints owner key: %v", err)
	}
	for _, bad := range []directory.APIKeyRequest{{Name: "", Role: "member"}, {Name: "x", Role: "nope"}, {Name: "x", Role: ""}, {Name: strings.Repeat("x", 101), Role: "member"}} {
		if _, _, err := d.CreateAPIKey(ctx, owner, ws.Slug, bad); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("CreateAPIKey(%+v): err = %v, want ErrInvalid", bad, err)
		}
	}
	past := clock.Now().Add(-time.Hour)
	if _, _, err := d.CreateAPIKey(ctx, owner, ws.Slug, directory.APIKeyRequest{Name: "x", Role: "member", ExpiresAt: &past}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("expiry in the past: err = %v, want ErrInvalid", err)
	}

	// Expiry and revocation.
	soon := clock.Now().Add(time.Hour)
	_, shortToken, err := d.CreateAPIKey(ctx, owner, ws.Slug, directory.APIKeyRequest{Name: "short", Role: "member", ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if _, _, err := d.AuthenticateAPIKey(ctx, shortToken); !errors.Is(err, directory.ErrExpired) {
		t.Errorf("expired key: err = %v, want ErrExpired", err)
	}
	if err := d.RevokeAPIKey(ctx, owner, ws.Slug, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AuthenticateAPIKey(ctx, token); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("revoked key: err = %v, want ErrRevoked", err)
	}
	if err := d.RevokeAPIKey(ctx, owner, ws.Slug, key.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("revoke twice: err = %v, want ErrConflict", err)
	}
	for _, bad := range []string{"", "roster_nope", "Bearer x", token + "x"} {
		if _, _, err := d.AuthenticateAPIKey(ctx, bad); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("AuthenticateAPIKey(%q): err = %v, want ErrNotFound", bad, err)
		}
	}

	keys, err := d.ListAPIKeys(ctx, owner, ws.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[len(keys)-1].ID != key.ID || keys[len(keys)-1].RevokedAt == nil || keys[len(keys)-1].LastUsedAt == nil {
		t.Errorf("keys = %+v", keys)
	}
	if otherKeys, err := d.ListAPIKeys(ctx, op, other.Slug); err != nil || len(otherKeys) != 0 {
		t.Errorf("other workspace keys = %v, %v", otherKeys, err)
	}
	// A key of one workspace cannot be revoked through another.
	if err := d.RevokeAPIKey(ctx, op, other.Slug, keys[0].ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("revoke through other workspace: err = %v, want ErrNotFound", err)
	}
}
