package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rosterhq/roster/devidp"
	"github.com/rosterhq/roster/oidc"
)

// Environment of the sign-in door. Server-wide providers are JSON (see
// oidc.Provider): ROSTER_OIDC_PROVIDERS holds it, or
// ROSTER_OIDC_PROVIDERS_FILE names a file that does (keeps client secrets
// out of the process list and unit files).
const (
	envOIDCProviders     = "ROSTER_OIDC_PROVIDERS"
	envOIDCProvidersFile = "ROSTER_OIDC_PROVIDERS_FILE"
	envTrustForwardedFor = "ROSTER_TRUST_FORWARDED_FOR"
	envSessionHours      = "ROSTER_SESSION_HOURS"
)

// mountOIDC serves the employees' sign-in pages and the OIDC callback.
func mountOIDC(mux *http.ServeMux, deps serverDeps) error {
	if deps.Box == nil || deps.BaseURL == "" {
		// roster serve always has both; a partial wiring (tests of other
		// doors) runs without the sign-in pages rather than failing.
		deps.Logger.Warn("sign-in pages not mounted: no secret key or base URL")
		return nil
	}
	cfg, err := oidcConfig(deps)
	if err != nil {
		return err
	}
	h, err := oidc.NewHandler(cfg)
	if err != nil {
		return err
	}
	h.Register(mux)
	if len(cfg.Providers) > 0 {
		deps.Logger.Info("server-wide sign-in providers", "count", len(cfg.Providers))
	}
	return nil
}

// oidcConfig is the sign-in door's configuration from deps and the
// environment; the setup pages build their relying party from it too.
func oidcConfig(deps serverDeps) (oidc.Config, error) {
	raw := os.Getenv(envOIDCProviders)
	if path := os.Getenv(envOIDCProvidersFile); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return oidc.Config{}, fmt.Errorf("%s: %w", envOIDCProvidersFile, err)
		}
		raw = string(b)
	}
	providers, err := oidc.ParseProviders(raw)
	if err != nil {
		return oidc.Config{}, err
	}
	if deps.devIDP != nil {
		for _, p := range providers {
			if p.Key == devidp.Key {
				return oidc.Config{}, fmt.Errorf("%s: the key %q is the development sign-in's (--dev-idp); give this provider another key", envOIDCProviders, p.Key)
			}
		}
		providers = append(providers, devIDPProvider(deps.devIDP))
	}
	cfg := oidc.Config{Directory: deps.Dir, Box: deps.Box, BaseURL: deps.BaseURL, Dev: deps.Dev, Providers: providers,
		Logger: deps.Logger.With("component", "oidc"), TrustForwardedFor: os.Getenv(envTrustForwardedFor) == "true", Metrics: deps.Metrics,
		Banner: pageBanner(deps)}
	if s := os.Getenv(envSessionHours); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return oidc.Config{}, fmt.Errorf("%s: want a whole number of hours, got %q", envSessionHours, s)
		}
		cfg.SessionTTL = time.Duration(n) * time.Hour
	}
	return cfg, nil
}
