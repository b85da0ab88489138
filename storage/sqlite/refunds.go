package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kassapay/kassa/storage/internal/storeutil"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/refund"
	"github.com/shopspring/decimal"
)

const refundCols = `body, mode, claim_token, request_key`

// refundRow is what a refund is stored as, beyond its body.
func refundRow(r *refund.Refund) (body []byte, payoutID string, expires int64, err error) {
	body, err = json.Marshal(r)
	if r.PayoutID != nil {
		payoutID = *r.PayoutID
	}
	if r.ClaimExpiresAt != nil {
		expires = micros(*r.ClaimExpiresAt)
	}
	return body, payoutID, expires, err
}

func scanRefund(row scanner) (*refund.Refund, error) {
	var body, mode, token, key string
	if err := row.Scan(&body, &mode, &token, &key); err != nil {
		return nil, err
	}
	var r refund.Refund
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("sqlite: stored refund: %w", err)
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
	_, err = t.tx.ExecContext(ctx, `INSERT INTO refunds (id, mode, object, invoice_id, payout_id, status, claim_token, claim_expires_at, request_key, created_at, body,
		sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, string(r.Mode), storeutil.RefundObject(r), r.InvoiceID, payoutID, string(r.Status),
		r.ClaimToken, expires, r.RequestKey, micros(r.CreatedAt), string(body), r.SubMerchantID)
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
	res, err := t.tx.ExecContext(ctx, `UPDATE refunds SET status = ?, payout_id = ?, body = ? WHERE id = ? AND mode = ?`,
		string(r.Status), payoutID, string(body), r.ID, string(r.Mode))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return refund.ErrNotFound
	}
	return nil
}

func (t *tx) refund(ctx context.Context, q string, args ...any) (*refund.Refund, error) {
	r, err := scanRefund(t.tx.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE `+q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refund.ErrNotFound
	}
	return r, err
}

// GetRefund implements refund.Tx.
func (t *tx) GetRefund(ctx context.Context, m asset.Mode, id string) (*refund.Refund, error) {
	return t.refund(ctx, `id = ? AND mode = ?`, id, string(m))
}

// RefundByToken implements refund.Tx.
func (t *tx) RefundByToken(ctx context.Context, token string) (*refund.Refund, error) {
	if token == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, whereRefundToken, token)
}

// RefundByRequestKey implements refund.Tx.
func (t *tx) RefundByRequestKey(ctx context.Context, m asset.Mode, key string) (*refund.Refund, error) {
	if key == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, whereRefundRequestKey, string(m), key)
}

// RefundByPayout implements refund.Tx.
func (t *tx) RefundByPayout(ctx context.Context, payoutID string) (*refund.Refund, error) {
	if payoutID == "" {
		return nil, refund.ErrNotFound
	}
	return t.refund(ctx, whereRefundPayout, payoutID)
}

// InvoiceRefunds implements refund.Tx.
func (t *tx) InvoiceRefunds(ctx context.Context, m asset.Mode, invoiceID string) ([]*refund.Refund, error) {
	return all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE invoice_id = ? AND mode = ? ORDER BY created_at, id`,
		invoiceID, string(m))
}

// ListRefunds implements refund.Tx.
func (t *tx) ListRefunds(ctx context.Context, p refund.ListParams) ([]*refund.Refund, int, error) {
	where, args := `mode = ? AND object = ?`, []any{string(p.Mode), storeutil.ListObject(p)}
	if p.InvoiceID != "" {
		where, args = where+` AND invoice_id = ?`, append(args, p.InvoiceID)
	}
	if p.Status != "" {
		where, args = where+` AND status = ?`, append(args, string(p.Status))
	}
	if p.SubMerchantID != nil {
		where, args = where+` AND sub_merchant_id = ?`+subIndexed(*p.SubMerchantID), append(args, *p.SubMerchantID)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM refunds WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rs, err := all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, p.Limit, (max(p.Page, 1)-1)*p.Limit)...)
	return rs, total, err
}

// ClaimsExpiring implements refund.Tx.
func (t *tx) ClaimsExpiring(ctx context.Context, at time.Time, limit int) ([]*refund.Refund, error) {
	return all(ctx, t, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE status = 'awaiting_address' AND claim_expires_at <= ?
		ORDER BY claim_expires_at, id LIMIT ?`, micros(at), limit)
}

// SetInvoiceRefunded implements refund.Tx.
func (t *tx) SetInvoiceRefunded(ctx context.Context, m asset.Mode, id string, amount decimal.Decimal, full bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE invoices SET body = json_set(body, '$.amount_refunded', ?, '$.refunded', json(?))
		WHERE id = ? AND mode = ?`, amount.String(), fmt.Sprint(full), id, string(m))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return invoice.ErrNotFound
	}
	return nil
}
