package signin

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// DefaultSessionTTL is how long a browser session lasts when the sign-in
// does not say.
const DefaultSessionTTL = 12 * time.Hour

// Session is a signed-in browser. Sessions belong to a user, not to a
// workspace: pages of a workspace must still check the membership (see
// MyWorkspaces), and suspension or removal anywhere revokes them.
type Session struct {
	ID          string    `db:"id"`
	UserID      string    `db:"user_id"`
	Email       string    `db:"email"`
	Name        string    `db:"name"`
	WorkspaceID string    `db:"workspace_id"`
	CreatedAt   time.Time `db:"created_at"`
	ExpiresAt   time.Time `db:"expires_at"`
}

// createSession stores a new session for userID and returns its token,
// shown once (the cookie); only its hash is kept. previousToken, when set,
// is the session it replaces: rotating at sign-in means a token planted
// before sign-in is worthless after it.
func createSession(t *store.Tx, userID, identityID, workspaceID, previousToken string, ttl time.Duration) (token string, expires time.Time, err error) {
	if previousToken != "" {
		if _, err := t.Execute(`DELETE FROM sessions WHERE token_hash = ?`, store.HashToken(previousToken)); err != nil {
			return "", expires, fmt.Errorf("rotate session: %w", err)
		}
	}
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	token, hash := store.NewToken()
	expires = t.Now.Add(ttl)
	_, err = t.Execute(`INSERT INTO sessions (id, token_hash, user_id, identity_id, workspace_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), hash, userID, identityID, workspaceID, t.Now, expires, t.Now)
	if err != nil {
		return "", expires, fmt.Errorf("create session: %w", err)
	}
	// Expired sessions of anyone are swept here, a cheap bounded delete on
	// the write path, rather than by a separate job.
	if _, err := t.Execute(`DELETE FROM sessions WHERE expires_at < ?`, t.Now.Add(-time.Hour)); err != nil {
		return "", expires, fmt.Errorf("sweep sessions: %w", err)
	}
	return token, expires, nil
}

// SessionByToken returns the live session a cookie names. Unknown, revoked
// and expired tokens are ErrNotFound; the caller treats all three as
// signed out.
func (d *Signin) SessionByToken(ctx context.Context, token string) (Session, error) {
	var s Session
	if token == "" {
		return s, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		err := t.GetOne(&s, `SELECT s.id, s.user_id, COALESCE(u.email_norm, '') AS email, u.name, s.workspace_id, s.created_at, s.expires_at
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`, store.HashToken(token), t.Now)
		if err != nil {
			return store.NotFound(err, "session")
		}
		return nil
	})
	return s, err
}

// EndSession signs a browser out (logout); an unknown token is not an
// error.
func (d *Signin) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return d.InTx(ctx, store.System(), func(t *store.Tx) error {
		if _, err := t.Execute(`DELETE FROM sessions WHERE token_hash = ?`, store.HashToken(token)); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return nil
	})
}
