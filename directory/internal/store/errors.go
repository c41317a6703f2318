package store

import (
	"errors"
	"fmt"
)

// Sentinel errors that front doors map to their wire formats (SCIM Error,
// problem+json, an HTML page). Operations wrap them with context, so test
// with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrForbidden       = errors.New("not permitted")
	ErrInvalid         = errors.New("invalid input")
	ErrSeatLimit       = errors.New("seat limit reached")
	ErrLastOwner       = errors.New("a workspace must keep at least one owner")
	ErrExternalProfile = errors.New("the profile of an external member belongs to their home workspace")
	ErrExpired         = errors.New("expired")
	ErrUsed            = errors.New("already used")
	ErrRevoked         = errors.New("revoked")
	ErrEmailMismatch   = errors.New("the signed-in email does not match the invitation")
	ErrRejected        = errors.New("a previous request to join was rejected")
	ErrSuspended       = errors.New("membership is suspended")
	ErrPrecondition    = errors.New("version mismatch")
)

// Invalidf wraps ErrInvalid with a message a person can act on.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// SeatLimitError says which limit refused a grant, so front doors can put
// the number in their answer (SCIM 403 detail, problem+json).
type SeatLimitError struct {
	Limit int
	Used  int
}

func (e *SeatLimitError) Error() string {
	return fmt.Sprintf("seat limit reached: %d of %d seats in use", e.Used, e.Limit)
}

// Unwrap makes errors.Is(err, ErrSeatLimit) true.
func (e *SeatLimitError) Unwrap() error { return ErrSeatLimit }
