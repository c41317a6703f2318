package sqldb

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/lib/pq"
)

// Transactions PostgreSQL aborts to let others proceed (a deadlock it
// broke, SQLSTATE 40P01, or a serialization failure, 40001) did nothing
// and may succeed when run again: the directory runs them again here, a
// bounded number of times, so a client never sees an error that only
// says two requests met. The directory takes its locks in one order
// where it knows the order (directory/users.go, lockAddress), so this is
// the net under what it cannot order. SQLite runs one writer at a time
// and never aborts a transaction this way.

// maxAttempts bounds the runs of one transaction; firstBackoff is the
// pause before the second, doubled before each next, with jitter so that
// the two sides of a deadlock do not meet again at once.
const (
	maxAttempts  = 5
	firstBackoff = 5 * time.Millisecond
)

// Retryable reports whether err is PostgreSQL aborting a transaction that
// may succeed if run again: a deadlock (40P01) or a serialization failure
// (40001). It reads the error's code, never its text.
func Retryable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	return pqErr.Code == "40P01" || pqErr.Code == "40001"
}

// Retry runs attempt, a whole transaction, again while it fails
// Retryable, at most maxAttempts times in all, and returns its last
// error. It gives up early when ctx ends.
func Retry(ctx context.Context, attempt func() error) error {
	backoff := firstBackoff
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n == maxAttempts || !Retryable(err) {
			return err
		}
		pause := backoff/2 + rand.N(backoff)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		backoff *= 2
	}
}
