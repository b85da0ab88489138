package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/submerchant"
)

// subExternalIDTaken reports whether another sub-merchant of s's mode has s's
// external_id. Two transactions inserting one external_id at once: the unique index
// fails the second, whose rerun (see Store) finds the first here.
func (t *tx) subExternalIDTaken(ctx context.Context, s submerchant.SubMerchant) error {
	var id string
	err := t.queryRow(ctx, `SELECT id FROM sub_merchants WHERE mode = $1 AND external_id = $2 AND id <> $3`,
		string(s.Mode), s.ExternalID, s.ID).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	_, err := t.exec(ctx, `INSERT INTO sub_merchants (id, mode, external_id, name, support_email, logo_url, business_settings,
		active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, s.ID, string(s.Mode), s.ExternalID, s.Name,
		s.SupportEmail, s.LogoURL, nullJSON(s.BusinessSettings), s.Active, ts(s.CreatedAt), ts(s.UpdatedAt))
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
	_, err := t.exec(ctx, `UPDATE sub_merchants SET external_id = $1, name = $2, support_email = $3, logo_url = $4,
		business_settings = $5, active = $6, updated_at = $7 WHERE id = $8 AND mode = $9`, s.ExternalID, s.Name, s.SupportEmail,
		s.LogoURL, nullJSON(s.BusinessSettings), s.Active, ts(s.UpdatedAt), s.ID, string(s.Mode))
	return err
}

const subMerchantCols = `id, mode, external_id, name, support_email, logo_url, business_settings::text, active, created_at, updated_at`

func scanSubMerchant(row scanner) (submerchant.SubMerchant, error) {
	var s submerchant.SubMerchant
	var mode string
	var settings *string
	if err := row.Scan(&s.ID, &mode, &s.ExternalID, &s.Name, &s.SupportEmail, &s.LogoURL, &settings, &s.Active, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return submerchant.SubMerchant{}, err
	}
	s.Mode = asset.Mode(mode)
	if settings != nil {
		s.BusinessSettings = json.RawMessage(*settings)
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, nil
}

// GetSubMerchant implements submerchant.Tx.
func (t *tx) GetSubMerchant(ctx context.Context, m asset.Mode, id string) (submerchant.SubMerchant, bool, error) {
	s, err := scanSubMerchant(t.queryRow(ctx, `SELECT `+subMerchantCols+` FROM sub_merchants WHERE id = $1 AND mode = $2`+t.forUpdate(), id, string(m)))
	if errors.Is(err, pgx.ErrNoRows) {
		return submerchant.SubMerchant{}, false, nil
	}
	return s, err == nil, err
}

// ListSubMerchants implements submerchant.Tx.
func (t *tx) ListSubMerchants(ctx context.Context, p submerchant.ListParams) ([]submerchant.SubMerchant, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.ExternalID != "" {
		where += ` AND external_id = ` + arg(p.ExternalID)
	}
	if p.Active != nil {
		where += ` AND active = ` + arg(*p.Active)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM sub_merchants WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanSubMerchant, `SELECT `+subMerchantCols+` FROM sub_merchants WHERE `+where+page, args...)
	return out, total, err
}
