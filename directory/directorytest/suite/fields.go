package suite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// fieldTests: the limits on a person's fields and on an OIDC connection's
// kind, whichever door the values come through.
var fieldTests = []test{
	{"PersonFieldLimits", testPersonFieldLimits},
	{"OIDCKindIsDirectorys", testOIDCKindIsDirectorys},
}

// testPersonFieldLimits: a person's name, phone and profile have one set
// of limits, counted in characters, whichever way they arrive: Invite
// refuses the request with a FieldError naming the invitee and field, an
// import refuses the row with the same words, a profile change and
// onboarding refuse too. A name at the limit in multi-byte characters
// (three bytes each) is accepted everywhere.
func testPersonFieldLimits(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	atLimit := strings.Repeat("日", directory.MaxNameLength) // 600 bytes
	tooLong := strings.Repeat("é", directory.MaxNameLength+1)
	const wantDetail = "name must be at most 200 characters (it has 201)"

	invite := func(inv ...directory.Invitee) ([]directory.InviteOutcome, error) {
		f := false
		return d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Invitees: inv, Role: directory.RoleMember, SendEmail: &f})
	}
	_, err := invite(directory.Invitee{Email: "ok@acme.example"}, directory.Invitee{Email: "long@acme.example", Name: tooLong})
	var fe *directory.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, directory.ErrInvalid) || fe.Invitee != 1 || fe.Field != "name" || fe.Detail != wantDetail {
		t.Fatalf("invite a too-long name: %v (%+v)", err, fe)
	}
	if out, err := invite(directory.Invitee{Email: "kanji@acme.example", Name: atLimit}); err != nil || out[0].Status != directory.OutcomeInvited {
		t.Fatalf("invite a name at the limit: %+v %v", out, err)
	}

	rows := [][]string{{"email", "name"}, {"long-row@acme.example", tooLong}, {"kanji-row@acme.example", atLimit}}
	out, err := d.ImportInvitations(ctx, owner, ws.Slug, directory.ImportRequest{Rows: rows, Role: directory.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Status != directory.OutcomeInvalid || out[0].Error != wantDetail {
		t.Errorf("import a too-long name: %+v, want the error %q", out[0], wantDetail)
	}
	if out[1].Status != directory.OutcomeInvited {
		t.Errorf("import a name at the limit: %+v", out[1])
	}

	others := []struct {
		name  string
		inv   directory.Invitee
		field string
	}{
		{"phone", directory.Invitee{Phone: strings.Repeat("٣", directory.MaxPhoneLength+1)}, "phone"},
		{"profile value", directory.Invitee{Profile: map[string]string{"notes": strings.Repeat("x", directory.MaxProfileValueLength+1)}}, "profile"},
		{"profile entries", directory.Invitee{Profile: manyEntries(directory.MaxProfileEntries + 1)}, "profile"},
	}
	for _, tc := range others {
		tc.inv.Email = "other@acme.example"
		if _, err := invite(tc.inv); !errors.As(err, &fe) || fe.Field != tc.field || fe.Invitee != 0 {
			t.Errorf("invite a too-long %s: %v", tc.name, err)
		}
	}
	if _, err := invite(directory.Invitee{Email: "phone@acme.example", Phone: strings.Repeat("٣", directory.MaxPhoneLength)}); err != nil {
		t.Errorf("invite a phone at the limit: %v", err)
	}

	m, _ := join(t, d, owner, ws.Slug, "member@acme.example", directory.RoleMember)
	updates := map[string]directory.ProfileUpdate{
		"name":   {Name: &tooLong},
		"phone":  {Phone: new(strings.Repeat("1", directory.MaxPhoneLength+1))},
		"locale": {Locale: new(strings.Repeat("a", directory.MaxLocaleLength+1))},
	}
	for field, u := range updates {
		if _, err := d.UpdateMemberProfile(ctx, owner, ws.Slug, m.ID, u); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("profile change with a too-long %s: %v", field, err)
		}
	}
	if _, err := d.UpdateMemberProfile(ctx, owner, ws.Slug, m.ID, directory.ProfileUpdate{Name: new("  ")}); !errors.As(err, &fe) || fe.Field != "name" {
		t.Errorf("profile change to an empty name: %v", err)
	}
	if got, err := d.UpdateMemberProfile(ctx, owner, ws.Slug, m.ID, directory.ProfileUpdate{Name: &atLimit}); err != nil || got.Name != atLimit {
		t.Errorf("profile change to a name at the limit: %q %v", got.Name, err)
	}
	if _, err := d.CompleteOnboarding(ctx, m.UserID, ws.Slug, directory.Onboarding{Name: tooLong}); !errors.As(err, &fe) || fe.Detail != wantDetail {
		t.Errorf("onboarding with a too-long name: %v", err)
	}
}

// testOIDCKindIsDirectorys: the connection kind is checked here, on create
// and on update, and the refusal names the field.
func testOIDCKindIsDirectorys(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	newWorkspace(t, d, "acme")
	var fe *directory.FieldError
	_, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: "saml", Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
	if !errors.As(err, &fe) || fe.Field != "kind" || !strings.Contains(fe.Detail, "generic, google or entra") {
		t.Errorf("create with kind saml: %v", err)
	}
	c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: " Generic ", Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
	if err != nil || c.Kind != directory.OIDCGeneric {
		t.Fatalf("create with kind \" Generic \": %+v %v", c, err)
	}
	if _, err := d.UpdateOIDCConnection(ctx, op, "acme", c.ID, box, directory.OIDCConnectionUpdate{Kind: new("saml")}); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("update to kind saml: %v", err)
	}
	for _, k := range []string{directory.OIDCGeneric, directory.OIDCGoogle, directory.OIDCEntra} {
		if !directory.ValidOIDCKind(k) {
			t.Errorf("ValidOIDCKind(%q) = false", k)
		}
	}
	if directory.ValidOIDCKind("saml") || directory.ValidOIDCKind("") {
		t.Error("ValidOIDCKind accepts saml or nothing")
	}
}

func manyEntries(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[strings.Repeat("k", i+1)] = "v"
	}
	return m
}
