package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage/internal/storeutil"
)

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// InsertInvoice implements invoice.Tx.
func (t *tx) InsertInvoice(ctx context.Context, inv *invoice.Invoice) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO invoices (id, mode, kind, status, order_id, customer_id, created_at,
		expires_at, monitor_until, watching, body, request_key, params_hash, sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		inv.ID, string(inv.Mode), string(inv.Kind), string(inv.Status), nullable(invoice.OrderKey(inv.SubMerchantID, inv.OrderID)), inv.CustomerID,
		micros(inv.CreatedAt), micros(inv.ExpiresAt), micros(inv.MonitorUntil), string(body), inv.RequestKey, inv.ParamsHash, inv.SubMerchantID); err != nil {
		return err
	}
	if len(inv.Methods) == 0 {
		return nil
	}
	// One statement for every method (a fiat invoice has one per enabled asset).
	args := make([]any, 0, 6*len(inv.Methods))
	for i, m := range inv.Methods {
		args = append(args, inv.ID, i, string(m.Network), string(inv.Mode), m.Asset, m.Address)
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO invoice_methods (invoice_id, seq, network, mode, asset, address) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(inv.Methods)), ", "), args...)
	return err
}

// UpdateInvoice implements invoice.Tx.
func (t *tx) UpdateInvoice(ctx context.Context, inv *invoice.Invoice, watching bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE invoices SET status = ?, watching = ?, body = ?, expires_at = ?, monitor_until = ?
		WHERE id = ? AND mode = ?`,
		string(inv.Status), watching, string(body), micros(inv.ExpiresAt), micros(inv.MonitorUntil), inv.ID, string(inv.Mode))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return invoice.ErrNotFound
	}
	return nil
}

func (t *tx) invoiceWhere(ctx context.Context, q string, args ...any) (*invoice.Invoice, error) {
	var body, hash string
	err := t.tx.QueryRowContext(ctx, `SELECT body, params_hash FROM invoices WHERE `+q, args...).Scan(&body, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invoice.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var inv invoice.Invoice
	if err := json.Unmarshal([]byte(body), &inv); err != nil {
		return nil, fmt.Errorf("sqlite: stored invoice: %w", err)
	}
	inv.ParamsHash = hash
	return &inv, nil
}

// GetInvoice implements invoice.Tx.
func (t *tx) GetInvoice(ctx context.Context, m asset.Mode, id string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `id = ? AND mode = ?`, id, string(m))
}

// InvoiceByOrderID implements invoice.Tx.
func (t *tx) InvoiceByOrderID(ctx context.Context, m asset.Mode, orderID string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `mode = ? AND order_id = ?`, string(m), orderID)
}

// InvoiceByRequestKey implements invoice.Tx.
func (t *tx) InvoiceByRequestKey(ctx context.Context, m asset.Mode, key string) (*invoice.Invoice, error) {
	if key == "" {
		return nil, invoice.ErrNotFound
	}
	return t.invoiceWhere(ctx, whereInvoiceRequestKey, string(m), key)
}

// InvoiceByAddress implements invoice.Tx.
func (t *tx) InvoiceByAddress(ctx context.Context, n chains.NetworkRef, assetCode, address string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `id = (SELECT invoice_id FROM invoice_methods WHERE network = ? AND mode = ? AND asset = ? AND address = ?)`,
		string(n.ID), string(n.Mode), assetCode, address)
}

// ListInvoices implements invoice.Tx.
func (t *tx) ListInvoices(ctx context.Context, p invoice.ListParams) ([]*invoice.Invoice, int, error) {
	where := []string{"mode = ?"}
	args := []any{string(p.Mode)}
	if p.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(p.Kind))
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(p.Status))
	}
	if p.CustomerID != "" {
		where, args = append(where, "customer_id = ?"), append(args, p.CustomerID)
	}
	sub := ""
	if p.SubMerchantID != nil {
		sub = *p.SubMerchantID
		where, args = append(where, "sub_merchant_id = ?"+subIndexed(sub)), append(args, sub)
	}
	switch {
	case p.OrderID != "" && p.SubMerchantID == nil: // every scope's invoice of that order id
		where, args = append(where, "(order_id = ? OR (sub_merchant_id <> '' AND order_id = sub_merchant_id || ':' || ?))"), append(args, p.OrderID, p.OrderID)
	case p.OrderID != "":
		where, args = append(where, "order_id = ?"), append(args, invoice.OrderKey(sub, p.OrderID))
	}
	if !p.CreatedFrom.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, micros(p.CreatedFrom))
	}
	if !p.CreatedTo.IsZero() {
		where, args = append(where, "created_at <= ?"), append(args, micros(p.CreatedTo))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, func(row scanner) (*invoice.Invoice, error) {
		body, err := scanOne[string](row)
		if err != nil {
			return nil, err
		}
		var inv invoice.Invoice
		return &inv, json.Unmarshal([]byte(body), &inv)
	}, `SELECT body FROM invoices WHERE `+w+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}

// Payments implements invoice.Tx.
func (t *tx) Payments(ctx context.Context, inv *invoice.Invoice) ([]invoice.Payment, error) {
	var out []invoice.Payment
	for i, m := range inv.Methods {
		recs, err := t.transfers(ctx, `network = ? AND mode = ? AND address = ? AND asset = ? ORDER BY seen_at, txid, idx`,
			string(m.Network), string(inv.Mode), m.Address, m.Asset)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, invoice.Payment{Method: i, Record: r})
		}
	}
	return out, nil
}

// DueInvoices implements invoice.Tx.
func (t *tx) DueInvoices(ctx context.Context, m asset.Mode, now time.Time, limit int) ([]string, error) {
	// Two queries, each a range of its own index, so that a tick costs what is due,
	// not what is pending (one query with OR read every invoice of the mode).
	expired, err := all(ctx, t, scanOne[string], `SELECT id FROM invoices
		WHERE mode = ? AND status IN ('pending', 'partially_paid') AND expires_at <= ?
		ORDER BY expires_at LIMIT ?`, string(m), micros(now), limit)
	if err != nil || len(expired) >= limit {
		return expired, err
	}
	ended, err := all(ctx, t, scanOne[string], `SELECT id FROM invoices
		WHERE watching = 1 AND monitor_until <= ? AND mode = ?
		ORDER BY monitor_until LIMIT ?`, micros(now), string(m), limit)
	return storeutil.MergeIDs(expired, ended, limit), err
}

// InsertEvent implements event.Tx.
func (t *tx) InsertEvent(ctx context.Context, e event.Event) (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	var seq int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO events (id, type, mode, object_id, created_at, data, sub_merchant_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`, e.ID, string(e.Type), string(e.Mode), e.ObjectID, micros(e.CreatedAt), string(e.Data),
		e.SubMerchantID).Scan(&seq)
	return seq, err
}

// EventsAfter implements event.Tx.
func (t *tx) EventsAfter(ctx context.Context, after int64, limit int) ([]event.Event, error) {
	return all(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// SubscriberCursor implements event.Tx.
func (t *tx) SubscriberCursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := t.tx.QueryRowContext(ctx, `SELECT seq FROM event_subscribers WHERE name = ?`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// SetSubscriberCursor implements event.Tx.
func (t *tx) SetSubscriberCursor(ctx context.Context, name string, seq int64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO event_subscribers (name, seq) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = max(event_subscribers.seq, excluded.seq)`, name, seq)
	return err
}
