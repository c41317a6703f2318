package console_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The Activity page says who did what in words, from which door, filtered
// by kind and by person, and pages with the feed's cursor.
func TestConsoleActivity(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		ada := r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		if _, err := d.UpdateMemberProfile(ctx, owner, "acme", memberID(t, d, owner, "acme", "ada@acme.example"), directory.ProfileUpdate{Name: ptr("Ada Lovelace")}); err != nil {
			t.Fatal(err)
		}
		ada.Source = "console"
		if _, err := d.Invite(ctx, ada, "acme", directory.InviteRequest{Text: "bob@acme.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		carol := r.member(owner, "acme", "carol@acme.example", directory.RoleMember)
		_ = carol
		if _, err := d.SuspendMember(ctx, ada, "acme", memberID(t, d, owner, "acme", "carol@acme.example")); err != nil {
			t.Fatal(err)
		}
		// Another workspace's events never show.
		globex := r.workspace("globex", "globex.example", nil)
		if _, err := d.Invite(ctx, globex, "globex", directory.InviteRequest{Text: "spy@globex.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}

		b := r.signIn("owner@acme.example")
		all := b.get("/workspaces/acme/activity")
		expect(t, all, http.StatusOK, ">Console<", ">Admin API<", `aria-current="page">Activity`)
		expectSaid(t, all, http.StatusOK, "Ada Lovelace invited bob@acme.example as Member.", "Ada Lovelace suspended Carol.",
			"The server operator invited owner@acme.example as Owner.")
		if strings.Contains(all.body, "spy@globex.example") || strings.Contains(all.body, "api_key") || strings.Contains(all.body, "invitation.created") {
			t.Fatalf("the activity shows another workspace's events or internal names:\n%s", all.body)
		}

		invites := b.get("/workspaces/acme/activity?type=invitations")
		expect(t, invites, http.StatusOK, `value="invitations" selected`)
		expectSaid(t, invites, http.StatusOK, "Ada Lovelace invited bob@acme.example as Member.")
		if strings.Contains(strings.Join(sentences(invites), " "), "suspended") {
			t.Error("the invitations filter shows a suspension")
		}
		members := b.get("/workspaces/acme/activity?type=members")
		expectSaid(t, members, http.StatusOK, "Ada Lovelace suspended Carol.")
		if strings.Contains(strings.Join(sentences(members), " "), "invited bob") {
			t.Error("the members filter shows an invitation")
		}

		// By person, typed as an address: what Ada did and what was done
		// to her; the field shows her address.
		byAda := b.get("/workspaces/acme/activity?person=ADA@acme.example")
		expect(t, byAda, http.StatusOK, `value="ada@acme.example"`)
		expectSaid(t, byAda, http.StatusOK, "Ada Lovelace invited bob@acme.example as Member.", "Ada Lovelace suspended Carol.", "invited ada@acme.example as Admin.")
		if strings.Contains(strings.Join(sentences(byAda), " "), "invited carol@acme.example") {
			t.Error("Ada's activity shows the owner inviting carol")
		}
		// A name in a row filters by that person.
		m := regexp.MustCompile(`href="(/workspaces/acme/activity\?person=[^"]+)"[^>]*>Ada Lovelace<`).FindStringSubmatch(all.body)
		if m == nil {
			t.Fatalf("Ada's name links nowhere:\n%s", all.body)
		}
		followed := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		expect(t, followed, http.StatusOK, `value="ada@acme.example"`)
		expectSaid(t, followed, http.StatusOK, "Ada Lovelace suspended Carol.")
		expect(t, b.get("/workspaces/acme/activity?person=nobody@acme.example"), http.StatusBadRequest, "Nobody in Acme Corp has the address nobody@acme.example", `id="person-error"`)
		expect(t, b.get("/workspaces/acme/activity?person=spy@globex.example"), http.StatusBadRequest, "Nobody in Acme Corp has the address")
		globexMember := memberID(t, d, globex, "globex", "owner@globex.example")
		expect(t, b.get("/workspaces/acme/activity?person="+globexMember), http.StatusBadRequest, "not a member of Acme Corp")
		expect(t, b.get("/workspaces/acme/activity?type=domains&person=bob@acme.example"), http.StatusOK, "Nothing matches", "Show everything")

		// Paging: 60 more events make a second page, reached by the
		// cursor, with nothing twice.
		for i := range 30 {
			r.member(owner, "acme", fmt.Sprintf("p%02d@acme.example", i), directory.RoleMember)
		}
		nextLink := regexp.MustCompile(`href="(/workspaces/acme/activity\?before=[^"]+)"`)
		first := b.get("/workspaces/acme/activity")
		if strings.Contains(strings.Join(sentences(first), " "), "Ada Lovelace invited bob") {
			t.Error("the oldest events are on the first page")
		}
		seen := map[string]int{}
		pages, p := 1, first
		for {
			for _, s := range sentences(p) {
				seen[s]++
			}
			next := nextLink.FindStringSubmatch(p.body)
			if next == nil {
				expect(t, p, http.StatusOK, "The beginning", "← Newest")
				expectSaid(t, p, http.StatusOK, "The server operator created the workspace.")
				break
			}
			pages++
			p = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
			expect(t, p, http.StatusOK)
		}
		if pages < 3 || seen["Ada Lovelace invited bob@acme.example as Member."] != 1 || seen["Olivia Owner invited p29@acme.example as Member."] != 1 {
			t.Fatalf("%d pages; sentences seen: %v", pages, seen)
		}
		for s, n := range seen {
			if n != 1 && !strings.Contains(s, "signed in") {
				t.Errorf("%q seen %d times across the pages", s, n)
			}
		}
		// A cursor mangled by hand starts again from the newest.
		expectSaid(t, b.get("/workspaces/acme/activity?before=garbage"), http.StatusOK, "invited p29@acme.example")
	})
}

var (
	sentenceCell = regexp.MustCompile(`(?s)<td class="sentence">(.*?)</td>`)
	htmlTag      = regexp.MustCompile(`<[^>]+>`)
)

// sentences are the activity rows of p as people read them.
func sentences(p page) []string {
	var out []string
	for _, m := range sentenceCell.FindAllStringSubmatch(p.body, -1) {
		out = append(out, html.UnescapeString(strings.Join(strings.Fields(htmlTag.ReplaceAllString(m[1], "")), " ")))
	}
	return out
}

// expectSaid checks p's status and that its activity says each sentence.
func expectSaid(t *testing.T, p page, status int, said ...string) {
	t.Helper()
	expect(t, p, status)
	all := strings.Join(sentences(p), "\n")
	for _, s := range said {
		if !strings.Contains(all, s) {
			t.Fatalf("%s: the activity does not say %q; it says:\n%s", p.url, s, all)
		}
	}
}

// memberID finds the membership id of email.
func memberID(t *testing.T, d *directory.Directory, by directory.Actor, slug, email string) string {
	t.Helper()
	p, err := d.ListMembers(context.Background(), by, slug, directory.MemberFilter{Query: email})
	if err != nil || len(p.Members) != 1 {
		t.Fatalf("member %s: %+v %v", email, p.Members, err)
	}
	return p.Members[0].ID
}

var secretShown = regexp.MustCompile(`whsec_[A-Za-z0-9_-]+|roster_[A-Za-z0-9_-]{20,}`)

// Webhooks and API keys on their pages: the secret and the key shown once
// after creating, never again on any page; edit, ping, delete and revoke.
func TestConsoleWebhooksAndKeys(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		b := r.signIn("owner@acme.example")

		empty := b.get("/workspaces/acme/webhooks")
		expect(t, empty, http.StatusOK, "No webhooks yet", "Add a webhook")
		bad := b.submit(empty, "/workspaces/acme/webhooks", url.Values{"url": {"ftp://nope"}, "description": {"Billing"}, "events": {"members"}})
		expect(t, bad, http.StatusBadRequest, "No webhook was added yet", `id="url-error"`, `value="Billing"`, `value="members" checked`)
		if hooks, _ := d.ListWebhooks(ctx, owner, "acme"); len(hooks) != 0 {
			t.Fatalf("a refused form added webhooks: %+v", hooks)
		}
		created := b.submit(bad, "/workspaces/acme/webhooks", url.Values{"url": {"https://hooks.acme.example/roster"}, "description": {"Billing"}, "events": {"members", "invitations"}})
		expect(t, created, http.StatusOK, "signing secret", "shown only this once", `data-copy="#created-secret"`, "Nothing sent yet")
		secret := secretShown.FindString(created.body)
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("no secret on the page after adding:\n%s", created.body)
		}
		hooks, err := d.ListWebhooks(ctx, owner, "acme")
		if err != nil || len(hooks) != 1 {
			t.Fatal(hooks, err)
		}
		hook := hooks[0]
		if !strings.Contains(strings.Join(hook.EventTypes, ","), "invitation.*") || !strings.Contains(strings.Join(hook.EventTypes, ","), "member.suspended") {
			t.Errorf("the webhook's events are %v", hook.EventTypes)
		}
		base := "/workspaces/acme/webhooks/" + hook.ID
		page := b.get(base)
		expect(t, page, http.StatusOK, "Billing", `value="members" checked`, `value="invitations" checked`)
		saved := b.submit(page, base, url.Values{"url": {"https://hooks.acme.example/v2"}, "description": {"Billing v2"}, "events": {"all"}})
		expect(t, saved, http.StatusOK, "Webhook saved.", "Billing v2", "https://hooks.acme.example/v2", `value="all" checked`)
		if h, _ := d.GetWebhook(ctx, owner, "acme", hook.ID); h.Active || h.EventTypes[0] != "*" {
			t.Errorf("after saving without the switch: %+v", h)
		}
		refused := b.submit(saved, base, url.Values{"url": {"https://user:pw@hooks.acme.example/"}, "description": {"Kept"}, "active": {"on"}})
		expect(t, refused, http.StatusBadRequest, "Nothing was saved yet", `id="url-error"`, "user name or password", `value="Kept"`)
		pinged := b.submit(saved, base+"/ping", nil)
		expect(t, pinged, http.StatusOK, "Test ping queued")

		// Keys.
		keys := b.get("/workspaces/acme/api-keys")
		expect(t, keys, http.StatusOK, "No API keys yet")
		noRole := b.submit(keys, "/workspaces/acme/api-keys", url.Values{"name": {"HR sync"}})
		expect(t, noRole, http.StatusBadRequest, "Choose the role the key acts with.", `value="HR sync"`)
		past := b.submit(keys, "/workspaces/acme/api-keys", url.Values{"name": {"HR sync"}, "role": {"manager"}, "expires": {"2001-01-01"}})
		expect(t, past, http.StatusBadRequest, "Choose a day in the future", `id="expires-error"`)
		made := b.submit(keys, "/workspaces/acme/api-keys", url.Values{"name": {"HR sync"}, "role": {"manager"}})
		expect(t, made, http.StatusOK, "Your new API key", `data-copy="#created-key"`, "HR sync", "Manager", ">Active<")
		token := regexp.MustCompile(`value="(roster_[^"]+)"`).FindStringSubmatch(made.body)
		if token == nil {
			t.Fatalf("no key on the page after creating:\n%s", made.body)
		}
		if _, _, err := d.AuthenticateAPIKey(ctx, token[1]); err != nil {
			t.Fatalf("the key shown does not work: %v", err)
		}
		list, _ := d.ListAPIKeys(ctx, owner, "acme")
		keyID := list[0].ID

		// After the page that showed them, no page shows the secret or
		// the key again.
		for _, path := range []string{"/workspaces/acme/webhooks", base, base + "/delete", "/workspaces/acme/api-keys", "/workspaces/acme/api-keys/" + keyID + "/revoke",
			"/workspaces/acme/activity", "/workspaces/acme/activity?type=integrations"} {
			p := b.get(path)
			expect(t, p, http.StatusOK)
			if s := secretShown.FindString(p.body); s != "" || strings.Contains(p.body, secret) || strings.Contains(p.body, token[1]) {
				t.Errorf("%s shows a secret (%q)", path, s)
			}
		}
		expectSaid(t, b.get("/workspaces/acme/activity?type=integrations"), http.StatusOK, "Olivia Owner created an API key with the role Manager.",
			"Olivia Owner added the webhook https://hooks.acme.example/roster.", "Olivia Owner sent a test ping to https://hooks.acme.example/v2.")

		confirm := b.get("/workspaces/acme/api-keys/" + keyID + "/revoke")
		expect(t, confirm, http.StatusOK, "Revoke “HR sync”?", "refused, for good", list[0].TokenPrefix)
		revoked := b.submit(confirm, "/workspaces/acme/api-keys/"+keyID+"/revoke", nil)
		expect(t, revoked, http.StatusOK, "is revoked", ">Revoked<")
		if _, _, err := d.AuthenticateAPIKey(ctx, token[1]); err == nil {
			t.Fatal("a revoked key still authenticates")
		}
		expect(t, b.get("/workspaces/acme/api-keys/"+keyID+"/revoke"), http.StatusConflict, "Already revoked")

		del := b.get(base + "/delete")
		expect(t, del, http.StatusOK, "Delete this webhook?", "cannot be undone", "https://hooks.acme.example/v2")
		gone := b.submit(del, base+"/delete", nil)
		expect(t, gone, http.StatusOK, "deleted", "No webhooks yet")
		if _, err := d.GetWebhook(ctx, owner, "acme", hook.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("the deleted webhook: %v", err)
		}
	})
}

// Each built-in role (and a custom one) opens the activity pages its
// permissions allow, as the admin API's routes require: events need
// members.read, webhooks and API keys connections.manage. Members and
// collaborators get no admin page at all.
func TestConsoleActivityPermissions(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		if _, err := d.SaveCustomRole(ctx, owner, "acme", directory.CustomRoleRequest{Key: "integrator", Name: "Integrator",
			Permissions: []directory.Permission{directory.PermConnectionsManage}}); err != nil {
			t.Fatal(err)
		}
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.member(owner, "acme", "mo@acme.example", directory.RoleMember)
		r.member(owner, "acme", "cy@acme.example", directory.RoleCollaborator)
		r.member(owner, "acme", "ian@acme.example", "integrator")
		hook, err := d.CreateWebhook(ctx, owner, "acme", directory.WebhookRequest{URL: "https://hooks.acme.example/", SealedSecret: r.box.Seal([]byte("whsec_x"), directory.WebhookSecretPurpose)})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := d.CreateAPIKey(ctx, owner, "acme", directory.APIKeyRequest{Name: "HR sync", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		type want struct{ activity, webhooks, keys int }
		for _, tt := range []struct {
			email string
			want  want
		}{
			{"owner@acme.example", want{200, 200, 200}},
			{"ada@acme.example", want{200, 200, 200}},
			{"max@acme.example", want{200, 403, 403}},
			{"mo@acme.example", want{403, 403, 403}},
			{"cy@acme.example", want{403, 403, 403}},
			{"ian@acme.example", want{403, 200, 200}},
		} {
			t.Run(tt.email, func(t *testing.T) {
				b := r.signIn(tt.email)
				home := b.get("/workspaces/acme/")
				for path, status := range map[string]int{
					"/workspaces/acme/activity":                        tt.want.activity,
					"/workspaces/acme/webhooks":                        tt.want.webhooks,
					"/workspaces/acme/webhooks/" + hook.ID:             tt.want.webhooks,
					"/workspaces/acme/webhooks/" + hook.ID + "/delete": tt.want.webhooks,
					"/workspaces/acme/api-keys":                        tt.want.keys,
					"/workspaces/acme/api-keys/" + key.ID + "/revoke":  tt.want.keys,
				} {
					p := b.get(path)
					if p.status != status {
						t.Errorf("GET %s: %d, want %d", path, p.status, status)
					}
					if status == 403 && tt.want.activity == 403 && tt.want.webhooks == 403 && !strings.Contains(p.body, "No administration for your role") {
						t.Errorf("GET %s for %s: %s", path, tt.email, p.body)
					}
				}
				// The navigation offers exactly the pages the role opens.
				for link, status := range map[string]int{"/workspaces/acme/activity": tt.want.activity, "/workspaces/acme/webhooks": tt.want.webhooks, "/workspaces/acme/api-keys": tt.want.keys} {
					if has := strings.Contains(home.body, `href="`+link+`"`); has != (status == 200) {
						t.Errorf("navigation link to %s: %v, want %v", link, has, status == 200)
					}
				}
				tok := csrfField.FindStringSubmatch(b.get("/home").body)[1]
				for _, path := range []string{"/workspaces/acme/webhooks", "/workspaces/acme/webhooks/" + hook.ID, "/workspaces/acme/webhooks/" + hook.ID + "/ping",
					"/workspaces/acme/webhooks/" + hook.ID + "/redeliver", "/workspaces/acme/webhooks/" + hook.ID + "/delete",
					"/workspaces/acme/api-keys", "/workspaces/acme/api-keys/" + key.ID + "/revoke"} {
					want := tt.want.webhooks
					if strings.Contains(path, "api-keys") {
						want = tt.want.keys
					}
					if want == 200 {
						continue // the allowed POSTs are walked in TestConsoleWebhooksAndKeys
					}
					if p := b.post(path, url.Values{"csrf": {tok}, "url": {"https://evil.example/"}, "name": {"Mine"}, "role": {"member"}}); p.status != http.StatusForbidden {
						t.Errorf("POST %s: %d, want 403", path, p.status)
					}
				}
			})
		}
		if hooks, _ := d.ListWebhooks(ctx, owner, "acme"); len(hooks) != 1 || hooks[0].URL != "https://hooks.acme.example/" {
			t.Fatalf("refused POSTs changed the webhooks: %+v", hooks)
		}
		if keys, _ := d.ListAPIKeys(ctx, owner, "acme"); len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Fatalf("refused POSTs changed the keys: %+v", keys)
		}
	})
}

// Another workspace's admin reads acme's webhooks and keys as absent,
// whichever workspace the address names; forms without this browser's
// token change nothing.
func TestConsoleActivityRefusals(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		r.workspace("globex", "globex.example", nil)
		hook, err := d.CreateWebhook(ctx, acme, "acme", directory.WebhookRequest{URL: "https://secret-hooks.acme.example/", SealedSecret: r.box.Seal([]byte("whsec_x"), directory.WebhookSecretPurpose)})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := d.CreateAPIKey(ctx, acme, "acme", directory.APIKeyRequest{Name: "Secret sync", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		owner := r.signIn("owner@acme.example")
		other := r.signIn("owner@globex.example")
		theirs := csrfField.FindStringSubmatch(other.get("/workspaces/globex/webhooks").body)[1]

		for _, path := range []string{"/workspaces/acme/activity", "/workspaces/acme/webhooks", "/workspaces/acme/webhooks/" + hook.ID, "/workspaces/acme/api-keys"} {
			p := other.get(path)
			expect(t, p, http.StatusNotFound, "Workspace not found")
		}
		for path, what := range map[string]string{
			"/workspaces/globex/webhooks/" + hook.ID:             "Webhook not found",
			"/workspaces/globex/webhooks/" + hook.ID + "/delete": "Webhook not found",
			"/workspaces/globex/api-keys/" + key.ID + "/revoke":  "API key not found",
		} {
			p := other.get(path)
			expect(t, p, http.StatusNotFound, what)
			if strings.Contains(p.body, "secret-hooks") || strings.Contains(p.body, "Secret sync") {
				t.Errorf("%s shows acme's data", path)
			}
		}
		for _, ws := range []string{"acme", "globex"} {
			for _, path := range []string{"/webhooks/" + hook.ID, "/webhooks/" + hook.ID + "/ping", "/webhooks/" + hook.ID + "/redeliver", "/webhooks/" + hook.ID + "/delete", "/api-keys/" + key.ID + "/revoke"} {
				if p := other.post("/workspaces/"+ws+path, url.Values{"csrf": {theirs}, "url": {"https://evil.example/"}}); p.status != http.StatusNotFound {
					t.Errorf("globex POST /workspaces/%s%s: %d", ws, path, p.status)
				}
			}
		}
		// CSRF: no token, or another browser's, is refused.
		for _, tok := range []string{"", theirs} {
			for _, path := range []string{"/workspaces/acme/webhooks", "/workspaces/acme/webhooks/" + hook.ID, "/workspaces/acme/webhooks/" + hook.ID + "/ping",
				"/workspaces/acme/webhooks/" + hook.ID + "/redeliver", "/workspaces/acme/webhooks/" + hook.ID + "/delete",
				"/workspaces/acme/api-keys", "/workspaces/acme/api-keys/" + key.ID + "/revoke"} {
				expect(t, owner.post(path, url.Values{"csrf": {tok}, "url": {"https://evil.example/"}, "name": {"Forged"}, "role": {"member"}}), http.StatusForbidden, "Form expired")
			}
		}
		hooks, _ := d.ListWebhooks(ctx, acme, "acme")
		keys, _ := d.ListAPIKeys(ctx, acme, "acme")
		if len(hooks) != 1 || hooks[0].URL != "https://secret-hooks.acme.example/" || len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Fatalf("refused forms changed something: %+v %+v", hooks, keys)
		}
		page, err := d.Activity(ctx, acme, "acme", directory.ActivityFilter{Types: []string{"webhook.*"}})
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("webhook events after refused forms: %+v %v", page.Events, err)
		}
	})
}
