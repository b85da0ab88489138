package refund_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/shopspring/decimal"
)

// nodeInvoice is a 1,000 USD invoice paid in full in code on its node.
func nodeInvoice(t *testing.T, e *nodetest.Env, code string) *invoice.Invoice {
	t.Helper()
	inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{code}})
	if err != nil {
		t.Fatal(err)
	}
	e.Pay(inv, code)
	inv, err = e.G.Invoices().Get(ctx, asset.Test, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// fundHot puts amount of ETH in the EVM hot wallet from the node's faucet: EVM payouts
// leave from there, and nothing sweeps deposits to it yet.
func fundHot(t *testing.T, e *nodetest.Env, amount string) {
	t.Helper()
	hot, err := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec(amount)))
	e.ETH.Mine(1)
}

// mine mines past a refund's payout confirmations on code's node and syncs.
func mine(e *nodetest.Env, code string) {
	if code == "BTC" {
		e.BTC.Generate(1)
	} else {
		e.ETH.Mine(12)
	}
	e.Sync()
}

// received is what addr holds of code on its node, in base units.
func received(t *testing.T, e *nodetest.Env, code, addr string) int64 {
	t.Helper()
	if code == "BTC" {
		return e.PaidOnChain(addr)
	}
	b := e.ETH.Balance(addr)
	if !b.IsInt64() {
		t.Fatalf("balance %s", b)
	}
	return b.Int64()
}

func nodeRefund(t *testing.T, e *nodetest.Env, p refund.CreateParams) *refund.Refund {
	t.Helper()
	r, err := e.G.Refunds().Create(ctx, asset.Test, p)
	if err != nil {
		t.Fatalf("refund %+v: %v", p, err)
	}
	return r
}

// TestRefund_FullAndPartialsReachThePayerOnRealNodes: on btcd regtest and the
// go-ethereum node, one invoice refunded in full and another by two partial refunds.
// What the payers' addresses hold on chain is what the refunds say they received,
// to the base unit; every refund succeeds at the payout confirmations; the merchant's
// balance keeps exactly what was not given back; the ledger balances.
func TestRefund_FullAndPartialsReachThePayerOnRealNodes(t *testing.T) {
	for _, code := range []string{"BTC", "ETH"} {
		t.Run(code, func(t *testing.T) {
			e := nodetest.New(t)
			full, part := nodeInvoice(t, e, code), nodeInvoice(t, e, code)
			if code == "ETH" {
				fundHot(t, e, "1")
			}
			paid := e.Available(code)
			payerFull, payerPart := payer(t, code, 1), payer(t, code, 2)
			var rs []*refund.Refund
			rs = append(rs, nodeRefund(t, e, refund.CreateParams{InvoiceID: full.ID, Destination: payerFull}))
			mine(e, code)
			for _, amount := range []string{"250", "300"} {
				rs = append(rs, nodeRefund(t, e, refund.CreateParams{InvoiceID: part.ID, Amount: kassatest.Dec(amount), Destination: payerPart}))
				mine(e, code)
			}
			back, over := decimal.Zero, decimal.Zero
			got := map[string]decimal.Decimal{}
			for _, r := range rs {
				r, err := e.G.Refunds().Get(ctx, asset.Test, r.ID)
				if err != nil || r.Status != refund.StatusSucceeded || r.NetworkFee == nil || !r.NetworkFee.IsPositive() ||
					!r.AmountReceived.Equal(r.RefundAmount.Sub(*r.EstimatedFee)) {
					t.Fatalf("refund after mining: %+v, %v", r, err)
				}
				got[*r.Destination] = got[*r.Destination].Add(*r.AmountReceived)
				back = back.Add(r.RefundAmount)
				over = over.Add(r.EstimatedFee.Sub(*r.NetworkFee))
			}
			if !rs[0].RefundAmount.Equal(full.Methods[0].AmountConfirmed) {
				t.Fatalf("full refund of %s, the payer sent %s", rs[0].RefundAmount, full.Methods[0].AmountConfirmed)
			}
			for addr, want := range got {
				if have := received(t, e, code, addr); have != e.Units(code, want).Int64() {
					t.Fatalf("%s holds %d on chain, the refunds say %s %s", addr, have, want, code)
				}
			}
			// The merchant gave up each refund less what the estimate kept beyond the
			// fee actually paid, which stays with it.
			if a := e.Available(code); !a.Equal(paid.Sub(back).Add(over)) {
				t.Fatalf("%s available %s, want %s - %s + %s", code, a, paid, back, over)
			}
			if inv, _ := e.G.Invoices().Get(ctx, asset.Test, full.ID); !inv.Refunded || !inv.AmountRefunded.Equal(kassatest.Dec("1000")) {
				t.Fatalf("fully refunded invoice: %s %v", inv.AmountRefunded, inv.Refunded)
			}
			if inv, _ := e.G.Invoices().Get(ctx, asset.Test, part.ID); inv.Refunded || !inv.AmountRefunded.Equal(kassatest.Dec("550")) {
				t.Fatalf("partly refunded invoice: %s %v", inv.AmountRefunded, inv.Refunded)
			}
			e.Verify()
		})
	}
}

// payer is an address of code's node network that is not ours.
func payer(t *testing.T, code string, i byte) string {
	t.Helper()
	if code == "BTC" {
		a, err := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{0x40 + i}, 20), nodetest.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		return a.EncodeAddress()
	}
	return common.BytesToAddress(bytes.Repeat([]byte{0x40 + i}, 20)).Hex()
}

// TestRefund_ConcurrentRefundsOnARealNode: two refunds of 600 USD of a 1,000 USD BTC
// invoice at once: exactly one passes, and only its transaction reaches the chain.
func TestRefund_ConcurrentRefundsOnARealNode(t *testing.T) {
	e := nodetest.New(t)
	inv := nodeInvoice(t, e, "BTC")
	e.Credit("BTC", "0.1") // the balance alone would pay both
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = e.G.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("600"),
				Destination: payer(t, "BTC", byte(10+i))})
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent refunds: %v, %v", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, refund.ErrExceedsPayment) {
			t.Fatalf("the refused refund: %v", err)
		}
	}
	mine(e, "BTC")
	if a, b := e.PaidOnChain(payer(t, "BTC", 10)), e.PaidOnChain(payer(t, "BTC", 11)); (a > 0) == (b > 0) {
		t.Fatalf("on chain: %d and %d sat", a, b)
	}
	e.Verify()
}

// TestRefund_RefusedByTheNodeRollsBack: an ETH refund while the hot wallet is empty:
// go-ethereum refuses the transaction, the refund fails with the node's reason, the
// hold is released and the whole amount can be refunded again.
func TestRefund_RefusedByTheNodeRollsBack(t *testing.T) {
	e := nodetest.New(t)
	inv := nodeInvoice(t, e, "ETH")
	before := e.Available("ETH")
	r, err := e.G.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Destination: payer(t, "ETH", 3)})
	var be *payout.BroadcastError
	if !errors.As(err, &be) || r.Status != refund.StatusFailed || r.FailureReason == "" {
		t.Fatalf("refund from an empty hot wallet: %+v, %v", r, err)
	}
	if a := e.Available("ETH"); !a.Equal(before) {
		t.Fatalf("ETH available %s after the refusal, was %s", a, before)
	}
	fundHot(t, e, "1")
	again := nodeRefund(t, e, refund.CreateParams{InvoiceID: inv.ID, Destination: payer(t, "ETH", 3)})
	mine(e, "ETH")
	if got, _ := e.G.Refunds().Get(ctx, asset.Test, again.ID); got.Status != refund.StatusSucceeded ||
		received(t, e, "ETH", payer(t, "ETH", 3)) != e.Units("ETH", *got.AmountReceived).Int64() {
		t.Fatalf("second refund: %+v", got)
	}
	e.Verify()
}

// TestRefund_CrashBetweenSigningAndBroadcastSendsTheSameTransaction: the refund's
// payout is signed and stored, the broadcast is lost, the process restarts, and the
// restarted Gateway sends the very transaction that was signed; the refund succeeds
// once.
func TestRefund_CrashBetweenSigningAndBroadcastSendsTheSameTransaction(t *testing.T) {
	e := nodetest.New(t)
	inv := nodeInvoice(t, e, "BTC")
	drop := &nodetest.DropBroadcast{}
	rpc, err := e.BTCRPC(drop)
	if err != nil {
		t.Fatal(err)
	}
	e.G.Close()
	e.Open(rpc)
	r := nodeRefund(t, e, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("400"), Destination: payer(t, "BTC", 4)})
	if r.Status != refund.StatusProcessing || len(drop.Raw) != 1 || len(e.BTC.Mempool()) != 0 {
		t.Fatalf("refund with a lost broadcast: %+v, %d broadcasts, mempool %v", r, len(drop.Raw), e.BTC.Mempool())
	}
	raw, _ := hex.DecodeString(drop.Raw[0])
	var signed wire.MsgTx
	if err := signed.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	e.G.Close() // the crash; then a restart with a working connection
	e.Open(e.BTC.RPC)
	got, _ := e.G.Refunds().Get(ctx, asset.Test, r.ID)
	if got.TxHash == nil || *got.TxHash != signed.TxHash().String() {
		t.Fatalf("after the restart: %+v, signed %s", got, signed.TxHash())
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != *got.TxHash {
		t.Fatalf("mempool %v, want only %s", mp, *got.TxHash)
	}
	mine(e, "BTC")
	got, _ = e.G.Refunds().Get(ctx, asset.Test, r.ID)
	if got.Status != refund.StatusSucceeded || e.PaidOnChain(payer(t, "BTC", 4)) != e.Units("BTC", *got.AmountReceived).Int64() {
		t.Fatalf("refund: %+v", got)
	}
	e.Verify()
}

// TestRebound_OverpaymentAndLatePaymentOnRealNodes: with rebounds on, an invoice
// overpaid on btcd gives back the part beyond its price, and one paid on the
// go-ethereum node after it expired gives back the whole payment, each through its
// claim link; the payers' addresses hold on chain what the rebounds say they received.
func TestRebound_OverpaymentAndLatePaymentOnRealNodes(t *testing.T) {
	e := nodetest.New(t, kassatest.WithRebounds())
	fundHot(t, e, "1")
	over, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	if err != nil {
		t.Fatal(err)
	}
	e.PayAmount(over, "BTC", over.Methods[0].AmountDue.Add(kassatest.Dec("0.002")))
	late, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"ETH"},
		Lifetime: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(6 * time.Minute)
	e.Sync()
	e.PayAmount(late, "ETH", late.Methods[0].AmountDue)
	for _, c := range []struct {
		inv    *invoice.Invoice
		code   string
		reason string
		want   decimal.Decimal
	}{{over, "BTC", refund.ReboundOverpaid, kassatest.Dec("0.002")}, {late, "ETH", refund.ReboundPaidLate, late.Methods[0].AmountDue}} {
		rs, err := e.G.Refunds().Rebounds(ctx, asset.Test, c.inv.ID)
		if err != nil || len(rs) != 1 || rs[0].Reason != c.reason || !rs[0].RefundAmount.Equal(c.want) || rs[0].ClaimToken == "" {
			t.Fatalf("%s rebounds: %+v, %v", c.reason, rs, err)
		}
		to := payer(t, c.code, 20)
		if _, err := e.G.Refunds().Claim(ctx, rs[0].ClaimToken, to, ""); err != nil {
			t.Fatalf("%s claim: %v", c.reason, err)
		}
		mine(e, c.code)
		got, err := e.G.Refunds().Get(ctx, asset.Test, rs[0].ID)
		if err != nil || got.Status != refund.StatusSucceeded || received(t, e, c.code, to) != e.Units(c.code, *got.AmountReceived).Int64() ||
			!got.AmountReceived.Equal(c.want.Sub(*got.EstimatedFee)) {
			t.Fatalf("%s rebound after mining: %+v, %v; the payer holds %d", c.reason, got, err, received(t, e, c.code, to))
		}
	}
	e.Verify()
}
