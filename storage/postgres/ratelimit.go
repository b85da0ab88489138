package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassapay/kassa/storage"
)

// purgeEvery is how many Take calls pass between two purges of the buckets that
// are full again (a full bucket says nothing a missing row would not).
const purgeEvery = 1024

// level is the SQL for bucket b's tokens at the statement's time: what it held, plus
// what it gained since, at most burst ($3). $2 is the rate per hour.
const level = `LEAST($3::numeric, b.tokens + EXTRACT(EPOCH FROM statement_timestamp() - b.updated_at) * $2::numeric / 3600)`

// takeSQL takes a token from a bucket in one statement, on the database's clock, so
// that every instance draws from the same bucket and two concurrent takes of its last
// token cannot both succeed (the upsert locks the row). A new bucket starts full.
var takeSQL = strings.NewReplacer("LEVEL", level).Replace(`
INSERT INTO rate_buckets AS b (key, tokens, took, updated_at, full_at)
VALUES ($1, $3::numeric - 1, true, statement_timestamp(),
        statement_timestamp() + make_interval(secs => (3600 / $2::numeric)::float8))
ON CONFLICT (key) DO UPDATE SET
    tokens = CASE WHEN LEVEL >= 1 THEN LEVEL - 1 ELSE LEVEL END,
    took = LEVEL >= 1,
    updated_at = statement_timestamp(),
    full_at = statement_timestamp() + make_interval(secs => (
        ($3::numeric - CASE WHEN LEVEL >= 1 THEN LEVEL - 1 ELSE LEVEL END) * 3600 / $2::numeric)::float8)
RETURNING tokens::text, took, EXTRACT(EPOCH FROM full_at - statement_timestamp())::text`)

// Take implements storage.RateLimiter in one statement outside any transaction.
// Tokens are exact (NUMERIC); the durations it reports are rounded up to the
// microsecond.
func (s *Store) Take(ctx context.Context, key string, perHour, burst int) (storage.Bucket, error) {
	if s.closed.Load() {
		return storage.Bucket{}, storage.ErrClosed
	}
	if perHour <= 0 || burst <= 0 {
		return storage.Bucket{}, fmt.Errorf("postgres: rate limit %d an hour with a burst of %d: both must be positive", perHour, burst)
	}
	var tokensText, fullText string
	var took bool
	if err := s.pool.QueryRow(ctx, takeSQL, key, perHour, burst).Scan(&tokensText, &took, &fullText); err != nil {
		return storage.Bucket{}, fmt.Errorf("postgres: rate limit: %w", err)
	}
	tokens, err := decimal.NewFromString(tokensText)
	if err != nil {
		return storage.Bucket{}, fmt.Errorf("postgres: rate limit: tokens %q: %w", tokensText, err)
	}
	full, err := decimal.NewFromString(fullText)
	if err != nil {
		return storage.Bucket{}, fmt.Errorf("postgres: rate limit: full in %q: %w", fullText, err)
	}
	b := storage.Bucket{OK: took, Remaining: int(tokens.Floor().IntPart()), Full: seconds(full)}
	if !took {
		// The token still missing comes at perHour an hour.
		b.Retry = seconds(decimal.NewFromInt(1).Sub(tokens).Mul(decimal.NewFromInt(3600)).Div(decimal.NewFromInt(int64(perHour))))
	}
	if s.takes.Add(1)%purgeEvery == 0 {
		if _, err := s.pool.Exec(ctx, `DELETE FROM rate_buckets WHERE full_at < statement_timestamp()`); err != nil {
			s.log.WarnContext(ctx, "kassa: purging full rate-limit buckets", "err", err)
		}
	}
	return b, nil
}

// seconds converts a number of seconds to a Duration, rounded up to the microsecond
// (a retry time must not say "now" when a token is a fraction of a microsecond away).
func seconds(d decimal.Decimal) time.Duration {
	if d.Sign() <= 0 {
		return 0
	}
	us := d.Mul(decimal.NewFromInt(1e6)).Ceil()
	if us.GreaterThan(decimal.NewFromInt(int64(1<<62) / 1000)) {
		return time.Duration(1 << 62)
	}
	return time.Duration(us.IntPart()) * time.Microsecond
}
