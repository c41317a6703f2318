// Package suite is the behaviour suite of package directory: the rules of
// every operation, checked through the Directory's methods on a real
// database. Each backend's test in package directory calls RunTests with a
// function that opens a fresh Directory on that backend, the way Dex's
// storage/conformance runs one suite on every storage, so SQLite and
// PostgreSQL run the very same tests.
//
// A test is a function testName(t, newDirectory) in the file of its
// subject, listed in that file's table; `go test -v` names it
// TestSQLite/Subject/Name (or TestPostgres/…). Run one on both databases
// with `go test -run '^Test(SQLite|Postgres)$/^Subject$/^Name$' ./directory`.
package suite

import (
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// NewDirectory opens a fresh, empty, migrated Directory with opts for one
// test and closes it when the test ends. It must come from
// directorytest.Open: the suite arranges and checks some rows through
// directorytest.DB, which knows only the databases Open made.
type NewDirectory func(t *testing.T, opts directory.Options) *directory.Directory

// RunTests runs every behaviour test of the directory as a subtest
// Subject/Name, each on Directories of its own from newDirectory. Tests
// that need what one backend alone has (PostgreSQL's concurrent writers)
// skip themselves on the other, saying why.
func RunTests(t *testing.T, newDirectory NewDirectory) {
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			for _, tt := range s.tests {
				t.Run(tt.name, func(t *testing.T) { tt.run(t, newDirectory) })
			}
		})
	}
}

// A test is one behaviour test: its name is its function's without
// "test".
type test struct {
	name string
	run  func(t *testing.T, newDirectory NewDirectory)
}

// subjects is the suite, by subject, in the order it runs.
var subjects = []struct {
	name  string
	tests []test
}{
	{"Workspaces", workspaceTests},
	{"Members", memberTests},
	{"Invitations", invitationTests},
	{"ImportPlan", importPlanTests},
	{"JoinLinks", joinLinkTests},
	{"JoinRequests", joinRequestTests},
	{"Domains", domainTests},
	{"DomainTrust", domainTrustTests},
	{"Teams", teamTests},
	{"SCIMConnections", scimConnectionTests},
	{"SCIMConsole", scimConsoleTests},
	{"SCIMUsers", scimUserTests},
	{"SCIMGroups", scimGroupTests},
	{"OIDC", oidcTests},
	{"SignIn", signInTests},
	{"SAML", samlTests},
	{"Fields", fieldTests},
	{"Storage", storageTests},
	{"Feed", feedTests},
	{"Webhooks", webhookTests},
	{"APIKeys", apiKeyTests},
	{"Activity", activityTests},
	{"SetupLinks", setupLinkTests},
}

// The fixtures of directorytest under the short names the tests use.
var (
	op                  = directory.Operator()
	newWorkspace        = directorytest.NewWorkspace
	join                = directorytest.Join
	scimConnect         = directorytest.SCIMConnect
	scimUser            = directorytest.SCIMUser
	verifyDomainForTest = directorytest.InsertVerifiedDomain
	webhookOutbox       = directorytest.WebhookOutbox
)
