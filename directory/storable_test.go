package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestSignInNamesFitTheLimits (issue 14's leftover, issue 15 item 2): the
// name an identity provider asserts at sign-in meets the same limit as a
// name typed into an invitation: too long or holding a NUL, it is fitted
// (cut to MaxNameLength characters, NUL dropped) rather than stored as
// sent or refused, since the person cannot fix it from here. A subject
// holding a NUL identifies nobody: refused with ErrInvalid, not a 500.
func TestSignInNamesFitTheLimits(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		box := testBox(t)
		acme, owner := newWorkspace(t, d, "acme")
		verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
		conn, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		long := "Ann\x00 " + strings.Repeat("é", directory.MaxNameLength)
		res, err := d.SignIn(ctx, directory.SignInRequest{Connection: conn.ID, Issuer: conn.Issuer, Subject: "sub-ann", Email: "ann@acme.example",
			TenantID: tenant, Name: long, Locale: "en-US\x00" + strings.Repeat("x", 100)})
		if err != nil || res.Member == nil {
			t.Fatalf("sign-in with a long name: %+v %v", res, err)
		}
		m, err := d.GetMember(ctx, owner, "acme", res.Member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(m.Name); n != directory.MaxNameLength || strings.ContainsRune(m.Name, 0) || !strings.HasPrefix(m.Name, "Ann éé") {
			t.Errorf("stored name %q (%d characters), want the first %d characters without the NUL", m.Name, n, directory.MaxNameLength)
		}
		if n := utf8.RuneCountInString(m.Locale); n > directory.MaxLocaleLength || strings.ContainsRune(m.Locale, 0) {
			t.Errorf("stored locale %q, want at most %d characters without NUL", m.Locale, directory.MaxLocaleLength)
		}

		_, err = d.SignIn(ctx, directory.SignInRequest{Connection: conn.ID, Issuer: conn.Issuer, Subject: "sub\x00", Email: "bob@acme.example", TenantID: tenant})
		var fe *directory.FieldError
		if !errors.Is(err, directory.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "subject" {
			t.Errorf("sign-in with a NUL in the subject: %v, want a FieldError about subject", err)
		}
	})
}
