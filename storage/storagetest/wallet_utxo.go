package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
)

var utxoTests = []test{
	{"UTXO_SpendableOutputsAndSpends", testSpendableOutputs},
	{"UTXO_UnconfirmedChange", testUnconfirmedChange},
	{"UTXO_Sends", testUTXOSends},
	{"UTXO_InputsOfAndReplaceSend", testReplaceSend},
	{"UTXO_SignSend", testSignSend},
}

// utxoSend returns a send of a UTXO wallet with every field set.
func utxoSend(n chains.NetworkRef, specID, txid string, status chains.SendStatus, created time.Time) chains.UTXOSend {
	return chains.UTXOSend{Network: n, SpecID: specID, TxID: txid, Raw: []byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff},
		Fee: 2_240, Amount: 1_250_000, Destination: "tb1qdestination0", Status: status, CreatedAt: created, Depth: 1}
}

// btcAddress returns an address of our BTC keyring in mode.
func btcAddress(m asset.Mode, branch keys.Branch, index uint32, encoded string) keys.Address {
	return keys.Address{Family: asset.FamilyBTC, Mode: m, Branch: branch, Index: index, Encoded: encoded, PubKey: pubKey(byte(index) + byte(branch)*100)}
}

func recordAddresses(t *testing.T, s storage.Store, as ...keys.Address) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, a := range as {
			if err := tx.RecordAddress(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func outputs(t *testing.T, s storage.Store, read func(context.Context, storage.Tx) ([]chains.UTXO, error)) map[string]chains.UTXO {
	t.Helper()
	us := get(t, s, read)
	m := map[string]chains.UTXO{}
	for _, u := range us {
		m[fmt.Sprintf("%s:%d", u.TxID, u.Index)] = u
	}
	if len(m) != len(us) {
		t.Errorf("an output listed twice: %+v", us)
	}
	return m
}

func outputKeys(m map[string]chains.UTXO) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func spendable(t *testing.T, s storage.Store, n chains.NetworkRef) map[string]chains.UTXO {
	t.Helper()
	return outputs(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
		return tx.SpendableOutputs(ctx, n, asset.FamilyBTC)
	})
}

// testSpendableOutputs checks SpendableOutputs (confirmed transfers of the network
// and mode to addresses of the family in our address book, with their derivation),
// MarkSpent and ReleaseSpends (per spender, network and mode).
func testSpendableOutputs(t *testing.T, s storage.Store) {
	a0 := btcAddress(asset.Test, keys.Receive, 0, "tb1qa0")
	a1 := btcAddress(asset.Test, keys.Receive, 1, "tb1qa1")
	l0 := btcAddress(asset.Live, keys.Receive, 0, "bc1ql0")
	ltc := keys.Address{Family: asset.FamilyLTC, Mode: asset.Test, Branch: keys.Receive, Index: 0, Encoded: "tb1qltc0", PubKey: pubKey(9)}
	recordAddresses(t, s, a0, a1, l0, ltc)
	saveTransfers(t, s,
		record(btcTest, "BTC", "tb1qa0", "dep1", 0, n(50_000), chains.StatusConfirmed, 100, t0),
		record(btcTest, "BTC", "tb1qa1", "dep2", 3, n(2_100_000_000_000_000), chains.StatusConfirmed, 101, t0), // all bitcoin there will be
		record(btcTest, "BTC", "tb1qa0", "dep3", 0, n(70_000), chains.StatusConfirming, 105, t0),               // not confirmed yet
		record(btcTest, "BTC", "tb1qa0", "dep4", 1, n(80_000), chains.StatusOrphaned, 0, t0),                   // left the chain
		record(btcTest, "BTC", "tb1qforeign", "dep5", 0, n(90_000), chains.StatusConfirmed, 100, t0),           // not ours
		record(btcTest, "BTC", "tb1qltc0", "dep6", 0, n(10_000), chains.StatusConfirmed, 100, t0),              // another family's address
		record(btcLive, "BTC", "tb1qa0", "dep7", 0, n(10_000), chains.StatusConfirmed, 100, t0),                // a0 is a test-mode address
		record(btcLive, "BTC", "bc1ql0", "depL", 0, n(30_000), chains.StatusConfirmed, 100, t0),
		record(btcTest, "BTC", "", "payout", chains.OutIndex, n(0), chains.StatusConfirmed, 102, t0), // our own send's record
	)
	got := spendable(t, s, btcTest)
	if ks := outputKeys(got); !slices.Equal(ks, []string{"dep1:0", "dep2:3"}) {
		t.Fatalf("SpendableOutputs(bitcoin/test) = %v, want dep1:0 and dep2:3", ks)
	}
	sameJSON(t, "SpendableOutputs dep1:0", got["dep1:0"], chains.UTXO{TxID: "dep1", Index: 0, Amount: 50_000, Address: a0})
	sameJSON(t, "SpendableOutputs dep2:3", got["dep2:3"], chains.UTXO{TxID: "dep2", Index: 3, Amount: 2_100_000_000_000_000, Address: a1})
	if ks := outputKeys(spendable(t, s, btcLive)); !slices.Equal(ks, []string{"depL:0"}) {
		t.Errorf("SpendableOutputs(bitcoin/live) = %v, want depL:0", ks)
	}

	mark := func(n chains.NetworkRef, spentBy string, outs ...chains.OutPoint) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.MarkSpent(ctx, n, outs, spentBy) })
	}
	release := func(n chains.NetworkRef, spentBy string) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReleaseSpends(ctx, n, spentBy) })
	}
	mark(btcTest, "spend-1", chains.OutPoint{TxID: "dep1", Index: 0})
	if ks := outputKeys(spendable(t, s, btcTest)); !slices.Equal(ks, []string{"dep2:3"}) {
		t.Errorf("SpendableOutputs after MarkSpent(dep1:0) = %v", ks)
	}
	mark(btcTest, "spend-2", chains.OutPoint{TxID: "dep2", Index: 3}, chains.OutPoint{TxID: "dep3", Index: 0})
	mark(btcLive, "spend-L", chains.OutPoint{TxID: "depL", Index: 0})
	if ks := outputKeys(spendable(t, s, btcTest)); len(ks) != 0 {
		t.Errorf("SpendableOutputs with every output spent = %v", ks)
	}
	release(btcTest, "spend-1")
	release(btcLive, "spend-2") // another mode's spender of that name spends nothing
	if ks := outputKeys(spendable(t, s, btcTest)); !slices.Equal(ks, []string{"dep1:0"}) {
		t.Errorf("SpendableOutputs after ReleaseSpends(spend-1) = %v, want dep1:0", ks)
	}
	if ks := outputKeys(spendable(t, s, btcLive)); len(ks) != 0 {
		t.Errorf("SpendableOutputs(bitcoin/live) after releasing test-mode spends = %v", ks)
	}
	release(btcTest, "spend-2")
	if ks := outputKeys(spendable(t, s, btcTest)); !slices.Equal(ks, []string{"dep1:0", "dep2:3"}) {
		t.Errorf("SpendableOutputs after ReleaseSpends(spend-2) = %v", ks)
	}
}

// testUnconfirmedChange checks UnconfirmedChange: the change outputs of our signed or
// broadcast sends that are not confirmed and that no send spends, with their send's
// depth and Unsent while the send is only signed; a confirmed change output is a
// spendable output instead.
func testUnconfirmedChange(t *testing.T, s storage.Store) {
	c0 := btcAddress(asset.Test, keys.Change, 0, "tb1qc0")
	c1 := btcAddress(asset.Test, keys.Change, 1, "tb1qc1")
	c2 := btcAddress(asset.Test, keys.Change, 2, "tb1qc2")
	c3 := btcAddress(asset.Test, keys.Change, 3, "tb1qc3")
	cl := btcAddress(asset.Live, keys.Change, 0, "bc1qc0")
	recordAddresses(t, s, c0, c1, c2, c3, cl)
	withChange := func(send chains.UTXOSend, addr keys.Address, index uint32, amount int64, depth int) chains.UTXOSend {
		send.Change, send.ChangeIndex, send.ChangeAmount, send.Depth = addr.Encoded, index, amount, depth
		return send
	}
	sends := []chains.UTXOSend{
		withChange(utxoSend(btcTest, "po_1", "tx1", chains.SendSigned, t0), c0, 1, 40_000, 1),
		withChange(utxoSend(btcTest, "po_2", "tx2", chains.SendBroadcast, at(time.Second)), c1, 0, 25_000, 2),
		withChange(utxoSend(btcTest, "po_3", "tx3", chains.SendFailed, at(2*time.Second)), c2, 1, 15_000, 1),
		utxoSend(btcTest, "po_4", "tx4", chains.SendBroadcast, at(3*time.Second)), // no change
		withChange(utxoSend(btcTest, "po_5", "tx5", chains.SendBroadcast, at(4*time.Second)), c3, 1, 10_000, 1),
		withChange(utxoSend(btcLive, "po_6", "tx6", chains.SendBroadcast, at(5*time.Second)), cl, 1, 10_000, 1),
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, send := range sends {
			if err := tx.InsertSend(ctx, send); err != nil {
				return err
			}
		}
		// tx7 spends tx5's change before it confirms.
		return tx.MarkSpent(ctx, btcTest, []chains.OutPoint{{TxID: "tx5", Index: 1}}, "tx7")
	})
	change := func(n chains.NetworkRef) map[string]chains.UTXO {
		return outputs(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
			return tx.UnconfirmedChange(ctx, n, asset.FamilyBTC)
		})
	}
	got := change(btcTest)
	if ks := outputKeys(got); !slices.Equal(ks, []string{"tx1:1", "tx2:0"}) {
		t.Fatalf("UnconfirmedChange(bitcoin/test) = %v, want tx1:1 and tx2:0", ks)
	}
	sameJSON(t, "UnconfirmedChange tx1:1", got["tx1:1"], chains.UTXO{TxID: "tx1", Index: 1, Amount: 40_000, Address: c0, Depth: 1, Unsent: true})
	sameJSON(t, "UnconfirmedChange tx2:0", got["tx2:0"], chains.UTXO{TxID: "tx2", Index: 0, Amount: 25_000, Address: c1, Depth: 2})
	if ks := outputKeys(change(btcLive)); !slices.Equal(ks, []string{"tx6:1"}) {
		t.Errorf("UnconfirmedChange(bitcoin/live) = %v, want tx6:1", ks)
	}

	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.SetSendStatus(ctx, btcTest, "po_1", chains.SendBroadcast)
	})
	if u := change(btcTest)["tx1:1"]; u.Unsent {
		t.Errorf("the change of a broadcast send is Unsent: %+v", u)
	}
	// tx2's change confirms: it is a spendable output now, not unconfirmed change.
	saveTransfers(t, s, record(btcTest, "BTC", "tb1qc1", "tx2", 0, n(25_000), chains.StatusConfirmed, 110, at(time.Minute)))
	if ks := outputKeys(change(btcTest)); !slices.Equal(ks, []string{"tx1:1"}) {
		t.Errorf("UnconfirmedChange after tx2 confirmed = %v, want tx1:1", ks)
	}
	sameJSON(t, "SpendableOutputs after tx2 confirmed", spendable(t, s, btcTest)["tx2:0"],
		chains.UTXO{TxID: "tx2", Index: 0, Amount: 25_000, Address: c1})
}

// testUTXOSends checks InsertSend, SendByID (per network and mode), SetSendStatus and
// PendingSends: signed and broadcast sends in creation order (the doc is silent on the
// order; the bitcoin wallet's Rebroadcast relies on it to send a parent before the
// child that spends its change). A spec id names one send: a second InsertSend with
// it fails (Wallet.Send: the same spec id always gives the same transaction).
func testUTXOSends(t *testing.T, s storage.Store) {
	full := utxoSend(btcTest, "po_full", "txfull", chains.SendSigned, at(-time.Minute))
	full.Amount, full.Destination = 3_000_000, "tb1qdest1,tb1qdest2,tb1qdest3" // a batch
	full.Change, full.ChangeIndex, full.ChangeAmount, full.Depth = "tb1qc0", 3, 123_456, 3
	sends := []chains.UTXOSend{
		utxoSend(btcTest, "po_late", "tx3", chains.SendSigned, at(3*time.Minute)),
		full,
		utxoSend(btcTest, "po_first", "tx0", chains.SendSigned, t0),
		utxoSend(btcTest, "po_broadcast", "tx1", chains.SendBroadcast, at(time.Minute)),
		utxoSend(btcTest, "po_failed", "tx2", chains.SendFailed, at(2*time.Minute)),
		utxoSend(btcLive, "po_live", "txl", chains.SendSigned, t0),
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, send := range sends {
			if err := tx.InsertSend(ctx, send); err != nil {
				return err
			}
		}
		return nil
	})
	byID := func(n chains.NetworkRef, spec string) (chains.UTXOSend, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
			return tx.SendByID(ctx, n, spec)
		})
	}
	if got, ok := byID(btcTest, "po_full"); !ok {
		t.Error("SendByID(po_full): not found")
	} else {
		sameJSON(t, "SendByID(po_full)", got, full)
	}
	for _, c := range []struct {
		n    chains.NetworkRef
		spec string
	}{{btcLive, "po_full"}, {btcTest, "po_live"}, {btcTest, "po_unknown"}} {
		if got, ok := byID(c.n, c.spec); ok {
			t.Errorf("SendByID(%s, %s) = %+v", c.n, c.spec, got)
		}
	}
	pending := func(n chains.NetworkRef) []string {
		var ids []string
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			sends, err := tx.PendingSends(ctx, n)
			for _, send := range sends {
				ids = append(ids, send.SpecID)
			}
			return err
		})
		return ids
	}
	if got := pending(btcTest); !slices.Equal(got, []string{"po_full", "po_first", "po_broadcast", "po_late"}) {
		t.Errorf("PendingSends(bitcoin/test) = %v, want signed and broadcast sends in creation order", got)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.SetSendStatus(ctx, btcTest, "po_first", chains.SendBroadcast); err != nil {
			return err
		}
		return tx.SetSendStatus(ctx, btcTest, "po_late", chains.SendFailed)
	})
	if got, _ := byID(btcTest, "po_first"); got.Status != chains.SendBroadcast {
		t.Errorf("SendByID after SetSendStatus(broadcast) = %q", got.Status)
	}
	if got, _ := byID(btcLive, "po_live"); got.Status != chains.SendSigned {
		t.Errorf("SetSendStatus in test mode changed a live send: %q", got.Status)
	}
	if got := pending(btcTest); !slices.Equal(got, []string{"po_full", "po_first", "po_broadcast"}) {
		t.Errorf("PendingSends after po_late failed = %v", got)
	}
	if got := pending(btcLive); !slices.Equal(got, []string{"po_live"}) {
		t.Errorf("PendingSends(bitcoin/live) = %v", got)
	}

	again := utxoSend(btcTest, "po_full", "another-signature", chains.SendSigned, at(time.Hour))
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertSend(ctx, again) }); err == nil {
		t.Error("a second InsertSend with a stored spec id succeeded")
	}
	if got, _ := byID(btcTest, "po_full"); got.TxID != "txfull" {
		t.Errorf("after a second InsertSend, SendByID(po_full) is %s, want the first transaction txfull", got.TxID)
	}
}

// testReplaceSend checks InputsOf (the outputs a send spends: confirmed transfers with
// their amounts and keys, and the unconfirmed change of our own sends; not another
// send's, not another mode's) and ReplaceSend (a fee bump: the replaced send keeps its
// row under ReplacedSpecID with status replaced and leaves PendingSends and
// UnconfirmedChange, the replacement takes the spec id, and the outputs are spent by
// the replacement, so a release of the replacement frees them and one of the old txid
// frees nothing).
func testReplaceSend(t *testing.T, s storage.Store) {
	r0 := btcAddress(asset.Test, keys.Receive, 0, "tb1qr0")
	c0 := btcAddress(asset.Test, keys.Change, 0, "tb1qc0")
	c1 := btcAddress(asset.Test, keys.Change, 1, "tb1qc1")
	lr := btcAddress(asset.Live, keys.Receive, 0, "bc1qr0")
	recordAddresses(t, s, r0, c0, c1, lr)
	saveTransfers(t, s,
		record(btcTest, "BTC", "tb1qr0", "dep1", 2, n(70_000), chains.StatusConfirmed, 100, t0),
		record(btcTest, "BTC", "tb1qr0", "dep2", 0, n(30_000), chains.StatusConfirmed, 101, t0),
		record(btcLive, "BTC", "bc1qr0", "dep1", 2, n(99_000), chains.StatusConfirmed, 100, t0))
	parent := utxoSend(btcTest, "po_p", "txp", chains.SendBroadcast, t0)
	parent.Change, parent.ChangeIndex, parent.ChangeAmount = c0.Encoded, 1, 20_000
	first := utxoSend(btcTest, "po_b", "txb", chains.SendBroadcast, at(time.Second))
	first.Change, first.ChangeIndex, first.ChangeAmount, first.Depth = c1.Encoded, 1, 50_000, 2
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, send := range []chains.UTXOSend{parent, first} {
			if err := tx.InsertSend(ctx, send); err != nil {
				return err
			}
		}
		if err := tx.MarkSpent(ctx, btcTest, []chains.OutPoint{{TxID: "dep2", Index: 0}}, "txp"); err != nil {
			return err
		}
		if err := tx.MarkSpent(ctx, btcLive, []chains.OutPoint{{TxID: "dep1", Index: 2}}, "txb"); err != nil {
			return err
		}
		return tx.MarkSpent(ctx, btcTest, []chains.OutPoint{{TxID: "dep1", Index: 2}, {TxID: "txp", Index: 1}}, "txb")
	})
	inputs := func(spentBy string) map[string]chains.UTXO {
		return outputs(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
			return tx.InputsOf(ctx, btcTest, asset.FamilyBTC, spentBy)
		})
	}
	got := inputs("txb")
	if ks := outputKeys(got); !slices.Equal(ks, []string{"dep1:2", "txp:1"}) {
		t.Fatalf("InputsOf(txb) = %v, want dep1:2 and txp:1", ks)
	}
	sameJSON(t, "InputsOf dep1:2", got["dep1:2"], chains.UTXO{TxID: "dep1", Index: 2, Amount: 70_000, Address: r0})
	sameJSON(t, "InputsOf txp:1", got["txp:1"], chains.UTXO{TxID: "txp", Index: 1, Amount: 20_000, Address: c0, Depth: 1})

	next := first
	next.TxID, next.Fee, next.ChangeAmount, next.Status, next.CreatedAt, next.Replaces = "txb2", 4_000, 48_240, chains.SendSigned, at(time.Minute), "txb"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReplaceSend(ctx, btcTest, next) })
	cur, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
		return tx.SendByID(ctx, btcTest, "po_b")
	})
	if !ok || cur.TxID != "txb2" || cur.Fee != 4_000 || cur.Status != chains.SendSigned || cur.Replaces != "txb" {
		t.Fatalf("SendByID(po_b) after ReplaceSend = %+v, %v", cur, ok)
	}
	old, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
		return tx.SendByID(ctx, btcTest, chains.ReplacedSpecID("po_b", "txb"))
	})
	if !ok || old.TxID != "txb" || old.Status != chains.SendReplaced || old.Fee != first.Fee {
		t.Fatalf("the replaced send = %+v, %v; want txb kept, replaced", old, ok)
	}
	if ks := outputKeys(inputs("txb2")); !slices.Equal(ks, []string{"dep1:2", "txp:1"}) {
		t.Errorf("InputsOf(txb2) = %v: the replacement spends what the first did", ks)
	}
	if ks := outputKeys(inputs("txb")); len(ks) != 0 {
		t.Errorf("InputsOf(txb) after the replacement = %v, want none", ks)
	}
	pending := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXOSend, error) {
		return tx.PendingSends(ctx, btcTest)
	})
	var ids []string
	for _, p := range pending {
		ids = append(ids, p.TxID)
	}
	if !slices.Equal(ids, []string{"txp", "txb2"}) {
		t.Errorf("PendingSends after the replacement = %v, want txp and txb2", ids)
	}
	change := outputs(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
		return tx.UnconfirmedChange(ctx, btcTest, asset.FamilyBTC)
	})
	if ks := outputKeys(change); !slices.Equal(ks, []string{"txb2:1"}) {
		t.Errorf("UnconfirmedChange after the replacement = %v, want only txb2:1", ks)
	}
	// Refused, put back, bumped again to the same transaction, refused again: each
	// step stores one current send and one kept row per other version.
	back := first
	back.Status = chains.SendBroadcast
	for i := range 2 {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReplaceSend(ctx, btcTest, back) })
		if cur, _ := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
			return tx.SendByID(ctx, btcTest, "po_b")
		}); cur.TxID != "txb" {
			t.Fatalf("round %d: put back, the send is %s", i, cur.TxID)
		}
		if _, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
			return tx.SendByID(ctx, btcTest, chains.ReplacedSpecID("po_b", "txb"))
		}); ok {
			t.Fatalf("round %d: the send put back is still kept as replaced", i)
		}
		if ks := outputKeys(inputs("txb")); !slices.Equal(ks, []string{"dep1:2", "txp:1"}) {
			t.Fatalf("round %d: InputsOf(txb) put back = %v", i, ks)
		}
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReplaceSend(ctx, btcTest, next) })
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReleaseSpends(ctx, btcTest, "txb") })
	if ks := outputKeys(spendable(t, s, btcTest)); len(ks) != 0 {
		t.Errorf("SpendableOutputs after releasing the replaced txid = %v, want none", ks)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.ReleaseSpends(ctx, btcTest, "txb2") })
	if ks := outputKeys(spendable(t, s, btcTest)); !slices.Equal(ks, []string{"dep1:2"}) {
		t.Errorf("SpendableOutputs after releasing the replacement = %v, want dep1:2", ks)
	}
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.ReplaceSend(ctx, btcTest, utxoSend(btcTest, "po_none", "txn", chains.SendSigned, t0))
	}); err == nil {
		t.Error("ReplaceSend of a spec id never stored succeeded")
	}
}

// testSignSend checks SignSend: an unsigned send (a watch-only wallet's PSBT) is
// neither pending nor offering its change; SignSend stores the signed bytes and makes
// it signed, once; a send not unsigned, or unknown, is refused and left unchanged.
func testSignSend(t *testing.T, s storage.Store) {
	c0 := btcAddress(asset.Test, keys.Change, 0, "tb1qc0")
	recordAddresses(t, s, c0)
	u := utxoSend(btcTest, "po_u", "txu", chains.SendUnsigned, t0)
	u.Raw, u.Change, u.ChangeIndex, u.ChangeAmount = []byte("psbt\xff unsigned"), c0.Encoded, 1, 30_000
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertSend(ctx, u) })
	pending := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXOSend, error) {
		return tx.PendingSends(ctx, btcTest)
	})
	change := get(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
		return tx.UnconfirmedChange(ctx, btcTest, asset.FamilyBTC)
	})
	if len(pending) != 0 || len(change) != 0 {
		t.Fatalf("an unsigned send is pending (%d) or offers its change (%d)", len(pending), len(change))
	}
	signed := []byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SignSend(ctx, btcTest, "po_u", signed) })
	got, ok := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
		return tx.SendByID(ctx, btcTest, "po_u")
	})
	if !ok || got.Status != chains.SendSigned || string(got.Raw) != string(signed) || got.TxID != "txu" {
		t.Fatalf("after SignSend: %+v", got)
	}
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SignSend(ctx, btcTest, "po_u", []byte{9}) }); err == nil {
		t.Error("SignSend of a signed send succeeded")
	}
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SignSend(ctx, btcLive, "po_u", []byte{9}) }); err == nil {
		t.Error("SignSend of another mode's send succeeded")
	}
	if got, _ := find(t, s, func(ctx context.Context, tx storage.Tx) (chains.UTXOSend, bool, error) {
		return tx.SendByID(ctx, btcTest, "po_u")
	}); string(got.Raw) != string(signed) {
		t.Errorf("a refused SignSend changed the send: %x", got.Raw)
	}
	if ks := outputKeys(outputs(t, s, func(ctx context.Context, tx storage.Tx) ([]chains.UTXO, error) {
		return tx.UnconfirmedChange(ctx, btcTest, asset.FamilyBTC)
	})); !slices.Equal(ks, []string{"txu:1"}) {
		t.Errorf("UnconfirmedChange once signed = %v, want txu:1", ks)
	}
}
