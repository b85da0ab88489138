package kassatest_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

// TestClaim: a payer's "I have paid" keeps an invoice watched for a day after it,
// even past its monitoring window; a payment after it finds it; when nothing comes
// it fails with invoice.claim_failed, once; a second claim while one is open is the
// same claim; paid and cancelled invoices and unknown methods take none.
func TestClaim(t *testing.T) {
	env := kassatest.New(t)
	ctx := t.Context()
	claims := env.Gateway.Invoices()

	// Claimed just before its window closes, then paid late: the claim is found.
	late := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", Lifetime: time.Hour})
	env.Advance(24*time.Hour + 50*time.Minute) // expired; its window closes at 25 h
	if _, err := claims.Claim(ctx, asset.Test, late.ID, "USDT_TRON"); err != nil {
		t.Fatal(err)
	}
	again, err := claims.Claim(ctx, asset.Test, late.ID, "")
	if err != nil || len(again.Claims) != 1 {
		t.Fatalf("a second claim while one is open: %v %+v", err, again.Claims)
	}
	env.Advance(2 * time.Hour) // past the window: still watched for the claim
	env.PayInFull(late, "USDT_TRON")
	env.Confirm(late, "USDT_TRON")
	got := env.WantStatus(late.ID, invoice.StatusPaid, invoice.ExceptionPaidLate)
	if c := got.Claims[0]; c.Status != invoice.ClaimFound || c.EndedAt == nil {
		t.Fatalf("claim after the payment: %+v", c)
	}

	// Claimed, and nothing comes: failed when the day is over, with its event.
	empty := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", Lifetime: time.Hour})
	if _, err := claims.Claim(ctx, asset.Test, empty.ID, ""); err != nil {
		t.Fatal(err)
	}
	env.Advance(20 * time.Hour)
	if c := env.Invoice(empty.ID).Claims[0]; c.Status != invoice.ClaimOpen {
		t.Fatalf("claim within its day: %+v", c)
	}
	env.Advance(6 * time.Hour) // the invoice's window (25 h) and the claim's day are over
	if c := env.Invoice(empty.ID).Claims[0]; c.Status != invoice.ClaimFailed || c.EndedAt == nil {
		t.Fatalf("claim after its day: %+v", c)
	}
	env.Advance(time.Hour)
	n := 0
	for _, typ := range env.EventTypes(empty.ID) {
		if typ == event.InvoiceClaimFailed {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d claim_failed events: %v", n, env.EventTypes(empty.ID))
	}

	// A claim past the window keeps the invoice watched a day more.
	gone := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", Lifetime: time.Hour})
	env.Advance(30 * time.Hour) // unwatched now
	if _, err := claims.Claim(ctx, asset.Test, gone.ID, "BTC"); err != nil {
		t.Fatal(err)
	}
	env.Advance(23 * time.Hour)
	env.PayInFull(gone, "BTC")
	env.Confirm(gone, "BTC")
	env.WantStatus(gone.ID, invoice.StatusPaid, invoice.ExceptionPaidLate)

	// Claimed after paying in full (seen before the claim): found, never failed.
	full := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD"})
	env.PayInFull(full, "BTC")
	env.Advance(time.Minute) // the payment was seen before the claim
	if _, err := claims.Claim(ctx, asset.Test, full.ID, "BTC"); err != nil {
		t.Fatal(err)
	}
	env.Confirm(full, "BTC")
	env.Advance(50 * time.Hour)
	if c := env.Invoice(full.ID).Claims[0]; c.Status != invoice.ClaimFound {
		t.Fatalf("a claim after paying in full: %+v", c)
	}
	if slices.Contains(env.EventTypes(full.ID), event.InvoiceClaimFailed) {
		t.Fatal("a paid invoice's claim failed")
	}

	// Refused, with nothing written.
	if _, err := claims.Claim(ctx, asset.Test, late.ID, ""); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("a claim on a paid invoice: %v", err)
	}
	open := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	if _, err := claims.Claim(ctx, asset.Test, open.ID, "ETH"); !errors.Is(err, invoice.ErrNotEnabled) {
		t.Fatalf("a claim of a method the invoice does not have: %v", err)
	}
	if _, err := claims.Claim(ctx, asset.Live, open.ID, ""); !errors.Is(err, invoice.ErrNotFound) {
		t.Fatalf("a claim in the other mode: %v", err)
	}
	if len(env.Invoice(open.ID).Claims) != 0 {
		t.Fatal("a refused claim was written")
	}
	cancelled := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD"})
	if _, err := claims.Cancel(ctx, asset.Test, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := claims.Claim(ctx, asset.Test, cancelled.ID, ""); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("a claim on a cancelled invoice: %v", err)
	}
	env.Sync()
	if slices.Contains(env.EventTypes(cancelled.ID), event.InvoiceClaimFailed) {
		t.Fatal("a refused claim made an event")
	}
	env.Verify()
}
