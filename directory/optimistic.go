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
//
// Guesses. When the creates of a workspace have recently all been of new
// people (Okta's and Entra's initial sync), a run skips even its read: it
// guesses that nobody has the address and that the workspace has not
// verified its domain, and the final statement checks the guess
// (roster_assert_guess, migration 00008) as well as inserting the user,
// which a unique index also guards. A wrong guess aborts the statement;
// the operation runs as a transaction, and the workspace's runs read first
// again for a while.

// errNeedsTx stops an optimistic run that needs a real transaction.
var errNeedsTx = errors.New("directory: the operation needs a transaction")

// errHasWebhooks is the final statement of an optimistic run refusing a
// workspace with active webhooks; errWrongGuess is it refusing a guess.
var (
	errHasWebhooks = fmt.Errorf("workspace has active webhooks: %w", errNeedsTx)
	errWrongGuess  = fmt.Errorf("the address is known or its domain verified: %w", errNeedsTx)
)

// The SQLSTATEs roster_assert_no_webhooks and roster_assert_guess raise.
const (
	webhookGuardCode = "RSWHK"
	guessGuardCode   = "RSGSS"
)

// optimisticPause is how long a workspace found to have webhooks runs no
// optimistic runs, and one where a guess failed makes no guesses (each
// failed attempt costs a refused statement).
const optimisticPause = time.Minute

// optimism is a Directory's record of optimistic runs.
type optimism struct {
	committed, guessed, fellBack atomic.Int64

	mu sync.Mutex
	// noRuns and noGuesses map workspace ids to when they may be tried
	// again.
	noRuns, noGuesses map[string]time.Time
}

// modes reports whether a workspace may have an optimistic run now, and
// whether that run may guess.
func (o *optimism) modes(workspaceID string, now time.Time) (run, guess bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	allowed := func(paused map[string]time.Time) bool {
		until, ok := paused[workspaceID]
		if ok && !now.Before(until) {
			delete(paused, workspaceID)
			return true
		}
		return !ok
	}
	run = allowed(o.noRuns)
	return run, run && allowed(o.noGuesses)
}

// pause keeps a workspace from being tried for optimisticPause.
func (o *optimism) pause(paused *map[string]time.Time, workspaceID string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if *paused == nil {
		*paused = map[string]time.Time{}
	}
	(*paused)[workspaceID] = now.Add(optimisticPause)
}

// inTxOptimistic runs fn like inTx, first optimistically on PostgreSQL
// (see above). fn may run twice, so it must not act outside the
// transaction; workspaceID is the workspace fn writes to.
func (d *Directory) inTxOptimistic(ctx context.Context, actor Actor, workspaceID string, fn func(t *tx) error) error {
	o := &d.optimism
	if run, guess := o.modes(workspaceID, time.Now()); d.flavor.IsPostgres() && run {
		t := &tx{d: d, ctx: ctx, now: d.now().UTC().Truncate(time.Microsecond), actor: actor, optimistic: true, guessing: guess}
		err := fn(t)
		if err == nil {
			err = t.commitOptimistic()
		}
		if err == nil {
			o.committed.Add(1)
			if len(t.guards) > 0 {
				o.guessed.Add(1)
			}
			return nil
		}
		if errors.Is(err, errHasWebhooks) {
			o.pause(&o.noRuns, workspaceID, time.Now())
		}
		if guess {
			// Whatever went wrong, the next runs here read first.
			o.pause(&o.noGuesses, workspaceID, time.Now())
		}
		if !retryInTx(err) {
			return err
		}
		o.fellBack.Add(1)
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

// guard is a check the final statement of an optimistic run makes: a
// boolean SQL expression that raises when the run's guess was wrong.
type guard struct {
	expr string
	args []any
}

// guessNewPerson guesses, in a run that may, that nobody has email and that
// the workspace has not verified emailDomain ("" for not asked), and has
// the final statement check it; it reports whether it guessed.
func (t *tx) guessNewPerson(workspaceID, email, emailDomain string) bool {
	if !t.guessing {
		return false
	}
	t.guards = append(t.guards, guard{expr: `roster_assert_guess(?, ?, ?)`, args: []any{workspaceID, email, emailDomain}})
	return true
}

// commitOptimistic writes an optimistic run's held-back inserts and events
// in one statement, which also checks that the workspace has no active
// webhooks and that the run's guesses hold.
func (t *tx) commitOptimistic() error {
	evs := t.events
	if len(evs) == 0 {
		if len(t.guards) > 0 {
			return errNeedsTx // no statement to check them in
		}
		return t.flushDeferred()
	}
	if len(evs) > eventsPerInsert || !oneWorkspace(evs) {
		return errNeedsTx
	}
	// The checks form an uncorrelated subquery: evaluated once, not per
	// event row.
	checks := `roster_assert_no_webhooks(?)`
	args := []any{evs[0].WorkspaceID}
	for _, g := range t.guards {
		checks += ` AND ` + g.expr
		args = append(args, g.args...)
	}
	var ids []int64
	err := t.selectWithEvents(&ids, evs, `SELECT id FROM e WHERE (SELECT `+checks+`)`, args...)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == webhookGuardCode:
		return errHasWebhooks
	case errors.As(err, &pqErr) && pqErr.Code == guessGuardCode:
		return errWrongGuess
	case err != nil:
		return err
	}
	t.events = nil
	return setEventIDs(evs, ids)
}
