package httphandler

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// refundRequest is POST /v1/refunds.
type refundRequest struct {
	InvoiceID string `json:"invoice_id" required:"true" example:"inv_2vq8x3k1m0c7d5f4"`
	// Amount in the invoice's price currency; omitted: everything still refundable.
	Amount   Amount `json:"amount" example:"25.00"`
	Currency string `json:"currency" example:"USD"`
	Reason   string `json:"reason" enum:"duplicate,fraudulent,requested_by_customer"`
	// Description is the merchant's note (at most 500 bytes).
	Description        string          `json:"description"`
	DestinationAddress string          `json:"destination_address"`
	Rate               string          `json:"rate" enum:"invoice,current"`
	FeePayer           string          `json:"fee_payer" enum:"customer,merchant"`
	Metadata           json.RawMessage `json:"metadata"`
}

// refundJSON is a refund as the API shows it: with its claim page's URL while it
// waits for the payer's address.
type refundJSON struct {
	refund.Refund
	ClaimURL *string `json:"claim_url"`
}

func (h *Handler) refundJSON(r *refund.Refund) refundJSON {
	out := refundJSON{Refund: *r}
	if r.ClaimPath != "" {
		u := h.opts.PublicURL + r.ClaimPath
		out.ClaimURL = &u
	}
	return out
}

func (h *Handler) refundsJSON(rs []*refund.Refund) []refundJSON {
	out := make([]refundJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, h.refundJSON(r))
	}
	return out
}

func (h *Handler) createRefund(w http.ResponseWriter, r *http.Request) error {
	var req refundRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Amount.Set && req.Amount.Value.Sign() == 0 {
		var v validation.Error
		v.Add("amount", errors.New("must be positive: leave it out to refund everything"))
		return v.Err()
	}
	if sub := boundSub(r); sub != "" {
		// A bound key refunds only its own invoices; another's is not found.
		inv, err := h.gw.Invoices().Get(r.Context(), mode(r), req.InvoiceID)
		if err == nil && inv.SubMerchantID != sub {
			err = errNotFound
		}
		if err != nil {
			return err
		}
	}
	p := refund.CreateParams{RequestKey: requestKey(r), InvoiceID: req.InvoiceID, Amount: req.Amount.Value, Currency: req.Currency,
		Reason: req.Reason, Description: req.Description, Destination: req.DestinationAddress, Rate: refund.Rate(req.Rate),
		FeePayer: refund.FeePayer(req.FeePayer), Metadata: req.Metadata}
	rf, err := h.gw.Refunds().Create(r.Context(), mode(r), p)
	var be *payout.BroadcastError
	if errors.As(err, &be) {
		e := broadcastFailure(be)
		if rf != nil {
			e.extra["refund_id"] = rf.ID
		}
		return e
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, h.refundJSON(rf))
	return nil
}

func (h *Handler) listRefunds(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	status := queryEnum(r, "status", &v, refundStatuses...)
	if err := v.Err(); err != nil {
		return err
	}
	rs, total, err := h.gw.Refunds().List(r.Context(), refund.ListParams{Mode: mode(r), InvoiceID: r.URL.Query().Get("invoice_id"),
		Status: status, SubMerchantID: listSub(r), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	okList(w, h.refundsJSON(rs), pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

var refundStatuses = []refund.Status{refund.StatusAwaitingAddress, refund.StatusPendingVerification, refund.StatusProcessing,
	refund.StatusSucceeded, refund.StatusFailed, refund.StatusCancelled}

func (h *Handler) getRefund(w http.ResponseWriter, r *http.Request) error {
	rf, err := h.gw.Refunds().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.refundJSON(rf))
	return nil
}

func (h *Handler) cancelRefund(w http.ResponseWriter, r *http.Request) error {
	rf, err := h.gw.Refunds().Cancel(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.refundJSON(rf))
	return nil
}

func (h *Handler) invoiceRefunds(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.gw.Refunds().ForInvoice(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	refunds := rs[:0]
	for _, rf := range rs {
		if rf.Object != refund.ObjectRebound {
			refunds = append(refunds, rf)
		}
	}
	ok(w, http.StatusOK, h.refundsJSON(refunds))
	return nil
}

// reboundJSON is a rebound as the API shows it.
type reboundJSON struct {
	ID        string `json:"id"`
	Object    string `json:"object" enum:"rebound"`
	Livemode  bool   `json:"livemode"`
	InvoiceID string `json:"invoice_id"`
	Reason    string `json:"reason" enum:"overpaid,underpaid,paid_late"`
	// Status: awaiting_address, processing (also while its payout waits for a code),
	// completed, failed, cancelled (the claim link expired or was cancelled),
	// rejected (not made: FailureReason says why).
	Status         string           `json:"status" enum:"awaiting_address,processing,completed,failed,cancelled,rejected"`
	CryptoCurrency string           `json:"crypto_currency"`
	Network        string           `json:"network"`
	Code           string           `json:"code"`
	CryptoAmount   decimal.Decimal  `json:"crypto_amount"`
	AmountReceived *decimal.Decimal `json:"amount_received"`
	EstimatedFee   *decimal.Decimal `json:"estimated_fee"`
	NetworkFee     *decimal.Decimal `json:"network_fee"`
	Destination    *string          `json:"destination_address"`
	TxHash         *string          `json:"tx_hash"`
	PayoutID       *string          `json:"payout_id"`
	ClaimURL       *string          `json:"claim_url"`
	ClaimExpiresAt *time.Time       `json:"claim_expires_at,omitempty"`
	FailureReason  string           `json:"failure_reason,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

func (h *Handler) reboundJSON(r *refund.Refund) reboundJSON {
	status := string(r.Status)
	switch r.Status {
	case refund.StatusSucceeded:
		status = "completed"
	case refund.StatusPendingVerification:
		status = "processing"
	}
	out := reboundJSON{ID: r.ID, Object: refund.ObjectRebound, Livemode: r.Livemode, InvoiceID: r.InvoiceID, Reason: r.Reason, Status: status,
		CryptoCurrency: r.RefundCurrency, Network: string(r.RefundNetwork), Code: r.Asset, CryptoAmount: r.RefundAmount,
		AmountReceived: r.AmountReceived, EstimatedFee: r.EstimatedFee, NetworkFee: r.NetworkFee, Destination: r.Destination, TxHash: r.TxHash,
		PayoutID: r.PayoutID, ClaimExpiresAt: r.ClaimExpiresAt, FailureReason: r.FailureReason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.ClaimPath != "" {
		u := h.opts.PublicURL + r.ClaimPath
		out.ClaimURL = &u
	}
	return out
}

func (h *Handler) invoiceRebounds(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.gw.Refunds().Rebounds(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]reboundJSON, 0, len(rs))
	for _, rb := range rs {
		out = append(out, h.reboundJSON(rb))
	}
	ok(w, http.StatusOK, out)
	return nil
}
