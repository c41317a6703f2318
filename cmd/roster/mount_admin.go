package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/oidc"
)

// Environment of the admin API and webhook delivery.
const (
	// envOperatorKey is the server operator's bearer key for the admin API
	// (create workspaces, act in any of them). Unset, only workspace API
	// keys work. ROSTER_OPERATOR_KEY_FILE names a file holding it instead.
	envOperatorKey     = "ROSTER_OPERATOR_KEY"
	envOperatorKeyFile = "ROSTER_OPERATOR_KEY_FILE"
	// envMaxUpload caps invitation import files, in bytes.
	envMaxUpload = "ROSTER_MAX_UPLOAD_BYTES"
	// envWebhookAllowPrivate lets webhooks reach private and loopback
	// addresses (on in --dev).
	envWebhookAllowPrivate = "ROSTER_WEBHOOK_ALLOW_PRIVATE"
)

// mountAdmin serves the admin JSON API under /api/v1.
func mountAdmin(mux *http.ServeMux, deps serverDeps) error {
	if deps.Box == nil {
		// roster serve always has a box; a partial wiring (tests of other
		// doors) runs without the admin API rather than failing.
		deps.Logger.Warn("admin API not mounted: no secret key to seal webhook secrets with")
		return nil
	}
	key, err := operatorKey()
	if err != nil {
		return err
	}
	opts := admin.Options{Directory: deps.Dir, Box: deps.Box, OperatorKey: key, Logger: deps.Logger.With("component", "admin"),
		SAMLFetch: oidc.NewFetchClient(deps.Dev)}
	if s := os.Getenv(envMaxUpload); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1024 {
			return fmt.Errorf("%s: want a number of bytes (at least 1024), got %q", envMaxUpload, s)
		}
		opts.MaxUploadBytes = n
	}
	api, err := admin.New(opts)
	if err != nil {
		return err
	}
	api.Register(mux)
	if key == "" {
		deps.Logger.Info("admin API without an operator key: workspaces are created with `roster workspace create`; set " + envOperatorKey + " to create them over the API")
	}
	return nil
}

func operatorKey() (string, error) {
	key := os.Getenv(envOperatorKey)
	if path := os.Getenv(envOperatorKeyFile); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", envOperatorKeyFile, err)
		}
		key = strings.TrimSpace(string(b))
	}
	if key != "" && len(key) < 24 {
		return "", fmt.Errorf("%s must be at least 24 characters (generate one with: openssl rand -base64 32)", envOperatorKey)
	}
	return key, nil
}

// webhookHandler delivers webhook outbox messages.
func webhookHandler(deps serverDeps) (delivery.Handler, error) {
	allow := deps.Dev
	if s := os.Getenv(envWebhookAllowPrivate); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%s: want true or false, got %q", envWebhookAllowPrivate, s)
		}
		allow = v
	}
	return delivery.Webhook(deps.Dir, delivery.WebhookOptions{Box: deps.Box, AllowPrivateNetworks: allow, Logger: deps.Logger.With("component", "webhooks")})
}
