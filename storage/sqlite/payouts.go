package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage/internal/storeutil"
)

// InsertPayout implements payout.Tx.
func (t *tx) InsertPayout(ctx context.Context, p *payout.Payout) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := storeutil.EncodePayout(p)
	if err != nil {
		return err
	}
	auto := int64(0)
	if p.Approval == payout.ApprovalAutomatic && p.ValueUSD != nil {
		auto = p.ValueUSD.Shift(2).RoundCeil(0).IntPart()
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO payouts (id, mode, batch_id, status, created_at, body, request_key, auto_usd_cents, tx_hash, wallet_id,
		sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, string(p.Mode), p.BatchID, string(p.Status), micros(p.CreatedAt), string(body), p.RequestKey, auto, p.TxHash, p.WalletID,
		p.SubMerchantID)
	return err
}

// AutoApprovedCents implements payout.Tx.
func (t *tx) AutoApprovedCents(ctx context.Context, m asset.Mode, since time.Time) (int64, error) {
	var sum int64
	err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(auto_usd_cents), 0) FROM payouts
		WHERE mode = ? AND created_at >= ? AND auto_usd_cents > 0 AND status NOT IN ('failed', 'cancelled')`,
		string(m), micros(since)).Scan(&sum)
	return sum, err
}

// PayoutByRequestKey implements payout.Tx.
func (t *tx) PayoutByRequestKey(ctx context.Context, m asset.Mode, key string) (*payout.Payout, error) {
	var body, stored string
	err := t.tx.QueryRowContext(ctx, `SELECT body, request_key FROM payouts WHERE `+wherePayoutRequestKey, string(m), key).Scan(&body, &stored)
	if errors.Is(err, sql.ErrNoRows) || key == "" {
		return nil, payout.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p, err := decodePayout(body)
	if err == nil {
		p.RequestKey = stored
	}
	return p, err
}

// UpdatePayout implements payout.Tx.
func (t *tx) UpdatePayout(ctx context.Context, p *payout.Payout) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := storeutil.EncodePayout(p)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE payouts SET status = ?, body = ?, tx_hash = ? WHERE id = ? AND mode = ?`,
		string(p.Status), string(body), p.TxHash, p.ID, string(p.Mode))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return payout.ErrNotFound
	}
	return t.recordReplaced(ctx, p)
}

// recordReplaced indexes the transactions a fee bump replaced, so PayoutsByTx finds
// the payout by any of them.
func (t *tx) recordReplaced(ctx context.Context, p *payout.Payout) error {
	for _, r := range p.Replaced {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO payout_replaced_txs (mode, txid, payout_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, string(p.Mode), r.TxHash, p.ID); err != nil {
			return err
		}
	}
	return nil
}

func decodePayout(body string) (*payout.Payout, error) {
	p, err := storeutil.DecodePayout([]byte(body))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return p, nil
}

// GetPayout implements payout.Tx.
func (t *tx) GetPayout(ctx context.Context, m asset.Mode, id string) (*payout.Payout, error) {
	var body string
	err := t.tx.QueryRowContext(ctx, `SELECT body FROM payouts WHERE id = ? AND mode = ?`, id, string(m)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payout.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodePayout(body)
}

func (t *tx) payouts(ctx context.Context, q string, args ...any) ([]*payout.Payout, error) {
	return all(ctx, t, func(row scanner) (*payout.Payout, error) {
		body, err := scanOne[string](row)
		if err != nil {
			return nil, err
		}
		return decodePayout(body)
	}, q, args...)
}

// ListPayouts implements payout.Tx.
func (t *tx) ListPayouts(ctx context.Context, m asset.Mode, status payout.Status, sub *string, page, limit int) ([]*payout.Payout, int, error) {
	where, args := `mode = ?`, []any{string(m)}
	if status != "" {
		where, args = where+` AND status = ?`, append(args, string(status))
	}
	if sub != nil {
		where, args = where+` AND sub_merchant_id = ?`+subIndexed(*sub), append(args, *sub)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM payouts WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	ps, err := t.payouts(ctx, `SELECT body FROM payouts WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, (page-1)*limit)...)
	return ps, total, err
}

// PayoutsIn implements payout.Tx.
func (t *tx) PayoutsIn(ctx context.Context, states []payout.Status, after *payout.Payout, limit int) ([]*payout.Payout, error) {
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	args := make([]any, 0, len(states)+3)
	for _, s := range states {
		args = append(args, string(s))
	}
	where := `status IN (` + ph + `)`
	if after != nil {
		where += ` AND (created_at, id) > (?, ?)`
		args = append(args, micros(after.CreatedAt), after.ID)
	}
	return t.payouts(ctx, `SELECT body FROM payouts WHERE `+where+` ORDER BY created_at, id LIMIT ?`, append(args, limit)...)
}

// BatchPayouts implements payout.Tx.
func (t *tx) BatchPayouts(ctx context.Context, m asset.Mode, batchID string) ([]*payout.Payout, error) {
	return t.payouts(ctx, `SELECT body FROM payouts WHERE `+wherePayoutBatch+` ORDER BY created_at, id`, batchID, string(m))
}

// PayoutsByTx implements payout.Tx.
func (t *tx) PayoutsByTx(ctx context.Context, n chains.NetworkRef, txid string) ([]*payout.Payout, error) {
	all, err := t.payouts(ctx, `SELECT body FROM payouts WHERE `+wherePayoutTx+` ORDER BY created_at, id`, string(n.Mode), txid)
	out := all[:0]
	for _, p := range all {
		if p.Network == n.ID {
			out = append(out, p)
		}
	}
	return out, err
}

// SetPayoutCode implements payout.Tx.
func (t *tx) SetPayoutCode(ctx context.Context, id string, hash []byte, expires time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO payout_codes (payout_id, hash, expires_at, attempts) VALUES (?, ?, ?, 0)
		ON CONFLICT (payout_id) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0`, id, hash, micros(expires))
	return err
}

// PayoutCode implements payout.Tx.
func (t *tx) PayoutCode(ctx context.Context, id string) ([]byte, time.Time, int, error) {
	var hash []byte
	var exp int64
	var attempts int
	err := t.tx.QueryRowContext(ctx, `SELECT hash, expires_at, attempts FROM payout_codes WHERE payout_id = ?`, id).Scan(&hash, &exp, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, 0, payout.ErrNotFound
	}
	return hash, time.UnixMicro(exp).UTC(), attempts, err
}

// SetPayoutCodeAttempts implements payout.Tx.
func (t *tx) SetPayoutCodeAttempts(ctx context.Context, id string, attempts int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE payout_codes SET attempts = ? WHERE payout_id = ?`, attempts, id)
	return err
}
