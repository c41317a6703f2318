//go:build fault

// The fault test runs the roster binary as a real process on PostgreSQL,
// kills it with SIGKILL in the middle of a SCIM sync, starts a second
// process and checks what an operator relies on: no user lost or
// duplicated, and every invitation email sent (at least once) within the
// outbox lease. CI runs it after building the binary:
//
//	ROSTER_BIN=/path/to/roster go test -tags fault -run TestFault ./cmd/roster
//
// Without ROSTER_BIN it builds the binary itself.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

const (
	faultUsers = 300
	// faultLease is the outbox lease the servers run with: short, so the
	// test checks the README's promise (lease + poll interval) in
	// seconds rather than a minute.
	faultLease = 4 * time.Second
)

// sink is a real SMTP server that keeps the recipients and Message-ID of
// every message it accepts.
type sink struct {
	addr string
	// slow makes each message take a while, so the replica that is
	// killed is caught in the middle of a batch it claimed.
	slow atomic.Bool
	mu   sync.Mutex
	msgs []sunk
}

type sunk struct {
	to        []string
	messageID string
}

func startSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) all() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

type sinkSession struct {
	s  *sink
	to []string
}

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, m.Body)
	if x.s.slow.Load() {
		time.Sleep(20 * time.Millisecond) // a slow relay, not synchronisation
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, sunk{to: x.to, messageID: m.Header.Get("Message-Id")})
	x.s.mu.Unlock()
	return nil
}
func (x *sinkSession) Reset()        { x.to = nil }
func (x *sinkSession) Logout() error { return nil }

// rosterBinary is ROSTER_BIN, or a binary built from this package.
func rosterBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ROSTER_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "roster")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one `roster serve` process.
type proc struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startProc(t *testing.T, bin string, env []string, addr string) *proc {
	t.Helper()
	p := &proc{logs: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--dev", "--addr", addr)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		p.done <- nil
		if t.Failed() {
			t.Logf("log of serve pid %d:\n%s", p.cmd.Process.Pid, p.logs)
		}
	})
	// Readiness polling: /readyz answers once the database is reachable.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("serve exited before it was ready (%v):\n%s", err, p.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve was not ready within 30s:\n%s", p.logs)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestFaultKillMidSync(t *testing.T) {
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Fatalf("%s must name a PostgreSQL database: the fault test runs on PostgreSQL", directorytest.EnvDatabaseURL)
	}
	bin := rosterBinary(t)
	dbURL := directorytest.DatabaseURL(t, directory.Postgres)
	mb := startSink(t)
	key := make([]byte, 32)
	rand.Read(key)
	addr := freeAddr(t)
	const baseURL = "https://roster.fault.example"
	env := append(os.Environ(),
		"ROSTER_DATABASE_URL="+dbURL,
		"ROSTER_SECRET_KEY="+base64.StdEncoding.EncodeToString(key),
		"ROSTER_BASE_URL="+baseURL,
		"ROSTER_SMTP_URL=smtp://"+mb.addr+"?from=roster@fault.example&tls=none",
		"ROSTER_OUTBOX_LEASE="+faultLease.String(),
	)
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = env
		out, err := c.Output()
		if err != nil {
			t.Fatalf("roster %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("migrate")
	run("workspace", "create", "--name", "Fault", "--slug", "fault", "--owner", "owner@fault.example")
	var conn struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(run("scim", "connection", "create", "--workspace", "fault", "--profile", "okta", "-o", "json")), &conn); err != nil || conn.Token == "" {
		t.Fatalf("SCIM connection: %v %+v", err, conn)
	}

	mb.slow.Store(true)
	first := startProc(t, bin, env, addr)
	scim := "http://" + addr + "/scim/v2"
	client := &http.Client{Timeout: 10 * time.Second}
	// do sends one SCIM request and returns the status, or 0 when the
	// server could not be reached or answered nothing.
	do := func(method, path string, body any) (int, map[string]any) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, scim+path, rd)
		req.Header.Set("Authorization", "Bearer "+conn.Token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := client.Do(req)
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	// The IdP: 8 workers create the users and retry anything that did
	// not get an answer, or got a 5xx, until it has an answer; a 409
	// after a retry means an earlier attempt created the user.
	var created atomic.Int64
	killAt := int64(faultUsers / 3)
	killed := make(chan struct{})
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, faultUsers)
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				userName := fmt.Sprintf("user%03d@fault.example", i)
				body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
					"name": map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)}, "active": true,
					"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}}}
				deadline := time.Now().Add(40 * time.Second)
				for attempt := 0; ; attempt++ {
					status, out := do("POST", "/Users", body)
					if status == http.StatusCreated || (status == http.StatusConflict && attempt > 0) {
						created.Add(1)
						break
					}
					if status != 0 && status < 500 {
						errs <- fmt.Errorf("POST %s: %d %v", userName, status, out)
						break
					}
					if time.Now().After(deadline) {
						errs <- fmt.Errorf("POST %s: no answer within 40s (last status %d)", userName, status)
						break
					}
					select { // an IdP's retry delay; the server is down meanwhile
					case <-time.After(50 * time.Millisecond):
					case <-killed:
					}
				}
			}
		})
	}
	var killTime time.Time
	// The IdP provisions at about 100 users a second, as IdPs pace
	// themselves; the server is killed once its outbox worker is busy
	// sending the first invitations of the sync (it holds a claimed
	// batch), and at least a third of the users exist.
	pace := time.NewTicker(10 * time.Millisecond)
	defer pace.Stop()
	for i := range faultUsers {
		<-pace.C
		jobs <- i
		if killTime.IsZero() && created.Load() >= killAt && len(mb.all()) >= 3 {
			// SIGKILL: no graceful shutdown, requests in flight, outbox
			// messages claimed and not recorded.
			if err := first.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			err := <-first.done // the port is free once it is gone
			first.done <- err
			killTime = time.Now()
			mb.slow.Store(false)
			t.Logf("killed serve pid %d after %d users and %d emails", first.cmd.Process.Pid, created.Load(), len(mb.all()))
			startProc(t, bin, env, addr)
		}
	}
	close(jobs)
	wg.Wait()
	syncDone := time.Now()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if killTime.IsZero() {
		t.Fatal("the sync ended before the server was killed")
	}

	// Every userName exactly once.
	seen := map[string]int{}
	for start := 1; ; start += 100 {
		status, page := do("GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), nil)
		if status != http.StatusOK {
			t.Fatalf("list users: %d %v", status, page)
		}
		res, _ := page["Resources"].([]any)
		for _, r := range res {
			seen[r.(map[string]any)["userName"].(string)]++
		}
		if len(res) < 100 {
			break
		}
	}
	for i := range faultUsers {
		if u := fmt.Sprintf("user%03d@fault.example", i); seen[u] != 1 {
			t.Errorf("%s is there %d times, want once", u, seen[u])
		}
	}
	if len(seen) != faultUsers {
		t.Errorf("%d users, want %d", len(seen), faultUsers)
	}

	// The outbox drains: every invitation (and the owner's) sent at
	// least once, at most lease + poll interval after the last message
	// was written, and every copy keeps its Message-ID.
	want := map[string]bool{"owner@fault.example": true}
	for i := range faultUsers {
		want[fmt.Sprintf("user%03d@fault.example", i)] = true
	}
	limit := syncDone.Add(faultLease + delivery.DefaultInterval + 5*time.Second)
	var missing []string
	for {
		got := map[string]bool{}
		for _, m := range mb.all() {
			for _, to := range m.to {
				got[to] = true
			}
		}
		missing = missing[:0]
		for addr := range want {
			if !got[addr] {
				missing = append(missing, addr)
			}
		}
		if len(missing) == 0 || time.Now().After(limit) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the mailbox
	}
	if len(missing) > 0 {
		t.Fatalf("%d invitations not delivered within lease %s + interval %s of the sync's end (e.g. %v)", len(missing), faultLease, delivery.DefaultInterval, missing[:min(5, len(missing))])
	}
	t.Logf("every invitation delivered %s after the kill, %s after the sync ended", time.Since(killTime).Round(time.Millisecond), time.Since(syncDone).Round(time.Millisecond))
	idOf := map[string]string{}
	copies := 0
	msgID := regexp.MustCompile(`^<outbox-\d+\.roster@roster\.fault\.example>$`)
	for _, m := range mb.all() {
		if !msgID.MatchString(m.messageID) {
			t.Errorf("Message-ID %q is not the outbox row's", m.messageID)
		}
		for _, to := range m.to {
			if id, ok := idOf[to]; ok {
				copies++
				if id != m.messageID {
					t.Errorf("%s got two different messages, %s and %s: a receiver could not drop the copy", to, id, m.messageID)
				}
			}
			idOf[to] = m.messageID
		}
	}
	t.Logf("%d emails, %d of them copies sent again after the kill (same Message-ID)", len(mb.all()), copies)
}
