package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/storage"
)

var conversionTests = []test{
	{"Conversion_InsertGetUpdate", testConversions},
	{"Conversion_ListFiltersAndPages", testListConversions},
	{"Conversion_PendingOldestUpdateFirst", testPendingConversions},
}

// conv returns a pending conversion with every field set as the service stores it.
func conv(id string, m asset.Mode, sub, key string, created time.Time) conversion.Conversion {
	return conversion.Conversion{ID: id, Mode: m, SubMerchantID: sub, From: "BTC", To: "USDT_TRON", Amount: dec("0.12345678"),
		Rate: dec("0"), Received: dec("0"), Fee: dec("0"), Status: conversion.StatusPending, RequestKey: key,
		CreatedAt: created, UpdatedAt: created}
}

func insertConversions(t *testing.T, s storage.Store, cs ...conversion.Conversion) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, c := range cs {
			if err := tx.InsertConversion(ctx, c); err != nil {
				return fmt.Errorf("%s: %w", c.ID, err)
			}
		}
		return nil
	})
}

// testConversions checks InsertConversion and GetConversion (every field back,
// decimals exact; nothing for an unknown id or one of the other mode),
// ConversionByRequestKey (a key is unique in its mode, may repeat across modes, ""
// never found), ErrDuplicate for a request key taken (nothing written), and
// UpdateConversion (status, rate, received, fee, reason, updated time; never the
// other mode's).
func testConversions(t *testing.T, s storage.Store) {
	a := conv("cv_a", asset.Test, "", "key-1", t0)
	b := conv("cv_b", asset.Test, "sm_1", "", at(time.Minute))
	l := conv("cv_l", asset.Live, "", "key-1", t0) // the same key in the other mode
	insertConversions(t, s, a, b, l)
	for _, want := range []conversion.Conversion{a, b, l} {
		got, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (conversion.Conversion, bool, error) {
			return tx.GetConversion(ctx, want.Mode, want.ID)
		})
		if !ok {
			t.Fatalf("GetConversion(%s): none", want.ID)
		}
		sameJSON(t, "GetConversion "+want.ID, got, want)
		if got.RequestKey != want.RequestKey || !got.Amount.Equal(want.Amount) {
			t.Errorf("%s: request key %q amount %s, want %q and %s", want.ID, got.RequestKey, got.Amount, want.RequestKey, want.Amount)
		}
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "cv_a"}, {asset.Test, "cv_l"}, {asset.Test, "cv_unknown"}} {
		if got, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (conversion.Conversion, bool, error) {
			return tx.GetConversion(ctx, c.m, c.id)
		}); ok {
			t.Errorf("GetConversion(%s, %s) = %+v, want none", c.m, c.id, got)
		}
	}
	byKey := func(m asset.Mode, key string) (conversion.Conversion, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (conversion.Conversion, bool, error) {
			return tx.ConversionByRequestKey(ctx, m, key)
		})
	}
	if got, ok := byKey(asset.Test, "key-1"); !ok || got.ID != "cv_a" {
		t.Errorf("ConversionByRequestKey(test, key-1) = %s, %v; want cv_a", got.ID, ok)
	}
	if got, ok := byKey(asset.Live, "key-1"); !ok || got.ID != "cv_l" {
		t.Errorf("ConversionByRequestKey(live, key-1) = %s, %v; want cv_l", got.ID, ok)
	}
	if got, ok := byKey(asset.Test, ""); ok {
		t.Errorf("ConversionByRequestKey with no key found %s", got.ID)
	}
	dup := conv("cv_dup", asset.Test, "", "key-1", at(time.Hour))
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertConversion(ctx, dup) }); !errors.Is(err, conversion.ErrDuplicate) {
		t.Errorf("a second conversion with key-1: %v, want ErrDuplicate", err)
	}
	if got, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (conversion.Conversion, bool, error) {
		return tx.GetConversion(ctx, asset.Test, "cv_dup")
	}); ok {
		t.Errorf("the refused conversion was stored: %+v", got)
	}
	done := a
	done.Status, done.Rate, done.Received, done.Fee, done.UpdatedAt = conversion.StatusCompleted, dec("65000.123456789012345678"),
		dec("8024.691357"), dec("0.5"), at(2*time.Minute)
	failed := b
	failed.Status, failed.FailureReason, failed.UpdatedAt = conversion.StatusFailed, "the exchange refused ☕", at(3*time.Minute)
	wrongMode := l
	wrongMode.Mode = asset.Test // cv_l is live: an update in test mode reaches nothing
	wrongMode.ID = "cv_l"
	wrongMode.Status = conversion.StatusFailed
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, c := range []conversion.Conversion{done, failed, wrongMode} {
			if err := tx.UpdateConversion(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []conversion.Conversion{done, failed, l} {
		got, _ := find(t, s, func(ctx context.Context, tx storage.Tx) (conversion.Conversion, bool, error) {
			return tx.GetConversion(ctx, want.Mode, want.ID)
		})
		sameJSON(t, "after UpdateConversion "+want.ID, got, want)
	}
}

// testListConversions checks ListConversions: newest first (created_at, then id),
// the total of all that match, the sub-merchant filter ("" the operator's own, nil
// every scope), the status filter, pages, and never the other mode's.
func testListConversions(t *testing.T, s storage.Store) {
	var all []conversion.Conversion
	for i := range 5 {
		sub := ""
		if i%2 == 1 {
			sub = "sm_1"
		}
		c := conv(fmt.Sprintf("cv_%d", i), asset.Test, sub, "", at(time.Duration(i)*time.Minute))
		if i == 4 {
			c.Status = conversion.StatusFailed
		}
		all = append(all, c)
	}
	same := conv("cv_5", asset.Test, "", "", at(4*time.Minute)) // created with cv_4: the id orders them
	all = append(all, same)
	insertConversions(t, s, all...)
	insertConversions(t, s, conv("cv_live", asset.Live, "", "", at(time.Hour)))
	list := func(p conversion.ListParams) ([]string, int) {
		t.Helper()
		var ids []string
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			cs, n, err := tx.ListConversions(ctx, p)
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			total = n
			return err
		})
		return ids, total
	}
	check := func(what string, p conversion.ListParams, wantTotal int, want ...string) {
		t.Helper()
		got, total := list(p)
		if fmt.Sprint(got) != fmt.Sprint(want) || total != wantTotal {
			t.Errorf("%s: %v (total %d), want %v (total %d)", what, got, total, want, wantTotal)
		}
	}
	check("every scope", conversion.ListParams{Mode: asset.Test, Page: 1, Limit: 10}, 6, "cv_5", "cv_4", "cv_3", "cv_2", "cv_1", "cv_0")
	check("page 2 of 4", conversion.ListParams{Mode: asset.Test, Page: 2, Limit: 4}, 6, "cv_1", "cv_0")
	check("the operator's own", conversion.ListParams{Mode: asset.Test, SubMerchantID: ptr(""), Page: 1, Limit: 10}, 4, "cv_5", "cv_4", "cv_2", "cv_0")
	check("sm_1's", conversion.ListParams{Mode: asset.Test, SubMerchantID: ptr("sm_1"), Page: 1, Limit: 10}, 2, "cv_3", "cv_1")
	check("failed", conversion.ListParams{Mode: asset.Test, Status: conversion.StatusFailed, Page: 1, Limit: 10}, 1, "cv_4")
	check("live", conversion.ListParams{Mode: asset.Live, Page: 1, Limit: 10}, 1, "cv_live")
}

// testPendingConversions checks PendingConversions: only pending ones, of both
// modes, last updated strictly before the bound, oldest update first, at most limit.
func testPendingConversions(t *testing.T, s storage.Store) {
	old := conv("cv_old", asset.Live, "", "", t0)
	mid := conv("cv_mid", asset.Test, "sm_1", "", at(time.Minute))
	edge := conv("cv_edge", asset.Test, "", "", at(2*time.Minute)) // updated exactly at the bound: not yet
	done := conv("cv_done", asset.Test, "", "", t0)
	done.Status = conversion.StatusCompleted
	insertConversions(t, s, edge, done, mid, old)
	pending := func(before time.Time, limit int) []string {
		t.Helper()
		cs := get(t, s, func(ctx context.Context, tx storage.Tx) ([]conversion.Conversion, error) {
			return tx.PendingConversions(ctx, before, limit)
		})
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := fmt.Sprint(pending(at(2*time.Minute), 10)); got != "[cv_old cv_mid]" {
		t.Errorf("PendingConversions before t0+2m: %s, want [cv_old cv_mid]", got)
	}
	if got := fmt.Sprint(pending(at(time.Hour), 1)); got != "[cv_old]" {
		t.Errorf("PendingConversions limit 1: %s, want [cv_old]", got)
	}
	// Touching the oldest moves it behind the others.
	old.UpdatedAt = at(3 * time.Minute)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateConversion(ctx, old) })
	if got := fmt.Sprint(pending(at(time.Hour), 10)); got != "[cv_mid cv_edge cv_old]" {
		t.Errorf("after touching cv_old: %s, want [cv_mid cv_edge cv_old]", got)
	}
}
