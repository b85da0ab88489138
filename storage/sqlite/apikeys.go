package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/storage"
)

// InsertAPIKey implements apikey.Tx.
func (t *tx) InsertAPIKey(ctx context.Context, r apikey.Record) error {
	if err := t.writable(); err != nil {
		return err
	}
	ips, _ := json.Marshal(r.AllowedIPs)
	_, err := t.tx.ExecContext(ctx, `INSERT INTO api_keys (id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at,
		sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, string(r.Mode), r.Label, r.Prefix, r.Hash, r.Sealed, string(ips),
		r.RateLimit, micros(r.CreatedAt), r.SubMerchantID)
	return err
}

const apiKeyCols = `id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at, revoked_at, sub_merchant_id`

func scanAPIKey(row scanner) (apikey.Record, error) {
	var r apikey.Record
	var mode, ips string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&r.ID, &mode, &r.Label, &r.Prefix, &r.Hash, &r.Sealed, &ips, &r.RateLimit, &created, &revoked, &r.SubMerchantID); err != nil {
		return apikey.Record{}, err
	}
	r.Mode, r.CreatedAt, r.RevokedAt = asset.Mode(mode), time.UnixMicro(created).UTC(), fromMicros(revoked)
	var prefixes []netip.Prefix
	if err := json.Unmarshal([]byte(ips), &prefixes); err != nil {
		return apikey.Record{}, err
	}
	r.AllowedIPs = prefixes
	return r, nil
}

// APIKeyByHash implements apikey.Tx.
func (t *tx) APIKeyByHash(ctx context.Context, hash []byte) (apikey.Record, error) {
	r, err := scanAPIKey(t.tx.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return apikey.Record{}, apikey.ErrNotFound
	}
	return r, err
}

// ListAPIKeys implements apikey.Tx.
func (t *tx) ListAPIKeys(ctx context.Context) ([]apikey.Record, error) {
	return all(ctx, t, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, id`)
}

// RevokeAPIKey implements apikey.Tx.
func (t *tx) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apikey.ErrNotFound
	}
	return nil
}

// SetAPIKeyAllowedIPs implements apikey.Tx.
func (t *tx) SetAPIKeyAllowedIPs(ctx context.Context, id string, allowed []netip.Prefix) error {
	if err := t.writable(); err != nil {
		return err
	}
	ips, _ := json.Marshal(allowed)
	res, err := t.tx.ExecContext(ctx, `UPDATE api_keys SET allowed_ips = ? WHERE id = ? AND revoked_at IS NULL`, string(ips), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apikey.ErrNotFound
	}
	return nil
}

// BeginIdempotent implements apikey.IdempotencyTx.
func (t *tx) BeginIdempotent(ctx context.Context, keyID, key string, hash []byte, now, since, stale time.Time) (apikey.IdempotencyState, int, []byte, error) {
	if err := t.writable(); err != nil {
		return 0, 0, nil, err
	}
	var stored []byte
	var status string
	var code int
	var body []byte
	var created int64
	err := t.tx.QueryRowContext(ctx, `SELECT request_hash, status, code, body, created_at FROM idempotency WHERE key_id = ? AND key = ?`,
		keyID, key).Scan(&stored, &status, &code, &body, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, 0, nil, err
	case created >= micros(since):
		switch {
		case string(stored) != string(hash):
			return apikey.IdempotencyMismatch, 0, nil, nil
		case status == "running" && created >= micros(stale):
			return apikey.IdempotencyRunning, 0, nil, nil
		case status == "running": // its process died: run it again
		default:
			return apikey.IdempotencyDone, code, body, nil
		}
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO idempotency (key_id, key, request_hash, status, created_at) VALUES (?, ?, ?, 'running', ?)
		ON CONFLICT (key_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = 'running', code = 0, body = NULL,
		created_at = excluded.created_at`, keyID, key, hash, micros(now))
	return apikey.IdempotencyNew, 0, nil, err
}

// FinishIdempotent implements apikey.IdempotencyTx.
func (t *tx) FinishIdempotent(ctx context.Context, keyID, key string, code int, body []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE idempotency SET status = 'done', code = ?, body = ? WHERE key_id = ? AND key = ?`,
		code, body, keyID, key)
	return err
}

// AbandonIdempotent implements apikey.IdempotencyTx.
func (t *tx) AbandonIdempotent(ctx context.Context, keyID, key string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM idempotency WHERE key_id = ? AND key = ? AND status = 'running'`, keyID, key)
	return err
}

// PurgeIdempotent implements apikey.IdempotencyTx.
func (t *tx) PurgeIdempotent(ctx context.Context, before time.Time) (int, error) {
	return t.purge(ctx, `DELETE FROM idempotency WHERE created_at < ?`, micros(before))
}

// RememberSignature implements apikey.ReplayTx.
func (t *tx) RememberSignature(ctx context.Context, keyID string, sig []byte, expires, now time.Time) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	// A row that expired is taken over; a live one makes this a replay.
	res, err := t.tx.ExecContext(ctx, `INSERT INTO seen_signatures (key_id, signature, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key_id, signature) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_signatures.expires_at < ?`,
		keyID, sig, micros(expires), micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PurgeSignatures implements apikey.ReplayTx.
func (t *tx) PurgeSignatures(ctx context.Context, now time.Time) (int, error) {
	return t.purge(ctx, `DELETE FROM seen_signatures WHERE expires_at < ?`, micros(now))
}

func (t *tx) purge(ctx context.Context, query string, args ...any) (int, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Setting implements storage.SettingsTx.
func (t *tx) Setting(ctx context.Context, name string) ([]byte, bool, error) {
	var v []byte
	err := t.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// SetSettingOnce implements storage.SettingsTx.
func (t *tx) SetSettingOnce(ctx context.Context, name string, value []byte) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountByStatus implements storage.StatsTx.
func (t *tx) CountByStatus(ctx context.Context) ([]storage.StatusCount, error) {
	return all(ctx, t, func(r scanner) (storage.StatusCount, error) {
		var c storage.StatusCount
		err := r.Scan(&c.Kind, &c.Mode, &c.Status, &c.N)
		return c, err
	}, `SELECT 'invoice', mode, status, count(*) FROM invoices GROUP BY mode, status
UNION ALL SELECT 'payout', mode, status, count(*) FROM payouts GROUP BY mode, status`)
}
