package httphandler

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// payoutRequest is one payout of POST /v1/payouts or one destination of a mass payout
// ("address" is accepted for "destination_address" there, as the API reference writes it).
type payoutRequest struct {
	Amount             Amount          `json:"amount" required:"true" example:"0.25"`
	Currency           string          `json:"currency" required:"true" example:"BTC"`
	Network            string          `json:"network"`
	DestinationAddress string          `json:"destination_address"`
	Address            string          `json:"address"`
	CustomerID         string          `json:"customer_id"`
	Metadata           json.RawMessage `json:"metadata"`
	// SubMerchantID pays it from that sub-merchant's balance (a key bound to one pays
	// from its own).
	SubMerchantID string `json:"sub_merchant_id"`
}

func (p payoutRequest) params(field string, v *validation.Error) payout.CreateParams {
	if !p.Amount.Set {
		v.Add(join(field, "amount"), errors.New("is required"))
	}
	if p.Currency == "" {
		v.Add(join(field, "currency"), errors.New("is required"))
	}
	dest := p.DestinationAddress
	switch {
	case dest == "":
		dest = p.Address
	case p.Address != "" && p.Address != dest:
		v.Add(join(field, "address"), errors.New("differs from destination_address: give one of them"))
	}
	return payout.CreateParams{Amount: p.Amount.Value, Currency: p.Currency, Network: p.Network, Destination: dest,
		CustomerID: p.CustomerID, Metadata: p.Metadata, SubMerchantID: p.SubMerchantID}
}

// massRequest is a mass payout: 1 to 50 destinations, all accepted or none.
type massRequest struct {
	BatchReference string          `json:"batch_reference" example:"Payroll-Q3"`
	Destinations   []payoutRequest `json:"destinations" required:"true"`
	// SubMerchantID pays the whole batch from that sub-merchant's balance (a key bound
	// to one pays from its own); the destinations do not name one.
	SubMerchantID string `json:"sub_merchant_id"`
}

// massJSON answers a mass payout.
type massJSON struct {
	BatchID        string           `json:"batch_id"`
	BatchReference string           `json:"batch_reference"`
	Status         string           `json:"status" enum:"processing,pending_verification,awaiting_signature"`
	TotalPayouts   int              `json:"total_payouts"`
	TotalAmount    decimal.Decimal  `json:"total_amount"`
	Payouts        []*payout.Payout `json:"payouts"`
}

// verifyPayoutRequest carries a payout's one-time code.
type verifyPayoutRequest struct {
	OTPCode string `json:"otp_code" required:"true" example:"482913"`
}

// signPayoutRequest carries the signed PSBT of a payout awaiting its signature.
type signPayoutRequest struct {
	PSBT string `json:"psbt" required:"true" example:"cHNidP8BAHECAAAAAf..."`
}

// minAmountJSON is the minimum payout of an asset, with its network fee.
type minAmountJSON struct {
	Currency    string          `json:"currency"`
	Network     string          `json:"network"`
	MinAmount   decimal.Decimal `json:"min_amount"`
	NetworkFee  decimal.Decimal `json:"network_fee"`
	FeeCurrency string          `json:"fee_currency"`
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// broadcastFailure is 400 broadcast_failure with rollback_confirmed: the node refused
// the transaction and the hold is void.
func broadcastFailure(be *payout.BroadcastError) *apiError {
	e := errf(http.StatusBadRequest, "broadcast_failure", be.Error())
	e.extra = map[string]any{"rollback_confirmed": true, "payout_id": be.PayoutID}
	return e
}

func (h *Handler) createPayout(w http.ResponseWriter, r *http.Request) error {
	svc := h.gw.Payouts()
	var req payoutRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID) // another scope's: not found, before anything else
	if err != nil {
		return err
	}
	var v validation.Error
	p := req.params("", &v)
	if err := v.Err(); err != nil {
		return err
	}
	p.SubMerchantID = sub
	// The request's key (a digest of the Idempotency-Key and the request) goes to the
	// service, which stores it with the payout: a retry after a crash finds the
	// payout even if the response was never stored.
	p.RequestKey = requestKey(r)
	po, err := svc.Create(r.Context(), mode(r), p)
	var be *payout.BroadcastError
	if errors.As(err, &be) {
		return broadcastFailure(be)
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, po)
	return nil
}

func (h *Handler) createMassPayout(w http.ResponseWriter, r *http.Request) error {
	svc := h.gw.Payouts()
	var req massRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v validation.Error
	sub, err := subFor(r, req.SubMerchantID)
	if err != nil {
		return err
	}
	mp := payout.MassParams{BatchReference: req.BatchReference, RequestKey: requestKey(r), SubMerchantID: sub}
	if len(req.Destinations) > 50 {
		v.Add("destinations", payout.ErrTooManyDest)
		return v.Err()
	}
	for i, d := range req.Destinations {
		if d.SubMerchantID != "" {
			v.Add("destinations["+strconv.Itoa(i)+"].sub_merchant_id", errors.New("name the sub-merchant once, on the batch"))
		}
		mp.Destinations = append(mp.Destinations, d.params("destinations["+strconv.Itoa(i)+"]", &v))
	}
	if err := v.Err(); err != nil {
		return err
	}
	batch, ps, err := svc.CreateMass(r.Context(), mode(r), mp)
	if len(ps) == 0 && err != nil {
		return err
	}
	// Accepted: every payout exists; some may have been refused by the node since.
	total := decimal.Zero
	status := "processing"
	for _, p := range ps {
		total = total.Add(p.Amount)
		if p.Status == payout.StatusPendingVerification || p.Status == payout.StatusAwaitingSignature {
			status = string(p.Status)
		}
	}
	ok(w, http.StatusCreated, massJSON{BatchID: batch, BatchReference: req.BatchReference, Status: status,
		TotalPayouts: len(ps), TotalAmount: total, Payouts: ps})
	return nil
}

func (h *Handler) verifyPayout(w http.ResponseWriter, r *http.Request) error {
	svc := h.gw.Payouts()
	var req verifyPayoutRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.OTPCode) != 6 {
		var v validation.Error
		v.Add("otp_code", errors.New("must be 6 digits"))
		return v.Err()
	}
	p, err := svc.Verify(r.Context(), mode(r), r.PathValue("id"), req.OTPCode)
	var be *payout.BroadcastError
	if errors.As(err, &be) {
		return broadcastFailure(be)
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

func (h *Handler) listPayouts(w http.ResponseWriter, r *http.Request) error {
	svc := h.gw.Payouts()
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	status := queryEnum(r, "status", &v, payout.StatusPendingVerification, payout.StatusProcessing, payout.StatusAwaitingSignature, payout.StatusBroadcast,
		payout.StatusCompleted, payout.StatusFailed, payout.StatusCancelled)
	if err := v.Err(); err != nil {
		return err
	}
	ps, total, err := svc.List(r.Context(), mode(r), status, listSub(r), page, limit)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []*payout.Payout{}
	}
	okList(w, ps, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

// signPayout takes back the signed PSBT of a payout awaiting its signature
// (payout.Service.SubmitSigned).
func (h *Handler) signPayout(w http.ResponseWriter, r *http.Request) error {
	var req signPayoutRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := h.gw.Payouts().SubmitSigned(r.Context(), mode(r), r.PathValue("id"), req.PSBT)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

// cancelPayout cancels a payout awaiting its signature (payout.Service.Cancel).
func (h *Handler) cancelPayout(w http.ResponseWriter, r *http.Request) error {
	p, err := h.gw.Payouts().Cancel(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

// bumpPayout replaces a broadcast payout's unmined transaction by one paying a higher
// fee (payout.Service.Bump).
func (h *Handler) bumpPayout(w http.ResponseWriter, r *http.Request) error {
	p, err := h.gw.Payouts().Bump(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

func (h *Handler) getPayout(w http.ResponseWriter, r *http.Request) error {
	svc := h.gw.Payouts()
	p, err := svc.Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, p)
	return nil
}

// estimate answers min-amount and fee-estimate.
func (h *Handler) estimate(r *http.Request) (asset.Asset, payout.Estimate, error) {
	q := r.URL.Query()
	var v validation.Error
	var err error
	amount := decimal.Zero
	if s := q.Get("amount"); s != "" {
		if amount, err = asset.ParseAmount(s); err != nil {
			v.Add("amount", err)
		}
	}
	a, err := h.gw.Assets().Parse(q.Get("currency"), q.Get("network"))
	if err != nil {
		v.Add("currency", err)
	}
	if err := v.Err(); err != nil {
		return asset.Asset{}, payout.Estimate{}, err
	}
	e, err := h.gw.Payouts().EstimateFee(r.Context(), mode(r), a.Currency, string(a.Network), amount)
	return a, e, err
}

func (h *Handler) minAmount(w http.ResponseWriter, r *http.Request) error {
	a, e, err := h.estimate(r)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, minAmountJSON{Currency: a.Currency, Network: string(a.Network), MinAmount: e.MinAmount,
		NetworkFee: e.NetworkFee, FeeCurrency: e.FeeCurrency})
	return nil
}

func (h *Handler) feeEstimate(w http.ResponseWriter, r *http.Request) error {
	_, e, err := h.estimate(r)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, e)
	return nil
}
