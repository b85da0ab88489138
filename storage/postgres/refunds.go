package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kassapay/kassa/storage/internal/storeutil"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/refund"
	"github.com/shopspring/decimal"
)

const refundCols = `body, mode, claim_token, request_key`

// refundRow is what a refund is stored as, beyond its body.
func refundRow(r *refund.Refund) (body []byte, payoutID string, expires *time.Time, err error) {
	body, err = json.Marshal(r)
	if r.PayoutID != nil {
		payoutID = *r.PayoutID
	}
	return body, payoutID, nullTime(r.ClaimExpiresAt), err
}

func scanRefund(row scanner) (*refund.Refund, error) {
	var body []byte
	var mode, token, key string
	if err := row.Scan(&body, &mode, &token, &key); err != nil {
		return nil, err
	}
	var r refund.Refund
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("postgres: stored refund: %w", err)
	}
	r.Mode, r.ClaimToken, r.RequestKey = asset.Mode(mode), token, key
	return &r, nil
}

// InsertRefund implements refund.Tx.
func (t *tx) InsertRefund(ctx context.Context, r *refund.Refund) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, payoutID, expires, err := refundRow(r)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO refunds (id, mode, object, invoice_id, payout_id, status, claim_token, claim_expires_at, request_key, created_at, body,
		sub_merchant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, r.ID, string(r.Mode), storeutil.RefundObject(r), r.InvoiceID, payoutID,
		string(r.Status), r.ClaimToken, expires, r.RequestKey, ts(r.CreatedAt), string(body), r.SubMerchantID)
	return err
}

// UpdateRefund implements refund.Tx.
func (t *tx) UpdateRefund(ctx context.Context, r *refund.Refund) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, payoutID, _, err := refundRow(r)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE refunds SET status = $1, payout_id = $2, body = $3 WHERE id = $4 AND mode = $5`,
		string(r.Status), payoutID, string(body), r.ID, string(r.Mode))
	if err != nil {
		return err
	}
	if n != 1 {
		return refund.ErrNotFound
	}
	return nil
}

// refund reads one refund; inside Update its row stays locked until the end.
func (t *tx) refund(ctx context.Context, q string, args ...any) (*refund.Refund, error) {
	r, err := scanRefund(t.queryRow(ctx, `SELECT `+refundCols+` FROM refunds WHERE `+q+t.forUpdate(), args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, refund.ErrNotFound
	}
	return r, err
}

// GetRefund implements refund.Tx.
func (t *tx) GetRefund(ctx context.Context, m asset.Mode, id string) (*refund.Refund, error) {
	return t.refund(ctx, `id = $1 AND mode = $2`, id, string(m))
}

// RefundByToken implements refund.Tx.
func (t *tx) RefundByToken(ctx context.Context, token string) (*refund.Refund, error) {
	if token == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, `claim_token = $1`, token)
}

// RefundByRequestKey implements refund.Tx.
func (t *tx) RefundByRequestKey(ctx context.Context, m asset.Mode, key string) (*refund.Refund, error) {
	if key == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, `mode = $1 AND request_key = $2`, string(m), key)
}

// RefundByPayout implements refund.Tx.
func (t *tx) RefundByPayout(ctx context.Context, payoutID string) (*refund.Refund, error) {
	if payoutID == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, `payout_id = $1`, payoutID)
}

// InvoiceRefunds implements refund.Tx.
func (t *tx) InvoiceRefunds(ctx context.Context, m asset.Mode, invoiceID string) ([]*refund.Refund, error) {
	return all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE invoice_id = $1 AND mode = $2 ORDER BY created_at, id`,
		invoiceID, string(m))
}

// ListRefunds implements refund.Tx.
func (t *tx) ListRefunds(ctx context.Context, p refund.ListParams) ([]*refund.Refund, int, error) {
	w := where{}
	w.add("mode", string(p.Mode))
	w.add("object", storeutil.ListObject(p))
	if p.InvoiceID != "" {
		w.add("invoice_id", p.InvoiceID)
	}
	if p.Status != "" {
		w.add("status", string(p.Status))
	}
	if p.SubMerchantID != nil {
		w.add("sub_merchant_id", *p.SubMerchantID)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM refunds WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rs, err := all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE `+w.String()+` ORDER BY created_at DESC, id DESC `+w.page(p.Page, p.Limit),
		w.args...)
	return rs, total, err
}

// ClaimsExpiring implements refund.Tx.
func (t *tx) ClaimsExpiring(ctx context.Context, at time.Time, limit int) ([]*refund.Refund, error) {
	return all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE status = 'awaiting_address' AND claim_expires_at <= $1
		ORDER BY claim_expires_at, id LIMIT $2`+t.forUpdate(), ts(at), limit)
}

// SetInvoiceRefunded implements refund.Tx. The body is rewritten from Go, not with
// jsonb_set: a jsonb round trip would reorder the keys of the merchant's metadata.
func (t *tx) SetInvoiceRefunded(ctx context.Context, m asset.Mode, id string, amount decimal.Decimal, full bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	inv, err := t.GetInvoice(ctx, m, id) // locked until the end
	if err != nil {
		return err
	}
	inv.AmountRefunded, inv.Refunded = amount, full
	body, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `UPDATE invoices SET body = $1 WHERE id = $2 AND mode = $3`, string(body), id, string(m))
	return err
}
