package sqldb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// deadlock makes two transactions on db wait for each other's row and
// returns the error of the one PostgreSQL aborted.
func deadlock(t *testing.T, db *DB) error {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS locks (id INT PRIMARY KEY); INSERT INTO locks VALUES (1), (2) ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var first sync.WaitGroup
	first.Add(2)
	errs := make([]error, 2)
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Go(func() {
			errs[i] = func() error {
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				// Detect it sooner than the default second, where the
				// role may change the setting; the test holds either way.
				tx.ExecContext(ctx, `SAVEPOINT s`)
				if _, err := tx.ExecContext(ctx, `SET LOCAL deadlock_timeout = '50ms'`); err != nil {
					tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT s`)
				}
				_, err = tx.ExecContext(ctx, `UPDATE locks SET id = id WHERE id = $1`, order[0])
				first.Done()
				if err != nil {
					return err
				}
				first.Wait() // both hold their first row
				if _, err := tx.ExecContext(ctx, `UPDATE locks SET id = id WHERE id = $1`, order[1]); err != nil {
					return err
				}
				return tx.Commit()
			}()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	t.Fatal("no transaction was aborted")
	return nil
}

// A deadlock PostgreSQL broke is retryable, by its code; other errors are
// not, and Retry runs a transaction again only for the first.
func TestRetryDeadlock(t *testing.T) {
	base := os.Getenv("ROSTER_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("ROSTER_TEST_DATABASE_URL is not set: PostgreSQL only")
	}
	db := openPostgres(t, base)
	err := deadlock(t, db)
	if !Retryable(err) || !Retryable(fmt.Errorf("wrapped: %w", err)) {
		t.Fatalf("a deadlock is not retryable: %v", err)
	}
	if Retryable(errors.New("deadlock detected (40P01)")) || Retryable(nil) {
		t.Error("an error without PostgreSQL's code is retryable")
	}

	ctx := context.Background()
	runs := 0
	if err := Retry(ctx, func() error {
		runs++
		if runs < 3 {
			return deadlock(t, db)
		}
		return nil
	}); err != nil || runs != 3 {
		t.Errorf("deadlocked twice, then fine: %v after %d runs, want nil after 3", err, runs)
	}
	runs = 0
	if err := Retry(ctx, func() error { runs++; return deadlock(t, db) }); !Retryable(err) || runs != maxAttempts {
		t.Errorf("always deadlocked: %v after %d runs, want the deadlock after %d", err, runs, maxAttempts)
	}
	runs = 0
	other := errors.New("not a deadlock")
	if err := Retry(ctx, func() error { runs++; return other }); err != other || runs != 1 {
		t.Errorf("another error: %v after %d runs, want it after 1", err, runs)
	}
}
