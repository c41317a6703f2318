package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/devidp"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/email"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/telemetry"
)

// serverDeps is what a front door gets when it is mounted: the directory,
// the sealing box for secrets and cookies, the public base URL (no
// trailing slash), whether --dev is on (loopback OIDC issuers allowed,
// plain-HTTP cookies), and the process logger.
type serverDeps struct {
	Dir     *directory.Directory
	Box     *seal.Box
	BaseURL string
	Dev     bool
	Logger  *slog.Logger
	// DevIDP mounts the development OpenID provider (devidp) and offers
	// it as a server-wide provider; only with Dev. devIDP is it, built
	// by newHandler.
	DevIDP bool
	devIDP *devidp.Provider
	// Metrics is the server's registry of metrics; nil in tests that
	// count nothing. MetricsToken guards /metrics on the main listener;
	// MetricsElsewhere keeps it off the main listener (--metrics-addr).
	Metrics          *telemetry.Metrics
	MetricsToken     string
	MetricsElsewhere bool
	// SCIMRateLimit and SCIMRateBurst are the default rate limit of SCIM
	// connections (0: the SCIM door's default).
	SCIMRateLimit float64
	SCIMRateBurst int
	// stops collects what OnStop registers; nil in tests that never stop.
	stops *[]func()
}

// OnStop registers f to run once the server has stopped taking requests
// and before the database closes: a front door flushes what it buffers
// (the SCIM request log) there.
func (d serverDeps) OnStop(f func()) {
	if d.stops != nil {
		*d.stops = append(*d.stops, f)
	}
}

// mounts are the front doors, in the order they are mounted: the admin
// API (mount_admin.go), the sign-in pages (mount_oidc.go), SAML
// (mount_saml.go), SCIM (mount_scim.go), the admin console
// (mount_console.go) and, with --dev-idp, the development provider
// (mount_devidp.go), and the setup links' pages (mount_setup.go). Adding
// a front door means adding it here. A mount
// registers its routes on mux with method and path patterns; two front
// doors claiming the same pattern is a start-up error. Every response
// must be written within writeTimeout; a handler that streams extends its
// own deadline with http.NewResponseController(w). Tests append to it for
// their duration.
var mounts = []func(mux *http.ServeMux, deps serverDeps) error{
	mountAdmin,
	mountOIDC,
	mountSAML,
	mountSCIM,
	mountConsole,
	mountSetup,
	mountDevIDP,
}

// outboxHandlers deliver outbox messages of kinds other than email (which
// serve wires itself from --smtp-url), by kind.
var outboxHandlers = map[string]func(deps serverDeps) (delivery.Handler, error){
	directory.OutboxWebhook: webhookHandler,
}

// Server timeouts: long enough for a SCIM bulk list or a slow IdP, short
// enough that idle or trickling clients cannot hold connections for ever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 20 * time.Second
)

func init() {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Roster server: SCIM, sign-in, admin API and the outbox sender",
		Long: `Runs the Roster server. With no configuration it listens on 127.0.0.1:8080 and
keeps everything in ./roster.db (SQLite), migrating it at start. Emails are
written to the log unless --smtp-url is set, so a first run can be followed by
hand.

The secret key that seals stored secrets and cookies comes from
ROSTER_SECRET_KEY (base64 keys, comma-separated, newest first). With SQLite and
no ROSTER_SECRET_KEY, a key file is created next to the database (roster.key
next to roster.db); PostgreSQL requires ROSTER_SECRET_KEY, shared by all
replicas.

Stops gracefully on SIGINT or SIGTERM.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: runServe,
	}
	f := cmd.Flags()
	f.String("addr", defaultAddr, flagUsage("address to listen on", envAddr))
	addDatabaseFlag(cmd)
	addBaseURLFlag(cmd)
	f.String("smtp-url", "", flagUsage("SMTP server, e.g. smtp://user:pass@mail.example:587?from=roster@example.com; empty writes emails to the log", envSMTPURL))
	f.Bool("dev", false, "development mode: allows OIDC issuers on loopback addresses and plain-HTTP cookies")
	f.Bool("dev-idp", false, "with --dev: a built-in development sign-in at /dev/idp that signs anyone in as any address they type (never in production)")
	addLogFlags(f)
	addOpsFlags(cmd)
	rootCmd.AddCommand(cmd)
}

// Garbage collector settings of `roster serve` unless GOGC or GOMEMLIMIT
// say otherwise. The server's live heap is small (about 2 MiB under
// `roster bench` lookup load), so Go's default GOGC=100 collected about
// every 20 ms there (gctrace); GOGC=400 cut the server's CPU per lookup by
// 8–23% over two alternated pairs of runs, for a heap that may grow to
// five times the live data between collections. The soft limit makes the collector work
// harder again as the heap nears 100 MiB, so a burst of large responses
// (a list of 100,000 users, pages in flight) keeps the process within the
// 150 MB it is sized for.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 100 << 20
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

func runServe(cmd *cobra.Command, _ []string) error {
	logger, err := newLogger(cmd)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	tuneGC()
	dev, _ := cmd.Flags().GetBool("dev")
	devIDP, _ := cmd.Flags().GetBool("dev-idp")
	if devIDP && !dev {
		return usageError(errDevIDPNeedsDev)
	}
	transport, err := mailTransport(setting(cmd, "smtp-url", envSMTPURL), logger)
	if err != nil {
		return usageError(err)
	}
	ops, err := readOpsConfig(cmd)
	if err != nil {
		return usageError(err)
	}
	dbURL := databaseURL(cmd)
	box, err := loadSecretKey(dbURL)
	if err != nil {
		return usageError(fmt.Errorf("secret key: %w", err))
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Listen before opening the database: a taken port fails at once, and
	// with port 0 the base URL names the port actually chosen.
	addr := setting(cmd, "addr", envAddr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("listen on %s: %w", addr, err)}
	}
	defer ln.Close()
	var stops []func()
	deps := serverDeps{Box: box, BaseURL: baseURL(cmd, ln.Addr().String()), Dev: dev, DevIDP: devIDP, Logger: logger, stops: &stops,
		Metrics: telemetry.NewMetrics(), MetricsToken: ops.metricsToken, MetricsElsewhere: ops.metricsAddr != "",
		SCIMRateLimit: ops.scimRateLimit, SCIMRateBurst: ops.scimRateBurst}
	var metricsLn net.Listener
	if ops.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", ops.metricsAddr); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("listen on %s (metrics): %w", ops.metricsAddr, err)}
		}
		defer metricsLn.Close()
	}
	stopTracing, err := telemetry.StartTracing(ctx, version())
	if err != nil {
		return usageError(err)
	}
	defer func() {
		// Flush the spans still buffered; a collector that is down must
		// not hold the exit.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(tctx); err != nil {
			logger.Warn("tracing: spans not exported at shutdown", "err", err)
		}
	}()

	authCache := true
	switch v := os.Getenv(envSCIMAuthCache); v {
	case "", "on":
	case "off":
		authCache = false
	default:
		return usageError(fmt.Errorf("%s=%q: want on or off", envSCIMAuthCache, v))
	}
	d, err := openDirectory(cmd, directory.Options{BaseURL: deps.BaseURL, Logger: logger, SCIMAuthCache: authCache})
	if err != nil {
		return err
	}
	defer d.Close()
	deps.Dir = d
	deps.Metrics.WatchDirectory(d)

	handler, err := newHandler(deps)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	worker, err := newWorker(deps, transport)
	if err != nil {
		return &exitError{code: 1, err: err}
	}

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var wg sync.WaitGroup
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	wg.Go(func() { worker.Run(workerCtx) })
	wg.Go(func() { d.KeepStatisticsFresh(workerCtx, ops.analyzeEvery) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if metricsLn != nil {
		msrv := metricsServer(deps, logger)
		go func() {
			if err := msrv.Serve(metricsLn); err != http.ErrServerClosed {
				serveErr <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
		defer msrv.Close()
		logger.Info("metrics listening", "addr", metricsLn.Addr().String())
	}
	logger.Info("roster listening", "addr", ln.Addr().String(), "base_url", deps.BaseURL, "database", d.Dialect(), "dev", dev, "dev_idp", devIDP,
		"tracing", telemetry.TracingConfigured())

	select {
	case err = <-serveErr:
		// Serve only returns on its own when the listener fails.
		err = &exitError{code: 1, err: fmt.Errorf("serve: %w", err)}
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if serr := srv.Shutdown(shutdownCtx); serr != nil {
			logger.Warn("shutdown: requests still running were cut off", "err", serr)
		}
	}
	for _, f := range stops {
		f()
	}
	// A send cut off here is recorded as a failed attempt and retried
	// later, by this process or another replica.
	stopWorker()
	wg.Wait()
	logger.Info("stopped")
	return err
}

// mailTransport is SMTP when smtpURL is set, else the log.
func mailTransport(smtpURL string, logger *slog.Logger) (email.Transport, error) {
	if smtpURL == "" {
		logger.Warn("no SMTP server configured (--smtp-url, " + envSMTPURL + "): emails, with their links, are written to this log")
		return email.NewLog(logger), nil
	}
	cfg, err := email.ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	tr, err := email.NewSMTP(cfg)
	if err != nil {
		return nil, err
	}
	logger.Info("sending email through SMTP", "smtp", cfg)
	return tr, nil
}

// newWorker builds the outbox worker: email through transport, other kinds
// through outboxHandlers.
func newWorker(deps serverDeps, transport email.Transport) (*delivery.Worker, error) {
	opts := delivery.Options{Logger: deps.Logger.With("component", "outbox"), Metrics: deps.Metrics}
	if v := os.Getenv(envOutboxLease); v != "" {
		lease, err := time.ParseDuration(v)
		if err != nil || lease < time.Second {
			return nil, fmt.Errorf("%s=%q: want a duration of at least 1s (60s by default)", envOutboxLease, v)
		}
		opts.Lease = lease
	}
	w := delivery.NewWorker(deps.Dir, opts)
	w.Handle(directory.OutboxEmail, delivery.Email(transport, deps.BaseURL))
	for kind, build := range outboxHandlers {
		h, err := build(deps)
		if err != nil {
			return nil, fmt.Errorf("outbox handler for %s: %w", kind, err)
		}
		w.Handle(kind, h)
	}
	return w, nil
}

// newHandler builds the server's routes: the probes, then every mounted
// front door, all behind the request log.
func newHandler(deps serverDeps) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := deps.Dir.Ping(ctx); err != nil {
			deps.Logger.Warn("readiness: database unreachable", "err", err)
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if deps.Metrics != nil && !deps.MetricsElsewhere {
		mux.Handle("GET /metrics", metricsHandler(deps.Metrics, deps.MetricsToken, deps.Logger))
	}
	if err := startDevIDP(&deps); err != nil {
		return nil, err
	}
	for _, mount := range mounts {
		if err := safeMount(mount, mux, deps); err != nil {
			return nil, err
		}
	}
	// Outermost, the span and the count, so the access log inside can
	// name the trace.
	return telemetry.Instrument(deps.Metrics, doorOf, logRequests(deps.Logger, mux)), nil
}

// metricsServer serves /metrics alone, on --metrics-addr.
func metricsServer(deps serverDeps, logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(deps.Metrics, deps.MetricsToken, logger))
	return &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
		IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
}

// safeMount runs one mount, turning ServeMux's panic on a conflicting
// pattern into an error that says so.
func safeMount(mount func(*http.ServeMux, serverDeps) error, mux *http.ServeMux, deps serverDeps) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mount routes: %v", r)
		}
	}()
	if err := mount(mux, deps); err != nil {
		return fmt.Errorf("mount routes: %w", err)
	}
	return nil
}

// logRequests logs one line per request: method, path, status, duration,
// size. Never the query string, headers or a token: paths under /invite/
// and /join/ carry one and are cut after that segment.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			// Probes hit every few seconds; they would drown the log.
			level = slog.LevelDebug
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", redactPath(r.URL.Path)),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rec.bytes)}
		if id := telemetry.TraceID(r.Context()); id != "" {
			attrs = append(attrs, slog.String("trace_id", id))
		}
		logger.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// redactPath cuts a path after a segment that is followed by a token.
func redactPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if (s == "invite" || s == "join" || s == "setup") && i+1 < len(segs) && segs[i+1] != "" {
			return strings.Join(segs[:i+1], "/") + "/REDACTED"
		}
	}
	return p
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer
// (flushing, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
