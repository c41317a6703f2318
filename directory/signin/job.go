// Package signin signs people in: it identifies them by their identity provider's claims, accepts invitations, auto-joins and files join requests, and starts sessions.
//
// It is one of package directory's jobs: doors call it through
// directory.Directory, which owns one of each; the rules it shares with the
// other jobs live in directory/internal/store.
package signin

import "github.com/rosterhq/roster/directory/internal/store"

// Signin is this job's side of the directory. It is safe for concurrent use.
type Signin struct{ *store.Store }

// New returns the job over s.
func New(s *store.Store) *Signin { return &Signin{s} }
