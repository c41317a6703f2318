// Package setuplinks holds setup links: one job for one workspace, done by whoever holds the link (an IT admin without an account).
//
// It is one of package directory's jobs: doors call it through
// directory.Directory, which owns one of each; the rules it shares with the
// other jobs live in directory/internal/store.
package setuplinks

import "github.com/rosterhq/roster/directory/internal/store"

// Links is this job's side of the directory. It is safe for concurrent use.
type Links struct{ *store.Store }

// New returns the job over s.
func New(s *store.Store) *Links { return &Links{s} }
