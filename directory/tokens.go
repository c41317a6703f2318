package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"

	"github.com/google/uuid"
)

// newID returns a time-ordered UUIDv7, so ordering by id is ordering by
// creation and cursors stay stable.
func newID() string {
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

// byToken loads into row the row of table (invitations or join_links)
// that a link token names, locked for the rest of the transaction when
// lock is set. The token is the capability, kept as its hash; an unknown
// token is ErrNotFound for what.
func (t *tx) byToken(row any, table, columns, what, token string, lock bool) error {
	q := `SELECT ` + columns + ` FROM ` + table + ` WHERE token_hash = ?`
	if lock {
		q += t.forUpdate()
	}
	if err := t.get(row, q, HashToken(token)); err != nil {
		return notFound(err, what)
	}
	return nil
}

// linkTarget is the workspace a link leads to and the role it grants, as
// the link's page shows them: a role deleted since shows as its key.
func (t *tx) linkTarget(workspaceID, roleKey string) (*workspaceRow, Role, error) {
	ws, err := t.workspace(workspaceID)
	if err != nil {
		return nil, Role{}, err
	}
	role, err := t.role(ws.ID, roleKey)
	if err != nil {
		role = Role{Key: roleKey, Name: roleKey}
	}
	return ws, role, nil
}

type netResolver struct{}

func (netResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return net.DefaultResolver.LookupTXT(ctx, name)
}
