package scim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rosterhq/roster/directory"
)

// Default rate limit of a connection: far above what an IdP sends (Entra
// and Okta send a few requests per second per app; a tool pushing in
// parallel reaches tens, and a conformance suite bursts a few hundred),
// yet about half of what one server process handles (roughly 1,000
// creates a second), so one misbehaving IdP cannot take the whole server.
const (
	DefaultRateLimit = 500
	DefaultRateBurst = 1000
)

// connLimits holds one token bucket per SCIM connection, in this process
// only: with several replicas behind a load balancer a connection may
// send up to the limit to each of them.
type connLimits struct {
	now          func() time.Time
	defaultLimit rate.Limit
	defaultBurst int

	mu     sync.Mutex
	byConn map[string]*rate.Limiter
}

func newConnLimits(limit float64, burst int, now func() time.Time) *connLimits {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if burst <= 0 {
		burst = DefaultRateBurst
	}
	if now == nil {
		now = time.Now
	}
	return &connLimits{now: now, defaultLimit: rate.Limit(limit), defaultBurst: burst, byConn: map[string]*rate.Limiter{}}
}

// settings are the limit and burst that apply to conn.
func (l *connLimits) settings(conn directory.SCIMConnection) (rate.Limit, int) {
	limit, burst := l.defaultLimit, l.defaultBurst
	if conn.RateLimit > 0 {
		limit = rate.Limit(conn.RateLimit)
	}
	if conn.RateBurst > 0 {
		burst = conn.RateBurst
	}
	return limit, burst
}

// allow takes one request from conn's bucket, or says how long until one
// is there. A changed setting (the connection was updated) applies to the
// bucket as it stands, so updating it does not grant a fresh burst.
func (l *connLimits) allow(conn directory.SCIMConnection) (ok bool, retryAfter time.Duration) {
	limit, burst := l.settings(conn)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.byConn[conn.ID]
	switch {
	case lim == nil:
		lim = rate.NewLimiter(limit, burst)
		l.byConn[conn.ID] = lim
	case lim.Limit() != limit || lim.Burst() != burst:
		lim.SetLimitAt(now, limit)
		lim.SetBurstAt(now, burst)
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(missing / float64(limit) * float64(time.Second))
}

// rateLimited is the answer over the limit: 429, Retry-After in whole
// seconds (at least 1), and a SCIM Error saying which limit applies.
func (l *connLimits) rateLimited(w http.ResponseWriter, conn directory.SCIMConnection, retryAfter time.Duration) *scimError {
	limit, burst := l.settings(conn)
	secs := int(math.Ceil(retryAfter.Seconds()))
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return errorf(http.StatusTooManyRequests, "", "too many requests: this connection may send %g requests per second (bursts of %d); retry after %d seconds", float64(limit), burst, secs)
}
