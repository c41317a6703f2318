package store

import (
	"fmt"
)

// revokeSessions ends every session of a user. Suspending or removing a
// membership calls it in the same transaction, so the person is signed out
// at once on every replica.
func (t *Tx) revokeSessions(userID string) error {
	if _, err := t.Execute(`DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}
