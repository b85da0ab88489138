package payout_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

// payoutEvents counts the events of payout id by type.
func payoutEvents(t *testing.T, g *kassa.Gateway, id string) map[string]int {
	t.Helper()
	evs, _, err := g.Events(context.Background(), asset.Test, "", 1, 100)
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

// rawTx returns a mined or mempool transaction from btcd (txindex is on).
func (e *nodesEnv) rawTx(txid string) *wire.MsgTx {
	e.t.Helper()
	var hx string
	if err := e.btc.RPC.Call(context.Background(), "getrawtransaction", &hx, txid, 0); err != nil {
		e.t.Fatal(err)
	}
	raw, _ := hex.DecodeString(hx)
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		e.t.Fatal(err)
	}
	return &tx
}

// blockOf returns the hash of the block that holds txid.
func (e *nodesEnv) blockOf(txid string) string {
	e.t.Helper()
	var v struct {
		BlockHash string `json:"blockhash"`
	}
	if err := e.btc.RPC.Call(context.Background(), "getrawtransaction", &v, txid, 1); err != nil || v.BlockHash == "" {
		e.t.Fatalf("block of %s: %q, %v", txid, v.BlockHash, err)
	}
	return v.BlockHash
}

// chainUTXOs walks btcd's best chain from genesis and returns the unspent outputs:
// what the chain says, computed without Kassa.
func (e *nodesEnv) chainUTXOs() map[wire.OutPoint]*wire.TxOut {
	e.t.Helper()
	ctx := context.Background()
	var tip int64
	if err := e.btc.RPC.Call(ctx, "getblockcount", &tip); err != nil {
		e.t.Fatal(err)
	}
	utxos := map[wire.OutPoint]*wire.TxOut{}
	for h := int64(1); h <= tip; h++ {
		var hash string
		if err := e.btc.RPC.Call(ctx, "getblockhash", &hash, h); err != nil {
			e.t.Fatal(err)
		}
		for _, tx := range e.btc.Block(hash).Transactions {
			for _, in := range tx.TxIn {
				delete(utxos, in.PreviousOutPoint)
			}
			id := tx.TxHash()
			for i, o := range tx.TxOut {
				utxos[wire.OutPoint{Hash: id, Index: uint32(i)}] = o
			}
		}
	}
	return utxos
}

// ownedOnChain sums the chain's unspent outputs to addresses of our wallet, in satoshi.
func (e *nodesEnv) ownedOnChain() int64 {
	e.t.Helper()
	var total int64
	utxos := e.chainUTXOs()
	err := e.kt.Store.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		for _, o := range utxos {
			_, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, regtest)
			if err != nil || len(addrs) != 1 {
				continue
			}
			_, ours, err := tx.LookupAddress(ctx, asset.FamilyBTC, asset.Test, addrs[0].EncodeAddress())
			if err != nil {
				return err
			}
			if ours {
				total += o.Value
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return total
}

// paidOnChain sums what the chain's unspent outputs pay to addr, in satoshi.
func (e *nodesEnv) paidOnChain(addr string) int64 {
	e.t.Helper()
	script, err := bitcoin.AddressScript(addr, regtest)
	if err != nil {
		e.t.Fatal(err)
	}
	var total int64
	for _, o := range e.chainUTXOs() {
		if bytes.Equal(o.PkScript, script) {
			total += o.Value
		}
	}
	return total
}

func (e *nodesEnv) sats(d decimal.Decimal) int64 { return e.units("BTC", d).Int64() }

// TestPayout_BTCPayoutReorgedOutAfterCompletionCompletesOnce (issue 15): a completed
// payout whose block a reorg takes away goes back to broadcast (its money stays booked
// as paid: the same signed transaction is still valid), is sent again when the
// watcher does not see it, and completes once more when the new branch mines it; the
// recipient is paid once and the ledger books it once.
func TestPayout_BTCPayoutReorgedOutAfterCompletionCompletesOnce(t *testing.T) {
	e := newNodesEnv(t)
	ctx := context.Background()
	e.credit("BTC", "0.05")
	dest := regtestDest(11)
	p, err := e.g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	mined := e.btc.Generate(1)[0]
	e.sync()
	done, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.Fee == nil {
		t.Fatalf("payout after its block: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}

	e.btc.Invalidate(mined) // the block leaves the chain; btcd puts the payout back in its mempool
	e.sync()
	back, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if back.Status != payout.StatusBroadcast || back.TxHash != done.TxHash || back.Attempt != 0 {
		t.Fatalf("payout after the reorg: %+v", back)
	}
	// Long enough unseen to be sent again: the stored bytes, answered "already have".
	e.clock.Advance(payout.RebroadcastAfter + time.Second)
	e.sync()
	if mp := e.btc.Mempool(); len(mp) != 1 || mp[0] != done.TxHash {
		t.Fatalf("mempool %v, want only %s", mp, done.TxHash)
	}
	e.btc.Generate(2) // the new branch is longer and mines it again
	e.sync()
	again, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if again.Status != payout.StatusCompleted || again.TxHash != done.TxHash || !again.Fee.Equal(*done.Fee) {
		t.Fatalf("payout mined again: %+v", again)
	}
	if a := e.available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s after completing again, want %s (booked once)", a, want)
	}
	if got := e.paidOnChain(dest); got != e.sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d once", got, e.sats(done.NetAmount))
	}
	if got, wantSats := e.ownedOnChain(), e.sats(want); got != wantSats {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %d", got, wantSats)
	}
	ev := payoutEvents(t, e.g, p.ID)
	if ev["payout.broadcast"] != 2 || ev["payout.completed"] != 2 || ev["payout.failed"] != 0 {
		t.Fatalf("events %v: want broadcast, completed, broadcast (reorged out), completed", ev)
	}
	e.verify()
}

// TestPayout_InputDoubleSpentAwayIsSentAgainWithNewInputs (issue 15): a completed
// payout spent a deposit that a reorg then double-spent away. Its transaction can
// never confirm (its input no longer exists), so the watcher records the conflict,
// the payout goes back to processing with its money held again, a new transaction is
// signed from other coins, and after it confirms the ledger equals the chain to the
// satoshi.
func TestPayout_InputDoubleSpentAwayIsSentAgainWithNewInputs(t *testing.T) {
	e := newNodesEnv(t)
	ctx := context.Background()
	e.credit("BTC", "0.05")
	e.credit("BTC", "0.05")
	dest := regtestDest(12)
	p, err := e.g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.04"), Currency: "BTC", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	e.btc.Generate(1)
	e.sync()
	first, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if first.Status != payout.StatusCompleted {
		t.Fatalf("payout is %s", first.Status)
	}
	spent := e.rawTx(first.TxHash).TxIn
	if len(spent) != 1 {
		t.Fatalf("the payout spends %d inputs, want one deposit", len(spent))
	}
	deposit := spent[0].PreviousOutPoint.Hash.String()

	// The deposit's block leaves the chain and the payer double-spends it: the deposit,
	// and our payout that spends it, leave the mempool; a longer branch is mined.
	e.btc.Invalidate(e.blockOf(deposit))
	e.btc.Payer().Replace(deposit)
	e.btc.Generate(4)
	e.sync()
	resent, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if resent.Status != payout.StatusBroadcast || resent.Attempt != 1 || resent.TxHash == "" || resent.TxHash == first.TxHash {
		t.Fatalf("payout after its input was double-spent away: %+v (first tx %s)", resent, first.TxHash)
	}
	for _, in := range e.rawTx(resent.TxHash).TxIn {
		if in.PreviousOutPoint.Hash.String() == deposit {
			t.Fatalf("the new transaction spends the vanished deposit %s", deposit)
		}
	}
	if b, _ := e.g.Balance(ctx, asset.Test, "BTC"); !b.Deficit.IsZero() || !b.Held.Equal(resent.NetAmount.Add(*first.Fee)) {
		t.Fatalf("balance while the new transaction waits: %+v", b)
	}
	e.btc.Generate(1)
	e.sync()
	done, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != resent.TxHash {
		t.Fatalf("payout after the new transaction confirmed: %+v", done)
	}
	// One deposit of 0.05 is left, minus one payout.
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}
	if got, wantSats := e.ownedOnChain(), e.sats(want); got != wantSats {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %d", got, wantSats)
	}
	if got := e.paidOnChain(dest); got != e.sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d once", got, e.sats(done.NetAmount))
	}
	e.verify()
}

// TestPayout_ETHPayoutReorgedOutAfterCompletionIsSentAgainAndCompletesOnce (issue 15):
// on go-ethereum a reorg takes a completed payout's block away and the node forgets
// the transaction (nothing re-injects it). The payout goes back to broadcast, the
// background pass sends the stored transaction again (same hash, same nonce: nothing
// is signed twice), and it completes once in the new branch.
func TestPayout_ETHPayoutReorgedOutAfterCompletionIsSentAgainAndCompletesOnce(t *testing.T) {
	e := newNodesEnv(t)
	ctx := context.Background()
	e.credit("ETH", "1")
	hot, _ := e.keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	e.eth.PayETH(hot.Encoded, e.units("ETH", kassatest.Dec("1")))
	e.eth.Mine(1)
	dest := common.HexToAddress("0x00000000000000000000000000000000000000e1").Hex()
	p, err := e.g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.3"), Currency: "ETH", Network: "ethereum", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	mined := e.eth.Commit()
	e.eth.Mine(1) // ETH payouts complete at 2 confirmations here
	e.sync()
	done, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.Fee == nil {
		t.Fatalf("payout after 2 blocks: %+v", done)
	}
	want := kassatest.Dec("1").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.available("ETH"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}

	head, err := e.eth.Client.HeaderByHash(ctx, mined)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.eth.Fork(head.ParentHash); err != nil {
		t.Fatal(err)
	}
	e.eth.Rollback() // the node forgets the reorged payout
	e.eth.Mine(3)    // the branch without it is longer
	e.sync()
	back, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if back.Status != payout.StatusBroadcast || back.TxHash != done.TxHash {
		t.Fatalf("payout after the reorg: %+v", back)
	}
	if b := e.eth.Balance(dest); b.Sign() != 0 {
		t.Fatalf("the recipient still has %s wei after the reorg", b)
	}
	e.clock.Advance(payout.RebroadcastAfter + time.Second)
	e.sync() // sent again: the stored bytes
	e.eth.Mine(2)
	e.sync()
	again, _ := e.g.Payouts().Get(ctx, asset.Test, p.ID)
	if again.Status != payout.StatusCompleted || again.TxHash != done.TxHash {
		t.Fatalf("payout after it was sent again: %+v", again)
	}
	if b := e.eth.Balance(dest); b.Cmp(e.units("ETH", done.NetAmount)) != 0 {
		t.Fatalf("the recipient has %s wei, want %s once", b, e.units("ETH", done.NetAmount))
	}
	if a := e.available("ETH"); !a.Equal(want) {
		t.Fatalf("available %s after completing again, want %s (booked once)", a, want)
	}
	ev := payoutEvents(t, e.g, p.ID)
	if ev["payout.broadcast"] != 2 || ev["payout.completed"] != 2 {
		t.Fatalf("events %v", ev)
	}
	e.verify()
}
