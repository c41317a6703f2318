package directory

import (
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// WebhookSecretPurpose is the seal purpose of webhook secrets: front doors
// seal a secret with it before handing it to the directory, and the
// delivery handler opens it to sign.
const WebhookSecretPurpose = "webhook-secret"

// ValidateWebhookSecret checks a signing secret chosen by a person: long
// enough that HMAC signatures cannot be forged by guessing it.
func ValidateWebhookSecret(secret string) error {
	switch {
	case len(secret) < 24:
		return store.Invalidf("a webhook secret must be at least 24 characters (omit it to have one generated)")
	case len(secret) > 256:
		return store.Invalidf("a webhook secret must be at most 256 characters")
	case strings.TrimSpace(secret) != secret:
		return store.Invalidf("a webhook secret must not start or end with white space")
	}
	return nil
}
