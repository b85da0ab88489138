package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/wallet"
)

var subMerchantTests = []test{
	{"SubMerchant_InsertGetUpdateList", testSubMerchants},
	{"SubMerchant_ScopesFilterEveryList", testScopes},
}

func seller(id string, m asset.Mode, ext string, created time.Time) submerchant.SubMerchant {
	return submerchant.SubMerchant{ID: id, Mode: m, ExternalID: ext, Name: "Ada's Teas ☕", SupportEmail: "help@" + id + ".example",
		LogoURL: "https://cdn.example.com/" + id + ".png", BusinessSettings: json.RawMessage(`{"payout_day":"friday","z":[1,2]}`),
		Active: true, CreatedAt: created, UpdatedAt: created}
}

func getSeller(t *testing.T, s storage.Store, m asset.Mode, id string) (submerchant.SubMerchant, bool) {
	t.Helper()
	var sm submerchant.SubMerchant
	var ok bool
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		sm, ok, err = tx.GetSubMerchant(ctx, m, id)
		return err
	})
	return sm, ok
}

// testSubMerchants checks InsertSubMerchant and GetSubMerchant (every field back,
// business_settings byte for byte, nil stays nil; nothing across modes),
// ErrExternalIDTaken on insert and update within a mode (the same external_id in the
// other mode is fine), UpdateSubMerchant (active false included), and
// ListSubMerchants' filters and pages, newest first.
func testSubMerchants(t *testing.T, s storage.Store) {
	a, b := seller("sm_a", asset.Test, "seller-1", t0), seller("sm_b", asset.Test, "seller-2", at(time.Minute))
	b.BusinessSettings, b.LogoURL = nil, ""
	l := seller("sm_l", asset.Live, "seller-1", t0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, sm := range []submerchant.SubMerchant{a, b, l} {
			if err := tx.InsertSubMerchant(ctx, sm); err != nil {
				return fmt.Errorf("%s: %w", sm.ID, err)
			}
		}
		return nil
	})
	for _, want := range []submerchant.SubMerchant{a, b, l} {
		got, ok := getSeller(t, s, want.Mode, want.ID)
		if !ok {
			t.Fatalf("GetSubMerchant(%s): none", want.ID)
		}
		sameJSON(t, "GetSubMerchant "+want.ID, got, want)
		if string(got.BusinessSettings) != string(want.BusinessSettings) {
			t.Errorf("%s: business settings %s, want %s byte for byte", want.ID, got.BusinessSettings, want.BusinessSettings)
		}
	}
	if _, ok := getSeller(t, s, asset.Live, "sm_a"); ok {
		t.Error("a test sub-merchant found in live mode")
	}
	dup := seller("sm_dup", asset.Test, "seller-1", at(time.Hour))
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertSubMerchant(ctx, dup) }); !errors.Is(err, submerchant.ErrExternalIDTaken) {
		t.Errorf("a second sub-merchant with external_id seller-1: %v, want ErrExternalIDTaken", err)
	}
	b2 := b
	b2.ExternalID = "seller-1"
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateSubMerchant(ctx, b2) }); !errors.Is(err, submerchant.ErrExternalIDTaken) {
		t.Errorf("renaming sm_b to seller-1: %v, want ErrExternalIDTaken", err)
	}
	b.Active, b.Name, b.UpdatedAt = false, "Bob's Beans", at(2*time.Hour)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateSubMerchant(ctx, b) })
	if got, _ := getSeller(t, s, asset.Test, "sm_b"); got.Active || got.Name != "Bob's Beans" || !got.UpdatedAt.Equal(b.UpdatedAt) {
		t.Errorf("after the update: %+v", got)
	}
	list := func(p submerchant.ListParams) ([]string, int) {
		var sms []submerchant.SubMerchant
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			sms, total, err = tx.ListSubMerchants(ctx, p)
			return err
		})
		var ids []string
		for _, sm := range sms {
			ids = append(ids, sm.ID)
		}
		return ids, total
	}
	yes, no := true, false
	for _, c := range []struct {
		p     submerchant.ListParams
		want  []string
		total int
	}{
		{submerchant.ListParams{Mode: asset.Test, Page: 1, Limit: 10}, []string{"sm_b", "sm_a"}, 2},
		{submerchant.ListParams{Mode: asset.Test, Active: &yes, Page: 1, Limit: 10}, []string{"sm_a"}, 1},
		{submerchant.ListParams{Mode: asset.Test, Active: &no, Page: 1, Limit: 10}, []string{"sm_b"}, 1},
		{submerchant.ListParams{Mode: asset.Test, ExternalID: "seller-1", Page: 1, Limit: 10}, []string{"sm_a"}, 1},
		{submerchant.ListParams{Mode: asset.Test, Page: 2, Limit: 1}, []string{"sm_a"}, 2},
		{submerchant.ListParams{Mode: asset.Live, Page: 1, Limit: 10}, []string{"sm_l"}, 1},
	} {
		if got, total := list(c.p); !slices.Equal(got, c.want) || total != c.total {
			t.Errorf("ListSubMerchants(%+v) = %v (%d), want %v (%d)", c.p, got, total, c.want, c.total)
		}
	}
}

// testScopes checks that every scoped object keeps its sub_merchant_id and that each
// list filters by it (nil: every scope; "": the operator's own; an id: that
// sub-merchant's): invoices (the same order_id in two scopes is two invoices, each
// found by its scope's key), payouts, refunds, wallets (one customer's wallet of an
// asset per scope), events (EventsAfter carries the scope), webhook endpoints and API
// keys.
func testScopes(t *testing.T, s storage.Store) {
	own, mine := newInvoice("inv_own", asset.Test, t0, btcMethod("tb1qown", 1)), newInvoice("inv_sub", asset.Test, at(time.Minute), btcMethod("tb1qsub", 2))
	own.OrderID, mine.OrderID, mine.SubMerchantID = "order-1", "order-1", "sm_a"
	insertInvoices(t, s, own, mine)
	for _, c := range []struct{ key, want string }{{invoice.OrderKey("", "order-1"), "inv_own"}, {invoice.OrderKey("sm_a", "order-1"), "inv_sub"}} {
		inv, err := findInvoice(t, s, func(ctx context.Context, tx storage.Tx) (*invoice.Invoice, error) {
			return tx.InvoiceByOrderID(ctx, asset.Test, c.key)
		})
		if err != nil || inv.ID != c.want {
			t.Errorf("InvoiceByOrderID(%q) = %v, %v; want %s", c.key, inv, err, c.want)
		}
	}
	if got, _ := getInvoice(t, s, asset.Test, "inv_sub"); got == nil || got.SubMerchantID != "sm_a" {
		t.Errorf("inv_sub's scope: %+v", got)
	}
	sub, none, other := "sm_a", "", "sm_z"
	for _, c := range []struct {
		sub  *string
		want []string
	}{{nil, []string{"inv_sub", "inv_own"}}, {&none, []string{"inv_own"}}, {&sub, []string{"inv_sub"}}, {&other, nil}} {
		got, total := listInvoices(t, s, invoice.ListParams{Mode: asset.Test, SubMerchantID: c.sub, Page: 1, Limit: 10})
		if !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("ListInvoices(sub %v) = %v (%d), want %v", c.sub, got, total, c.want)
		}
		if got, _ := listInvoices(t, s, invoice.ListParams{Mode: asset.Test, SubMerchantID: c.sub, OrderID: "order-1", Page: 1, Limit: 10}); !slices.Equal(got, c.want) {
			t.Errorf("ListInvoices(sub %v, order-1) = %v, want %v", c.sub, got, c.want)
		}
	}

	p1, p2 := newPayout("po_own", asset.Test, t0), newPayout("po_sub", asset.Test, at(time.Minute))
	p2.SubMerchantID = "sm_a"
	insertPayouts(t, s, p1, p2)
	r1, r2 := newRefund("re_own", "inv_own", asset.Test, t0), newRefund("re_sub", "inv_sub", asset.Test, at(time.Minute))
	r2.SubMerchantID = "sm_a"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertRefund(ctx, r1); err != nil {
			return err
		}
		return tx.InsertRefund(ctx, r2)
	})
	w1 := wal("wal_own", asset.Test, "user-1", "BTC", "bitcoin", "tb1qwown", 3, t0)
	w2 := wal("wal_sub", asset.Test, "user-1", "BTC", "bitcoin", "tb1qwsub", 4, at(time.Minute))
	w2.SubMerchantID = "sm_a"
	insertWallets(t, s, w1, w2) // the same customer and asset, in two scopes
	evs := []event.Event{newEvent("evt_own", event.InvoicePaid, asset.Test, "inv_own", t0), newEvent("evt_sub", event.InvoicePaid, asset.Test, "inv_sub", at(time.Minute))}
	evs[1].SubMerchantID = "sm_a"
	insertEvents(t, s, evs...)
	for _, c := range []struct {
		sub                               *string
		payouts, refunds, wallets, events []string
	}{
		{nil, []string{"po_sub", "po_own"}, []string{"re_sub", "re_own"}, []string{"wal_sub", "wal_own"}, []string{"evt_sub", "evt_own"}},
		{&none, []string{"po_own"}, []string{"re_own"}, []string{"wal_own"}, []string{"evt_own"}},
		{&sub, []string{"po_sub"}, []string{"re_sub"}, []string{"wal_sub"}, []string{"evt_sub"}},
	} {
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			ps, _, err := tx.ListPayouts(ctx, asset.Test, "", c.sub, 1, 10)
			if err != nil {
				return err
			}
			if got := payoutIDs(ps); !slices.Equal(got, c.payouts) {
				t.Errorf("ListPayouts(sub %v) = %v, want %v", c.sub, got, c.payouts)
			}
			rs, _, err := tx.ListRefunds(ctx, refund.ListParams{Mode: asset.Test, SubMerchantID: c.sub, Page: 1, Limit: 10})
			if err != nil {
				return err
			}
			var rids []string
			for _, r := range rs {
				rids = append(rids, r.ID)
			}
			if !slices.Equal(rids, c.refunds) {
				t.Errorf("ListRefunds(sub %v) = %v, want %v", c.sub, rids, c.refunds)
			}
			ws, _, err := tx.ListWallets(ctx, wallet.ListParams{Mode: asset.Test, SubMerchantID: c.sub, Page: 1, Limit: 10})
			if err != nil {
				return err
			}
			var wids []string
			for _, w := range ws {
				wids = append(wids, w.ID)
			}
			if !slices.Equal(wids, c.wallets) {
				t.Errorf("ListWallets(sub %v) = %v, want %v", c.sub, wids, c.wallets)
			}
			es, _, err := tx.ListEvents(ctx, asset.Test, "", c.sub, 1, 10)
			if err != nil {
				return err
			}
			var eids []string
			for _, e := range es {
				eids = append(eids, e.ID)
			}
			if !slices.Equal(eids, c.events) {
				t.Errorf("ListEvents(sub %v) = %v, want %v", c.sub, eids, c.events)
			}
			return nil
		})
	}
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, c := range []struct{ sub, want string }{{"", "wal_own"}, {"sm_a", "wal_sub"}} {
			if w, ok, err := tx.WalletOf(ctx, asset.Test, c.sub, "user-1", "BTC"); err != nil || !ok || w.ID != c.want || w.SubMerchantID != c.sub {
				t.Errorf("WalletOf(%q, user-1, BTC) = %s/%q %v %v, want %s", c.sub, w.ID, w.SubMerchantID, ok, err, c.want)
			}
		}
		after, err := tx.EventsAfter(ctx, 0, 10)
		if err != nil {
			return err
		}
		for _, e := range after {
			if want := map[string]string{"evt_own": "", "evt_sub": "sm_a"}[e.ID]; e.SubMerchantID != want {
				t.Errorf("EventsAfter: %s in scope %q, want %q", e.ID, e.SubMerchantID, want)
			}
		}
		got, err := tx.GetPayout(ctx, asset.Test, "po_sub")
		if err == nil && got.SubMerchantID != "sm_a" {
			t.Errorf("po_sub's scope: %q", got.SubMerchantID)
		}
		return err
	})

	ep := endpoint("we_sub", asset.Test, t0)
	ep.SubMerchantID = "sm_a"
	k := apiKey("key_sub", asset.Test, "sk_test_subsecret0000", t0)
	k.SubMerchantID = "sm_a"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertEndpoint(ctx, ep); err != nil {
			return err
		}
		return tx.InsertAPIKey(ctx, k)
	})
	if got, err := getEndpoint(t, s, asset.Test, "we_sub"); err != nil || got.SubMerchantID != "sm_a" {
		t.Errorf("the endpoint's scope: %+v %v", got, err)
	}
	if got, err := keyByHash(t, s, k.Hash); err != nil || got.SubMerchantID != "sm_a" {
		t.Errorf("the key's scope: %+v %v", got, err)
	}
}
