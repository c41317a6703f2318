package outbox

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// OutboxMessage is a claimed outbox row.
type OutboxMessage struct {
	ID          int64           `db:"id"`
	WorkspaceID string          `db:"workspace_id"`
	Kind        string          `db:"kind"`
	TargetID    string          `db:"target_id"`
	Payload     json.RawMessage `db:"-"`
	Attempts    int             `db:"attempts"`
	CreatedAt   time.Time       `db:"created_at"`
}

// ClaimOutbox leases up to limit due messages of a kind for lease: they are
// not handed to anyone else until the lease runs out, so a sender that
// crashes mid-way loses nothing, and several replicas never send the same
// message at once (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a
// single writer). The claim is one statement, atomic on its own, like
// the completions below: the outbox is written at the rate things
// happen, and a transaction around each step would double its round trips.
// The earliest due are claimed first, and come back in id order.
func (d *Outbox) ClaimOutbox(ctx context.Context, kind string, limit int, lease time.Duration) ([]OutboxMessage, error) {
	lock := d.Flavor.SkipLocked()
	now := d.Now().UTC()
	var rows []struct {
		OutboxMessage
		Payload string `db:"payload"`
	}
	// The claimed ids are materialised once, so the LIMIT and the locks
	// apply to exactly the rows updated. SQLite's RETURNING sees only the
	// updated table, so the order comes from ids afterwards.
	err := d.DbSelect(ctx, &rows, `WITH c AS MATERIALIZED (SELECT id FROM outbox
			WHERE status = 'pending' AND kind = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM c)
		RETURNING id, workspace_id, kind, target_id, payload, attempts, created_at`,
		kind, now, limit, now.Add(lease))
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	out := make([]OutboxMessage, 0, len(rows))
	for _, r := range rows {
		m := r.OutboxMessage
		m.Payload = json.RawMessage(r.Payload)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ExtendOutboxLease is a sender's heartbeat: it extends the lease on
// messages it claimed and is still sending to lease from now, so a slow
// send is not handed to another replica meanwhile. A message is the
// sender's only while its attempt count is the one its claim set (a
// re-claim after the lease ran out counts another attempt); the ones
// that are not (re-claimed, or no longer pending) are returned as lost,
// and their leases are left alone. Lease instants are on the
// Directory's clock, like ClaimOutbox's.
func (d *Outbox) ExtendOutboxLease(ctx context.Context, msgs []OutboxMessage, lease time.Duration) (lost []int64, err error) {
	until := d.Now().UTC().Add(lease)
	for _, m := range msgs {
		var id int64
		err := d.DbGet(ctx, &id, `UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND attempts = ? AND status = 'pending' RETURNING id`,
			until, m.ID, m.Attempts)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			lost = append(lost, m.ID)
		case err != nil:
			return lost, fmt.Errorf("extend the lease on outbox message %d: %w", m.ID, err)
		}
	}
	return lost, nil
}

// CompleteOutbox marks a message delivered. Email payloads carry links with
// one-time tokens; once sent they are replaced by a redacted copy so no
// usable token stays in the database.
func (d *Outbox) CompleteOutbox(ctx context.Context, id int64, redacted any) error {
	payload, err := redactedPayload(redacted)
	if err != nil {
		return err
	}
	if err := d.dbExec(ctx, `UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '', payload = COALESCE(?, payload) WHERE id = ?`,
		d.Now().UTC(), payload, id); err != nil {
		return fmt.Errorf("complete outbox message %d: %w", id, err)
	}
	return nil
}

// FailOutbox records a failed attempt: retried at retryAt, or given up
// when final. A message given up for good keeps only its redacted copy
// (when one is given), like a sent one, so its one-time links do not stay
// in the database.
func (d *Outbox) FailOutbox(ctx context.Context, id int64, reason string, retryAt time.Time, final bool, redacted any) error {
	status := "pending"
	var payload *string
	if final {
		status = "failed"
		var err error
		if payload, err = redactedPayload(redacted); err != nil {
			return err
		}
	}
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	// Only a message still pending: one discarded while this attempt
	// ran must not go back in the queue. (A send that succeeded is
	// recorded whatever happened meanwhile: it was sent.)
	if err := d.dbExec(ctx, `UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ?, payload = COALESCE(?, payload) WHERE id = ? AND status = 'pending'`,
		status, reason, retryAt.UTC(), payload, id); err != nil {
		return fmt.Errorf("fail outbox message %d: %w", id, err)
	}
	return nil
}

// redactedPayload encodes the redacted copy of a payload; nil keeps the
// payload as it is.
func redactedPayload(redacted any) (*string, error) {
	if redacted == nil {
		return nil, nil
	}
	body, err := json.Marshal(redacted)
	if err != nil {
		return nil, fmt.Errorf("encode redacted payload: %w", err)
	}
	s := string(body)
	return &s, nil
}

// OutboxStatus is an outbox row as seen by tests and delivery logs.
type OutboxStatus struct {
	ID        int64      `db:"id"`
	Kind      string     `db:"kind"`
	TargetID  string     `db:"target_id"`
	Status    string     `db:"status"`
	Attempts  int        `db:"attempts"`
	LastError string     `db:"last_error"`
	Payload   string     `db:"payload"`
	CreatedAt time.Time  `db:"created_at"`
	SentAt    *time.Time `db:"sent_at"`
}

// OutboxOf lists a workspace's outbox messages of a kind, newest first, up
// to limit. It is for delivery logs and tests; it takes no actor because
// callers have already authorised the workspace.
func (d *Outbox) OutboxOf(ctx context.Context, workspaceID, kind string, limit int) ([]OutboxStatus, error) {
	var out []OutboxStatus
	err := d.SQL.SelectContext(ctx, &out, d.SQL.Rebind(`SELECT id, kind, target_id, status, attempts, last_error, payload, created_at, sent_at FROM outbox
		WHERE workspace_id = ? AND kind = ? ORDER BY id DESC LIMIT ?`), workspaceID, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox of %s: %w", workspaceID, err)
	}
	return out, nil
}
