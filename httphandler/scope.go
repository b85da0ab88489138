package httphandler

import (
	"errors"
	"net/http"
	"strings"
)

// Sub-merchant scopes.
//
// An API key bound to a sub-merchant (apikey.Key.SubMerchantID) sees and makes only
// that sub-merchant's objects: every create is made for it (naming another
// sub-merchant is not found), every list is filtered to it, and an id of another
// scope's object is not found, exactly as an unknown id (never forbidden: that would
// say it exists). Routes that are the operator's alone (sub-merchants' management,
// customers, the treasury, chain transactions across every scope) are forbidden to
// it. The list below is an allowlist: a route added later is the operator's until it
// is scoped here.

// boundRoutes are the routes a key bound to a sub-merchant may call.
var boundRoutes = map[string]bool{
	"GET /v1/currencies": true, "GET /v1/currencies/pairs": true, "GET /v1/wallets/supported": true,
	"POST /v1/invoices": true, "GET /v1/invoices": true, "GET /v1/invoices/{id}": true, "POST /v1/invoices/{id}/verify": true,
	"POST /v1/invoices/{id}/cancel": true, "POST /v1/invoices/{id}/refresh": true, "GET /v1/invoices/{id}/transactions": true,
	"GET /v1/invoices/{id}/rebounds": true, "GET /v1/invoices/{id}/refunds": true,
	"POST /v1/checkout/sessions": true, "GET /v1/checkout/sessions": true, "GET /v1/checkout/sessions/{id}": true,
	"POST /v1/checkout/sessions/{id}/verify": true,
	"POST /v1/payments":                      true, "GET /v1/payments": true, "GET /v1/payments/{id}": true, "POST /v1/payments/{id}/verify": true,
	"POST /v1/payments/{id}/cancel": true,
	"GET /v1/balance":               true,
	"POST /v1/payouts":              true, "POST /v1/payouts/mass": true, "GET /v1/payouts": true, "GET /v1/payouts/{id}": true,
	"POST /v1/payouts/{id}/verify": true, "POST /v1/payouts/{id}/signature": true, "POST /v1/payouts/{id}/cancel": true,
	"POST /v1/payouts/{id}/bump": true,
	"POST /v1/refunds":           true, "GET /v1/refunds": true, "GET /v1/refunds/{id}": true, "POST /v1/refunds/{id}/cancel": true,
	"GET /v1/withdrawals/min-amount": true, "GET /v1/withdrawals/fee-estimate": true,
	"GET /v1/prices/estimate": true, "POST /v1/conversions": true, "GET /v1/conversions": true, "GET /v1/conversions/{id}": true,
	"POST /v1/wallets": true, "GET /v1/wallets": true, "GET /v1/wallets/lookup": true, "GET /v1/wallets/balance/aggregated": true,
	"GET /v1/wallets/{id}": true, "GET /v1/wallets/{id}/transactions": true, "POST /v1/wallets/{id}/deposit": true,
	"POST /v1/wallets/{id}/withdraw": true,
	"POST /v1/webhook-endpoints":     true, "GET /v1/webhook-endpoints": true, "GET /v1/webhook-endpoints/{id}": true,
	"PUT /v1/webhook-endpoints/{id}": true, "DELETE /v1/webhook-endpoints/{id}": true,
	"POST /v1/webhook-endpoints/{id}/ping": true, "POST /v1/webhook-endpoints/{id}/rotate-secret": true,
	"GET /v1/events": true, "GET /v1/events/{id}": true, // redelivery is the operator's: it resends to every scope's receivers
	"POST /v1/test/invoices/{id}/pay": true,
	"GET /v1/sub-merchants/{id}":      true, // its own only
	"POST /v1/products":               true, "GET /v1/products": true, "GET /v1/products/{id}": true, "PUT /v1/products/{id}": true,
	"POST /v1/subscriptions": true, "GET /v1/subscriptions": true, "GET /v1/subscriptions/{id}": true,
	"GET /v1/subscriptions/{id}/periods": true, "POST /v1/subscriptions/{id}/cancel": true,
}

// errBoundKey answers a key bound to a sub-merchant on a route that is the operator's.
var errBoundKey = errf(http.StatusForbidden, "forbidden",
	"This API key is bound to a sub-merchant; this endpoint is the platform operator's.")

// boundSub returns the sub-merchant the request's key is bound to ("" for an
// operator's key).
func boundSub(r *http.Request) string {
	if c := callOf(r); c != nil {
		return c.key.SubMerchantID
	}
	return ""
}

// scoped gates a route for keys bound to a sub-merchant: a route outside boundRoutes
// is forbidden, and on a route of one object ({id}) the object must be the
// sub-merchant's, else it is not found.
func (h *Handler) scoped(rt route, next http.Handler) http.Handler {
	pattern := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := boundSub(r)
		if sub == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !boundRoutes[pattern] {
			writeError(w, errBoundKey)
			return
		}
		if strings.Contains(rt.path, "{id}") {
			owner, err := h.ownerOf(r, rt.path)
			if err != nil {
				writeError(w, toAPIError(r.Context(), err, h.log))
				return
			}
			if owner != sub {
				writeError(w, errNotFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ownerOf returns the scope of the object a route's {id} names.
func (h *Handler) ownerOf(r *http.Request, path string) (string, error) {
	ctx, m, id := r.Context(), mode(r), r.PathValue("id")
	switch {
	case strings.HasPrefix(path, "/v1/invoices/"), strings.HasPrefix(path, "/v1/checkout/sessions/"),
		strings.HasPrefix(path, "/v1/payments/"), strings.HasPrefix(path, "/v1/test/invoices/"):
		inv, err := h.gw.Invoices().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return inv.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/payouts/"):
		p, err := h.gw.Payouts().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return p.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/refunds/"):
		rf, err := h.gw.Refunds().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return rf.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/conversions/"):
		c, err := h.gw.Conversions().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return c.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/wallets/"):
		wal, err := h.gw.Wallets().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return wal.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/webhook-endpoints/"):
		if h.gw.Webhooks() == nil {
			return "", errNoWebhooks
		}
		ep, err := h.gw.Webhooks().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return ep.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/events/"):
		if h.gw.Webhooks() == nil {
			return "", errNoWebhooks
		}
		e, err := h.gw.Webhooks().Event(ctx, m, id)
		if err != nil {
			return "", err
		}
		return e.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/products/"):
		p, err := h.gw.Billing().GetProduct(ctx, m, id)
		if err != nil {
			return "", err
		}
		return p.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/subscriptions/"):
		s, err := h.gw.Billing().Get(ctx, m, id)
		if err != nil {
			return "", err
		}
		return s.SubMerchantID, nil
	case strings.HasPrefix(path, "/v1/sub-merchants/"):
		return id, nil
	}
	return "", errors.New("httphandler: no owner lookup for " + path)
}

// subFor is the scope of an object a request creates: a bound key's own (naming
// another sub-merchant is not found), or what an operator's key names ("" its own).
func subFor(r *http.Request, named string) (string, error) {
	sub := boundSub(r)
	switch {
	case sub == "":
		return named, nil
	case named != "" && named != sub:
		return "", errNotFound
	}
	return sub, nil
}

// listSub is the scope a list is filtered to: a bound key's own; for an operator's key
// the sub_merchant_id query parameter when given ("" its own objects), else every
// scope (nil).
func listSub(r *http.Request) *string {
	if sub := boundSub(r); sub != "" {
		return &sub
	}
	q := r.URL.Query()
	if q.Has("sub_merchant_id") {
		s := q.Get("sub_merchant_id")
		return &s
	}
	return nil
}
