package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/shopspring/decimal"
)

// InsertConversion implements conversion.Tx. Two transactions inserting one request
// key at once: the unique index fails the second, whose rerun (see Store) finds the
// first here.
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
	_, err := t.exec(ctx, `INSERT INTO conversions (id, mode, sub_merchant_id, from_asset, to_asset, amount, rate, received,
		fee, status, failure_reason, request_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		c.ID, string(c.Mode), c.SubMerchantID, c.From, c.To, c.Amount.String(), c.Rate.String(), c.Received.String(), c.Fee.String(),
		string(c.Status), c.FailureReason, c.RequestKey, ts(c.CreatedAt), ts(c.UpdatedAt))
	return err
}

// UpdateConversion implements conversion.Tx.
func (t *tx) UpdateConversion(ctx context.Context, c conversion.Conversion) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE conversions SET status = $1, rate = $2, received = $3, fee = $4, failure_reason = $5, updated_at = $6
		WHERE id = $7 AND mode = $8`, string(c.Status), c.Rate.String(), c.Received.String(), c.Fee.String(), c.FailureReason,
		ts(c.UpdatedAt), c.ID, string(c.Mode))
	return err
}

const conversionCols = `id, mode, sub_merchant_id, from_asset, to_asset, amount, rate, received, fee, status, failure_reason,
	request_key, created_at, updated_at`

func scanConversion(row scanner) (conversion.Conversion, error) {
	var c conversion.Conversion
	var mode, status, amount, rate, received, fee string
	if err := row.Scan(&c.ID, &mode, &c.SubMerchantID, &c.From, &c.To, &amount, &rate, &received, &fee, &status, &c.FailureReason,
		&c.RequestKey, &c.CreatedAt, &c.UpdatedAt); err != nil {
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
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

func (t *tx) oneConversion(ctx context.Context, q string, args ...any) (conversion.Conversion, bool, error) {
	c, err := scanConversion(t.queryRow(ctx, `SELECT `+conversionCols+` FROM conversions WHERE `+q+t.forUpdate(), args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return conversion.Conversion{}, false, nil
	}
	return c, err == nil, err
}

// GetConversion implements conversion.Tx.
func (t *tx) GetConversion(ctx context.Context, m asset.Mode, id string) (conversion.Conversion, bool, error) {
	return t.oneConversion(ctx, `id = $1 AND mode = $2`, id, string(m))
}

// ConversionByRequestKey implements conversion.Tx.
func (t *tx) ConversionByRequestKey(ctx context.Context, m asset.Mode, key string) (conversion.Conversion, bool, error) {
	if key == "" {
		return conversion.Conversion{}, false, nil
	}
	return t.oneConversion(ctx, `mode = $1 AND request_key = $2`, string(m), key)
}

// ListConversions implements conversion.Tx.
func (t *tx) ListConversions(ctx context.Context, p conversion.ListParams) ([]conversion.Conversion, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.SubMerchantID != nil {
		where += ` AND sub_merchant_id = ` + arg(*p.SubMerchantID)
	}
	if p.Status != "" {
		where += ` AND status = ` + arg(string(p.Status))
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM conversions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanConversion, `SELECT `+conversionCols+` FROM conversions WHERE `+where+page, args...)
	return out, total, err
}

// PendingConversions implements conversion.Tx.
func (t *tx) PendingConversions(ctx context.Context, before time.Time, limit int) ([]conversion.Conversion, error) {
	return all(ctx, t, scanConversion, `SELECT `+conversionCols+` FROM conversions WHERE status = 'pending' AND updated_at < $1
		ORDER BY updated_at, id LIMIT $2`, ts(before), limit)
}
