package payout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// onChainFee is what txid pays in fees, in satoshi, from the node's view of its inputs
// and outputs.
// mineCompletedBy mines a block and fails unless payout id (of a wallet funded with
// 0.05 BTC) completed with transaction txid, and the wallet holds on chain what the
// ledger says: 0.05 less the payout and its fee.
func mineCompletedBy(t *testing.T, e *nodetest.Env, id, txid string) {
	t.Helper()
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(t.Context(), asset.Test, id)
	if done.Status != payout.StatusCompleted || done.TxHash != txid {
		t.Fatalf("payout: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if got := e.OwnedOnChain(); got != e.Sats(want) || !e.Available("BTC").Equal(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s", got, e.Available("BTC"))
	}
	e.Verify()
}

func onChainFee(t *testing.T, e *nodetest.Env, txid string) int64 {
	t.Helper()
	tx := e.RawTx(txid)
	fee := int64(0)
	for _, in := range tx.TxIn {
		fee += e.RawTx(in.PreviousOutPoint.Hash.String()).TxOut[in.PreviousOutPoint.Index].Value
	}
	for _, out := range tx.TxOut {
		fee -= out.Value
	}
	return fee
}

// TestBump_StuckBTCPayoutReplacedByFeeConfirmsOnceBookedOnce (issue 21): a broadcast
// payout whose transaction waits in the mempool is replaced by fee (BIP 125) on
// request; btcd takes the replacement in place of the first; the block mines it, and
// the payout completes once with the replacement's fee, which is all the ledger books:
// the ledger equals the chain to the satoshi, the recipient is paid once.
func TestBump_StuckBTCPayoutReplacedByFeeConfirmsOnceBookedOnce(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	dest := regtestDest(21)
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	first, firstFee := p.TxHash, e.Sats(*p.Fee)
	b, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != payout.StatusBroadcast || b.TxHash == first || len(b.Replaced) != 1 || b.Replaced[0].TxHash != first ||
		!b.Replaced[0].Fee.Equal(*p.Fee) {
		t.Fatalf("bumped payout: %+v", b)
	}
	vsize := int64(e.RawTx(b.TxHash).SerializeSizeStripped()*3+e.RawTx(b.TxHash).SerializeSize()+3) / 4
	if got := e.Sats(*b.Fee); got < firstFee+vsize || got < firstFee+firstFee/4 {
		t.Fatalf("bumped fee %d sat, first %d sat (vsize %d): BIP 125 wants at least the first plus the size", got, firstFee, vsize)
	}
	if got := onChainFee(t, e, b.TxHash); got != e.Sats(*b.Fee) {
		t.Fatalf("the replacement pays %d sat, the payout says %s", got, b.Fee)
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != b.TxHash {
		t.Fatalf("mempool %v, want only the replacement %s", mp, b.TxHash)
	}
	e.Sync() // the watcher sees the replacement in the mempool and the first gone: nothing moves
	if got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID); got.Status != payout.StatusBroadcast || got.TxHash != b.TxHash {
		t.Fatalf("payout after a pass: %+v", got)
	}

	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != b.TxHash || !done.Fee.Equal(*b.Fee) {
		t.Fatalf("payout after its block: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s: the bumped fee booked once, the first never", a, want)
	}
	if got, wantSats := e.OwnedOnChain(), e.Sats(want); got != wantSats {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %d", got, wantSats)
	}
	if got := e.PaidOnChain(dest); got != e.Sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d once", got, e.Sats(done.NetAmount))
	}
	if ev := payoutEvents(t, e.G, p.ID); ev["payout.broadcast"] != 1 || ev["payout.completed"] != 1 {
		t.Fatalf("events %v, want one broadcast and one completion", ev)
	}
	if _, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID); !errors.Is(err, payout.ErrCannotBump) {
		t.Fatalf("bumping a completed payout: %v, want ErrCannotBump", err)
	}
	// The wallet goes on from the replacement's change.
	next, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: regtestDest(22)})
	if err != nil || next.Status != payout.StatusBroadcast {
		t.Fatalf("next payout: %+v, %v", next, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	want = want.Sub(next.NetAmount).Sub(*next.Fee)
	if got, wantSats := e.OwnedOnChain(), e.Sats(want); got != wantSats || !e.Available("BTC").Equal(want) {
		t.Fatalf("after the next payout the wallet holds %d sat on chain, the ledger %s (%d)", got, e.Available("BTC"), wantSats)
	}
	e.Verify()
}

// brokenBroadcasts passes every call to the node except sendrawtransaction while on is
// set: then it loses the call (a cut connection), or with refuse answers it as btcd
// does a replacement BIP 125 refuses ("insufficient fee", -26).
type brokenBroadcasts struct {
	on     atomic.Bool
	refuse bool
}

func (d *brokenBroadcasts) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var call struct {
		Method string          `json:"method"`
		ID     json.RawMessage `json:"id"`
	}
	if !d.on.Load() || json.Unmarshal(body, &call) != nil || call.Method != "sendrawtransaction" {
		return http.DefaultTransport.RoundTrip(r)
	}
	if !d.refuse {
		return nil, errors.New("connection lost")
	}
	answer := `{"result":null,"error":{"code":-26,"message":"rejected: insufficient fee"},"id":` + string(call.ID) + `}`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(answer)), Request: r}, nil
}

// TestBump_ReplacedTransactionMinedInsteadCompletesThePayout (issue 21): the
// replacement is signed and stored but never reaches the node (the connection is
// lost), and a block mines the first transaction. The payout follows whichever is
// mined: it completes with the first transaction and its fee, booked once; the
// replacement is recorded as replaced, the wallet's record follows the mined one (its
// change pays the next payout), and a restart does not disturb it.
func TestBump_ReplacedTransactionMinedInsteadCompletesThePayout(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	drop := &brokenBroadcasts{}
	rpc, err := e.BTCRPC(drop)
	if err != nil {
		t.Fatal(err)
	}
	e.G.Close()
	e.Open(rpc)
	e.Credit("BTC", "0.05")
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: regtestDest(23)})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	drop.on.Store(true)
	// Stored and recorded with the payout before the broadcast that is lost: the
	// bump stands, its broadcast deferred like a payout's when the node is down.
	if b, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID); err != nil || b.TxHash == p.TxHash {
		t.Fatalf("a bump whose broadcast was lost: %+v, %v", b, err)
	}
	drop.on.Store(false)
	b, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if b.TxHash == p.TxHash || len(b.Replaced) != 1 || b.Replaced[0].TxHash != p.TxHash {
		t.Fatalf("the stored replacement is not the payout's: %+v", b)
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != p.TxHash {
		t.Fatalf("mempool %v, want only the first transaction %s", mp, p.TxHash)
	}
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != p.TxHash || !done.Fee.Equal(*p.Fee) ||
		len(done.Replaced) != 1 || done.Replaced[0].TxHash != b.TxHash {
		t.Fatalf("payout after the first was mined: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s: the mined transaction's fee, once", a, want)
	}
	if ev := payoutEvents(t, e.G, p.ID); ev["payout.completed"] != 1 || ev["payout.failed"] != 0 {
		t.Fatalf("events %v", ev)
	}
	// A restart rebroadcasts what the wallet holds open, then the next payout spends
	// the mined transaction's change.
	e.G.Close()
	e.Open(e.BTC.RPC)
	e.Clock.Advance(payout.RebroadcastAfter + time.Second)
	e.Sync()
	next, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.025"), Currency: "BTC", Destination: regtestDest(24)})
	if err != nil || next.Status != payout.StatusBroadcast {
		t.Fatalf("next payout: %+v, %v", next, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	if got, _ := e.G.Payouts().Get(ctx, asset.Test, next.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("next payout is %s", got.Status)
	}
	want = want.Sub(next.NetAmount).Sub(*next.Fee)
	if got, wantSats := e.OwnedOnChain(), e.Sats(want); got != wantSats || !e.Available("BTC").Equal(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s (%d)", got, e.Available("BTC"), wantSats)
	}
	if again, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID); again.Status != payout.StatusCompleted || again.TxHash != p.TxHash {
		t.Fatalf("the first payout after a restart: %+v", again)
	}
	e.Verify()
}

// TestBump_AfterBumpAfterThePassReplacesAStuckPayout (issue 21): with
// PayoutOptions.BumpAfter set, the payout job replaces a transaction left unmined for
// that long, without a request, and the replacement completes the payout.
func TestBump_AfterBumpAfterThePassReplacesAStuckPayout(t *testing.T) {
	e := nodetest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{BumpAfter: 30 * time.Minute}))
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: regtestDest(25)})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	e.Clock.Advance(29 * time.Minute)
	e.Sync()
	if got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID); got.TxHash != p.TxHash {
		t.Fatal("bumped before BumpAfter")
	}
	e.Clock.Advance(2 * time.Minute)
	e.Sync()
	b, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if b.TxHash == p.TxHash || len(b.Replaced) != 1 {
		t.Fatalf("not bumped after BumpAfter: %+v", b)
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != b.TxHash {
		t.Fatalf("mempool %v, want the replacement %s", mp, b.TxHash)
	}
	mineCompletedBy(t, e, p.ID, b.TxHash)
}

// TestBump_StuckETHPayoutReplacedWithHigherTipsCompletesOnce (issue 21): on
// go-ethereum, a broadcast ETH payout is replaced on request by the same nonce with
// tips raised by 12.5%; the node's pool takes the replacement, the block mines it, and
// the payout completes once with the fee of its receipt, the ledger equal to the hot
// wallet's balance to the wei.
func TestBump_StuckETHPayoutReplacedWithHigherTipsCompletesOnce(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("ETH", "1")
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec("1")))
	e.ETH.Mine(1)
	dest := common.HexToAddress("0x00000000000000000000000000000000000000e2").Hex()
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.3"), Currency: "ETH", Network: "ethereum", Destination: dest})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	b, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.TxHash == p.TxHash || len(b.Replaced) != 1 || b.Replaced[0].TxHash != p.TxHash {
		t.Fatalf("bumped payout: %+v", b)
	}
	oldTx, _, err := e.ETH.Client.TransactionByHash(ctx, common.HexToHash(p.TxHash))
	if err == nil {
		t.Fatalf("the node still has the replaced transaction %s", oldTx.Hash())
	}
	newTx, pending, err := e.ETH.Client.TransactionByHash(ctx, common.HexToHash(b.TxHash))
	if err != nil || !pending {
		t.Fatalf("the replacement is not pending: %v, %v", pending, err)
	}
	e.Sync()
	e.ETH.Commit()
	e.ETH.Mine(1) // 2 confirmations
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != b.TxHash || done.Fee == nil {
		t.Fatalf("payout after its blocks: %+v", done)
	}
	r := e.ETH.Receipt(newTx.Hash())
	fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
	if got := e.Units("ETH", *done.Fee); got.Cmp(fee) != 0 {
		t.Fatalf("booked fee %s wei, the receipt says %s", got, fee)
	}
	want := kassatest.Dec("1").Sub(done.NetAmount).Sub(*done.Fee)
	if a := e.Available("ETH"); !a.Equal(want) {
		t.Fatalf("available %s, want %s", a, want)
	}
	if got := e.ETH.Balance(hot.Encoded); got.Cmp(e.Units("ETH", want)) != 0 {
		t.Fatalf("the hot wallet holds %s wei, the ledger %s", got, want)
	}
	if got := e.ETH.Balance(dest); got.Cmp(e.Units("ETH", done.NetAmount)) != 0 {
		t.Fatalf("the recipient has %s wei, want %s once", got, done.NetAmount)
	}
	if ev := payoutEvents(t, e.G, p.ID); ev["payout.completed"] != 1 {
		t.Fatalf("events %v", ev)
	}
	e.Verify()
}

// TestCPFP_StuckIncomingPaymentIsHurriedByAChild (issue 21): a payer's transaction to
// an invoice address waits in btcd's mempool; on request a child spends its output to
// a change address of ours with the fee for both (CPFP), stored and broadcast once
// (asking again sends the same child). The block mines both; the invoice is credited
// what the payer sent, the child's fee is booked once as a network fee, and the
// ledger equals the chain. A transaction not in the mempool, one paying none of our
// addresses, and a malformed id are refused.
func TestCPFP_StuckIncomingPaymentIsHurriedByAChild(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	script, _ := bitcoin.AddressScript(inv.Methods[0].Address, nodetest.Regtest)
	parent := e.BTC.Payer().Pay(btcdtest.Output{Script: script, Sats: 1_000_000})
	e.Sync()

	h, err := e.G.HurryPayment(ctx, asset.Test, asset.Bitcoin, parent)
	if err != nil {
		t.Fatal(err)
	}
	if h.ParentTxID != parent || h.TxID == "" || h.Fee.Sign() <= 0 || h.FeeCurrency != "BTC" {
		t.Fatalf("hurried: %+v", h)
	}
	child := e.RawTx(h.TxID)
	if len(child.TxIn) != 1 || child.TxIn[0].PreviousOutPoint.Hash.String() != parent || len(child.TxOut) != 1 ||
		child.TxOut[0].Value != 1_000_000-e.Sats(h.Fee) {
		t.Fatalf("the child spends %v and pays %v", child.TxIn, child.TxOut)
	}
	if mp := e.BTC.Mempool(); len(mp) != 2 {
		t.Fatalf("mempool %v, want the parent and its child", mp)
	}
	again, err := e.G.HurryPayment(ctx, asset.Test, asset.Bitcoin, strings.ToUpper(parent))
	if err != nil || again.TxID != h.TxID || !again.Fee.Equal(h.Fee) || again.ParentTxID != h.ParentTxID {
		t.Fatalf("asked again: %+v, %v; want the same child %+v", again, err, h)
	}

	e.BTC.Generate(1)
	e.Sync()
	if got, _ := e.G.Invoices().Get(ctx, asset.Test, inv.ID); got.Status != invoice.StatusPaid {
		t.Fatalf("invoice is %s", got.Status)
	}
	want := kassatest.Dec("0.01").Sub(h.Fee)
	if a := e.Available("BTC"); !a.Equal(want) {
		t.Fatalf("available %s, want %s: the payment less the child's fee, once", a, want)
	}
	if got := e.OwnedOnChain(); got != e.Sats(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s", got, want)
	}
	// The child's output pays the next payout.
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.009"), Currency: "BTC", Destination: regtestDest(41)})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout from the child's output: %+v, %v", p, err)
	}

	for _, c := range []struct {
		txid string
		want error
	}{
		{strings.Repeat("ab", 32), kassa.ErrCannotHurry}, // not in the mempool
		{e.BTC.Payer().Pay(btcdtest.Output{Script: []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, Sats: 50_000}), kassa.ErrCannotHurry},
	} {
		if _, err := e.G.HurryPayment(ctx, asset.Test, asset.Bitcoin, c.txid); !errors.Is(err, c.want) {
			t.Errorf("HurryPayment(%s): %v, want %v", c.txid, err, c.want)
		}
	}
	var v *validation.Error
	if _, err := e.G.HurryPayment(ctx, asset.Test, asset.Bitcoin, "xyz"); !errors.As(err, &v) || v.Fields["txid"] == nil {
		t.Errorf("malformed txid: %v", err)
	}
	if _, err := e.G.HurryPayment(ctx, asset.Test, asset.Ethereum, parent); !errors.As(err, &v) || v.Fields["network"] == nil {
		t.Errorf("on ethereum: %v", err)
	}
	e.BTC.Generate(1)
	e.Sync()
	e.Verify()
}

// TestBump_ABatchIsBumpedOnceAPass: the payouts of a mass payout share one
// transaction; when BumpAfter passes, the job bumps that transaction once (not once
// per payout, each bump raising the fee again), and once more only after BumpAfter
// again. The batch completes with the last replacement's fee, shared to the satoshi.
func TestBump_ABatchIsBumpedOnceAPass(t *testing.T) {
	e := nodetest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{BumpAfter: 30 * time.Minute}))
	ctx := context.Background()
	e.Credit("BTC", "0.1")
	var dests []payout.CreateParams
	for i := range 3 {
		dests = append(dests, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: regtestDest(50 + i)})
	}
	_, ps, err := e.G.Payouts().CreateMass(ctx, asset.Test, payout.MassParams{Destinations: dests})
	if err != nil || len(ps) != 3 || ps[0].TxHash == "" || ps[1].TxHash != ps[0].TxHash {
		t.Fatalf("batch: %+v, %v", ps, err)
	}
	bumps := func(round int) string {
		t.Helper()
		e.Clock.Advance(31 * time.Minute)
		e.Sync()
		var txid string
		for _, p := range ps {
			got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
			if len(got.Replaced) != round || (txid != "" && got.TxHash != txid) {
				t.Fatalf("round %d: payout %s has %d replaced transactions, tx %s (others %s)", round, p.ID, len(got.Replaced), got.TxHash, txid)
			}
			txid = got.TxHash
		}
		if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != txid {
			t.Fatalf("round %d: mempool %v, want %s", round, mp, txid)
		}
		return txid
	}
	bumps(1)
	last := bumps(2)
	e.BTC.Generate(1)
	e.Sync()
	fees := decimal.Zero
	paid := decimal.Zero
	for _, p := range ps {
		got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if got.Status != payout.StatusCompleted || got.TxHash != last {
			t.Fatalf("payout %s: %+v", p.ID, got)
		}
		fees, paid = fees.Add(*got.Fee), paid.Add(got.NetAmount)
	}
	if got := onChainFee(t, e, last); got != e.Sats(fees) {
		t.Fatalf("the batch's fee shares add up to %s, the transaction pays %d sat", fees, got)
	}
	want := kassatest.Dec("0.1").Sub(paid).Sub(fees)
	if got := e.OwnedOnChain(); got != e.Sats(want) || !e.Available("BTC").Equal(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s (want %s)", got, e.Available("BTC"), want)
	}
	e.Verify()
}

// TestBump_RefusedReplacementPutsTheFirstBack: the node refuses the replacement; the
// payout and the wallet are back on the first transaction (409-worthy
// ErrCannotBump), which is still the one in the mempool; bumping again later works
// (the kept rows of both versions give way), and the payout completes once.
func TestBump_RefusedReplacementPutsTheFirstBack(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	refuse := &brokenBroadcasts{refuse: true}
	rpc, err := e.BTCRPC(refuse)
	if err != nil {
		t.Fatal(err)
	}
	e.G.Close()
	e.Open(rpc)
	e.Credit("BTC", "0.05")
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: regtestDest(26)})
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	for range 2 { // refused twice: the same replacement is signed again the second time
		refuse.on.Store(true)
		if _, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID); !errors.Is(err, payout.ErrCannotBump) {
			t.Fatalf("refused bump: %v, want ErrCannotBump", err)
		}
		refuse.on.Store(false)
		got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if got.TxHash != p.TxHash || len(got.Replaced) != 0 || !got.Fee.Equal(*p.Fee) {
			t.Fatalf("after a refused bump: %+v", got)
		}
		if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != p.TxHash {
			t.Fatalf("mempool %v, want the first %s", mp, p.TxHash)
		}
	}
	b, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID)
	if err != nil || b.TxHash == p.TxHash || len(b.Replaced) != 1 {
		t.Fatalf("bump after the refusals: %+v, %v", b, err)
	}
	mineCompletedBy(t, e, p.ID, b.TxHash)
}
