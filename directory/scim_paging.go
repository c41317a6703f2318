package directory

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// pageHints remember where the previous page of a list ended, so the next
// page (startIndex = previous start + count, as Okta and bench clients
// page) continues after that id instead of skipping startIndex-1 rows:
// paging through 100,000 users costs the same per page. A hint is only an
// optimisation that another replica does not need: without one the
// directory skips rows as the RFC describes. They are kept per process,
// so behind a load balancer a client paging through one replica gets the
// most from them; what any page contains never depends on them.
//
// It also remembers each list's total from its first page, which later
// pages of the same list report instead of counting again: paging is one
// session, and counting 100,000 rows for each of 1,000 pages would be most
// of the work.
type pageHints struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	m      map[hintKey]hint
	totals map[string]total
}

type total struct {
	n  int
	at time.Time
}

// totalTTL bounds how long a paging session may reuse its total.
const totalTTL = time.Minute

type hintKey struct {
	list  string
	start int
}

type hint struct {
	afterID string
	at      time.Time
}

const hintTTL = 10 * time.Minute

func newPageHints(max int, now func() time.Time) *pageHints {
	return &pageHints{max: max, now: now, m: map[hintKey]hint{}, totals: map[string]total{}}
}

// total returns the total recorded for list, if recent.
func (p *pageHints) total(list string) *int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.totals[list]
	if !ok || p.now().Sub(t.at) > totalTTL {
		return nil
	}
	n := t.n
	return &n
}

// setTotal records the total of list.
func (p *pageHints) setTotal(list string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.totals) >= p.max {
		for k := range p.totals {
			delete(p.totals, k)
			if len(p.totals) < p.max/2 {
				break
			}
		}
	}
	p.totals[list] = total{n: n, at: p.now()}
}

// get returns the id the page at start of list continues after, or "".
func (p *pageHints) get(list string, start int) string {
	if start <= 1 {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := hintKey{list, start}
	h, ok := p.m[k]
	if !ok {
		return ""
	}
	delete(p.m, k) // one use: a repeated request skips rows again
	if p.now().Sub(h.at) > hintTTL {
		return ""
	}
	return h.afterID
}

// put records that the page at start of list continues after afterID.
func (p *pageHints) put(list string, start int, afterID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= p.max {
		now := p.now()
		for k, h := range p.m {
			if now.Sub(h.at) > hintTTL || len(p.m) >= p.max {
				delete(p.m, k)
			}
		}
	}
	p.m[hintKey{list, start}] = hint{afterID: afterID, at: p.now()}
}

// prepare fills q from what earlier pages of the same list left behind:
// where to continue (unsorted lists only) and the total.
func (p *pageHints) prepare(list string, q *SCIMQuery) {
	if q.Sort.Field == 0 {
		q.afterID = p.get(list, q.StartIndex)
	}
	if q.StartIndex > 1 {
		q.total = p.total(list)
	}
}

// record remembers a page of n items ending at lastID: only a full page
// can be followed by another.
func (p *pageHints) record(list string, q SCIMQuery, n int, lastID string, total int) {
	if n != q.Count || q.Count == 0 {
		return
	}
	if q.Sort.Field == 0 {
		p.put(list, q.StartIndex+q.Count, lastID)
	}
	p.setTotal(list, total)
}

// listKey names a list for its hints: the connection, the resource and
// what selects and orders it, so that only pages of the same list share
// them.
func listKey(conn SCIMConnection, resource string, q SCIMQuery) string {
	var b strings.Builder
	b.WriteString(conn.ID + "\x00" + resource + "\x00")
	writeCondKey(&b, q.Filter)
	fmt.Fprintf(&b, "\x00%d %q %v", q.Sort.Field, q.Sort.Path, q.Sort.Descending)
	return b.String()
}

func writeCondKey(b *strings.Builder, c *SCIMCond) {
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
