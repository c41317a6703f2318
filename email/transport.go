package email

import (
	"context"
	"log/slog"
)

// Transport delivers a rendered Message. from is the envelope and header
// sender; an empty from means the transport's configured default. Send
// returns an error when the message was not accepted, so the outbox retries.
type Transport interface {
	Send(ctx context.Context, m Message, from string) error
}

// Log is the Transport used when no SMTP server is configured: it writes each
// message, links included, to the log so a first run can be followed by hand.
// It never fails, so nothing piles up in the outbox. The log then holds live
// invitation links: production configures SMTP instead.
type Log struct {
	logger *slog.Logger
}

// NewLog returns a Log transport writing to logger, or to slog.Default if
// logger is nil.
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{logger: logger}
}

// Send logs m at INFO with its recipients, subject and plain-text body. The
// HTML body is left out: it says the same thing, less readably.
func (l *Log) Send(ctx context.Context, m Message, from string) error {
	l.logger.InfoContext(ctx, "email not sent: no SMTP server configured",
		slog.Any("to", m.To),
		slog.String("from", from),
		slog.String("subject", m.Subject),
		slog.String("message_id", m.MessageID),
		slog.String("text", m.Text))
	return nil
}
