package tron_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/treasury"
	"github.com/shopspring/decimal"
)

// TestSweep_TRXAndUSDTDepositsReachTheHotWallet: on the devnet (solidity 3 blocks
// down), five TRX and five USDT deposits to invoice addresses end in the hot wallet,
// moved by the sweep pass alone. Each USDT deposit address, holding tokens but no TRX
// (so not even an account yet), gets a top-up from the hot wallet that activates it
// and pays its energy, then sends its tokens. Every sun is accounted for: the hot
// wallet and the deposit addresses hold what came in less what the chain burnt, each
// sweep's fee is what its transactions burnt, the ledger books those fees from the
// merchant's TRX, and a later pass sweeps nothing again.
func TestSweep_TRXAndUSDTDepositsReachTheHotWallet(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	e.node.SetSolidDepth(3)
	hot, err := e.keys.Address(asset.FamilyTron, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.node.PayTRX(hot.Encoded, 300*trondevnet.Sun) // for the top-ups
	var trxAddrs, usdtAddrs []string
	for range 5 {
		inv := e.invoice("100", "TRX")
		addr := e.kt.Method(inv, "TRX").Address
		e.node.PayTRX(addr, 100*trondevnet.Sun)
		trxAddrs = append(trxAddrs, addr)
	}
	for range 5 {
		inv := e.invoice("50", "USDT_TRON")
		addr := e.kt.Method(inv, "USDT_TRON").Address
		e.node.PayToken(addr, e.units("USDT_TRON", "50"))
		usdtAddrs = append(usdtAddrs, addr)
	}
	completed := func() []*treasury.Sweep {
		sw, err := e.g.Treasury().Sweeps(ctx, asset.Test)
		if err != nil {
			t.Fatal(err)
		}
		var out []*treasury.Sweep
		for _, s := range sw {
			if s.Status == treasury.SweepCompleted {
				out = append(out, s)
			}
			if s.Status == treasury.SweepFailed {
				t.Fatalf("sweep %s of %s failed: %s", s.ID, s.Asset, s.Reason)
			}
		}
		return out
	}
	for i := 0; len(completed()) < 10; i++ {
		if i == 40 {
			sw, _ := e.g.Treasury().Sweeps(ctx, asset.Test)
			for _, s := range sw {
				t.Logf("%s %s %s %s %s", s.ID, s.Asset, s.Address, s.Status, s.Reason)
			}
			t.Fatalf("%d of 10 sweeps completed in 40 blocks", len(completed()))
		}
		e.mine(1)
	}
	sweeps := completed()
	fees := new(big.Int)
	for _, s := range sweeps {
		if s.Fee == nil || (s.Asset == "USDT_TRON" && !s.Fee.IsPositive()) {
			t.Fatalf("sweep without its fee: %+v", s)
		}
		fees.Add(fees, e.units("TRX", s.Fee.String()))
		burnt, mined := e.node.Fee(s.TxHash)
		if s.GasTx != "" {
			gas, ok := e.node.Fee(s.GasTx)
			burnt, mined = burnt+gas, mined && ok
		}
		if !mined || !s.Fee.Equal(decimal.New(burnt, -6)) {
			t.Fatalf("sweep %s of %s: fee %s, its transactions burnt %d sun (mined %v)", s.ID, s.Asset, s.Fee, burnt, mined)
		}
		if s.Asset == "USDT_TRON" && s.GasTx == "" {
			t.Fatalf("a token sweep without a top-up from an address with no TRX: %+v", s)
		}
	}
	held := big.NewInt(e.node.TRX(must(tron.ParseAddress(hot.Encoded))))
	for _, a := range append(trxAddrs, usdtAddrs...) {
		held.Add(held, big.NewInt(e.node.TRX(must(tron.ParseAddress(a))))) // what fee limits left behind
	}
	if want := new(big.Int).Sub(big.NewInt(800*trondevnet.Sun), fees); held.Cmp(want) != 0 {
		t.Fatalf("on chain the wallet holds %s sun; what came in less the sweeps' fees is %s", held, want)
	}
	if got := e.node.Tokens(must(tron.ParseAddress(hot.Encoded))); got.Cmp(e.units("USDT_TRON", "250")) != 0 {
		t.Fatalf("the hot wallet holds %s USDT units, 250 USDT came in", got)
	}
	for _, a := range usdtAddrs {
		if b := e.node.Tokens(must(tron.ParseAddress(a))); b.Sign() != 0 {
			t.Fatalf("%s still holds %s USDT units", a, b)
		}
	}
	fa := decimal.NewFromBigInt(fees, -6)
	if a := e.kt.Balance("TRX").Available; !a.Equal(decimal.RequireFromString("500").Sub(fa)) {
		t.Fatalf("TRX available %s, want 500 - %s", a, fa)
	}
	if a := e.kt.Balance("USDT_TRON").Available; !a.Equal(decimal.RequireFromString("250")) {
		t.Fatalf("USDT available %s", a)
	}
	e.kt.Verify()
	e.mine(4)
	if again, _ := e.g.Treasury().Sweeps(ctx, asset.Test); len(again) != 10 {
		t.Fatalf("%d sweeps after more passes, want 10", len(again))
	}
	if a := e.kt.Balance("TRX").Available; !a.Equal(decimal.RequireFromString("500").Sub(fa)) {
		t.Fatalf("TRX available moved to %s", a)
	}
}

// TestSweep_RefusedSweepFailsThenTheDepositIsSweptAgain: a node that refuses a TRX
// sweep's first broadcast fails that sweep (its deposit given back, nothing burnt);
// the next pass sweeps the deposit again, once.
func TestSweep_RefusedSweepFailsThenTheDepositIsSweptAgain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	e.node.SetSolidDepth(2)
	inv := e.invoice("40", "TRX")
	e.node.PayTRX(e.kt.Method(inv, "TRX").Address, 40*trondevnet.Sun)
	e.node.RefuseBroadcasts("CONTRACT_VALIDATE_ERROR")
	status := func() map[treasury.SweepStatus]int {
		sw, err := e.g.Treasury().Sweeps(ctx, asset.Test)
		if err != nil {
			t.Fatal(err)
		}
		out := map[treasury.SweepStatus]int{}
		for _, s := range sw {
			out[s.Status]++
		}
		return out
	}
	for i := 0; status()[treasury.SweepFailed] == 0; i++ {
		if i == 20 {
			t.Fatalf("no sweep failed in 20 blocks: %v", status())
		}
		e.mine(1)
	}
	e.node.RefuseBroadcasts("")
	for i := 0; status()[treasury.SweepCompleted] == 0; i++ {
		if i == 20 {
			t.Fatalf("no sweep completed in 20 blocks: %v", status())
		}
		e.mine(1)
	}
	e.mine(3)
	if got := status(); got[treasury.SweepCompleted] != 1 || got[treasury.SweepFailed] != 1 || len(got) != 2 {
		t.Fatalf("sweeps %v, want one failed and one completed", got)
	}
	hot, _ := e.keys.Address(asset.FamilyTron, asset.Test, keys.Change, 0)
	sw, _ := e.g.Treasury().Sweeps(ctx, asset.Test)
	var fee decimal.Decimal
	for _, s := range sw {
		if s.Status == treasury.SweepCompleted {
			fee = *s.Fee
		}
	}
	// The sweep activated the hot wallet: 1.1 TRX burnt, the rest arrived once.
	if got, want := e.node.TRX(must(tron.ParseAddress(hot.Encoded))), 40*trondevnet.Sun-e.units("TRX", fee.String()).Int64(); got != want || !fee.Equal(decimal.RequireFromString("1.1")) {
		t.Fatalf("the hot wallet holds %d sun, want %d: 40 TRX less the sweep's fee %s", got, want, fee)
	}
	if a := e.kt.Balance("TRX").Available; !a.Equal(decimal.RequireFromString("38.9")) {
		t.Fatalf("TRX available %s, want 40 less the fee", a)
	}
	e.kt.Verify()
}
