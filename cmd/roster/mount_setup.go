package main

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/setup"
)

// mountSetup serves the pages of setup links (/setup/{token}), which the
// customer's IT admin opens without a Roster account. Its relying party
// (discovery checks, test sign-ins) is configured like the sign-in
// door's, whose callback finishes the test sign-ins.
func mountSetup(mux *http.ServeMux, deps serverDeps) error {
	if deps.Box == nil || deps.BaseURL == "" {
		deps.Logger.Warn("setup pages not mounted: no secret key or base URL")
		return nil
	}
	cfg, err := oidcConfig(deps)
	if err != nil {
		return err
	}
	rp, err := oidc.NewHandler(cfg)
	if err != nil {
		return err
	}
	h, err := setup.New(setup.Config{Directory: deps.Dir, Box: deps.Box, SignIn: rp, BaseURL: deps.BaseURL, Secure: strings.HasPrefix(deps.BaseURL, "https://"),
		Logger: deps.Logger.With("component", "setup")})
	if err != nil {
		return err
	}
	h.Register(mux)
	return nil
}
