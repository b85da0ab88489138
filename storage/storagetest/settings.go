package storagetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kassapay/kassa/storage"
)

var settingsTests = []test{
	{"Settings_SetOnce", testSettings},
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
