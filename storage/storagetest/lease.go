package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/kassapay/kassa/storage"
)

var leaseTests = []test{
	{"Lease_OneHolderUntilExpiryOrRelease", testLeases},
}

// testLeases checks TryLease and ReleaseLease: a free lease is taken; its holder
// renews it; another holder cannot take it before it expires, and can after, or once
// it is released; releasing someone else's lease does nothing; leases are independent.
func testLeases(t *testing.T, s storage.Store) {
	try := func(name, holder string, ttl time.Duration) bool {
		var ok bool
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			ok, err = tx.TryLease(ctx, name, holder, ttl)
			return err
		})
		return ok
	}
	release := func(name, holder string) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReleaseLease(ctx, name, holder) })
	}
	const long = time.Hour
	if !try("watch:bitcoin:live", "a", long) {
		t.Fatal("a free lease was not taken")
	}
	if try("watch:bitcoin:live", "b", long) {
		t.Fatal("b took a lease a holds")
	}
	if !try("watch:bitcoin:live", "a", long) {
		t.Fatal("the holder could not renew its lease")
	}
	if !try("expiry", "b", long) {
		t.Fatal("another lease was not free")
	}
	release("watch:bitcoin:live", "b") // not b's: nothing happens
	if try("watch:bitcoin:live", "b", long) {
		t.Fatal("b took a's lease after releasing it in a's stead")
	}
	release("watch:bitcoin:live", "a")
	if !try("watch:bitcoin:live", "b", long) {
		t.Fatal("a released lease was not taken")
	}
	// A lease whose time has passed (taken here with a negative time, so the test
	// waits for no clock) is taken over by another holder.
	if !try("payouts", "a", -time.Second) {
		t.Fatal("a free lease was not taken")
	}
	if !try("payouts", "b", long) {
		t.Fatal("an expired lease was not taken over")
	}
	if try("payouts", "a", long) {
		t.Fatal("the old holder took back a lease b holds")
	}
}
