package directory_test

import (
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The fixtures of directorytest under the names the tests that stay in
// this package (those needing export_test.go's hooks, or PostgreSQL
// replicas) call them by.
var (
	op                  = directory.Operator()
	newWorkspace        = directorytest.NewWorkspace
	join                = directorytest.Join
	scimConnect         = directorytest.SCIMConnect
	scimUser            = directorytest.SCIMUser
	verifyDomainForTest = directorytest.InsertVerifiedDomain
	webhookOutbox       = directorytest.WebhookOutbox
)
