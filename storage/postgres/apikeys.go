package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
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
	_, err := t.exec(ctx, `INSERT INTO api_keys (id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at, sub_merchant_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, string(r.Mode), r.Label, r.Prefix, orEmpty(r.Hash), orEmpty(r.Sealed), string(ips), r.RateLimit, ts(r.CreatedAt), r.SubMerchantID)
	return err
}

const apiKeyCols = `id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at, revoked_at, sub_merchant_id`

func scanAPIKey(row scanner) (apikey.Record, error) {
	var r apikey.Record
	var mode string
	var ips []byte
	if err := row.Scan(&r.ID, &mode, &r.Label, &r.Prefix, &r.Hash, &r.Sealed, &ips, &r.RateLimit, &r.CreatedAt, &r.RevokedAt, &r.SubMerchantID); err != nil {
		return apikey.Record{}, err
	}
	r.Mode, r.CreatedAt, r.RevokedAt = asset.Mode(mode), r.CreatedAt.UTC(), utc(r.RevokedAt)
	var prefixes []netip.Prefix
	if err := json.Unmarshal(ips, &prefixes); err != nil {
		return apikey.Record{}, err
	}
	r.AllowedIPs = prefixes
	return r, nil
}

// APIKeyByHash implements apikey.Tx.
func (t *tx) APIKeyByHash(ctx context.Context, hash []byte) (apikey.Record, error) {
	r, err := scanAPIKey(t.queryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = $1`, orEmpty(hash)))
	if errors.Is(err, pgx.ErrNoRows) {
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
	n, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ts(at), id)
	if err != nil {
		return err
	}
	if n != 1 {
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
	n, err := t.exec(ctx, `UPDATE api_keys SET allowed_ips = $1 WHERE id = $2 AND revoked_at IS NULL`, string(ips), id)
	if err != nil {
		return err
	}
	if n != 1 {
		return apikey.ErrNotFound
	}
	return nil
}

// BeginIdempotent implements apikey.IdempotencyTx. A new key is inserted by one
// statement that does nothing when the key exists (waiting for a concurrent
// transaction that inserted it to end); an existing record is read locked, so two
// requests with one key never both run.
func (t *tx) BeginIdempotent(ctx context.Context, keyID, key string, hash []byte, now, since, stale time.Time) (apikey.IdempotencyState, int, []byte, error) {
	if err := t.writable(); err != nil {
		return 0, 0, nil, err
	}
	hash = orEmpty(hash)
	n, err := t.exec(ctx, `INSERT INTO idempotency (key_id, key, request_hash, status, created_at) VALUES ($1, $2, $3, 'running', $4)
		ON CONFLICT (key_id, key) DO NOTHING`, keyID, key, hash, ts(now))
	if err != nil {
		return 0, 0, nil, err
	}
	if n == 1 {
		return apikey.IdempotencyNew, 0, nil, nil
	}
	var stored, body []byte
	var status string
	var code int
	var created time.Time
	err = t.queryRow(ctx, `SELECT request_hash, status, code, body, created_at FROM idempotency WHERE key_id = $1 AND key = $2 FOR UPDATE`,
		keyID, key).Scan(&stored, &status, &code, &body, &created)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Deleted since the insert found it (abandoned, purged): hold it anew.
	case err != nil:
		return 0, 0, nil, err
	case !created.Before(ts(since)):
		switch {
		case !bytes.Equal(stored, hash):
			return apikey.IdempotencyMismatch, 0, nil, nil
		case status == "running" && !created.Before(ts(stale)):
			return apikey.IdempotencyRunning, 0, nil, nil
		case status == "running": // its process died: run it again
		default:
			return apikey.IdempotencyDone, code, body, nil
		}
	}
	_, err = t.exec(ctx, `INSERT INTO idempotency (key_id, key, request_hash, status, created_at) VALUES ($1, $2, $3, 'running', $4)
		ON CONFLICT (key_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = 'running', code = 0, body = NULL,
		created_at = excluded.created_at`, keyID, key, hash, ts(now))
	return apikey.IdempotencyNew, 0, nil, err
}

// FinishIdempotent implements apikey.IdempotencyTx.
func (t *tx) FinishIdempotent(ctx context.Context, keyID, key string, code int, body []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE idempotency SET status = 'done', code = $1, body = $2 WHERE key_id = $3 AND key = $4`,
		code, body, keyID, key)
	return err
}

// AbandonIdempotent implements apikey.IdempotencyTx.
func (t *tx) AbandonIdempotent(ctx context.Context, keyID, key string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM idempotency WHERE key_id = $1 AND key = $2 AND status = 'running'`, keyID, key)
	return err
}

// PurgeIdempotent implements apikey.IdempotencyTx.
func (t *tx) PurgeIdempotent(ctx context.Context, before time.Time) (int, error) {
	return t.purge(ctx, `DELETE FROM idempotency WHERE created_at < $1`, ts(before))
}

// RememberSignature implements apikey.ReplayTx: one upsert, so of two instances that
// see one signature at once only one remembers it first.
func (t *tx) RememberSignature(ctx context.Context, keyID string, sig []byte, expires, now time.Time) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	// A row that expired is taken over; a live one makes this a replay.
	n, err := t.exec(ctx, `INSERT INTO seen_signatures AS s (key_id, signature, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key_id, signature) DO UPDATE SET expires_at = excluded.expires_at WHERE s.expires_at < $4`,
		keyID, orEmpty(sig), ts(expires), ts(now))
	return n == 1, err
}

// PurgeSignatures implements apikey.ReplayTx.
func (t *tx) PurgeSignatures(ctx context.Context, now time.Time) (int, error) {
	return t.purge(ctx, `DELETE FROM seen_signatures WHERE expires_at < $1`, ts(now))
}

func (t *tx) purge(ctx context.Context, query string, args ...any) (int, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	n, err := t.exec(ctx, query, args...)
	return int(n), err
}

// Setting implements storage.SettingsTx.
func (t *tx) Setting(ctx context.Context, name string) ([]byte, bool, error) {
	var v []byte
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// SetSettingOnce implements storage.SettingsTx.
func (t *tx) SetSettingOnce(ctx context.Context, name string, value []byte) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	n, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, orEmpty(value))
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
