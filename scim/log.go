package scim

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/directory"
)

// recorder writes the request log off the request path: entries are
// queued and inserted in batches, so logging costs a request nothing but a
// channel send. A full queue drops entries (and counts them) rather than
// slow down provisioning; a crash loses at most one flush interval.
type recorder struct {
	dir     *directory.Directory
	log     *slog.Logger
	ch      chan directory.SCIMRequest
	flushCh chan chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Int64
}

const (
	recorderQueue = 4096
	recorderBatch = 500
)

func newRecorder(d *directory.Directory, log *slog.Logger, flushEvery, pruneEvery time.Duration) *recorder {
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	if pruneEvery <= 0 {
		pruneEvery = time.Hour
	}
	r := &recorder{dir: d, log: log, ch: make(chan directory.SCIMRequest, recorderQueue), flushCh: make(chan chan struct{}), done: make(chan struct{})}
	go r.run(flushEvery, pruneEvery)
	return r
}

// add queues an entry.
func (r *recorder) add(e directory.SCIMRequest) {
	select {
	case r.ch <- e:
	default:
		if r.dropped.Add(1)%1000 == 1 {
			r.log.Warn("SCIM request log queue full; entries dropped", "dropped", r.dropped.Load())
		}
	}
}

// flush writes everything queued so far and returns when it is stored.
func (r *recorder) flush() {
	ack := make(chan struct{})
	select {
	case r.flushCh <- ack:
		<-ack
	case <-r.done:
	}
}

// close flushes and stops the writer.
func (r *recorder) close() {
	r.once.Do(func() {
		ack := make(chan struct{})
		r.flushCh <- ack
		<-ack
		close(r.done)
	})
}

func (r *recorder) run(flushEvery, pruneEvery time.Duration) {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	batch := make([]directory.SCIMRequest, 0, recorderBatch)
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := r.dir.RecordSCIMRequests(ctx, batch); err != nil {
			r.log.Error("write SCIM request log", "entries", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	drain := func() {
		for {
			select {
			case e := <-r.ch:
				batch = append(batch, e)
				if len(batch) >= recorderBatch {
					write()
				}
			default:
				return
			}
		}
	}
	for {
		select {
		case e := <-r.ch:
			batch = append(batch, e)
			if len(batch) >= recorderBatch {
				write()
			}
		case <-tick.C:
			write()
		case ack := <-r.flushCh:
			drain()
			write()
			close(ack)
		case <-prune.C:
			write()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			if n, err := r.dir.PruneSCIMRequests(ctx); err != nil {
				r.log.Error("prune SCIM request log", "err", err)
			} else if n > 0 {
				r.log.Info("pruned SCIM request log", "entries", n)
			}
			cancel()
		case <-r.done:
			return
		}
	}
}

// FlushLog writes the queued request-log entries now (tests, shutdown).
func (h *Handler) FlushLog() { h.rec.flush() }
