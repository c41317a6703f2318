package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// Bounds of a request-log entry's texts, in characters: enough to read
// what happened, never a store for whatever a client sends.
const (
	logMethodLen = 16
	logPathLen   = 2000
	logTextLen   = 1000
	logAgentLen  = 300
)

// scimLogChunk bounds the rows of one multi-row insert (10 parameters
// each).
const scimLogChunk = 200

// RecordSCIMRequests is WriteSCIMRequests for callers that keep no
// backlog: it reports only whether the database could be reached.
func (d *Provisioner) RecordSCIMRequests(ctx context.Context, entries []store.SCIMRequest) error {
	_, _, err := d.WriteSCIMRequests(ctx, entries)
	return err
}

// WriteSCIMRequests appends entries to the request logs, in multi-row
// inserts; the SCIM handler batches them off the request path. Texts are
// made storable first (invalid UTF-8 and NUL become U+FFFD, long values
// are cut), so no input a client chose can fail a write. An entry the
// database still refuses (its connection was deleted meanwhile) costs
// only itself: the chunk it was in is written again entry by entry, and
// the refused entries are logged and counted in rejected.
//
// done is how many leading entries were dealt with (stored or rejected).
// On an error, entries[done:] were not written and may be retried: the
// error is ErrUnavailable when the database could not be reached, or the
// context's error.
func (d *Provisioner) WriteSCIMRequests(ctx context.Context, entries []store.SCIMRequest) (done, rejected int, err error) {
	for start := 0; start < len(entries); start += scimLogChunk {
		chunk := entries[start:min(start+scimLogChunk, len(entries))]
		err := d.insertSCIMRequests(ctx, chunk)
		if err == nil {
			done += len(chunk)
			continue
		}
		if retryable(ctx, err) {
			return done, rejected, err
		}
		for _, e := range chunk {
			if err := d.insertSCIMRequests(ctx, []store.SCIMRequest{e}); err != nil {
				if retryable(ctx, err) {
					return done, rejected, err
				}
				rejected++
				d.Log.Warn("SCIM request log entry refused by the database; dropped it",
					"connection", e.ConnectionID, "method", e.Method, "status", e.Status, "err", err)
			}
			done++
		}
	}
	return done, rejected, nil
}

// retryable reports whether a failed write may succeed later: the
// database was unreachable, or the caller gave up waiting.
func retryable(ctx context.Context, err error) bool {
	return errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil
}

func (d *Provisioner) insertSCIMRequests(ctx context.Context, chunk []store.SCIMRequest) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO scim_requests (connection_id, workspace_id, method, path, status, action, detail, user_agent, duration_us, created_at) VALUES `)
	args := make([]any, 0, 10*len(chunk))
	for i, e := range chunk {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, logText(e.ConnectionID, logPathLen), logText(e.WorkspaceID, logPathLen), logText(e.Method, logMethodLen),
			logText(e.Path, logPathLen), e.Status, logText(e.Action, logTextLen), logText(e.Detail, logTextLen),
			logText(e.UserAgent, logAgentLen), e.Duration.Microseconds(), e.CreatedAt.UTC())
	}
	if _, err := d.SQL.ExecContext(ctx, d.SQL.Rebind(b.String()), args...); err != nil {
		return fmt.Errorf("record SCIM requests: %w", store.Unavailable(err))
	}
	return nil
}

// logText is s as both databases can store it: valid UTF-8 without NUL
// (PostgreSQL's text holds neither invalid bytes nor NUL), at most n
// characters.
func logText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	return store.Truncate(s, n)
}
