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
		return fieldError(field, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return fieldError(field, "%s contains a NUL character (U+0000), which cannot be stored", field)
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

// checkJSONValue applies CheckText to every string of a JSON value kept
// as it was sent (a SCIM resource's attributes), object keys included,
// strings at most MaxTextLength characters and arrays at most MaxValues
// long; field names the value ("emails[2].type") in a refusal.
func checkJSONValue(field string, v any) error {
	switch x := v.(type) {
	case string:
		return CheckText(field, x, MaxTextLength)
	case []any:
		if len(x) > MaxValues {
			return fieldError(field, "%s must have at most %d values (it has %d)", field, MaxValues, len(x))
		}
		for i, el := range x {
			if err := checkJSONValue(fmt.Sprintf("%s[%d]", field, i), el); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			name := k
			if field != "" {
				name = field + "." + k
			}
			if err := CheckText(name, k, MaxProfileKeyLength); err != nil {
				return err
			}
			if err := checkJSONValue(name, x[k]); err != nil {
				return err
			}
		}
	}
	return nil
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

func fieldError(field, format string, args ...any) *FieldError {
	return &FieldError{Invitee: -1, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// checkLength refuses a value longer than limit characters, or one that
// cannot be stored (CheckText).
func checkLength(field, value string, limit int) error {
	if !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return CheckText(field, value, 0)
	}
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
		if err := CheckText("profile", k, 0); err != nil {
			return err
		}
		if err := CheckText("profile", profile[k], 0); err != nil {
			return err
		}
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

// checkSCIMUser applies the field limits to what a SCIM client sends for
// a user: userName and externalId up to MaxIdentifierLength, the person's
// name and language as checkPerson says, and every string kept in the
// resource (CheckText, MaxTextLength, MaxValues).
func checkSCIMUser(in *SCIMUserInput) error {
	if err := CheckText("userName", in.UserName, MaxIdentifierLength); err != nil {
		return err
	}
	if in.ExternalID != nil {
		if err := CheckText("externalId", *in.ExternalID, MaxIdentifierLength); err != nil {
			return err
		}
	}
	// The attributes first: a refusal names the attribute as sent rather
	// than the name or language derived from it.
	if err := checkJSONValue("", in.Attrs); err != nil {
		return err
	}
	if err := checkPerson(in.Name, "", in.Locale); err != nil {
		return err
	}
	if len(in.Emails) > MaxValues {
		return fieldError("emails", "emails must have at most %d values (it has %d)", MaxValues, len(in.Emails))
	}
	for i, e := range in.Emails {
		for _, f := range []struct{ name, value string }{{"value", e.Value}, {"type", e.Type}, {"display", e.Display}} {
			if err := CheckText(fmt.Sprintf("emails[%d].%s", i, f.name), f.value, MaxTextLength); err != nil {
				return err
			}
		}
	}
	return CheckText("email", in.Email, 0)
}

// checkSCIMGroup applies the field limits to a group's name, externalId
// and member references (ids and displays), whether created or changed.
func checkSCIMGroup(displayName, externalID *string, members []SCIMMemberRef) error {
	if displayName != nil {
		if err := CheckText("displayName", *displayName, MaxNameLength); err != nil {
			return err
		}
	}
	if externalID != nil {
		if err := CheckText("externalId", *externalID, MaxIdentifierLength); err != nil {
			return err
		}
	}
	for i, m := range members {
		if err := CheckText(fmt.Sprintf("members[%d].value", i), m.Value, MaxIdentifierLength); err != nil {
			return err
		}
		if err := CheckText(fmt.Sprintf("members[%d].display", i), m.Display, MaxNameLength); err != nil {
			return err
		}
	}
	return nil
}

// storable is a verified identity as the directory keeps it: the name and
// language an identity provider asserted are fitted to the limits
// (FitText) rather than refused, since the person cannot correct them at
// the provider from here.
func (id VerifiedIdentity) storable() VerifiedIdentity {
	id.Name = FitText(id.Name, MaxNameLength)
	id.Locale = FitText(id.Locale, MaxLocaleLength)
	return id
}

// storable checks a sign-in's claims: the name and language are fitted
// (VerifiedIdentity.storable); the claims that identify (issuer, subject,
// email, tenant, external ids) must be storable as sent, or the sign-in
// is refused with ErrInvalid: changing them would identify someone else.
func (r SignInRequest) storable() (SignInRequest, error) {
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

// checkCells applies CheckText to every cell of an import row: a role or
// team cell is looked up by name, and other cells are stored.
func checkCells(rec []string) error {
	for i, v := range rec {
		if err := CheckText(fmt.Sprintf("column %d", i+1), v, 0); err != nil {
			return err
		}
	}
	return nil
}
