package billing_test

import (
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/wallet"
)

// TestSubscriptions_RenewalsPaidOnBtcd: on a real btcd node, a weekly BTC
// subscription's first period and its renewal are paid by the payer to their
// invoices' addresses (activated, then renewed), and another customer's subscription
// is collected from their wallet, funded on the chain, for two weeks, and then, the
// wallet short, invoiced and paid on the chain. The merchant's balance is exactly the
// five periods' price, the wallet exactly its deposit less its two periods, the coins
// Kassa holds on chain are those two balances to the satoshi, every period is billed
// once, and the ledger balances.
func TestSubscriptions_RenewalsPaidOnBtcd(t *testing.T) {
	e := nodetest.New(t)
	ctx := t.Context()
	b := e.G.Billing()
	prod, err := b.CreateProduct(ctx, asset.Test, billing.ProductParams{Name: "Weekly box", PricingPlans: []billing.PlanParams{
		{Amount: kassatest.Dec("0.001"), Currency: "BTC", Interval: billing.Week}}})
	if err != nil {
		t.Fatal(err)
	}
	plan := prod.PricingPlans[0].ID
	payLatest := func(id string) {
		t.Helper()
		s, err := b.Get(ctx, asset.Test, id)
		if err != nil || s.LatestInvoiceID == "" || s.CurrentPeriodPaid {
			t.Fatalf("%s has no open invoice: %+v %v", id, s, err)
		}
		inv, err := e.G.Invoices().Get(ctx, asset.Test, s.LatestInvoiceID)
		if err != nil {
			t.Fatal(err)
		}
		e.Pay(inv, "BTC") // on the node, mined, synced: the invoice is paid
	}
	want := func(id string, st billing.Status, paid int) {
		t.Helper()
		s, err := b.Get(ctx, asset.Test, id)
		if err != nil || s.Status != st || s.PeriodsPaid != paid {
			t.Fatalf("%s: %+v %v, want %s with %d periods paid", id, s, err, st, paid)
		}
	}

	byInvoice, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: plan})
	if err != nil {
		t.Fatal(err)
	}
	payLatest(byInvoice.ID)
	want(byInvoice.ID, billing.StatusActive, 1)

	w, _, err := e.G.Wallets().Create(ctx, asset.Test, wallet.CreateParams{CustomerID: "bob", Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	script, err := bitcoin.AddressScript(w.Address, nodetest.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	e.BTC.Payer().Pay(btcdtest.Output{Script: script, Sats: e.Sats(kassatest.Dec("0.0025"))})
	e.BTC.Generate(1)
	e.Sync()
	byWallet, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "bob", PlanID: plan, Collection: billing.CollectWallet})
	if err != nil {
		t.Fatal(err)
	}
	want(byWallet.ID, billing.StatusActive, 1)

	e.Clock.Advance(7 * 24 * time.Hour)
	e.Sync()
	payLatest(byInvoice.ID)
	want(byInvoice.ID, billing.StatusActive, 2)
	want(byWallet.ID, billing.StatusActive, 2)
	e.Clock.Advance(7 * 24 * time.Hour)
	e.Sync()
	want(byWallet.ID, billing.StatusActive, 2) // 0.0005 left: invoiced
	payLatest(byWallet.ID)
	want(byWallet.ID, billing.StatusActive, 3)

	for id, collected := range map[string][]billing.Collection{
		byInvoice.ID: {billing.CollectInvoice, billing.CollectInvoice, billing.CollectInvoice},
		byWallet.ID:  {billing.CollectWallet, billing.CollectWallet, billing.CollectInvoice},
	} {
		ps, err := b.Periods(ctx, asset.Test, id)
		if err != nil || len(ps) != 3 {
			t.Fatalf("%s: %d periods %v", id, len(ps), err)
		}
		for n, p := range ps[:len(ps)-1] {
			if p.N != n || p.Status != billing.PeriodPaid || p.Collection != collected[n] {
				t.Fatalf("%s: period %d is %+v", id, n, p)
			}
		}
	}
	// ada's third period is open, unpaid: 2 of ada's, 3 of bob's paid.
	if got := e.Available("BTC"); !got.Equal(kassatest.Dec("0.005")) {
		t.Fatalf("the merchant's BTC: %s, want 0.005", got)
	}
	got, err := e.G.Wallets().Get(ctx, asset.Test, w.ID)
	if err != nil || !got.Balance.Equal(kassatest.Dec("0.0005")) {
		t.Fatalf("bob's wallet: %+v %v, want 0.0005", got, err)
	}
	if held, want := e.OwnedOnChain(), e.Sats(kassatest.Dec("0.0055")); held != want {
		t.Fatalf("Kassa holds %d sat on chain, the merchant and the wallet %d", held, want)
	}
	e.Verify()
}
