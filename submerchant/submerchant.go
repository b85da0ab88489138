// Package submerchant keeps a platform's sub-merchants: the sellers of a marketplace,
// the tenants of a SaaS. A sub-merchant is a scope inside a mode: the objects made for
// it (invoices, checkout sessions, payments, refunds, payouts, customer wallets,
// webhook endpoints, their events) carry its id in SubMerchantID, its money is booked
// on its own ledger accounts (merchant:{mode}:{sub_merchant_id}:{asset}:...), and an
// API key may be bound to it, seeing and making only its objects. The operator's own
// scope is the empty id, where everything made before sub-merchants existed stays.
//
// Deposit addresses come from the operator's keyring for every scope: a
// sub-merchant's money is its ledger balance, not keys of its own.
//
// Sub-merchants are never deleted (their objects name them); one that is no longer
// Active is refused for new objects, and its existing ones go on.
package submerchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/text"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/validation"
)

// SubMerchant is a scope of a platform: one of its sellers.
type SubMerchant struct {
	ID         string     `json:"id"` // sm_...
	Mode       asset.Mode `json:"mode"`
	ExternalID string     `json:"external_id"` // the platform's own id for it, unique in the mode
	Name       string     `json:"name"`        // shown on its checkout pages
	// SupportEmail is where its payers write ("" for none).
	SupportEmail string `json:"support_email"`
	// LogoURL is an https URL of its logo, shown on its checkout pages ("" for none).
	LogoURL string `json:"logo_url"`
	// BusinessSettings is the platform's own JSON object about it (null when none).
	BusinessSettings json.RawMessage `json:"business_settings"`
	Active           bool            `json:"active"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
}

// Errors.
var (
	ErrNotFound = errors.New("sub-merchant not found")
	// ErrExternalIDTaken: another sub-merchant of the mode has that external_id.
	ErrExternalIDTaken = errors.New("another sub-merchant has this external_id")
	// ErrInactive: the sub-merchant is not active; nothing new is made for it.
	ErrInactive  = errors.New("the sub-merchant is not active")
	ErrBadFormat = errors.New("invalid format")
)

// IDPrefix opens every sub-merchant id.
const IDPrefix = "sm_"

// IsID reports whether id has the shape of a sub-merchant id.
func IsID(id string) bool { return ids.Valid("sm", id) }

// Tx is the storage the service needs inside one transaction.
type Tx interface {
	// InsertSubMerchant stores s; ErrExternalIDTaken when another sub-merchant of
	// s.Mode has s.ExternalID.
	InsertSubMerchant(ctx context.Context, s SubMerchant) error
	// UpdateSubMerchant replaces the stored sub-merchant s.ID of s.Mode;
	// ErrExternalIDTaken as for InsertSubMerchant.
	UpdateSubMerchant(ctx context.Context, s SubMerchant) error
	// GetSubMerchant returns sub-merchant id of mode m; ok false if there is none.
	GetSubMerchant(ctx context.Context, m asset.Mode, id string) (s SubMerchant, ok bool, err error)
	// ListSubMerchants returns a page of p.Mode's sub-merchants matching p's filters,
	// newest first, and how many match in all.
	ListSubMerchants(ctx context.Context, p ListParams) ([]SubMerchant, int, error)
}

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Service creates, reads and changes sub-merchants.
type Service struct {
	update, view Runner
	now          func() time.Time
}

// New returns a Service.
func New(update, view Runner, now func() time.Time) (*Service, error) {
	if update == nil || view == nil {
		return nil, errors.New("submerchant: update and view are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{update: update, view: view, now: now}, nil
}

// CreateParams are a new sub-merchant's fields; ExternalID and Name are required.
type CreateParams struct {
	ExternalID       string
	Name             string
	SupportEmail     string
	LogoURL          string
	BusinessSettings json.RawMessage // a JSON object, at most 16 KiB
}

// UpdateParams change a sub-merchant: nil fields stay as they are.
type UpdateParams struct {
	ExternalID, Name, SupportEmail, LogoURL *string
	BusinessSettings                        *json.RawMessage // JSON null clears it
	Active                                  *bool
}

// ListParams filter and page a list.
type ListParams struct {
	Mode       asset.Mode
	ExternalID string // exact, "" for any
	Active     *bool  // nil for any
	Page       int    // from 1
	Limit      int    // 1..100
}

// check validates s's fields, naming each wrong one.
func check(s *SubMerchant) error {
	var v validation.Error
	switch {
	case s.ExternalID == "":
		v.Add("external_id", errors.New("is required"))
	case !text.ID(s.ExternalID):
		v.Add("external_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	switch {
	case strings.TrimSpace(s.Name) == "":
		v.Add("name", errors.New("is required"))
	case !text.Line(s.Name, 200):
		v.Add("name", fmt.Errorf("%w: up to 200 bytes of UTF-8 text without control or bidirectional-override characters", ErrBadFormat))
	}
	if s.SupportEmail != "" && !invoice.ValidEmail(s.SupportEmail) {
		v.Add("support_email", fmt.Errorf("%w: want an address such as help@example.com", ErrBadFormat))
	}
	if s.LogoURL != "" {
		if err := checkLogo(s.LogoURL); err != nil {
			v.Add("logo_url", err)
		}
	}
	v.Add("business_settings", invoice.CheckMetadata(s.BusinessSettings))
	return v.Err()
}

// checkLogo accepts an absolute https URL of at most 2,048 bytes with a host and no
// user information: the checkout page shows it to payers.
func checkLogo(raw string) error {
	u, err := url.Parse(raw)
	if len(raw) > 2048 || err != nil || u.Scheme != "https" || !LogoHost(u.Host) || u.User != nil || strings.ContainsAny(raw, " \"'<>\\`") {
		return fmt.Errorf("%w: want an https URL of up to 2,048 bytes, such as https://cdn.example.com/logo.png", ErrBadFormat)
	}
	return nil
}

var logoHostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?$`)

// LogoHost reports whether host (a URL's host, with an optional port) is a plain DNS
// name or address a page's Content-Security-Policy may name: letters, digits, dots
// and hyphens only.
func LogoHost(host string) bool { return logoHostRE.MatchString(host) }

// taken names the field of ErrExternalIDTaken.
func taken(err error) error {
	if errors.Is(err, ErrExternalIDTaken) {
		return validation.Field("external_id", err)
	}
	return err
}

// Create stores a new, active sub-merchant of mode m.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*SubMerchant, error) {
	if !m.Valid() {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	now := s.now().UTC()
	sm := SubMerchant{ID: ids.New("sm"), Mode: m, ExternalID: p.ExternalID, Name: p.Name, SupportEmail: p.SupportEmail,
		LogoURL: p.LogoURL, BusinessSettings: text.CompactJSON(p.BusinessSettings), Active: true, CreatedAt: now, UpdatedAt: now}
	if err := check(&sm); err != nil {
		return nil, err
	}
	if err := s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.InsertSubMerchant(ctx, sm) }); err != nil {
		return nil, taken(err)
	}
	return &sm, nil
}

// Get returns sub-merchant id of mode m (ErrNotFound for an unknown id or one of the
// other mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*SubMerchant, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	var sm SubMerchant
	var ok bool
	err := s.view(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		sm, ok, err = tx.GetSubMerchant(ctx, m, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return &sm, nil
}

// Update changes sub-merchant id of mode m.
func (s *Service) Update(ctx context.Context, m asset.Mode, id string, p UpdateParams) (*SubMerchant, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	var sm SubMerchant
	err := s.update(ctx, func(ctx context.Context, tx Tx) error {
		cur, ok, err := tx.GetSubMerchant(ctx, m, id)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		sm = cur
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&sm.ExternalID, p.ExternalID}, {&sm.Name, p.Name}, {&sm.SupportEmail, p.SupportEmail}, {&sm.LogoURL, p.LogoURL}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		if p.BusinessSettings != nil {
			sm.BusinessSettings = text.CompactJSON(*p.BusinessSettings)
		}
		if p.Active != nil {
			sm.Active = *p.Active
		}
		if err := check(&sm); err != nil {
			return err
		}
		sm.UpdatedAt = s.now().UTC()
		return tx.UpdateSubMerchant(ctx, sm)
	})
	if err != nil {
		return nil, taken(err)
	}
	return &sm, nil
}

// List returns a page of sub-merchants and how many match in all.
func (s *Service) List(ctx context.Context, p ListParams) ([]SubMerchant, int, error) {
	var v validation.Error
	if !p.Mode.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	validation.Paging(&v, &p.Page, &p.Limit, ErrBadFormat)
	if p.ExternalID != "" && !text.ID(p.ExternalID) {
		v.Add("external_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []SubMerchant
	var total int
	err := s.view(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListSubMerchants(ctx, p)
		return err
	})
	if out == nil {
		out = []SubMerchant{}
	}
	return out, total, err
}

// CheckExists is Check without the active test: the payouts of an inactive
// sub-merchant (its balance, its customers' withdrawals) go on.
func (s *Service) CheckExists(ctx context.Context, m asset.Mode, id string) error {
	if id == "" {
		return nil
	}
	_, err := s.Get(ctx, m, id)
	if errors.Is(err, ErrNotFound) {
		return validation.Field("sub_merchant_id", fmt.Errorf("%w: %s in %s mode", ErrNotFound, id, m))
	}
	return err
}

// Check checks a sub_merchant_id given to a new object: "" (the operator's own
// scope) is fine; otherwise it must name an active sub-merchant of mode m, else a
// *validation.FieldError naming "sub_merchant_id" wraps ErrNotFound or ErrInactive.
// An error of another kind is the storage's.
func (s *Service) Check(ctx context.Context, m asset.Mode, id string) error {
	if id == "" {
		return nil
	}
	sm, err := s.Get(ctx, m, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return validation.Field("sub_merchant_id", fmt.Errorf("%w: %s in %s mode", ErrNotFound, id, m))
	case err != nil:
		return err
	case !sm.Active:
		return validation.Field("sub_merchant_id", fmt.Errorf("%w: %s", ErrInactive, id))
	}
	return nil
}
