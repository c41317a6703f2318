package main

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

// inbox is a real SMTP server that keeps whole messages, so a test can
// read a mail and follow its link.
type inbox struct {
	port int
	mu   sync.Mutex
	msgs []inboxMail
}

type inboxMail struct {
	to      []string
	subject string
	text    string
}

type inboxSession struct {
	in *inbox
	to []string
}

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *inboxSession) Reset()        { s.to = nil }
func (s *inboxSession) Logout() error { return nil }
func (s *inboxSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	text := ""
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct == "text/plain" {
			b, _ := io.ReadAll(p)
			text = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	s.in.msgs = append(s.in.msgs, inboxMail{to: append([]string(nil), s.to...), subject: subject, text: text})
	return nil
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{in: in}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return in
}

// waitFor returns the first mail to addr whose subject contains subject,
// waiting for the server's outbox worker to send it.
func (in *inbox) waitFor(t *testing.T, addr, subject string) inboxMail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		in.mu.Lock()
		for _, m := range in.msgs {
			if strings.Contains(m.subject, subject) && strings.Contains(strings.Join(m.to, " "), addr) {
				in.mu.Unlock()
				return m
			}
		}
		in.mu.Unlock()
		time.Sleep(25 * time.Millisecond)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	t.Fatalf("no mail %q to %s; inbox: %+v", subject, addr, in.msgs)
	return inboxMail{}
}

// all returns every mail received so far.
func (in *inbox) all() []inboxMail {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]inboxMail(nil), in.msgs...)
}

// mustRun runs roster and requires exit code want.
func mustRun(t *testing.T, want int, stdin string, args ...string) result {
	t.Helper()
	res := runRoster(t, stdin, args...)
	if res.code != want {
		t.Fatalf("roster %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}
	return res
}

// tailUntil runs `roster events tail args...` until its output shows want.
func tailUntil(t *testing.T, want string, args ...string) result {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := mustRun(t, 0, "", append([]string{"events", "tail"}, args...)...)
		if strings.Contains(res.stdout, want) || time.Now().After(deadline) {
			return res
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientCommandsEndToEnd runs `roster serve` with SMTP and drives it
// with the client commands, on each database: invitations by address and
// from a file, the mails they send (whose links are followed on the
// server), members, seats, roles, teams, domains, webhooks and the event
// feed, with the exit codes scripts rely on.
func TestClientCommandsEndToEnd(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			cleanEnv(t)
			for _, v := range []string{envServer, envKey, envWorkspace, envOperatorKey, envOperatorKeyFile, envOIDCProviders, envOIDCProvidersFile} {
				t.Setenv(v, "")
			}
			in := startInbox(t)
			dbURL := directorytest.DatabaseURL(t, backend)
			t.Setenv(envDatabaseURL, dbURL)
			t.Setenv(envAddr, "127.0.0.1:0")
			t.Setenv(envSecretKey, seal.NewKey())
			t.Setenv(envSMTPURL, "smtp://127.0.0.1:"+strconv.Itoa(in.port)+"?tls=none&from=roster@roster.example&timeout=5s")
			s := startServe(t)
			server := "http://" + s.addr

			// Bootstrap on the database: a workspace, its owner, a key.
			res := mustRun(t, 0, "", "workspace", "create", "--name", "Acme", "--slug", "acme", "--owner", "owner@acme.example", "--base-url", server, "-o", "json")
			var created struct{ Owner admin.InviteOutcome }
			json.Unmarshal([]byte(res.stdout), &created)
			d, err := directory.Open(context.Background(), dbURL, directory.Options{BaseURL: server})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			token := created.Owner.Link[strings.LastIndex(created.Owner.Link, "/")+1:]
			if _, err := d.AcceptInvitation(context.Background(), token, directory.VerifiedIdentity{Email: "owner@acme.example", Name: "Olivia Owner"}); err != nil {
				t.Fatal(err)
			}
			res = mustRun(t, 0, "", "apikey", "create", "--workspace", "acme", "--role", "owner", "--name", "cli test")
			key := regexp.MustCompile(`roster_[A-Za-z0-9_-]{40,}`).FindString(res.stdout)
			if key == "" || !strings.Contains(res.stdout, "shown once") {
				t.Fatalf("apikey create printed no key:\n%s", res.stdout)
			}
			mustRun(t, 2, "", "invitations", "list") // no server yet: usage
			t.Setenv(envServer, server)
			t.Setenv(envKey, key)
			t.Setenv(envWorkspace, "acme")

			// Invite by address; the mail's link opens the invitation page.
			res = mustRun(t, 0, "", "invitations", "create", "--role", "member", "jane@acme.example", "Kim Lee <kim@acme.example>")
			if strings.Count(res.stdout, "invited") != 2 || !strings.Contains(res.stdout, server+"/invite/") {
				t.Errorf("invitations create:\n%s", res.stdout)
			}
			m := in.waitFor(t, "jane@acme.example", "invited you to join Acme")
			link := regexp.MustCompile(regexp.QuoteMeta(server) + `/invite/[A-Za-z0-9_-]+`).FindString(m.text)
			if link == "" {
				t.Fatalf("no link in the mail:\n%s", m.text)
			}
			page, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(page.Body)
			page.Body.Close()
			if page.StatusCode != 200 || !strings.Contains(string(body), "Acme") || !strings.Contains(string(body), "jane@acme.example") {
				t.Errorf("following the mailed link: %d\n%s", page.StatusCode, body)
			}
			acc, err := d.AcceptInvitation(context.Background(), link[strings.LastIndex(link, "/")+1:], directory.VerifiedIdentity{Email: "jane@acme.example"})
			if err != nil {
				t.Fatalf("accept with the mailed link: %v", err)
			}
			jane := acc.Member.ID

			// Import from a file: rows answered one by one; a bad row
			// makes the command fail (exit 1) after printing everything.
			csv := filepath.Join(t.TempDir(), "people.csv")
			os.WriteFile(csv, []byte("email,name,role,gender\nana@acme.example,Ana,admin,F\nnot-an-address,X,,\nben@acme.example,Ben,,M\n"), 0o600)
			res = mustRun(t, 1, "", "invitations", "create", "--file", csv, "--role", "member", "--no-email")
			for _, want := range []string{"ROW", "2    ana@acme.example", "3    not-an-address    invalid_address", "4    ben@acme.example"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("import output lacks %q:\n%s", want, res.stdout)
				}
			}
			if !strings.Contains(res.stderr, "1 of 3 were not invited") {
				t.Errorf("import stderr: %s", res.stderr)
			}

			// Members: list remotely, suspend (jane is mailed), errors.
			res = mustRun(t, 0, "", "members", "list", "--status", "active", "-o", "json")
			var members []admin.Member
			if err := json.Unmarshal([]byte(res.stdout), &members); err != nil || len(members) != 2 {
				t.Errorf("members list: %v\n%s", err, res.stdout)
			}
			res = mustRun(t, 0, "", "members", "suspend", jane)
			if !strings.Contains(res.stdout, "suspended") {
				t.Errorf("suspend:\n%s", res.stdout)
			}
			in.waitFor(t, "jane@acme.example", "has been suspended")
			mustRun(t, 0, "", "members", "reactivate", jane)
			mustRun(t, 0, "", "members", "role", jane, "manager")
			mustRun(t, 0, "", "members", "profile", jane, "--name", "Jane Doe", "--locale", "fr")
			res = mustRun(t, 0, "", "members", "show", jane)
			if !strings.Contains(res.stdout, "Jane Doe") || !strings.Contains(res.stdout, "manager") {
				t.Errorf("show:\n%s", res.stdout)
			}
			res = mustRun(t, 4, "", "members", "show", "no-such-member")
			if !strings.Contains(res.stderr, "Not found") {
				t.Errorf("unknown member: %s", res.stderr)
			}
			mustRun(t, 2, "", "members", "role", jane, "wizard")
			res = mustRun(t, 3, "", "members", "list", "--key", "roster_wrong")
			if !strings.Contains(res.stderr, "unknown, revoked or expired") {
				t.Errorf("wrong key: %s", res.stderr)
			}
			res = mustRun(t, 4, "", "members", "list", "--workspace", "someone-else")
			_ = res

			// Seats: at the limit an invitation is refused and the owner
			// is told by mail.
			res = mustRun(t, 0, "", "seats", "show", "-o", "json")
			var seats admin.Seats
			json.Unmarshal([]byte(res.stdout), &seats)
			mustRun(t, 0, "", "seats", "set", strconv.Itoa(seats.Used))
			res = mustRun(t, 1, "", "invitations", "create", "--role", "member", "late@acme.example")
			if !strings.Contains(res.stdout, "seat_limit") {
				t.Errorf("over the limit:\n%s", res.stdout)
			}
			in.waitFor(t, "owner@acme.example", "has reached its seat limit")
			mustRun(t, 0, "", "seats", "set", "unlimited")
			mustRun(t, 2, "", "seats", "set", "many")

			// Roles, who may invite, teams, domains, invitations.
			mustRun(t, 0, "", "roles", "save", "recruiter", "--name", "Recruiter", "--permission", "members.read", "--permission", "members.invite")
			res = mustRun(t, 0, "", "roles", "inviters", "admin", "recruiter")
			if !strings.Contains(res.stdout, "owner, admin, recruiter") {
				t.Errorf("inviters:\n%s", res.stdout)
			}
			res = mustRun(t, 0, "", "roles", "list")
			if !regexp.MustCompile(`recruiter\s+Recruiter\s+30\s+false\s+yes\s+members.read members.invite`).MatchString(res.stdout) {
				t.Errorf("roles list:\n%s", res.stdout)
			}
			res = mustRun(t, 0, "", "teams", "create", "Sales", "--role", "member", "-o", "json")
			var team admin.Team
			json.Unmarshal([]byte(res.stdout), &team)
			mustRun(t, 0, "", "teams", "add", team.ID, jane)
			// Who manages a team is the door that made it: here an admin.
			res = mustRun(t, 0, "", "teams", "list")
			if !regexp.MustCompile(`MANAGED BY`).MatchString(strings.ToUpper(res.stdout)) || !regexp.MustCompile(`Sales\s+member\s+1\s+roster`).MatchString(res.stdout) {
				t.Errorf("teams list:\n%s", res.stdout)
			}
			res = mustRun(t, 0, "", "teams", "members", team.ID)
			if !strings.Contains(res.stdout, "jane@acme.example") {
				t.Errorf("team members:\n%s", res.stdout)
			}
			mustRun(t, 0, "", "teams", "update", team.ID, "--no-role")
			mustRun(t, 0, "", "teams", "remove", team.ID, jane)
			res = mustRun(t, 0, "", "domains", "add", "acme.example", "-o", "json")
			var dom admin.Domain
			if err := json.Unmarshal([]byte(res.stdout), &dom); err != nil {
				t.Fatalf("domains add -o json: %v\n%s", err, res.stdout)
			}
			if dom.ID == "" || dom.Domain != "acme.example" || dom.Verified || dom.VerifiedAt != nil || dom.Policy != directory.DomainRequest ||
				dom.DefaultRole != directory.RoleMember || dom.TXTName != "_roster-challenge.acme.example" || dom.TXTValue == "" {
				t.Errorf("domains add -o json = %+v", dom)
			}
			res = mustRun(t, 0, "", "domains", "list")
			if !strings.Contains(res.stdout, dom.ID) || !strings.Contains(res.stdout, "_roster-challenge.acme.example "+dom.TXTValue) {
				t.Errorf("domains list does not show domain %s with its TXT record %q:\n%s", dom.ID, dom.TXTValue, res.stdout)
			}
			res = mustRun(t, 0, "", "invitations", "list", "--status", "pending", "-o", "json")
			var invs []admin.Invitation
			json.Unmarshal([]byte(res.stdout), &invs)
			if len(invs) != 3 {
				t.Fatalf("pending invitations: %s", res.stdout)
			}
			var kim, other string
			for _, inv := range invs {
				if inv.Email == "kim@acme.example" {
					kim = inv.ID
				} else {
					other = inv.ID
				}
			}
			res = mustRun(t, 0, "", "invitations", "resend", kim)
			if !strings.Contains(res.stdout, "resent") {
				t.Errorf("resend:\n%s", res.stdout)
			}
			resent := in.waitFor(t, "kim@acme.example", "Reminder:")
			if !strings.Contains(resent.text, server+"/invite/") {
				t.Errorf("reminder without a link:\n%s", resent.text)
			}
			mustRun(t, 0, "", "invitations", "revoke", other)

			// Join links and requests: the people the link names are told
			// of a request; the requester hears the decision.
			res = mustRun(t, 0, "", "members", "list", "--role", "owner", "-o", "json")
			var owners []admin.Member
			if err := json.Unmarshal([]byte(res.stdout), &owners); err != nil || len(owners) != 1 {
				t.Fatalf("owners: %s", res.stdout)
			}
			res = mustRun(t, 0, "", "join-links", "create", "--description", "Contractors", "--role", "collaborator", "--mode", "approval",
				"--notify", "people", "--notify-member", owners[0].ID, "-o", "json")
			var created2 struct {
				JoinLink admin.JoinLink `json:"join_link"`
				URL      string         `json:"url"`
			}
			json.Unmarshal([]byte(res.stdout), &created2)
			if !strings.HasPrefix(created2.URL, server+"/join/") {
				t.Fatalf("join link: %s", res.stdout)
			}
			joinToken := created2.URL[strings.LastIndex(created2.URL, "/")+1:]
			for _, who := range []string{"cara@partner.example", "dan@partner.example"} {
				if _, err := d.UseJoinLink(context.Background(), joinToken, directory.VerifiedIdentity{Email: who, Name: "Guest"}); err != nil {
					t.Fatal(err)
				}
			}
			in.waitFor(t, "owner@acme.example", "asked to join Acme")
			res = mustRun(t, 0, "", "join-requests", "list", "-o", "json")
			var reqs []admin.JoinRequest
			json.Unmarshal([]byte(res.stdout), &reqs)
			if len(reqs) != 2 {
				t.Fatalf("join requests: %s", res.stdout)
			}
			res = mustRun(t, 0, "", "join-requests", "accept", reqs[0].ID)
			if !strings.Contains(res.stdout, "collaborator") || !strings.Contains(res.stdout, "active") {
				t.Errorf("accept:\n%s", res.stdout)
			}
			in.waitFor(t, reqs[0].Email, "You've joined Acme")
			mustRun(t, 0, "", "join-requests", "reject", reqs[1].ID)
			in.waitFor(t, reqs[1].Email, "Your request to join Acme")
			mustRun(t, 1, "", "join-requests", "reject", reqs[1].ID) // already decided: 409
			res = mustRun(t, 0, "", "join-links", "members", created2.JoinLink.ID)
			if !strings.Contains(res.stdout, reqs[0].Email) {
				t.Errorf("joined via link:\n%s", res.stdout)
			}
			mustRun(t, 0, "", "join-links", "update", created2.JoinLink.ID, "--active=false")
			mustRun(t, 0, "", "join-links", "revoke", created2.JoinLink.ID)
			res = mustRun(t, 0, "", "join-links", "list")
			if !strings.Contains(res.stdout, "revoked") {
				t.Errorf("join links:\n%s", res.stdout)
			}

			// Setup links: the URL once, then listed without it, revoked.
			res = mustRun(t, 0, "", "setup-link", "create", "--purpose", "sso", "--description", "Acme IT", "--expires", "48h", "-o", "json")
			var setupLink admin.SetupLinkCreated
			json.Unmarshal([]byte(res.stdout), &setupLink)
			if !strings.HasPrefix(setupLink.URL, server+"/setup/") || setupLink.SetupLink.Status != "pending" {
				t.Fatalf("setup link: %s", res.stdout)
			}
			mustRun(t, 2, "", "setup-link", "create", "--purpose", "saml") // refused by the server, in words
			res = mustRun(t, 0, "", "setup-link", "list")
			if !strings.Contains(res.stdout, "Acme IT") || strings.Contains(res.stdout, setupLink.URL) {
				t.Errorf("setup links:\n%s", res.stdout)
			}
			mustRun(t, 0, "", "setup-link", "revoke", setupLink.SetupLink.ID)
			res = mustRun(t, 0, "", "setup-link", "list")
			if !strings.Contains(res.stdout, "revoked") {
				t.Errorf("setup links after revoke:\n%s", res.stdout)
			}

			// Webhooks.
			res = mustRun(t, 0, "", "webhooks", "create", "https://hooks.acme.example/roster", "--type", "member.*")
			if !strings.Contains(res.stdout, "whsec_") {
				t.Errorf("webhook create:\n%s", res.stdout)
			}
			mustRun(t, 0, "", "webhooks", "list")

			// The event feed, from the start, then resumed.
			// On PostgreSQL the feed shows a transaction's events once every
			// older transaction in the cluster has ended (other tests run
			// alongside), so the last events may take a moment.
			res = tailUntil(t, "team.created", "--from-start", "--no-follow", "-o", "json")
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			var last admin.FeedEvent
			types := map[string]bool{}
			for _, l := range lines {
				if err := json.Unmarshal([]byte(l), &last); err != nil {
					t.Fatalf("tail line %q: %v", l, err)
				}
				types[last.Type] = true
			}
			for _, want := range []string{"invitation.created", "member.activated", "member.suspended", "member.role_changed", "team.created"} {
				if !types[want] {
					t.Errorf("feed lacks %s; has %v", want, types)
				}
			}
			if !strings.Contains(res.stderr, "--after "+last.Cursor) {
				t.Errorf("tail did not say how to resume: %s", res.stderr)
			}
			mustRun(t, 0, "", "members", "remove", jane)
			res = tailUntil(t, "member.removed", "--after", last.Cursor, "--no-follow", "--type", "member.*")
			if !strings.Contains(res.stdout, "member.removed") || strings.Contains(res.stdout, "team.") {
				t.Errorf("resumed tail:\n%s", res.stdout)
			}
			// A member key sees the feed of its own workspace without
			// naming it, and may not manage anyone.
			_, memberKey, err := d.CreateAPIKey(context.Background(), directory.Operator(), "acme", directory.APIKeyRequest{Name: "reader", Role: "member"})
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv(envWorkspace, "")
			res = tailUntil(t, "member.removed", "--from-start", "--no-follow", "--key", memberKey)
			if !strings.Contains(res.stdout, "member.removed") {
				t.Errorf("member key's feed:\n%s", res.stdout)
			}
			res = mustRun(t, 3, "", "members", "suspend", "x", "--workspace", "acme", "--key", memberKey)
			if !strings.Contains(res.stderr, "Not permitted") {
				t.Errorf("member key suspends: %s", res.stderr)
			}
		})
	}
}

// TestMountAdmin checks the admin API's wiring in roster serve: the
// operator key from the environment creates workspaces, the OpenAPI
// document is public, and a weak operator key stops the server at start.
func TestMountAdmin(t *testing.T) {
	cleanEnv(t)
	for _, v := range []string{envServer, envKey, envWorkspace, envOperatorKeyFile, envMaxUpload, envWebhookAllowPrivate} {
		t.Setenv(v, "")
	}
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	t.Setenv(envOperatorKey, "short")
	res := runRoster(t, "", "serve", "--addr", "127.0.0.1:0", "--database-url", dbURL)
	if res.code != 1 || !strings.Contains(res.stderr, envOperatorKey+" must be at least 24 characters") {
		t.Fatalf("weak operator key: exit %d\n%s", res.code, res.stderr)
	}
	opKey := "operator-" + seal.NewKey()
	t.Setenv(envOperatorKey, opKey)
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", dbURL)
	if code, body := s.get(t, "/api/v1/openapi.json"); code != 200 || !strings.Contains(body, `"openapi": "3.1.0"`) {
		t.Errorf("openapi.json: %d", code)
	}
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v1/workspaces", strings.NewReader(`{"name":"Globex","owner_email":"hank@globex.example"}`))
	req.Header.Set("Authorization", "Bearer "+opKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(string(body), `"slug": "globex"`) {
		t.Errorf("create workspace with the operator key: %d %s", resp.StatusCode, body)
	}
	if code, body := s.get(t, "/api/v1/workspaces", "Authorization", "Bearer nope"); code != 401 || !strings.Contains(body, "problems/unauthorized") {
		t.Errorf("bad key: %d %s", code, body)
	}
}
