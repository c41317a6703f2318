package scim

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/directory"
)

// recorder writes the request log off the request path: entries are
// queued and inserted in batches, so logging costs a request nothing but a
// channel send. What it cannot write yet (the database is unreachable) it
// keeps, up to a bound, and writes once the database is back; an entry
// the database refuses costs only itself (directory.WriteSCIMRequests).
// Entries that find no room (a full queue, a backlog over its bound, or
// still unwritten at shutdown) are dropped: provisioning never waits for
// its log. Drops are counted (LogStats) and logged once per flush
// interval with their number.
type recorder struct {
	dir     *directory.Directory
	log     *slog.Logger
	ch      chan directory.SCIMRequest
	flushCh chan chan struct{}
	stopCh  chan chan struct{}
	done    chan struct{}
	once    sync.Once
	backlog int

	written  atomic.Int64
	dropped  atomic.Int64
	rejected atomic.Int64
}

// LogStats counts what became of the request-log entries of a Handler
// since it started, for metrics.
type LogStats struct {
	// Written entries are stored.
	Written int64
	// Dropped entries found no room: the queue was full, the backlog
	// kept during a database outage was over its bound, or they were
	// still unwritten when the handler closed.
	Dropped int64
	// Rejected entries were refused by the database (their connection
	// was deleted meanwhile).
	Rejected int64
}

const (
	recorderQueue = 4096
	recorderBatch = 500
	// recorderBacklog bounds the entries held while the database is
	// unreachable: a few minutes of a busy replica's traffic, a few MiB.
	recorderBacklog = 20000
)

func newRecorder(d *directory.Directory, log *slog.Logger, flushEvery, pruneEvery time.Duration) *recorder {
	return newRecorderBounded(d, log, flushEvery, pruneEvery, recorderBacklog)
}

// newRecorderBounded is newRecorder holding at most backlog entries.
func newRecorderBounded(d *directory.Directory, log *slog.Logger, flushEvery, pruneEvery time.Duration, backlog int) *recorder {
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	if pruneEvery <= 0 {
		pruneEvery = time.Hour
	}
	r := &recorder{dir: d, log: log, ch: make(chan directory.SCIMRequest, recorderQueue), flushCh: make(chan chan struct{}), stopCh: make(chan chan struct{}), done: make(chan struct{}), backlog: backlog}
	go r.run(flushEvery, pruneEvery)
	return r
}

// add queues an entry.
func (r *recorder) add(e directory.SCIMRequest) {
	select {
	case r.ch <- e:
	default:
		r.dropped.Add(1)
	}
}

// stats reads the counters.
func (r *recorder) stats() LogStats {
	return LogStats{Written: r.written.Load(), Dropped: r.dropped.Load(), Rejected: r.rejected.Load()}
}

// flush writes everything queued so far and returns when it is stored,
// or when the database could not be reached (the entries stay held).
func (r *recorder) flush() {
	ack := make(chan struct{})
	select {
	case r.flushCh <- ack:
		<-ack
	case <-r.done:
	}
}

// close flushes and stops the writer; what could not be written is
// dropped, and counted.
func (r *recorder) close() {
	r.once.Do(func() {
		ack := make(chan struct{})
		r.stopCh <- ack
		<-ack
		close(r.done)
	})
}

func (r *recorder) run(flushEvery, pruneEvery time.Duration) {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	var (
		pending  []directory.SCIMRequest
		outage   bool  // the last write found the database unreachable
		reported int64 // drops already logged
	)
	keep := func(e directory.SCIMRequest) {
		if len(pending) >= r.backlog {
			r.dropped.Add(1)
			return
		}
		pending = append(pending, e)
	}
	write := func() {
		if len(pending) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		done, rejected, err := r.dir.WriteSCIMRequests(ctx, pending)
		cancel()
		r.written.Add(int64(done - rejected))
		r.rejected.Add(int64(rejected))
		pending = append(pending[:0], pending[done:]...)
		switch {
		case err != nil && !outage:
			outage = true
			level := slog.LevelWarn
			if !errors.Is(err, directory.ErrUnavailable) {
				level = slog.LevelError
			}
			r.log.Log(context.Background(), level, "SCIM request log: cannot write; holding entries to retry", "held", len(pending), "max_held", r.backlog, "err", err)
		case err == nil && outage:
			outage = false
			r.log.Info("SCIM request log: writing again")
		}
	}
	report := func() {
		if n := r.dropped.Load(); n > reported {
			r.log.Warn("SCIM request log entries dropped", "dropped", n-reported, "dropped_total", n)
			reported = n
		}
	}
	drain := func() {
		for {
			select {
			case e := <-r.ch:
				keep(e)
			default:
				return
			}
		}
	}
	for {
		select {
		case e := <-r.ch:
			keep(e)
			// During an outage the ticker paces the retries.
			if len(pending) >= recorderBatch && !outage {
				write()
			}
		case <-tick.C:
			write()
			report()
		case ack := <-r.flushCh:
			drain()
			write()
			report()
			close(ack)
		case ack := <-r.stopCh:
			drain()
			write()
			r.dropped.Add(int64(len(pending)))
			report()
			close(ack)
			return
		case <-prune.C:
			write()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			if n, err := r.dir.PruneSCIMRequests(ctx); err != nil {
				r.log.Error("prune SCIM request log", "err", err)
			} else if n > 0 {
				r.log.Info("pruned SCIM request log", "entries", n)
			}
			cancel()
		}
	}
}

// FlushLog writes the queued request-log entries now (tests, shutdown).
func (h *Handler) FlushLog() { h.rec.flush() }

// LogStats counts the request-log entries written, dropped and rejected
// since the handler started.
func (h *Handler) LogStats() LogStats { return h.rec.stats() }
