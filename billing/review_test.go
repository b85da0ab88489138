package billing_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

// subEvents returns the types of subscription id's events, in order.
func subEvents(e *kassatest.Env, id string) []string {
	var out []string
	for _, ev := range e.Events() {
		if ev.ObjectID == id {
			out = append(out, string(ev.Type))
		}
	}
	return out
}

// TestSubscriptions_AFirstPeriodPaidLateIsActivated: the first period's invoice
// expires unpaid (past due), its retry is paid: the subscription is activated, as
// when the first invoice is paid in time.
func TestSubscriptions_AFirstPeriodPaidLateIsActivated(t *testing.T) {
	e := kassatest.New(t)
	b := e.Gateway.Billing()
	s, err := b.Create(t.Context(), asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: newPlan(t, e, "0.001", "BTC", billing.Month)})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(invoice.MaxLifetime + time.Minute)
	e.Advance(24 * time.Hour)
	s, _ = b.Get(t.Context(), asset.Test, s.ID)
	inv := e.Invoice(s.LatestInvoiceID)
	if s.Attempts != 2 || inv.Status != invoice.StatusPending {
		t.Fatalf("the retry: %+v, invoice %s", s, inv.Status)
	}
	e.PayAmount(inv, "BTC", e.Method(inv, "BTC").AmountDue)
	e.Mine(asset.Bitcoin, 6)
	want := []string{"subscription.created", "subscription.past_due", "subscription.activated"}
	if got := subEvents(e, s.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// TestSubscriptions_APeriodIsNeverOpenOnTwoInvoices: an earlier attempt at a period's
// invoice cannot be refreshed once a newer one bills the period (nor once the period
// is paid), the latest one can; and a retry waits until the expired invoice no longer
// counts late payments (a monitoring window longer than the retry delay), so the
// customer is never asked to pay one period on two invoices.
func TestSubscriptions_APeriodIsNeverOpenOnTwoInvoices(t *testing.T) {
	e := kassatest.New(t, kassatest.WithMonitoringWindow(72*time.Hour))
	ctx := t.Context()
	b := e.Gateway.Billing()
	s, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: newPlan(t, e, "0.001", "BTC", billing.Month)})
	if err != nil {
		t.Fatal(err)
	}
	first := e.Invoice(s.LatestInvoiceID)
	e.Advance(invoice.MaxLifetime + time.Minute)
	s, _ = b.Get(ctx, asset.Test, s.ID)
	if s.Status != billing.StatusPastDue || s.NextPaymentAttempt == nil || !s.NextPaymentAttempt.Equal(first.MonitorUntil) {
		t.Fatalf("past due: next invoice at %v, want %s, when the first stops counting late payments", s.NextPaymentAttempt, first.MonitorUntil)
	}
	e.Advance(48 * time.Hour) // the retry delay (a day) passed; the first still counts late payments
	if got := invoicesOf(t, e, s.ID); len(got[0]) != 1 {
		t.Fatalf("a retry while the first invoice counts late payments: %v", got)
	}
	e.Advance(24 * time.Hour)
	s, _ = b.Get(ctx, asset.Test, s.ID)
	if got := invoicesOf(t, e, s.ID); len(got[0]) != 2 || s.LatestInvoiceID == first.ID {
		t.Fatalf("the retry after the window: %v", got)
	}
	if _, err := e.Gateway.Invoices().Refresh(ctx, asset.Test, first.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("refreshing the replaced first invoice: %v, want ErrInvalidState", err)
	}
	e.Advance(invoice.MaxLifetime + time.Minute) // the second expires too
	if _, err := e.Gateway.Invoices().Refresh(ctx, asset.Test, s.LatestInvoiceID); err != nil {
		t.Fatalf("refreshing the latest invoice: %v", err)
	}
	latest := e.Invoice(s.LatestInvoiceID)
	e.PayAmount(latest, "BTC", e.Method(latest, "BTC").AmountDue)
	e.Mine(asset.Bitcoin, 6)
	if s, _ = b.Get(ctx, asset.Test, s.ID); s.Status != billing.StatusActive || s.PeriodsPaid != 1 {
		t.Fatalf("paid on the refreshed latest invoice: %+v", s)
	}
	if _, err := e.Gateway.Invoices().Refresh(ctx, asset.Test, first.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("refreshing an invoice of a paid period: %v", err)
	}
	e.Verify()
}

// TestSubscriptions_CancelledWhileAPaymentConfirms: cancelled at once while the
// period's invoice has a payment confirming (it cannot be cancelled any more), the
// subscription ends, and when the payment confirms the period is recorded paid.
func TestSubscriptions_CancelledWhileAPaymentConfirms(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	b := e.Gateway.Billing()
	s, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: newPlan(t, e, "0.001", "BTC", billing.Month)})
	if err != nil {
		t.Fatal(err)
	}
	inv := e.Invoice(s.LatestInvoiceID)
	e.PayInFull(inv, "BTC")
	if s, err = b.Cancel(ctx, asset.Test, s.ID, false); err != nil || s.Status != billing.StatusCancelled {
		t.Fatalf("cancel: %+v %v", s, err)
	}
	e.Confirm(inv, "BTC")
	e.WantStatus(inv.ID, invoice.StatusPaid, "")
	ps, err := b.Periods(ctx, asset.Test, s.ID)
	if err != nil || len(ps) != 1 || ps[0].Status != billing.PeriodPaid || ps[0].InvoiceID != inv.ID {
		t.Fatalf("the period paid after the cancel: %+v %v", ps, err)
	}
	if s, _ = b.Get(ctx, asset.Test, s.ID); s.Status != billing.StatusCancelled {
		t.Fatalf("the subscription after the payment: %s", s.Status)
	}
}

// TestSubscriptions_AnInvoiceCancelledByTheMerchantIsHeard: the merchant cancels a
// period's invoice through the invoice API: the subscription is past due at once,
// with its retry scheduled, not 12 hours later.
func TestSubscriptions_AnInvoiceCancelledByTheMerchantIsHeard(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	b := e.Gateway.Billing()
	s, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: newPlan(t, e, "0.001", "BTC", billing.Month)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gateway.Invoices().Cancel(ctx, asset.Test, s.LatestInvoiceID); err != nil {
		t.Fatal(err)
	}
	if s, _ = b.Get(ctx, asset.Test, s.ID); s.Status != billing.StatusPastDue || s.NextPaymentAttempt == nil {
		t.Fatalf("after the invoice was cancelled: %+v", s)
	}
}

// flaky is a rate source that can go down.
type flaky struct {
	rates.Fixed
	down atomic.Bool
}

func (f *flaky) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	if f.down.Load() {
		return nil, errors.New("source unreachable")
	}
	return f.Fixed.USDPrices(ctx, codes)
}

// TestSubscriptions_APeriodThatCannotBeInvoicedIsPastDue: a USD plan's renewal while
// the rates are gone: the reason is on the subscription (billing_error), the job tries
// again every few minutes (not in a loop), the subscription is past due once an
// invoice would have expired, and the period is invoiced when rates come back.
func TestSubscriptions_APeriodThatCannotBeInvoicedIsPastDue(t *testing.T) {
	src := &flaky{Fixed: rates.Fixed{"BTC": dec("65000")}}
	e := kassatest.New(t, kassatest.WithRateSources(src))
	ctx := t.Context()
	b := e.Gateway.Billing()
	s, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "ada", PlanID: newPlan(t, e, "10", "USD", billing.Day),
		AcceptedAssets: []string{"BTC"}}) // not stablecoins, which are priced at par without rates
	if err != nil {
		t.Fatal(err)
	}
	inv := e.Invoice(s.LatestInvoiceID)
	e.PayAmount(inv, "BTC", e.Method(inv, "BTC").AmountDue)
	e.Mine(asset.Bitcoin, 6)
	src.down.Store(true)
	e.Clock.Advance(24 * time.Hour)
	if err := e.Gateway.Sync(ctx); err == nil {
		s, _ = b.Get(ctx, asset.Test, s.ID)
		t.Fatalf("a pass that could not invoice the period said nothing: %+v", s)
	}
	s, _ = b.Get(ctx, asset.Test, s.ID)
	if s.Status != billing.StatusActive || s.BillingError == "" || s.CurrentPeriod != 1 || s.Attempts != 0 {
		t.Fatalf("just after the period started: %+v", s)
	}
	e.Clock.Advance(time.Minute)
	if err := e.Gateway.Billing().Step(ctx); err != nil {
		t.Fatalf("a pass before the retry is due: %v", err)
	}
	for range 3 {
		e.Clock.Advance(5 * time.Hour)
		e.Gateway.Sync(ctx)
	}
	s, _ = b.Get(ctx, asset.Test, s.ID)
	if s.Status != billing.StatusPastDue || s.BillingError == "" {
		t.Fatalf("after 15 hours without an invoice: %+v", s)
	}
	src.down.Store(false)
	e.Clock.Advance(10 * time.Minute)
	e.Sync()
	s, _ = b.Get(ctx, asset.Test, s.ID)
	if s.BillingError != "" || s.Attempts != 1 || len(invoicesOf(t, e, s.ID)[1]) != 1 {
		t.Fatalf("once rates are back: %+v", s)
	}
	if got := subEvents(e, s.ID); !slices.Equal(got, []string{"subscription.created", "subscription.activated", "subscription.past_due"}) {
		t.Fatalf("events %v", got)
	}
}
