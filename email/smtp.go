package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes for SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is mandatory
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS, usually port 465)
	TLSNone     = "none"     // no encryption: a local relay or a test server only
)

// DefaultSMTPTimeout bounds one delivery attempt when SMTPConfig.Timeout is zero.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig configures the SMTP transport. Production setups set it from
// ROSTER_SMTP_URL through ParseSMTPURL.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// From is the default sender, used when Send is given none.
	From string
	// TLS is "starttls" (the default), "tls" or "none". A password is only
	// ever sent over starttls or tls, unless AllowInsecureAuth is set.
	TLS string
	// Timeout bounds one delivery attempt; zero means DefaultSMTPTimeout.
	Timeout time.Duration
	// AllowInsecureAuth permits sending a password with TLS "none". It exists
	// for tests against a local server and is deliberately not settable from
	// ROSTER_SMTP_URL: production must use starttls or tls with a password.
	AllowInsecureAuth bool
}

// String describes the configuration without the password, so that printing
// a config by mistake does not leak it.
func (c SMTPConfig) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + ":REDACTED@"
	}
	return fmt.Sprintf("smtp://%s%s:%d?from=%s&tls=%s", user, c.Host, c.Port, c.From, c.TLS)
}

// LogValue is the slog form of String: the password is never logged.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ParseSMTPURL reads an SMTP configuration from one URL, such as
// smtp://user:pass@host:587?from=roster@example.com&tls=starttls, so a single
// environment variable (ROSTER_SMTP_URL) configures mail. The scheme smtps
// means TLS "tls" on port 465; smtp defaults to starttls on port 587. The
// query accepts from, tls and timeout (a Go duration). Errors never contain
// the URL, since it carries the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL and an EscapeError quotes part of it: both
		// may hold the password, so keep only what is safe to show.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		var eerr url.EscapeError
		if errors.As(err, &eerr) {
			err = errors.New("invalid percent-escape")
		}
		return SMTPConfig{}, fmt.Errorf("parse SMTP URL: %w", err)
	}
	cfg := SMTPConfig{Host: u.Hostname(), TLS: TLSStartTLS}
	defaultPort := 587
	switch u.Scheme {
	case "smtp":
	case "smtps":
		cfg.TLS, defaultPort = TLSImplicit, 465
	default:
		return SMTPConfig{}, fmt.Errorf("parse SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	cfg.Port = defaultPort
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil {
			return SMTPConfig{}, fmt.Errorf("parse SMTP URL: port %q: %w", p, err)
		}
	}
	for k, v := range u.Query() {
		val := v[len(v)-1]
		switch k {
		case "from":
			cfg.From = val
		case "tls":
			if u.Scheme == "smtps" && val != TLSImplicit {
				return SMTPConfig{}, fmt.Errorf("parse SMTP URL: scheme smtps conflicts with tls=%s", val)
			}
			cfg.TLS = val
		case "timeout":
			if cfg.Timeout, err = time.ParseDuration(val); err != nil {
				return SMTPConfig{}, fmt.Errorf("parse SMTP URL: timeout: %w", err)
			}
		default:
			// A typo such as "form=" must not silently fall back to a default.
			return SMTPConfig{}, fmt.Errorf("parse SMTP URL: unknown parameter %q", k)
		}
	}
	return cfg, nil
}

// SMTP is the Transport that delivers through an SMTP server, as a
// multipart/alternative message with a plain-text and an HTML part.
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
}

// NewSMTP validates cfg and returns an SMTP transport. It refuses a password
// without starttls or tls unless cfg.AllowInsecureAuth is set.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	switch {
	case cfg.Host == "":
		return nil, errors.New("SMTP config: host is required")
	case cfg.Port < 1 || cfg.Port > 65535:
		return nil, fmt.Errorf("SMTP config: port %d is out of range", cfg.Port)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("SMTP config: timeout %s is negative", cfg.Timeout)
	case cfg.Password != "" && cfg.Username == "":
		return nil, errors.New("SMTP config: password given without a username")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("SMTP config: from address %q: %w", cfg.From, err)
	}

	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("SMTP config: tls %q is not starttls, tls or none", cfg.TLS)
	}
	if cfg.Username != "" {
		switch {
		case cfg.TLS != TLSNone:
			// Autodiscovery picks the strongest mechanism the server offers.
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		case cfg.AllowInsecureAuth:
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlainNoEnc))
		default:
			return nil, errors.New("SMTP config: credentials are only sent over TLS; set tls to starttls or tls")
		}
		opts = append(opts, gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	// Build one client now so option errors surface at start-up, not on the
	// first send.
	if _, err := gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("SMTP config: %w", err)
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers m from from (or the configured From when empty). Each call
// opens its own connection: go-mail clients keep per-connection state, and
// notification volume does not warrant a shared pool.
func (s *SMTP) Send(ctx context.Context, m Message, from string) error {
	if from == "" {
		from = s.cfg.From
	}
	to := strings.Join(m.To, ", ")
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return fmt.Errorf("send email to %s: from %q: %w", to, from, err)
	}
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("send email to %s: %w", to, err)
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	// RFC 3834: tells auto-responders not to answer a notification.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)

	client, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("send email to %s: %w", to, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send email to %s via %s:%d: %w", to, s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}
