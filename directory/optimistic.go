package directory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Optimistic runs. A SCIM create of someone new reads once (the person,
// their membership, the verified domain) and then only inserts: a user, a
// membership, an invitation, email index rows, events. On PostgreSQL each
// round trip costs more than the work, and BEGIN and COMMIT are two of
// them. So such an operation first runs optimistically: its reads are
// statements of their own (peek), and its held-back inserts and events
// go to the database as one statement at the end, which PostgreSQL runs
// atomically, in a transaction of its own. Whatever a decision read can
// have missed in between is caught by that statement: a person or userName
// another request created meanwhile breaks a unique index, and the run
// starts again as an ordinary transaction, which sees the winner's rows
// and decides again.
//
// An optimistic run stops with errNeedsTx, and runs again in a
// transaction, as soon as it needs anything only a transaction gives: any
// read but peek, a read after an insert (it would not see it), any write
// but a held-back insert (an update, a lock that must last: the seat
// check of a workspace with a seat limit), or delivering its events to
// webhooks (their outbox rows are a second statement; the final statement
// refuses to run in a workspace with active webhooks, see
// roster_assert_no_webhooks in the migrations). SQLite has no round trips
// to save and always uses a transaction.

// errNeedsTx stops an optimistic run that needs a real transaction.
var errNeedsTx = errors.New("directory: the operation needs a transaction")

// errHasWebhooks is the final statement of an optimistic run refusing a
// workspace with active webhooks.
var errHasWebhooks = fmt.Errorf("workspace has active webhooks: %w", errNeedsTx)

// webhookGuardCode is the SQLSTATE roster_assert_no_webhooks raises.
const webhookGuardCode = "RSWHK"

// webhookPause is how long a workspace found to have webhooks is not
// tried optimistically again (each attempt costs a refused statement).
const webhookPause = time.Minute

// optimism is a Directory's record of optimistic runs.
type optimism struct {
	committed, fellBack atomic.Int64

	mu     sync.Mutex
	paused map[string]time.Time // workspace id → until when
}

func (o *optimism) isPaused(workspaceID string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	until, ok := o.paused[workspaceID]
	if ok && !now.Before(until) {
		delete(o.paused, workspaceID)
		return false
	}
	return ok
}

func (o *optimism) pause(workspaceID string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused == nil {
		o.paused = map[string]time.Time{}
	}
	o.paused[workspaceID] = now.Add(webhookPause)
}

// inTxOptimistic runs fn like inTx, first optimistically on PostgreSQL
// (see above). fn may run twice, so it must not act outside the
// transaction; workspaceID is the workspace fn writes to.
func (d *Directory) inTxOptimistic(ctx context.Context, actor Actor, workspaceID string, fn func(t *tx) error) error {
	if d.dialect == Postgres && !d.optimism.isPaused(workspaceID, time.Now()) {
		t := &tx{d: d, ctx: ctx, now: d.now().UTC().Truncate(time.Microsecond), actor: actor, optimistic: true}
		err := fn(t)
		if err == nil {
			err = t.commitOptimistic()
		}
		if err == nil {
			d.optimism.committed.Add(1)
			return nil
		}
		if errors.Is(err, errHasWebhooks) {
			d.optimism.pause(workspaceID, time.Now())
		}
		if !retryInTx(err) {
			return err
		}
		d.optimism.fellBack.Add(1)
	}
	return d.inTx(ctx, actor, fn)
}

// retryInTx reports whether an optimistic run's error calls for running
// again in a transaction: the run needed one, or its final statement broke
// a constraint because something changed after its reads.
func retryInTx(err error) bool {
	if errors.Is(err, errNeedsTx) || errors.Is(err, ErrConflict) {
		return true
	}
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code.Class() == "23"
}

// peek is get for a read an optimistic run may make: one whose answer the
// run's final statement re-checks through a constraint, or which may be a
// moment stale without harm. In a transaction it is get; in an optimistic
// run it is a statement of its own, and only before any insert.
func (t *tx) peek(dest any, query string, args ...any) error {
	if !t.optimistic {
		return t.get(dest, query, args...)
	}
	if len(t.deferred) > 0 {
		return errNeedsTx
	}
	return t.getRun(dest, query, args...)
}

// commitOptimistic writes an optimistic run's held-back inserts and events
// in one statement.
func (t *tx) commitOptimistic() error {
	evs := t.events
	if len(evs) == 0 {
		return t.flushDeferred()
	}
	if len(evs) > eventsPerInsert || !oneWorkspace(evs) {
		return errNeedsTx
	}
	with, args, taken := t.takeDeferred()
	if with == "" {
		with = "WITH "
	}
	q, evArgs := eventsInsert(evs)
	args = append(append(args, evArgs...), evs[0].WorkspaceID)
	var ids []int64
	err := t.selectRun(&ids, with+`e AS (`+q+` RETURNING id) SELECT id FROM e WHERE roster_assert_no_webhooks(?)`, args...)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == webhookGuardCode:
		return errHasWebhooks
	case err != nil:
		if mapped := deferredError(taken, err); mapped != err {
			return mapped
		}
		return fmt.Errorf("append %s event: %w", evs[0].Type, err)
	}
	t.events = nil
	return setEventIDs(evs, ids)
}
