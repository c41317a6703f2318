package delivery_test

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

// mailbox is a real SMTP server on 127.0.0.1 that keeps what it accepts.
type mailbox struct {
	addr *net.TCPAddr

	mu sync.Mutex
	// refuse answers that many of the next RCPT commands with a temporary
	// failure (451), as a relay in trouble would; -1 refuses for ever.
	refuse  int
	refused int
	msgs    []delivered
}

// delivered is one accepted message: its recipients and its plain-text
// and HTML parts.
type delivered struct {
	to        []string
	subject   string
	text      string
	html      string
	messageID string
}

// startMailbox serves a mailbox on a free local port until the test ends.
func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{mb: mb, t: t}, nil
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

// transport is an SMTP transport to the mailbox.
func (mb *mailbox) transport(t *testing.T) *email.SMTP {
	t.Helper()
	tr, err := email.NewSMTP(email.SMTPConfig{Host: "127.0.0.1", Port: mb.addr.Port, From: "Roster <roster@roster.example>", TLS: email.TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func (mb *mailbox) setRefuse(n int) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.refuse = n
}

func (mb *mailbox) messages() []delivered {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]delivered(nil), mb.msgs...)
}

// to returns the messages sent to addr.
func (mb *mailbox) to(addr string) []delivered {
	var out []delivered
	for _, m := range mb.messages() {
		for _, r := range m.to {
			if r == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	mb *mailbox
	t  *testing.T
	to []string
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.refuse != 0 {
		if s.mb.refuse > 0 {
			s.mb.refuse--
		}
		s.mb.refused++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
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
	s.mb.msgs = append(s.mb.msgs, delivered{to: s.to, subject: subject, text: parts["text/plain"], html: parts["text/html"], messageID: msg.Header.Get("Message-Id")})
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.to = nil }
func (s *session) Logout() error { return nil }

// textParts returns the decoded parts of a multipart message by media
// type (text/plain, text/html).
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
