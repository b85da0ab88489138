package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
)

var refundTests = []test{
	{"Refund_InsertGetUpdateAndLookups", testRefundLookups},
	{"Refund_ListsAndExpiringClaims", testRefundLists},
	{"Refund_SetInvoiceRefunded", testSetInvoiceRefunded},
}

// newRefund returns a refund awaiting its address, every field set as the refund
// service sets it.
func newRefund(id, invoiceID string, m asset.Mode, created time.Time) *refund.Refund {
	exp := created.Add(30 * 24 * time.Hour)
	return &refund.Refund{ID: id, Object: "refund", Mode: m, Livemode: m == asset.Live, InvoiceID: invoiceID,
		Status: refund.StatusAwaitingAddress, Amount: dec("25.50"), Currency: "USD", Rate: refund.RateInvoice,
		FeePayer: refund.FeeCustomer, Asset: "BTC", RefundCurrency: "BTC", RefundNetwork: asset.Bitcoin,
		RefundAmount: dec("0.00039231"), Reason: "requested_by_customer", Description: "a café ☕ refund",
		Metadata: json.RawMessage(`{"ticket":"T-1"}`), ClaimPath: "/refunds/tok-" + id, ClaimExpiresAt: &exp,
		CreatedAt: created, UpdatedAt: created, ClaimToken: "tok-" + id}
}

// sameRefund compares refunds with the fields their JSON form leaves out.
func sameRefund(t *testing.T, what string, got, want *refund.Refund) {
	t.Helper()
	sameJSON(t, what, got, want)
	if got != nil && (got.Mode != want.Mode || got.ClaimToken != want.ClaimToken || got.RequestKey != want.RequestKey) {
		t.Errorf("%s: mode %q token %q key %q, want %q %q %q", what, got.Mode, got.ClaimToken, got.RequestKey, want.Mode, want.ClaimToken, want.RequestKey)
	}
}

func refundWith(t *testing.T, s storage.Store, find func(context.Context, storage.Tx) (*refund.Refund, error)) (*refund.Refund, error) {
	t.Helper()
	var r *refund.Refund
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		r, err = find(ctx, tx)
		return err
	})
	return r, err
}

// testRefundLookups: a refund comes back as stored by id, token, request key and
// payout, only in its own mode; an update moves every column it is found by.
func testRefundLookups(t *testing.T, s storage.Store) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	insertInvoices(t, s, newInvoice("inv_r1", asset.Test, now))
	r := newRefund("re_1", "inv_r1", asset.Test, now)
	r.RequestKey = "key-1"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertRefund(ctx, r) })
	finds := map[string]func(context.Context, storage.Tx) (*refund.Refund, error){
		"GetRefund": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.GetRefund(ctx, asset.Test, "re_1")
		},
		"RefundByToken": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.RefundByToken(ctx, "tok-re_1")
		},
		"RefundByRequestKey": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.RefundByRequestKey(ctx, asset.Test, "key-1")
		},
	}
	for name, find := range finds {
		got, err := refundWith(t, s, find)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameRefund(t, name, got, r)
	}
	for name, find := range map[string]func(context.Context, storage.Tx) (*refund.Refund, error){
		"GetRefund other mode": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.GetRefund(ctx, asset.Live, "re_1")
		},
		"RefundByRequestKey other mode": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.RefundByRequestKey(ctx, asset.Live, "key-1")
		},
		"RefundByToken empty": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) { return tx.RefundByToken(ctx, "") },
		"RefundByPayout none": func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
			return tx.RefundByPayout(ctx, "po_1")
		},
	} {
		if _, err := refundWith(t, s, find); !errors.Is(err, refund.ErrNotFound) {
			t.Errorf("%s: %v, want refund.ErrNotFound", name, err)
		}
	}
	po, tx := "po_1", "abcd"
	r.Status, r.PayoutID, r.TxHash, r.ClaimPath, r.UpdatedAt = refund.StatusProcessing, &po, &tx, "", now.Add(time.Minute)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateRefund(ctx, r) })
	got, err := refundWith(t, s, func(ctx context.Context, tx storage.Tx) (*refund.Refund, error) {
		return tx.RefundByPayout(ctx, "po_1")
	})
	if err != nil {
		t.Fatal(err)
	}
	sameRefund(t, "RefundByPayout after UpdateRefund", got, r)
	missing := newRefund("re_missing", "inv_r1", asset.Test, now)
	err = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error { return tx.UpdateRefund(ctx, missing) })
	if !errors.Is(err, refund.ErrNotFound) {
		t.Errorf("UpdateRefund of an unknown refund: %v", err)
	}
}

// testRefundLists: InvoiceRefunds (refunds and rebounds) in creation order,
// ListRefunds newest first with filters and pages, of refunds or of rebounds, ClaimsExpiring only of refunds awaiting an address whose link
// expired by then.
func testRefundLists(t *testing.T, s storage.Store) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	insertInvoices(t, s, newInvoice("inv_a", asset.Test, now), newInvoice("inv_b", asset.Test, now), newInvoice("inv_l", asset.Live, now))
	rs := []*refund.Refund{
		newRefund("re_a1", "inv_a", asset.Test, now),
		newRefund("re_a2", "inv_a", asset.Test, now.Add(time.Second)),
		newRefund("re_b1", "inv_b", asset.Test, now.Add(2*time.Second)),
		newRefund("re_l1", "inv_l", asset.Live, now.Add(3*time.Second)),
		newRefund("rb_a3", "inv_a", asset.Test, now.Add(4*time.Second)),
	}
	rs[4].Object, rs[4].Reason, rs[4].Status, rs[4].ClaimPath, rs[4].ClaimExpiresAt, rs[4].ClaimToken =
		refund.ObjectRebound, refund.ReboundOverpaid, refund.StatusRejected, "", nil, ""
	rs[1].Status, rs[1].ClaimPath = refund.StatusSucceeded, ""
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRefund(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	var inv []*refund.Refund
	var page []*refund.Refund
	var total, succeeded, rebounds int
	var rebound []*refund.Refund
	var expiring, early []*refund.Refund
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		if inv, err = tx.InvoiceRefunds(ctx, asset.Test, "inv_a"); err != nil {
			return err
		}
		if page, total, err = tx.ListRefunds(ctx, refund.ListParams{Mode: asset.Test, Page: 2, Limit: 2}); err != nil {
			return err
		}
		if _, succeeded, err = tx.ListRefunds(ctx, refund.ListParams{Mode: asset.Test, InvoiceID: "inv_a", Status: refund.StatusSucceeded, Page: 1, Limit: 10}); err != nil {
			return err
		}
		if rebound, rebounds, err = tx.ListRefunds(ctx, refund.ListParams{Mode: asset.Test, Object: refund.ObjectRebound, Page: 1, Limit: 10}); err != nil {
			return err
		}
		if expiring, err = tx.ClaimsExpiring(ctx, now.Add(31*24*time.Hour), 10); err != nil {
			return err
		}
		early, err = tx.ClaimsExpiring(ctx, now.Add(29*24*time.Hour), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rs []*refund.Refund) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(inv); len(got) != 3 || got[0] != "re_a1" || got[1] != "re_a2" || got[2] != "rb_a3" {
		t.Errorf("InvoiceRefunds (refunds and rebounds): %v", got)
	}
	if rebounds != 1 || len(rebound) != 1 {
		t.Errorf("ListRefunds of rebounds: %v of %d", ids(rebound), rebounds)
	} else {
		sameRefund(t, "a listed rebound", rebound[0], rs[4])
	}
	if got := ids(page); total != 3 || len(got) != 1 || got[0] != "re_a1" {
		t.Errorf("ListRefunds page 2 of 2: %v of %d", got, total)
	}
	if succeeded != 1 {
		t.Errorf("ListRefunds by invoice and status: %d", succeeded)
	}
	if got := ids(expiring); len(got) != 3 || got[0] != "re_a1" || got[1] != "re_b1" || got[2] != "re_l1" {
		t.Errorf("ClaimsExpiring: %v", got)
	}
	if len(early) != 0 {
		t.Errorf("ClaimsExpiring before any expired: %v", ids(early))
	}
}

// testSetInvoiceRefunded: the invoice comes back with its refunded amount and flag,
// everything else as it was; another mode's invoice is not found.
func testSetInvoiceRefunded(t *testing.T, s storage.Store) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	inv := newInvoice("inv_sr", asset.Test, now)
	insertInvoices(t, s, inv)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.SetInvoiceRefunded(ctx, asset.Test, inv.ID, dec("95.48"), true)
	})
	got, err := getInvoice(t, s, asset.Test, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	inv.AmountRefunded, inv.Refunded = dec("95.48"), true
	sameJSON(t, "invoice after SetInvoiceRefunded", got, inv)
	err = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return tx.SetInvoiceRefunded(ctx, asset.Live, inv.ID, dec("1"), false)
	})
	if !errors.Is(err, invoice.ErrNotFound) {
		t.Errorf("SetInvoiceRefunded in the other mode: %v", err)
	}
}
