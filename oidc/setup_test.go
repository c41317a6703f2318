package oidc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/seal"
)

// TestCheckDiscovery: the setup pages' discovery check is the sign-ins'
// guarded fetch: outside dev a loopback issuer or plain http is refused
// in words, and a real provider passes.
func TestCheckDiscovery(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		keys, _ := seal.ParseKeys(seal.NewKey())
		box, _ := seal.New(keys...)
		m := startMock(t)
		prod, err := oidc.NewHandler(oidc.Config{Directory: d, Box: box, BaseURL: "https://roster.example"})
		if err != nil {
			t.Fatal(err)
		}
		if got := prod.RedirectURI(); got != "https://roster.example/auth/callback" {
			t.Errorf("redirect URI = %s", got)
		}
		ctx := context.Background()
		if err := prod.CheckDiscovery(ctx, m.Config().Issuer); err == nil || !strings.Contains(err.Error(), "https") {
			t.Errorf("plain http outside dev: %v", err)
		}
		if err := prod.CheckDiscovery(ctx, "https://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "never contacts") {
			t.Errorf("loopback outside dev: %v", err)
		}
		dev, err := oidc.NewHandler(oidc.Config{Directory: d, Box: box, BaseURL: "http://localhost:8080", Dev: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := dev.CheckDiscovery(ctx, m.Config().Issuer); err != nil {
			t.Errorf("a real provider in dev: %v", err)
		}
		if err := dev.CheckDiscovery(ctx, m.Config().Issuer+"/nope"); err == nil || !strings.Contains(err.Error(), "no discovery document") {
			t.Errorf("a wrong issuer: %v", err)
		}
	})
}
