package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Apply is the chain watcher's sink for wallets, in the watcher's transaction: each
// changed transfer to a wallet's address in the wallet's asset is booked on the
// wallet (pending, available, or taken back), with its event. It returns the records
// that are not a wallet's deposit, for the invoice and payout services.
func (s *Service) Apply(ctx context.Context, tx Tx, n chains.NetworkRef, changed []chains.Record) ([]chains.Record, error) {
	rest := changed[:0:0]
	for _, r := range changed {
		if r.Out {
			rest = append(rest, r)
			continue
		}
		w, ok, err := tx.WalletByAddress(ctx, n, r.To)
		if err != nil {
			return nil, err
		}
		if ok {
			own, err := tx.OwnTx(ctx, n, r.TxID)
			if err != nil {
				return nil, err
			}
			if own {
				continue // our own transaction (a sweep's gas top-up): never a deposit, booked by its sender
			}
		}
		if ok && r.Asset != w.Asset {
			s.cfg.Logger.WarnContext(ctx, "wallet: a transfer to a wallet's address in another asset is booked on the merchant's balance",
				"wallet", w.ID, "wallet_asset", w.Asset, "asset", r.Asset, "tx", r.Key(), "amount", r.Amount)
			ok = false
		}
		if !ok {
			rest = append(rest, r)
			continue
		}
		if err := s.book(ctx, tx, n, w, r); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// book moves a deposit's money on w's accounts to where its status says it belongs,
// once per move (the transfer's booking state and sequence are stored with the
// entry), and writes the move's event.
func (s *Service) book(ctx context.Context, tx Tx, n chains.NetworkRef, w Wallet, r chains.Record) error {
	want := invoice.BookedNone
	switch r.Status {
	case chains.StatusMempool, chains.StatusConfirming:
		want = invoice.BookedPending
	case chains.StatusConfirmed:
		want = invoice.BookedAvailable
	}
	have, seq, err := tx.Booking(ctx, n, r.TxID, r.Index)
	if err != nil || have == want {
		return err
	}
	o := ledger.Owner{Wallet: w.ID}
	short, err := ledger.MoveDeposit(ctx, tx, o, n.Mode, r.Asset, fmt.Sprintf("transfer:%s:%s:%s:%d:%d", n.ID, n.Mode, r.TxID, r.Index, seq+1),
		fmt.Sprintf("wallet %s: %s %s %s -> %s", w.ID, r.Asset, r.Key(), have, want), have, want, r.Amount)
	if err != nil {
		return err
	}
	if short.Sign() > 0 {
		s.cfg.Logger.ErrorContext(ctx, "wallet: a reorg took back a deposit already withdrawn: the wallet's balance is in deficit",
			"wallet", w.ID, "tx", r.Key(), "asset", r.Asset, "amount", r.Amount, "deficit", short)
	}
	if err := tx.SetBooking(ctx, n, r.TxID, r.Index, want, seq+1); err != nil {
		return err
	}
	t := EventDepositPending
	switch {
	case want == invoice.BookedAvailable:
		t = EventDepositCompleted
	case want == invoice.BookedNone:
		t = EventDepositReversed
	}
	return s.emit(ctx, tx, w, r, t)
}

// emit writes a deposit event of w about r, with w's balances after it.
func (s *Service) emit(ctx context.Context, tx Tx, w Wallet, r chains.Record, t event.Type) error {
	if err := s.balances(ctx, tx, &w); err != nil {
		return err
	}
	a, _ := s.cfg.Assets.Get(w.Asset)
	data, err := json.Marshal(eventData{WalletID: w.ID, CustomerID: w.CustomerID, Asset: w.Asset, Currency: w.Currency,
		Network: w.Network, Amount: a.FromBaseUnits(r.Amount), TxHash: r.TxID, Index: r.Index, Status: string(r.Status),
		Confirmations: r.Confirmations, NewBalance: w.Balance, NewPending: w.Pending})
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: t, CreatedAt: s.cfg.Now().UTC(), Mode: w.Mode,
		Livemode: w.Mode == asset.Live, ObjectID: w.ID, Data: data, SubMerchantID: w.SubMerchantID})
	return err
}

// Transaction is one deposit to or withdrawal from a wallet.
type Transaction struct {
	Type          string           `json:"type"` // "deposit" or "withdrawal"
	Amount        decimal.Decimal  `json:"amount"`
	AmountUSD     *decimal.Decimal `json:"amount_usd"` // at today's rate; null without one
	Status        string           `json:"status"`     // a deposit's chain status, a withdrawal's payout status
	TxHash        string           `json:"tx_hash"`
	OutputIndex   *uint32          `json:"output_index,omitempty"` // a deposit's place in its transaction
	Confirmations int              `json:"confirmations"`
	PayoutID      string           `json:"payout_id,omitempty"` // a withdrawal's payout
	// Fee is a withdrawal's network fee in the wallet's asset, taken from the wallet
	// on top of Amount (what the recipient gets): the estimate until the payout
	// completes, then what the chain took. Absent for a token's gas, which the
	// merchant's coin pays.
	Fee         *decimal.Decimal `json:"fee,omitempty"`
	Destination string           `json:"destination_address,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
}

// MaxTransactions is how many of each kind Transactions returns, newest first.
const MaxTransactions = 100

// Transactions returns wallet id's deposits and withdrawals, newest first, up to
// MaxTransactions of each. A deposit's status is its chain status (mempool,
// confirming, confirmed, orphaned, dropped); a withdrawal's its payout's.
func (s *Service) Transactions(ctx context.Context, m asset.Mode, id string) ([]Transaction, error) {
	var w Wallet
	var deps []chains.Record
	var pos []*payout.Payout
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var ok bool
		var err error
		if w, ok, err = tx.GetWallet(ctx, m, id); err != nil || !ok {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		n := chains.NetworkRef{ID: asset.NetworkID(w.Network), Mode: m}
		recs, err := tx.TransfersTo(ctx, n, w.Address, MaxTransactions)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Out || r.Asset != w.Asset {
				continue
			}
			if own, err := tx.OwnTx(ctx, n, r.TxID); err != nil {
				return err
			} else if !own {
				deps = append(deps, r)
			}
		}
		pos, err = tx.WalletPayouts(ctx, m, w.ID, MaxTransactions)
		return err
	})
	if err != nil {
		return nil, err
	}
	a, _ := s.cfg.Assets.Get(w.Asset)
	out := make([]Transaction, 0, len(deps)+len(pos))
	for _, r := range deps {
		amt := a.FromBaseUnits(r.Amount)
		out = append(out, Transaction{Type: "deposit", Amount: amt, AmountUSD: s.value(ctx, w.Asset, amt), Status: string(r.Status),
			TxHash: r.TxID, OutputIndex: &r.Index, Confirmations: r.Confirmations, CreatedAt: r.SeenAt})
	}
	for _, p := range pos {
		fee := p.Fee
		if fee == nil && p.FeeCurrency == p.Asset {
			fee = &p.EstimatedFee
		}
		out = append(out, Transaction{Type: "withdrawal", Amount: p.NetAmount, AmountUSD: s.value(ctx, w.Asset, p.NetAmount), Status: string(p.Status),
			TxHash: p.TxHash, PayoutID: p.ID, Fee: fee, Destination: p.Destination, CreatedAt: p.CreatedAt})
	}
	sortNewestFirst(out)
	return out, nil
}

// WithdrawParams withdraw from a wallet.
type WithdrawParams struct {
	Amount      decimal.Decimal // what the recipient gets; the fee comes on top
	Destination string
	Metadata    json.RawMessage
	// RequestKey makes the withdrawal idempotent (payout.CreateParams.RequestKey).
	RequestKey string
}

// Withdraw pays p.Amount from wallet id to p.Destination: a payout (package payout)
// whose amount plus the network fee (when paid in the wallet's asset) is held from
// the wallet's available balance in the transaction that creates it. A balance that
// cannot cover both is payout.ErrInsufficientFunds under "amount". Approval rules
// (one-time codes above the threshold) apply as to any payout.
func (s *Service) Withdraw(ctx context.Context, m asset.Mode, id string, p WithdrawParams) (*payout.Payout, error) {
	w, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	po, err := s.cfg.Payouts.Create(ctx, m, payout.CreateParams{RequestKey: p.RequestKey, Amount: p.Amount, Currency: w.Asset,
		Destination: p.Destination, CustomerID: w.CustomerID, Metadata: p.Metadata, WalletID: w.ID, SubMerchantID: w.SubMerchantID, FeeOnTop: true})
	if err != nil {
		return nil, renameDestination(err)
	}
	if po.WalletID != w.ID {
		// The request key names a payout that is not this wallet's withdrawal.
		return nil, validation.Field("Idempotency-Key", fmt.Errorf("%w: it was used for %s", ErrBadFormat, po.ID))
	}
	return po, nil
}

// renameDestination names the API's field for the payout's destination_address.
func renameDestination(err error) error {
	var v *validation.Error
	if errors.As(err, &v) {
		return v.Rename("destination_address", "recipient_address")
	}
	return err
}

// sortNewestFirst orders ts by time, newest first (a stable sort: deposits before
// withdrawals of the same instant).
func sortNewestFirst(ts []Transaction) {
	slices.SortStableFunc(ts, func(a, b Transaction) int { return b.CreatedAt.Compare(a.CreatedAt) })
}
