// Package bench is a SCIM 2.0 load generator: it replays identity-provider
// traffic shapes (Okta-style sync, userName lookups, large-group membership
// churn, full list import) against a base URL and reports throughput and
// latency percentiles.
//
// It speaks only SCIM over HTTP to the URL it is given and imports no Roster
// package, so it measures any SCIM server as an IdP would see it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenarios lists the scenario names Run accepts.
var Scenarios = []string{"sync", "lookup", "group-churn", "list"}

// Config says what to run against which server.
type Config struct {
	// URL is the SCIM base URL, e.g. "http://127.0.0.1:8080/scim/v2".
	URL string
	// Token is sent as "Authorization: Bearer <Token>".
	Token string
	// Scenario is one of Scenarios.
	Scenario string
	// Concurrency is the number of parallel clients; 0 means 8.
	Concurrency int
	// N bounds the measured operations: users synced, lookups, membership
	// PATCHes, or pages listed. 0 means the scenario's default (1000 for
	// sync and group-churn, 10000 for lookup, every page for list).
	N int
	// Duration bounds the measured phase; 0 means 10 minutes. Whichever of
	// N and Duration is reached first ends it.
	Duration time.Duration
	// Population is the number of users lookup seeds the workspace up to;
	// 0 means 100000.
	Population int
	// Members is the group size S group-churn grows its group to before
	// measuring; 0 means 1000.
	Members int
	// Batch is how many members one PATCH adds while growing the group;
	// 0 means 1000.
	Batch int
	// PID, if positive, is a process whose resident memory (VmRSS in
	// /proc/PID/status) is sampled during the run; the maximum is reported.
	PID int
	// HTTPClient, if set, replaces the tuned client Run builds.
	HTTPClient *http.Client
	// Logger receives progress of long setup phases (seeding); nil is silent.
	Logger *slog.Logger
	// Statistics, if set, is called just before and just after the
	// measured phase (after any seeding) and says how fresh the server
	// database's planner statistics are; its text goes to the report, so a
	// figure says what it was measured on. `roster bench --database-url`
	// sets it.
	Statistics func(ctx context.Context) (string, error)
	// DatabasePIDs, if set, lists the database server's processes serving
	// the server under test (PostgreSQL backends on this machine); their
	// CPU time during the measured phase is reported per operation.
	DatabasePIDs func(ctx context.Context) ([]int, error)
}

// Report is the outcome of one run. Durations marshal as nanoseconds.
type Report struct {
	// Scenario is the scenario that ran.
	Scenario string `json:"scenario"`
	// Concurrency is the number of parallel clients used.
	Concurrency int `json:"concurrency"`
	// Count is the number of measured operations attempted.
	Count int `json:"count"`
	// Errors is how many of them failed (transport error or unexpected status).
	Errors int `json:"errors"`
	// ErrorSamples holds the first few error messages, and notes about the
	// data (for example an unstable page order seen by list).
	ErrorSamples []string `json:"error_samples,omitempty"`
	// Elapsed is the wall time of the measured phase.
	Elapsed time.Duration `json:"elapsed_ns"`
	// OpsPerSec is successful operations per second of Elapsed.
	OpsPerSec float64 `json:"ops_per_sec"`
	// P50 is the median latency of the successful operations.
	P50 time.Duration `json:"p50_ns"`
	// P90 is their 90th percentile latency.
	P90 time.Duration `json:"p90_ns"`
	// P99 is their 99th percentile latency.
	P99 time.Duration `json:"p99_ns"`
	// Max is the slowest successful operation.
	Max time.Duration `json:"max_ns"`
	// Setup is the time spent before measuring (seeding users, growing the group).
	Setup time.Duration `json:"setup_ns"`
	// Seeded is the number of users created during setup.
	Seeded int `json:"seeded,omitempty"`
	// Pages is the number of pages list fetched successfully.
	Pages int `json:"pages,omitempty"`
	// ServerCPUPerOp is the CPU time the process of Config.PID spent
	// during the measured phase, per successful operation.
	ServerCPUPerOp time.Duration `json:"server_cpu_per_op_ns,omitempty"`
	// DatabaseCPUPerOp is the same for the processes of
	// Config.DatabasePIDs: a floor, since a backend that ended during the
	// phase is not counted.
	DatabaseCPUPerOp time.Duration `json:"database_cpu_per_op_ns,omitempty"`
	// StatisticsBefore and StatisticsAfter are Config.Statistics's texts
	// from before and after the measured phase.
	StatisticsBefore string `json:"statistics_before,omitempty"`
	StatisticsAfter  string `json:"statistics_after,omitempty"`
	// Items is the number of users those pages held.
	Items int `json:"items,omitempty"`
	// PagesPerSec is the list scenario's throughput.
	PagesPerSec float64 `json:"pages_per_sec,omitempty"`
	// GroupSize is the member count group-churn reached before measuring.
	GroupSize int `json:"group_size,omitempty"`
	// MaxRSSBytes is the highest VmRSS seen for PID (0 if not sampled).
	MaxRSSBytes int64 `json:"max_rss_bytes,omitempty"`
	// PID is the process whose memory was sampled (Config.PID).
	PID int `json:"pid,omitempty"`
}

// Print writes the report for people.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "scenario     %s (concurrency %d)\n", r.Scenario, r.Concurrency)
	if r.Setup > 0 {
		extra := ""
		if r.Seeded > 0 {
			extra = fmt.Sprintf(", %d users seeded", r.Seeded)
		}
		if r.GroupSize > 0 {
			extra += fmt.Sprintf(", group of %d members", r.GroupSize)
		}
		fmt.Fprintf(w, "setup        %s%s\n", r.Setup.Round(time.Millisecond), extra)
	}
	fmt.Fprintf(w, "operations   %d (%d errors) in %s: %.1f ops/s\n", r.Count, r.Errors, r.Elapsed.Round(time.Millisecond), r.OpsPerSec)
	if r.Pages > 0 {
		fmt.Fprintf(w, "pages        %d pages, %d items: %.1f pages/s\n", r.Pages, r.Items, r.PagesPerSec)
	}
	fmt.Fprintf(w, "latency      p50 %s  p90 %s  p99 %s  max %s\n", ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	if r.MaxRSSBytes > 0 {
		fmt.Fprintf(w, "max RSS      %.1f MiB (pid %d)\n", float64(r.MaxRSSBytes)/(1<<20), r.PID)
	}
	if r.ServerCPUPerOp > 0 || r.DatabaseCPUPerOp > 0 {
		fmt.Fprintf(w, "CPU per op   server %s  database %s\n", ms(r.ServerCPUPerOp), ms(r.DatabaseCPUPerOp))
	}
	if r.StatisticsBefore != "" {
		fmt.Fprintf(w, "statistics   before: %s\n", r.StatisticsBefore)
		fmt.Fprintf(w, "             after:  %s\n", r.StatisticsAfter)
	}
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(w, "error        %s\n", e)
	}
}

// statistics is cfg.Statistics's text, or why it could not be read.
func statistics(ctx context.Context, cfg Config) string {
	text, err := cfg.Statistics(ctx)
	if err != nil {
		return "not read: " + err.Error()
	}
	return text
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// Run executes cfg.Scenario and returns its report. The error is for runs
// that could not be carried out (bad configuration, setup failure, ctx
// cancelled); failed operations during measurement are counted in Report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, err
	}
	c := newClient(cfg)
	rep := Report{Scenario: cfg.Scenario, Concurrency: cfg.Concurrency, PID: cfg.PID}

	var rss *rssSampler
	if cfg.PID > 0 {
		var err error
		if rss, err = startRSS(cfg.PID, 200*time.Millisecond); err != nil {
			return rep, err
		}
	}
	var err error
	switch cfg.Scenario {
	case "sync":
		err = runSync(ctx, c, cfg, &rep)
	case "lookup":
		err = runLookup(ctx, c, cfg, &rep)
	case "group-churn":
		err = runGroupChurn(ctx, c, cfg, &rep)
	case "list":
		err = runList(ctx, c, cfg, &rep)
	}
	if rss != nil {
		rep.MaxRSSBytes = rss.stop()
	}
	return rep, err
}

func (cfg *Config) defaults() error {
	if !slices.Contains(Scenarios, cfg.Scenario) {
		return fmt.Errorf("unknown scenario %q (want one of %s)", cfg.Scenario, strings.Join(Scenarios, ", "))
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q: want an absolute http(s) URL", cfg.URL)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Minute
	}
	if cfg.Population <= 0 {
		cfg.Population = 100000
	}
	if cfg.Members <= 0 {
		cfg.Members = 1000
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.N < 0 {
		return fmt.Errorf("negative N")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// newHTTPClient is tuned for many parallel requests to one host: enough idle
// connections per host that no worker ever waits for a new TCP handshake,
// no proxy (we contact only the given URL), and no redirects followed.
func newHTTPClient(concurrency int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// measured collects latencies and errors from concurrent workers.
type measured struct {
	mu      sync.Mutex
	lat     []time.Duration
	errors  int
	samples []string
}

func (m *measured) record(d time.Duration, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.errors++
		if len(m.samples) < 5 {
			m.samples = append(m.samples, err.Error())
		}
		return
	}
	m.lat = append(m.lat, d)
}

// measure runs op n times (n <= 0: until the deadline) on conc workers and
// fills the latency part of rep. Each worker gets its own index w so it can
// keep per-worker state; i is the global operation number.
func measure(ctx context.Context, cfg Config, n int, rep *Report, op func(ctx context.Context, w, i int) error) {
	if cfg.Statistics != nil {
		rep.StatisticsBefore = statistics(ctx, cfg)
		defer func() { rep.StatisticsAfter = statistics(context.WithoutCancel(ctx), cfg) }()
	}
	cpu := startCPU(ctx, cfg)
	defer func() { cpu.stop(context.WithoutCancel(ctx), rep, rep.Count-rep.Errors) }()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	conc := cfg.Concurrency
	var next atomic.Int64
	m := &measured{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if (n > 0 && i >= n) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := op(ctx, w, i)
				if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
					return // cut off by the time limit: not a server error
				}
				m.record(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	rep.Count = len(m.lat) + m.errors
	rep.Errors = m.errors
	rep.ErrorSamples = m.samples
	rep.P50, rep.P90, rep.P99, rep.Max = percentiles(m.lat)
	if rep.Elapsed > 0 {
		rep.OpsPerSec = float64(len(m.lat)) / rep.Elapsed.Seconds()
	}
}

// percentiles returns the nearest-rank p50, p90, p99 and maximum.
func percentiles(lat []time.Duration) (p50, p90, p99, maxd time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return at(0.50), at(0.90), at(0.99), s[len(s)-1]
}
