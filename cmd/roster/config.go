package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/seal"
)

// Environment variables read by the commands. A flag given on the command
// line wins over its variable, which wins over the default.
const (
	envAddr        = "ROSTER_ADDR"
	envDatabaseURL = "ROSTER_DATABASE_URL"
	envBaseURL     = "ROSTER_BASE_URL"
	envSMTPURL     = "ROSTER_SMTP_URL"
	envSecretKey   = "ROSTER_SECRET_KEY"
	envLogFormat   = "ROSTER_LOG_FORMAT"
	envLogLevel    = "ROSTER_LOG_LEVEL"
	// envSCIMAuthCache is "off" to authenticate every SCIM request against
	// the database, for a PostgreSQL reached through a pooler that cannot
	// carry LISTEN (PgBouncer in transaction mode).
	envSCIMAuthCache = "ROSTER_SCIM_AUTH_CACHE"
	// envOutboxLease is how long a claimed outbox message is withheld
	// from other replicas (a Go duration; default delivery.DefaultLease).
	envOutboxLease = "ROSTER_OUTBOX_LEASE"
)

// Defaults of a first run: the embedded database next to the working
// directory, and a listener only this machine can reach.
const (
	defaultAddr        = "127.0.0.1:8080"
	defaultDatabaseURL = "sqlite:./roster.db"
)

func init() {
	// Bad flags and unknown commands are usage errors (exit 2), told apart
	// from failures (exit 1) so scripts can tell "you called me wrong" from
	// "it did not work".
	rootCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	rootCmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return nil
	}
	// With Args set, cobra needs a Run to reach it; a bare `roster` shows
	// the help as before.
	rootCmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// usageError marks err as a usage error: exit code 2.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// usageErrorf is usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Errorf(format, args...))
}

// usageArgs makes a positional-argument check report usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError(err)
		}
		return nil
	}
}

// commandError gives a directory error its exit code: invalid input is a
// usage error (2), anything else a failure (1).
func commandError(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, directory.ErrInvalid) {
		return usageError(err)
	}
	return &exitError{code: 1, err: err}
}

// setting reads a string flag that an environment variable can also set:
// the flag when given on the command line, else the variable when set,
// else the flag's default. It is read when the command runs, not when the
// flags are defined, so the variable can be set at any time before.
func setting(cmd *cobra.Command, flag, env string) string {
	f := cmd.Flags().Lookup(flag)
	if f == nil {
		panic("setting: no flag --" + flag)
	}
	if !f.Changed {
		if v, ok := os.LookupEnv(env); ok && v != "" {
			return v
		}
	}
	return f.Value.String()
}

// flagUsage appends the variable's name to a flag's help.
func flagUsage(usage, env string) string { return usage + " (env " + env + ")" }

// addDatabaseFlag gives cmd the --database-url flag shared by every
// command that works on the database.
func addDatabaseFlag(cmd *cobra.Command) {
	cmd.Flags().String("database-url", defaultDatabaseURL, flagUsage("database: postgres://… for PostgreSQL, sqlite:PATH for the embedded database", envDatabaseURL))
}

// addBaseURLFlag gives cmd the --base-url flag: the public URL that links
// in emails and command output are built from.
func addBaseURLFlag(cmd *cobra.Command) {
	cmd.Flags().String("base-url", "", flagUsage("public URL of the server, used in links (default http://ADDR, ADDR from "+envAddr+" or "+defaultAddr+")", envBaseURL))
}

// databaseURL is the --database-url setting of cmd.
func databaseURL(cmd *cobra.Command) string { return setting(cmd, "database-url", envDatabaseURL) }

// baseURL is the --base-url setting of cmd, defaulting to the URL of the
// listen address: the serve address when given, else ROSTER_ADDR, else the
// default address.
func baseURL(cmd *cobra.Command, addr string) string {
	if u := setting(cmd, "base-url", envBaseURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	if addr == "" {
		addr = os.Getenv(envAddr)
	}
	if addr == "" {
		addr = defaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		// Listening on every interface: no address is right for everyone;
		// localhost at least works on this machine.
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openDirectory opens (and migrates) the database of cmd, for commands
// that work on it directly. The caller closes it.
func openDirectory(cmd *cobra.Command, opts directory.Options) (*directory.Directory, error) {
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	d, err := directory.Open(ctx, databaseURL(cmd), opts)
	if err != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("open database: %w", err)}
	}
	return d, nil
}

// loadSecretKey returns the Box that seals secrets at rest and cookies:
// ROSTER_SECRET_KEY when set (comma-separated base64 keys, newest first),
// else, for the embedded SQLite database only, a key file next to the
// database file (roster.key next to roster.db), created on first use. A
// PostgreSQL deployment has several replicas that must share one key, so
// there it must be given.
func loadSecretKey(dbURL string) (*seal.Box, error) {
	if s := os.Getenv(envSecretKey); s != "" {
		keys, err := seal.ParseKeys(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envSecretKey, err)
		}
		return seal.New(keys...)
	}
	dialect, dsn, err := directory.ParseDatabaseURL(dbURL)
	if err != nil {
		return nil, err
	}
	if dialect != directory.SQLite {
		return nil, fmt.Errorf("%s is required with %s (generate one with: openssl rand -base64 32)", envSecretKey, dialect)
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == ":memory:" {
		// Nothing outlives the process, so neither need the key.
		key := make([]byte, seal.KeySize)
		rand.Read(key)
		return seal.New(key)
	}
	keyPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".key"
	keys, err := seal.LoadOrCreateKeyFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", keyPath, err)
	}
	return seal.New(keys...)
}

// newLogger builds the process logger from --log-format and --log-level.
func newLogger(cmd *cobra.Command) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(setting(cmd, "log-level", envLogLevel))); err != nil {
		return nil, usageErrorf("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	w := cmd.ErrOrStderr()
	switch f := setting(cmd, "log-format", envLogFormat); f {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageErrorf("--log-format %q: want text or json", f)
	}
}

// addLogFlags gives cmd --log-format and --log-level.
func addLogFlags(flags *pflag.FlagSet) {
	flags.String("log-format", "text", flagUsage("log format: text or json", envLogFormat))
	flags.String("log-level", "info", flagUsage("log level: debug, info, warn or error", envLogLevel))
}
