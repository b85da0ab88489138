package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

var chainTests = []test{
	{"Chains_CursorAndBlockHashes", testCursorAndBlocks},
	{"Chains_TransferRecords", testTransferRecords},
	{"Chains_OpenTransfersAndTransfersAbove", testOpenAndAbove},
	{"Chains_FollowedTxs", testFollowedTxs},
}

func blockRef(height uint64, fork string) chains.BlockRef {
	return chains.BlockRef{Height: height, Hash: fmt.Sprintf("%s%060x", fork, height), Parent: fmt.Sprintf("%s%060x", fork, height-1)}
}

func blockHash(t *testing.T, s storage.Store, n chains.NetworkRef, height uint64) (string, bool) {
	t.Helper()
	return find(t, s, func(ctx context.Context, tx storage.Tx) (string, bool, error) { return tx.BlockHash(ctx, n, height) })
}

// testCursorAndBlockHashes checks the watcher's cursor (none before the first
// block), the hash SetCursor remembers per height, and ForgetBlocksAbove and
// ForgetBlocksBelow, each per network and mode.
func testCursorAndBlocks(t *testing.T, s storage.Store) {
	cursor := func(n chains.NetworkRef) (chains.BlockRef, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (chains.BlockRef, bool, error) { return tx.Cursor(ctx, n) })
	}
	if b, ok := cursor(btcTest); ok {
		t.Fatalf("Cursor of a fresh store: %+v", b)
	}
	// Heights beyond 32 bits: the suite's are far beyond any chain's today.
	const base = uint64(1) << 40
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for h := base; h <= base+5; h++ {
			if err := tx.SetCursor(ctx, btcTest, blockRef(h, "aa")); err != nil {
				return err
			}
		}
		return tx.SetCursor(ctx, btcLive, blockRef(base+1, "ff"))
	})
	if b, ok := cursor(btcTest); !ok || b.Height != base+5 || b.Hash != blockRef(base+5, "aa").Hash {
		t.Errorf("Cursor(bitcoin/test) = %+v, %v; want height %d", b, ok, base+5)
	}
	if b, ok := cursor(btcLive); !ok || b.Height != base+1 || b.Hash != blockRef(base+1, "ff").Hash {
		t.Errorf("Cursor(bitcoin/live) = %+v, %v", b, ok)
	}
	if b, ok := cursor(ethTest); ok {
		t.Errorf("Cursor(ethereum/test) = %+v; it has none", b)
	}
	for h := base; h <= base+5; h++ {
		if got, ok := blockHash(t, s, btcTest, h); !ok || got != blockRef(h, "aa").Hash {
			t.Errorf("BlockHash(%d) = %q, %v", h, got, ok)
		}
	}
	if got, ok := blockHash(t, s, btcLive, base); ok {
		t.Errorf("BlockHash(bitcoin/live, %d) = %q: that block was processed in test mode", base, got)
	}
	if got, ok := blockHash(t, s, btcTest, base+6); ok {
		t.Errorf("BlockHash above the cursor = %q", got)
	}

	// A reorg: the watcher forgets the blocks above the fork point and processes the
	// new branch; the cursor and the hashes follow it.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.ForgetBlocksAbove(ctx, btcTest, base+3); err != nil {
			return err
		}
		return tx.SetCursor(ctx, btcTest, blockRef(base+4, "bb"))
	})
	if b, ok := cursor(btcTest); !ok || b.Height != base+4 || b.Hash != blockRef(base+4, "bb").Hash {
		t.Errorf("Cursor after the reorg = %+v, %v", b, ok)
	}
	want := map[uint64]string{base + 3: blockRef(base+3, "aa").Hash, base + 4: blockRef(base+4, "bb").Hash, base + 5: ""}
	for h, w := range want {
		if got, ok := blockHash(t, s, btcTest, h); got != w || ok != (w != "") {
			t.Errorf("BlockHash(%d) after the reorg = %q, %v; want %q", h, got, ok, w)
		}
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ForgetBlocksBelow(ctx, btcTest, base+2) })
	for h := base; h <= base+4; h++ {
		_, ok := blockHash(t, s, btcTest, h)
		if ok != (h >= base+2) {
			t.Errorf("BlockHash(%d) after ForgetBlocksBelow(%d): found %v", h, base+2, ok)
		}
	}
	if _, ok := blockHash(t, s, btcLive, base+1); !ok {
		t.Error("forgetting test-mode blocks forgot a live-mode one")
	}
}

// testTransferRecords checks SaveTransfer (an upsert by network, mode, txid and
// index) and Transfer, with every field of a record: amounts beyond 64 bits, the
// indexes of our own transactions' records (near 2^32), a mempool record without a
// block, the payer's address (kept when a later save does not know it).
func testTransferRecords(t *testing.T, s storage.Store) {
	find := func(n chains.NetworkRef, txid string, index uint32) (chains.Record, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (chains.Record, bool, error) {
			return tx.Transfer(ctx, n, txid, index)
		})
	}
	if r, ok := find(bscTest, "0xdeposit", 7); ok {
		t.Fatalf("Transfer in a fresh store: %+v", r)
	}
	dep := record(bscTest, "USDT_BSC", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0xdeposit", 7, big30(), chains.StatusMempool, 0, t0)
	dep.From = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" // the payer, as the chain tells it
	out := record(btcTest, "BTC", "", "payout-tx", chains.OutIndex, n(0), chains.StatusMempool, 0, t0)
	out.Out = true
	conflict := record(btcTest, "BTC", "", "payout-tx", chains.ConflictIndex, n(0), chains.StatusConfirmed, 812_345, t0)
	conflict.Out, conflict.ConflictedBy = true, "double-spender"
	other := dep
	other.Network, other.Amount = chains.NetworkRef{ID: bscTest.ID, Mode: btcLive.Mode}, n(1)
	saveTransfers(t, s, dep, out, conflict, other)
	for _, want := range []chains.Record{dep, out, conflict, other} {
		got, ok := find(want.Network, want.TxID, want.Index)
		if !ok {
			t.Errorf("Transfer(%s, %s): not found", want.Network, want.Key())
			continue
		}
		sameJSON(t, "Transfer "+want.Key(), got, want)
	}

	// The watcher saves the same transfer again as it is mined and confirmed, and our
	// own transaction with the fee it paid and whether it reverted.
	dep.Status, dep.Confirmations, dep.Required = chains.StatusConfirming, 1, 15
	dep.Block = chains.BlockRef{Height: 48_000_000, Hash: "0x" + fmt.Sprintf("%064x", 48_000_000)}
	out.Status, out.Confirmations, out.Amount, out.Failed = chains.StatusConfirmed, 6, n(2_240), true
	out.Block = chains.BlockRef{Height: 812_345, Hash: fmt.Sprintf("%064x", 812_345)}
	again := dep
	again.From = "" // a later sighting that does not know the payer keeps the one known
	saveTransfers(t, s, again, out)
	for _, want := range []chains.Record{dep, out, other} {
		got, ok := find(want.Network, want.TxID, want.Index)
		if !ok {
			t.Errorf("Transfer(%s, %s): not found after the update", want.Network, want.Key())
			continue
		}
		sameJSON(t, "Transfer "+want.Key()+" after the update", got, want)
	}
	if r, ok := find(btcTest, "payout-tx", 0); ok {
		t.Errorf("Transfer(payout-tx:0) = %+v; only its out and conflict records exist", r)
	}
}

// testOpenAndAbove checks OpenTransfers (mempool and confirming records) and
// TransfersAbove (records in blocks above a height, neither in the mempool nor
// dropped), each for one network and mode.
func testOpenAndAbove(t *testing.T, s storage.Store) {
	rs := []chains.Record{
		record(btcTest, "BTC", "tb1qa0", "mempool", 0, n(1000), chains.StatusMempool, 0, t0),
		record(btcTest, "BTC", "tb1qa0", "confirming", 1, n(2000), chains.StatusConfirming, 105, at(time.Second)),
		record(btcTest, "BTC", "tb1qa0", "confirmed", 0, n(3000), chains.StatusConfirmed, 101, at(2*time.Second)),
		// An orphaned record keeps the block it was in: the watcher finds it above the fork point.
		record(btcTest, "BTC", "tb1qa0", "orphaned", 2, n(4000), chains.StatusOrphaned, 106, at(3*time.Second)),
		record(btcTest, "BTC", "tb1qa0", "dropped", 0, n(5000), chains.StatusDropped, 0, at(4*time.Second)),
		record(btcTest, "BTC", "tb1qa0", "at-100", 0, n(6000), chains.StatusConfirmed, 100, at(5*time.Second)),
		record(btcLive, "BTC", "bc1ql0", "live", 0, n(7000), chains.StatusConfirming, 105, t0),
		record(ethTest, "ETH", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "eth", 0, n(8000), chains.StatusMempool, 0, t0),
	}
	saveTransfers(t, s, rs...)
	keys := func(rs []chains.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.TxID)
		}
		sort.Strings(out)
		return out
	}
	open := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.Record, error) {
		return tx.OpenTransfers(ctx, btcTest)
	})
	if got := keys(open); !slices.Equal(got, []string{"confirming", "mempool"}) {
		t.Errorf("OpenTransfers(bitcoin/test) = %v", got)
	}
	for _, r := range open {
		if r.TxID == "confirming" {
			sameJSON(t, "OpenTransfers record", r, rs[1])
		}
	}
	if got := keys(get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.Record, error) {
		return tx.OpenTransfers(ctx, btcLive)
	})); !slices.Equal(got, []string{"live"}) {
		t.Errorf("OpenTransfers(bitcoin/live) = %v", got)
	}
	for _, c := range []struct {
		height uint64
		want   []string
	}{
		{99, []string{"at-100", "confirmed", "confirming", "orphaned"}},
		{100, []string{"confirmed", "confirming", "orphaned"}},
		{105, []string{"orphaned"}},
		{106, nil},
	} {
		above := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.Record, error) {
			return tx.TransfersAbove(ctx, btcTest, c.height)
		})
		if got := keys(above); !slices.Equal(got, c.want) {
			t.Errorf("TransfersAbove(bitcoin/test, %d) = %v, want %v", c.height, got, c.want)
		}
	}
}

// testFollowedTxs checks FollowTx, UnfollowTx and FollowedTxs: a followed transaction
// is loaded, with its inputs, until the time UnfollowTx gave has passed; following it
// again (a completed payout reorged out goes back to broadcast) follows it with no end
// and keeps its inputs.
func testFollowedTxs(t *testing.T, s storage.Store) {
	a := chains.Sent{TxID: "payout-a", Inputs: []chains.OutPoint{{TxID: "dep1", Index: 0}, {TxID: "dep2", Index: 4_000_000_000}}}
	b := chains.Sent{TxID: "payout-b", Inputs: []chains.OutPoint{{TxID: "dep3", Index: 1}}}
	c := chains.Sent{TxID: "0xevm-payout"} // an account chain's transaction spends no outputs
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, f := range []struct {
			n chains.NetworkRef
			s chains.Sent
		}{{btcTest, a}, {btcTest, b}, {ethTest, c}, {btcTest, a}} { // a twice: idempotent
			if err := tx.FollowTx(ctx, f.n, f.s); err != nil {
				return err
			}
		}
		return nil
	})
	followed := func(n chains.NetworkRef, now time.Time) map[string]chains.Sent {
		ss := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.Sent, error) { return tx.FollowedTxs(ctx, n, now) })
		m := map[string]chains.Sent{}
		for _, s := range ss {
			m[s.TxID] = s
		}
		if len(m) != len(ss) {
			t.Errorf("FollowedTxs(%s) returned a transaction twice: %+v", n, ss)
		}
		return m
	}
	got := followed(btcTest, t0)
	if len(got) != 2 {
		t.Fatalf("FollowedTxs(bitcoin/test) = %+v, want payout-a and payout-b", got)
	}
	sameJSON(t, "FollowedTxs payout-a", got["payout-a"], a)
	sameJSON(t, "FollowedTxs payout-b", got["payout-b"], b)
	if got := followed(ethTest, t0); len(got) != 1 || got[c.TxID].TxID != c.TxID || len(got[c.TxID].Inputs) != 0 {
		t.Errorf("FollowedTxs(ethereum/test) = %+v", got)
	}
	if got := followed(btcLive, t0); len(got) != 0 {
		t.Errorf("FollowedTxs(bitcoin/live) = %+v: followed in test mode only", got)
	}

	// payout-a confirmed deep enough: followed until an hour from now.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.UnfollowTx(ctx, btcTest, "payout-a", at(time.Hour))
	})
	for _, c := range []struct {
		now  time.Time
		want []string
	}{
		{t0, []string{"payout-a", "payout-b"}},
		{at(time.Hour - time.Microsecond), []string{"payout-a", "payout-b"}},
		{at(time.Hour + time.Microsecond), []string{"payout-b"}},
		{at(48 * time.Hour), []string{"payout-b"}},
	} {
		var ids []string
		for id := range followed(btcTest, c.now) {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if !slices.Equal(ids, c.want) {
			t.Errorf("FollowedTxs(bitcoin/test, t0%+v) = %v, want %v", c.now.Sub(t0), ids, c.want)
		}
	}
	// Reorged out: followed again, with no end. The payout engine follows it again by
	// its txid alone; the doc is silent on the inputs, and the watcher still needs
	// them to find a double-spend: storage/sqlite keeps the stored ones.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.FollowTx(ctx, btcTest, chains.Sent{TxID: "payout-a"})
	})
	got = followed(btcTest, at(48*time.Hour))
	if len(got) != 2 {
		t.Errorf("FollowedTxs after following payout-a again = %+v, want both", got)
	}
	sameJSON(t, "payout-a followed again", got["payout-a"], a)
}
