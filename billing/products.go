package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/text"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Limits.
const (
	MaxPlans  = 20
	MaxImages = 8
)

// PlanParams are a plan's fields. ID names an existing plan in a product's update
// (its price may change only while no subscription uses it); "" adds a plan.
type PlanParams struct {
	ID            string
	Amount        decimal.Decimal
	Currency      string
	Interval      Interval
	IntervalCount int // default 1
	Description   string
	Active        *bool // default true
}

// ProductParams are a new product's fields.
type ProductParams struct {
	SubMerchantID string
	Name          string // required
	Description   string
	Images        []string // https URLs
	Metadata      json.RawMessage
	PricingPlans  []PlanParams // at least one
	// RequestKey makes the create idempotent: a second create with it in the mode
	// returns the first product, also after a crash lost the first answer. The HTTP
	// API passes a digest of the Idempotency-Key and the request. "" for none.
	RequestKey string
}

// ProductUpdate changes a product: nil fields stay as they are. PricingPlans name
// existing plans to change (by ID) or add new ones; plans are never removed (set
// Active false).
type ProductUpdate struct {
	Name, Description *string
	Images            *[]string
	Metadata          *json.RawMessage
	Active            *bool
	PricingPlans      []PlanParams
}

// ProductListParams filter and page a list.
type ProductListParams struct {
	Mode          asset.Mode
	SubMerchantID *string // nil: every scope
	Active        *bool
	Page, Limit   int
}

// maxPeriod is the longest period a plan may have, per interval: a year.
var maxPeriod = map[Interval]int{Day: 365, Week: 52, Month: 12, Year: 1}

// checkPlan validates plan p (field names under prefix) and returns its currency as
// stored.
func (s *Service) checkPlan(v *validation.Error, prefix string, p *PlanParams) string {
	if p.IntervalCount == 0 {
		p.IntervalCount = 1
	}
	currency := strings.ToUpper(strings.TrimSpace(p.Currency))
	var decimals int32
	if f, err := asset.ParseFiat(currency); err == nil {
		currency, decimals = f.Code, f.MinorUnits
	} else if a, err := s.cfg.Assets.Get(currency); err == nil {
		currency, decimals = a.Code, a.Decimals
	} else if currency == "" {
		v.Add(prefix+"currency", errors.New("is required"))
	} else {
		v.Add(prefix+"currency", fmt.Errorf("%w: %q is neither a fiat currency nor an asset code", ErrBadFormat, p.Currency))
	}
	switch {
	case p.Amount.Sign() < 0:
		v.Add(prefix+"amount", asset.ErrNegativeAmount)
	case p.Amount.Sign() == 0:
		v.Add(prefix+"amount", asset.ErrZeroAmount)
	default:
		if _, err := asset.ToBaseUnits(p.Amount, decimals); err != nil {
			v.Add(prefix+"amount", err)
		}
	}
	if !p.Interval.Valid() {
		v.Add(prefix+"interval", fmt.Errorf("%w: want day, week, month or year", ErrBadFormat))
	} else if p.IntervalCount < 1 || p.IntervalCount > maxPeriod[p.Interval] {
		v.Add(prefix+"interval_count", fmt.Errorf("%w: want 1 to %d for %s", ErrBadFormat, maxPeriod[p.Interval], p.Interval))
	}
	checkText(v, prefix+"description", p.Description, 500)
	return currency
}

func checkText(v *validation.Error, field, s string, most int) {
	switch {
	case len(s) > most:
		v.Add(field, fmt.Errorf("%w: over %d bytes", ErrBadFormat, most))
	case !utf8.ValidString(s) || strings.ContainsFunc(s, text.MultiLineControl):
		v.Add(field, fmt.Errorf("%w: not UTF-8 text, or it has control or bidirectional-override characters", ErrBadFormat))
	}
}

// checkProduct validates p's own fields.
func checkProduct(v *validation.Error, p *Product) {
	if strings.TrimSpace(p.Name) == "" {
		v.Add("name", errors.New("is required"))
	}
	checkText(v, "name", p.Name, 256)
	checkText(v, "description", p.Description, 2000)
	if len(p.Images) > MaxImages {
		v.Add("images", fmt.Errorf("%w: at most %d", ErrBadFormat, MaxImages))
	}
	for i, img := range p.Images {
		u, err := url.Parse(img)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(img) > 2048 || u.User != nil {
			v.Add(fmt.Sprintf("images[%d]", i), fmt.Errorf("%w: want an https URL of at most 2048 bytes", ErrBadFormat))
		}
	}
	if string(p.Metadata) == "null" { // none, as stored
		p.Metadata = nil
	}
	v.Add("metadata", invoice.CheckMetadata(p.Metadata))
	if len(p.PricingPlans) == 0 {
		v.Add("pricing_plans", errors.New("at least one plan is required"))
	}
	if len(p.PricingPlans) > MaxPlans {
		v.Add("pricing_plans", fmt.Errorf("%w: at most %d plans", ErrBadFormat, MaxPlans))
	}
}

// CreateProduct stores a new product of mode m with its plans.
func (s *Service) CreateProduct(ctx context.Context, m asset.Mode, p ProductParams) (*Product, error) {
	if !m.Valid() {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	now := s.cfg.Now().UTC()
	prod := Product{ID: ids.New("prod"), Mode: m, SubMerchantID: p.SubMerchantID, Name: p.Name, Description: p.Description,
		Images: append([]string{}, p.Images...), Metadata: text.CompactJSON(p.Metadata), Active: true, CreatedAt: now, UpdatedAt: now}
	var v validation.Error
	for i := range p.PricingPlans {
		pp := &p.PricingPlans[i]
		prefix := fmt.Sprintf("pricing_plans[%d].", i)
		if pp.ID != "" {
			v.Add(prefix+"id", fmt.Errorf("%w: a new product's plans get their ids", ErrBadFormat))
		}
		currency := s.checkPlan(&v, prefix, pp)
		prod.PricingPlans = append(prod.PricingPlans, Plan{ID: ids.New("plan"), ProductID: prod.ID, Amount: pp.Amount,
			Currency: currency, Interval: pp.Interval, IntervalCount: pp.IntervalCount, Description: pp.Description,
			Active: pp.Active == nil || *pp.Active, CreatedAt: now})
	}
	checkProduct(&v, &prod)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if s.cfg.CheckSubMerchant != nil {
		if err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID); err != nil {
			return nil, err
		}
	}
	prod.RequestKey = p.RequestKey
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if p.RequestKey != "" {
			first, ok, err := tx.ProductByRequestKey(ctx, m, p.RequestKey)
			if err != nil || ok {
				prod = first
				return err
			}
		}
		return tx.InsertProduct(ctx, prod)
	})
	if err != nil {
		return nil, err
	}
	return &prod, nil
}

// GetProduct returns product id of mode m (ErrNotFound for an unknown id or one of
// the other mode).
func (s *Service) GetProduct(ctx context.Context, m asset.Mode, id string) (*Product, error) {
	if !ids.Valid("prod", id) {
		return nil, ErrNotFound
	}
	var p Product
	var ok bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		p, ok, err = tx.GetProduct(ctx, m, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return &p, nil
}

// UpdateProduct changes product id of mode m. A used plan's price may not change
// (ErrPlanUsed, named under pricing_plans[i]); nothing is written on any error.
func (s *Service) UpdateProduct(ctx context.Context, m asset.Mode, id string, u ProductUpdate) (*Product, error) {
	var prod Product
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, ok, err := tx.GetProduct(ctx, m, id)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		prod = cur
		prod.PricingPlans = append([]Plan(nil), cur.PricingPlans...)
		setS := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		setS(&prod.Name, u.Name)
		setS(&prod.Description, u.Description)
		if u.Images != nil {
			prod.Images = append([]string{}, (*u.Images)...)
		}
		if u.Metadata != nil {
			prod.Metadata = text.CompactJSON(*u.Metadata)
		}
		if u.Active != nil {
			prod.Active = *u.Active
		}
		now := s.cfg.Now().UTC()
		var v validation.Error
		for i := range u.PricingPlans {
			pp := &u.PricingPlans[i]
			prefix := fmt.Sprintf("pricing_plans[%d].", i)
			if pp.ID == "" {
				currency := s.checkPlan(&v, prefix, pp)
				prod.PricingPlans = append(prod.PricingPlans, Plan{ID: ids.New("plan"), ProductID: prod.ID, Amount: pp.Amount,
					Currency: currency, Interval: pp.Interval, IntervalCount: pp.IntervalCount, Description: pp.Description,
					Active: pp.Active == nil || *pp.Active, CreatedAt: now})
				continue
			}
			plan, ok := prod.Plan(pp.ID)
			if !ok {
				v.Add(prefix+"id", fmt.Errorf("%w: no plan %s on this product", ErrNotFound, pp.ID))
				continue
			}
			// A plan named by id keeps what the update leaves out.
			if pp.Currency == "" {
				pp.Currency = plan.Currency
			}
			if pp.Amount.IsZero() {
				pp.Amount = plan.Amount
			}
			if pp.Interval == "" {
				pp.Interval = plan.Interval
			}
			if pp.IntervalCount == 0 {
				pp.IntervalCount = plan.IntervalCount
			}
			currency := s.checkPlan(&v, prefix, pp)
			changed := !pp.Amount.Equal(plan.Amount) || currency != plan.Currency || pp.Interval != plan.Interval ||
				pp.IntervalCount != plan.IntervalCount
			if changed && plan.Used {
				v.Add(prefix+"amount", ErrPlanUsed)
				continue
			}
			plan.Amount, plan.Currency, plan.Interval, plan.IntervalCount = pp.Amount, currency, pp.Interval, pp.IntervalCount
			plan.Description = pp.Description
			if pp.Active != nil {
				plan.Active = *pp.Active
			}
		}
		checkProduct(&v, &prod)
		if err := v.Err(); err != nil {
			return err
		}
		prod.UpdatedAt = now
		return tx.UpdateProduct(ctx, prod)
	})
	if err != nil {
		return nil, err
	}
	return &prod, nil
}

// ListProducts returns a page of products and how many match in all.
func (s *Service) ListProducts(ctx context.Context, p ProductListParams) ([]Product, int, error) {
	var v validation.Error
	page(&v, p.Mode, &p.Page, &p.Limit)
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []Product
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListProducts(ctx, p)
		return err
	})
	if out == nil {
		out = []Product{}
	}
	return out, total, err
}

// page checks and defaults a list's mode and paging, adding what is wrong to v.
func page(v *validation.Error, m asset.Mode, page, limit *int) {
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	validation.Paging(v, page, limit, ErrBadFormat)
}
