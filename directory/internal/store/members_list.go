package store

import (
	"strings"
)

// StatusAll is the status filter of every list by status (members,
// invitations, join requests, webhook deliveries) that lists every status:
// the same as no filter, spelled so that a CLI flag can say it.
const StatusAll = "all"

func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
