package provision

import "github.com/rosterhq/roster/directory/internal/store"

// lockAddress holds a lock on a normalised email address until the
// transaction ends, before deciding whether someone has it: two operations
// that could both give the address to a person (two SCIM creates, a
// create and a PUT changing an email, in any workspaces) take turns, so
// the second sees the first's person instead of breaking users' unique
// index, and neither waits for the other while holding a lock it needs.
func lockAddress(t *store.Tx, email string) error {
	if email == "" {
		return nil
	}
	return t.LockKey("address " + email)
}
