package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/submerchant"
)

// subExternalIDTaken reports whether another sub-merchant of s's mode has s's
// external_id.
func (t *tx) subExternalIDTaken(ctx context.Context, s submerchant.SubMerchant) error {
	var id string
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM sub_merchants WHERE mode = ? AND external_id = ? AND id <> ?`,
		string(s.Mode), s.ExternalID, s.ID).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return submerchant.ErrExternalIDTaken
}

// InsertSubMerchant implements submerchant.Tx.
func (t *tx) InsertSubMerchant(ctx context.Context, s submerchant.SubMerchant) error {
	if err := t.writable(); err != nil {
		return err
	}
	if err := t.subExternalIDTaken(ctx, s); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO sub_merchants (id, mode, external_id, name, support_email, logo_url,
		business_settings, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, string(s.Mode), s.ExternalID,
		s.Name, s.SupportEmail, s.LogoURL, nullJSON(s.BusinessSettings), s.Active, micros(s.CreatedAt), micros(s.UpdatedAt))
	return err
}

// UpdateSubMerchant implements submerchant.Tx.
func (t *tx) UpdateSubMerchant(ctx context.Context, s submerchant.SubMerchant) error {
	if err := t.writable(); err != nil {
		return err
	}
	if err := t.subExternalIDTaken(ctx, s); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE sub_merchants SET external_id = ?, name = ?, support_email = ?, logo_url = ?,
		business_settings = ?, active = ?, updated_at = ? WHERE id = ? AND mode = ?`, s.ExternalID, s.Name, s.SupportEmail, s.LogoURL,
		nullJSON(s.BusinessSettings), s.Active, micros(s.UpdatedAt), s.ID, string(s.Mode))
	return err
}

const subMerchantCols = `id, mode, external_id, name, support_email, logo_url, business_settings, active, created_at, updated_at`

func scanSubMerchant(row scanner) (submerchant.SubMerchant, error) {
	var s submerchant.SubMerchant
	var mode string
	var settings sql.NullString
	var created, updated int64
	if err := row.Scan(&s.ID, &mode, &s.ExternalID, &s.Name, &s.SupportEmail, &s.LogoURL, &settings, &s.Active, &created, &updated); err != nil {
		return submerchant.SubMerchant{}, err
	}
	s.Mode = asset.Mode(mode)
	if settings.Valid {
		s.BusinessSettings = json.RawMessage(settings.String)
	}
	s.CreatedAt, s.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return s, nil
}

// GetSubMerchant implements submerchant.Tx.
func (t *tx) GetSubMerchant(ctx context.Context, m asset.Mode, id string) (submerchant.SubMerchant, bool, error) {
	s, err := scanSubMerchant(t.tx.QueryRowContext(ctx, `SELECT `+subMerchantCols+` FROM sub_merchants WHERE id = ? AND mode = ?`, id, string(m)))
	if errors.Is(err, sql.ErrNoRows) {
		return submerchant.SubMerchant{}, false, nil
	}
	return s, err == nil, err
}

// ListSubMerchants implements submerchant.Tx.
func (t *tx) ListSubMerchants(ctx context.Context, p submerchant.ListParams) ([]submerchant.SubMerchant, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.ExternalID != "" {
		where, args = where+` AND external_id = ?`, append(args, p.ExternalID)
	}
	if p.Active != nil {
		where, args = where+` AND active = ?`, append(args, *p.Active)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM sub_merchants WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanSubMerchant, `SELECT `+subMerchantCols+` FROM sub_merchants WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}
