package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
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
	if _, err := t.exec(ctx, `INSERT INTO products (id, mode, sub_merchant_id, active, created_at, request_key, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, string(p.Mode), p.SubMerchantID, p.Active, ts(p.CreatedAt), p.RequestKey, string(body)); err != nil {
		return err
	}
	return t.insertPlans(ctx, p)
}

// insertPlans records the product of each of p's plans not recorded yet.
func (t *tx) insertPlans(ctx context.Context, p billing.Product) error {
	for _, pl := range p.PricingPlans {
		if _, err := t.exec(ctx, `INSERT INTO plans (id, mode, product_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
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
	if _, err := t.exec(ctx, `UPDATE products SET active = $1, body = $2 WHERE id = $3 AND mode = $4`,
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

// GetProduct implements billing.Tx; inside Update the row is locked (UpdateProduct
// follows).
func (t *tx) GetProduct(ctx context.Context, m asset.Mode, id string) (billing.Product, bool, error) {
	p, err := scanProduct(t.queryRow(ctx, `SELECT mode, body::text FROM products WHERE id = $1 AND mode = $2`+t.forUpdate(), id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	return p, err == nil, err
}

// ProductByRequestKey implements billing.Tx. Two creates with one key at once: the
// unique index fails the second, whose rerun (see Store) finds the first here.
func (t *tx) ProductByRequestKey(ctx context.Context, m asset.Mode, key string) (billing.Product, bool, error) {
	if key == "" {
		return billing.Product{}, false, nil
	}
	p, err := scanProduct(t.queryRow(ctx, `SELECT mode, body::text FROM products WHERE mode = $1 AND request_key = $2 AND request_key != ''`,
		string(m), key))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	p.RequestKey = key
	return p, err == nil, err
}

// SubscriptionByRequestKey implements billing.Tx, as ProductByRequestKey.
func (t *tx) SubscriptionByRequestKey(ctx context.Context, m asset.Mode, key string) (billing.Subscription, bool, error) {
	if key == "" {
		return billing.Subscription{}, false, nil
	}
	s, err := scanSubscription(t.queryRow(ctx, `SELECT mode, next_at, body::text FROM subscriptions
		WHERE mode = $1 AND request_key = $2 AND request_key != ''`, string(m), key))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Subscription{}, false, nil
	}
	s.RequestKey = key
	return s, err == nil, err
}

// ProductOfPlan implements billing.Tx; inside Update the product's row is locked (a
// subscription marks its plan used while no update changes its price).
func (t *tx) ProductOfPlan(ctx context.Context, m asset.Mode, plan string) (billing.Product, bool, error) {
	lock := ""
	if !t.readOnly {
		lock = ` FOR UPDATE OF p`
	}
	p, err := scanProduct(t.queryRow(ctx, `SELECT p.mode, p.body::text FROM plans JOIN products p ON p.id = plans.product_id
		WHERE plans.id = $1 AND plans.mode = $2`+lock, plan, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Product{}, false, nil
	}
	return p, err == nil, err
}

// ListProducts implements billing.Tx.
func (t *tx) ListProducts(ctx context.Context, p billing.ProductListParams) ([]billing.Product, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.SubMerchantID != nil {
		where += ` AND sub_merchant_id = ` + arg(*p.SubMerchantID)
	}
	if p.Active != nil {
		where += ` AND active = ` + arg(*p.Active)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM products WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanProduct, `SELECT mode, body::text FROM products WHERE `+where+page, args...)
	return out, total, err
}

func nextAt(s billing.Subscription) *time.Time {
	if s.NextAt.IsZero() {
		return nil
	}
	at := ts(s.NextAt)
	return &at
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
	_, err = t.exec(ctx, `INSERT INTO subscriptions (id, mode, sub_merchant_id, customer_id, status, next_at, created_at, request_key, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.ID, string(s.Mode), s.SubMerchantID, s.CustomerID, string(s.Status), nextAt(s),
		ts(s.CreatedAt), s.RequestKey, string(body))
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
	_, err = t.exec(ctx, `UPDATE subscriptions SET status = $1, next_at = $2, body = $3 WHERE id = $4 AND mode = $5`,
		string(s.Status), nextAt(s), string(body), s.ID, string(s.Mode))
	return err
}

func scanSubscription(row scanner) (billing.Subscription, error) {
	var s billing.Subscription
	var mode, body string
	var next *time.Time
	if err := row.Scan(&mode, &next, &body); err != nil {
		return billing.Subscription{}, err
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return billing.Subscription{}, err
	}
	s.Mode = asset.Mode(mode)
	if next != nil {
		s.NextAt = next.UTC()
	}
	return s, nil
}

// GetSubscription implements billing.Tx; inside Update the row is locked until the
// transaction ends.
func (t *tx) GetSubscription(ctx context.Context, m asset.Mode, id string) (billing.Subscription, bool, error) {
	s, err := scanSubscription(t.queryRow(ctx, `SELECT mode, next_at, body::text FROM subscriptions WHERE id = $1 AND mode = $2`+t.forUpdate(),
		id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Subscription{}, false, nil
	}
	return s, err == nil, err
}

// ListSubscriptions implements billing.Tx.
func (t *tx) ListSubscriptions(ctx context.Context, p billing.ListParams) ([]billing.Subscription, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.SubMerchantID != nil {
		where += ` AND sub_merchant_id = ` + arg(*p.SubMerchantID)
	}
	if p.CustomerID != "" {
		where += ` AND customer_id = ` + arg(p.CustomerID)
	}
	if p.Status != "" {
		where += ` AND status = ` + arg(string(p.Status))
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM subscriptions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanSubscription, `SELECT mode, next_at, body::text FROM subscriptions WHERE `+where+page, args...)
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
	}, `SELECT mode, id FROM subscriptions WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, ts(now), limit)
}

// InsertPeriod implements billing.Tx. Two transactions inserting one period at once:
// the primary key fails the second, whose rerun (see Store) finds the first here.
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
	_, err = t.exec(ctx, `INSERT INTO subscription_periods (subscription_id, n, mode, status, body) VALUES ($1, $2, $3, $4, $5)`,
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
	_, err = t.exec(ctx, `UPDATE subscription_periods SET status = $1, body = $2 WHERE subscription_id = $3 AND n = $4 AND mode = $5`,
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
	p, err := scanPeriod(t.queryRow(ctx, `SELECT mode, body::text FROM subscription_periods WHERE subscription_id = $1 AND n = $2 AND mode = $3`,
		sub, n, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return billing.Period{}, false, nil
	}
	return p, err == nil, err
}

// ListPeriods implements billing.Tx.
func (t *tx) ListPeriods(ctx context.Context, m asset.Mode, sub string) ([]billing.Period, error) {
	return all(ctx, t, scanPeriod, `SELECT mode, body::text FROM subscription_periods WHERE subscription_id = $1 AND mode = $2 ORDER BY n`, sub, string(m))
}
