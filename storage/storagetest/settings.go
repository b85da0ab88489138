package storagetest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
)

var settingsTests = []test{
	{"Settings_SetOnce", testSettings},
	{"Stats_CountByStatus", testCountByStatus},
}

// testSettings checks Setting (ok false when none is stored) and SetSettingOnce,
// which stores a value only when there is none and reports whether it did: two
// instances starting on one database agree on the first value.
func testSettings(t *testing.T, s storage.Store) {
	setting := func(name string) ([]byte, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) ([]byte, bool, error) { return tx.Setting(ctx, name) })
	}
	if v, ok := setting("masterkey.check"); ok {
		t.Fatalf("Setting in a fresh store: %q", v)
	}
	check := []byte{0x6b, 0x00, 0xa5, 0xff, 0x01} // binary, with a NUL
	set := func(name string, v []byte) bool {
		var stored bool
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			stored, err = tx.SetSettingOnce(ctx, name, v)
			return err
		})
		return stored
	}
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.SetSettingOnce(ctx, "masterkey.check", []byte("rolled back")); err != nil {
			return err
		}
		return errors.New("crash before commit")
	})
	if !set("masterkey.check", check) {
		t.Fatal("SetSettingOnce of a new name reported it stored nothing (a rolled-back value is not a value)")
	}
	if set("masterkey.check", []byte("another key's check")) {
		t.Error("a second SetSettingOnce reported it stored its value")
	}
	if v, ok := setting("masterkey.check"); !ok || !bytes.Equal(v, check) {
		t.Errorf("Setting = %x, %v; want the first value %x", v, ok, check)
	}
	if !set("other", []byte("x")) {
		t.Error("SetSettingOnce of another name stored nothing")
	}
	if v, ok := setting("other"); !ok || string(v) != "x" {
		t.Errorf("Setting(other) = %q, %v", v, ok)
	}
}

// testCountByStatus checks CountByStatus: invoices (of every kind) and payouts, per
// mode and status, only the pairs that have any, and what a rolled-back transaction
// wrote is not counted.
func testCountByStatus(t *testing.T, s storage.Store) {
	count := func() map[storage.StatusCount]bool {
		cs := get(t, s, func(ctx context.Context, tx storage.Tx) ([]storage.StatusCount, error) { return tx.CountByStatus(ctx) })
		out := map[storage.StatusCount]bool{}
		for _, c := range cs {
			out[c] = true
		}
		return out
	}
	if got := count(); len(got) != 0 {
		t.Fatalf("a fresh store counts %v", got)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	paid := newInvoice("inv_c2", asset.Test, at)
	paid.Status = invoice.StatusPaid
	session := newInvoice("inv_c3", asset.Test, at)
	session.Kind = invoice.KindCheckoutSession
	insertInvoices(t, s, newInvoice("inv_c1", asset.Test, at), paid, session, newInvoice("inv_c4", asset.Live, at))
	done := newPayout("po_c2", asset.Test, at)
	done.Status = payout.StatusCompleted
	insertPayouts(t, s, newPayout("po_c1", asset.Test, at), done)
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertInvoice(ctx, newInvoice("inv_c5", asset.Live, at)); err != nil {
			return err
		}
		return errors.New("crash before commit")
	})
	want := map[storage.StatusCount]bool{
		{Kind: "invoice", Mode: asset.Test, Status: "pending", N: 2}:   true,
		{Kind: "invoice", Mode: asset.Test, Status: "paid", N: 1}:      true,
		{Kind: "invoice", Mode: asset.Live, Status: "pending", N: 1}:   true,
		{Kind: "payout", Mode: asset.Test, Status: "processing", N: 1}: true,
		{Kind: "payout", Mode: asset.Test, Status: "completed", N: 1}:  true,
	}
	if got := count(); !maps.Equal(got, want) {
		t.Fatalf("CountByStatus = %v, want %v", got, want)
	}
}
