package httphandler

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/validation"
)

// planRequest is a pricing plan in a product's create or update: with id, a change of
// that plan (its price only while no subscription uses it); without, a new plan.
type planRequest struct {
	ID            string `json:"id" example:"plan_3x7dq4kzm2a6bn5rwc8e"`
	Amount        Amount `json:"amount" example:"9.99"`
	Currency      string `json:"currency" example:"USD"`
	Interval      string `json:"interval" example:"month"`
	IntervalCount int    `json:"interval_count" example:"1"`
	Description   string `json:"description"`
	Active        *bool  `json:"active"`
}

// productRequest creates a product with its plans.
type productRequest struct {
	Name          string          `json:"name" required:"true" example:"Pro"`
	Description   string          `json:"description"`
	Images        []string        `json:"images"`
	Metadata      json.RawMessage `json:"metadata"`
	PricingPlans  []planRequest   `json:"pricing_plans" required:"true"`
	SubMerchantID string          `json:"sub_merchant_id"`
}

// productUpdate changes a product; what is absent stays, active false archives it.
type productUpdate struct {
	Name         *string         `json:"name"`
	Description  *string         `json:"description"`
	Images       *[]string       `json:"images"`
	Metadata     json.RawMessage `json:"metadata"`
	Active       *bool           `json:"active"`
	PricingPlans []planRequest   `json:"pricing_plans"`
}

// subscriptionRequest starts a subscription.
type subscriptionRequest struct {
	CustomerID         string          `json:"customer_id" required:"true" example:"cus_3x7dq4kzm2a6bn5rwc8e"`
	PlanID             string          `json:"plan_id" required:"true" example:"plan_3x7dq4kzm2a6bn5rwc8e"`
	BillingCycleAnchor *time.Time      `json:"billing_cycle_anchor"`
	AutoEndAt          *time.Time      `json:"auto_end_at"`
	AcceptedAssets     []string        `json:"accepted_assets"`
	Collection         string          `json:"collection" example:"invoice"`
	Metadata           json.RawMessage `json:"metadata"`
	ReturnURL          string          `json:"return_url"`
	SubMerchantID      string          `json:"sub_merchant_id"`
}

// cancelSubscriptionRequest cancels a subscription, now or at its period's end.
type cancelSubscriptionRequest struct {
	AtPeriodEnd bool `json:"at_period_end"`
}

// subscriptionJSON is a subscription with its hosted page's URL.
type subscriptionJSON struct {
	*billing.Subscription
	// SubscriptionURL is the hosted page of the plan, the period and the invoice to pay.
	SubscriptionURL string `json:"subscription_url"`
}

func (h *Handler) subscriptionJSON(s *billing.Subscription) subscriptionJSON {
	return subscriptionJSON{Subscription: s, SubscriptionURL: h.opts.PublicURL + "/subscriptions/" + s.ID}
}

func plans(in []planRequest) []billing.PlanParams {
	out := make([]billing.PlanParams, 0, len(in))
	for _, p := range in {
		out = append(out, billing.PlanParams{ID: p.ID, Amount: p.Amount.Value, Currency: p.Currency, Interval: billing.Interval(p.Interval),
			IntervalCount: p.IntervalCount, Description: p.Description, Active: p.Active})
	}
	return out
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	var req productRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID)
	if err != nil {
		return err
	}
	p, err := h.gw.Billing().CreateProduct(r.Context(), mode(r), billing.ProductParams{SubMerchantID: sub, Name: req.Name,
		Description: req.Description, Images: req.Images, Metadata: req.Metadata, PricingPlans: plans(req.PricingPlans), RequestKey: requestKey(r)})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, p)
	return nil
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	p := billing.ProductListParams{Mode: mode(r), SubMerchantID: listSub(r), Page: page, Limit: limit, Active: queryBool(r, "active", &v)}
	if err := v.Err(); err != nil {
		return err
	}
	ps, total, err := h.gw.Billing().ListProducts(r.Context(), p)
	if err != nil {
		return err
	}
	okList(w, ps, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := h.gw.Billing().GetProduct(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

func (h *Handler) updateProduct(w http.ResponseWriter, r *http.Request) error {
	var req productUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	u := billing.ProductUpdate{Name: req.Name, Description: req.Description, Images: req.Images, Active: req.Active,
		PricingPlans: plans(req.PricingPlans)}
	if len(req.Metadata) > 0 {
		u.Metadata = &req.Metadata
	}
	p, err := h.gw.Billing().UpdateProduct(r.Context(), mode(r), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

func (h *Handler) createSubscription(w http.ResponseWriter, r *http.Request) error {
	var req subscriptionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID)
	if err != nil {
		return err
	}
	s, err := h.gw.Billing().Create(r.Context(), mode(r), billing.CreateParams{SubMerchantID: sub, CustomerID: req.CustomerID,
		PlanID: req.PlanID, BillingCycleAnchor: req.BillingCycleAnchor, AutoEndAt: req.AutoEndAt, AcceptedAssets: req.AcceptedAssets,
		Collection: billing.Collection(req.Collection), Metadata: req.Metadata, ReturnURL: req.ReturnURL, RequestKey: requestKey(r)})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, h.subscriptionJSON(s))
	return nil
}

func (h *Handler) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	if err := v.Err(); err != nil {
		return err
	}
	q := r.URL.Query()
	ss, total, err := h.gw.Billing().List(r.Context(), billing.ListParams{Mode: mode(r), SubMerchantID: listSub(r),
		CustomerID: q.Get("customer_id"), Status: billing.Status(q.Get("status")), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]subscriptionJSON, 0, len(ss))
	for i := range ss {
		out = append(out, h.subscriptionJSON(&ss[i]))
	}
	okList(w, out, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getSubscription(w http.ResponseWriter, r *http.Request) error {
	s, err := h.gw.Billing().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.subscriptionJSON(s))
	return nil
}

func (h *Handler) subscriptionPeriods(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.gw.Billing().Periods(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []billing.Period{}
	}
	ok(w, http.StatusOK, ps)
	return nil
}

func (h *Handler) cancelSubscription(w http.ResponseWriter, r *http.Request) error {
	var req cancelSubscriptionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	s, err := h.gw.Billing().Cancel(r.Context(), mode(r), r.PathValue("id"), req.AtPeriodEnd)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.subscriptionJSON(s))
	return nil
}
