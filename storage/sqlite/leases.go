package sqlite

import (
	"context"
	"time"
)

// TryLease implements lease.Tx. SQLite's clock is this process's: instances sharing
// a SQLite file are processes of one machine.
func (t *tx) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	now := time.Now()
	res, err := t.tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, micros(now.Add(ttl)), micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease implements lease.Tx.
func (t *tx) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return err
}
