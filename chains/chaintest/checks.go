package chaintest

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/chains"
)

// checkAddresses: addresses of the chain are valid and in their canonical spelling;
// addresses of other networks, with bad checksums or malformed are refused with an
// error wrapping chains.ErrInvalidAddress, by ValidateAddress and by the backend's
// Canonicalizer and Keyer when it has them.
func checkAddresses(t *testing.T, c *Chain) {
	if len(c.WrongNetwork) == 0 || len(c.BadChecksum) == 0 {
		t.Fatal("chaintest: Chain.WrongNetwork and Chain.BadChecksum need at least one address each")
	}
	canon, _ := c.Backend.(chains.Canonicalizer)
	keyer, _ := c.Backend.(chains.Keyer)
	for range 3 {
		a := c.Address()
		if err := c.Backend.ValidateAddress(a); err != nil {
			t.Errorf("ValidateAddress(%q): %v, want nil", a, err)
		}
		if canon != nil {
			if got, err := canon.CanonicalAddress(a); err != nil || got != a {
				t.Errorf("CanonicalAddress(%q) = %q, %v; want it unchanged", a, got, err)
			}
		}
		if keyer != nil {
			if _, ok := keyer.WatchKey(a); !ok {
				t.Errorf("WatchKey(%q) refused a valid address", a)
			}
		}
	}
	refused := []struct {
		why   string
		addrs []string
	}{
		{"of another network", c.WrongNetwork},
		{"with a bad checksum", c.BadChecksum},
		{"malformed", []string{"", "not an address", strings.Repeat("q", 200), " " + c.Address()}},
	}
	for _, r := range refused {
		for _, a := range r.addrs {
			if err := c.Backend.ValidateAddress(a); !errors.Is(err, chains.ErrInvalidAddress) {
				t.Errorf("ValidateAddress(%q), an address %s: %v, want an error wrapping chains.ErrInvalidAddress", a, r.why, err)
			}
			if canon != nil {
				if got, err := canon.CanonicalAddress(a); !errors.Is(err, chains.ErrInvalidAddress) {
					t.Errorf("CanonicalAddress(%q), an address %s: %q, %v; want an error wrapping chains.ErrInvalidAddress", a, r.why, got, err)
				}
			}
			if keyer != nil {
				if _, ok := keyer.WatchKey(a); ok {
					t.Errorf("WatchKey(%q) took an address %s", a, r.why)
				}
			}
		}
	}
}

// checkScan: the blocks mined after the tip link to it by their parent hashes; Scan
// reports a payment to a watched address exactly once, with its asset, amount and
// txid, and nothing for addresses not in the set; past the tip it says
// chains.ErrNoBlock. Through the watcher the payment is one record, and the payment to
// an unwatched address none.
func checkScan(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	watched, other := c.Address(), c.Address()
	e.w.Watch(watched)
	start := e.tip()
	paid, unwatched := c.amount(1), c.amount(2)
	txid := c.Pay(watched, paid)
	otherTx := c.Pay(other, unwatched)
	c.Mine(1)
	found := e.newBlocks(start, e.set(watched))
	if len(found) != 1 {
		t.Fatalf("the new blocks hold %d transfers to the watched address, want 1 (%s): %s", len(found), txid, transfers(found))
	}
	wantTransfer(t, found[0], c.Asset, watched, paid, txid)
	both := e.newBlocks(start, e.set(watched, other))
	if len(both) != 2 {
		t.Fatalf("with both addresses watched the new blocks hold %d transfers, want 2: %s", len(both), transfers(both))
	}
	for _, tr := range both {
		if tr.To == other {
			wantTransfer(t, tr, c.Asset, other, unwatched, otherTx)
		} else {
			wantTransfer(t, tr, c.Asset, watched, paid, txid)
		}
	}
	if none := e.newBlocks(start, e.set()); len(none) != 0 {
		t.Fatalf("with nothing watched the new blocks hold %s", transfers(none))
	}
	above := e.tip().Height + 1
	if _, err := c.Backend.Scan(e.ctx, above, e.set(watched)); !errors.Is(err, chains.ErrNoBlock) {
		t.Fatalf("Scan(%d) above the tip: %v, want chains.ErrNoBlock", above, err)
	}

	got := e.step()
	if len(got) != 1 {
		t.Fatalf("the watcher's step reported %d records, want the watched payment's only: %s", len(got), records(got))
	}
	wantPayment(t, got[0], c.Asset, watched, paid, txid)
	e.wantOnChain(got[0])
	if again := e.step(); len(again) != 0 {
		t.Fatalf("a step with nothing new reported %s", records(again))
	}
	if recs := e.stored(byTx(txid)); len(recs) != 1 {
		t.Fatalf("%d stored records of the payment, want 1: %s", len(recs), records(recs))
	}
	if recs := e.stored(byTx(otherTx)); len(recs) != 0 {
		t.Fatalf("the payment to an unwatched address was stored: %s", records(recs))
	}
}

// newBlocks scans the blocks above start, which Tip gave before, up to the tip, with
// watch, and returns their transfers. Each block must be the one Tip said at its
// height, link to the block below by its parent hash, and its transfers say they are
// in it.
func (e *env) newBlocks(start chains.BlockRef, watch chains.AddressSet) []chains.Transfer {
	e.t.Helper()
	tip := e.tip()
	if tip.Height <= start.Height {
		e.t.Fatalf("after Mine(1) the tip is %d, it was %d", tip.Height, start.Height)
	}
	prev := e.scan(start.Height, e.set()).Ref
	if prev.Height != start.Height || prev.Hash != start.Hash || prev.Parent != start.Parent {
		e.t.Fatalf("Scan(%d) is block %+v; Tip said %+v", start.Height, prev, start)
	}
	var found []chains.Transfer
	for h := start.Height + 1; h <= tip.Height; h++ {
		b := e.scan(h, watch)
		if b.Ref.Height != h || b.Ref.Parent != prev.Hash || b.Ref.Hash == "" {
			e.t.Fatalf("Scan(%d) is block %+v, whose parent is not block %d %s", h, b.Ref, h-1, prev.Hash)
		}
		for _, tr := range b.Transfers {
			if tr.Block.Height != h || tr.Block.Hash != b.Ref.Hash {
				e.t.Fatalf("a transfer of block %d %s says it is in block %d %s", h, b.Ref.Hash, tr.Block.Height, tr.Block.Hash)
			}
		}
		found = append(found, b.Transfers...)
		prev = b.Ref
	}
	if prev.Hash != tip.Hash || prev.Parent != tip.Parent {
		e.t.Fatalf("Scan(%d) is block %+v; Tip said %+v", tip.Height, prev, tip)
	}
	return found
}

// checkConfirmations: a payment is seen in the mempool (when the backend has one),
// then counts one confirmation per block until the required number, where it is
// confirmed; it does not change after that, and it is one stored record.
func checkConfirmations(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	addr := c.Address()
	e.w.Watch(addr)
	paid := c.amount(3)
	start := e.tip()
	txid := c.Pay(addr, paid)
	e.wantPending(addr, paid, txid)
	r := e.mined(txid)
	wantPayment(t, r, c.Asset, addr, paid, txid)
	if r.Block.Height <= start.Height {
		t.Fatalf("the payment is recorded in block %d, mined before it (the tip was %d)", r.Block.Height, start.Height)
	}
	r = e.untilConfirmed(r, func(rs []chains.Record) []chains.Record { return payments(rs, txid) })
	recs := e.wantSettled(txid, "a confirmed payment changed again", chains.StatusConfirmed, required)
	if recs[0].Block.Hash != r.Block.Hash {
		t.Fatalf("stored in block %s, confirmed in %s", recs[0].Block.Hash, r.Block.Hash)
	}
}

// wantPending fails unless the unconfirmed payment txid of amount to addr is reported
// as such, by Pending and by the watcher's step, when the backend has a mempool, and
// not at all otherwise. It returns the step's record of it.
func (e *env) wantPending(addr string, amount *big.Int, txid string) chains.Record {
	e.t.Helper()
	mp, ok := e.c.Backend.(chains.Mempool)
	got := payments(e.step(), txid)
	if !ok {
		if len(got) != 0 {
			e.t.Fatalf("a backend without a mempool reported an unconfirmed payment: %s", records(got))
		}
		return chains.Record{}
	}
	if len(got) != 1 {
		e.t.Fatalf("the step after the payment reported %s, want it in the mempool", records(got))
	}
	wantPayment(e.t, got[0], e.c.Asset, addr, amount, txid)
	wantStatus(e.t, got[0], chains.StatusMempool, 0)
	pending, err := mp.Pending(e.ctx, e.set(addr))
	if err != nil {
		e.t.Fatalf("Pending: %v", err)
	}
	if len(pending) != 1 {
		e.t.Fatalf("Pending reported %d transfers, want the payment only: %s", len(pending), transfers(pending))
	}
	wantTransfer(e.t, pending[0], e.c.Asset, addr, amount, txid)
	if pending[0].Block != (chains.BlockRef{}) {
		e.t.Fatalf("a mempool transfer has block %+v, want none", pending[0].Block)
	}
	if none, err := mp.Pending(e.ctx, e.set()); err != nil || len(none) != 0 {
		e.t.Fatalf("Pending with nothing watched: %s, %v", transfers(none), err)
	}
	return got[0]
}

// checkReorgOrphans: a payment whose block is replaced by a longer branch without it
// (the watcher sees the new branch only once it is longer: a block whose parent is not
// the block it processed) is orphaned, and stays orphaned while that branch grows.
func checkReorgOrphans(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	addr := c.Address()
	e.w.Watch(addr)
	txid := c.Pay(addr, c.amount(4))
	r := e.mined(txid)
	tip := e.tip()
	depth := e.disconnect(r)
	c.Drop(txid)
	c.Mine(depth + 1)
	if now := e.tip(); now.Height <= tip.Height {
		t.Fatalf("after Mine(%d) the new branch ends at %d, not above the old tip %d", depth+1, now.Height, tip.Height)
	}
	got := payments(e.step(), txid)
	if len(got) != 1 {
		t.Fatalf("after a longer branch without it replaced its block, the step reported %s, want the payment orphaned", records(got))
	}
	wantSame(t, got[0], r)
	wantStatus(t, got[0], chains.StatusOrphaned, 0)
	e.wantSettled(txid, "an orphaned payment changed while the branch without it grew", chains.StatusOrphaned, 0)
}

// checkReorgMinedAgain: a payment whose block leaves the chain is orphaned at once, the
// tip being lower (and back in the mempool when the backend has one); mined again in
// the new branch it is the same record, confirmed in its new block, never a second one.
func checkReorgMinedAgain(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	addr := c.Address()
	e.w.Watch(addr)
	txid := c.Pay(addr, c.amount(5))
	r := e.mined(txid)
	depth := e.disconnect(r)
	got := payments(e.step(), txid)
	want := []chains.Status{chains.StatusOrphaned}
	if e.hasMempool() {
		want = append(want, chains.StatusMempool) // back in the mempool, as the harness says
	}
	if len(got) != len(want) {
		t.Fatalf("after its block left the chain the step reported %s, want %v", records(got), want)
	}
	for i, g := range got {
		wantSame(t, g, r)
		wantStatus(t, g, want[i], 0)
	}
	c.Mine(depth + 1)
	got = payments(e.step(), txid)
	if len(got) != 1 {
		t.Fatalf("after the payment was mined again the step reported %s, want it mined", records(got))
	}
	again := got[0]
	wantSame(t, again, r)
	if again.Block.Hash == r.Block.Hash {
		t.Fatalf("mined again in block %s, the block that left the chain", r.Block.Hash)
	}
	e.wantOnChain(again)
	again = e.untilConfirmed(again, func(rs []chains.Record) []chains.Record { return payments(rs, txid) })
	recs := e.stored(byTx(txid))
	if len(recs) != 1 {
		t.Fatalf("%d stored records of a payment mined twice, want 1: %s", len(recs), records(recs))
	}
	wantStatus(t, recs[0], chains.StatusConfirmed, required)
	if recs[0].Block.Hash != again.Block.Hash {
		t.Fatalf("stored in block %s, mined again in %s", recs[0].Block.Hash, again.Block.Hash)
	}
}

// checkDropped: a payment in the mempool that leaves it without being mined (a
// double-spend, a replacement) is dropped, and stays so when blocks are mined.
func checkDropped(t *testing.T, c *Chain) {
	e := newEnv(t, c)
	addr := c.Address()
	e.w.Watch(addr)
	paid := c.amount(6)
	txid := c.Pay(addr, paid)
	seen := e.wantPending(addr, paid, txid)
	c.Drop(txid)
	got := payments(e.step(), txid)
	if len(got) != 1 {
		t.Fatalf("the step after the payment left the mempool reported %s, want it dropped", records(got))
	}
	wantSame(t, got[0], seen)
	wantStatus(t, got[0], chains.StatusDropped, 0)
	e.wantSettled(txid, "a dropped payment changed when a block was mined", chains.StatusDropped, 0)
}

// pushTimeout bounds the wait for a pushed block (a real node on a busy machine).
const pushTimeout = 30 * time.Second

// checkNewBlocks: a subscription pushes the block mined after it, and its channel
// closes when its context ends.
func checkNewBlocks(t *testing.T, c *Chain) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := c.Backend.(chains.Notifier).NewBlocks(ctx)
	if err != nil {
		t.Fatalf("NewBlocks: %v", err)
	}
	c.Mine(1)
	tip, err := c.Backend.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(pushTimeout)
	for pushed := false; !pushed; {
		select {
		case ref, ok := <-ch:
			switch {
			case !ok:
				t.Fatal("the channel closed before the new block was pushed")
			case ref.Height > tip.Height:
				t.Fatalf("pushed block %d, above the tip %d", ref.Height, tip.Height)
			case ref.Height == tip.Height && ref.Hash != "" && ref.Hash != tip.Hash:
				t.Fatalf("pushed block %d %s, the tip is %s", ref.Height, ref.Hash, tip.Hash)
			}
			pushed = ref.Height == tip.Height
		case <-timeout:
			t.Fatalf("block %d was not pushed within %s", tip.Height, pushTimeout)
		}
	}
	cancel()
	timeout = time.After(pushTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("the channel was not closed within %s of its context's end", pushTimeout)
		}
	}
}
