package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
)

var keysTests = []test{
	{"Index_SequentialPerFamilyAndMode", testIndexSequential},
	{"Index_RollbackDoesNotConsume", testIndexRollback},
	{"Index_ConcurrentAreUnique", testIndexConcurrent},
	{"Index_BlocksAreConsecutiveAndNeverOverlap", testIndexBlocks},
	{"Keys_AddressBook", testAddressBook},
}

func allocate(t *testing.T, s storage.Store, f asset.Family, m asset.Mode) uint32 {
	t.Helper()
	var i uint32
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		i, err = tx.AllocateIndex(ctx, f, m)
		return err
	})
	return i
}

func testIndexSequential(t *testing.T, s storage.Store) {
	for want := uint32(0); want < 3; want++ {
		if got := allocate(t, s, asset.FamilyEVM, asset.Test); got != want {
			t.Fatalf("evm/test index %d, want %d", got, want)
		}
	}
	if got := allocate(t, s, asset.FamilyEVM, asset.Live); got != 0 {
		t.Fatalf("evm/live starts at %d", got)
	}
	if got := allocate(t, s, asset.FamilyBTC, asset.Test); got != 0 {
		t.Fatalf("btc/test starts at %d", got)
	}
	if got := allocate(t, s, asset.FamilyEVM, asset.Test); got != 3 {
		t.Fatalf("evm/test continues at %d, want 3", got)
	}
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.AllocateIndex(ctx, asset.FamilyEVM, "prod")
		return err
	})
	if err == nil {
		t.Fatal("bad mode accepted")
	}
}

func testIndexRollback(t *testing.T, s storage.Store) {
	allocate(t, s, asset.FamilyBTC, asset.Live)
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.AllocateIndex(ctx, asset.FamilyBTC, asset.Live); err != nil {
			return err
		}
		return errors.New("invoice validation failed")
	})
	if got := allocate(t, s, asset.FamilyBTC, asset.Live); got != 1 {
		t.Fatalf("after rollback got index %d, want 1 (the rolled-back one was not used)", got)
	}
}

func testIndexConcurrent(t *testing.T, s storage.Store) {
	const workers, each = 8, 40
	seen := takeConcurrently(t, s, workers, each, func(ctx context.Context, tx storage.Tx) (uint32, error) {
		return tx.AllocateIndex(ctx, asset.FamilyTron, asset.Live)
	})
	for i := range uint32(workers * each) {
		if seen[i] != 1 {
			t.Fatalf("index %d handed out %d times", i, seen[i])
		}
	}
}

// takeConcurrently runs take in workers x each read-write transactions, workers at a
// time, and counts how often each value came back.
func takeConcurrently[T comparable](t *testing.T, s storage.Store, workers, each int, take func(context.Context, storage.Tx) (T, error)) map[T]int {
	t.Helper()
	var mu sync.Mutex
	seen := map[T]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				var v T
				err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
					var err error
					v, err = take(ctx, tx)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return seen
}

// pubKey returns a 33-byte compressed public key shape, distinct per seed.
func pubKey(seed byte) []byte {
	k := make([]byte, 33)
	k[0] = 0x02
	for i := 1; i < len(k); i++ {
		k[i] = seed ^ byte(i*7)
	}
	return k
}

// testAddressBook checks RecordAddress (idempotent) and LookupAddress, which finds an
// address only in its own family and mode.
func testAddressBook(t *testing.T, s storage.Store) {
	recv := keys.Address{Family: asset.FamilyBTC, Mode: asset.Test, Branch: keys.Receive, Index: 7,
		Encoded: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", PubKey: pubKey(1)}
	change := keys.Address{Family: asset.FamilyBTC, Mode: asset.Test, Branch: keys.Change, Index: keys.MaxIndex,
		Encoded: "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", PubKey: pubKey(2)}
	evm := keys.Address{Family: asset.FamilyEVM, Mode: asset.Live, Branch: keys.Receive, Index: 0,
		Encoded: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", PubKey: pubKey(3)}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, a := range []keys.Address{recv, change, evm, recv} { // recv twice: idempotent
			if err := tx.RecordAddress(ctx, a); err != nil {
				return fmt.Errorf("RecordAddress %s: %w", a.Encoded, err)
			}
		}
		return nil
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.RecordAddress(ctx, recv) })
	lookup := func(f asset.Family, m asset.Mode, encoded string) (keys.Address, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (keys.Address, bool, error) {
			return tx.LookupAddress(ctx, f, m, encoded)
		})
	}
	for _, want := range []keys.Address{recv, change, evm} {
		got, ok := lookup(want.Family, want.Mode, want.Encoded)
		if !ok {
			t.Errorf("LookupAddress(%s): not found", want.Encoded)
			continue
		}
		sameJSON(t, "LookupAddress "+want.Encoded, got, want)
	}
	for _, c := range []struct {
		f       asset.Family
		m       asset.Mode
		encoded string
	}{
		{asset.FamilyBTC, asset.Live, recv.Encoded},         // other mode
		{asset.FamilyLTC, asset.Test, recv.Encoded},         // other family
		{asset.FamilyEVM, asset.Test, evm.Encoded},          // other mode
		{asset.FamilyBTC, asset.Test, "tb1qunknownaddress"}, // never recorded
	} {
		if a, ok := lookup(c.f, c.m, c.encoded); ok {
			t.Errorf("LookupAddress(%s, %s, %s) found %+v", c.f, c.m, c.encoded, a)
		}
	}
}

// AllocateIndexes takes a block of consecutive indexes from the same sequence as
// AllocateIndex: blocks and single indexes never overlap, a block of 0 is refused, and a
// rolled-back block is not consumed.
func testIndexBlocks(t *testing.T, s storage.Store) {
	block := func(n uint32) (uint32, error) {
		var first uint32
		err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			first, err = tx.AllocateIndexes(ctx, asset.FamilyBTC, asset.Test, n)
			return err
		})
		return first, err
	}
	if got := allocate(t, s, asset.FamilyBTC, asset.Test); got != 0 {
		t.Fatalf("first index %d", got)
	}
	if first, err := block(16); err != nil || first != 1 {
		t.Fatalf("block of 16 = %d, %v; want 1", first, err)
	}
	if got := allocate(t, s, asset.FamilyBTC, asset.Test); got != 17 {
		t.Fatalf("after a block of 16 from 1: %d, want 17", got)
	}
	if _, err := block(0); err == nil {
		t.Fatal("a block of 0 indexes was accepted")
	}
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.AllocateIndexes(ctx, asset.FamilyBTC, asset.Test, 5); err != nil {
			return err
		}
		return errors.New("rolled back")
	})
	if first, err := block(3); err != nil || first != 18 {
		t.Fatalf("block after a rolled-back one = %d, %v; want 18", first, err)
	}
	if first, err := block(keys.MaxIndex); !errors.Is(err, keys.ErrIndexExhausted) {
		t.Fatalf("a block past MaxIndex = %d, %v; want ErrIndexExhausted", first, err)
	}
	if got := allocate(t, s, asset.FamilyBTC, asset.Test); got != 21 {
		t.Fatalf("after the refused block: %d, want 21 (nothing taken)", got)
	}
}
