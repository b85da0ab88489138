package payout_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
)

// payoutEvents counts the events of payout id by type.
func payoutEvents(t *testing.T, g *kassa.Gateway, id string) map[string]int {
	t.Helper()
	evs, _, err := g.Events(context.Background(), asset.Test, "", nil, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range evs {
		if e.ObjectID == id {
			n[string(e.Type)]++
		}
	}
	return n
}

// TestPayout_BTCPayoutReorgedOutAfterCompletionCompletesOnce (issue 15): a completed
// payout whose block a reorg takes away goes back to broadcast (its money stays booked
// as paid: the same signed transaction is still valid), is sent again when the
// watcher does not see it, and completes once more when the new branch mines it; the
// recipient is paid once and the ledger books it once.
func TestPayout_BTCPayoutReorgedOutAfterCompletionCompletesOnce(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	dest := regtestDest(11)
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	mined := e.BTC.Generate(1)[0]
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.Fee == nil {
		t.Fatalf("payout after its block: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}

	e.BTC.Invalidate(mined) // the block leaves the chain; btcd puts the payout back in its mempool
	e.Sync()
	back, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if back.Status != payout.StatusBroadcast || back.TxHash != done.TxHash || back.Attempt != 0 {
		t.Fatalf("payout after the reorg: %+v", back)
	}
	// Long enough unseen to be sent again: the stored bytes, answered "already have".
	e.Clock.Advance(payout.RebroadcastAfter + time.Second)
	e.Sync()
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != done.TxHash {
		t.Fatalf("mempool %v, want only %s", mp, done.TxHash)
	}
	e.BTC.Generate(2) // the new branch is longer and mines it again
	e.Sync()
	again, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if again.Status != payout.StatusCompleted || again.TxHash != done.TxHash || !again.Fee.Equal(*done.Fee) {
		t.Fatalf("payout mined again: %+v", again)
	}
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s after completing again, want %s (booked once)", a, want)
	}
	if got := e.PaidOnChain(dest); got != e.Sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d once", got, e.Sats(done.NetAmount))
	}
	if got, wantSats := e.OwnedOnChain(), e.Sats(want); got != wantSats {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %d", got, wantSats)
	}
	ev := payoutEvents(t, e.G, p.ID)
	if ev["payout.broadcast"] != 2 || ev["payout.completed"] != 2 || ev["payout.failed"] != 0 {
		t.Fatalf("events %v: want broadcast, completed, broadcast (reorged out), completed", ev)
	}
	e.Verify()
}

// TestPayout_InputDoubleSpentAwayIsSentAgainWithNewInputs (issue 15): a completed
// payout spent a deposit that a reorg then double-spent away. Its transaction can
// never confirm (its input no longer exists), so the watcher records the conflict,
// the payout goes back to processing with its money held again, a new transaction is
// signed from other coins, and after it confirms the ledger equals the chain to the
// satoshi.
func TestPayout_InputDoubleSpentAwayIsSentAgainWithNewInputs(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	e.Credit("BTC", "0.05")
	dest := regtestDest(12)
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.04"), Currency: "BTC", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	first, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if first.Status != payout.StatusCompleted {
		t.Fatalf("payout is %s", first.Status)
	}
	spent := e.RawTx(first.TxHash).TxIn
	if len(spent) != 1 {
		t.Fatalf("the payout spends %d inputs, want one deposit", len(spent))
	}
	deposit := spent[0].PreviousOutPoint.Hash.String()

	// The deposit's block leaves the chain and the payer double-spends it: the deposit,
	// and our payout that spends it, leave the mempool; a longer branch is mined.
	e.BTC.Invalidate(e.BlockOf(deposit))
	e.BTC.Payer().Replace(deposit)
	e.BTC.Generate(4)
	e.Sync()
	resent, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if resent.Status != payout.StatusBroadcast || resent.Attempt != 1 || resent.TxHash == "" || resent.TxHash == first.TxHash {
		t.Fatalf("payout after its input was double-spent away: %+v (first tx %s)", resent, first.TxHash)
	}
	for _, in := range e.RawTx(resent.TxHash).TxIn {
		if in.PreviousOutPoint.Hash.String() == deposit {
			t.Fatalf("the new transaction spends the vanished deposit %s", deposit)
		}
	}
	if b, _ := e.G.Balance(ctx, asset.Test, "BTC"); !b.Deficit.IsZero() || !b.Held.Equal(resent.NetAmount.Add(*first.Fee)) {
		t.Fatalf("balance while the new transaction waits: %+v", b)
	}
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != resent.TxHash {
		t.Fatalf("payout after the new transaction confirmed: %+v", done)
	}
	// One deposit of 0.05 is left, minus one payout.
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}
	if got, wantSats := e.OwnedOnChain(), e.Sats(want); got != wantSats {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %d", got, wantSats)
	}
	if got := e.PaidOnChain(dest); got != e.Sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d once", got, e.Sats(done.NetAmount))
	}
	e.Verify()
}

// TestPayout_ETHPayoutReorgedOutAfterCompletionIsSentAgainAndCompletesOnce (issue 15):
// on go-ethereum a reorg takes a completed payout's block away and the node forgets
// the transaction (nothing re-injects it). The payout goes back to broadcast, the
// background pass sends the stored transaction again (same hash, same nonce: nothing
// is signed twice), and it completes once in the new branch.
func TestPayout_ETHPayoutReorgedOutAfterCompletionIsSentAgainAndCompletesOnce(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("ETH", "1")
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec("1")))
	e.ETH.Mine(1)
	dest := common.HexToAddress("0x00000000000000000000000000000000000000e1").Hex()
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.3"), Currency: "ETH", Network: "ethereum", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	mined := e.ETH.Commit()
	e.ETH.Mine(1) // ETH payouts complete at 2 confirmations here
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.Fee == nil {
		t.Fatalf("payout after 2 blocks: %+v", done)
	}
	want := kassatest.Dec("1").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("ETH"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}

	head, err := e.ETH.Client.HeaderByHash(ctx, mined)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ETH.Fork(head.ParentHash); err != nil {
		t.Fatal(err)
	}
	e.ETH.Rollback() // the node forgets the reorged payout
	e.ETH.Mine(3)    // the branch without it is longer
	e.Sync()
	back, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if back.Status != payout.StatusBroadcast || back.TxHash != done.TxHash {
		t.Fatalf("payout after the reorg: %+v", back)
	}
	if b := e.ETH.Balance(dest); b.Sign() != 0 {
		t.Fatalf("the recipient still has %s wei after the reorg", b)
	}
	e.Clock.Advance(payout.RebroadcastAfter + time.Second)
	e.Sync() // sent again: the stored bytes
	e.ETH.Mine(2)
	e.Sync()
	again, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if again.Status != payout.StatusCompleted || again.TxHash != done.TxHash {
		t.Fatalf("payout after it was sent again: %+v", again)
	}
	if b := e.ETH.Balance(dest); b.Cmp(e.Units("ETH", done.NetAmount)) != 0 {
		t.Fatalf("the recipient has %s wei, want %s once", b, e.Units("ETH", done.NetAmount))
	}
	if a := e.Available("ETH"); !a.Equal(want) {
		t.Fatalf("available %s after completing again, want %s (booked once)", a, want)
	}
	ev := payoutEvents(t, e.G, p.ID)
	if ev["payout.broadcast"] != 2 || ev["payout.completed"] != 2 {
		t.Fatalf("events %v", ev)
	}
	e.Verify()
}
