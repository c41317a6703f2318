package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/event"
	"github.com/rosterhq/roster/seal"
)

// Webhook delivery headers. The signature is HMAC-SHA256 with the
// webhook's secret over "<t>.<body>", hex-encoded:
//
//	Roster-Signature: t=1767225600,v1=5f2b…
//
// Receivers recompute it, compare in constant time, and refuse old
// timestamps (VerifySignature does all three).
const (
	HeaderSignature = "Roster-Signature"
	HeaderEventID   = "Roster-Event-Id"
	HeaderEventType = "Roster-Event-Type"
	HeaderDelivery  = "Roster-Delivery-Id"
	HeaderAttempt   = "Roster-Delivery-Attempt"
)

// WebhookOptions configure the webhook Handler.
type WebhookOptions struct {
	// Box opens the sealed webhook secrets; required.
	Box *seal.Box
	// AllowPrivateNetworks lets deliveries reach loopback, private and
	// link-local addresses. Off by default: webhook URLs are chosen by
	// workspace admins, and the server must not become their way into
	// the network it runs in. Turn it on for development, or when the
	// receivers are the operator's own internal services.
	AllowPrivateNetworks bool
	// Timeout bounds one delivery; default 15s.
	Timeout time.Duration
	// Now is the clock signatures are stamped with; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// Webhook returns the Handler for directory.OutboxWebhook messages: it
// POSTs the event to the webhook's URL, signed, records the attempt in the
// webhook's delivery log, and reports any answer but a 2xx as a failure to
// retry with backoff. A webhook that was deleted or disabled, or that
// answers 410 Gone, fails for good.
func Webhook(d *directory.Directory, opts WebhookOptions) (Handler, error) {
	if opts.Box == nil {
		return nil, errors.New("webhook delivery: no seal box to open webhook secrets with")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	client := webhookClient(opts)
	return func(ctx context.Context, m directory.OutboxMessage) (any, error) {
		target, err := d.WebhookTarget(ctx, m.TargetID)
		if errors.Is(err, directory.ErrNotFound) {
			return nil, Permanent(fmt.Errorf("webhook %s was deleted", m.TargetID))
		} else if err != nil {
			return nil, err
		}
		if !target.Active {
			return nil, Permanent(fmt.Errorf("webhook %s is disabled", target.ID))
		}
		secret, err := opts.Box.Open(target.SecretSealed, directory.WebhookSecretPurpose)
		if err != nil {
			return nil, Permanent(fmt.Errorf("open the secret of webhook %s (was the server key rotated without keeping the old one?): %w", target.ID, err))
		}
		var ev event.Envelope
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return nil, Permanent(fmt.Errorf("decode webhook payload: %w", err))
		}
		start := time.Now()
		status, err := post(ctx, client, target.URL, secret, m, ev.ID, ev.Type, opts.Now())
		attempt := directory.WebhookAttempt{WebhookID: target.ID, OutboxID: m.ID, EventID: ev.ID, EventType: ev.Type,
			Delivered: err == nil, StatusCode: status, DurationMS: time.Since(start).Milliseconds()}
		if err != nil {
			attempt.Error = err.Error()
		}
		// The log is recorded even when the delivery was cut short.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if lerr := d.RecordWebhookAttempt(rctx, attempt); lerr != nil {
			opts.Logger.Warn("record webhook attempt", "webhook_id", target.ID, "outbox_id", m.ID, "err", lerr)
		}
		if status == http.StatusGone {
			return nil, Permanent(err)
		}
		return nil, err
	}, nil
}

// post sends one signed delivery and returns the receiver's status.
func post(ctx context.Context, client *http.Client, url string, secret []byte, m directory.OutboxMessage, eventID int64, eventType string, now time.Time) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Payload))
	if err != nil {
		return 0, Permanent(fmt.Errorf("webhook URL: %w", err))
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/1")
	req.Header.Set(HeaderSignature, "t="+strconv.FormatInt(ts, 10)+",v1="+Sign(secret, ts, m.Payload))
	req.Header.Set(HeaderEventID, strconv.FormatInt(eventID, 10))
	req.Header.Set(HeaderEventType, eventType)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(m.ID, 10))
	req.Header.Set(HeaderAttempt, strconv.Itoa(m.Attempts))
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post to webhook: %w", err)
	}
	defer res.Body.Close()
	// A little of the answer explains a failure; the rest is drained so
	// the connection can be reused.
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return res.StatusCode, nil
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return res.StatusCode, fmt.Errorf("receiver answered %d, redirecting to %q; register the final URL instead (redirects are not followed)", res.StatusCode, res.Header.Get("Location"))
	}
	msg := strings.TrimSpace(strings.ToValidUTF8(string(snippet), ""))
	if msg != "" {
		msg = ": " + msg
	}
	return res.StatusCode, fmt.Errorf("receiver answered %d%s", res.StatusCode, msg)
}

// Sign is the v1 signature of a delivery: hex HMAC-SHA256 of
// "<timestamp>.<body>" with the webhook's secret.
func Sign(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// ErrSignature is returned by VerifySignature for a delivery that was not
// signed with the secret, was altered, or is too old.
var ErrSignature = errors.New("webhook signature does not verify")

// VerifySignature checks a Roster-Signature header against the body as
// received, for receivers written in Go: a v1 value must match, and the
// timestamp be within tolerance of now, so a captured delivery cannot be
// replayed later.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts int64
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == 0 || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed %s header", ErrSignature, HeaderSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp is %s away from now", ErrSignature, d.Round(time.Second))
	}
	want := []byte(Sign(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrSignature
}

// webhookClient is the HTTP client deliveries use: a timeout, no
// redirects, no proxy from the environment, and (unless allowed) no
// connections to private, loopback or link-local addresses, checked on
// the address actually dialled so DNS tricks do not get around it.
func webhookClient(opts WebhookOptions) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !opts.AllowPrivateNetworks {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
				ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
				return fmt.Errorf("refusing to deliver to %s: a private or local address (allow it with ROSTER_WEBHOOK_ALLOW_PRIVATE=1)", host)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: opts.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
