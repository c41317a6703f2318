package scim

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// syncBuffer is a log the recorder writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func logEntries(t *testing.T, d *directory.Directory, slug string, n int) (directory.SCIMConnection, []directory.SCIMRequest) {
	t.Helper()
	ctx := context.Background()
	ws, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.CreateSCIMConnection(ctx, directory.Operator(), slug, directory.SCIMConnectionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]directory.SCIMRequest, n)
	for i := range out {
		out[i] = directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: "GET", Path: "/Users/" + strconv.Itoa(i),
			Status: 200, Duration: time.Millisecond, CreatedAt: time.Now().UTC()}
	}
	return conn, out
}

func storedEntries(t *testing.T, d *directory.Directory, conn directory.SCIMConnection) int {
	t.Helper()
	db := directorytest.DB(t, d)
	var n int
	if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM scim_requests WHERE connection_id = ?`), conn.ID); err != nil {
		t.Fatal(err)
	}
	return n
}

// A poisoned entry in a batch costs only itself, on both databases.
func TestRecorderPoisonedEntry(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		var logs syncBuffer
		r := newRecorderBounded(d, slog.New(slog.NewTextHandler(&logs, nil)), time.Hour, time.Hour, 1000)
		conn, entries := logEntries(t, d, "alpha", 600)
		entries[250].ConnectionID = "deleted-meanwhile"
		entries[251].Path = "/Users/\x00"
		for _, e := range entries {
			r.add(e)
		}
		r.close()
		if got := storedEntries(t, d, conn); got != 599 {
			t.Errorf("%d entries stored, want 599", got)
		}
		if st := r.stats(); st != (LogStats{Written: 599, Rejected: 1}) {
			t.Errorf("stats %+v, want 599 written, 1 rejected", st)
		}
	})
}

// While the database is unreachable the recorder holds entries, up to its
// bound, and writes them once the database is back; entries over the
// bound are dropped, counted and logged with their number. PostgreSQL
// behind a proxy the test cuts.
func TestRecorderRidesOutAnOutage(t *testing.T) {
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Skipf("%s is not set: the outage is staged on PostgreSQL", directorytest.EnvDatabaseURL)
	}
	d, proxy := directorytest.OpenBehindProxy(t, directory.Options{})
	var logs syncBuffer
	r := newRecorderBounded(d, slog.New(slog.NewTextHandler(&logs, nil)), time.Hour, time.Hour, 50)
	conn, entries := logEntries(t, d, "alpha", 70)

	proxy.Cut()
	for _, e := range entries[:30] {
		r.add(e)
	}
	r.flush()
	if st := r.stats(); st != (LogStats{}) {
		t.Fatalf("stats during the outage %+v, want nothing written or dropped yet", st)
	}
	for _, e := range entries[30:] {
		r.add(e)
	}
	r.flush()
	if st := r.stats(); st.Dropped != 20 || st.Written != 0 {
		t.Fatalf("stats %+v, want 20 dropped over the bound of 50, none written", st)
	}
	if m := regexp.MustCompile(`"SCIM request log entries dropped" dropped=(\d+)`).FindStringSubmatch(logs.String()); m == nil || m[1] != "20" {
		t.Errorf("no warning with the count of dropped entries:\n%s", logs.String())
	}
	if got := storedEntries(t, d, conn); got != 0 {
		t.Fatalf("%d entries stored while the database was cut", got)
	}

	proxy.Restore()
	r.flush()
	if got := storedEntries(t, d, conn); got != 50 {
		t.Errorf("%d entries stored after the database came back, want the 50 held", got)
	}
	r.close()
	if st := r.stats(); st != (LogStats{Written: 50, Dropped: 20}) {
		t.Errorf("stats %+v, want 50 written, 20 dropped", st)
	}
}
