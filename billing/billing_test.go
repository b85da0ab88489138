package billing_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/webhook"
)

func TestEventTypes_AnEndpointMaySubscribeToEach(t *testing.T) {
	for _, typ := range billing.EventTypes {
		if !slices.Contains(webhook.EventTypes, typ) {
			t.Errorf("%s is not in webhook.EventTypes", typ)
		}
	}
}

// invoicesOf returns the invoices of subscription id, by period.
func invoicesOf(t *testing.T, e *kassatest.Env, id string) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	invs, _, err := e.Gateway.Invoices().List(t.Context(), invoice.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.SubscriptionID == id {
			out[*inv.SubscriptionPeriod] = append(out[*inv.SubscriptionPeriod], inv.ID)
		}
	}
	return out
}

func newPlan(t *testing.T, e *kassatest.Env, amount, currency string, iv billing.Interval) string {
	t.Helper()
	p, err := e.Gateway.Billing().CreateProduct(t.Context(), asset.Test, billing.ProductParams{Name: "Pro",
		PricingPlans: []billing.PlanParams{{Amount: dec(amount), Currency: currency, Interval: iv}}})
	if err != nil {
		t.Fatal(err)
	}
	return p.PricingPlans[0].ID
}

// TestSubscriptions_ACrashBetweenTheInvoiceAndThePeriodBillsItOnce stops the billing
// job after it inserted a period's invoice and before it recorded the period (in the
// one transaction both are written in): nothing of it stays, and the next pass bills
// the period with exactly one invoice; more passes, a restart of the process on the
// same database file, and a second pass at once bill nothing more.
func TestSubscriptions_ACrashBetweenTheInvoiceAndThePeriodBillsItOnce(t *testing.T) {
	e := kassatest.New(t, kassatest.WithDatabase(t.TempDir()+"/kassa.db"))
	ctx := t.Context()
	b := e.Gateway.Billing()
	plan := newPlan(t, e, "0.0001", "BTC", billing.Week)
	crash := errors.New("crash")
	b.SetBeforeRecord(func() error { return crash })
	s, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "c1", PlanID: plan})
	if err != nil {
		t.Fatal(err) // the subscription is created; its first period is left to the job
	}
	if s.LatestInvoiceID != "" || len(invoicesOf(t, e, s.ID)) != 0 {
		t.Fatalf("after a crash before the period was recorded: %+v, invoices %v", s, invoicesOf(t, e, s.ID))
	}
	if err := e.Gateway.Sync(ctx); !errors.Is(err, crash) {
		t.Fatalf("a pass that crashes again: %v", err)
	}
	b.SetBeforeRecord(nil)
	e.Sync()
	e.Sync()
	e.RestartProcess()
	b = e.Gateway.Billing()
	e.Sync()
	got := invoicesOf(t, e, s.ID)
	if len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("period 0's invoices: %v, want exactly one", got)
	}
	s, err = b.Get(ctx, asset.Test, s.ID)
	if err != nil || s.LatestInvoiceID != got[0][0] || s.Attempts != 1 {
		t.Fatalf("%+v %v", s, err)
	}
	// Paid, and a week on: the next period, once, whatever the passes.
	inv := e.Invoice(s.LatestInvoiceID)
	e.PayAmount(inv, "BTC", e.Method(inv, "BTC").AmountDue)
	e.Mine(asset.Bitcoin, 6)
	e.Clock.Advance(7 * 24 * time.Hour)
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- e.Gateway.Billing().Step(context.Background()) }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	e.Sync()
	got = invoicesOf(t, e, s.ID)
	if len(got) != 2 || len(got[1]) != 1 {
		t.Fatalf("invoices after a week: %v, want one per period", got)
	}
	periods, err := b.Periods(ctx, asset.Test, s.ID)
	if err != nil || len(periods) != 2 || periods[0].Status != billing.PeriodPaid || periods[1].Status != billing.PeriodOpen {
		t.Fatalf("periods %+v %v", periods, err)
	}
	e.Verify()
}

// TestSubscriptions_BadInputIsNamedAndChangesNothing sends bad products and
// subscriptions: each wrong field is named and nothing is stored.
func TestSubscriptions_BadInputIsNamedAndChangesNothing(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	b := e.Gateway.Billing()
	plan := newPlan(t, e, "10", "USD", billing.Month)
	btcPlan := newPlan(t, e, "0.001", "BTC", billing.Month)
	for _, c := range []struct {
		p      billing.ProductParams
		fields []string
	}{
		{billing.ProductParams{}, []string{"name", "pricing_plans"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("-1"), Currency: "USD", Interval: billing.Month}}}, []string{"pricing_plans[0].amount"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("0"), Currency: "USD", Interval: billing.Month}}}, []string{"pricing_plans[0].amount"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("1.001"), Currency: "USD", Interval: billing.Month}}}, []string{"pricing_plans[0].amount"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("0.000000001"), Currency: "BTC", Interval: billing.Month}}}, []string{"pricing_plans[0].amount"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("1"), Currency: "DOGE", Interval: "fortnight"}}}, []string{"pricing_plans[0].currency", "pricing_plans[0].interval"}},
		{billing.ProductParams{Name: "x", PricingPlans: []billing.PlanParams{{Amount: dec("1"), Currency: "USD", Interval: billing.Month, IntervalCount: 13}}}, []string{"pricing_plans[0].interval_count"}},
		{billing.ProductParams{Name: "x\u202e", Images: []string{"http://x.example/a.png"}, PricingPlans: []billing.PlanParams{{Amount: dec("1"), Currency: "USD", Interval: billing.Day}}}, []string{"name", "images[0]"}},
	} {
		_, err := b.CreateProduct(ctx, asset.Test, c.p)
		wantFields(t, err, c.fields...)
	}
	past, far := e.Clock.Now().Add(-time.Hour), e.Clock.Now().AddDate(2, 0, 0)
	for _, c := range []struct {
		p      billing.CreateParams
		fields []string
	}{
		{billing.CreateParams{}, []string{"customer_id", "plan_id"}},
		{billing.CreateParams{CustomerID: "c 1", PlanID: "plan_unknown"}, []string{"customer_id", "plan_id"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: "plan_aaaaaaaaaaaaaaaaaaaa"}, []string{"plan_id"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: plan, Collection: "card"}, []string{"collection"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: plan, Collection: billing.CollectWallet}, []string{"collection"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: plan, BillingCycleAnchor: &past}, []string{"billing_cycle_anchor"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: plan, BillingCycleAnchor: &far, AutoEndAt: &past}, []string{"billing_cycle_anchor", "auto_end_at"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: btcPlan, ReturnURL: "javascript:alert(1)"}, []string{"return_url"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: btcPlan, SubMerchantID: "sm_aaaaaaaaaaaaaaaaaaaa"}, []string{"plan_id"}},
		{billing.CreateParams{CustomerID: "c1", PlanID: plan, AcceptedAssets: []string{"DOGE"}}, []string{"accepted_assets[0]"}},
	} {
		_, err := b.Create(ctx, asset.Test, c.p)
		wantFields(t, err, c.fields...)
	}
	// Another mode's plan is not found.
	if _, err := b.Create(ctx, asset.Live, billing.CreateParams{CustomerID: "c1", PlanID: plan}); !hasField(err, "plan_id") {
		t.Fatalf("a test-mode plan in live mode: %v", err)
	}
	if subs, n, err := b.List(ctx, billing.ListParams{Mode: asset.Test}); err != nil || n != 0 || len(subs) != 0 {
		t.Fatalf("subscriptions stored by bad creates: %d %v", n, err)
	}
	if _, n, err := b.ListProducts(ctx, billing.ProductListParams{Mode: asset.Test}); err != nil || n != 2 {
		t.Fatalf("products: %d, want the 2 good ones (%v)", n, err)
	}
	// A used plan's price never changes; its description may.
	if _, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "c1", PlanID: btcPlan}); err != nil {
		t.Fatal(err)
	}
	var prodID string
	if err := e.Store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		p, _, err := tx.ProductOfPlan(ctx, asset.Test, btcPlan)
		prodID = p.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, err := b.UpdateProduct(ctx, asset.Test, prodID, billing.ProductUpdate{PricingPlans: []billing.PlanParams{{ID: btcPlan, Amount: dec("0.002")}}})
	wantFields(t, err, "pricing_plans[0].amount")
	if !errors.Is(err, billing.ErrPlanUsed) {
		t.Fatalf("changing a used plan's price: %v", err)
	}
	p, err := b.UpdateProduct(ctx, asset.Test, prodID, billing.ProductUpdate{PricingPlans: []billing.PlanParams{{ID: btcPlan, Description: "yearly soon"},
		{Amount: dec("0.01"), Currency: "BTC", Interval: billing.Year}}})
	if err != nil || len(p.PricingPlans) != 2 || !p.PricingPlans[0].Amount.Equal(dec("0.001")) || p.PricingPlans[0].Description != "yearly soon" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := b.Cancel(ctx, asset.Test, "sub_aaaaaaaaaaaaaaaaaaaa", false); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("cancelling an unknown subscription: %v", err)
	}
	_, _, err = b.List(ctx, billing.ListParams{Mode: asset.Test, Status: "paused", CustomerID: "a b", Limit: 101})
	wantFields(t, err, "status", "customer_id", "limit")
	_, _, err = b.ListProducts(ctx, billing.ProductListParams{Mode: "staging", Page: -1})
	wantFields(t, err, "mode", "page")

	// An expired subscription cannot be cancelled; a cancelled one cancelled again is
	// answered as it is, nothing changed.
	end := e.Clock.Now().Add(time.Hour)
	short, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "c2", PlanID: btcPlan, Collection: billing.CollectInvoice, AutoEndAt: &end})
	if err != nil {
		t.Fatal(err)
	}
	inv := e.Invoice(short.LatestInvoiceID)
	e.PayAmount(inv, "BTC", e.Method(inv, "BTC").AmountDue)
	e.Mine(asset.Bitcoin, 6)
	e.Advance(31 * 24 * time.Hour)
	if s, _ := b.Get(ctx, asset.Test, short.ID); s.Status != billing.StatusExpired {
		t.Fatalf("after auto_end_at: %s", s.Status)
	}
	if _, err := b.Cancel(ctx, asset.Test, short.ID, false); !errors.Is(err, billing.ErrEnded) {
		t.Fatalf("cancelling an expired subscription: %v, want ErrEnded", err)
	}
	other, err := b.Create(ctx, asset.Test, billing.CreateParams{CustomerID: "c3", PlanID: btcPlan})
	if err != nil {
		t.Fatal(err)
	}
	first, err := b.Cancel(ctx, asset.Test, other.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Cancel(ctx, asset.Test, other.ID, true)
	if err != nil || again.Status != billing.StatusCancelled || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Fatalf("cancelling again: %+v %v", again, err)
	}
}

func hasField(err error, field string) bool {
	var v *validation.Error
	if errors.As(err, &v) {
		_, ok := v.Fields[field]
		return ok
	}
	var f *validation.FieldError
	return errors.As(err, &f) && f.Field == field
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want errors on %v", fields)
	}
	for _, f := range fields {
		if !hasField(err, f) {
			t.Fatalf("%v: want field %s named", err, f)
		}
	}
	if strings.Contains(err.Error(), "%!") {
		t.Fatalf("a malformed message: %v", err)
	}
}

// TestSubscriptions_ARetriedCreateMakesOne: a create asked again with its request key
// (an Idempotency-Key whose first answer a crash lost) answers the first product or
// subscription, and bills nothing again.
func TestSubscriptions_ARetriedCreateMakesOne(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	b := e.Gateway.Billing()
	pp := billing.ProductParams{Name: "Pro", RequestKey: "req-1", PricingPlans: []billing.PlanParams{{Amount: dec("0.001"), Currency: "BTC", Interval: billing.Month}}}
	p1, err := b.CreateProduct(ctx, asset.Test, pp)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.CreateProduct(ctx, asset.Test, pp)
	if err != nil || p2.ID != p1.ID || p2.PricingPlans[0].ID != p1.PricingPlans[0].ID {
		t.Fatalf("the product again: %+v %v, want %s", p2, err, p1.ID)
	}
	sp := billing.CreateParams{CustomerID: "ada", PlanID: p1.PricingPlans[0].ID, RequestKey: "req-2"}
	s1, err := b.Create(ctx, asset.Test, sp)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := b.Create(ctx, asset.Test, sp)
	if err != nil || s2.ID != s1.ID || s2.LatestInvoiceID != s1.LatestInvoiceID {
		t.Fatalf("the subscription again: %+v %v, want %s", s2, err, s1.ID)
	}
	if subs, n, err := b.List(ctx, billing.ListParams{Mode: asset.Test}); err != nil || n != 1 || len(invoicesOf(t, e, subs[0].ID)) != 1 {
		t.Fatalf("%d subscriptions (%v)", n, err)
	}
	// The same key in the other mode is another request.
	if _, err := b.CreateProduct(ctx, asset.Live, pp); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := b.ListProducts(ctx, billing.ProductListParams{Mode: asset.Live}); n != 1 {
		t.Fatalf("live products: %d", n)
	}
}
