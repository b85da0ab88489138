package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/shopspring/decimal"
)

// InsertConversion implements conversion.Tx.
func (t *tx) InsertConversion(ctx context.Context, c conversion.Conversion) error {
	if err := t.writable(); err != nil {
		return err
	}
	if c.RequestKey != "" {
		if _, ok, err := t.ConversionByRequestKey(ctx, c.Mode, c.RequestKey); err != nil {
			return err
		} else if ok {
			return conversion.ErrDuplicate
		}
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO conversions (id, mode, sub_merchant_id, from_asset, to_asset, amount, rate, received,
		fee, status, failure_reason, request_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, string(c.Mode), c.SubMerchantID, c.From, c.To, c.Amount.String(), c.Rate.String(), c.Received.String(), c.Fee.String(),
		string(c.Status), c.FailureReason, c.RequestKey, micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// UpdateConversion implements conversion.Tx.
func (t *tx) UpdateConversion(ctx context.Context, c conversion.Conversion) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE conversions SET status = ?, rate = ?, received = ?, fee = ?, failure_reason = ?, updated_at = ?
		WHERE id = ? AND mode = ?`, string(c.Status), c.Rate.String(), c.Received.String(), c.Fee.String(), c.FailureReason,
		micros(c.UpdatedAt), c.ID, string(c.Mode))
	return err
}

const conversionCols = `id, mode, sub_merchant_id, from_asset, to_asset, amount, rate, received, fee, status, failure_reason,
	request_key, created_at, updated_at`

func scanConversion(row scanner) (conversion.Conversion, error) {
	var c conversion.Conversion
	var mode, status, amount, rate, received, fee string
	var created, updated int64
	if err := row.Scan(&c.ID, &mode, &c.SubMerchantID, &c.From, &c.To, &amount, &rate, &received, &fee, &status, &c.FailureReason,
		&c.RequestKey, &created, &updated); err != nil {
		return conversion.Conversion{}, err
	}
	c.Mode, c.Status = asset.Mode(mode), conversion.Status(status)
	for _, d := range []struct {
		dst *decimal.Decimal
		s   string
	}{{&c.Amount, amount}, {&c.Rate, rate}, {&c.Received, received}, {&c.Fee, fee}} {
		v, err := decimal.NewFromString(d.s)
		if err != nil {
			return conversion.Conversion{}, err
		}
		*d.dst = v
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return c, nil
}

func (t *tx) oneConversion(ctx context.Context, q string, args ...any) (conversion.Conversion, bool, error) {
	c, err := scanConversion(t.tx.QueryRowContext(ctx, `SELECT `+conversionCols+` FROM conversions WHERE `+q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return conversion.Conversion{}, false, nil
	}
	return c, err == nil, err
}

// GetConversion implements conversion.Tx.
func (t *tx) GetConversion(ctx context.Context, m asset.Mode, id string) (conversion.Conversion, bool, error) {
	return t.oneConversion(ctx, `id = ? AND mode = ?`, id, string(m))
}

// ConversionByRequestKey implements conversion.Tx.
func (t *tx) ConversionByRequestKey(ctx context.Context, m asset.Mode, key string) (conversion.Conversion, bool, error) {
	if key == "" {
		return conversion.Conversion{}, false, nil
	}
	return t.oneConversion(ctx, `mode = ? AND request_key = ?`, string(m), key)
}

// ListConversions implements conversion.Tx.
func (t *tx) ListConversions(ctx context.Context, p conversion.ListParams) ([]conversion.Conversion, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.SubMerchantID != nil {
		where, args = where+` AND sub_merchant_id = ?`, append(args, *p.SubMerchantID)
	}
	if p.Status != "" {
		where, args = where+` AND status = ?`, append(args, string(p.Status))
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM conversions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanConversion, `SELECT `+conversionCols+` FROM conversions WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}

// PendingConversions implements conversion.Tx.
func (t *tx) PendingConversions(ctx context.Context, before time.Time, limit int) ([]conversion.Conversion, error) {
	return all(ctx, t, scanConversion, `SELECT `+conversionCols+` FROM conversions WHERE status = 'pending' AND updated_at < ?
		ORDER BY updated_at, id LIMIT ?`, micros(before), limit)
}
