package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/webhook"
)

// orEmpty is b, or an empty slice for a column that is NOT NULL.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// InsertEndpoint implements webhook.Tx.
func (t *tx) InsertEndpoint(ctx context.Context, e webhook.EndpointRecord) error {
	if err := t.writable(); err != nil {
		return err
	}
	events, _ := json.Marshal(e.Events)
	_, err := t.exec(ctx, `INSERT INTO webhook_endpoints (id, mode, url, description, events, enabled, disabled_reason,
		secret, old_secret, old_until, failing_since, created_at, updated_at, sub_merchant_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		e.ID, string(e.Mode), e.URL, e.Description, string(events), e.Enabled, e.DisabledReason, orEmpty(e.Secret), e.OldSecret,
		nullTime(e.OldUntil), nullTime(e.FailingSince), ts(e.CreatedAt), ts(e.UpdatedAt), e.SubMerchantID)
	return err
}

// UpdateEndpoint implements webhook.Tx.
func (t *tx) UpdateEndpoint(ctx context.Context, e webhook.EndpointRecord) error {
	if err := t.writable(); err != nil {
		return err
	}
	events, _ := json.Marshal(e.Events)
	_, err := t.exec(ctx, `UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, enabled = $4,
		disabled_reason = $5, secret = $6, old_secret = $7, old_until = $8, failing_since = $9, updated_at = $10
		WHERE id = $11 AND mode = $12`,
		e.URL, e.Description, string(events), e.Enabled, e.DisabledReason, orEmpty(e.Secret), e.OldSecret, nullTime(e.OldUntil),
		nullTime(e.FailingSince), ts(e.UpdatedAt), e.ID, string(e.Mode))
	return err
}

// DeleteEndpoint implements webhook.Tx.
func (t *tx) DeleteEndpoint(ctx context.Context, m asset.Mode, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND mode = $2`, id, string(m))
	return err
}

const endpointCols = `id, mode, url, description, events, enabled, disabled_reason, secret, old_secret, old_until, failing_since, created_at, updated_at, sub_merchant_id`

func scanEndpoint(row scanner) (webhook.EndpointRecord, error) {
	var e webhook.EndpointRecord
	var mode string
	var events []byte
	if err := row.Scan(&e.ID, &mode, &e.URL, &e.Description, &events, &e.Enabled, &e.DisabledReason, &e.Secret, &e.OldSecret,
		&e.OldUntil, &e.FailingSince, &e.CreatedAt, &e.UpdatedAt, &e.SubMerchantID); err != nil {
		return webhook.EndpointRecord{}, err
	}
	e.Mode = asset.Mode(mode)
	e.OldUntil, e.FailingSince = utc(e.OldUntil), utc(e.FailingSince)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, json.Unmarshal(events, &e.Events)
}

// GetEndpoint implements webhook.Tx.
func (t *tx) GetEndpoint(ctx context.Context, m asset.Mode, id string) (webhook.EndpointRecord, error) {
	e, err := scanEndpoint(t.queryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1 AND mode = $2`+t.forUpdate(),
		id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return webhook.EndpointRecord{}, webhook.ErrNotFound
	}
	return e, err
}

// ListEndpoints implements webhook.Tx.
func (t *tx) ListEndpoints(ctx context.Context, m asset.Mode) ([]webhook.EndpointRecord, error) {
	return all(ctx, t, scanEndpoint, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE mode = $1 ORDER BY created_at, id`, string(m))
}

// InsertDelivery implements webhook.Tx.
func (t *tx) InsertDelivery(ctx context.Context, d webhook.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (id, event_id, target, url, mode, status, attempts, next_at,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id, target) DO NOTHING`,
		d.ID, d.EventID, d.Target, d.URL, string(d.Mode), string(d.Status), d.Attempts, ts(d.NextAt), ts(d.CreatedAt), ts(d.UpdatedAt))
	return err
}

const deliveryCols = `id, event_id, target, url, mode, status, attempts, next_at, claimed_until, last_error, created_at, updated_at`

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var mode, status string
	var claimed *time.Time
	if err := row.Scan(&d.ID, &d.EventID, &d.Target, &d.URL, &mode, &status, &d.Attempts, &d.NextAt, &claimed, &d.LastError,
		&d.CreatedAt, &d.UpdatedAt); err != nil {
		return webhook.Delivery{}, err
	}
	d.Mode, d.Status = asset.Mode(mode), webhook.DeliveryStatus(status)
	d.NextAt, d.CreatedAt, d.UpdatedAt = d.NextAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if claimed != nil {
		d.ClaimedUntil = claimed.UTC()
	}
	return d, nil
}

func (t *tx) deliveries(ctx context.Context, q string, args ...any) ([]webhook.Delivery, error) {
	return all(ctx, t, scanDelivery, q, args...)
}

// ClaimDeliveries implements webhook.Tx. Rows another transaction is claiming are
// skipped (FOR UPDATE SKIP LOCKED): dispatchers on several instances claim different
// deliveries at once, none waits for another.
func (t *tx) ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]webhook.Delivery, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	return t.deliveries(ctx, `UPDATE webhook_deliveries SET claimed_until = $1 WHERE id IN (
		SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
		ORDER BY next_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING `+deliveryCols, ts(until), ts(now), limit)
}

// FinishAttempt implements webhook.Tx.
func (t *tx) FinishAttempt(ctx context.Context, d webhook.Delivery, a webhook.Attempt) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_at = $3, claimed_until = NULL,
		last_error = $4, updated_at = $5 WHERE id = $6`, string(d.Status), d.Attempts, ts(d.NextAt), d.LastError, ts(d.UpdatedAt), d.ID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status_code, latency_us, error, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.DeliveryID, a.N, ts(a.At), a.StatusCode, a.Latency.Microseconds(), a.Error, a.Response)
	return err
}

// Deliveries implements webhook.Tx.
func (t *tx) Deliveries(ctx context.Context, eventID string) ([]webhook.Delivery, error) {
	return t.deliveries(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE event_id = $1 ORDER BY created_at, target`, eventID)
}

// Attempts implements webhook.Tx.
func (t *tx) Attempts(ctx context.Context, deliveryID string) ([]webhook.Attempt, error) {
	return all(ctx, t, func(row scanner) (webhook.Attempt, error) {
		var a webhook.Attempt
		var lat int64
		err := row.Scan(&a.DeliveryID, &a.N, &a.At, &a.StatusCode, &lat, &a.Error, &a.Response)
		a.At, a.Latency = a.At.UTC(), time.Duration(lat)*time.Microsecond
		return a, err
	}, `SELECT delivery_id, n, at, status_code, latency_us, error, response FROM webhook_attempts
		WHERE delivery_id = $1 ORDER BY n`, deliveryID)
}

// ResetDeliveries implements webhook.Tx.
func (t *tx) ResetDeliveries(ctx context.Context, eventID string, now time.Time) (int, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	n, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = $1, claimed_until = NULL, updated_at = $1
		WHERE event_id = $2`, ts(now), eventID)
	return int(n), err
}

func scanEvent(row scanner) (event.Event, error) {
	var e event.Event
	var typ, mode string
	var data []byte
	if err := row.Scan(&e.Seq, &e.ID, &typ, &mode, &e.ObjectID, &e.CreatedAt, &data, &e.SubMerchantID); err != nil {
		return event.Event{}, err
	}
	e.Type, e.Mode, e.Data = event.Type(typ), asset.Mode(mode), json.RawMessage(data)
	e.Livemode = e.Mode == asset.Live
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

const eventCols = `seq, id, type, mode, object_id, created_at, data, sub_merchant_id`

// GetEvent implements webhook.Tx.
func (t *tx) GetEvent(ctx context.Context, m asset.Mode, id string) (event.Event, error) {
	e, err := scanEvent(t.queryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1 AND mode = $2`, id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return event.Event{}, webhook.ErrNotFound
	}
	return e, err
}

// ListEvents implements webhook.Tx.
func (t *tx) ListEvents(ctx context.Context, m asset.Mode, typ string, sub *string, page, limit int) ([]event.Event, int, error) {
	w := where{}
	w.add("mode", string(m))
	if typ != "" {
		w.add("type", typ)
	}
	if sub != nil {
		w.add("sub_merchant_id", *sub)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM events WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE `+w.String()+` ORDER BY seq DESC `+w.page(page, limit),
		w.args...)
	return out, total, err
}

// CallbackSecret implements webhook.Tx.
func (t *tx) CallbackSecret(ctx context.Context, m asset.Mode) ([]byte, bool, error) {
	var s []byte
	err := t.queryRow(ctx, `SELECT secret FROM webhook_callback_secrets WHERE mode = $1`, string(m)).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return s, err == nil, err
}

// SetCallbackSecret implements webhook.Tx. A plain insert, never an upsert: when a
// concurrent transaction stored the mode's secret first (two instances' first use at
// once), this one fails with a unique violation and Update runs it again, and the
// rerun finds that secret (which may already have signed deliveries) instead of
// replacing it.
func (t *tx) SetCallbackSecret(ctx context.Context, m asset.Mode, sealed []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO webhook_callback_secrets (mode, secret) VALUES ($1, $2)`, string(m), orEmpty(sealed))
	return err
}
