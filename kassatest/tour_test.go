package kassatest_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/kassapay/kassa/webhook"
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

// TestTour_UnderpaidThenExpired is the README's tour of kassatest: an invoice paid in
// part, then expired.
func TestTour_UnderpaidThenExpired(t *testing.T) {
	ctx, d := context.Background(), kassatest.Dec
	env := kassatest.New(t)
	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: d("10"), Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	env.PayAmount(inv, "USDT_TRON", d("4")) // any amount: under- and overpayments
	env.Mine(asset.Tron, 19)                // mines and syncs
	env.WantStatus(inv.ID, invoice.StatusPartiallyPaid, "")
	env.Advance(2 * time.Hour) // expiries happen
	env.WantStatus(inv.ID, invoice.StatusExpired, invoice.ExceptionUnderpaid)
	types := env.EventTypes(inv.ID) // what the Gateway's subscribers got, in order
	if !slices.Contains(types, event.InvoicePartiallyPaid) || types[len(types)-1] != event.InvoiceExpired {
		t.Fatalf("events %v", types)
	}
	env.Chain(asset.Bitcoin).Reorg(1) // any sim chain operation (Mine, RejectSends, ...)
	env.Verify()                      // the ledger's invariants hold
}

// TestTour_PayoutWithCode is the README's payout: above the approval threshold, it
// waits for the one-time code the owner was sent.
func TestTour_PayoutWithCode(t *testing.T) {
	ctx, d := context.Background(), kassatest.Dec
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: d("1000")}))
	env.Fund("BTC", "0.2") // a real invoice, paid and confirmed
	p, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: d("0.05"), Currency: "BTC",
		Destination: env.Recipient(asset.Bitcoin, 0)}) // a valid test-network address that is not ours
	if err != nil || p.Status != payout.StatusPendingVerification {
		t.Fatalf("payout %v, %v: want it waiting for its code", p, err)
	}
	p, err = env.Gateway.Payouts().Verify(ctx, asset.Test, p.ID, env.Code(p.ID)) // the code the owner got
	if err != nil || p.Status == payout.StatusPendingVerification || p.Approval != "code" {
		t.Fatalf("payout %v after its code: %v", p, err)
	}
}

// TestWebhookPayloadsCarryPayments: an invoice's events name each payment's
// transaction, amount and confirmations as they stood when the event was written.
func TestWebhookPayloadsCarryPayments(t *testing.T) {
	env := kassatest.New(t)
	hooks := env.WebhookReceiver("invoice.confirming", "invoice.paid")
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25.00"), Currency: "USD"})
	txid := env.PayInFull(inv, "BTC")
	env.Confirm(inv, "BTC")
	type payment struct {
		TxHash                string `json:"tx_hash"`
		Code, Amount, Status  string
		Confirmations         int
		ConfirmationsRequired int `json:"confirmations_required"`
	}
	got := map[event.Type]payment{}
	for _, ev := range hooks.Events() {
		var data struct {
			ID       string    `json:"id"`
			Payments []payment `json:"payments"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil || data.ID != inv.ID || len(data.Payments) != 1 {
			t.Fatalf("%s: %v %s", ev.Type, err, ev.Data)
		}
		got[ev.Type] = data.Payments[0]
	}
	due := env.Method(inv, "BTC").AmountDue.String()
	c, p := got[event.InvoiceConfirming], got[event.InvoicePaid]
	if c.TxHash != txid || c.Status != "mempool" || c.Confirmations != 0 || c.Amount != due || c.Code != "BTC" {
		t.Errorf("confirming: %+v", c)
	}
	if p.TxHash != txid || p.Status != "confirmed" || p.Confirmations < p.ConfirmationsRequired || p.ConfirmationsRequired < 1 {
		t.Errorf("paid: %+v", p)
	}
}

// TestWebhookPing: a ping reaches the endpoint at once, signed, and says what it got;
// it is not an event anyone else hears of, and another mode's endpoint is not found.
func TestWebhookPing(t *testing.T) {
	env := kassatest.New(t)
	hooks := env.WebhookReceiver("invoice.paid")
	before := len(env.Events())
	res, err := env.Gateway.Webhooks().Ping(t.Context(), asset.Test, hooks.Endpoint.ID)
	if err != nil || !res.OK || res.StatusCode != 200 || res.EventID == "" {
		t.Fatalf("ping: %+v, %v", res, err)
	}
	if got := hooks.Types(); len(got) != 1 || got[0] != webhook.EndpointPing || hooks.Events()[0].ID != res.EventID {
		t.Fatalf("the receiver got %v", got)
	}
	env.Sync()
	if len(env.Events()) != before || len(hooks.Events()) != 1 {
		t.Fatal("a ping reached the outbox, or was delivered again")
	}
	hooks.FailNext(1)
	if res, err := env.Gateway.Webhooks().Ping(t.Context(), asset.Test, hooks.Endpoint.ID); err != nil || res.OK || res.StatusCode != 500 {
		t.Fatalf("a ping the endpoint refused: %+v, %v", res, err)
	}
	if _, err := env.Gateway.Webhooks().Ping(t.Context(), asset.Live, hooks.Endpoint.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("a test endpoint pinged with a live key: %v", err)
	}
}
