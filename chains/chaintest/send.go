package chaintest

import (
	"bytes"
	"context"
	"math/big"
	"slices"
	"testing"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

// maxEstimateRatio bounds how much more than the fee a payout then pays its estimate
// may be: estimates cover a fee cap (EVM) or a rate bound, but one in another unit
// (gwei for wei, a thousand times off) must fail.
const maxEstimateRatio = 10

// checkFeeEstimate: the backend's wallet pays fees in the coin, and estimates a
// payout's fee as a positive number of its base units; an unknown destination is
// priced as the costliest one, never cheaper.
func checkFeeEstimate(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	w := e.wallet()
	amount := c.amount(7)
	fee := e.estimate(w, c.Address(), amount)
	anyDest, err := w.EstimateFee(e.ctx, c.Asset, "", amount)
	if err != nil {
		t.Fatalf("EstimateFee to no destination: %v", err)
	}
	if anyDest.Cmp(fee) < 0 {
		t.Fatalf("EstimateFee to no destination is %s, less than to a known one (%s)", anyDest, fee)
	}
}

// checkSend: the backend's wallet pays a payout from funds the watcher confirmed.
// Sending the same spec again, before and after it is mined, returns the same
// transaction (signed once). The watcher follows it (chains.Sent) to the required
// confirmations as one Out record in the coin, with no conflict; the destination
// receives exactly the amount, once; the fee paid is known, and the estimate made
// before covered it.
func checkSend(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	w := e.wallet()
	funding := e.fund()
	spec := chains.PayoutSpec{ID: "chaintest-payout", Asset: c.Asset, To: c.Address(), Amount: new(big.Int).Set(c.Amount)}
	e.w.Watch(spec.To)
	estimate := e.estimate(w, spec.To, spec.Amount)
	sent := e.send(w, spec)
	if again := e.send(w, spec); again.TxID != sent.TxID || (len(sent.Raw) > 0 && !bytes.Equal(again.Raw, sent.Raw)) {
		t.Fatalf("sending payout %q again gave transaction %s, the first %s: a payout must be signed once", spec.ID, again.TxID, sent.TxID)
	}
	e.follow(sent)
	e.wantPayoutPending(e.step(), sent, spec)
	c.Mine(1)
	pick := func(rs []chains.Record) []chains.Record { return ours(rs, sent.TxID, chains.OutIndex) }
	out := pick(e.step())
	if len(out) != 1 {
		t.Fatalf("the step after mining the payout reported %s, want it mined", records(out))
	}
	wantOut(t, out[0], c.Asset, sent.TxID)
	e.wantOnChain(out[0])
	r := e.untilConfirmed(out[0], pick)
	wantOut(t, r, c.Asset, sent.TxID)
	e.wantPayoutArrived(sent, spec, funding)
	wantFee(t, sent, r, estimate)
	if late := e.send(w, spec); late.TxID != sent.TxID {
		t.Fatalf("sending payout %q after it confirmed gave transaction %s, not %s", spec.ID, late.TxID, sent.TxID)
	}
}

// wantPayoutPending fails unless got, the changes of the step after the payout was
// sent, has it in the mempool with its payment to the destination, when the backend
// has a mempool, or says nothing of it otherwise.
func (e *env) wantPayoutPending(got []chains.Record, sent chains.SentTx, spec chains.PayoutSpec) {
	e.t.Helper()
	out := ours(got, sent.TxID, chains.OutIndex)
	// Besides, a UTXO wallet's change is a payment to a new address of ours.
	paid := slices.DeleteFunc(payments(got, sent.TxID), not(byAddress(spec.To)))
	if !e.hasMempool() {
		if len(out)+len(paid) != 0 {
			e.t.Fatalf("a backend without a mempool reported an unconfirmed payout: %s", records(got))
		}
		return
	}
	if len(out) != 1 || len(paid) != 1 {
		e.t.Fatalf("the step after sending reported %s, want the transaction and its payment to %s in the mempool", records(got), spec.To)
	}
	wantOut(e.t, out[0], spec.Asset, sent.TxID)
	wantStatus(e.t, out[0], chains.StatusMempool, 0)
	wantPayment(e.t, paid[0], spec.Asset, spec.To, spec.Amount, sent.TxID)
	wantStatus(e.t, paid[0], chains.StatusMempool, 0)
}

// wantPayoutArrived fails unless the confirmed payout reached its destination once,
// with its amount, no conflict was recorded for it, and the wallet's source address
// has no record but its funding (the wallet's own spending is no payment to it).
func (e *env) wantPayoutArrived(sent chains.SentTx, spec chains.PayoutSpec, funding string) {
	e.t.Helper()
	if conflict, ok := e.storedOut(sent.TxID, chains.ConflictIndex); ok {
		e.t.Fatalf("a conflict was recorded for the payout: %s", record(conflict))
	}
	arrived := e.stored(byAddress(spec.To))
	if len(arrived) != 1 {
		e.t.Fatalf("the destination received %d payments, want the payout once: %s", len(arrived), records(arrived))
	}
	wantPayment(e.t, arrived[0], spec.Asset, spec.To, spec.Amount, sent.TxID)
	wantStatus(e.t, arrived[0], chains.StatusConfirmed, required)
	if funding != "" {
		if got := e.stored(byAddress(e.c.Source.Encoded)); len(got) != 1 || got[0].TxID != funding {
			e.t.Fatalf("the wallet's source address has records %s, want its funding %s only", records(got), funding)
		}
	}
}

// wallet returns the backend's wallet over the env's database, its new addresses
// watched by the env's watcher.
func (e *env) wallet() chains.Wallet {
	e.t.Helper()
	w, err := e.c.Backend.(chains.Payer).NewWallet(chains.WalletConfig{Assets: e.reg, Keyring: e.c.Keyring,
		Update: storage.Runner[chains.WalletTx](e.store.Update), View: storage.Runner[chains.WalletTx](e.store.View),
		Watch: func(addr string) { e.w.Watch(addr) }, Logger: e.log})
	if err != nil {
		e.t.Fatalf("NewWallet: %v", err)
	}
	if got := w.FeeAsset(); got != e.c.Asset {
		e.t.Fatalf("the wallet pays fees in %q, want the coin %q", got, e.c.Asset)
	}
	return w
}

// fund gives the wallet ten payouts' worth on its source address, confirmed through
// the watcher, and returns the funding transaction ("" for a wallet without a source).
func (e *env) fund() string {
	e.t.Helper()
	src := e.c.Source
	if src.Encoded == "" {
		return ""
	}
	if err := e.store.Update(e.ctx, func(ctx context.Context, tx storage.Tx) error {
		return tx.RecordAddress(ctx, src)
	}); err != nil {
		e.t.Fatal(err)
	}
	e.w.Watch(src.Encoded)
	amount := new(big.Int).Mul(e.c.Amount, big.NewInt(10))
	txid := e.c.Pay(src.Encoded, amount)
	r := e.mined(txid)
	wantPayment(e.t, r, e.c.Asset, src.Encoded, amount, txid)
	e.untilConfirmed(r, func(rs []chains.Record) []chains.Record { return payments(rs, txid) })
	return txid
}

// estimate returns the wallet's fee estimate for paying amount to to, which must be
// positive.
func (e *env) estimate(w chains.Wallet, to string, amount *big.Int) *big.Int {
	e.t.Helper()
	fee, err := w.EstimateFee(e.ctx, e.c.Asset, to, amount)
	if err != nil {
		e.t.Fatalf("EstimateFee: %v", err)
	}
	if fee == nil || fee.Sign() <= 0 {
		e.t.Fatalf("EstimateFee = %v, want a positive fee in base units of %s", fee, e.c.Asset)
	}
	return fee
}

func (e *env) send(w chains.Wallet, spec chains.PayoutSpec) chains.SentTx {
	e.t.Helper()
	s, err := w.Send(e.ctx, spec)
	if err != nil {
		e.t.Fatalf("Send(%+v): %v", spec, err)
	}
	if s.TxID == "" {
		e.t.Fatalf("Send(%+v) returned no transaction id", spec)
	}
	return s
}

// follow has the watcher follow our transaction, as the payout service does once its
// broadcast is stored.
func (e *env) follow(s chains.SentTx) {
	e.t.Helper()
	sent := chains.Sent{TxID: s.TxID, Inputs: s.Inputs}
	if err := e.store.Update(e.ctx, func(ctx context.Context, tx storage.Tx) error {
		return tx.FollowTx(ctx, e.net, sent)
	}); err != nil {
		e.t.Fatal(err)
	}
	e.w.Follow(sent)
}

// wantOut fails unless r is the record of our transaction txid, in the coin.
func wantOut(t *testing.T, r chains.Record, asset, txid string) {
	t.Helper()
	if !r.Out || r.TxID != txid || r.Index != chains.OutIndex || r.To != "" || r.Asset != asset || r.Failed ||
		r.Amount == nil || r.Amount.Sign() < 0 {
		t.Fatalf("%s, want our transaction %s, its fee in %s, not failed", record(r), txid, asset)
	}
}

// wantFee fails unless the fee the payout paid is known, from Send or from the chain
// (they agree when both know it), and the estimate covered it within
// maxEstimateRatio.
func wantFee(t *testing.T, sent chains.SentTx, out chains.Record, estimate *big.Int) {
	t.Helper()
	paid := out.Amount
	switch {
	case paid.Sign() > 0 && sent.Fee != nil && sent.Fee.Cmp(paid) != 0:
		t.Fatalf("Send said the payout pays a fee of %s, the chain says %s", sent.Fee, paid)
	case paid.Sign() == 0 && sent.Fee != nil:
		paid = sent.Fee
	}
	if paid.Sign() <= 0 {
		t.Fatalf("neither Send (fee %v) nor the Out record (amount %s) says what the payout paid: the ledger cannot book its fee", sent.Fee, out.Amount)
	}
	if paid.Cmp(estimate) > 0 || new(big.Int).Mul(paid, big.NewInt(maxEstimateRatio)).Cmp(estimate) < 0 {
		t.Fatalf("the payout paid a fee of %s; the estimate was %s (it must cover the fee, and be at most %d times it)", paid, estimate, maxEstimateRatio)
	}
}
