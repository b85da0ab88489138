package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/webhook"
)

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

// InsertEndpoint implements webhook.Tx.
func (t *tx) InsertEndpoint(ctx context.Context, e webhook.EndpointRecord) error {
	if err := t.writable(); err != nil {
		return err
	}
	events, _ := json.Marshal(e.Events)
	_, err := t.tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, mode, url, description, events, enabled, disabled_reason,
		secret, old_secret, old_until, failing_since, created_at, updated_at, sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, string(e.Mode), e.URL, e.Description, string(events), e.Enabled, e.DisabledReason, e.Secret, e.OldSecret,
		nullMicros(e.OldUntil), nullMicros(e.FailingSince), micros(e.CreatedAt), micros(e.UpdatedAt), e.SubMerchantID)
	return err
}

// UpdateEndpoint implements webhook.Tx.
func (t *tx) UpdateEndpoint(ctx context.Context, e webhook.EndpointRecord) error {
	if err := t.writable(); err != nil {
		return err
	}
	events, _ := json.Marshal(e.Events)
	_, err := t.tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ?,
		disabled_reason = ?, secret = ?, old_secret = ?, old_until = ?, failing_since = ?, updated_at = ? WHERE id = ? AND mode = ?`,
		e.URL, e.Description, string(events), e.Enabled, e.DisabledReason, e.Secret, e.OldSecret, nullMicros(e.OldUntil),
		nullMicros(e.FailingSince), micros(e.UpdatedAt), e.ID, string(e.Mode))
	return err
}

// DeleteEndpoint implements webhook.Tx.
func (t *tx) DeleteEndpoint(ctx context.Context, m asset.Mode, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ? AND mode = ?`, id, string(m))
	return err
}

const endpointCols = `id, mode, url, description, events, enabled, disabled_reason, secret, old_secret, old_until, failing_since, created_at, updated_at, sub_merchant_id`

func scanEndpoint(row scanner) (webhook.EndpointRecord, error) {
	var e webhook.EndpointRecord
	var mode, events string
	var oldUntil, failing sql.NullInt64
	var created, updated int64
	if err := row.Scan(&e.ID, &mode, &e.URL, &e.Description, &events, &e.Enabled, &e.DisabledReason, &e.Secret, &e.OldSecret,
		&oldUntil, &failing, &created, &updated, &e.SubMerchantID); err != nil {
		return webhook.EndpointRecord{}, err
	}
	e.Mode = asset.Mode(mode)
	e.OldUntil, e.FailingSince = fromMicros(oldUntil), fromMicros(failing)
	e.CreatedAt, e.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return e, json.Unmarshal([]byte(events), &e.Events)
}

// GetEndpoint implements webhook.Tx.
func (t *tx) GetEndpoint(ctx context.Context, m asset.Mode, id string) (webhook.EndpointRecord, error) {
	e, err := scanEndpoint(t.tx.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.EndpointRecord{}, webhook.ErrNotFound
	}
	return e, err
}

// ListEndpoints implements webhook.Tx.
func (t *tx) ListEndpoints(ctx context.Context, m asset.Mode) ([]webhook.EndpointRecord, error) {
	return all(ctx, t, scanEndpoint, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE mode = ? ORDER BY created_at, id`, string(m))
}

// InsertDelivery implements webhook.Tx.
func (t *tx) InsertDelivery(ctx context.Context, d webhook.Delivery) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, event_id, target, url, mode, status, attempts, next_at,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, target) DO NOTHING`,
		d.ID, d.EventID, d.Target, d.URL, string(d.Mode), string(d.Status), d.Attempts, micros(d.NextAt), micros(d.CreatedAt), micros(d.UpdatedAt))
	return err
}

const deliveryCols = `id, event_id, target, url, mode, status, attempts, next_at, claimed_until, last_error, created_at, updated_at`

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var mode, status string
	var next, claimed, created, updated int64
	if err := row.Scan(&d.ID, &d.EventID, &d.Target, &d.URL, &mode, &status, &d.Attempts, &next, &claimed, &d.LastError, &created, &updated); err != nil {
		return webhook.Delivery{}, err
	}
	d.Mode, d.Status = asset.Mode(mode), webhook.DeliveryStatus(status)
	d.NextAt, d.CreatedAt, d.UpdatedAt = time.UnixMicro(next).UTC(), time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	if claimed > 0 {
		d.ClaimedUntil = time.UnixMicro(claimed).UTC()
	}
	return d, nil
}

func (t *tx) deliveries(ctx context.Context, q string, args ...any) ([]webhook.Delivery, error) {
	return all(ctx, t, scanDelivery, q, args...)
}

// ClaimDeliveries implements webhook.Tx.
func (t *tx) ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]webhook.Delivery, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	return t.deliveries(ctx, `UPDATE webhook_deliveries SET claimed_until = ? WHERE id IN (
		SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ? AND claimed_until <= ?
		ORDER BY next_at, created_at LIMIT ?) RETURNING `+deliveryCols, micros(until), micros(now), micros(now), limit)
}

// FinishAttempt implements webhook.Tx.
func (t *tx) FinishAttempt(ctx context.Context, d webhook.Delivery, a webhook.Attempt) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, claimed_until = 0,
		last_error = ?, updated_at = ? WHERE id = ?`, string(d.Status), d.Attempts, micros(d.NextAt), d.LastError, micros(d.UpdatedAt), d.ID); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status_code, latency_us, error, response)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.DeliveryID, a.N, micros(a.At), a.StatusCode, a.Latency.Microseconds(), a.Error, a.Response)
	return err
}

// Deliveries implements webhook.Tx.
func (t *tx) Deliveries(ctx context.Context, eventID string) ([]webhook.Delivery, error) {
	return t.deliveries(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE event_id = ? ORDER BY created_at, target`, eventID)
}

// Attempts implements webhook.Tx.
func (t *tx) Attempts(ctx context.Context, deliveryID string) ([]webhook.Attempt, error) {
	return all(ctx, t, func(row scanner) (webhook.Attempt, error) {
		var a webhook.Attempt
		var at, lat int64
		err := row.Scan(&a.DeliveryID, &a.N, &at, &a.StatusCode, &lat, &a.Error, &a.Response)
		a.At, a.Latency = time.UnixMicro(at).UTC(), time.Duration(lat)*time.Microsecond
		return a, err
	}, `SELECT delivery_id, n, at, status_code, latency_us, error, response FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY n`, deliveryID)
}

// ResetDeliveries implements webhook.Tx.
func (t *tx) ResetDeliveries(ctx context.Context, eventID string, now time.Time) (int, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, claimed_until = 0, updated_at = ?
		WHERE event_id = ?`, micros(now), micros(now), eventID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanEvent(row scanner) (event.Event, error) {
	var e event.Event
	var typ, mode, data string
	var at int64
	if err := row.Scan(&e.Seq, &e.ID, &typ, &mode, &e.ObjectID, &at, &data, &e.SubMerchantID); err != nil {
		return event.Event{}, err
	}
	e.Type, e.Mode, e.Data = event.Type(typ), asset.Mode(mode), json.RawMessage(data)
	e.Livemode = e.Mode == asset.Live
	e.CreatedAt = time.UnixMicro(at).UTC()
	return e, nil
}

const eventCols = `seq, id, type, mode, object_id, created_at, data, sub_merchant_id`

// GetEvent implements webhook.Tx.
func (t *tx) GetEvent(ctx context.Context, m asset.Mode, id string) (event.Event, error) {
	e, err := scanEvent(t.tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return event.Event{}, webhook.ErrNotFound
	}
	return e, err
}

// ListEvents implements webhook.Tx.
func (t *tx) ListEvents(ctx context.Context, m asset.Mode, typ string, sub *string, page, limit int) ([]event.Event, int, error) {
	where, args := `mode = ?`, []any{string(m)}
	if typ != "" {
		where, args = where+` AND type = ?`, append(args, typ)
	}
	if sub != nil {
		where, args = where+` AND sub_merchant_id = ?`+subIndexed(*sub), append(args, *sub)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE `+where+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
		append(args, limit, (page-1)*limit)...)
	return out, total, err
}

// CallbackSecret implements webhook.Tx.
func (t *tx) CallbackSecret(ctx context.Context, m asset.Mode) ([]byte, bool, error) {
	var s []byte
	err := t.tx.QueryRowContext(ctx, `SELECT secret FROM webhook_callback_secrets WHERE mode = ?`, string(m)).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return s, err == nil, err
}

// SetCallbackSecret implements webhook.Tx.
func (t *tx) SetCallbackSecret(ctx context.Context, m asset.Mode, sealed []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO webhook_callback_secrets (mode, secret) VALUES (?, ?)
		ON CONFLICT (mode) DO UPDATE SET secret = excluded.secret`, string(m), sealed)
	return err
}
