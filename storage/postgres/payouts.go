package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
	_, err = t.exec(ctx, `INSERT INTO payouts (id, mode, batch_id, status, created_at, body, request_key, auto_usd_cents, tx_hash, wallet_id,
		sub_merchant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, string(p.Mode), p.BatchID, string(p.Status), ts(p.CreatedAt), string(body), p.RequestKey, auto, p.TxHash, p.WalletID,
		p.SubMerchantID)
	return err
}

// AutoApprovedCents implements payout.Tx. Inside Update it first takes the mode's
// approval lock (a transaction-scoped advisory lock, held until commit): payout
// creates on every instance decide on the rolling window one after another, each
// summing the payouts of those that committed before it, whatever their assets.
func (t *tx) AutoApprovedCents(ctx context.Context, m asset.Mode, since time.Time) (int64, error) {
	if !t.readOnly {
		key := approvalLockLive
		if m != asset.Live {
			key = approvalLockTest
		}
		if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
			return 0, err
		}
	}
	var sum int64
	err := t.queryRow(ctx, `SELECT COALESCE(SUM(auto_usd_cents), 0)::bigint FROM payouts
		WHERE mode = $1 AND created_at >= $2 AND auto_usd_cents > 0 AND status NOT IN ('failed', 'cancelled')`,
		string(m), ts(since)).Scan(&sum)
	return sum, err
}

// PayoutByRequestKey implements payout.Tx.
func (t *tx) PayoutByRequestKey(ctx context.Context, m asset.Mode, key string) (*payout.Payout, error) {
	if key == "" {
		return nil, payout.ErrNotFound
	}
	var body []byte
	var stored string
	err := t.queryRow(ctx, `SELECT body, request_key FROM payouts WHERE mode = $1 AND request_key = $2`+t.forUpdate(),
		string(m), key).Scan(&body, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
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
	n, err := t.exec(ctx, `UPDATE payouts SET status = $1, body = $2, tx_hash = $3 WHERE id = $4 AND mode = $5`,
		string(p.Status), string(body), p.TxHash, p.ID, string(p.Mode))
	if err != nil {
		return err
	}
	if n != 1 {
		return payout.ErrNotFound
	}
	return t.recordReplaced(ctx, p)
}

// recordReplaced indexes the transactions a fee bump replaced, so PayoutsByTx finds
// the payout by any of them.
func (t *tx) recordReplaced(ctx context.Context, p *payout.Payout) error {
	for _, r := range p.Replaced {
		if _, err := t.exec(ctx, `INSERT INTO payout_replaced_txs (mode, txid, payout_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, string(p.Mode), r.TxHash, p.ID); err != nil {
			return err
		}
	}
	return nil
}

func decodePayout(body []byte) (*payout.Payout, error) {
	p, err := storeutil.DecodePayout(body)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return p, nil
}

// GetPayout implements payout.Tx.
func (t *tx) GetPayout(ctx context.Context, m asset.Mode, id string) (*payout.Payout, error) {
	var body []byte
	err := t.queryRow(ctx, `SELECT body FROM payouts WHERE id = $1 AND mode = $2`+t.forUpdate(), id, string(m)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, payout.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodePayout(body)
}

func (t *tx) payouts(ctx context.Context, q string, args ...any) ([]*payout.Payout, error) {
	return all(ctx, t, func(row scanner) (*payout.Payout, error) {
		body, err := scanOne[[]byte](row)
		if err != nil {
			return nil, err
		}
		return decodePayout(body)
	}, q, args...)
}

// ListPayouts implements payout.Tx.
func (t *tx) ListPayouts(ctx context.Context, m asset.Mode, status payout.Status, sub *string, page, limit int) ([]*payout.Payout, int, error) {
	w := where{}
	w.add("mode", string(m))
	if status != "" {
		w.add("status", string(status))
	}
	if sub != nil {
		w.add("sub_merchant_id", *sub)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM payouts WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	ps, err := t.payouts(ctx, `SELECT body FROM payouts WHERE `+w.String()+` ORDER BY created_at DESC, id DESC `+w.page(page, limit),
		w.args...)
	return ps, total, err
}

// PayoutsIn implements payout.Tx.
func (t *tx) PayoutsIn(ctx context.Context, states []payout.Status, after *payout.Payout, limit int) ([]*payout.Payout, error) {
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	w := where{args: []any{ss}}
	w.and("status = ANY($1)")
	if after != nil {
		w.args = append(w.args, ts(after.CreatedAt), after.ID)
		w.and(fmt.Sprintf("(created_at, id) > ($%d, $%d)", len(w.args)-1, len(w.args)))
	}
	w.args = append(w.args, limit)
	return t.payouts(ctx, fmt.Sprintf(`SELECT body FROM payouts WHERE %s ORDER BY created_at, id LIMIT $%d`, w.String(), len(w.args)),
		w.args...)
}

// BatchPayouts implements payout.Tx; inside Update the payouts are locked, in
// creation order (Verify releases or cancels a batch's payouts from what it reads).
func (t *tx) BatchPayouts(ctx context.Context, m asset.Mode, batchID string) ([]*payout.Payout, error) {
	return t.payouts(ctx, `SELECT body FROM payouts WHERE batch_id = $1 AND mode = $2 ORDER BY created_at, id`+t.forUpdate(),
		batchID, string(m))
}

// PayoutsByTx implements payout.Tx; inside Update the payouts are locked, in creation
// order (Apply moves them from what it reads).
func (t *tx) PayoutsByTx(ctx context.Context, n chains.NetworkRef, txid string) ([]*payout.Payout, error) {
	all, err := t.payouts(ctx, `SELECT body FROM payouts WHERE mode = $2 AND (tx_hash = $1 OR id IN (
		SELECT payout_id FROM payout_replaced_txs WHERE mode = $2 AND txid = $1)) ORDER BY created_at, id`+t.forUpdate(),
		txid, string(n.Mode))
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
	_, err := t.exec(ctx, `INSERT INTO payout_codes (payout_id, hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
		ON CONFLICT (payout_id) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0`,
		id, hash, ts(expires))
	return err
}

// PayoutCode implements payout.Tx.
func (t *tx) PayoutCode(ctx context.Context, id string) ([]byte, time.Time, int, error) {
	var hash []byte
	var exp time.Time
	var attempts int
	err := t.queryRow(ctx, `SELECT hash, expires_at, attempts FROM payout_codes WHERE payout_id = $1`+t.forUpdate(), id).
		Scan(&hash, &exp, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, 0, payout.ErrNotFound
	}
	return hash, exp.UTC(), attempts, err
}

// SetPayoutCodeAttempts implements payout.Tx.
func (t *tx) SetPayoutCodeAttempts(ctx context.Context, id string, attempts int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE payout_codes SET attempts = $1 WHERE payout_id = $2`, attempts, id)
	return err
}
