package store

import (
	"sync"
	"time"
)

// PageHints remember where the previous page of a list ended, so the next
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
type PageHints struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	hints  map[HintKey]Hint
	totals map[string]Total
}

type Total struct {
	n  int
	at time.Time
}

// totalTTL bounds how long a paging session may reuse its total.
const totalTTL = time.Minute

type HintKey struct {
	list  string
	start int
}

type Hint struct {
	afterID string
	at      time.Time
}

const hintTTL = 10 * time.Minute

// total returns the total recorded for list, if recent.
func (p *PageHints) total(list string) *int {
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
func (p *PageHints) setTotal(list string, n int) {
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
	p.totals[list] = Total{n: n, at: p.now()}
}

// get returns the id the page at start of list continues after, or "".
func (p *PageHints) get(list string, start int) string {
	if start <= 1 {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := HintKey{list, start}
	h, ok := p.hints[k]
	if !ok {
		return ""
	}
	delete(p.hints, k) // one use: a repeated request skips rows again
	if p.now().Sub(h.at) > hintTTL {
		return ""
	}
	return h.afterID
}

// put records that the page at start of list continues after afterID.
func (p *PageHints) put(list string, start int, afterID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hints) >= p.max {
		now := p.now()
		for k, h := range p.hints {
			if now.Sub(h.at) > hintTTL || len(p.hints) >= p.max {
				delete(p.hints, k)
			}
		}
	}
	p.hints[HintKey{list, start}] = Hint{afterID: afterID, at: p.now()}
}

// Prepare fills q from what earlier pages of the same list left behind:
// where to continue (unsorted lists only) and the total.
func (p *PageHints) Prepare(list string, q *SCIMQuery) {
	if q.Sort.Field == 0 {
		q.AfterID = p.get(list, q.StartIndex)
	}
	if q.StartIndex > 1 {
		q.Total = p.total(list)
	}
}

// Record remembers a page of n items ending at lastID: only a full page
// can be followed by another.
func (p *PageHints) Record(list string, q SCIMQuery, n int, lastID string, total int) {
	if n != q.Count || q.Count == 0 {
		return
	}
	if q.Sort.Field == 0 {
		p.put(list, q.StartIndex+q.Count, lastID)
	}
	p.setTotal(list, total)
}

// NewPageHints keeps at most max hints, aged by the clock now.
func NewPageHints(max int, now func() time.Time) *PageHints {
	return &PageHints{max: max, now: now, hints: map[HintKey]Hint{}, totals: map[string]Total{}}
}
