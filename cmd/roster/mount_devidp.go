package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/devidp"
	"github.com/rosterhq/roster/oidc"
)

// errDevIDPNeedsDev refuses the development provider on a server that is
// not in development mode: it signs anyone in as anyone.
var errDevIDPNeedsDev = errors.New("--dev-idp signs anyone in as any address, so it runs only with --dev (development mode); add --dev, or leave --dev-idp out on a real server")

// Banners of development mode, on every page the server renders.
const devBanner = "Development mode — not for production."

// startDevIDP builds the development provider of --dev-idp into deps,
// before the doors are mounted: the sign-in door offers it, mountDevIDP
// serves it.
func startDevIDP(deps *serverDeps) error {
	if !deps.DevIDP {
		return nil
	}
	if !deps.Dev {
		return errDevIDPNeedsDev
	}
	if deps.Box == nil || deps.BaseURL == "" {
		return errors.New("--dev-idp needs the secret key and base URL of the sign-in pages")
	}
	p, err := devidp.New(devidp.Config{BaseURL: deps.BaseURL, RedirectURI: deps.BaseURL + oidc.CallbackPath, Directory: deps.Dir,
		Box: deps.Box, Secure: strings.HasPrefix(deps.BaseURL, "https://"), Logger: deps.Logger})
	if err != nil {
		return fmt.Errorf("development sign-in: %w", err)
	}
	deps.devIDP = p
	deps.Logger.Warn("development sign-in is on (--dev-idp): anyone who reaches this server can sign in as any address", "issuer", p.Issuer)
	return nil
}

// mountDevIDP serves the development provider under /dev/idp.
func mountDevIDP(mux *http.ServeMux, deps serverDeps) error {
	if deps.devIDP != nil {
		deps.devIDP.Register(mux)
	}
	return nil
}

// devIDPProvider is the development provider as a server-wide provider of
// the sign-in pages: any address, any domain no workspace routes.
func devIDPProvider(p *devidp.Provider) oidc.Provider {
	return oidc.Provider{Key: devidp.Key, Name: devidp.Name, Kind: "generic", Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret}
}

// pageBanner is the warning of every page: the development sign-in's, or
// development mode's, or none.
func pageBanner(deps serverDeps) string {
	switch {
	case deps.devIDP != nil:
		return devidp.Banner
	case deps.Dev:
		return devBanner
	}
	return ""
}
