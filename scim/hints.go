package scim

import (
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
)

// pageHints remember where the previous page of a list ended, so the next
// page (startIndex = previous start + count, as Okta and bench clients
// page) continues after that id instead of skipping startIndex-1 rows:
// paging through 100,000 users costs the same per page. A hint is only an
// optimisation that another replica does not need: without one the
// directory skips rows as the RFC describes.
//
// It also remembers each list's total from its first page, which later
// pages of the same list report instead of counting again: paging is one
// session, and counting 100,000 rows for each of 1,000 pages would be most
// of the work.
type pageHints struct {
	mu     sync.Mutex
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

func newPageHints(max int) *pageHints {
	return &pageHints{max: max, m: map[hintKey]hint{}, totals: map[string]total{}}
}

// total returns the total recorded for list, if recent.
func (p *pageHints) total(list string) *int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.totals[list]
	if !ok || time.Since(t.at) > totalTTL {
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
	p.totals[list] = total{n: n, at: time.Now()}
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
	if time.Since(h.at) > hintTTL {
		return ""
	}
	return h.afterID
}

// put records that the page at start of list continues after afterID.
func (p *pageHints) put(list string, start int, afterID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= p.max {
		now := time.Now()
		for k, h := range p.m {
			if now.Sub(h.at) > hintTTL || len(p.m) >= p.max {
				delete(p.m, k)
			}
		}
	}
	p.m[hintKey{list, start}] = hint{afterID: afterID, at: time.Now()}
}

// prepare fills q from what earlier pages of the same list left behind:
// where to continue (unsorted lists only) and the total.
func (p *pageHints) prepare(list string, q *directory.SCIMQuery) {
	if q.Sort.Field == 0 {
		q.AfterID = p.get(list, q.StartIndex)
	}
	if q.StartIndex > 1 {
		q.Total = p.total(list)
	}
}

// record remembers a page of n items ending at lastID: only a full page
// can be followed by another.
func (p *pageHints) record(list string, q directory.SCIMQuery, n int, lastID string, total int) {
	if n != q.Count || q.Count == 0 {
		return
	}
	if q.Sort.Field == 0 {
		p.put(list, q.StartIndex+q.Count, lastID)
	}
	p.setTotal(list, total)
}
