package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/text"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/validation"
)

// CreateParams are a new subscription's fields.
type CreateParams struct {
	// SubMerchantID must be the scope of the plan's product ("" the operator's own).
	SubMerchantID string
	CustomerID    string // required: a cus_ id or the merchant's own id
	PlanID        string // required: an active plan of an active product
	// BillingCycleAnchor is when the first period starts: nil now, else at most 5
	// minutes before now (taken as now) and at most a year ahead. The job bills
	// period 0 when it comes.
	BillingCycleAnchor *time.Time
	// AutoEndAt ends the subscription: no period starting at or after it is billed,
	// and it is expired at the end of the last one. After the anchor.
	AutoEndAt      *time.Time
	AcceptedAssets []string   // the periods' invoices offer only these (invoice.CreateParams.AcceptedAssets)
	Collection     Collection // default invoice
	Metadata       json.RawMessage
	ReturnURL      string // the invoices' success_url
	// RequestKey makes the create idempotent: a second create with it in the mode
	// returns the first subscription (nothing is billed again), also after a crash lost
	// the first answer. The HTTP API passes a digest of the Idempotency-Key and the
	// request. "" for none.
	RequestKey string
}

// ListParams filter and page a list.
type ListParams struct {
	Mode          asset.Mode
	SubMerchantID *string // nil: every scope
	CustomerID    string
	Status        Status
	Page, Limit   int
}

// anchorSlack is how far before now a given anchor may be (a client's clock).
const anchorSlack = 5 * time.Minute

// Create starts a subscription of mode m. When its anchor is now, the first period is
// billed before Create returns (its invoice is LatestInvoiceID, or the wallet paid
// it); should that fail, the billing job bills it. Bad input returns a
// *validation.Error naming each wrong field, with nothing written.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*Subscription, error) {
	if !m.Valid() {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	now := s.cfg.Now().UTC().Truncate(time.Microsecond) // as stores keep times
	var v validation.Error
	if p.CustomerID == "" {
		v.Add("customer_id", errors.New("is required"))
	} else if !text.ID(p.CustomerID) {
		v.Add("customer_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	if p.Collection == "" {
		p.Collection = CollectInvoice
	}
	if p.Collection != CollectInvoice && p.Collection != CollectWallet {
		v.Add("collection", fmt.Errorf("%w: want invoice or wallet", ErrBadFormat))
	}
	anchor := now
	if p.BillingCycleAnchor != nil {
		a := p.BillingCycleAnchor.UTC().Truncate(time.Microsecond)
		switch {
		case a.Before(now.Add(-anchorSlack)):
			v.Add("billing_cycle_anchor", fmt.Errorf("%w: in the past", ErrBadFormat))
		case a.After(now.AddDate(1, 0, 0)):
			v.Add("billing_cycle_anchor", fmt.Errorf("%w: more than a year ahead", ErrBadFormat))
		case a.After(now):
			anchor = a
		}
	}
	var autoEnd *time.Time
	if p.AutoEndAt != nil {
		e := p.AutoEndAt.UTC().Truncate(time.Microsecond)
		if !e.After(anchor) {
			v.Add("auto_end_at", fmt.Errorf("%w: must be after the billing cycle anchor", ErrBadFormat))
		}
		autoEnd = &e
	}
	if len(p.AcceptedAssets) > 50 {
		v.Add("accepted_assets", fmt.Errorf("%w: at most 50", ErrBadFormat))
	}
	if string(p.Metadata) == "null" {
		p.Metadata = nil
	}
	v.Add("metadata", invoice.CheckMetadata(p.Metadata))
	if p.ReturnURL != "" {
		if u, err := url.Parse(p.ReturnURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(p.ReturnURL) > 2048 {
			v.Add("return_url", fmt.Errorf("%w: want an absolute http(s) URL of at most 2048 bytes", ErrBadFormat))
		}
	}
	var prod Product
	var plan *Plan
	if p.PlanID == "" {
		v.Add("plan_id", errors.New("is required"))
	} else if ids.Valid("plan", p.PlanID) {
		var ok bool
		err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			prod, ok, err = tx.ProductOfPlan(ctx, m, p.PlanID)
			return err
		})
		if err != nil {
			return nil, err
		}
		if ok && prod.SubMerchantID == p.SubMerchantID {
			plan, _ = prod.Plan(p.PlanID)
		}
	}
	switch {
	case p.PlanID == "":
	case plan == nil: // another scope's plan is not found either
		v.Add("plan_id", fmt.Errorf("%w: no plan %s in %s mode", ErrNotFound, p.PlanID, m))
	case !prod.Active || !plan.Active:
		v.Add("plan_id", fmt.Errorf("%w: the plan or its product", ErrArchived))
	case p.Collection == CollectWallet && asset.IsFiat(plan.Currency):
		v.Add("collection", ErrNotAsset)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if s.cfg.CheckSubMerchant != nil {
		if err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID); err != nil {
			return nil, err
		}
	}
	if s.cfg.CheckCustomer != nil {
		ok, err := s.cfg.CheckCustomer(ctx, m, p.CustomerID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, validation.Field("customer_id", fmt.Errorf("%w: no customer %s in %s mode", ErrNotFound, p.CustomerID, m))
		}
	}
	sub := Subscription{ID: ids.New("sub"), Mode: m, SubMerchantID: p.SubMerchantID, CustomerID: p.CustomerID,
		ProductID: prod.ID, PlanID: plan.ID, Status: StatusPending, Collection: p.Collection, Amount: plan.Amount,
		Currency: plan.Currency, Interval: plan.Interval, IntervalCount: plan.IntervalCount, BillingCycleAnchor: anchor,
		AutoEndAt: autoEnd, AcceptedAssets: p.AcceptedAssets, CurrentPeriod: -1, Metadata: text.CompactJSON(p.Metadata),
		ReturnURL: p.ReturnURL, CreatedAt: now, UpdatedAt: now, NextAt: anchor, RequestKey: p.RequestKey}
	if sub.AcceptedAssets == nil {
		sub.AcceptedAssets = []string{}
	}
	// The invoices' parameters are checked now (accepted assets, an enabled asset or a
	// rate for the price): an invoice the job could never create is refused here.
	if _, err := s.cfg.Invoices.Prepare(ctx, m, s.invoiceParams(&sub, 0, 1)); err != nil {
		return nil, err
	}
	existing := false
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if p.RequestKey != "" {
			first, ok, err := tx.SubscriptionByRequestKey(ctx, m, p.RequestKey)
			if err != nil || ok {
				sub, existing = first, ok
				return err
			}
		}
		cur, ok, err := tx.ProductOfPlan(ctx, m, plan.ID)
		if err != nil {
			return err
		}
		pl, found := cur.Plan(plan.ID)
		if !ok || !found || !cur.Active || !pl.Active {
			return validation.Field("plan_id", fmt.Errorf("%w: the plan or its product", ErrArchived))
		}
		if !pl.Amount.Equal(sub.Amount) || pl.Currency != sub.Currency || pl.Interval != sub.Interval || pl.IntervalCount != sub.IntervalCount {
			return validation.Field("plan_id", errors.New("the plan's price changed meanwhile: try again"))
		}
		if !pl.Used {
			pl.Used = true
			if err := tx.UpdateProduct(ctx, cur); err != nil {
				return err
			}
		}
		if err := tx.InsertSubscription(ctx, sub); err != nil {
			return err
		}
		return s.emit(ctx, tx, &sub, EventCreated)
	})
	if err != nil {
		return nil, err
	}
	if existing {
		return &sub, nil
	}
	if !sub.NextAt.After(now) {
		if err := s.advance(ctx, Ref{Mode: m, ID: sub.ID}); err != nil {
			s.cfg.Logger.WarnContext(ctx, "billing: the first period will be billed by the job", "subscription", sub.ID, "err", err)
		}
		if got, err := s.Get(ctx, m, sub.ID); err == nil {
			return got, nil
		}
	}
	return &sub, nil
}

// Get returns subscription id of mode m (ErrNotFound for an unknown id or one of the
// other mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Subscription, error) {
	if !ids.Valid("sub", id) {
		return nil, ErrNotFound
	}
	var sub Subscription
	var ok bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		sub, ok, err = tx.GetSubscription(ctx, m, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return &sub, nil
}

// Periods returns subscription id's billed periods, oldest first.
func (s *Service) Periods(ctx context.Context, m asset.Mode, id string) ([]Period, error) {
	if _, err := s.Get(ctx, m, id); err != nil {
		return nil, err
	}
	var out []Period
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = tx.ListPeriods(ctx, m, id)
		return err
	})
	if out == nil {
		out = []Period{}
	}
	return out, err
}

// List returns a page of subscriptions and how many match in all.
func (s *Service) List(ctx context.Context, p ListParams) ([]Subscription, int, error) {
	var v validation.Error
	page(&v, p.Mode, &p.Page, &p.Limit)
	switch p.Status {
	case "", StatusPending, StatusActive, StatusPastDue, StatusCancelled, StatusExpired:
	default:
		v.Add("status", fmt.Errorf("%w: want pending, active, past_due, cancelled or expired", ErrBadFormat))
	}
	if p.CustomerID != "" && !text.ID(p.CustomerID) {
		v.Add("customer_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []Subscription
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListSubscriptions(ctx, p)
		return err
	})
	if out == nil {
		out = []Subscription{}
	}
	return out, total, err
}

// Cancel cancels subscription id of mode m: now (its open period's invoice is
// cancelled and nothing more is billed), or with atPeriodEnd at the end of the
// current period (the period paid is served; no later one is billed). Cancelling a
// cancelled subscription again returns it as it is; an expired one is ErrEnded.
func (s *Service) Cancel(ctx context.Context, m asset.Mode, id string, atPeriodEnd bool) (*Subscription, error) {
	if !ids.Valid("sub", id) {
		return nil, ErrNotFound
	}
	var sub Subscription
	var open string // the open period's invoice, to cancel after the commit
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		var ok bool
		var err error
		sub, ok, err = tx.GetSubscription(ctx, m, id)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrNotFound
		case sub.Status == StatusCancelled:
			return nil
		case sub.Status.Ended():
			return ErrEnded
		}
		now := s.cfg.Now().UTC()
		if atPeriodEnd && sub.CurrentPeriod >= 0 && sub.CurrentPeriodPaid {
			if sub.CancelAtPeriodEnd {
				return nil
			}
			sub.CancelAtPeriodEnd, sub.UpdatedAt = true, now
			return tx.UpdateSubscription(ctx, sub)
		}
		// Now (also "at period end" of a period not paid: nothing is being served).
		if sub.CurrentPeriod >= 0 && !sub.CurrentPeriodPaid {
			if err := s.closePeriod(ctx, tx, &sub, PeriodVoid); err != nil {
				return err
			}
			open = sub.LatestInvoiceID
		}
		return s.end(ctx, tx, &sub, StatusCancelled, "requested", now)
	})
	if err != nil {
		return nil, err
	}
	if open != "" {
		if _, err := s.cfg.Invoices.Cancel(ctx, m, open); err != nil && !errors.Is(err, invoice.ErrNotFound) {
			// Paid or expired meanwhile: a paid one is the merchant's money as any invoice's.
			s.cfg.Logger.InfoContext(ctx, "billing: the cancelled subscription's invoice stays", "invoice", open, "err", err)
		}
	}
	return &sub, nil
}
