package main

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/console"
)

// mountConsole serves the admin console's pages for people signed in
// with SSO (the sign-in pages' session cookie).
func mountConsole(mux *http.ServeMux, deps serverDeps) error {
	if deps.Box == nil || deps.BaseURL == "" {
		// As for the sign-in pages: partial wirings in tests run without.
		deps.Logger.Warn("console not mounted: no secret key or base URL")
		return nil
	}
	h, err := console.New(console.Config{Directory: deps.Dir, Box: deps.Box, Secure: strings.HasPrefix(deps.BaseURL, "https://"),
		Logger: deps.Logger.With("component", "console"), Banner: pageBanner(deps)})
	if err != nil {
		return err
	}
	h.Register(mux)
	return nil
}
