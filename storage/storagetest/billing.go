package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

var billingTests = []test{
	{"Billing_ProductsAndPlans", testProducts},
	{"Billing_SubscriptionsListsAndDue", testSubscriptions},
	{"Billing_APeriodIsStoredOnce", testPeriods},
}

func product(id string, m asset.Mode, sub string, created time.Time, plans ...string) billing.Product {
	p := billing.Product{ID: id, Mode: m, SubMerchantID: sub, Name: "Pro ☕", Description: "line one\nline two",
		Images: []string{"https://example.com/a.png"}, Metadata: json.RawMessage(`{"tier":"gold"}`), Active: true,
		CreatedAt: created, UpdatedAt: created}
	for _, pl := range plans {
		p.PricingPlans = append(p.PricingPlans, billing.Plan{ID: pl, ProductID: id, Amount: decimal.RequireFromString("9.99"),
			Currency: "USD", Interval: billing.Month, IntervalCount: 1, Active: true, CreatedAt: created})
	}
	return p
}

// testProducts checks InsertProduct, GetProduct and ProductOfPlan (every field back;
// nothing in the other mode), UpdateProduct (a plan added later is found by its id),
// and ListProducts' filters (scope, active), order (newest first) and paging.
func testProducts(t *testing.T, s storage.Store) {
	a := product("prod_a", asset.Test, "", t0, "plan_a1", "plan_a2")
	b := product("prod_b", asset.Test, "sm_1", at(time.Minute), "plan_b1")
	c := product("prod_c", asset.Test, "", at(2*time.Minute), "plan_c1")
	c.Active = false
	b.RequestKey = "req-b"
	l := product("prod_l", asset.Live, "", t0, "plan_l1")
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, p := range []billing.Product{a, b, c, l} {
			if err := tx.InsertProduct(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	get := func(m asset.Mode, id, plan string) (billing.Product, bool, billing.Product, bool) {
		var p, q billing.Product
		var ok, ok2 bool
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			if p, ok, err = tx.GetProduct(ctx, m, id); err != nil {
				return err
			}
			q, ok2, err = tx.ProductOfPlan(ctx, m, plan)
			return err
		})
		return p, ok, q, ok2
	}
	for _, want := range []billing.Product{a, b, c, l} {
		got, ok, byPlan, ok2 := get(want.Mode, want.ID, want.PricingPlans[len(want.PricingPlans)-1].ID)
		if !ok || !ok2 || got.Mode != want.Mode || byPlan.ID != want.ID {
			t.Fatalf("%s: found %v/%v, by plan %s", want.ID, ok, ok2, byPlan.ID)
		}
		sameJSON(t, want.ID, got, want)
	}
	if _, ok, _, ok2 := get(asset.Live, "prod_a", "plan_a1"); ok || ok2 {
		t.Fatal("a test-mode product or plan found in live mode")
	}
	byKey := func(m asset.Mode, key string) (billing.Product, bool) {
		var p billing.Product
		var ok bool
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			p, ok, err = tx.ProductByRequestKey(ctx, m, key)
			return err
		})
		return p, ok
	}
	if got, ok := byKey(asset.Test, "req-b"); !ok || got.ID != "prod_b" || got.RequestKey != "req-b" {
		t.Fatalf("the product of request key req-b: %v %+v", ok, got)
	}
	for _, c := range []struct {
		m   asset.Mode
		key string
	}{{asset.Live, "req-b"}, {asset.Test, ""}, {asset.Test, "req-x"}} {
		if got, ok := byKey(c.m, c.key); ok {
			t.Fatalf("request key %q in %s mode found %s", c.key, c.m, got.ID)
		}
	}
	a.Name, a.Active = "Pro 2", false
	a.PricingPlans = append(a.PricingPlans, product("x", asset.Test, "", at(time.Hour), "plan_a3").PricingPlans[0])
	a.PricingPlans[2].ProductID = a.ID
	a.PricingPlans[0].Used = true
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateProduct(ctx, a) })
	if got, _, byPlan, ok := get(asset.Test, "prod_a", "plan_a3"); !ok || byPlan.ID != "prod_a" {
		t.Fatalf("a plan added by an update: %v %s", ok, byPlan.ID)
	} else {
		sameJSON(t, "the updated product", got, a)
	}
	list := func(p billing.ProductListParams) ([]string, int) {
		var out []billing.Product
		var n int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			out, n, err = tx.ListProducts(ctx, p)
			return err
		})
		var ids []string
		for _, p := range out {
			ids = append(ids, p.ID)
		}
		return ids, n
	}
	op, sm, yes, no := "", "sm_1", true, false
	for _, c := range []struct {
		p     billing.ProductListParams
		want  []string
		total int
	}{
		{billing.ProductListParams{Mode: asset.Test, Page: 1, Limit: 10}, []string{"prod_c", "prod_b", "prod_a"}, 3},
		{billing.ProductListParams{Mode: asset.Test, Page: 2, Limit: 2}, []string{"prod_a"}, 3},
		{billing.ProductListParams{Mode: asset.Test, SubMerchantID: &op, Page: 1, Limit: 10}, []string{"prod_c", "prod_a"}, 2},
		{billing.ProductListParams{Mode: asset.Test, SubMerchantID: &sm, Page: 1, Limit: 10}, []string{"prod_b"}, 1},
		{billing.ProductListParams{Mode: asset.Test, Active: &yes, Page: 1, Limit: 10}, []string{"prod_b"}, 1},
		{billing.ProductListParams{Mode: asset.Test, Active: &no, Page: 1, Limit: 10}, []string{"prod_c", "prod_a"}, 2},
		{billing.ProductListParams{Mode: asset.Live, Page: 1, Limit: 10}, []string{"prod_l"}, 1},
	} {
		if got, n := list(c.p); !reflect.DeepEqual(got, c.want) || n != c.total {
			t.Fatalf("list %+v: %v (%d), want %v (%d)", c.p, got, n, c.want, c.total)
		}
	}
}

func subscription(id string, m asset.Mode, sub, customer string, st billing.Status, next, created time.Time) billing.Subscription {
	end := created.AddDate(1, 0, 0)
	return billing.Subscription{ID: id, Mode: m, SubMerchantID: sub, CustomerID: customer, ProductID: "prod_a", PlanID: "plan_a1",
		Status: st, Collection: billing.CollectWallet, Amount: decimal.RequireFromString("0.0001"), Currency: "BTC",
		Interval: billing.Month, IntervalCount: 1, BillingCycleAnchor: created, AutoEndAt: &end, AcceptedAssets: []string{"BTC"},
		CurrentPeriod: -1, Metadata: json.RawMessage(`{"a":1}`), ReturnURL: "https://shop.example/back", CreatedAt: created,
		UpdatedAt: created, NextAt: next}
}

// testSubscriptions checks InsertSubscription, GetSubscription and
// UpdateSubscription (every field back, NextAt included and cleared; nothing in the
// other mode), ListSubscriptions' filters, order and paging, and DueSubscriptions
// (NextAt set and not after now, soonest first, both modes, up to limit).
func testSubscriptions(t *testing.T, s storage.Store) {
	subs := []billing.Subscription{
		subscription("sub_a", asset.Test, "", "cus_1", billing.StatusActive, at(time.Hour), t0),
		subscription("sub_b", asset.Test, "sm_1", "cus_1", billing.StatusPending, at(time.Minute), at(time.Second)),
		subscription("sub_c", asset.Test, "", "cus_2", billing.StatusActive, at(3*time.Hour), at(2*time.Second)),
		subscription("sub_d", asset.Test, "", "cus_2", billing.StatusCancelled, time.Time{}, at(3*time.Second)),
		subscription("sub_l", asset.Live, "", "cus_1", billing.StatusActive, at(2*time.Hour), t0),
	}
	subs[2].RequestKey = "req-c"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, sub := range subs {
			if err := tx.InsertSubscription(ctx, sub); err != nil {
				return err
			}
		}
		return nil
	})
	get := func(m asset.Mode, id string) (billing.Subscription, bool) {
		var sub billing.Subscription
		var ok bool
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			sub, ok, err = tx.GetSubscription(ctx, m, id)
			return err
		})
		return sub, ok
	}
	for _, want := range subs {
		got, ok := get(want.Mode, want.ID)
		if !ok || got.Mode != want.Mode || !got.NextAt.Equal(want.NextAt) {
			t.Fatalf("%s: found %v, next %s want %s", want.ID, ok, got.NextAt, want.NextAt)
		}
		sameJSON(t, want.ID, got, want)
	}
	if _, ok := get(asset.Live, "sub_a"); ok {
		t.Fatal("a test-mode subscription found in live mode")
	}
	for _, c := range []struct {
		m    asset.Mode
		key  string
		want string
	}{{asset.Test, "req-c", "sub_c"}, {asset.Live, "req-c", ""}, {asset.Test, "", ""}, {asset.Test, "req-x", ""}} {
		var got billing.Subscription
		var ok bool
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			got, ok, err = tx.SubscriptionByRequestKey(ctx, c.m, c.key)
			return err
		})
		if ok != (c.want != "") || got.ID != c.want || ok && (got.RequestKey != c.key || !got.NextAt.Equal(subs[2].NextAt)) {
			t.Fatalf("the subscription of request key %q in %s mode: %v %+v, want %q", c.key, c.m, ok, got, c.want)
		}
	}
	due := func(now time.Time, limit int) []string {
		var refs []billing.Ref
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			refs, err = tx.DueSubscriptions(ctx, now, limit)
			return err
		})
		var out []string
		for _, r := range refs {
			out = append(out, string(r.Mode)+"/"+r.ID)
		}
		return out
	}
	if got, want := due(at(2*time.Hour), 10), []string{"test/sub_b", "test/sub_a", "live/sub_l"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due at +2h: %v, want %v", got, want)
	}
	if got, want := due(at(2*time.Hour), 1), []string{"test/sub_b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due at +2h, one: %v, want %v", got, want)
	}
	// Locked and changed in one transaction: ended (NextAt cleared), then found so.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		sub, ok, err := tx.GetSubscription(ctx, asset.Test, "sub_b")
		if err != nil || !ok {
			return errors.Join(err, errors.New("sub_b not found in Update"))
		}
		sub.Status, sub.NextAt, sub.CurrentPeriod = billing.StatusExpired, time.Time{}, 3
		return tx.UpdateSubscription(ctx, sub)
	})
	if got, _ := get(asset.Test, "sub_b"); got.Status != billing.StatusExpired || !got.NextAt.IsZero() || got.CurrentPeriod != 3 {
		t.Fatalf("sub_b after its update: %+v", got)
	}
	if got, want := due(at(10*time.Hour), 10), []string{"test/sub_a", "live/sub_l", "test/sub_c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("due at +10h: %v, want %v", got, want)
	}
	list := func(p billing.ListParams) ([]string, int) {
		var out []billing.Subscription
		var n int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			out, n, err = tx.ListSubscriptions(ctx, p)
			return err
		})
		var ids []string
		for _, s := range out {
			ids = append(ids, s.ID)
		}
		return ids, n
	}
	op := ""
	for _, c := range []struct {
		p     billing.ListParams
		want  []string
		total int
	}{
		{billing.ListParams{Mode: asset.Test, Page: 1, Limit: 10}, []string{"sub_d", "sub_c", "sub_b", "sub_a"}, 4},
		{billing.ListParams{Mode: asset.Test, Page: 2, Limit: 3}, []string{"sub_a"}, 4},
		{billing.ListParams{Mode: asset.Test, SubMerchantID: &op, Page: 1, Limit: 10}, []string{"sub_d", "sub_c", "sub_a"}, 3},
		{billing.ListParams{Mode: asset.Test, CustomerID: "cus_2", Page: 1, Limit: 10}, []string{"sub_d", "sub_c"}, 2},
		{billing.ListParams{Mode: asset.Test, Status: billing.StatusActive, Page: 1, Limit: 10}, []string{"sub_c", "sub_a"}, 2},
		{billing.ListParams{Mode: asset.Live, CustomerID: "cus_1", Page: 1, Limit: 10}, []string{"sub_l"}, 1},
	} {
		if got, n := list(c.p); !reflect.DeepEqual(got, c.want) || n != c.total {
			t.Fatalf("list %+v: %v (%d), want %v (%d)", c.p, got, n, c.want, c.total)
		}
	}
}

// testPeriods checks InsertPeriod (ErrPeriodExists for a number stored already, also
// when eight transactions insert one period at once: exactly one stores it),
// UpdatePeriod, GetPeriod and ListPeriods (in order; nothing in the other mode).
func testPeriods(t *testing.T, s storage.Store) {
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.InsertSubscription(ctx, subscription("sub_a", asset.Test, "", "cus_1", billing.StatusActive, t0, t0))
	})
	period := func(n int) billing.Period {
		return billing.Period{SubscriptionID: "sub_a", Mode: asset.Test, N: n, Start: t0.AddDate(0, n, 0), End: t0.AddDate(0, n+1, 0),
			Status: billing.PeriodOpen, Amount: decimal.RequireFromString("0.0001"), Currency: "BTC", Collection: billing.CollectInvoice,
			InvoiceID: "inv_1", Attempts: 1, CreatedAt: t0}
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error { return tx.InsertPeriod(ctx, period(1)) })
		})
	}
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, billing.ErrPeriodExists):
			t.Fatalf("a concurrent insert of one period: %v, want nil or ErrPeriodExists", err)
		}
	}
	if stored != 1 {
		t.Fatalf("%d of 8 concurrent inserts of one period stored it, want 1", stored)
	}
	p0 := period(0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertPeriod(ctx, p0) })
	paid := t0.Add(time.Hour)
	p0.Status, p0.PaidAt, p0.Attempts, p0.InvoiceID = billing.PeriodPaid, &paid, 2, "inv_2"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePeriod(ctx, p0) })
	var got billing.Period
	var ok, other bool
	var all []billing.Period
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		if got, ok, err = tx.GetPeriod(ctx, asset.Test, "sub_a", 0); err != nil {
			return err
		}
		if _, other, err = tx.GetPeriod(ctx, asset.Live, "sub_a", 0); err != nil {
			return err
		}
		all, err = tx.ListPeriods(ctx, asset.Test, "sub_a")
		return err
	})
	if !ok || other || got.Mode != asset.Test {
		t.Fatalf("period 0: found %v, in live mode %v", ok, other)
	}
	sameJSON(t, "period 0", got, p0)
	if len(all) != 2 || all[0].N != 0 || all[1].N != 1 {
		t.Fatalf("periods: %+v", all)
	}
}
