package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
)

// externalIDTaken reports whether another customer of c's mode has c's external_id.
func (t *tx) externalIDTaken(ctx context.Context, c customer.Customer) error {
	if c.ExternalID == "" {
		return nil
	}
	var id string
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE `+whereCustomerExternalID+` AND id <> ?`,
		string(c.Mode), c.ExternalID, c.ID).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return customer.ErrExternalIDTaken
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// InsertCustomer implements customer.Tx.
func (t *tx) InsertCustomer(ctx context.Context, c customer.Customer) error {
	if err := t.writable(); err != nil {
		return err
	}
	if err := t.externalIDTaken(ctx, c); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO customers (id, mode, external_id, name, email, phone, description, metadata,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, string(c.Mode), c.ExternalID, c.Name, c.Email, c.Phone,
		c.Description, nullJSON(c.Metadata), micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// UpdateCustomer implements customer.Tx.
func (t *tx) UpdateCustomer(ctx context.Context, c customer.Customer) error {
	if err := t.writable(); err != nil {
		return err
	}
	if err := t.externalIDTaken(ctx, c); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE customers SET external_id = ?, name = ?, email = ?, phone = ?, description = ?,
		metadata = ?, updated_at = ? WHERE id = ? AND mode = ?`, c.ExternalID, c.Name, c.Email, c.Phone, c.Description,
		nullJSON(c.Metadata), micros(c.UpdatedAt), c.ID, string(c.Mode))
	return err
}

// DeleteCustomer implements customer.Tx.
func (t *tx) DeleteCustomer(ctx context.Context, m asset.Mode, id string) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ? AND mode = ?`, id, string(m))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const customerCols = `id, mode, external_id, name, email, phone, description, metadata, created_at, updated_at`

func scanCustomer(row scanner) (customer.Customer, error) {
	var c customer.Customer
	var mode string
	var metadata sql.NullString
	var created, updated int64
	if err := row.Scan(&c.ID, &mode, &c.ExternalID, &c.Name, &c.Email, &c.Phone, &c.Description, &metadata, &created, &updated); err != nil {
		return customer.Customer{}, err
	}
	c.Mode = asset.Mode(mode)
	if metadata.Valid {
		c.Metadata = json.RawMessage(metadata.String)
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return c, nil
}

// GetCustomer implements customer.Tx.
func (t *tx) GetCustomer(ctx context.Context, m asset.Mode, id string) (customer.Customer, bool, error) {
	c, err := scanCustomer(t.tx.QueryRowContext(ctx, `SELECT `+customerCols+` FROM customers WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return customer.Customer{}, false, nil
	}
	return c, err == nil, err
}

// ListCustomers implements customer.Tx.
func (t *tx) ListCustomers(ctx context.Context, p customer.ListParams) ([]customer.Customer, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.Email != "" {
		where, args = where+` AND email = ? AND email <> ''`, append(args, p.Email)
	}
	if p.ExternalID != "" {
		where, args = where+` AND external_id = ? AND external_id <> ''`, append(args, p.ExternalID)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanCustomer, `SELECT `+customerCols+` FROM customers WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}
