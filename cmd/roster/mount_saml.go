package main

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rosterhq/roster/saml"
)

// samlRefreshEvery is how often the server fetches SAML metadata URLs
// again (each connection at most this often), so that an IdP's rotated
// signing certificate is in use before the old one is retired.
const samlRefreshEvery = 12 * time.Hour

// mountSAML serves the SAML door (SP metadata, sign-in start, ACS under
// /saml/) and refreshes metadata URLs in the background until the server
// stops.
func mountSAML(mux *http.ServeMux, deps serverDeps) error {
	if deps.Box == nil || deps.BaseURL == "" {
		deps.Logger.Warn("SAML sign-in not mounted: no secret key or base URL")
		return nil
	}
	cfg := saml.Config{Directory: deps.Dir, Box: deps.Box, BaseURL: deps.BaseURL, Dev: deps.Dev, RefreshEvery: samlRefreshEvery,
		Logger: deps.Logger.With("component", "saml"), Metrics: deps.Metrics, TrustForwardedFor: os.Getenv(envTrustForwardedFor) == "true"}
	if s := os.Getenv(envSessionHours); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			cfg.SessionTTL = time.Duration(n) * time.Hour
		}
	}
	h, err := saml.NewHandler(cfg)
	if err != nil {
		return err
	}
	h.Register(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Due connections are checked hourly; each is fetched once per
		// samlRefreshEvery.
		h.RunRefresher(ctx, time.Hour)
	}()
	deps.OnStop(func() {
		cancel()
		<-done
	})
	return nil
}
