package directory_test

import (
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The fixtures of directorytest under the names the tests that stay in
// this package (those needing export_test.go's hooks, or PostgreSQL
// replicas) call them by.
var (
	op            = directory.Operator()
	newWorkspace  = directorytest.NewWorkspace
	scimConnect   = directorytest.SCIMConnect
	scimUser      = directorytest.SCIMUser
	webhookOutbox = directorytest.WebhookOutbox
)

// join is for members_page_test.go, which the console's branch (issue 9)
// adds.
//
//lint:ignore U1000 called from a test file of another branch
var join = directorytest.Join
