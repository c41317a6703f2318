package suite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

// storageTests: no string a database cannot hold, or over the limits,
// is stored, whichever door it comes through.
var storageTests = []test{
	{"SignInNamesFitTheLimits", testSignInNamesFitTheLimits},
	{"SCIMFieldsMeetTheStorageRule", testSCIMFieldsMeetTheStorageRule},
}

// testSignInNamesFitTheLimits (issue 14's leftover, issue 15 item 2): the
// name an identity provider asserts at sign-in meets the same limit as a
// name typed into an invitation: too long or holding a NUL, it is fitted
// (cut to MaxNameLength characters, NUL dropped) rather than stored as
// sent or refused, since the person cannot fix it from here. A subject
// holding a NUL identifies nobody: refused with ErrInvalid, not a 500.
func testSignInNamesFitTheLimits(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
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
}

// testSCIMFieldsMeetTheStorageRule: directory, not only the SCIM door,
// refuses a SCIM user or group holding a string no database can keep, or
// one over the limits, with a FieldError naming the attribute, on both
// databases alike (SQLite would have stored it).
func testSCIMFieldsMeetTheStorageRule(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	newWorkspace(t, d, "acme")
	if _, err := d.CreateSCIMConnection(ctx, op, "acme", directory.SCIMConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	_, token, err := d.CreateSCIMToken(ctx, op, "acme", directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.AuthenticateSCIM(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	many := make([]any, directory.MaxValues+1)
	for i := range many {
		many[i] = map[string]any{"streetAddress": "x"}
	}
	for _, tc := range []struct {
		in    directory.SCIMUserInput
		field string
	}{
		{directory.SCIMUserInput{UserName: "a\x00@acme.example"}, "userName"},
		{directory.SCIMUserInput{UserName: "b@acme.example", Attrs: map[string]any{"title": "a\x00b"}}, "title"},
		{directory.SCIMUserInput{UserName: "c@acme.example", Attrs: map[string]any{"addresses": []any{map[string]any{"streetAddress": "\xff"}}}}, "addresses[0].streetAddress"},
		{directory.SCIMUserInput{UserName: "d@acme.example", Attrs: map[string]any{"addresses": many}}, "addresses"},
		{directory.SCIMUserInput{UserName: "e@acme.example", Attrs: map[string]any{"title": strings.Repeat("t", directory.MaxTextLength+1)}}, "title"},
		{directory.SCIMUserInput{UserName: "f@acme.example", Name: strings.Repeat("n", directory.MaxNameLength+1)}, "name"},
		{directory.SCIMUserInput{UserName: "g@acme.example", Emails: []directory.SCIMEmail{{Value: "g@acme.example", Type: "w\x00"}}}, "emails[0].type"},
	} {
		_, _, err := d.SCIMCreateUser(ctx, conn, tc.in)
		var fe *directory.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("create %q: %v, want a FieldError about %s", tc.in.UserName, err, tc.field)
		}
	}
	_, _, err = d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "G\x00"})
	var fe *directory.FieldError
	if !errors.As(err, &fe) || fe.Field != "displayName" {
		t.Errorf("create group with a NUL: %v, want a FieldError about displayName", err)
	}
	page, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{Count: 10})
	if err != nil || page.Total != 0 {
		t.Errorf("users after the refusals: %+v %v, want none", page, err)
	}
}
