package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/storage"
)

var sharedTests = []test{
	{"Listener_DeliversCommittedChangesOnly", testListener},
	{"RateLimiter_BucketsAreExact", testRateLimiter},
}

// unwrap returns the backend's own store under the suite's recording proxy, whose
// other interfaces the proxy hides.
func unwrap(s storage.Store) storage.Store {
	if r, ok := s.(recordingStore); ok {
		return r.Store
	}
	return s
}

// testListener checks storage.Listener, for stores that implement it: a watched
// address, a followed transaction and an event, committed by a transaction, are
// delivered, before a mark sent after the commit; nothing from a transaction that
// rolled back is.
func testListener(t *testing.T, s storage.Store) {
	l, ok := unwrap(s).(storage.Listener)
	if !ok {
		t.Skip("the store is not shared by several instances (no storage.Listener)")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := l.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.WatchAddress(ctx, n, "tb1qrolledback", "inv_rolled"); err != nil {
			return err
		}
		return context.Canceled // rolled back
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.WatchAddress(ctx, n, "tb1qwatched", "inv_1"); err != nil {
			return err
		}
		if err := tx.FollowTx(ctx, n, chains.Sent{TxID: "f00d", Inputs: []chains.OutPoint{{TxID: "beef", Index: 1}}}); err != nil {
			return err
		}
		_, err := tx.InsertEvent(ctx, newEvent("evt_listen", event.InvoiceCreated, asset.Test, "inv_1", t0))
		return err
	})
	// A mark sent after the commit comes after its changes.
	if err := l.Mark(t.Context(), "mark-1"); err != nil {
		t.Fatal(err)
	}
	want := map[storage.Change]bool{
		{Kind: storage.ChangeWatch, Network: n, Value: "tb1qwatched"}: true,
		{Kind: storage.ChangeFollow, Network: n, Value: "f00d"}:       true,
		{Kind: storage.ChangeEvent}:                                   true,
		{Kind: storage.ChangeMark, Value: "mark-1"}:                   true,
	}
	timeout := time.After(30 * time.Second) // a bound on a broken store, not a wait for time
	for len(want) > 0 {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("the channel closed before the changes came")
			}
			if c.Kind == storage.ChangeEvent {
				c.Value, c.Network = "", chains.NetworkRef{}
			}
			if c.Value == "tb1qrolledback" {
				t.Fatal("a change of a rolled-back transaction was delivered")
			}
			if c.Kind == storage.ChangeReset {
				continue
			}
			if !want[c] {
				t.Fatalf("unexpected change %+v", c)
			}
			delete(want, c)
			if c.Kind == storage.ChangeMark && len(want) > 0 {
				t.Fatalf("the mark came before changes committed earlier: %v", want)
			}
		case <-timeout:
			t.Fatalf("changes never delivered: %v", want)
		}
	}
	cancel()
	for range ch { // closed when ctx ends
	}
}

// testRateLimiter checks storage.RateLimiter, for stores that implement it: a new
// bucket holds burst tokens, then refuses with a retry time, per key.
func testRateLimiter(t *testing.T, s storage.Store) {
	rl, ok := unwrap(s).(storage.RateLimiter)
	if !ok {
		t.Skip("the store is not shared by several instances (no storage.RateLimiter)")
	}
	take := func(key string) storage.Bucket {
		b, err := rl.Take(t.Context(), key, 3600, 3) // one token a second
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i := range 3 {
		b := take("ip:192.0.2.1")
		if !b.OK || b.Remaining != 2-i || b.Full <= 0 || b.Full > time.Duration(i+1)*time.Second {
			t.Fatalf("token %d of a burst of 3: %+v", i+1, b)
		}
	}
	b := take("ip:192.0.2.1")
	if b.OK || b.Remaining != 0 || b.Retry <= 0 || b.Retry > time.Second {
		t.Fatalf("fourth token: %+v; want refused, retry within a second", b)
	}
	if b := take("ip:192.0.2.2"); !b.OK || b.Remaining != 2 {
		t.Fatalf("another key's bucket: %+v", b)
	}
	for _, bad := range [][2]int{{0, 3}, {3600, 0}, {-1, 3}} {
		if _, err := rl.Take(t.Context(), "ip:192.0.2.3", bad[0], bad[1]); err == nil {
			t.Fatalf("a limit of %d an hour with a burst of %d was taken", bad[0], bad[1])
		}
	}
	if b := take("ip:192.0.2.3"); !b.OK || b.Remaining != 2 { // the refused calls took nothing
		t.Fatalf("after refused calls: %+v", b)
	}
}
