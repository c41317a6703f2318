package store

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
)

// NormalizeEmail trims and Unicode-lower-cases an address and rejects
// anything that is not a plain addr-spec (no display names, no spaces, a
// domain with a dot). The normalised form is the user's key across all
// workspaces; case folding happens here, in Go, because SQLite's lower() is
// ASCII only.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Invalidf("an email address is required")
	}
	if len(s) > 254 {
		return "", Invalidf("email address %q is too long", Truncate(s, 40))
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", Invalidf("%q is not a valid email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.ContainsAny(domain, "[]") {
		return "", Invalidf("%q is not a valid email address", s)
	}
	return FoldCase(s), nil
}

var folder = cases.Fold()

// FoldCase lower-cases for comparison (Unicode-aware).
func FoldCase(s string) string {
	return strings.ToLower(folder.String(s))
}

// EmailDomain returns the normalised domain of a normalised address.
func EmailDomain(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}

// NormalizePhone keeps a leading + and the digits, for lookups.
func NormalizePhone(raw string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		if r == '+' && i == 0 || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// GuessName turns the local part of an address into a name:
// jane.doe@x → Jane Doe, j_smith@x → J Smith.
func GuessName(email string) string {
	local := email
	if at := strings.IndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	for i, w := range words {
		if strings.IndexFunc(w, unicode.IsLetter) < 0 {
			words[i] = ""
			continue
		}
		r := []rune(w)
		words[i] = string(unicode.ToUpper(r[0])) + string(r[1:])
	}
	return strings.Join(strings.Fields(strings.Join(words, " ")), " ")
}

func Truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

type UserRow struct {
	ID              string    `db:"id"`
	Email           *string   `db:"email"`
	EmailNorm       *string   `db:"email_norm"`
	Name            string    `db:"name"`
	Phone           string    `db:"phone"`
	Locale          string    `db:"locale"`
	HomeWorkspaceID *string   `db:"home_workspace_id"`
	Profile         string    `db:"profile"`
	CreatedAt       time.Time `db:"created_at"`
	// fresh says createUser inserted the row in this transaction, so it
	// has no memberships yet.
	fresh bool
}

const UserColumns = `id, email, email_norm, name, phone, locale, home_workspace_id, profile, created_at`

// UserByEmail finds a user by normalised email; nil when there is none.
func (t *Tx) UserByEmail(email string) (*UserRow, error) {
	var u UserRow
	err := t.GetOne(&u, `SELECT `+UserColumns+` FROM users WHERE email_norm = ?`, email)
	if err != nil {
		if e := NotFound(err, "user"); IsNotFound(e) {
			return nil, nil
		}
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// CreateUser inserts a user whose home is homeWorkspaceID (none when empty).
func (t *Tx) CreateUser(email, name, phone, locale, homeWorkspaceID string, profile string) (*UserRow, error) {
	if profile == "" {
		profile = "{}"
	}
	// No home yet (""): someone who only asked to join; their first
	// membership makes it (ensureUser).
	var home *string
	if homeWorkspaceID != "" {
		home = &homeWorkspaceID
	}
	u := &UserRow{ID: NewID(), Name: name, Phone: phone, Locale: locale, HomeWorkspaceID: home, Profile: profile, CreatedAt: t.Now, fresh: true}
	if email != "" {
		u.Email, u.EmailNorm = &email, &email
	}
	_, err := t.Execute(`INSERT INTO users (id, email, email_norm, name, phone, phone_norm, locale, home_workspace_id, profile, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.EmailNorm, name, phone, NormalizePhone(phone), locale, home, profile, t.Now, t.Now)
	if t.Store.violates(err, "users_email_norm") {
		return nil, fmt.Errorf("create user: %w: a user with email %s already exists", ErrConflict, email)
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}
