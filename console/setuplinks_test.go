package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

var setupURL = regexp.MustCompile(`value="(https?://[^"]*/setup/([^"]+))"`)

// An owner makes a setup link on the page and sees it once; the list
// shows its status and, once the IT admin finished, the summary;
// revoking stops it; a manager gets neither the page nor the nav entry;
// another workspace's link cannot be revoked by URL.
func TestConsoleSetupLinks(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		b := r.signIn("owner@acme.example")
		empty := b.get("/workspaces/acme/setup-links")
		expect(t, empty, http.StatusOK, "No setup links yet", `href="/workspaces/acme/setup-links" aria-current="page"`, "Acme Corp")

		bad := b.submit(empty, "/workspaces/acme/setup-links", url.Values{"purpose": {"sso"}, "hours": {"0"}, "description": {"Acme IT"}})
		expect(t, bad, http.StatusBadRequest, "No link was created yet", "whole number of hours", `value="Acme IT"`)
		created := b.submit(empty, "/workspaces/acme/setup-links", url.Values{"purpose": {"domain"}, "hours": {"48"}, "description": {"Acme IT"}})
		expect(t, created, http.StatusOK, "Your new setup link", "shown only this once", "Waiting for the IT admin", "Domain verification")
		m := setupURL.FindStringSubmatch(created.body)
		if m == nil {
			t.Fatalf("no setup URL on the page: %s", created.body)
		}
		again := b.get("/workspaces/acme/setup-links")
		if strings.Contains(again.body, m[2]) {
			t.Error("the setup link is shown twice")
		}
		// The IT admin finishes; the admins see the summary.
		if _, err := d.FinishSetup(ctx, m[2]); err != nil {
			t.Fatal(err)
		}
		done := b.get("/workspaces/acme/setup-links")
		expect(t, done, http.StatusOK, "Finished", "Domain setup finished")
		expect(t, b.get("/workspaces/acme/activity"), http.StatusOK, "An IT admin with a setup link", "finished a setup: Domain setup finished",
			"made a setup link for domain verification")

		links, _ := d.ListSetupLinks(ctx, owner, "acme")
		pending, _, _, err := d.CreateSetupLink(ctx, owner, "acme", directory.SetupLinkRequest{Purpose: directory.SetupSCIM})
		if err != nil {
			t.Fatal(err)
		}
		p := b.get("/workspaces/acme/setup-links")
		expect(t, p, http.StatusOK, "/setup-links/"+pending.ID+"/revoke")
		revoked := b.submit(p, "/workspaces/acme/setup-links/"+pending.ID+"/revoke", nil)
		expect(t, revoked, http.StatusOK, "Setup link revoked", "Revoked")
		// The owner of another workspace, with acme's link id in their
		// own workspace's URL, reaches nothing.
		r.workspace("other", "other.example", nil)
		ob := r.signIn("owner@other.example")
		op := ob.get("/workspaces/other/setup-links")
		expect(t, op, http.StatusOK, "No setup links yet")
		if strings.Contains(op.body, "Acme IT") {
			t.Error("another workspace lists acme's links")
		}
		m2 := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(op.body)
		tampered := ob.post("/workspaces/other/setup-links/"+links[0].ID+"/revoke", url.Values{"csrf": {m2[1]}})
		if tampered.status != http.StatusNotFound {
			t.Errorf("revoke of acme's link through another workspace = %d", tampered.status)
		}
		if l, _ := d.GetSetupLink(ctx, owner, "acme", links[0].ID); l.RevokedAt != nil {
			t.Error("acme's link was revoked from another workspace")
		}

		// A manager has no setup links.
		r.member(owner, "acme", "mia@acme.example", directory.RoleManager)
		mb := r.signIn("mia@acme.example")
		if p := mb.get("/workspaces/acme/members"); strings.Contains(p.body, "/setup-links") {
			t.Error("a manager sees the Setup links entry")
		}
		expect(t, mb.get("/workspaces/acme/setup-links"), http.StatusForbidden, "manage setup links")
	})
}
