package refund_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/refund"
	"github.com/shopspring/decimal"
)

func rebounds(t *testing.T, env *kassatest.Env, invoiceID string) []*refund.Refund {
	t.Helper()
	rs, err := env.Gateway.Refunds().Rebounds(ctx, asset.Test, invoiceID)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// claimAndMine claims rebound r to a payer's address, mines it and returns it as
// stored, with what the payer's address received on the sim chain.
func claimAndMine(t *testing.T, env *kassatest.Env, r *refund.Refund, i uint32) (*refund.Refund, decimal.Decimal) {
	t.Helper()
	payer := env.Recipient(asset.Bitcoin, i)
	if _, err := env.Gateway.Refunds().Claim(ctx, r.ClaimToken, payer, ""); err != nil {
		t.Fatalf("claim of %s: %v", r.ID, err)
	}
	env.Mine(asset.Bitcoin, 1)
	got := get(t, env, r.ID)
	a, _ := env.Assets.Get("BTC")
	return got, a.FromBaseUnits(env.Chain(asset.Bitcoin).Received(payer, "BTC"))
}

// TestRebound_OverpaidPartGoesBack: an invoice paid 0.001 BTC beyond its price gets one
// rebound of exactly that, waiting behind a claim link; claimed, it is paid less the
// network fee; the merchant keeps the price; refunds can still give back the price and
// not more; events rebound.created and rebound.completed.
func TestRebound_OverpaidPartGoesBack(t *testing.T) {
	env := kassatest.New(t, kassatest.WithRebounds())
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	due := env.Method(inv, "BTC").AmountDue
	env.PayAmount(inv, "BTC", due.Add(kassatest.Dec("0.001")))
	env.Confirm(inv, "BTC")
	env.WantStatus(inv.ID, invoice.StatusPaid, invoice.ExceptionOverpaid)
	rs := rebounds(t, env, inv.ID)
	if len(rs) != 1 || rs[0].Object != refund.ObjectRebound || rs[0].Reason != refund.ReboundOverpaid || rs[0].Status != refund.StatusAwaitingAddress ||
		!rs[0].RefundAmount.Equal(kassatest.Dec("0.001")) || rs[0].ClaimPath == "" || rs[0].ID[:3] != "rb_" {
		t.Fatalf("rebounds of an overpaid invoice: %+v", rs)
	}
	env.Sync() // nothing more is made
	if n := len(rebounds(t, env, inv.ID)); n != 1 {
		t.Fatalf("%d rebounds after another pass", n)
	}
	got, received := claimAndMine(t, env, rs[0], 30)
	if got.Status != refund.StatusSucceeded || !received.Equal(kassatest.Dec("0.001").Sub(*got.EstimatedFee)) {
		t.Fatalf("claimed rebound: %+v, the payer received %s", got, received)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(due) {
		t.Fatalf("the merchant keeps %s, the price is %s", b.Available, due)
	}
	if ev := env.EventTypes(got.ID); !slices.Equal(ev, []event.Type{refund.EventReboundCreated, refund.EventReboundCompleted}) {
		t.Fatalf("rebound events: %v", ev)
	}
	if inv := env.Invoice(inv.ID); !inv.AmountRefunded.IsZero() {
		t.Fatalf("a rebound counted as refunded: %s", inv.AmountRefunded)
	}
	if _, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("1000.01"), Destination: env.Recipient(asset.Bitcoin, 31)}); !field(err, "amount") {
		t.Fatalf("a refund of more than the price after the rebound: %v", err)
	}
	full := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Destination: env.Recipient(asset.Bitcoin, 31)})
	if !full.Amount.Equal(kassatest.Dec("1000")) || !full.RefundAmount.Equal(due) {
		t.Fatalf("the rest refunded: %s USD, %s BTC; due %s", full.Amount, full.RefundAmount, due)
	}
	env.Mine(asset.Bitcoin, 1)
	if b := env.Balance("BTC"); !b.Available.IsZero() || !b.Held.IsZero() {
		t.Fatalf("balance after the rebound and the refund: %+v", b)
	}
	// The rebound and the refund gave back all that was confirmed: refunded, with its
	// event, though amount_refunded counts the refund only.
	if got := env.Invoice(inv.ID); !got.Refunded || !got.AmountRefunded.Equal(kassatest.Dec("1000")) {
		t.Fatalf("invoice after the rebound and the refund: %s, refunded %v", got.AmountRefunded, got.Refunded)
	}
	if n := count(env.EventTypes(inv.ID), event.InvoiceRefunded); n != 1 {
		t.Fatalf("invoice.refunded %d times", n)
	}
	env.Verify()
}

// TestRebound_LatePaymentGoesBackWhole: a payment that comes after the invoice
// expired (it still counts, paid_late) is given back whole.
func TestRebound_LatePaymentGoesBackWhole(t *testing.T) {
	env := kassatest.New(t, kassatest.WithRebounds())
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}, Lifetime: 15 * time.Minute})
	env.Advance(20 * time.Minute)
	env.WantStatus(inv.ID, invoice.StatusExpired, invoice.ExceptionNone)
	env.PayInFull(inv, "BTC")
	env.Confirm(inv, "BTC")
	env.WantStatus(inv.ID, invoice.StatusPaid, invoice.ExceptionPaidLate)
	rs := rebounds(t, env, inv.ID)
	due := env.Method(inv, "BTC").AmountDue
	if len(rs) != 1 || rs[0].Reason != refund.ReboundPaidLate || !rs[0].RefundAmount.Equal(due) || !rs[0].Amount.Equal(kassatest.Dec("1000")) {
		t.Fatalf("rebounds of a late payment: %+v", rs)
	}
	got, received := claimAndMine(t, env, rs[0], 32)
	if got.Status != refund.StatusSucceeded || !received.Equal(due.Sub(*got.EstimatedFee)) {
		t.Fatalf("claimed rebound: %+v, received %s", got, received)
	}
	if b := env.Balance("BTC"); !b.Available.IsZero() {
		t.Fatalf("the merchant keeps %s of a late payment given back", b.Available)
	}
	env.Verify()
}

// TestRebound_UnderpaidExpiredGoesBackWholeOnceWatchingEnds: half paid, expired: the
// rebound waits until the monitoring window closes (a late payment could still
// complete it), then gives back all that came.
func TestRebound_UnderpaidExpiredGoesBackWholeOnceWatchingEnds(t *testing.T) {
	env := kassatest.New(t, kassatest.WithRebounds(), kassatest.WithMonitoringWindow(time.Hour))
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}, Lifetime: 15 * time.Minute})
	half := env.Method(inv, "BTC").AmountDue.Div(kassatest.Dec("2")).RoundFloor(8)
	env.PayAmount(inv, "BTC", half)
	env.Confirm(inv, "BTC")
	env.Advance(20 * time.Minute)
	env.WantStatus(inv.ID, invoice.StatusExpired, invoice.ExceptionUnderpaid)
	if rs := rebounds(t, env, inv.ID); len(rs) != 0 {
		t.Fatalf("rebound while late payments still count: %+v", rs)
	}
	env.Advance(2 * time.Hour)
	rs := rebounds(t, env, inv.ID)
	if len(rs) != 1 || rs[0].Reason != refund.ReboundUnderpaid || !rs[0].RefundAmount.Equal(half) {
		t.Fatalf("rebounds once watching ended: %+v", rs)
	}
	if got, received := claimAndMine(t, env, rs[0], 33); got.Status != refund.StatusSucceeded || !received.Equal(half.Sub(*got.EstimatedFee)) {
		t.Fatalf("claimed rebound: %+v, received %s", got, received)
	}
	env.Verify()
}

// TestRebound_BelowTheMinimumIsRecordedNotMade, and nothing at all with rebounds off.
func TestRebound_BelowTheMinimumIsRecordedNotMade(t *testing.T) {
	env := kassatest.New(t, kassatest.WithRebounds())
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	env.PayAmount(inv, "BTC", env.Method(inv, "BTC").AmountDue.Add(kassatest.Dec("0.0001")))
	env.Confirm(inv, "BTC")
	rs := rebounds(t, env, inv.ID)
	if len(rs) != 1 || rs[0].Status != refund.StatusRejected || rs[0].FailureReason == "" || rs[0].ClaimToken != "" {
		t.Fatalf("a rebound below the minimum payout: %+v", rs)
	}
	// Its amount stays with the merchant, refundable by hand.
	if r := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Destination: env.Recipient(asset.Bitcoin, 34)}); !r.RefundAmount.Equal(env.Method(inv, "BTC").AmountDue.Add(kassatest.Dec("0.0001"))) {
		t.Fatalf("full refund after a rejected rebound: %s", r.RefundAmount)
	}

	off := kassatest.New(t)
	inv = off.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	off.PayAmount(inv, "BTC", off.Method(inv, "BTC").AmountDue.Add(kassatest.Dec("0.01")))
	off.Confirm(inv, "BTC")
	if rs := rebounds(t, off, inv.ID); len(rs) != 0 {
		t.Fatalf("rebounds while off: %+v", rs)
	}
	env.Verify()
}
