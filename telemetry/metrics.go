// Package telemetry is what operators watch Roster with: Prometheus
// metrics on a private registry and OpenTelemetry traces. The front doors
// report what they learn (a SCIM outcome, a sign-in, a delivery) through
// the nil-safe methods of Metrics; the HTTP middleware counts and traces
// every request. Label values are only ever words this package or a door
// chooses from a fixed set, and route patterns: never a raw path, an id,
// an email or a token.
package telemetry

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds Roster's collectors on a registry of its own (not the
// process-global one, so tests and embedders get a clean set each time).
// A nil *Metrics records nothing: doors wired without metrics (tests,
// commands other than serve) call it all the same.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	scimOps      *prometheus.CounterVec
	signIns      *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	retries      *prometheus.CounterVec
	scimLog      atomic.Pointer[scimLogStats]
}

// NewMetrics returns the metrics of one server, with the Go runtime and
// process collectors registered.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total",
		Help: "HTTP requests answered, by front door, route pattern, method and status.",
	}, []string{"door", "route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "roster_http_request_duration_seconds",
		Help: "Time to answer an HTTP request, by front door, route pattern and method.",
		// From a cached SCIM lookup (about a millisecond) to a slow IdP
		// token exchange or a large list.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"door", "route", "method"})
	m.scimOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_scim_operations_total",
		Help: "SCIM operations, by connection profile, operation and outcome (created, invited, external, suspended, seat_limit, conflict, rate_limited...).",
	}, []string{"profile", "operation", "outcome"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_signins_total",
		Help: "OIDC sign-in callbacks, by outcome.",
	}, []string{"outcome"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_outbox_deliveries_total",
		Help: "Outbox delivery attempts, by kind and outcome (delivered, retry, failed).",
	}, []string{"kind", "outcome"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_outbox_retries_total",
		Help: "Outbox delivery attempts that were not a message's first, by kind.",
	}, []string{"kind"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.scimOps, m.signIns, m.deliveries, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.scimLogCounters()...)
	return m
}

// Registry is where more collectors go (Watch adds the directory's).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. A collector
// that fails (the database is down) is logged through errorLog and left
// out; the rest are still served.
func (m *Metrics) Handler(errorLog promhttp.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: errorLog, ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// SCIMOperation counts one SCIM request: operation and outcome are words
// of the SCIM door's fixed vocabulary, profile a connection profile.
func (m *Metrics) SCIMOperation(profile, operation, outcome string) {
	if m == nil {
		return
	}
	m.scimOps.WithLabelValues(profile, operation, outcome).Inc()
}

// SignIn counts one sign-in callback by outcome.
func (m *Metrics) SignIn(outcome string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(outcome).Inc()
}

// Delivery counts one outbox delivery attempt; attempt is the message's
// attempt number (1 for the first).
func (m *Metrics) Delivery(kind, outcome string, attempt int) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(kind, outcome).Inc()
	if attempt > 1 {
		m.retries.WithLabelValues(kind).Inc()
	}
}

// observeRequest records one answered request.
func (m *Metrics) observeRequest(door, route, method string, status int, seconds float64) {
	if m == nil {
		return
	}
	method = methodLabel(method)
	m.httpRequests.WithLabelValues(door, route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(door, route, method).Observe(seconds)
}

// methodLabel keeps the method label to the standard methods: anything
// else a client sends is "other", so nobody can grow the label set.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// scimLogStats reads the SCIM request log's counters: written, dropped
// and rejected entries.
type scimLogStats func() (written, dropped, rejected int64)

// WatchSCIMLog makes stats the source of the SCIM request log's counters,
// read at scrape time: entries written, dropped (no room in the queue, or
// over the bound of what is kept through a database outage; each drop is
// also logged) and rejected (refused by the database). The counters are
// registered once, in NewMetrics, so a handler built again (tests) only
// replaces the source.
func (m *Metrics) WatchSCIMLog(stats func() (written, dropped, rejected int64)) {
	if m == nil {
		return
	}
	f := scimLogStats(stats)
	m.scimLog.Store(&f)
}

// scimLogCounters are the request log's counters, reading whatever
// WatchSCIMLog last set (zero before).
func (m *Metrics) scimLogCounters() []prometheus.Collector {
	counter := func(result string, pick func(w, d, r int64) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "roster_scim_request_log_entries_total",
			Help:        "SCIM request-log entries, by what became of them (written, dropped, rejected).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			f := m.scimLog.Load()
			if f == nil {
				return 0
			}
			w, d, r := (*f)()
			return float64(pick(w, d, r))
		})
	}
	return []prometheus.Collector{
		counter("written", func(w, _, _ int64) int64 { return w }),
		counter("dropped", func(_, d, _ int64) int64 { return d }),
		counter("rejected", func(_, _, r int64) int64 { return r }),
	}
}
