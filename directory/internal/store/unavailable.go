package store

import (
	"errors"

	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// ErrUnavailable means the database could not be reached: the connection
// was refused or cut, or the server is shutting down or starting up. The
// request may well succeed when retried, so doors answer 503 with
// Retry-After instead of 500, and an IdP backs off instead of recording a
// failure.
var ErrUnavailable = errors.New("the database is unavailable")

// unavailableError is a connection-level failure: it is ErrUnavailable
// and still its cause, so errors.Is sees both.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return ErrUnavailable.Error() + ": " + e.err.Error() }

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// Unavailable marks err as ErrUnavailable when it is a connection-level
// failure (sqldb.IsUnreachable says which), and returns every other error
// as it is. The directory calls it where its operations meet the
// database (transactions, single statements), so doors map one sentinel
// and never look at driver errors.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !sqldb.IsUnreachable(err) {
		return err
	}
	return &unavailableError{err: err}
}
