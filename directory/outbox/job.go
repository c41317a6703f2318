// Package outbox holds the outbox (emails and webhook deliveries written with the change they tell of) and the workspaces' webhooks.
//
// It is one of package directory's jobs: doors call it through
// directory.Directory, which owns one of each; the rules it shares with the
// other jobs live in directory/internal/store.
package outbox

import "github.com/rosterhq/roster/directory/internal/store"

// Outbox is this job's side of the directory. It is safe for concurrent use.
type Outbox struct{ *store.Store }

// New returns the job over s.
func New(s *store.Store) *Outbox { return &Outbox{s} }
