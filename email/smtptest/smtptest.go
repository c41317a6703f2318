// Package smtptest runs a real SMTP server on 127.0.0.1 for the tests of
// any door that sends email (the product's rule: real SMTP in tests, no
// fake transport), and reads back what it accepted. Only tests import it.
package smtptest

import (
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rosterhq/roster/email"
)

// Message is one accepted message: its recipients, its decoded subject,
// and its plain-text and HTML parts.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Mailbox is an SMTP server that keeps every message it accepts. A
// message is in the mailbox once the sender's DATA command has returned,
// so a test that has sent (for example by draining the outbox) reads it
// without waiting.
type Mailbox struct {
	addr *net.TCPAddr

	mu   sync.Mutex
	msgs []Message
}

// Start serves a mailbox on a free local port until the test ends.
func Start(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{mb: mb}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().(*net.TCPAddr)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

// Transport is Roster's SMTP transport to the mailbox, over plain TCP.
func (mb *Mailbox) Transport(t testing.TB) *email.SMTP {
	t.Helper()
	tr, err := email.NewSMTP(email.SMTPConfig{Host: "127.0.0.1", Port: mb.addr.Port, From: "Roster <roster@roster.example>", TLS: email.TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Messages are the messages accepted so far, oldest first.
func (mb *Mailbox) Messages() []Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]Message(nil), mb.msgs...)
}

// To returns the messages sent to addr, oldest first.
func (mb *Mailbox) To(addr string) []Message {
	var out []Message
	for _, m := range mb.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	mb *Mailbox
	to []string
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	parts, err := textParts(msg)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, Message{To: s.to, Subject: subject, Text: parts["text/plain"], HTML: parts["text/html"]})
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.to = nil }
func (s *session) Logout() error { return nil }

// textParts returns the decoded parts of a multipart message by media
// type (text/plain, text/html): Roster's emails are multipart/alternative.
func textParts(msg *mail.Message) (map[string]string, error) {
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		// multipart decodes quoted-printable parts itself.
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		out[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
}
