package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/directory"
)

// outboxScrapeTimeout bounds the outbox queries of one scrape: a slow
// database must not hold the scrape past Prometheus's own timeout.
const outboxScrapeTimeout = 2 * time.Second

// WatchDirectory registers what is read from the directory at scrape time:
// the outbox backlog, the connection pool's statistics and the SCIM token
// cache's counters.
func (m *Metrics) WatchDirectory(d *directory.Directory) {
	m.reg.MustRegister(&outboxCollector{d: d, now: time.Now}, &dbStatsCollector{d: d},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "roster_scim_auth_cache_hits_total",
			Help: "SCIM bearer-token authentications answered from the in-process cache (PostgreSQL only).",
		}, func() float64 { h, _ := d.SCIMAuthCacheStats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "roster_scim_auth_cache_clears_total",
			Help: "Times the SCIM token cache was cleared (a change to tokens, connections or workspaces here or in another replica, or the listener reconnecting).",
		}, func() float64 { _, c := d.SCIMAuthCacheStats(); return float64(c) }))
}

var (
	outboxPendingDesc = prometheus.NewDesc("roster_outbox_pending", "Outbox messages waiting to be delivered, by kind.", []string{"kind"}, nil)
	outboxAgeDesc     = prometheus.NewDesc("roster_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox message, by kind (0 when none is pending).", []string{"kind"}, nil)
)

// outboxCollector reads the outbox backlog once per scrape.
type outboxCollector struct {
	d   *directory.Directory
	now func() time.Time
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxAgeDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxScrapeTimeout)
	defer cancel()
	backlogs, err := c.d.OutboxBacklogs(ctx)
	if err != nil {
		// Reported as a failed metric: the handler logs it and serves
		// the rest (ContinueOnError).
		ch <- prometheus.NewInvalidMetric(outboxPendingDesc, err)
		return
	}
	// Kinds with nothing pending are reported as 0 so that an alert on
	// age resolves instead of going stale.
	seen := map[string]bool{}
	for _, b := range backlogs {
		seen[b.Kind] = true
		age := max(c.now().Sub(b.Oldest).Seconds(), 0)
		ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(b.Pending), b.Kind)
		ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, age, b.Kind)
	}
	for _, kind := range []string{directory.OutboxEmail, directory.OutboxWebhook} {
		if !seen[kind] {
			ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, 0, kind)
			ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, 0, kind)
		}
	}
}

// dbStatsCollector exports sql.DBStats under the names of client_golang's
// collectors.NewDBStatsCollector (which needs the *sql.DB itself; the
// directory shares only the statistics).
type dbStatsCollector struct {
	d *directory.Directory
}

var dbStatsDescs = struct {
	maxOpen, open, inUse, idle, waitCount, waitDuration, maxIdleClosed, maxIdleTimeClosed, maxLifetimeClosed *prometheus.Desc
}{
	maxOpen:           dbDesc("max_open_connections", "Maximum number of open connections to the database."),
	open:              dbDesc("open_connections", "The number of established connections both in use and idle."),
	inUse:             dbDesc("in_use_connections", "The number of connections currently in use."),
	idle:              dbDesc("idle_connections", "The number of idle connections."),
	waitCount:         dbDesc("wait_count_total", "The total number of connections waited for."),
	waitDuration:      dbDesc("wait_duration_seconds_total", "The total time blocked waiting for a new connection."),
	maxIdleClosed:     dbDesc("max_idle_closed_total", "The total number of connections closed due to SetMaxIdleConns."),
	maxIdleTimeClosed: dbDesc("max_idle_time_closed_total", "The total number of connections closed due to SetConnMaxIdleTime."),
	maxLifetimeClosed: dbDesc("max_lifetime_closed_total", "The total number of connections closed due to SetConnMaxLifetime."),
}

func dbDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("go_sql_"+name, help, nil, prometheus.Labels{"db_name": "roster"})
}

func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ds := dbStatsDescs
	for _, d := range []*prometheus.Desc{ds.maxOpen, ds.open, ds.inUse, ds.idle, ds.waitCount, ds.waitDuration, ds.maxIdleClosed, ds.maxIdleTimeClosed, ds.maxLifetimeClosed} {
		ch <- d
	}
}

func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.DBStats()
	ds := dbStatsDescs
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(ds.maxOpen, gauge, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(ds.open, gauge, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(ds.inUse, gauge, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(ds.idle, gauge, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(ds.waitCount, counter, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(ds.waitDuration, counter, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(ds.maxIdleClosed, counter, float64(s.MaxIdleClosed))
	ch <- prometheus.MustNewConstMetric(ds.maxIdleTimeClosed, counter, float64(s.MaxIdleTimeClosed))
	ch <- prometheus.MustNewConstMetric(ds.maxLifetimeClosed, counter, float64(s.MaxLifetimeClosed))
}
