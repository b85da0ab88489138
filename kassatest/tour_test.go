package kassatest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
)

// TestCustomerPaysInThreeLines is the README's first kassatest snippet.
func TestCustomerPaysInThreeLines(t *testing.T) {
	env := kassatest.New(t) // in-memory SQLite, sim chains, fixed rates, fake clock
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25.00"), Currency: "USD"})
	env.PayInFull(inv, "USDT_TRON") // what the method asks, to its address; now "confirming"
	env.Confirm(inv, "USDT_TRON")   // mines the confirmations the asset needs; now "paid"
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
}

// TestWebhookReceiver is a shop's receiver under test: every delivery verified at the
// fake clock.
func TestWebhookReceiver(t *testing.T) {
	env := kassatest.New(t)
	hooks := env.WebhookReceiver("invoice.paid", "invoice.expired") // verifies each delivery's signature
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25.00"), Currency: "USD"})
	env.PayInFull(inv, "BTC")
	env.Confirm(inv, "BTC") // delivers invoice.paid to the receiver
	got := hooks.Events()   // verified and decoded, in arrival order
	if len(got) != 1 || got[0].Type != event.InvoicePaid || !strings.Contains(string(got[0].Data), inv.ID) {
		t.Fatalf("received %+v, want one invoice.paid naming %s", got, inv.ID)
	}
}

// TestWebhookReceiver_Retry: a receiver that is down gets the event again after the
// retry delay.
func TestWebhookReceiver_Retry(t *testing.T) {
	env := kassatest.New(t)
	hooks := env.WebhookReceiver("invoice.paid")
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25.00"), Currency: "USD"})
	env.PayInFull(inv, "BTC")
	hooks.FailNext(1) // the receiver is down for the next delivery
	env.Confirm(inv, "BTC")
	if got := hooks.Types(); len(got) != 0 {
		t.Fatalf("received %v while answering 500", got)
	}
	env.Advance(2 * time.Minute) // past the first retry delay (1 minute, ±10%)
	if got := hooks.Types(); !slices.Equal(got, []event.Type{event.InvoicePaid}) {
		t.Fatalf("received %v, want invoice.paid once, sent again", got)
	}
}

// TestTour is the README's tour of kassatest, with what each line promises checked.
func TestTour(t *testing.T) {
	ctx := context.Background()
	d := kassatest.Dec
	env := kassatest.New(t)
	inv, _ := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: d("10"), Currency: "USD"})
	env.PayAmount(inv, "USDT_TRON", d("4"))                       // any amount: under- and overpayments
	env.Mine(asset.Tron, 19)                                      // mines and syncs
	got := env.Invoice(inv.ID)                                    // read it again
	env.Advance(2 * time.Hour)                                    // expiries happen
	env.Chain(asset.Bitcoin).Mine(1)                              // any sim chain operation (Reorg, RejectSends, ...)
	env.Events()                                                  // what the Gateway's subscribers got, in order
	env.Verify()                                                  // the ledger's invariants hold
	env.Chain(asset.Bitcoin).RejectSends("min relay fee not met") // the node refuses payouts from now on
	if got.Status != invoice.StatusPartiallyPaid {
		t.Fatalf("after 4 of 10 USD: %s", got.Status)
	}
	if s := env.Invoice(inv.ID).Status; s != invoice.StatusExpired {
		t.Fatalf("two hours later: %s", s)
	}
	types := env.EventTypes(inv.ID)
	if !slices.Contains(types, event.InvoicePartiallyPaid) || types[len(types)-1] != event.InvoiceExpired {
		t.Fatalf("events %v", types)
	}

	env = kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: d("1000")}))
	env.Fund("BTC", "0.2") // a real invoice, paid and confirmed
	p, _ := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: d("0.05"), Currency: "BTC",
		Destination: env.Recipient(asset.Bitcoin, 0)}) // a valid test-network address that is not ours
	p, _ = env.Gateway.Payouts().Verify(ctx, asset.Test, p.ID, env.Code(p.ID)) // the one-time code the owner got
	if p.Status == payout.StatusPendingVerification || p.Approval != "code" {
		t.Fatalf("payout %s after its code (approval %q)", p.Status, p.Approval)
	}
}
