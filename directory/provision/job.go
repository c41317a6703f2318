// Package provision runs SCIM provisioning: users and groups pushed by an identity provider become invitations, memberships and teams.
//
// It is one of package directory's jobs: doors call it through
// directory.Directory, which owns one of each; the rules it shares with the
// other jobs live in directory/internal/store.
package provision

import "github.com/rosterhq/roster/directory/internal/store"

// Provisioner is this job's side of the directory. It is safe for concurrent use.
type Provisioner struct{ *store.Store }

// New returns the job over s.
func New(s *store.Store) *Provisioner { return &Provisioner{s} }
