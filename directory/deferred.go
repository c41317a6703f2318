package directory

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// Deferred inserts. A SCIM create writes a user, a membership, an
// invitation, its email index rows and maybe an outbox message, and reads
// none of them back; on PostgreSQL each statement is a network round trip
// and the round trips, not the work, are most of what a provisioned user
// costs. So insert holds such rows back on PostgreSQL and sends them as
// one statement of data-modifying WITH clauses: just before the
// transaction's next statement (which may read them), or, at commit, in
// the statement that writes the transaction's events. PostgreSQL runs
// every clause of such a statement to completion and checks foreign keys
// at its end, so a membership may reference a user inserted beside it.
// SQLite runs in-process, has no data-modifying WITH, and gains nothing:
// there insert executes at once.
//
// Only INSERTs are held back: two clauses of one statement must never
// change the same row, which inserts of fresh rows cannot do.

// deferredInsert is one held-back INSERT (written with ? placeholders).
type deferredInsert struct {
	table string
	query string
	args  []any
	// conflict turns a unique violation of this insert into the error
	// its caller would have returned; nil keeps the driver's error.
	conflict func(error) error
}

// insert runs an INSERT whose result the caller does not need: at once on
// SQLite, held back on PostgreSQL (see above). Its error may therefore
// surface from a later statement of the transaction, or from the commit,
// mapped by conflict as if the insert had failed on its own; the caller
// must not act outside the transaction on the insert's success before
// the transaction commits. Webhooks are never inserted this way (the
// events statement that carries held-back inserts reads them).
func (t *tx) insert(conflict func(error) error, query string, args ...any) error {
	table := insertTable(query)
	if !t.d.flavor.IsPostgres() {
		_, err := t.exec(query, args...)
		return insertError(table, conflict, err)
	}
	t.deferred = append(t.deferred, deferredInsert{table: table, query: query, args: args, conflict: conflict})
	return nil
}

// insertTable is the table of an INSERT statement.
func insertTable(query string) string {
	f := strings.Fields(query)
	if len(f) < 3 || !strings.EqualFold(f[0], "INSERT") || !strings.EqualFold(f[1], "INTO") {
		panic("directory: insert needs an INSERT INTO statement: " + query)
	}
	return strings.TrimSuffix(f[2], "(")
}

// insertError is the error of a failed insert into table, as its caller
// defined it.
func insertError(table string, conflict func(error) error, err error) error {
	if err == nil {
		return nil
	}
	if conflict != nil && isUniqueViolation(err) {
		if mapped := conflict(err); mapped != nil {
			return mapped
		}
	}
	return fmt.Errorf("insert into %s: %w", table, err)
}

// takeDeferred returns the held-back inserts as WITH clauses to put in
// front of another statement ("WITH w0 AS (...), w1 AS (...), "; "" when
// there are none) and their arguments, and forgets them; the caller
// passes the statement's error through deferredError.
func (t *tx) takeDeferred() (with string, args []any, taken []deferredInsert) {
	if len(t.deferred) == 0 {
		return "", nil, nil
	}
	taken, t.deferred = t.deferred, nil
	var b strings.Builder
	b.WriteString("WITH ")
	for i, w := range taken {
		fmt.Fprintf(&b, "w%d AS (%s), ", i, w.query)
		args = append(args, w.args...)
	}
	return b.String(), args, taken
}

// deferredError attributes the failure of a statement that carried held-back
// inserts: a constraint violation names its table, and its detail quotes
// the offending key ("Key (email_norm)=(jane@acme.example) already
// exists."), which tells apart two inserts into one table.
func deferredError(taken []deferredInsert, err error) error {
	if err == nil {
		return nil
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Table == "" {
		return err
	}
	best, bestScore := -1, -1
	for i, w := range taken {
		if w.table != pqErr.Table {
			continue
		}
		score := 0
		for _, a := range w.args {
			if s := argText(a); s != "" && keyHasValue(pqErr.Detail, s) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return err
	}
	return insertError(taken[best].table, taken[best].conflict, err)
}

// flushDeferred sends the held-back inserts, as one statement, before the
// transaction runs anything else.
func (t *tx) flushDeferred() error {
	switch len(t.deferred) {
	case 0:
		return nil
	case 1:
		w := t.deferred[0]
		t.deferred = nil
		_, err := t.run(w.query, w.args...)
		return insertError(w.table, w.conflict, err)
	}
	// The last insert is the statement the others are WITH clauses of.
	last := t.deferred[len(t.deferred)-1]
	t.deferred = t.deferred[:len(t.deferred)-1]
	with, args, taken := t.takeDeferred()
	if _, err := t.run(with[:len(with)-2]+" "+last.query, append(args, last.args...)...); err != nil {
		return deferredError(append(taken, last), err)
	}
	return nil
}

// argText is a text argument of a statement; "" for anything else.
func argText(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case *string:
		if v != nil {
			return *v
		}
	}
	return ""
}

// keyHasValue reports whether a key detail "Key (a, b)=(x, y) ..." lists
// the value v.
func keyHasValue(detail, v string) bool {
	for _, before := range []string{"(", ", "} {
		for _, after := range []string{")", ", "} {
			if strings.Contains(detail, before+v+after) {
				return true
			}
		}
	}
	return false
}
