package httphandler

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimits are token buckets per client address: for requests that authenticate with
// no valid key (so that guessing keys is slow) and for the public routes (the hosted
// pages, their status and test-payment buttons), which no key limits.
//
// NOTE: they live in this process's memory; with several instances behind one load
// balancer each keeps its own buckets.
type ipLimits struct {
	mu      sync.Mutex
	perHour int
	burst   int
	buckets map[netip.Addr]*ipBucket
	swept   time.Time
}

type ipBucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newIPLimits(perHour, burst int) *ipLimits {
	return &ipLimits{perHour: perHour, burst: min(burst, perHour), buckets: map[netip.Addr]*ipBucket{}}
}

// bucket returns ip's bucket; buckets idle long enough to be full again are dropped
// once a minute, so the map holds only recently active clients.
func (l *ipLimits) bucket(ip netip.Addr, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		refill := time.Duration(float64(l.burst) / float64(l.perHour) * float64(time.Hour))
		for k, b := range l.buckets {
			if now.Sub(b.seen) > refill {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &ipBucket{l: rate.NewLimiter(rate.Limit(float64(l.perHour)/3600), l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	return b.l
}

// allow takes a token for ip; false means over the limit, with Retry-After set.
func (l *ipLimits) allow(w http.ResponseWriter, ip netip.Addr) bool {
	now := time.Now()
	b := l.bucket(ip, now)
	if b.AllowN(now, 1) {
		return true
	}
	wait := time.Duration((1 - b.TokensAt(now)) / float64(b.Limit()) * float64(time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(wait.Seconds())))))
	return false
}

// public limits a route that takes no API key, per client address.
func (h *Handler) public(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.publicLimits.allow(w, h.clientIP(r)) {
			writeError(w, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}
