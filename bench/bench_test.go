package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// miniSCIM is just enough of a SCIM server for the scenarios: userName eq
// filters, paging, user POST, group POST/PATCH/DELETE. It records what it saw
// so tests can check the traffic shape.
type miniSCIM struct {
	mu         sync.Mutex
	users      []map[string]string // id, userName; in creation order
	byName     map[string]bool
	groups     map[string]map[string]bool
	failPOST   bool
	listQuery  []string // raw queries of GET /Users with a filter
	maxBatch   int
	groupsLeft int
}

func newMini(existing int) *miniSCIM {
	m := &miniSCIM{byName: map[string]bool{}, groups: map[string]map[string]bool{}}
	for i := range existing {
		m.addUser(fmt.Sprintf("pre-%d@example.com", i))
	}
	return m
}

func (m *miniSCIM) addUser(name string) string {
	id := "u" + strconv.Itoa(len(m.users)+1)
	m.users = append(m.users, map[string]string{"id": id, "userName": name})
	m.byName[strings.ToLower(name)] = true
	return id
}

var eqFilter = regexp.MustCompile(`^userName eq "(.*)"$`)

func (m *miniSCIM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(401)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "application/scim+json")
	send := func(status int, v any) { w.WriteHeader(status); _ = json.NewEncoder(w).Encode(v) }
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch {
	case r.Method == "GET" && r.URL.Path == "/Users":
		q := r.URL.Query()
		sel := m.users
		if f := q.Get("filter"); f != "" {
			m.listQuery = append(m.listQuery, r.URL.RawQuery)
			sel = nil
			if mm := eqFilter.FindStringSubmatch(f); mm != nil {
				for _, u := range m.users {
					if strings.EqualFold(u["userName"], mm[1]) {
						sel = append(sel, u)
					}
				}
			}
		}
		start, count := 1, 100
		if v, err := strconv.Atoi(q.Get("startIndex")); err == nil {
			start = max(v, 1)
		}
		if v, err := strconv.Atoi(q.Get("count")); err == nil {
			count = v
		}
		page := []any{}
		for i := start - 1; i < len(sel) && len(page) < count; i++ {
			page = append(page, sel[i])
		}
		send(200, map[string]any{"totalResults": len(sel), "startIndex": start, "itemsPerPage": len(page), "Resources": page})
	case r.Method == "POST" && r.URL.Path == "/Users":
		name, _ := body["userName"].(string)
		if m.failPOST {
			send(500, map[string]any{"detail": "boom"})
			return
		}
		if m.byName[strings.ToLower(name)] {
			send(409, map[string]any{"status": "409"})
			return
		}
		send(201, map[string]any{"id": m.addUser(name), "userName": name})
	case r.Method == "POST" && r.URL.Path == "/Groups":
		id := "g" + strconv.Itoa(len(m.groups)+1)
		m.groups[id] = map[string]bool{}
		m.groupsLeft++
		send(201, map[string]any{"id": id})
	case strings.HasPrefix(r.URL.Path, "/Groups/"):
		id := strings.TrimPrefix(r.URL.Path, "/Groups/")
		g, ok := m.groups[id]
		if !ok {
			send(404, nil)
			return
		}
		if r.Method == "DELETE" {
			delete(m.groups, id)
			m.groupsLeft--
			w.WriteHeader(204)
			return
		}
		ops, _ := body["Operations"].([]any)
		for _, o := range ops {
			op := o.(map[string]any)
			switch op["op"] {
			case "add":
				vals := op["value"].([]any)
				m.maxBatch = max(m.maxBatch, len(vals))
				for _, v := range vals {
					g[v.(map[string]any)["value"].(string)] = true
				}
			case "remove":
				p := op["path"].(string)
				delete(g, strings.TrimSuffix(strings.TrimPrefix(p, `members[value eq "`), `"]`))
			}
		}
		w.WriteHeader(204)
	default:
		send(404, nil)
	}
}

func serve(t *testing.T, m *miniSCIM) string {
	t.Helper()
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPercentilesUseNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p50, p90, p99, mx := percentiles(lat)
	if p50 != 50*time.Millisecond || p90 != 90*time.Millisecond || p99 != 99*time.Millisecond || mx != 100*time.Millisecond {
		t.Errorf("percentiles = %v %v %v %v, want 50ms 90ms 99ms 100ms", p50, p90, p99, mx)
	}
	if a, b, c, d := percentiles(nil); a+b+c+d != 0 {
		t.Errorf("percentiles(nil) not zero")
	}
	if p50, _, p99, _ := percentiles([]time.Duration{7}); p50 != 7 || p99 != 7 {
		t.Errorf("single sample: p50 %v p99 %v", p50, p99)
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\troster\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n"
	got, err := parseVmRSS(strings.NewReader(status))
	if err != nil || got != 12345*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 12345*1024)
	}
	if _, err := parseVmRSS(strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Errorf("no VmRSS line: want an error")
	}
}

func TestRSSSamplerReadsOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	s, err := startRSS(os.Getpid(), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if got := s.stop(); got < 1<<20 {
		t.Errorf("max RSS of this test process = %d bytes, implausibly small", got)
	}
	if _, err := startRSS(1<<30, time.Second); err == nil {
		t.Errorf("startRSS of a non-existent pid succeeded")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{URL: "http://127.0.0.1:1", Scenario: "stampede"},
		{URL: "127.0.0.1:1", Scenario: "sync"},
		{URL: "http://127.0.0.1:1", Scenario: "sync", N: -1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", cfg)
		}
	}
}

func TestSyncChecksExistenceThenCreatesNUsers(t *testing.T) {
	m := newMini(0)
	rep, err := Run(context.Background(), Config{URL: serve(t, m), Token: "tok", Scenario: "sync", Concurrency: 4, N: 50})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count != 50 || rep.Errors != 0 || rep.OpsPerSec <= 0 || rep.P99 <= 0 {
		t.Errorf("report %+v; want 50 ops, no errors, a rate and latencies", rep)
	}
	if len(m.users) != 50 || len(m.listQuery) != 50 {
		t.Errorf("server saw %d users and %d existence checks, want 50 and 50", len(m.users), len(m.listQuery))
	}
	if q := m.listQuery[0]; !strings.Contains(q, "startIndex=1&count=100") || !strings.Contains(q, "%20eq%20") {
		t.Errorf("existence check query %q is not Okta's shape", q)
	}
}

func TestSyncCountsServerErrors(t *testing.T) {
	m := newMini(0)
	m.failPOST = true
	rep, err := Run(context.Background(), Config{URL: serve(t, m), Token: "tok", Scenario: "sync", Concurrency: 2, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count != 10 || rep.Errors != 10 || len(rep.ErrorSamples) == 0 || !strings.Contains(rep.ErrorSamples[0], "HTTP 500") {
		t.Errorf("report %+v; want 10 errors with an HTTP 500 sample", rep)
	}
}

func TestLookupSeedsToPopulationThenFindsUsers(t *testing.T) {
	m := newMini(30)
	rep, err := Run(context.Background(), Config{URL: serve(t, m), Token: "tok", Scenario: "lookup",
		Concurrency: 4, N: 100, Population: 250})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.users) != 250 || rep.Seeded != 220 {
		t.Errorf("server has %d users, %d seeded; want 250 and 220", len(m.users), rep.Seeded)
	}
	if rep.Count != 100 || rep.Errors != 0 {
		t.Errorf("report %+v; want 100 successful lookups", rep)
	}
}

func TestGroupChurnGrowsInBatchesAndCleansUp(t *testing.T) {
	m := newMini(0)
	rep, err := Run(context.Background(), Config{URL: serve(t, m), Token: "tok", Scenario: "group-churn",
		Concurrency: 4, N: 40, Members: 120, Batch: 50})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GroupSize != 120 || rep.Count != 40 || rep.Errors != 0 {
		t.Errorf("report %+v; want a group of 120 and 40 clean PATCHes", rep)
	}
	if m.maxBatch != 50 {
		t.Errorf("largest add batch %d, want 50", m.maxBatch)
	}
	if m.groupsLeft != 0 {
		t.Errorf("%d benchmark groups left on the server", m.groupsLeft)
	}
}

func TestListPagesThroughEveryUser(t *testing.T) {
	m := newMini(230)
	rep, err := Run(context.Background(), Config{URL: serve(t, m), Token: "tok", Scenario: "list", Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 3 || rep.Items != 230 || rep.Errors != 0 || len(rep.ErrorSamples) != 0 {
		t.Errorf("report %+v; want 3 pages with 230 items", rep)
	}
	var b bytes.Buffer
	rep.Print(&b)
	if !strings.Contains(b.String(), "3 pages, 230 items") {
		t.Errorf("printed report lacks the page summary:\n%s", b.String())
	}
}
