package postgres

import (
	"context"
	"time"
)

// TryLease implements lease.Tx in one upsert on the database's clock (the statement's
// start), so instances whose clocks disagree still agree on when a
// lease expires. A holder that dies leaves its row: the next TryLease after
// expires_at takes it over.
func (t *tx) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	n, err := t.exec(ctx, `INSERT INTO leases AS l (name, holder, expires_at)
		VALUES ($1, $2, statement_timestamp() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= statement_timestamp()`,
		name, holder, ttl.Microseconds())
	return n == 1, err
}

// ReleaseLease implements lease.Tx.
func (t *tx) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}
