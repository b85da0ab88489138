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
)

// InsertAPIKey implements apikey.Tx.
func (t *tx) InsertAPIKey(ctx context.Context, r apikey.Record) error {
	if err := t.writable(); err != nil {
		return err
	}
	ips, _ := json.Marshal(r.AllowedIPs)
	_, err := t.tx.ExecContext(ctx, `INSERT INTO api_keys (id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, string(r.Mode), r.Label, r.Prefix, r.Hash, r.Sealed, string(ips), r.RateLimit, micros(r.CreatedAt))
	return err
}

const apiKeyCols = `id, mode, label, prefix, hash, sealed, allowed_ips, rate_limit, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (apikey.Record, error) {
	var r apikey.Record
	var mode, ips string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&r.ID, &mode, &r.Label, &r.Prefix, &r.Hash, &r.Sealed, &ips, &r.RateLimit, &created, &revoked); err != nil {
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
	rows, err := t.tx.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []apikey.Record
	for rows.Next() {
		r, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
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
