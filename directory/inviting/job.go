// Package inviting holds invitations by address: many at once from pasted
// text, or from a table (a CSV file or a spreadsheet) previewed row by row
// before anything is written.
//
// It is one of package directory's jobs: doors call it through
// directory.Directory, which owns one of each; the rules it shares with the
// other jobs live in directory/internal/store.
package inviting

import "github.com/rosterhq/roster/directory/internal/store"

// Inviter is this job's side of the directory. It is safe for concurrent
// use.
type Inviter struct{ *store.Store }

// New returns the job over s.
func New(s *store.Store) *Inviter { return &Inviter{s} }
