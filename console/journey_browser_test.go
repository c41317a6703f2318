package console_test

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/email/smtptest"
	"github.com/rosterhq/roster/web/browsertest"
)

// reviewLink finds the console link in a join-request email.
var reviewLink = regexp.MustCompile(`https?://\S+/workspaces/acme/join-requests\S*`)

// TestBrowserJourney walks an owner's whole journey through the console
// in headless Chromium, as issue 9 checks it: invite three people with one
// line and see the seats left drop by three; import an Excel file through
// its preview; create a join link, through which two other people, signed
// in in browsers of their own, ask to join; accept one from the link in
// the email a real SMTP server received, reject the other; switch the
// link off and see it refuse; approve a domain; change a member's role
// and suspend them; and read every one of those changes back on the
// Activity page in words.
func TestBrowserJourney(t *testing.T) {
	chromium := browsertest.Path(t)
	runServed(t, nil, func(t *testing.T, d *directory.Directory, r *roster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", ptr(25))
		// The workbook's rows need someone of another workspace and a
		// member already here (staffWorkbook).
		r.member(owner, "acme", "already@acme.example", directory.RoleMember)
		globex := r.workspace("globex", "globex.example", nil)
		r.member(globex, "globex", "gus@globex.example", directory.RoleMember)

		mailbox := smtptest.Start(t)
		worker := delivery.NewWorker(d, delivery.Options{MaxAttempts: 1, Logger: slog.New(slog.DiscardHandler)})
		worker.Handle(directory.OutboxEmail, delivery.Email(mailbox.Transport(t), r.srv.URL))
		send := func() {
			t.Helper()
			if _, err := worker.Drain(ctx); err != nil {
				t.Fatalf("send the emails: %v", err)
			}
		}
		members := func(query string) []directory.Member {
			t.Helper()
			page, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: query})
			if err != nil {
				t.Fatal(err)
			}
			return page.Members
		}

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		text := func(what, css string) string { return read(what, chromedp.Text(chromedp.CSS(css))) }
		seats := func() int {
			t.Helper()
			m := seatsLeft.FindStringSubmatch(text("the seats", "#seats"))
			if m == nil {
				t.Fatal("the page shows no seats left")
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		flash := func(want string) {
			t.Helper()
			if f := text("flash", ".flash"); !strings.Contains(f, want) {
				t.Errorf("the page says %q, want %q", f, want)
			}
		}

		r.queue("owner@acme.example")
		step("sign in as the owner", signInAt(r.srv.URL+"/workspaces/acme/members", "owner@acme.example")...)

		// Invite three people with one comma-separated line.
		step("open the Invite page",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`main a[href="/workspaces/acme/members/invite"]`)),
			chromedp.WaitVisible(chromedp.ID("addresses")))
		before := seats()
		step("invite three people",
			chromedp.SendKeys(chromedp.ID("addresses"), "grace.hopper@acme.example, alan.turing@acme.example, katherine.johnson@acme.example"),
			chromedp.SetValue(chromedp.ID("role"), "member"),
			chromedp.Click(chromedp.CSS(`form[method=post][action="/workspaces/acme/members/invite"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("outcomes-title")))
		if o := text("outcomes", ".outcomes"); strings.Count(o, "Invited") != 3 {
			t.Errorf("the outcomes of inviting three: %q", o)
		}
		if after := seats(); after != before-3 {
			t.Errorf("seats left went from %d to %d after inviting three", before, after)
		}
		send()
		for _, to := range []string{"grace.hopper@acme.example", "alan.turing@acme.example", "katherine.johnson@acme.example"} {
			if got := mailbox.To(to); len(got) != 1 || !strings.Contains(got[0].Text, r.srv.URL+"/invite/") {
				t.Errorf("the invitation emails to %s: %+v", to, got)
			}
		}

		// Import an Excel file: a preview, then the outcomes per row.
		step("upload the workbook",
			chromedp.Click(chromedp.CSS(`main a[href="/workspaces/acme/members/import"]`)),
			chromedp.WaitVisible(chromedp.ID("file")),
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{staffWorkbook(t)}),
			chromedp.SetValue(chromedp.ID("role"), "member"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/members/import"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("preview-rows")))
		rows := text("preview", "#preview-rows")
		for _, s := range []string{"Will be invited", "Will be linked as external", "Listed twice", "Invalid address", "Already a member"} {
			if !strings.Contains(rows, s) {
				t.Errorf("the preview lacks %q: %q", s, rows)
			}
		}
		if got := members("ada.lovelace"); len(got) != 0 {
			t.Fatalf("the preview invited someone: %+v", got)
		}
		step("confirm the import", chromedp.Click(chromedp.CSS(`.confirm-import button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("import-outcomes")))
		out := text("outcomes", "#import-outcomes")
		for _, s := range []string{"ada.lovelace@acme.example", "Invited", "External", "Listed twice", "Invalid", "Already a member"} {
			if !strings.Contains(out, s) {
				t.Errorf("the import's outcomes lack %q: %q", s, out)
			}
		}
		if after := seats(); after != before-5 {
			t.Errorf("after the import %d seats are left, want %d", after, before-5)
		}
		if got := members("ada.lovelace"); len(got) != 1 || got[0].Status != directory.StatusInvited {
			t.Errorf("Ada after the import: %+v", got)
		}

		// A join link that needs approval, its URL shown once.
		step("create a join link",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/join-links"]`)),
			chromedp.WaitVisible(chromedp.ID("description")),
			chromedp.SendKeys(chromedp.ID("description"), "Partners 2026, shared with the agencies"),
			chromedp.Click(chromedp.CSS(`input[name=mode][value=approval]`)),
			chromedp.Click(chromedp.CSS(`input[name=notify][value=all_managers]`)),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/join-links"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-url")))
		joinURL := read("the link", chromedp.Value(chromedp.ID("created-url")))
		if !strings.HasPrefix(joinURL, r.srv.URL+"/join/") {
			t.Fatalf("the new link reads %q", joinURL)
		}

		// Two people ask to join through it, each signed in in a browser
		// of their own.
		ask := func(email string) *browsertest.Browser {
			t.Helper()
			p := b.Other()
			r.queue(email)
			p.Step("ask to join as "+email,
				chromedp.Navigate(joinURL),
				chromedp.WaitVisible(chromedp.ID("email")),
				chromedp.SendKeys(chromedp.ID("email"), email),
				chromedp.Click(chromedp.CSS(`form[action^="/join/"] button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)))
			if s := p.Read("the join page", chromedp.Text(chromedp.CSS(".notice"))); !strings.Contains(s, "Your request to join Acme Corp was sent") {
				t.Fatalf("after asking to join, %s sees %q", email, s)
			}
			return p
		}
		ask("rita.request@acme.example")
		rex := ask("rex.reject@acme.example")
		reqs, err := d.ListJoinRequests(ctx, owner, "acme", directory.JoinRequestPending)
		if err != nil || len(reqs) != 2 {
			t.Fatalf("pending requests: %+v %v", reqs, err)
		}

		// The owner accepts Rita from the link in the email they got.
		send()
		var link string
		for _, m := range mailbox.To("owner@acme.example") {
			if strings.Contains(m.Text, "rita.request@acme.example") {
				link = reviewLink.FindString(m.Text)
			}
		}
		if link == "" {
			t.Fatalf("no join-request email about Rita with a review link reached the owner: %+v", mailbox.To("owner@acme.example"))
		}
		step("open the link in the email", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main table")))
		shoot("journey-join-requests")
		if s := text("requests", "main table"); !strings.Contains(s, "rita.request@acme.example") || !strings.Contains(s, "rex.reject@acme.example") || !strings.Contains(s, "Partners 2026") {
			t.Errorf("the join requests read %q", s)
		}
		decide := func(email, action, says string) {
			t.Helper()
			var id string
			for _, q := range reqs {
				if q.Email == email {
					id = q.ID
				}
			}
			step(action+" "+email,
				chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/join-requests/`+id+`/`+action+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(".confirm form")),
				chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(".flash")))
			flash(says)
		}
		decide("rita.request@acme.example", "accept", "rita.request@acme.example is now a member")
		rita := members("rita.request")
		if len(rita) != 1 || rita[0].Status != directory.StatusActive || rita[0].Role != directory.RoleMember {
			t.Fatalf("Rita after acceptance: %+v", rita)
		}
		decide("rex.reject@acme.example", "reject", "rex.reject@acme.example")
		if got := members("rex.reject"); len(got) != 0 {
			t.Errorf("Rex joined although rejected: %+v", got)
		}
		if rs, _ := d.ListJoinRequests(ctx, owner, "acme", directory.JoinRequestRejected); len(rs) != 1 || rs[0].Email != "rex.reject@acme.example" {
			t.Errorf("the rejected requests: %+v", rs)
		}
		send()
		if len(mailbox.To("rita.request@acme.example")) != 1 || len(mailbox.To("rex.reject@acme.example")) != 1 {
			t.Errorf("Rita got %d emails and Rex %d, want one each", len(mailbox.To("rita.request@acme.example")), len(mailbox.To("rex.reject@acme.example")))
		}

		// The link switched off refuses the next person.
		step("switch the link off",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/join-links"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action$="/active"] button`)),
			chromedp.Click(chromedp.CSS(`form[action$="/active"] button`)),
			chromedp.WaitVisible(chromedp.CSS("main table .badge.suspended")))
		if s := text("links", "main table"); !strings.Contains(s, "Off") || !strings.Contains(s, "1 member") {
			t.Errorf("the link after switching it off: %q", s)
		}
		rex.Step("follow the link switched off", chromedp.Navigate(joinURL), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if s := rex.Read("the join page", chromedp.Text(chromedp.CSS(".notice"))); !strings.Contains(s, "no longer active") {
			t.Errorf("the link switched off says %q", s)
		}

		// Approve a domain with the record the page shows.
		step("add a domain",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/security"]`)),
			chromedp.WaitVisible(chromedp.ID("domain")),
			chromedp.SendKeys(chromedp.ID("domain"), "labs.acme.example"),
			chromedp.Click(chromedp.CSS(`form.add-domain button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".domain .txt-record")))
		doms, err := d.ListDomains(ctx, owner, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var labs directory.Domain
		for _, dom := range doms {
			if dom.Domain == "labs.acme.example" {
				labs = dom
			}
		}
		if labs.ID == "" || labs.Verified {
			t.Fatalf("the domain added: %+v", doms)
		}
		name := read("TXT name", chromedp.Value(chromedp.ID("txt-name-"+labs.ID)))
		value := read("TXT value", chromedp.Value(chromedp.ID("txt-value-"+labs.ID)))
		r.dns.mu.Lock()
		r.dns.records[name] = []string{value}
		r.dns.mu.Unlock()
		// The page before had a flash too (the domain added): wait for
		// the domain's own badge.
		step("check now", chromedp.Click(chromedp.CSS(`form[action$="/domains/`+labs.ID+`/verify"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("#domain-"+labs.ID+" .badge.active")))
		flash("labs.acme.example is verified")
		if doms, _ := d.ListDomains(ctx, owner, "acme"); len(doms) != 2 || !doms[0].Verified || !doms[1].Verified {
			t.Errorf("the domains after check now: %+v", doms)
		}

		// Change Rita's role, then suspend her.
		step("open Rita's page",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`main a[href="/workspaces/acme/members/`+rita[0].ID+`"]`)),
			chromedp.WaitVisible(chromedp.ID("role")))
		step("make her a manager",
			chromedp.SetValue(chromedp.ID("role"), "manager"),
			chromedp.Click(chromedp.CSS(`form[action$="/role"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if s := text("facts", ".facts"); !strings.Contains(s, "Manager") {
			t.Errorf("Rita's page after the change: %q", s)
		}
		if got := members("rita.request"); got[0].Role != directory.RoleManager {
			t.Errorf("Rita's role is %s", got[0].Role)
		}
		step("suspend her",
			chromedp.Click(chromedp.CSS(`a[href$="/members/`+rita[0].ID+`/suspend"]`)),
			chromedp.WaitVisible(chromedp.CSS(".confirm form")),
			chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".pagehead .badge.suspended")))
		if got := members("rita.request"); got[0].Status != directory.StatusSuspended {
			t.Errorf("Rita after suspension: %+v", got[0])
		}

		// Every change, read back in words.
		step("open Activity", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/activity"]`)), chromedp.WaitVisible(chromedp.CSS("table.activity")))
		shoot("journey-activity")
		log := text("the log", "table.activity")
		for _, s := range []string{
			"Olivia Owner invited grace.hopper@acme.example as Member.",
			"Olivia Owner invited alan.turing@acme.example as Member.",
			"Olivia Owner invited katherine.johnson@acme.example as Member.",
			"Olivia Owner invited ada.lovelace@acme.example as Member.",
			"Olivia Owner invited gus@globex.example as Member.",
			"Olivia Owner created the join link “Partners 2026, shared with the agencies”.",
			"Rita Request asked to join.",
			"Rex Reject asked to join.",
			"Olivia Owner accepted the join request of rita.request@acme.example as Member.",
			"Olivia Owner rejected the join request of rex.reject@acme.example.",
			"Olivia Owner changed the join link “Partners 2026, shared with the agencies”; it is off.",
			"Olivia Owner verified the domain labs.acme.example.",
			"Olivia Owner activated Rita Request as Member.",
			"Olivia Owner changed the role of Rita Request from Member to Manager.",
			"Olivia Owner suspended Rita Request.",
		} {
			if !strings.Contains(log, s) {
				t.Errorf("the activity lacks %q:\n%s", s, log)
			}
		}
	})
}
