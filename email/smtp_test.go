package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server saw it.
type received struct {
	from string
	rcpt []string
	data []byte
}

// server is a real SMTP server on 127.0.0.1 that records what it accepts.
type server struct {
	user, pass string          // when set, AUTH PLAIN is required
	refuse     *smtp.SMTPError // when set, RCPT is refused with it
	port       int

	mu   sync.Mutex
	msgs []received
}

// startServer serves s on a free local port until the test ends.
func startServer(t *testing.T, s *server) *server {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // the test speaks plain TCP; production never does with a password
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *server) config() SMTPConfig {
	return SMTPConfig{Host: "127.0.0.1", Port: s.port, From: "Roster <roster@roster.example>", TLS: TLSNone, Timeout: 5 * time.Second}
}

type session struct {
	srv    *server
	authed bool
	cur    received
}

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.refuse != nil {
		return s.srv.refuse
	}
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func newSMTP(t *testing.T, cfg SMTPConfig) *SMTP {
	t.Helper()
	tr, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return tr
}

func invitation(t *testing.T) Message {
	t.Helper()
	m, err := Render(request("invitation", samples["invitation"]))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parts reads a multipart/alternative message into content type → decoded body.
func parts(t *testing.T, raw []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := make(map[string]string)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = strings.ReplaceAll(string(b), "\r\n", "\n") // MIME lines end in CRLF on the wire
	}
	return msg, out
}

func TestSMTPDelivers(t *testing.T) {
	srv := startServer(t, &server{})
	m := invitation(t)
	if err := newSMTP(t, srv.config()).Send(context.Background(), m, ""); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].from != "roster@roster.example" || len(got[0].rcpt) != 1 || got[0].rcpt[0] != "jane@acme.com" {
		t.Errorf("envelope from %q to %v", got[0].from, got[0].rcpt)
	}
	msg, bodies := parts(t, got[0].data)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, m.Subject)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "jane@acme.com") {
		t.Errorf("To header = %q", to)
	}
	if msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted header missing")
	}
	link := samples["invitation"]["link"]
	for _, ct := range []string{"text/plain", "text/html"} {
		if !strings.Contains(bodies[ct], link) {
			t.Errorf("%s part lacks the link %s:\n%s", ct, link, bodies[ct])
		}
	}
	if bodies["text/plain"] != m.Text || bodies["text/html"] != m.HTML {
		t.Errorf("bodies changed in transit")
	}
}

func TestSMTPSendFromOverridesDefault(t *testing.T) {
	srv := startServer(t, &server{})
	if err := newSMTP(t, srv.config()).Send(context.Background(), invitation(t), "acme@roster.example"); err != nil {
		t.Fatal(err)
	}
	if got := srv.messages(); len(got) != 1 || got[0].from != "acme@roster.example" {
		t.Errorf("received %+v, want envelope from acme@roster.example", got)
	}
}

func TestSMTPServerRefusal(t *testing.T) {
	for _, code := range []int{451, 550} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := startServer(t, &server{refuse: &smtp.SMTPError{Code: code, Message: "not today"}})
			err := newSMTP(t, srv.config()).Send(context.Background(), invitation(t), "")
			if err == nil || !strings.Contains(err.Error(), "jane@acme.com") {
				t.Fatalf("err = %v, want an error naming the recipient", err)
			}
			if n := len(srv.messages()); n != 0 {
				t.Errorf("server stored %d messages", n)
			}
		})
	}
}

func TestSMTPAuth(t *testing.T) {
	const secret = "s3cret-pa55"
	srv := startServer(t, &server{user: "roster", pass: secret})
	tests := []struct {
		name, pass string
		ok         bool
	}{
		{"right password", secret, true},
		{"wrong password", "guess-" + secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.config()
			cfg.Username, cfg.Password, cfg.AllowInsecureAuth = "roster", tt.pass, true
			err := newSMTP(t, cfg).Send(context.Background(), invitation(t), "")
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	if n := len(srv.messages()); n != 1 {
		t.Errorf("server stored %d messages, want 1", n)
	}
}

// A server that does not offer STARTTLS must not get the message in clear
// text: starttls is mandatory, never opportunistic.
func TestSMTPStartTLSIsMandatory(t *testing.T) {
	srv := startServer(t, &server{})
	cfg := srv.config()
	cfg.TLS = TLSStartTLS
	if err := newSMTP(t, cfg).Send(context.Background(), invitation(t), ""); err == nil {
		t.Fatal("Send succeeded over a connection without STARTTLS")
	}
	if n := len(srv.messages()); n != 0 {
		t.Errorf("server stored %d messages", n)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	const secret = "hunter2-secret"
	ok := SMTPConfig{Host: "mail.example", Port: 587, From: "roster@roster.example"}
	tests := []struct {
		name   string
		change func(*SMTPConfig)
		want   string // "" means valid
	}{
		{"defaults", func(*SMTPConfig) {}, ""},
		{"auth over starttls", func(c *SMTPConfig) { c.Username, c.Password = "u", secret }, ""},
		{"auth over tls", func(c *SMTPConfig) { c.Username, c.Password, c.TLS = "u", secret, TLSImplicit }, ""},
		{"auth in clear text", func(c *SMTPConfig) { c.Username, c.Password, c.TLS = "u", secret, TLSNone }, "only sent over TLS"},
		{"auth in clear text allowed", func(c *SMTPConfig) {
			c.Username, c.Password, c.TLS, c.AllowInsecureAuth = "u", secret, TLSNone, true
		}, ""},
		{"password without username", func(c *SMTPConfig) { c.Password = secret }, "without a username"},
		{"no host", func(c *SMTPConfig) { c.Host = "" }, "host"},
		{"bad port", func(c *SMTPConfig) { c.Port = 0 }, "port"},
		{"unknown tls mode", func(c *SMTPConfig) { c.TLS = "ssl" }, "tls"},
		{"no from", func(c *SMTPConfig) { c.From = "" }, "from"},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := NewSMTP(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("NewSMTP: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url  string
		want SMTPConfig
	}{
		{"smtp://user:p%40ss@smtp.example:2525?from=roster@x.example&tls=starttls&timeout=10s",
			SMTPConfig{Host: "smtp.example", Port: 2525, Username: "user", Password: "p@ss", From: "roster@x.example", TLS: TLSStartTLS, Timeout: 10 * time.Second}},
		{"smtp://smtp.example?from=roster@x.example",
			SMTPConfig{Host: "smtp.example", Port: 587, From: "roster@x.example", TLS: TLSStartTLS}},
		{"smtps://user:pw@smtp.example?from=roster@x.example",
			SMTPConfig{Host: "smtp.example", Port: 465, Username: "user", Password: "pw", From: "roster@x.example", TLS: TLSImplicit}},
		{"smtp://localhost:1025?tls=none&from=roster@localhost",
			SMTPConfig{Host: "localhost", Port: 1025, From: "roster@localhost", TLS: TLSNone}},
	}
	for _, tt := range tests {
		got, err := ParseSMTPURL(tt.url)
		if err != nil || got != tt.want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
}

func TestParseSMTPURLErrors(t *testing.T) {
	const secret = "t0p-secret"
	for _, raw := range []string{
		"http://u:" + secret + "@smtp.example",
		"smtp://u:" + secret + "@smtp.example:notaport",
		"smtp://u:" + secret + "@smtp.example?form=roster@x.example",
		"smtps://u:" + secret + "@smtp.example?tls=none",
		"smtp://u:" + secret + "@smtp.example?timeout=soon",
		"smtp://u:" + secret + "@smtp example\x7f",
		"smtp://u:" + secret + "%zz@smtp.example",
	} {
		_, err := ParseSMTPURL(raw)
		if err == nil {
			t.Errorf("ParseSMTPURL accepted a bad URL")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestSMTPConfigNeverShowsPassword(t *testing.T) {
	cfg := SMTPConfig{Host: "smtp.example", Port: 587, Username: "u", Password: "pw-secret", From: "r@x.example", TLS: TLSStartTLS}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("smtp", "config", cfg)
	for _, s := range []string{cfg.String(), buf.String()} {
		if strings.Contains(s, "pw-secret") || !strings.Contains(s, "smtp.example") {
			t.Errorf("config shown as %q", s)
		}
	}
}

func TestLogTransport(t *testing.T) {
	var buf bytes.Buffer
	m := invitation(t)
	if err := NewLog(slog.New(slog.NewTextHandler(&buf, nil))).Send(context.Background(), m, "roster@x.example"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", "jane@acme.com", m.Subject, samples["invitation"]["link"]} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
