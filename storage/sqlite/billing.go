package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
)

// InsertProduct implements billing.Tx.
func (t *tx) InsertProduct(ctx context.Context, p billing.Product) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO products (id, mode, sub_merchant_id, active, created_at, request_key, body)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, string(p.Mode), p.SubMerchantID, p.Active, micros(p.CreatedAt), p.RequestKey, string(body)); err != nil {
		return err
	}
	return t.insertPlans(ctx, p)
}

// insertPlans records the product of each of p's plans not recorded yet.
func (t *tx) insertPlans(ctx context.Context, p billing.Product) error {
	for _, pl := range p.PricingPlans {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO plans (id, mode, product_id) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			pl.ID, string(p.Mode), p.ID); err != nil {
			return err
		}
	}
	return nil
}

// UpdateProduct implements billing.Tx.
func (t *tx) UpdateProduct(ctx context.Context, p billing.Product) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE products SET active = ?, body = ? WHERE id = ? AND mode = ?`,
		p.Active, string(body), p.ID, string(p.Mode)); err != nil {
		return err
	}
	return t.insertPlans(ctx, p)
}

func scanProduct(row scanner) (billing.Product, error) {
	var p billing.Product
	var mode, body string
	if err := row.Scan(&mode, &body); err != nil {
		return billing.Product{}, err
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return billing.Product{}, err
	}
	p.Mode = asset.Mode(mode)
	return p, nil
}

// GetProduct implements billing.Tx.
func (t *tx) GetProduct(ctx context.Context, m asset.Mode, id string) (billing.Product, bool, error) {
	p, err := scanProduct(t.tx.QueryRowContext(ctx, `SELECT mode, body FROM products WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	return p, err == nil, err
}

// ProductByRequestKey implements billing.Tx.
func (t *tx) ProductByRequestKey(ctx context.Context, m asset.Mode, key string) (billing.Product, bool, error) {
	if key == "" {
		return billing.Product{}, false, nil
	}
	p, err := scanProduct(t.tx.QueryRowContext(ctx, `SELECT mode, body FROM products WHERE `+whereProductRequestKey, string(m), key))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	p.RequestKey = key
	return p, err == nil, err
}

// SubscriptionByRequestKey implements billing.Tx.
func (t *tx) SubscriptionByRequestKey(ctx context.Context, m asset.Mode, key string) (billing.Subscription, bool, error) {
	if key == "" {
		return billing.Subscription{}, false, nil
	}
	s, err := scanSubscription(t.tx.QueryRowContext(ctx, `SELECT mode, next_at, body FROM subscriptions WHERE `+whereSubscriptionRequestKey,
		string(m), key))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Subscription{}, false, nil
	}
	s.RequestKey = key
	return s, err == nil, err
}

// ProductOfPlan implements billing.Tx.
func (t *tx) ProductOfPlan(ctx context.Context, m asset.Mode, plan string) (billing.Product, bool, error) {
	p, err := scanProduct(t.tx.QueryRowContext(ctx, `SELECT p.mode, p.body FROM plans JOIN products p ON p.id = plans.product_id
		WHERE plans.id = ? AND plans.mode = ?`, plan, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	return p, err == nil, err
}

// ListProducts implements billing.Tx.
func (t *tx) ListProducts(ctx context.Context, p billing.ProductListParams) ([]billing.Product, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.SubMerchantID != nil {
		where, args = where+` AND sub_merchant_id = ?`, append(args, *p.SubMerchantID)
	}
	if p.Active != nil {
		where, args = where+` AND active = ?`, append(args, *p.Active)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM products WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanProduct, `SELECT mode, body FROM products WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}

func nextAt(s billing.Subscription) any {
	if s.NextAt.IsZero() {
		return nil
	}
	return micros(s.NextAt)
}

// InsertSubscription implements billing.Tx.
func (t *tx) InsertSubscription(ctx context.Context, s billing.Subscription) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO subscriptions (id, mode, sub_merchant_id, customer_id, status, next_at, created_at,
		request_key, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, string(s.Mode), s.SubMerchantID, s.CustomerID, string(s.Status), nextAt(s),
		micros(s.CreatedAt), s.RequestKey, string(body))
	return err
}

// UpdateSubscription implements billing.Tx.
func (t *tx) UpdateSubscription(ctx context.Context, s billing.Subscription) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE subscriptions SET status = ?, next_at = ?, body = ? WHERE id = ? AND mode = ?`,
		string(s.Status), nextAt(s), string(body), s.ID, string(s.Mode))
	return err
}

func scanSubscription(row scanner) (billing.Subscription, error) {
	var s billing.Subscription
	var mode, body string
	var next sql.NullInt64
	if err := row.Scan(&mode, &next, &body); err != nil {
		return billing.Subscription{}, err
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return billing.Subscription{}, err
	}
	s.Mode = asset.Mode(mode)
	if next.Valid {
		s.NextAt = time.UnixMicro(next.Int64).UTC()
	}
	return s, nil
}

// GetSubscription implements billing.Tx (a SQLite write transaction holds the
// database's one write lock: the row needs no other).
func (t *tx) GetSubscription(ctx context.Context, m asset.Mode, id string) (billing.Subscription, bool, error) {
	s, err := scanSubscription(t.tx.QueryRowContext(ctx, `SELECT mode, next_at, body FROM subscriptions WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Subscription{}, false, nil
	}
	return s, err == nil, err
}

// ListSubscriptions implements billing.Tx.
func (t *tx) ListSubscriptions(ctx context.Context, p billing.ListParams) ([]billing.Subscription, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.SubMerchantID != nil {
		where, args = where+` AND sub_merchant_id = ?`, append(args, *p.SubMerchantID)
	}
	if p.CustomerID != "" {
		where, args = where+` AND customer_id = ?`, append(args, p.CustomerID)
	}
	if p.Status != "" {
		where, args = where+` AND status = ?`, append(args, string(p.Status))
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanSubscription, `SELECT mode, next_at, body FROM subscriptions WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}

// DueSubscriptions implements billing.Tx.
func (t *tx) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]billing.Ref, error) {
	return all(ctx, t, func(row scanner) (billing.Ref, error) {
		var r billing.Ref
		var mode string
		err := row.Scan(&mode, &r.ID)
		r.Mode = asset.Mode(mode)
		return r, err
	}, `SELECT mode, id FROM subscriptions WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`, micros(now), limit)
}

// InsertPeriod implements billing.Tx.
func (t *tx) InsertPeriod(ctx context.Context, p billing.Period) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok, err := t.GetPeriod(ctx, p.Mode, p.SubscriptionID, p.N); err != nil || ok {
		if ok {
			err = billing.ErrPeriodExists
		}
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO subscription_periods (subscription_id, n, mode, status, body) VALUES (?, ?, ?, ?, ?)`,
		p.SubscriptionID, p.N, string(p.Mode), string(p.Status), string(body))
	return err
}

// UpdatePeriod implements billing.Tx.
func (t *tx) UpdatePeriod(ctx context.Context, p billing.Period) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE subscription_periods SET status = ?, body = ? WHERE subscription_id = ? AND n = ? AND mode = ?`,
		string(p.Status), string(body), p.SubscriptionID, p.N, string(p.Mode))
	return err
}

func scanPeriod(row scanner) (billing.Period, error) {
	var p billing.Period
	var mode, body string
	if err := row.Scan(&mode, &body); err != nil {
		return billing.Period{}, err
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return billing.Period{}, err
	}
	p.Mode = asset.Mode(mode)
	return p, nil
}

// GetPeriod implements billing.Tx.
func (t *tx) GetPeriod(ctx context.Context, m asset.Mode, sub string, n int) (billing.Period, bool, error) {
	p, err := scanPeriod(t.tx.QueryRowContext(ctx, `SELECT mode, body FROM subscription_periods WHERE subscription_id = ? AND n = ? AND mode = ?`,
		sub, n, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return billing.Period{}, false, nil
	}
	return p, err == nil, err
}

// ListPeriods implements billing.Tx.
func (t *tx) ListPeriods(ctx context.Context, m asset.Mode, sub string) ([]billing.Period, error) {
	return all(ctx, t, scanPeriod, `SELECT mode, body FROM subscription_periods WHERE subscription_id = ? AND mode = ? ORDER BY n`, sub, string(m))
}
