package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/scim"
	"github.com/rosterhq/roster/telemetry"
)

// Environment of metrics and the SCIM rate limit (tracing reads the
// standard OTEL_* variables itself).
const (
	envMetricsAddr   = "ROSTER_METRICS_ADDR"
	envMetricsToken  = "ROSTER_METRICS_TOKEN"
	envSCIMRateLimit = "ROSTER_SCIM_RATE_LIMIT"
	envSCIMRateBurst = "ROSTER_SCIM_RATE_BURST"
	// envAnalyzeEvery is how often Roster checks PostgreSQL's planner
	// statistics of its tables and analyzes the stale ones (0: never).
	envAnalyzeEvery = "ROSTER_ANALYZE_EVERY"
)

// defaultAnalyzeEvery is short enough that an initial sync of 100,000
// people runs on fresh plans after its first half-minute, and long enough
// that the check (one catalog query) costs nothing.
const defaultAnalyzeEvery = 30 * time.Second

func addOpsFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("metrics-addr", "", flagUsage("serve /metrics on this address instead of the main listener", envMetricsAddr))
	f.String("metrics-token", "", flagUsage("bearer token /metrics requires (empty: none); prefer the variable, the command line is visible to other users", envMetricsToken))
	f.Float64("scim-rate-limit", 0, flagUsage(fmt.Sprintf("SCIM requests per second per connection and server process, unless the connection sets its own (default %d)", scim.DefaultRateLimit), envSCIMRateLimit))
	f.Duration("analyze-every", defaultAnalyzeEvery, flagUsage("on PostgreSQL, how often to check the planner statistics of Roster's tables and ANALYZE those that changed by more than a fifth (0: never; for clusters where autovacuum is off or lags behind an initial sync)", envAnalyzeEvery))
	f.Int("scim-rate-burst", 0, flagUsage(fmt.Sprintf("SCIM requests a connection may send at once above its rate (default %d)", scim.DefaultRateBurst), envSCIMRateBurst))
}

// opsConfig is what serve reads for metrics and the SCIM rate limit.
type opsConfig struct {
	metricsAddr, metricsToken string
	scimRateLimit             float64
	scimRateBurst             int
	analyzeEvery              time.Duration
}

func readOpsConfig(cmd *cobra.Command) (opsConfig, error) {
	c := opsConfig{metricsAddr: setting(cmd, "metrics-addr", envMetricsAddr), metricsToken: setting(cmd, "metrics-token", envMetricsToken)}
	if c.metricsToken != "" && len(c.metricsToken) < 16 {
		return c, fmt.Errorf("the metrics token must be at least 16 characters (generate one with: openssl rand -base64 24)")
	}
	if s := setting(cmd, "scim-rate-limit", envSCIMRateLimit); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0 && v <= 100000) {
			return c, fmt.Errorf("--scim-rate-limit: want requests per second from 0 (the default, %d) to 100000, got %q", scim.DefaultRateLimit, s)
		}
		c.scimRateLimit = v
	}
	if s := setting(cmd, "scim-rate-burst", envSCIMRateBurst); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > 100000 {
			return c, fmt.Errorf("--scim-rate-burst: want a number of requests from 0 (the default, %d) to 100000, got %q", scim.DefaultRateBurst, s)
		}
		c.scimRateBurst = v
	}
	c.analyzeEvery = defaultAnalyzeEvery
	if s := setting(cmd, "analyze-every", envAnalyzeEvery); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || (v != 0 && v < time.Second) {
			return c, fmt.Errorf("--analyze-every: want a duration of at least 1s, or 0 for never (default %s), got %q", defaultAnalyzeEvery, s)
		}
		c.analyzeEvery = v
	}
	return c, nil
}

// metricsHandler serves the registry, behind the bearer token when one is
// set (compared in constant time, through hashes of equal length).
func metricsHandler(m *telemetry.Metrics, token string, logger *slog.Logger) http.Handler {
	h := m.Handler(slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "a bearer token is required for /metrics", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// doorOf names the front door that serves a route pattern, for metrics.
func doorOf(route string) string {
	switch {
	case strings.HasPrefix(route, "/scim/"):
		return "scim"
	case strings.HasPrefix(route, admin.Prefix+"/") || route == admin.Prefix:
		return "admin"
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		return "ops"
	case route == "unmatched":
		return "none"
	}
	return "oidc"
}

// version is the module version the binary was built from ("(devel)"
// from a work tree), for the traces' service.version.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return ""
}
