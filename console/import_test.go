package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// upload posts a multipart form with a file to action, with the CSRF
// token of p's form posting there (none when p is nil).
func (b *browser) upload(p *page, action string, fields url.Values, name string, file []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if p != nil {
		i := strings.Index(p.body, `action="`+action+`"`)
		if i < 0 {
			b.t.Fatalf("no form posting to %s on %s", action, p.url)
		}
		mw.WriteField("csrf", csrfField.FindStringSubmatch(p.body[i:])[1])
	}
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+action, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var carryField = regexp.MustCompile(`name="carry" value="([^"]+)"`)

// pending counts the workspace's invited members.
func pending(t *testing.T, d *directory.Directory, by directory.Actor, slug string) int {
	t.Helper()
	s, err := d.SeatUsage(context.Background(), by, slug)
	if err != nil {
		t.Fatal(err)
	}
	return s.Invited
}

// An owner uploads a CSV, sees every row's fate and the columns' use
// without anything being sent, and confirms exactly that table; a
// tampered, foreign or stale carry imports nothing, and so does a form
// without this browser's token or a file over the limit.
func TestConsoleImport(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(6))
		r.member(owner, "acme", "already@acme.example", directory.RoleMember)
		globex := r.workspace("globex", "globex.example", nil)
		r.member(globex, "globex", "gus@globex.example", directory.RoleMember)
		csv := []byte("Email,Name,Gender,,Employee No\n" +
			"ada@acme.example,Ada Lovelace,F,,E1\n" +
			"gus@globex.example,,,,\n" +
			"already@acme.example,,,,\n" +
			"ADA@acme.example,,,,\n" +
			"not-an-address,Nobody,,note,\n" +
			"bo@acme.example,,,,\n" +
			"cy@acme.example,,,,\n" +
			"di@acme.example,,,,\n")

		b := r.signIn("owner@acme.example")
		form := b.get("/workspaces/acme/members/import")
		expect(t, form, http.StatusOK, "Import people", `enctype="multipart/form-data"`, "None: every row names its role")

		// No file: said next to the field.
		p := b.upload(&form, "/workspaces/acme/members/import", url.Values{"role": {"member"}}, "", nil)
		expect(t, p, http.StatusBadRequest, `id="file-error"`, "Choose the CSV or Excel file")

		before := pending(t, d, owner, "acme")
		preview := b.upload(&form, "/workspaces/acme/members/import", url.Values{"role": {"member"}, "send_email": {"yes"}}, "staff.csv", csv)
		expect(t, preview, http.StatusOK, "Check the import", "Nothing has been sent yet",
			"Kept on the profile as “Gender”", "Kept on the profile as “Employee No”", "Ignored: the column has no name",
			"Will be invited", "Will be linked as external", "Already a member", "Listed twice", "Invalid address", "Over the seat limit",
			"2 of 6 seats are in use; this import takes 4, leaving 0.", "Confirm and invite 4 people")
		if got := pending(t, d, owner, "acme"); got != before {
			t.Fatalf("the preview invited people: %d pending, was %d", got, before)
		}
		carry := carryField.FindStringSubmatch(preview.body)[1]
		csrf := csrfField.FindStringSubmatch(preview.body[strings.Index(preview.body, `/members/import/confirm"`):])[1]

		// A changed carry, a carry without the token, and one shown to
		// another workspace's owner import nothing.
		tampered := []byte(carry)
		tampered[len(tampered)/2] ^= 1
		if tampered[len(tampered)/2] == '-' || tampered[len(tampered)/2] == '_' {
			tampered[len(tampered)/2] = 'A'
		}
		expect(t, b.post("/workspaces/acme/members/import/confirm", url.Values{"csrf": {csrf}, "carry": {string(tampered)}}), http.StatusBadRequest,
			"Preview not accepted", "nothing was imported")
		expect(t, b.post("/workspaces/acme/members/import/confirm", url.Values{"csrf": {csrf}, "carry": {"[[\"email\"],[\"eve@acme.example\"]]"}}), http.StatusBadRequest, "Preview not accepted")
		expect(t, b.post("/workspaces/acme/members/import/confirm", url.Values{"carry": {carry}}), http.StatusForbidden, "Form expired")
		other := r.signIn("owner@globex.example")
		otherForm := other.get("/workspaces/globex/members/invite")
		otherCSRF := csrfField.FindStringSubmatch(otherForm.body[strings.Index(otherForm.body, `method="post"`):])[1]
		expect(t, other.post("/workspaces/globex/members/import/confirm", url.Values{"csrf": {otherCSRF}, "carry": {carry}}), http.StatusBadRequest, "Preview not accepted")
		if got := pending(t, d, owner, "acme"); got != before {
			t.Fatalf("a refused confirmation invited people: %d pending, was %d", got, before)
		}

		done := b.post("/workspaces/acme/members/import/confirm", url.Values{"csrf": {csrf}, "carry": {carry}})
		expect(t, done, http.StatusOK, "Import done", "Imported 8 rows", "Invited", "External", "Already a member", "Seat limit", "0 seats left of 6")
		if got := pending(t, d, owner, "acme"); got != before+4 {
			t.Errorf("after the import %d pending, want %d", got, before+4)
		}
		page, err := d.ListMembers(context.Background(), owner, "acme", directory.MemberFilter{Query: "ada@acme.example"})
		if err != nil || len(page.Members) != 1 || page.Members[0].Name != "Ada Lovelace" {
			t.Errorf("Ada after the import: %+v %v", page.Members, err)
		}

		// An upload over the limit is refused in a sentence.
		big := append([]byte("email\n"), bytes.Repeat([]byte("x"), 6<<20)...)
		tooBig := b.upload(&form, "/workspaces/acme/members/import", url.Values{"role": {"member"}}, "big.csv", big)
		expect(t, tooBig, http.StatusRequestEntityTooLarge, "File too large", "The file is larger than 5 MB. Split it")
		// And an upload without the form's token is refused.
		expect(t, b.upload(nil, "/workspaces/acme/members/import", url.Values{"role": {"member"}}, "staff.csv", csv), http.StatusForbidden, "Form expired")
		// globex's owner cannot preview into acme.
		expect(t, other.upload(nil, "/workspaces/acme/members/import", nil, "staff.csv", csv), http.StatusNotFound, "Workspace not found")
	})
}

// The import, the look-up and a join link's edit page are open to the
// roles the admin API lets import, look up and edit links, and to no
// other.
func TestConsoleImportPermissions(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.member(owner, "acme", "mo@acme.example", directory.RoleMember)
		r.member(owner, "acme", "cy@acme.example", directory.RoleCollaborator)
		link, _, _, err := d.CreateJoinLink(context.Background(), owner, "acme", directory.JoinLinkRequest{Description: "Partners", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		csv := []byte("email\nnew@acme.example\n")
		tests := []struct {
			email                    string
			importPage, lookup, edit int
		}{
			{"owner@acme.example", 200, 200, 200},
			{"ada@acme.example", 200, 200, 200},
			// Managers hold members.invite, so they may look people up
			// as through the admin API, and manage join links; they may
			// not invite (the owners have not allowed it: the default).
			{"max@acme.example", 403, 200, 200},
			{"mo@acme.example", 403, 403, 403},
			{"cy@acme.example", 403, 403, 403},
		}
		for _, tt := range tests {
			b := r.signIn(tt.email)
			imp := b.get("/workspaces/acme/members/import")
			look := b.get("/workspaces/acme/members/lookup?lookup=ada%40acme.example")
			edit := b.get("/workspaces/acme/join-links/" + link.ID + "/edit")
			if imp.status != tt.importPage || look.status != tt.lookup || edit.status != tt.edit {
				t.Errorf("%s: import %d, look-up %d, edit link %d; want %d, %d, %d", tt.email, imp.status, look.status, edit.status, tt.importPage, tt.lookup, tt.edit)
			}
			if (tt.lookup == 403) == strings.Contains(look.body, "Already here") {
				t.Errorf("%s: the look-up answered %d and says: %s", tt.email, look.status, look.body)
			}
			// Not even a POST with this session's own valid token.
			token := csrfField.FindStringSubmatch(b.get("/home").body)[1]
			if tt.importPage == 403 {
				p := b.upload(nil, "/workspaces/acme/members/import", url.Values{"csrf": {token}, "role": {"member"}}, "a.csv", csv)
				if p.status != http.StatusForbidden {
					t.Errorf("%s: import POST answered %d", tt.email, p.status)
				}
				if p := b.post("/workspaces/acme/members/import/confirm", url.Values{"csrf": {token}, "carry": {"x"}}); p.status != http.StatusForbidden {
					t.Errorf("%s: confirm POST answered %d", tt.email, p.status)
				}
			}
			if tt.edit == 403 {
				if p := b.post("/workspaces/acme/join-links/"+link.ID+"/edit", url.Values{"csrf": {token}, "description": {"Mine"}, "mode": {"direct"}, "role": {"member"}}); p.status != http.StatusForbidden {
					t.Errorf("%s: edit POST answered %d", tt.email, p.status)
				}
			}
		}
		if l, _ := d.GetJoinLink(context.Background(), owner, "acme", link.ID); l.Description != "Partners" {
			t.Errorf("a refused edit changed the link: %+v", l)
		}
		if p := pending(t, d, owner, "acme"); p != 0 {
			t.Errorf("refused imports invited %d people", p)
		}
	})
}

// A join link's edit page saves every field, refuses a form without the
// token, and reads another workspace's link id as absent.
func TestConsoleJoinLinkEdit(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		team, err := d.CreateTeam(ctx, acme, "acme", directory.TeamRequest{Name: "Contractors"})
		if err != nil {
			t.Fatal(err)
		}
		link, _, _, err := d.CreateJoinLink(ctx, acme, "acme", directory.JoinLinkRequest{Description: "Partners", Role: directory.RoleMember, Teams: []string{team.ID}})
		if err != nil {
			t.Fatal(err)
		}
		globex := r.workspace("globex", "globex.example", nil)
		theirs, _, _, err := d.CreateJoinLink(ctx, globex, "globex", directory.JoinLinkRequest{Description: "Globex secret", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		b := r.signIn("owner@acme.example")
		list := b.get("/workspaces/acme/join-links")
		expect(t, list, http.StatusOK, `href="/workspaces/acme/join-links/`+link.ID+`/edit"`)
		edit := b.get("/workspaces/acme/join-links/" + link.ID + "/edit")
		expect(t, edit, http.StatusOK, "Edit “Partners”", `value="Partners"`, `value="`+team.ID+`" checked`, `value="approval" checked`)

		action := "/workspaces/acme/join-links/" + link.ID + "/edit"
		bad := b.submit(edit, action, url.Values{"description": {""}, "role": {"manager"}, "mode": {"direct"}})
		expect(t, bad, http.StatusBadRequest, "The link was not changed", `id="description-error"`, `value="direct" checked`)
		expect(t, b.post(action, url.Values{"description": {"Forged"}, "role": {"member"}, "mode": {"direct"}}), http.StatusForbidden, "Form expired")

		saved := b.submit(edit, action, url.Values{"description": {"Partners 2027"}, "role": {"manager"}, "mode": {"approval"}, "notify": {"nobody"}})
		expect(t, saved, http.StatusOK, "“Partners 2027” is saved")
		l, err := d.GetJoinLink(ctx, acme, "acme", link.ID)
		if err != nil || l.Description != "Partners 2027" || l.Role != directory.RoleManager || len(l.Teams) != 0 || l.Notify != directory.JoinNotifyNobody || !l.Active {
			t.Errorf("after the edit: %+v %v", l, err)
		}

		// globex's link through acme's address does not exist.
		expect(t, b.get("/workspaces/acme/join-links/"+theirs.ID+"/edit"), http.StatusNotFound, "Join link not found")
		tok := csrfField.FindStringSubmatch(saved.body)[1]
		expect(t, b.post("/workspaces/acme/join-links/"+theirs.ID+"/edit", url.Values{"csrf": {tok}, "description": {"Hijacked"}, "role": {"member"}, "mode": {"direct"}}), http.StatusNotFound, "Join link not found")
		if l, _ := d.GetJoinLink(ctx, globex, "globex", theirs.ID); l.Description != "Globex secret" {
			t.Errorf("globex's link changed: %+v", l)
		}
		// A revoked link has nothing to edit.
		if err := d.RevokeJoinLink(ctx, acme, "acme", link.ID); err != nil {
			t.Fatal(err)
		}
		expect(t, b.get(action), http.StatusConflict, "cannot be changed any more")
	})
}
