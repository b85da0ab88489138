package httphandler

import (
	"errors"
	"net/http"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/validation"
)

// conversionRequest is POST /v1/conversions: amount of from_currency converted into
// to_currency, both asset codes ("BTC", "USDT_TRON").
type conversionRequest struct {
	FromCurrency string `json:"from_currency" required:"true" example:"BTC"`
	ToCurrency   string `json:"to_currency" required:"true" example:"USDT_TRON"`
	Amount       Amount `json:"amount" required:"true" example:"0.05"`
	// SubMerchantID converts that sub-merchant's balances (a key bound to one
	// converts its own).
	SubMerchantID string `json:"sub_merchant_id"`
}

// errConversionUnavailable answers a conversion in a mode without an exchange.
var errConversionUnavailable = errf(http.StatusUnprocessableEntity, "conversion_unavailable",
	"Conversions are not available: the operator has configured no exchange for this mode.")

// errBurnAndMint answers every /v1/smart-contract/ route (API.md, "Not provided").
var errBurnAndMint = errf(http.StatusNotFound, "not_found", "burn-and-mint wrapping is not supported")

func (h *Handler) estimatePrice(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation.Error
	for _, name := range []string{"base_currency", "quote_currency", "amount"} {
		if q.Get(name) == "" {
			v.Add(name, errors.New("is required"))
		}
	}
	amount, err := asset.ParseAmount(q.Get("amount"))
	if err != nil && q.Get("amount") != "" {
		v.Add("amount", err)
	}
	if err := v.Err(); err != nil {
		return err
	}
	e, err := h.gw.EstimatePrice(r.Context(), mode(r), q.Get("base_currency"), q.Get("quote_currency"), amount)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, e)
	return nil
}

func (h *Handler) createConversion(w http.ResponseWriter, r *http.Request) error {
	var req conversionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID) // another scope's: not found, before anything else
	if err != nil {
		return err
	}
	var v validation.Error
	if req.FromCurrency == "" {
		v.Add("from_currency", errors.New("is required"))
	}
	if req.ToCurrency == "" {
		v.Add("to_currency", errors.New("is required"))
	}
	if !req.Amount.Set {
		v.Add("amount", errors.New("is required"))
	}
	if err := v.Err(); err != nil {
		return err
	}
	// The request's key goes with the conversion: a retry after a crash finds it
	// even if the response was never stored.
	c, err := h.gw.Conversions().Create(r.Context(), mode(r), conversion.CreateParams{From: req.FromCurrency, To: req.ToCurrency,
		Amount: req.Amount.Value, SubMerchantID: sub, RequestKey: requestKey(r)})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, c)
	return nil
}

func (h *Handler) listConversions(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	status := queryEnum(r, "status", &v, conversion.StatusPending, conversion.StatusCompleted, conversion.StatusFailed)
	if err := v.Err(); err != nil {
		return err
	}
	cs, total, err := h.gw.Conversions().List(r.Context(), conversion.ListParams{Mode: mode(r), SubMerchantID: listSub(r), Status: status,
		Page: page, Limit: limit})
	if err != nil {
		return err
	}
	okList(w, cs, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getConversion(w http.ResponseWriter, r *http.Request) error {
	c, err := h.gw.Conversions().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, c)
	return nil
}
