package store

import (
	"fmt"
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
	// MaxTextLength bounds any other string a SCIM client may have kept
	// (title, an address, a department…), and MaxValues the values of a
	// multi-valued attribute (emails, addresses…) or of any array in a
	// SCIM resource.
	MaxTextLength = 4096
	MaxValues     = 100
	// MaxIdentifierLength bounds userName and externalId.
	MaxIdentifierLength = 512
)

// CheckText is the rule for every string Roster stores or looks up: valid
// UTF-8 without NUL, at most limit characters (no limit when limit is 0).
// PostgreSQL's text and jsonb cannot hold NUL (text refuses it; JSON text
// with a \u0000 escape is stored, then breaks every jsonb read of it) nor
// invalid UTF-8, and SQLite would keep both: refusing them here makes the
// two databases behave alike and keeps every stored value readable. A
// refusal is a *FieldError naming field; doors also apply it to input
// that only queries (a filter's value, an id in a path), so that none of
// it reaches SQL.
func CheckText(field, value string, limit int) error {
	if !utf8.ValidString(value) {
		return NewFieldError(field, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return NewFieldError(field, "%s contains a NUL character (U+0000), which cannot be stored", field)
	}
	if limit > 0 {
		return checkLength(field, value, limit)
	}
	return nil
}

// FitText makes s storable rather than refusing it, for values a person
// cannot correct at their source (an identity provider's name claim at
// sign-in): invalid UTF-8 and NUL are dropped, surrounding space trimmed,
// and the rest cut to limit characters.
func FitText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.TrimSpace(strings.ReplaceAll(s, "\x00", ""))
	if limit > 0 && utf8.RuneCountInString(s) > limit {
		s = strings.TrimSpace(string([]rune(s)[:limit]))
	}
	return s
}

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

func NewFieldError(field, format string, args ...any) *FieldError {
	return &FieldError{Invitee: -1, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// checkLength refuses a value longer than limit characters, or one that
// cannot be stored (CheckText).
func checkLength(field, value string, limit int) error {
	if !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return CheckText(field, value, 0)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(value)); n > limit {
		return NewFieldError(field, "%s must be at most %d characters (it has %d)", field, limit, n)
	}
	return nil
}

// CheckPerson applies the limits to a person's name, phone and language.
func CheckPerson(name, phone, locale string) error {
	if err := checkLength("name", name, MaxNameLength); err != nil {
		return err
	}
	if err := checkLength("phone", phone, MaxPhoneLength); err != nil {
		return err
	}
	return checkLength("locale", locale, MaxLocaleLength)
}

// Storable is a verified identity as the directory keeps it: the name and
// language an identity provider asserted are fitted to the limits
// (FitText) rather than refused, since the person cannot correct them at
// the provider from here.
func (id VerifiedIdentity) Storable() VerifiedIdentity {
	id.Name = FitText(id.Name, MaxNameLength)
	id.Locale = FitText(id.Locale, MaxLocaleLength)
	return id
}

// Storable checks a sign-in's claims: the name and language are fitted
// (VerifiedIdentity.storable); the claims that identify (issuer, subject,
// email, tenant, external ids) must be storable as sent, or the sign-in
// is refused with ErrInvalid: changing them would identify someone else.
func (r SignInRequest) Storable() (SignInRequest, error) {
	r.Name = FitText(r.Name, MaxNameLength)
	r.Locale = FitText(r.Locale, MaxLocaleLength)
	for _, c := range []struct{ name, value string }{
		{"issuer", r.Issuer}, {"subject", r.Subject}, {"email", r.Email}, {"tenant", r.TenantID},
		{"connection", r.Connection}, {"invitation", r.Invitation}, {"join link", r.JoinLink}, {"previous session", r.PreviousSession},
	} {
		if err := CheckText(c.name, c.value, MaxTextLength); err != nil {
			return r, err
		}
	}
	for _, x := range r.ExternalIDs {
		if err := CheckText("external id", x, MaxIdentifierLength); err != nil {
			return r, err
		}
	}
	return r, nil
}
