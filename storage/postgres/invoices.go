package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage/internal/storeutil"
)

// where builds a WHERE clause with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add adds col = value.
func (w *where) add(col string, v any) { w.cmp(col, "=", v) }

// cmp adds col op value.
func (w *where) cmp(col, op string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, col+" "+op+" $"+strconv.Itoa(len(w.args)))
}

// and adds a condition without parameters.
func (w *where) and(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

// page returns LIMIT and OFFSET of page (from 1) of limit rows, as parameters after
// the conditions' (w.args grows by two: use it after the count).
func (w *where) page(page, limit int) string {
	n := len(w.args)
	w.args = append(w.args, limit, max(page-1, 0)*limit)
	return `LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
}

// nullable is NULL for "".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// InsertInvoice implements invoice.Tx.
func (t *tx) InsertInvoice(ctx context.Context, inv *invoice.Invoice) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO invoices (id, mode, kind, status, order_id, customer_id, created_at,
		expires_at, monitor_until, watching, body, request_key, params_hash, sub_merchant_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $11, $12, $13)`,
		inv.ID, string(inv.Mode), string(inv.Kind), string(inv.Status), nullable(invoice.OrderKey(inv.SubMerchantID, inv.OrderID)), inv.CustomerID,
		ts(inv.CreatedAt), ts(inv.ExpiresAt), ts(inv.MonitorUntil), string(body), inv.RequestKey, inv.ParamsHash, inv.SubMerchantID); err != nil {
		return err
	}
	if len(inv.Methods) == 0 {
		return nil
	}
	// One round trip for every method (a fiat invoice has one per enabled asset).
	seqs := make([]int32, len(inv.Methods))
	nets, assets, addrs := make([]string, len(inv.Methods)), make([]string, len(inv.Methods)), make([]string, len(inv.Methods))
	for i, m := range inv.Methods {
		seqs[i], nets[i], assets[i], addrs[i] = int32(i), string(m.Network), m.Asset, m.Address
	}
	_, err = t.exec(ctx, `INSERT INTO invoice_methods (invoice_id, seq, network, mode, asset, address)
		SELECT $1, u.seq, u.network, $2, u.asset, u.address
		FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS u (seq, network, asset, address)`,
		inv.ID, string(inv.Mode), seqs, nets, assets, addrs)
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
	n, err := t.exec(ctx, `UPDATE invoices SET status = $1, watching = $2, body = $3, expires_at = $4, monitor_until = $5
		WHERE id = $6 AND mode = $7`,
		string(inv.Status), watching, string(body), ts(inv.ExpiresAt), ts(inv.MonitorUntil), inv.ID, string(inv.Mode))
	if err != nil {
		return err
	}
	if n != 1 {
		return invoice.ErrNotFound
	}
	return nil
}

// invoiceWhere returns the invoice the condition finds, locked inside Update.
func (t *tx) invoiceWhere(ctx context.Context, q string, args ...any) (*invoice.Invoice, error) {
	var body []byte
	var hash string
	err := t.queryRow(ctx, `SELECT body, params_hash FROM invoices WHERE `+q+t.forUpdate(), args...).Scan(&body, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, invoice.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var inv invoice.Invoice
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, fmt.Errorf("postgres: stored invoice: %w", err)
	}
	inv.ParamsHash = hash
	return &inv, nil
}

// GetInvoice implements invoice.Tx.
func (t *tx) GetInvoice(ctx context.Context, m asset.Mode, id string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `id = $1 AND mode = $2`, id, string(m))
}

// InvoiceByOrderID implements invoice.Tx.
func (t *tx) InvoiceByOrderID(ctx context.Context, m asset.Mode, orderID string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `mode = $1 AND order_id = $2`, string(m), orderID)
}

// InvoiceByRequestKey implements invoice.Tx.
func (t *tx) InvoiceByRequestKey(ctx context.Context, m asset.Mode, key string) (*invoice.Invoice, error) {
	if key == "" {
		return nil, invoice.ErrNotFound
	}
	return t.invoiceWhere(ctx, `mode = $1 AND request_key = $2`, string(m), key)
}

// InvoiceByAddress implements invoice.Tx.
func (t *tx) InvoiceByAddress(ctx context.Context, n chains.NetworkRef, assetCode, address string) (*invoice.Invoice, error) {
	return t.invoiceWhere(ctx, `id = (SELECT invoice_id FROM invoice_methods
		WHERE network = $1 AND mode = $2 AND asset = $3 AND address = $4)`,
		string(n.ID), string(n.Mode), assetCode, address)
}

// ListInvoices implements invoice.Tx.
func (t *tx) ListInvoices(ctx context.Context, p invoice.ListParams) ([]*invoice.Invoice, int, error) {
	w := where{}
	w.add("mode", string(p.Mode))
	if p.Kind != "" {
		w.add("kind", string(p.Kind))
	}
	if p.Status != "" {
		w.add("status", string(p.Status))
	}
	if p.CustomerID != "" {
		w.add("customer_id", p.CustomerID)
	}
	sub := ""
	if p.SubMerchantID != nil {
		sub = *p.SubMerchantID
		w.add("sub_merchant_id", sub)
	}
	switch {
	case p.OrderID != "" && p.SubMerchantID == nil: // every scope's invoice of that order id
		w.args = append(w.args, p.OrderID)
		n := strconv.Itoa(len(w.args))
		w.and("(order_id = $" + n + " OR (sub_merchant_id <> '' AND order_id = sub_merchant_id || ':' || $" + n + "))")
	case p.OrderID != "":
		w.add("order_id", invoice.OrderKey(sub, p.OrderID))
	}
	if !p.CreatedFrom.IsZero() {
		w.cmp("created_at", ">=", ts(p.CreatedFrom))
	}
	if !p.CreatedTo.IsZero() {
		w.cmp("created_at", "<=", ts(p.CreatedTo))
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM invoices WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, func(row scanner) (*invoice.Invoice, error) {
		body, err := scanOne[[]byte](row)
		if err != nil {
			return nil, err
		}
		var inv invoice.Invoice
		return &inv, json.Unmarshal(body, &inv)
	}, `SELECT body FROM invoices WHERE `+w.String()+` ORDER BY created_at DESC, id DESC `+w.page(p.Page, p.Limit), w.args...)
	return out, total, err
}

// Payments implements invoice.Tx.
func (t *tx) Payments(ctx context.Context, inv *invoice.Invoice) ([]invoice.Payment, error) {
	var out []invoice.Payment
	for i, m := range inv.Methods {
		recs, err := t.transfers(ctx, `network = $1 AND mode = $2 AND address = $3 AND asset = $4 ORDER BY seen_at, txid, idx`,
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
	// not what is pending.
	expired, err := all(ctx, t, scanOne[string], `SELECT id FROM invoices
		WHERE mode = $1 AND status IN ('pending', 'partially_paid') AND expires_at <= $2
		ORDER BY expires_at LIMIT $3`, string(m), ts(now), limit)
	if err != nil || len(expired) >= limit {
		return expired, err
	}
	ended, err := all(ctx, t, scanOne[string], `SELECT id FROM invoices
		WHERE watching AND monitor_until <= $1 AND mode = $2
		ORDER BY monitor_until LIMIT $3`, ts(now), string(m), limit)
	return storeutil.MergeIDs(expired, ended, limit), err
}

// InsertEvent implements event.Tx. It takes the outbox's advisory lock, held until
// the transaction ends, before it draws a sequence number: transactions that append
// events commit one after another in sequence order, so a reader that saw number n
// has seen every committed number below it. A trigger tells the other instances
// (storage.ChangeEvent) when the transaction commits.
func (t *tx) InsertEvent(ctx context.Context, e event.Event) (int64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, eventsLock); err != nil {
		return 0, err
	}
	var seq int64
	err := t.queryRow(ctx, `INSERT INTO events (id, type, mode, object_id, created_at, data, sub_merchant_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`, e.ID, string(e.Type), string(e.Mode), e.ObjectID, ts(e.CreatedAt),
		jsonText(e.Data), e.SubMerchantID).Scan(&seq)
	return seq, err
}

// jsonText is a JSON document to store ("null" for none, as encoding/json writes a
// nil RawMessage).
func jsonText(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}

// EventsAfter implements event.Tx.
func (t *tx) EventsAfter(ctx context.Context, after int64, limit int) ([]event.Event, error) {
	return all(ctx, t, scanEvent, `SELECT `+eventCols+` FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

// SubscriberCursor implements event.Tx.
func (t *tx) SubscriberCursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := t.queryRow(ctx, `SELECT seq FROM event_subscribers WHERE name = $1`, name).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// SetSubscriberCursor implements event.Tx.
func (t *tx) SetSubscriberCursor(ctx context.Context, name string, seq int64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO event_subscribers (name, seq) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET seq = GREATEST(event_subscribers.seq, excluded.seq)`, name, seq)
	return err
}
