package kassatest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/rates"
)

// TestRefresh: an invoice that expired unpaid is pending again after Refresh: the
// same addresses, quoted at today's rate, a new lifetime as long as the first, an
// invoice.refreshed event, and a payment to it is credited; once only; never an
// invoice that received anything or has not expired; nothing changes on a refusal.
func TestRefresh(t *testing.T) {
	r := kassatest.DefaultRates()
	env := kassatest.New(t, kassatest.WithRates(r))
	ctx := t.Context()
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("65.00"), Currency: "USD", Lifetime: time.Hour})
	btc := env.Method(inv, "BTC")
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, inv.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("a pending invoice refreshed: %v", err)
	}
	env.Advance(2 * time.Hour)
	env.WantStatus(inv.ID, invoice.StatusExpired, "")

	r["BTC"] = kassatest.Dec("130000") // the price doubled meanwhile
	refreshed, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	m := env.Method(refreshed, "BTC")
	if refreshed.Status != invoice.StatusPending || !refreshed.ExpiresAt.Equal(now.Add(time.Hour)) || refreshed.Refreshes != 1 ||
		m.Address != btc.Address || !m.AmountDue.Equal(kassatest.Dec("0.0005")) || !m.Rate.Equal(kassatest.Dec("130000")) {
		t.Fatalf("refreshed: status %s, expires %s (now %s), refreshes %d, BTC %s at %s to %s (was %s)", refreshed.Status,
			refreshed.ExpiresAt, now, refreshed.Refreshes, m.AmountDue, m.Rate, m.Address, btc.Address)
	}
	env.Sync() // delivers the event to the Env's subscriber
	if types := env.EventTypes(inv.ID); types[len(types)-1] != event.InvoiceRefreshed {
		t.Fatalf("events %v", types)
	}
	env.Advance(30 * time.Minute)
	env.WantStatus(inv.ID, invoice.StatusPending, "") // still within its new lifetime
	env.PayInFull(refreshed, "BTC")
	env.Confirm(refreshed, "BTC")
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.0005")) {
		t.Fatalf("balance %+v", b)
	}
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, inv.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("a paid invoice refreshed: %v", err)
	}

	// After its monitoring window its addresses are no longer watched: a refresh
	// watches them again, and a payment is credited.
	late := env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD", Lifetime: time.Hour})
	env.Advance(26 * time.Hour)
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, late.ID); err != nil {
		t.Fatal(err)
	}
	late = env.Invoice(late.ID)
	env.PayInFull(late, "USDT_TRON")
	env.Confirm(late, "USDT_TRON")
	env.WantStatus(late.ID, invoice.StatusPaid, "")

	// Once only, by default.
	again := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", Lifetime: time.Hour})
	env.Advance(2 * time.Hour)
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, again.ID); err != nil {
		t.Fatal(err)
	}
	env.Advance(2 * time.Hour)
	before := env.Invoice(again.ID)
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, again.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("refreshed twice: %v", err)
	}
	if after := env.Invoice(again.ID); after.Status != invoice.StatusExpired || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("a refused refresh changed the invoice: %+v", after)
	}

	// Never one that received something, even too little.
	part := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", Lifetime: time.Hour})
	env.Pay(part, "USDT_TRON", "1")
	env.Mine(asset.Tron, 19)
	env.Advance(2 * time.Hour)
	env.WantStatus(part.ID, invoice.StatusExpired, invoice.ExceptionUnderpaid)
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, part.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("an underpaid invoice refreshed: %v", err)
	}
	// Nor another mode's.
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Live, again.ID); !errors.Is(err, invoice.ErrNotFound) {
		t.Fatalf("refreshed with the other mode: %v", err)
	}
	// A price that cannot be had: refused, nothing changed.
	gone := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"BTC"}, Lifetime: time.Hour})
	env.Advance(2 * time.Hour)
	delete(r, "BTC")
	if _, err := env.Gateway.Invoices().Refresh(ctx, asset.Test, gone.ID); !errors.Is(err, invoice.ErrNoRate) && !errors.Is(err, rates.ErrNoRate) {
		t.Fatalf("refresh without a price: %v", err)
	}
	if got := env.Invoice(gone.ID); got.Status != invoice.StatusExpired || got.Refreshes != 0 {
		t.Fatalf("a failed refresh changed the invoice: %+v", got)
	}
	env.Verify()
}
