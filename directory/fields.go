package directory

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of a person's details, in characters (Unicode code points: what
// people type, not bytes), counted after trimming. They are the same
// whichever way the details arrive: an invitation (one or many), an
// import file, a profile change, onboarding.
const (
	MaxNameLength         = 200
	MaxPhoneLength        = 50
	MaxLocaleLength       = 35
	MaxProfileEntries     = 50
	MaxProfileKeyLength   = 100
	MaxProfileValueLength = 1000
)

// FieldError is ErrInvalid about one field of a request, so that a front
// door can point at the field (a JSON pointer, a form field, a file's
// column). Field is the field's name as directory's request calls it
// ("name", "phone", "locale", "profile", "kind"); Detail says what is
// wrong, as a sentence that names the field, for people. Invitee is the
// index in InviteRequest.Invitees of the person the error is about, or -1.
type FieldError struct {
	Invitee int
	Field   string
	Detail  string
}

func (e *FieldError) Error() string {
	if e.Invitee >= 0 {
		return fmt.Sprintf("%s: invitee %d: %s", ErrInvalid, e.Invitee+1, e.Detail)
	}
	return ErrInvalid.Error() + ": " + e.Detail
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldError(field, format string, args ...any) *FieldError {
	return &FieldError{Invitee: -1, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// checkLength refuses a value longer than limit characters.
func checkLength(field, value string, limit int) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(value)); n > limit {
		return fieldError(field, "%s must be at most %d characters (it has %d)", field, limit, n)
	}
	return nil
}

// checkPerson applies the limits to a person's name, phone and language.
func checkPerson(name, phone, locale string) error {
	if err := checkLength("name", name, MaxNameLength); err != nil {
		return err
	}
	if err := checkLength("phone", phone, MaxPhoneLength); err != nil {
		return err
	}
	return checkLength("locale", locale, MaxLocaleLength)
}

// checkInvitee applies the limits to one invitee's details: name, phone
// and the extra profile entries (an import's other columns). index is the
// invitee's place in InviteRequest.Invitees, -1 for none.
func checkInvitee(index int, inv Invitee) error {
	err := checkPerson(inv.Name, inv.Phone, "")
	if err == nil {
		err = checkProfile(inv.Profile)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.Invitee = index
	}
	return err
}

func checkProfile(profile map[string]string) error {
	if len(profile) > MaxProfileEntries {
		return fieldError("profile", "profile must have at most %d entries (it has %d)", MaxProfileEntries, len(profile))
	}
	for _, k := range slices.Sorted(maps.Keys(profile)) {
		if n := utf8.RuneCountInString(k); n > MaxProfileKeyLength {
			return fieldError("profile", "profile entry names must be at most %d characters (%.40q… has %d)", MaxProfileKeyLength, k, n)
		}
		if n := utf8.RuneCountInString(profile[k]); n > MaxProfileValueLength {
			return fieldError("profile", "%s must be at most %d characters (it has %d)", k, MaxProfileValueLength, n)
		}
	}
	return nil
}

// deref is *s, "" for nil (a field left alone is within every limit).
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
