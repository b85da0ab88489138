package evm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

// bookFee books what the wallet reports, as the Gateway does.
func bookFee(ctx context.Context, tx chains.WalletTx, f chains.FeeSpent) error {
	return ledger.BookNetworkFee(ctx, tx, f.Network.Mode, f.Asset, f.Amount, f.Key, f.What)
}

func (e *env) wallet(hook func() error) *evm.Wallet {
	e.t.Helper()
	cfg := evm.WalletConfig{Backend: e.backend, Keyring: e.keys, Update: storage.Runner[chains.WalletTx](e.kt.Store.Update),
		View: storage.Runner[chains.WalletTx](e.kt.Store.View), Book: bookFee, Logger: quiet}
	if hook != nil {
		cfg = evm.WithBeforeBroadcast(cfg, hook)
	}
	w, err := evm.NewWallet(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *env) confirm(w *evm.Wallet, id string, want evm.SendStatus) evm.Send {
	e.t.Helper()
	s, err := w.Confirm(context.Background(), id)
	if err != nil || s.Status != want {
		e.t.Fatalf("confirm %s: %s, %v (want %s)", id, s.Status, err, want)
	}
	return s
}

var recipient = common.HexToAddress("0x00000000000000000000000000000000000000aa").Hex()

func TestWallet_PayoutsOfETHAndUSDTArrive(t *testing.T) {
	e := newEnv(t)
	w := e.wallet(nil)
	ctx := context.Background()
	e.node.PayETH(w.HotAddress(), e.units("ETH", "2"))
	e.node.PayToken(evmdevnet.USDT, w.HotAddress(), e.units("USDT_ETHEREUM", "1000"))
	e.node.Commit()
	if _, err := w.Send(ctx, chains.PayoutSpec{ID: "po_eth", Asset: "ETH", To: recipient, Amount: e.units("ETH", "0.7")}); err != nil {
		t.Fatal(err)
	}
	// Several payouts in a row, before anything is mined: nonces must not collide.
	for i, amt := range []string{"100", "200.5", "0.000001"} {
		if _, err := w.Send(ctx, chains.PayoutSpec{ID: "po_usdt_" + string(rune('a'+i)), Asset: "USDT_ETHEREUM", To: recipient, Amount: e.units("USDT_ETHEREUM", amt)}); err != nil {
			t.Fatal(err)
		}
	}
	e.node.Commit()
	if got := e.node.Balance(recipient); got.Cmp(e.units("ETH", "0.7")) != 0 {
		t.Fatalf("recipient ETH %s", got)
	}
	if got := e.node.TokenBalance(evmdevnet.USDT, recipient); got.Cmp(e.units("USDT_ETHEREUM", "300.500001")) != 0 {
		t.Fatalf("recipient USDT %s", got)
	}
	for _, id := range []string{"po_eth", "po_usdt_a", "po_usdt_b", "po_usdt_c"} {
		s := e.confirm(w, id, evm.SendConfirmed)
		if s.Fee == nil || s.Fee.Sign() <= 0 || s.Fee.Cmp(s.MaxFee) > 0 {
			t.Fatalf("%s fee %s (max %s)", id, s.Fee, s.MaxFee)
		}
	}
	// Bad payouts are refused before anything is signed.
	for name, spec := range map[string]chains.PayoutSpec{
		"bad checksum": {ID: "x1", Asset: "ETH", To: "0x9858EfFD232B4033E47d90003D41EC34EcaEda95", Amount: big.NewInt(1)},
		"zero":         {ID: "x2", Asset: "ETH", To: recipient, Amount: big.NewInt(0)},
		"other asset":  {ID: "x3", Asset: "USDT_BSC", To: recipient, Amount: big.NewInt(1)},
		"too much":     {ID: "x4", Asset: "USDT_ETHEREUM", To: recipient, Amount: e.units("USDT_ETHEREUM", "5000")},
	} {
		if _, err := w.Send(ctx, spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWallet_CrashBetweenSigningAndBroadcastRebroadcastsSameHash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	crash := errors.New("killed after the commit")
	w := e.wallet(func() error { return crash })
	e.node.PayETH(w.HotAddress(), e.units("ETH", "1"))
	e.node.Commit()
	spec := chains.PayoutSpec{ID: "po_crash", Asset: "ETH", To: recipient, Amount: e.units("ETH", "0.25")}
	first, err := w.Send(ctx, spec)
	if !errors.Is(err, crash) {
		t.Fatalf("Send with the crash hook: %v", err)
	}
	e.node.Commit()
	if got := e.node.Balance(recipient); got.Sign() != 0 {
		t.Fatal("broadcast before the crash")
	}
	w2 := e.wallet(nil)
	if err := w2.Rebroadcast(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := w2.Send(ctx, spec)
	if err != nil || again.TxID != first.TxID {
		t.Fatalf("retry gave %s (%v), want %s", again.TxID, err, first.TxID)
	}
	e.node.Commit()
	if r := e.node.Receipt(common.HexToHash(first.TxID)); r.Status != 1 {
		t.Fatal("stored transaction not mined")
	}
	if got := e.node.Balance(recipient); got.Cmp(e.units("ETH", "0.25")) != 0 {
		t.Fatalf("recipient %s: paid twice or not at all", got)
	}
}

func TestWallet_BumpKeepsNonceAndReplaces(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.wallet(nil)
	e.node.PayETH(w.HotAddress(), e.units("ETH", "1"))
	e.node.Commit()
	sent, err := w.Send(ctx, chains.PayoutSpec{ID: "po_bump", Asset: "ETH", To: recipient, Amount: e.units("ETH", "0.1")})
	if err != nil {
		t.Fatal(err)
	}
	bumped, err := w.Bump(ctx, "po_bump", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bumped.TxID == sent.TxID || bumped.Attempt != 1 {
		t.Fatalf("bump gave %+v", bumped)
	}
	e.node.Commit()
	s := e.confirm(w, "po_bump", evm.SendConfirmed)
	if s.TxID != bumped.TxID || s.Nonce != 0 {
		t.Fatalf("confirmed %s nonce %d, want the bump %s with nonce 0", s.TxID, s.Nonce, bumped.TxID)
	}
	if got := e.node.Balance(recipient); got.Cmp(e.units("ETH", "0.1")) != 0 {
		t.Fatalf("recipient %s: the payout was made twice or not at all", got)
	}
}

func TestWallet_RevertedPayoutFailsWithGasBooked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.wallet(nil)
	e.node.PayETH(w.HotAddress(), e.units("ETH", "1"))
	e.node.PayToken(evmdevnet.USDT, w.HotAddress(), e.units("USDT_ETHEREUM", "1000"))
	e.node.Commit()
	// Both estimate against 1000 USDT; mined in order, the second reverts.
	for _, id := range []string{"po_a", "po_b"} {
		if _, err := w.Send(ctx, chains.PayoutSpec{ID: id, Asset: "USDT_ETHEREUM", To: recipient, Amount: e.units("USDT_ETHEREUM", "600")}); err != nil {
			t.Fatal(err)
		}
	}
	e.node.Commit()
	e.confirm(w, "po_a", evm.SendConfirmed)
	failed := e.confirm(w, "po_b", evm.SendFailed)
	if failed.Fee == nil || failed.Fee.Sign() <= 0 {
		t.Fatalf("a reverted payout still costs gas: %s", failed.Fee)
	}
	var fees *big.Int
	e.kt.Store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		a, err := tx.Account(ctx, ledger.NetworkFees(asset.Test, "ETH"))
		fees = a.Balance
		return err
	})
	if fees.Cmp(failed.Fee) != 0 {
		t.Fatalf("fees booked %s, want the failed payout's gas %s", fees, failed.Fee)
	}
	e.verify()
}

func TestWallet_SweepsLeaveTheHotWalletWithTheExpectedBalance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.wallet(nil)
	ethInv := e.invoice("1", "ETH")
	usdtInv := e.invoice("100", "USDT_ETHEREUM")
	e.node.PayETH(ethInv.Methods[0].Address, e.units("ETH", "1"))
	e.node.PayToken(evmdevnet.USDT, usdtInv.Methods[0].Address, e.units("USDT_ETHEREUM", "100"))
	e.mine(3)
	e.want(ethInv, invoice.StatusPaid, "")
	e.want(usdtInv, invoice.StatusPaid, "")
	dep := func(inv *invoice.Invoice, code string) evm.Deposit {
		m := inv.Methods[0]
		return evm.Deposit{Address: keys.Address{Family: asset.FamilyEVM, Mode: asset.Test, Branch: keys.Receive, Index: m.Index, Encoded: m.Address},
			Asset: code, Amount: e.units(code, m.AmountDue.String())}
	}
	if _, err := w.SweepNative(ctx, evm.Deposit{Address: dep(ethInv, "ETH").Address, Asset: "ETH", Amount: big.NewInt(100)}, 10); !errors.Is(err, evm.ErrNotWorth) {
		t.Fatalf("sweeping 100 wei: %v, want ErrNotWorth", err)
	}
	native, err := w.SweepNative(ctx, dep(ethInv, "ETH"), 10)
	if err != nil {
		t.Fatal(err)
	}
	e.mine(1) // the watcher sees every block: our own top-up must not count as a deposit
	// Step 1 of the token sweep: gas from the hot wallet (funded by the native sweep).
	gas, err := w.SweepToken(ctx, dep(usdtInv, "USDT_ETHEREUM"))
	if err != nil || gas.Kind != "gas" {
		t.Fatalf("token sweep step 1: %+v, %v", gas, err)
	}
	e.mine(1) // the watcher sees every block: our own top-up must not count as a deposit
	tok, err := w.SweepToken(ctx, dep(usdtInv, "USDT_ETHEREUM"))
	if err != nil || tok.Kind != "sweep" {
		t.Fatalf("token sweep step 2: %+v, %v", tok, err)
	}
	e.mine(1) // the watcher sees every block: our own top-up must not count as a deposit
	ns := e.confirm(w, native.SpecID, evm.SendConfirmed)
	gs := e.confirm(w, gas.SpecID, evm.SendConfirmed)
	ts := e.confirm(w, tok.SpecID, evm.SendConfirmed)
	// Hot wallet: what the native sweep sent, minus the gas top-up and its fee.
	want := new(big.Int).Sub(native.Amount, gs.Amount)
	want.Sub(want, gs.Fee)
	if got := e.node.Balance(w.HotAddress()); got.Cmp(want) != 0 {
		t.Fatalf("hot wallet ETH %s, want %s", got, want)
	}
	if got := e.node.TokenBalance(evmdevnet.USDT, w.HotAddress()); got.Cmp(e.units("USDT_ETHEREUM", "100")) != 0 {
		t.Fatalf("hot wallet USDT %s", got)
	}
	// Our own gas top-up to a deposit address is not a deposit: nothing pending, and
	// after its confirmations nothing more available than the swept ether minus fees.
	e.mine(5)
	if b := e.balance("ETH"); !b.Pending.IsZero() {
		t.Fatalf("the gas top-up was booked as a deposit: %+v", b)
	}
	// Every network fee is in the ledger.
	total := new(big.Int).Add(ns.Fee, gs.Fee)
	total.Add(total, ts.Fee)
	b := e.balance("ETH")
	fees, _ := new(big.Int).SetString(b.Available.Shift(18).String(), 10)
	if spent := new(big.Int).Sub(e.units("ETH", "1"), fees); spent.Cmp(total) != 0 {
		t.Fatalf("ledger took %s of fees from available, the chain charged %s", spent, total)
	}
	e.verify()
}

// TestWallet_NonceTooLowFromAStalePoolIsNotABroadcast: geth can answer "nonce too low"
// while its pool resets after a block, though nothing with that nonce is mined. The
// wallet must not take that for a broadcast (the payout would wait forever and hold
// back every later nonce): it reports the node unavailable, and the next Send
// broadcasts the same stored transaction, which is mined once.
func TestWallet_NonceTooLowFromAStalePoolIsNotABroadcast(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var lied atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var call struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(body, &call) == nil && call.Method == "eth_sendRawTransaction" && lied.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"nonce too low"}}`, call.ID)
			return
		}
		res, err := http.Post(e.node.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		io.Copy(w, res.Body)
	}))
	defer proxy.Close()
	b, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: proxy.URL, ChainID: evmdevnet.ChainID, Assets: e.reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w, err := evm.NewWallet(evm.WalletConfig{Backend: b, Keyring: e.keys, Update: storage.Runner[chains.WalletTx](e.kt.Store.Update),
		View: storage.Runner[chains.WalletTx](e.kt.Store.View), Book: bookFee, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e.node.PayETH(w.HotAddress(), e.units("ETH", "1"))
	e.node.Commit()
	spec := chains.PayoutSpec{ID: "po_stale", Asset: "ETH", To: recipient, Amount: e.units("ETH", "0.25")}
	first, err := w.Send(ctx, spec)
	if !errors.Is(err, chains.ErrUnavailable) || !lied.Load() {
		t.Fatalf("Send answered nonce too low with nothing mined: %v (proxy lied: %v)", err, lied.Load())
	}
	again, err := w.Send(ctx, spec)
	if err != nil {
		t.Fatalf("second Send: %v", err)
	}
	if first.TxID != "" && again.TxID != first.TxID {
		t.Fatalf("signed twice: %s then %s", first.TxID, again.TxID)
	}
	e.node.Commit()
	if got := e.node.Balance(recipient); got.Cmp(e.units("ETH", "0.25")) != 0 {
		t.Fatalf("recipient has %s", got)
	}
}
