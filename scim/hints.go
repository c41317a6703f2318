package scim

import (
	"sync"
	"time"
)

// pageHints remember where the previous page of a list ended, so the next
// page (startIndex = previous start + count, as Okta and bench clients
// page) continues after that id instead of skipping startIndex-1 rows:
// paging through 100,000 users costs the same per page. A hint is only an
// optimisation that another replica does not need: without one the
// directory skips rows as the RFC describes.
type pageHints struct {
	mu  sync.Mutex
	max int
	m   map[hintKey]hint
}

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
	return &pageHints{max: max, m: map[hintKey]hint{}}
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
