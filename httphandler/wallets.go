package httphandler

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
)

// walletRequest creates a customer wallet (or returns the customer's existing one of
// the asset).
type walletRequest struct {
	CustomerID string          `json:"customer_id" required:"true" example:"cus_2p5wkfjh4usapu6s6htg"`
	Currency   string          `json:"currency" required:"true" example:"USDT"`
	Network    string          `json:"network" example:"tron"`
	Label      string          `json:"label"`
	Metadata   json.RawMessage `json:"metadata"`
	// SubMerchantID keeps the wallet for that sub-merchant (a key bound to one keeps
	// its own).
	SubMerchantID string `json:"sub_merchant_id"`
}

// depositCheckRequest asks Kassa to look for a deposit now.
type depositCheckRequest struct {
	TxHash string `json:"tx_hash" required:"true"`
}

// withdrawRequest withdraws from a wallet: the recipient gets amount, and the
// network fee comes from the wallet's balance on top of it.
type withdrawRequest struct {
	Amount           Amount          `json:"amount" required:"true" example:"25.5"`
	RecipientAddress string          `json:"recipient_address" required:"true"`
	Metadata         json.RawMessage `json:"metadata"`
}

func (h *Handler) createWallet(w http.ResponseWriter, r *http.Request) error {
	var req walletRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID)
	if err != nil {
		return err
	}
	wal, created, err := h.gw.Wallets().Create(r.Context(), mode(r), wallet.CreateParams{CustomerID: req.CustomerID, SubMerchantID: sub,
		Currency: req.Currency, Network: req.Network, Label: req.Label, Metadata: req.Metadata})
	if err != nil {
		return err
	}
	status := http.StatusOK // the customer's existing wallet of the asset
	if created {
		status = http.StatusCreated
	}
	ok(w, status, wal)
	return nil
}

func (h *Handler) listWallets(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	if err := v.Err(); err != nil {
		return err
	}
	q := r.URL.Query()
	ws, total, err := h.gw.Wallets().List(r.Context(), wallet.ListParams{Mode: mode(r), CustomerID: q.Get("customer_id"), SubMerchantID: listSub(r),
		Currency: q.Get("currency"), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	okList(w, ws, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getWallet(w http.ResponseWriter, r *http.Request) error {
	wal, err := h.gw.Wallets().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, wal)
	return nil
}

func (h *Handler) lookupWallet(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sub, err := subFor(r, q.Get("sub_merchant_id"))
	if err != nil {
		return err
	}
	wal, err := h.gw.Wallets().Lookup(r.Context(), mode(r), sub, q.Get("customer_id"), q.Get("currency"), q.Get("network"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, wal)
	return nil
}

func (h *Handler) aggregatedWallets(w http.ResponseWriter, r *http.Request) error {
	sub, err := subFor(r, r.URL.Query().Get("sub_merchant_id"))
	if err != nil {
		return err
	}
	agg, err := h.gw.Wallets().Aggregated(r.Context(), mode(r), sub, r.URL.Query().Get("customer_id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, agg)
	return nil
}

func (h *Handler) walletTransactions(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.gw.Wallets().Transactions(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, ts)
	return nil
}

func (h *Handler) checkDeposit(w http.ResponseWriter, r *http.Request) error {
	var req depositCheckRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := h.gw.Wallets().Check(r.Context(), mode(r), r.PathValue("id"), req.TxHash)
	if errors.Is(err, wallet.ErrTooSoon) {
		e := errf(http.StatusTooManyRequests, "rate_limited", err.Error())
		w.Header().Set("Retry-After", "30")
		return e
	}
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, res)
	return nil
}

func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request) error {
	var req withdrawRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v validation.Error
	if !req.Amount.Set {
		v.Add("amount", errors.New("is required"))
	}
	if req.RecipientAddress == "" {
		v.Add("recipient_address", errors.New("is required"))
	}
	if err := v.Err(); err != nil {
		return err
	}
	po, err := h.gw.Wallets().Withdraw(r.Context(), mode(r), r.PathValue("id"), wallet.WithdrawParams{Amount: req.Amount.Value,
		Destination: req.RecipientAddress, Metadata: req.Metadata, RequestKey: requestKey(r)})
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
