package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/google/uuid"
)

// NewID returns a time-ordered UUIDv7, so ordering by id is ordering by
// creation and cursors stay stable.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// NewToken returns a 256-bit random token, URL-safe, and its storage hash.
// The token is shown once; only the hash is kept.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token. Tokens carry 256 bits of
// entropy, so a plain SHA-256 is enough (no salt or stretching needed), and
// lookups by hash are exact-match index scans rather than comparisons of
// secrets.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ByToken loads into row the row of table (invitations or join_links)
// that a link token names, locked for the rest of the transaction when
// lock is set. The token is the capability, kept as its hash; an unknown
// token is ErrNotFound for what.
func (t *Tx) ByToken(row any, table, columns, what, token string, lock bool) error {
	q := `SELECT ` + columns + ` FROM ` + table + ` WHERE token_hash = ?`
	if lock {
		q += t.ForUpdate()
	}
	if err := t.GetOne(row, q, HashToken(token)); err != nil {
		return NotFound(err, what)
	}
	return nil
}
