package bitcoin_test

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
)

func (e *env) wallet(hook func() error) *bitcoin.Wallet {
	e.t.Helper()
	cfg := bitcoin.WalletConfig{Backend: e.backend, Keyring: e.keys, Update: storage.Runner[chains.WalletTx](e.kt.Store.Update),
		View: storage.Runner[chains.WalletTx](e.kt.Store.View), Watch: func(a string) { e.g.Watch(e.backend.Network(), a) }, Logger: quiet}
	if hook != nil {
		cfg = bitcoin.WithBeforeBroadcast(cfg, hook)
	}
	w, err := bitcoin.NewWallet(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// fund pays an invoice of btc and confirms it, so the wallet has that output.
func (e *env) fund(btc string, sats int64) *invoice.Invoice {
	e.t.Helper()
	inv := e.invoice(btc, time.Hour)
	e.node.Payer().Pay(e.out(inv, sats))
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	return inv
}

func (e *env) minerAddress() string {
	a, _ := address.NewAddressWitnessPubKeyHash(address.Hash160(e.node.Miner.PubKey().SerializeCompressed()), regtest)
	return a.EncodeAddress()
}

func TestWallet_PayoutMinedWithAmountFeeAndChange(t *testing.T) {
	e := newEnv(t, 1)
	e.fund("0.05", 5_000_000)
	w := e.wallet(nil)
	ctx := context.Background()
	sent, err := w.Send(ctx, chains.PayoutSpec{ID: "po_1", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(2_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	if m := e.node.Mempool(); len(m) != 1 || m[0] != sent.TxID {
		t.Fatalf("mempool %v, want %s", m, sent.TxID)
	}
	hash := e.node.Generate(1)[0]
	e.sync()
	tx := findTx(t, e, hash, sent.TxID)
	if len(tx.TxOut) != 2 || tx.TxOut[0].Value != 2_000_000 || !bytes.Equal(tx.TxOut[0].PkScript, e.node.MinerPk) {
		t.Fatalf("outputs %+v", tx.TxOut)
	}
	change := tx.TxOut[1].Value
	if fee := 5_000_000 - 2_000_000 - change; fee != sent.Fee.Int64() || fee <= 0 {
		t.Fatalf("fee in tx %d, reported %s", fee, sent.Fee)
	}
	if vsize := int64(tx.SerializeSizeStripped()*3+tx.SerializeSize()+3) / 4; sent.Fee.Int64() < vsize {
		t.Fatalf("fee %s below 1 sat/vB for %d vB", sent.Fee, vsize)
	}
	// The change went to our first change address, m/84'/1'/0'/1/0.
	want, _ := e.keys.Address(asset.FamilyBTC, asset.Test, keys.Change, 0)
	wantScript, _ := bitcoin.AddressScript(want.Encoded, regtest)
	if !bytes.Equal(tx.TxOut[1].PkScript, wantScript) {
		t.Fatal("change did not go to our /1/0 address")
	}
	if c, err := w.Confirmations(ctx, sent.TxID); err != nil || c != 1 {
		t.Fatalf("confirmations %d, %v", c, err)
	}
	// The change is not a deposit: the ledger does not credit it (issue 8's payout entry
	// accounts for the whole payout).
	if b := e.balance(); !b.Available.Equal(btcs("0.05")) || !b.Pending.IsZero() {
		t.Fatalf("balance after payout %+v", b)
	}
	// The confirmed change is spendable: a second payout uses it.
	sent2, err := w.Send(ctx, chains.PayoutSpec{ID: "po_2", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(1_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	e.node.Generate(1)
	e.sync()
	tx2 := findTx(t, e, e.lastBlock(), sent2.TxID)
	if tx2.TxIn[0].PreviousOutPoint.Hash.String() != sent.TxID || tx2.TxIn[0].PreviousOutPoint.Index != 1 {
		t.Fatalf("second payout spends %v, want the change of the first", tx2.TxIn[0].PreviousOutPoint)
	}
	if tx2.TxIn[0].Sequence >= 0xfffffffe {
		t.Fatal("payout does not signal RBF")
	}
	e.verify()
}

func (e *env) lastBlock() string {
	var h string
	if err := e.node.RPC.Call(context.Background(), "getbestblockhash", &h); err != nil {
		e.t.Fatal(err)
	}
	return h
}

func findTx(t *testing.T, e *env, blockHash, txid string) *wire.MsgTx {
	t.Helper()
	for _, tx := range e.node.Block(blockHash).Transactions {
		if tx.TxHash().String() == txid {
			return tx
		}
	}
	t.Fatalf("tx %s not in block %s", txid, blockHash)
	return nil
}

func TestWallet_CrashBetweenSigningAndBroadcastRebroadcastsSameTx(t *testing.T) {
	e := newEnv(t, 1)
	e.fund("0.03", 3_000_000)
	ctx := context.Background()
	crash := errors.New("killed after the commit")
	w := e.wallet(func() error { return crash })
	spec := chains.PayoutSpec{ID: "po_crash", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(1_000_000)}
	first, err := w.Send(ctx, spec)
	if !errors.Is(err, crash) {
		t.Fatalf("Send with the crash hook: %v", err)
	}
	if m := e.node.Mempool(); len(m) != 0 {
		t.Fatalf("nothing may be broadcast before the crash: %v", m)
	}
	// After the restart: a new wallet rebroadcasts the stored bytes.
	w2 := e.wallet(nil)
	if err := w2.Rebroadcast(ctx); err != nil {
		t.Fatal(err)
	}
	if m := e.node.Mempool(); len(m) != 1 || m[0] != first.TxID {
		t.Fatalf("mempool %v, want the stored %s", m, first.TxID)
	}
	// Retrying the payout returns the same transaction, not a second one.
	again, err := w2.Send(ctx, spec)
	if err != nil || again.TxID != first.TxID {
		t.Fatalf("retry gave %s (%v), want %s", again.TxID, err, first.TxID)
	}
	e.node.Generate(1)
	if err := w2.Rebroadcast(ctx); err != nil {
		t.Fatalf("rebroadcasting a mined tx must be harmless: %v", err)
	}
	if m := e.node.Mempool(); len(m) != 0 {
		t.Fatalf("mempool %v", m)
	}
}

func TestWallet_BadPayouts(t *testing.T) {
	e := newEnv(t, 1)
	e.fund("0.01", 1_000_000)
	unconfirmed := e.invoice("0.5", time.Hour)
	e.node.Payer().Pay(e.out(unconfirmed, 50_000_000)) // in the mempool: not spendable
	e.sync()
	w := e.wallet(nil)
	mainnetAddr, _ := address.NewAddressWitnessPubKeyHash(make([]byte, 20), &chaincfg.MainNetParams)
	cases := []struct {
		name string
		spec chains.PayoutSpec
		want error
	}{
		{"more than confirmed", chains.PayoutSpec{ID: "a", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(2_000_000)}, bitcoin.ErrInsufficientFunds},
		{"dust", chains.PayoutSpec{ID: "b", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(545)}, bitcoin.ErrDust},
		{"nil amount", chains.PayoutSpec{ID: "c", Asset: "BTC", To: e.minerAddress()}, bitcoin.ErrDust},
		{"mainnet destination", chains.PayoutSpec{ID: "d", Asset: "BTC", To: mainnetAddr.EncodeAddress(), Amount: big.NewInt(10_000)}, bitcoin.ErrWrongNetwork},
		{"bad checksum", chains.PayoutSpec{ID: "e", Asset: "BTC", To: "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppl", Amount: big.NewInt(10_000)}, bitcoin.ErrBadChecksum},
		{"other asset", chains.PayoutSpec{ID: "f", Asset: "LTC", To: e.minerAddress(), Amount: big.NewInt(10_000)}, bitcoin.ErrBadSpec},
		{"no id", chains.PayoutSpec{Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(10_000)}, bitcoin.ErrBadSpec},
	}
	for _, c := range cases {
		if _, err := w.Send(context.Background(), c.spec); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A batch is refused whole when one of its outputs is bad, or it has none, or too many.
	good := chains.PayoutSpec{Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(10_000)}
	many := make([]chains.PayoutSpec, 101)
	for i := range many {
		many[i] = good
	}
	for _, b := range []struct {
		name, id string
		specs    []chains.PayoutSpec
		want     error
	}{
		{"one dust output", "g", []chains.PayoutSpec{good, {Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(1)}}, bitcoin.ErrDust},
		{"one bad address", "h", []chains.PayoutSpec{good, {Asset: "BTC", To: mainnetAddr.EncodeAddress(), Amount: big.NewInt(10_000)}}, bitcoin.ErrWrongNetwork},
		{"no outputs", "i", nil, bitcoin.ErrBadSpec},
		{"101 outputs", "j", many, bitcoin.ErrBadSpec},
		{"no id", "", []chains.PayoutSpec{good}, bitcoin.ErrBadSpec},
	} {
		if _, err := w.SendBatch(context.Background(), b.id, b.specs); !errors.Is(err, b.want) {
			t.Errorf("batch %s: %v, want %v", b.name, err, b.want)
		}
	}
	if m := e.node.Mempool(); len(m) != 1 {
		t.Fatalf("a bad payout reached the node: %v", m)
	}
	// Nothing was reserved: the whole confirmed output is still spendable.
	if _, err := w.Send(context.Background(), chains.PayoutSpec{ID: "ok", Asset: "BTC", To: e.minerAddress(), Amount: big.NewInt(990_000)}); err != nil {
		t.Fatalf("after the refusals: %v", err)
	}
}
