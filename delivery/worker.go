// Package delivery sends what the directory's outbox holds: emails today,
// webhooks through the same worker. A Worker claims due messages with a
// lease, hands each to the Handler registered for its kind, and records the
// outcome, retrying with backoff. It decides nothing about what is sent
// (directory does) and renders nothing itself (email does).
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/telemetry"
)

// Handler delivers one outbox message. On success it returns the payload
// to keep in the database instead of the original (nil keeps it as it
// is), so one-time tokens do not outlive the delivery. An error means the
// message was not delivered: it is retried with backoff unless the error
// is Permanent; a redacted payload returned with the error replaces the
// original once the message is given up for good.
type Handler func(ctx context.Context, m directory.OutboxMessage) (redacted any, err error)

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a payload that does not
// decode, a template that does not render, an endpoint that is gone): the
// message is marked failed at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Defaults for Options. A message claimed by a replica that dies is sent
// by another at most DefaultLease + DefaultInterval after the dead one's
// last heartbeat.
const (
	DefaultInterval    = 2 * time.Second
	DefaultBatch       = 10
	DefaultLease       = time.Minute
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 10
)

// Backoff bounds: the n-th failed attempt waits about baseDelay·2^(n-1),
// never more than maxDelay. Ten attempts span about three hours, long
// enough to ride out a mail relay's maintenance window.
const (
	baseDelay = 30 * time.Second
	maxDelay  = time.Hour
)

// Options configure a Worker. The zero value is usable.
type Options struct {
	// Interval is how often the outbox is polled when it is idle.
	Interval time.Duration
	// Batch is how many messages of a kind are claimed at once.
	Batch int
	// Lease is how long a claimed message is withheld from other
	// replicas: the worker extends it every Heartbeat while the message
	// waits or is being sent, so it runs out only when the worker is gone
	// (crashed, killed, cut off from the database). It bounds how late a
	// message claimed by a dead replica is sent: Lease + Interval.
	Lease time.Duration
	// Heartbeat is how often the lease on unsent messages of a batch is
	// extended; default Lease/3, so two heartbeats can fail before the
	// lease runs out.
	Heartbeat time.Duration
	// Timeout bounds one delivery attempt, and is kept below Lease (at
	// most Lease/2), so that even without heartbeats an attempt ends
	// before its lease does. Transports' own timeouts (SMTP, webhooks)
	// are cut off by it.
	Timeout time.Duration
	// MaxAttempts is how many attempts a message gets before it is marked
	// failed.
	MaxAttempts int
	// Now is the clock retries are scheduled on; it must be the
	// Directory's clock (Options.Now there), default time.Now.
	Now func() time.Time
	// Logger receives one line per delivery outcome; default slog.Default().
	Logger *slog.Logger
	// Metrics counts delivery outcomes and retries; nil counts nothing.
	Metrics *telemetry.Metrics
}

// Worker delivers outbox messages through the Handlers registered per
// kind. Several Workers, in one process or in several replicas, may run
// against the same database: ClaimOutbox leases each message to one of
// them at a time, and a heartbeat keeps the lease while the worker lives.
// Delivery is at least once: a message whose worker dies after sending
// but before recording it is sent again by another when the lease runs
// out, and so is one whose completion could not be recorded; emails keep
// their Message-ID and webhooks their Roster-Event-Id, so receivers drop
// the copy.
type Worker struct {
	d        *directory.Directory
	opts     Options
	handlers map[string]Handler
	kinds    []string
}

// NewWorker returns a Worker over d with no handlers; register them with
// Handle before Run.
func NewWorker(d *directory.Directory, opts Options) *Worker {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Heartbeat <= 0 || opts.Heartbeat >= opts.Lease {
		opts.Heartbeat = opts.Lease / 3
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	opts.Timeout = min(opts.Timeout, opts.Lease/2)
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Worker{d: d, opts: opts, handlers: map[string]Handler{}}
}

// Handle registers h for outbox messages of kind (directory.OutboxEmail,
// directory.OutboxWebhook). Messages of kinds with no handler stay pending
// untouched. It panics on a second handler for the same kind, a wiring
// mistake.
func (w *Worker) Handle(kind string, h Handler) {
	if _, dup := w.handlers[kind]; dup {
		panic(fmt.Sprintf("delivery: a handler for %q is already registered", kind))
	}
	w.handlers[kind] = h
	w.kinds = append(w.kinds, kind)
	slices.Sort(w.kinds)
}

// Run delivers due messages every Interval until ctx is cancelled, and then
// returns nil. A database outage is logged and retried on the next tick,
// never fatal: the messages wait in the outbox.
func (w *Worker) Run(ctx context.Context) error {
	w.opts.Logger.Info("outbox worker started", "kinds", w.kinds, "interval", w.opts.Interval.String())
	tick := time.NewTicker(w.opts.Interval)
	defer tick.Stop()
	for {
		if _, err := w.Drain(ctx); err != nil && ctx.Err() == nil {
			w.opts.Logger.Error("outbox worker", "err", err)
		}
		select {
		case <-ctx.Done():
			w.opts.Logger.Info("outbox worker stopped")
			return nil
		case <-tick.C:
		}
	}
}

// Drain delivers every message that is due now, batch after batch, and
// returns how many it attempted. Run calls it on each tick; tests call it
// to deliver without waiting.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for _, kind := range w.kinds {
		for ctx.Err() == nil {
			msgs, err := w.d.ClaimOutbox(ctx, kind, w.opts.Batch, w.opts.Lease)
			if err != nil {
				errs = append(errs, fmt.Errorf("claim %s messages: %w", kind, err))
				break
			}
			hb := w.heartbeat(ctx, msgs)
			for _, m := range msgs {
				if ctx.Err() != nil {
					// Unstarted messages of the batch go back to others
					// when the lease runs out.
					break
				}
				if !hb.take(m.ID) {
					// The lease ran out (the database was unreachable for
					// longer than it) and another worker has it now.
					continue
				}
				w.deliver(ctx, w.handlers[kind], m, hb)
				n++
			}
			hb.stop()
			if len(msgs) < w.opts.Batch {
				break
			}
		}
	}
	return n, errors.Join(errs...)
}

// heartbeat extends the lease on the messages of a claimed batch that are
// not delivered yet, every Heartbeat until stop. A message whose lease was
// lost is not delivered by this worker.
type heartbeat struct {
	mu   sync.Mutex
	held map[int64]directory.OutboxMessage
	lost map[int64]bool
	quit chan struct{}
	wg   sync.WaitGroup
}

func (w *Worker) heartbeat(ctx context.Context, msgs []directory.OutboxMessage) *heartbeat {
	hb := &heartbeat{held: map[int64]directory.OutboxMessage{}, lost: map[int64]bool{}, quit: make(chan struct{})}
	for _, m := range msgs {
		hb.held[m.ID] = m
	}
	if len(msgs) == 0 {
		return hb
	}
	hb.wg.Add(1)
	go func() {
		defer hb.wg.Done()
		tick := time.NewTicker(w.opts.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-hb.quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// The lock is held across the update, so a message whose
			// outcome is being recorded (done) is never extended after
			// it: that would postpone its retry.
			hb.mu.Lock()
			held := make([]directory.OutboxMessage, 0, len(hb.held))
			for _, m := range hb.held {
				held = append(held, m)
			}
			lost, err := w.d.ExtendOutboxLease(ctx, held, w.opts.Lease)
			if err != nil && ctx.Err() == nil {
				w.opts.Logger.Warn("outbox heartbeat failed; the lease runs out unless a later one succeeds", "messages", len(held), "err", err)
			}
			for _, id := range lost {
				if _, ok := hb.held[id]; ok {
					// Still held means not yet started: leave it to the
					// worker that has it now.
					hb.lost[id] = true
					delete(hb.held, id)
				}
			}
			hb.mu.Unlock()
		}
	}()
	return hb
}

// take reports whether the message is still this worker's to deliver.
func (hb *heartbeat) take(id int64) bool {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return !hb.lost[id]
}

// done stops extending the lease on a message, before its outcome is
// recorded.
func (hb *heartbeat) done(id int64) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	delete(hb.held, id)
}

func (hb *heartbeat) stop() {
	close(hb.quit)
	hb.wg.Wait()
}

// deliver runs the handler on one claimed message and records the outcome.
func (w *Worker) deliver(ctx context.Context, h Handler, m directory.OutboxMessage, hb *heartbeat) {
	log := w.opts.Logger.With("outbox_id", m.ID, "kind", m.Kind, "workspace_id", m.WorkspaceID, "attempt", m.Attempts)
	hctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	redacted, err := h(hctx, m)
	cancel()
	hb.done(m.ID)
	// The outcome is recorded even when ctx was cancelled mid-way (a
	// shutdown), so a sent message is not sent again by the next replica.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err == nil {
		if err := w.d.CompleteOutbox(rctx, m.ID, redacted); err != nil {
			log.Error("delivered, but could not record it; it will be delivered again when its lease ends", "err", err)
			return
		}
		w.opts.Metrics.Delivery(m.Kind, "delivered", m.Attempts)
		log.Info("outbox message delivered")
		return
	}
	final := IsPermanent(err) || m.Attempts >= w.opts.MaxAttempts
	retryAt := w.opts.Now().Add(backoff(m.Attempts, rand.Float64))
	if ctx.Err() != nil && !IsPermanent(err) {
		// Cut off by a shutdown, not by the message or its recipient:
		// hand it straight back to whichever replica is still running.
		final, retryAt = false, w.opts.Now()
	}
	if ferr := w.d.FailOutbox(rctx, m.ID, err.Error(), retryAt, final, redacted); ferr != nil {
		log.Error("delivery failed, and could not record it; it is retried when its lease ends", "err", err, "record_err", ferr)
		return
	}
	if final {
		w.opts.Metrics.Delivery(m.Kind, "failed", m.Attempts)
		log.Error("delivery failed for good", "err", err, "permanent", IsPermanent(err))
		return
	}
	w.opts.Metrics.Delivery(m.Kind, "retry", m.Attempts)
	log.Warn("delivery failed; will retry", "err", err, "retry_at", retryAt)
}

// backoff is the wait after the attempt-th failed attempt: baseDelay·
// 2^(attempt-1) capped at maxDelay, jittered down by up to half (rnd
// returns [0,1)) so replicas that failed together do not retry together.
func backoff(attempt int, rnd func() float64) time.Duration {
	d := maxDelay
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 20 { // beyond that the shift overflows long after the cap
		if e := baseDelay << (attempt - 1); e < maxDelay {
			d = e
		}
	}
	return d/2 + time.Duration(rnd()*float64(d/2))
}
