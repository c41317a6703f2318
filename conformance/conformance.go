package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
)

// Config says which server to check and how.
type Config struct {
	// BaseURL is the SCIM base, e.g. "http://127.0.0.1:8080/scim/v2".
	BaseURL string
	// Token is sent as "Authorization: Bearer <Token>".
	Token string
	// Profile selects the IdP replays: "" runs Okta and Entra, "okta" or
	// "entra" only that one. RFC 7644 checks always run.
	Profile string
	// Match, if not empty, runs only checks whose name or reference contains
	// it (case-insensitive); handy to rerun one failing check.
	Match string
	// HTTPClient is used for every request; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client
	// CheckTimeout bounds one check, cleanups excluded; 0 means 2 minutes.
	CheckTimeout time.Duration
}

// Result is the outcome of one check.
type Result struct {
	// Name says what was checked.
	Name string `json:"name"`
	// Ref names the rule: "RFC7644 3.4.2.2", "Okta O3 SPEC #8", "Entra E2 remove-with-value".
	Ref string `json:"ref"`
	// Passed is true when every assertion held; false for failures and skips.
	Passed bool `json:"passed"`
	// Skipped is true when the server does not offer an optional feature the
	// check needs (for example sorting); a skip is not a failure.
	Skipped bool `json:"skipped,omitempty"`
	// Detail explains a failure or a skip.
	Detail string `json:"detail,omitempty"`
	// Duration is how long the check took, cleanup included.
	Duration time.Duration `json:"duration_ns"`
}

// check is one entry of the suite.
type check struct {
	profile string // "" for RFC checks, "okta" or "entra" for replays
	name    string
	ref     string
	run     func(t *tester)
}

// profiles are the accepted values of Config.Profile.
var profiles = map[string]bool{"": true, "okta": true, "entra": true}

// Run executes the suite against cfg.BaseURL and returns one Result per
// check, in a fixed order. The error is for problems that make the run
// meaningless (bad configuration, server unreachable, ctx cancelled);
// misbehaviour of the server is reported in the results.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if !profiles[cfg.Profile] {
		return nil, fmt.Errorf("unknown profile %q (want okta, entra or empty)", cfg.Profile)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http(s) URL", cfg.BaseURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	timeout := cfg.CheckTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	base := strings.TrimRight(cfg.BaseURL, "/")

	e, err := discover(ctx, hc, base, cfg.Token)
	if err != nil {
		return nil, err
	}
	e.profile = cfg.Profile

	var results []Result
	for _, c := range suite() {
		if c.profile != "" && cfg.Profile != "" && c.profile != cfg.Profile {
			continue
		}
		if m := strings.ToLower(cfg.Match); m != "" &&
			!strings.Contains(strings.ToLower(c.name), m) && !strings.Contains(strings.ToLower(c.ref), m) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return results, err
		}
		results = append(results, runCheck(ctx, c, hc, base, cfg.Token, e, timeout))
	}
	return results, ctx.Err()
}

// suite lists every check in the order they run and are reported.
func suite() []check {
	var all []check
	all = append(all, rfcChecks()...)
	all = append(all, reviewChecks()...)
	all = append(all, oktaChecks()...)
	all = append(all, entraChecks()...)
	return all
}

// discover reads the ServiceProviderConfig and ResourceTypes once, so checks
// of optional features (sort, etag, the enterprise extension) can skip or
// adapt. Only a transport failure is an error: a server that answers badly
// still gets its report.
func discover(ctx context.Context, hc *http.Client, base, token string) (*env, error) {
	t := &tester{ctx: ctx, base: base, token: token, hc: hc, env: &env{}}
	var e env
	var transportErr error
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stopCheck); !ok {
					panic(p)
				}
				if len(t.errs) > 0 {
					transportErr = errors.New(t.errs[0])
				}
			}
		}()
		r := t.do(http.MethodGet, "/ServiceProviderConfig", nil)
		if r.status == http.StatusOK {
			e.spc = r.obj()
		}
		r = t.do(http.MethodGet, "/ResourceTypes", nil)
		if r.status != http.StatusOK {
			return
		}
		res, _ := lookup(r.obj(), "Resources").([]any)
		for _, rt := range res {
			if str(rt, "name") != "User" && str(rt, "id") != "User" {
				continue
			}
			exts, _ := lookup(rt, "schemaExtensions").([]any)
			for _, x := range exts {
				if strings.EqualFold(str(x, "schema"), urnEnterprise) {
					e.enterprise = true
				}
			}
		}
	}()
	if transportErr != nil {
		return nil, fmt.Errorf("cannot reach SCIM server: %w", transportErr)
	}
	return &e, nil
}

// runCheck runs one check with its own timeout, turns fatalf/skipf and stray
// panics into a Result, and always runs the cleanups.
func runCheck(parent context.Context, c check, hc *http.Client, base, token string, e *env, timeout time.Duration) (res Result) {
	start := time.Now()
	res = Result{Name: c.name, Ref: c.ref}
	ctx, cancel := context.WithTimeout(parent, timeout)
	t := &tester{ctx: ctx, base: base, token: token, hc: hc, env: e, sfx: randomHex(5)}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stopCheck); !ok {
					// A bug in the check itself; report it rather than crash
					// the whole run, with enough stack to find it.
					t.errs = append(t.errs, fmt.Sprintf("internal error in check: %v\n%s", p, debug.Stack()))
				}
			}
		}()
		c.run(t)
	}()
	cancel()

	// Cleanups get a fresh context: the check's may have expired, and
	// leaving resources behind would make the next run less meaningful. A
	// failing cleanup does not change the check's verdict.
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
	defer ccancel()
	t.ctx = cctx
	n := len(t.errs)
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() { _ = recover() }()
			t.cleanups[i]()
		}()
	}
	t.errs = t.errs[:n]

	switch {
	case len(t.errs) > 0:
		res.Detail = strings.Join(t.errs, "\n")
	case t.skip != "":
		res.Skipped, res.Detail = true, t.skip
	default:
		res.Passed = true
	}
	res.Duration = time.Since(start)
	return res
}

// Report prints one line per result with its reference, details indented
// under failures and skips, and a last line "N passed, N failed". It
// returns the number of failures.
func Report(w io.Writer, results []Result) (failed int) {
	passed := 0
	refWidth := 0
	for _, r := range results {
		refWidth = max(refWidth, len(r.Ref))
	}
	for _, r := range results {
		status := "ok  "
		switch {
		case r.Skipped:
			status = "skip"
		case !r.Passed:
			status = "FAIL"
			failed++
		default:
			passed++
		}
		fmt.Fprintf(w, "%s  %-*s  %s\n", status, refWidth, r.Ref, r.Name)
		if r.Detail != "" && !r.Passed {
			for _, line := range strings.Split(r.Detail, "\n") {
				fmt.Fprintf(w, "        %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return failed
}
