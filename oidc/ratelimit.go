package oidc

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// limiter is a per-client-IP token bucket for the sign-in endpoints. It
// lives in memory, so it limits per replica: N replicas allow N times the
// rate. That bounds brute force and provider abuse from one address well
// enough; a shared limit belongs in the load balancer.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
}

// defaultRatePerMinute allows a sign-in (start and callback) every second
// per address: people behind one corporate NAT share a bucket, so it is
// generous; it exists to bound discovery fetches and writes by one abuser.
const defaultRatePerMinute = 120

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	if perMinute <= 0 {
		perMinute = defaultRatePerMinute
	}
	return &limiter{rate: float64(perMinute) / 60, burst: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for key, reporting false when none is left.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > time.Minute {
		// Full buckets carry no information; dropping them bounds memory.
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	// A clock stepped back (NTP, a test's clock) refills nothing rather
	// than draining the bucket.
	b.tokens += max(now.Sub(b.at), 0).Seconds() * l.rate
	if b.tokens > l.burst {
		b.tokens = l.burst
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// clientKey is the rate-limit key of a request: the connecting address,
// or with trustXFF the last X-Forwarded-For entry (the one the proxy in
// front appended).
func clientKey(r *http.Request, trustXFF bool) string {
	if trustXFF {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return clientIP(r)
}

// clientIP is the connecting address. Forwarded headers are not trusted:
// behind a proxy every client shares the proxy's bucket unless the proxy
// itself rate-limits, which is the safe failure.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
