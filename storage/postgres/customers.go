package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
)

// externalIDTaken reports whether another customer of c's mode has c's external_id.
// Two transactions inserting one external_id at once: the unique index fails the
// second, whose rerun (see Store) finds the first here.
func (t *tx) externalIDTaken(ctx context.Context, c customer.Customer) error {
	if c.ExternalID == "" {
		return nil
	}
	var id string
	err := t.queryRow(ctx, `SELECT id FROM customers WHERE mode = $1 AND external_id = $2 AND id <> $3`,
		string(c.Mode), c.ExternalID, c.ID).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	_, err := t.exec(ctx, `INSERT INTO customers (id, mode, external_id, name, email, phone, description, metadata,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, c.ID, string(c.Mode), c.ExternalID, c.Name,
		c.Email, c.Phone, c.Description, nullJSON(c.Metadata), ts(c.CreatedAt), ts(c.UpdatedAt))
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
	_, err := t.exec(ctx, `UPDATE customers SET external_id = $1, name = $2, email = $3, phone = $4, description = $5,
		metadata = $6, updated_at = $7 WHERE id = $8 AND mode = $9`, c.ExternalID, c.Name, c.Email, c.Phone, c.Description,
		nullJSON(c.Metadata), ts(c.UpdatedAt), c.ID, string(c.Mode))
	return err
}

// DeleteCustomer implements customer.Tx.
func (t *tx) DeleteCustomer(ctx context.Context, m asset.Mode, id string) (bool, error) {
	if err := t.writable(); err != nil {
		return false, err
	}
	n, err := t.exec(ctx, `DELETE FROM customers WHERE id = $1 AND mode = $2`, id, string(m))
	return err == nil && n > 0, err
}

const customerCols = `id, mode, external_id, name, email, phone, description, metadata::text, created_at, updated_at`

func scanCustomer(row scanner) (customer.Customer, error) {
	var c customer.Customer
	var mode string
	var metadata *string
	if err := row.Scan(&c.ID, &mode, &c.ExternalID, &c.Name, &c.Email, &c.Phone, &c.Description, &metadata, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return customer.Customer{}, err
	}
	c.Mode = asset.Mode(mode)
	if metadata != nil {
		c.Metadata = json.RawMessage(*metadata)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// GetCustomer implements customer.Tx.
func (t *tx) GetCustomer(ctx context.Context, m asset.Mode, id string) (customer.Customer, bool, error) {
	c, err := scanCustomer(t.queryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1 AND mode = $2`+t.forUpdate(), id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return customer.Customer{}, false, nil
	}
	return c, err == nil, err
}

// ListCustomers implements customer.Tx.
func (t *tx) ListCustomers(ctx context.Context, p customer.ListParams) ([]customer.Customer, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.Email != "" {
		where += ` AND email = ` + arg(p.Email)
	}
	if p.ExternalID != "" {
		where += ` AND external_id = ` + arg(p.ExternalID)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM customers WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanCustomer, `SELECT `+customerCols+` FROM customers WHERE `+where+page, args...)
	return out, total, err
}
