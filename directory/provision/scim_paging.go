package provision

import (
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// listKey names a list for its hints: the connection, the resource and
// what selects and orders it, so that only pages of the same list share
// them.
func listKey(conn store.SCIMConnection, resource string, q store.SCIMQuery) string {
	var b strings.Builder
	b.WriteString(conn.ID + "\x00" + resource + "\x00")
	writeCondKey(&b, q.Filter)
	fmt.Fprintf(&b, "\x00%d %q %v", q.Sort.Field, q.Sort.Path, q.Sort.Descending)
	return b.String()
}

func writeCondKey(b *strings.Builder, c *store.SCIMCond) {
	if c == nil {
		b.WriteString("-")
		return
	}
	fmt.Fprintf(b, "(%s %d %q %T:%v ", c.Op, c.Field, c.Path, c.Value, c.Value)
	writeCondKey(b, c.Left)
	b.WriteString(" ")
	writeCondKey(b, c.Right)
	b.WriteString(")")
}
