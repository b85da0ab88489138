package httphandler

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kassapay/kassa/storage"
	"golang.org/x/time/rate"
)

// limiter takes tokens from token buckets named by key: per API key (Options.RateLimit),
// and per client address for requests without a valid key (Options.FailedAuthLimit)
// and for the public routes (Options.PublicRateLimit).
//
// With a store several instances share (storage.RateLimiter: PostgreSQL) the buckets
// live in the database and a limit holds across every instance; otherwise they live
// in this process's memory (one process on SQLite).
type limiter interface {
	take(ctx context.Context, key string, perHour, burst int) storage.Bucket
}

// sharedLimits are buckets in the database. A database error lets the request through
// (logged): the limits are against abuse, and the request then fails on its own if the
// database is down.
type sharedLimits struct {
	rl  storage.RateLimiter
	log *slog.Logger
}

func (s sharedLimits) take(ctx context.Context, key string, perHour, burst int) storage.Bucket {
	b, err := s.rl.Take(ctx, key, perHour, burst)
	if err != nil {
		s.log.WarnContext(ctx, "httphandler: rate limit bucket unavailable; request let through", "bucket", key, "err", err)
		return storage.Bucket{OK: true, Remaining: burst - 1}
	}
	return b
}

// memoryLimits are buckets in this process's memory; buckets idle long enough to be
// full again are dropped once a minute, so the map holds only recently active clients.
type memoryLimits struct {
	mu      sync.Mutex
	buckets map[string]*memoryBucket
	swept   time.Time
}

type memoryBucket struct {
	l    *rate.Limiter
	seen time.Time
	full time.Duration // from empty to full
}

func newMemoryLimits() *memoryLimits { return &memoryLimits{buckets: map[string]*memoryBucket{}} }

func (m *memoryLimits) take(_ context.Context, key string, perHour, burst int) storage.Bucket {
	now := time.Now()
	m.mu.Lock()
	if now.Sub(m.swept) > time.Minute {
		for k, b := range m.buckets {
			if now.Sub(b.seen) > b.full {
				delete(m.buckets, k)
			}
		}
		m.swept = now
	}
	b, ok := m.buckets[key]
	if !ok {
		b = &memoryBucket{l: rate.NewLimiter(rate.Limit(float64(perHour)/3600), burst),
			full: time.Duration(float64(burst) / float64(perHour) * float64(time.Hour))}
		m.buckets[key] = b
	}
	b.seen = now
	m.mu.Unlock()
	out := storage.Bucket{OK: b.l.AllowN(now, 1)}
	tokens := b.l.TokensAt(now)
	perSecond := float64(b.l.Limit())
	out.Remaining = int(math.Max(0, math.Floor(tokens)))
	out.Full = time.Duration((float64(b.l.Burst()) - tokens) / perSecond * float64(time.Second))
	if !out.OK {
		out.Retry = time.Duration((1 - tokens) / perSecond * float64(time.Second))
	}
	return out
}

// retryAfter sets Retry-After from a refused bucket (whole seconds, at least 1).
func retryAfter(w http.ResponseWriter, b storage.Bucket) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(b.Retry.Seconds())))))
}

// allowIP takes a token of a per-address limit (kind "auth" or "public"); false
// means over the limit, with Retry-After set.
func (h *Handler) allowIP(w http.ResponseWriter, r *http.Request, kind string, perHour, burst int) bool {
	b := h.limits.take(r.Context(), "ip:"+kind+":"+h.clientIP(r).String(), perHour, min(burst, perHour))
	if !b.OK {
		retryAfter(w, b)
	}
	return b.OK
}

// public limits a route that takes no API key, per client address.
func (h *Handler) public(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.allowIP(w, r, "public", h.opts.PublicRateLimit, 120) {
			writeError(w, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}
