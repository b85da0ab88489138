package treasury_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/treasury"
	"github.com/shopspring/decimal"
)

// TestSweep_DepositsReachTheHotWalletByThePassAlone: on the go-ethereum node, ten ETH
// and ten USDT deposits to invoice addresses end in the hot wallet, moved by the sweep
// pass alone (Sync and blocks, nothing by hand): the ETH sweeps first, then each
// USDT deposit gets its gas from the hot wallet and sends its tokens. Every wei is
// accounted for: what the hot wallet and the deposit addresses hold is what came in
// less the fees, each fee is in the sweep records and in the ledger, and the
// merchant's balances are the deposits less the fees. A later pass sweeps nothing
// again.
func TestSweep_DepositsReachTheHotWalletByThePassAlone(t *testing.T) {
	ctx := context.Background()
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{Sweep: true}))
	var ethAddrs, usdtAddrs []string
	for range 10 {
		inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.1"), Currency: "ETH"})
		if err != nil {
			t.Fatal(err)
		}
		e.Pay(inv, "ETH")
		ethAddrs = append(ethAddrs, inv.Methods[0].Address)
	}
	for range 10 {
		inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("50"), Currency: "USDT_ETHEREUM"})
		if err != nil {
			t.Fatal(err)
		}
		e.Pay(inv, "USDT_ETHEREUM")
		usdtAddrs = append(usdtAddrs, inv.Methods[0].Address)
	}
	done := func() bool {
		sw, err := e.G.Treasury().Sweeps(ctx, asset.Test)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range sw {
			if s.Status == treasury.SweepCompleted {
				n++
			}
		}
		return n == 20
	}
	for i := 0; !done(); i++ {
		if i == 40 {
			sw, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
			for _, s := range sw {
				t.Logf("%s %s %s %s %s", s.ID, s.Asset, s.Address, s.Status, s.Reason)
			}
			t.Fatalf("the sweeps did not complete in 40 blocks")
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	hot, err := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	sweeps, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
	fees := new(big.Int)
	for _, s := range sweeps {
		if s.Fee == nil || !s.Fee.IsPositive() {
			t.Fatalf("sweep without its fee: %+v", s)
		}
		fees.Add(fees, e.Units("ETH", *s.Fee))
	}
	ethIn := e.Units("ETH", kassatest.Dec("1"))
	held := new(big.Int).Set(e.ETH.Balance(hot.Encoded))
	for _, a := range append(ethAddrs, usdtAddrs...) {
		held.Add(held, e.ETH.Balance(a)) // what the sweeps' gas caps left behind
	}
	if want := new(big.Int).Sub(ethIn, fees); held.Cmp(want) != 0 {
		t.Fatalf("on chain the wallet holds %s wei, deposits less the sweeps' fees are %s", held, want)
	}
	if got := e.ETH.TokenBalance(evmdevnet.USDT, hot.Encoded); got.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("500"))) != 0 {
		t.Fatalf("the hot wallet holds %s USDT units, 500 USDT came in", got)
	}
	for _, a := range usdtAddrs {
		if b := e.ETH.TokenBalance(evmdevnet.USDT, a); b.Sign() != 0 {
			t.Fatalf("%s still holds %s USDT units", a, b)
		}
	}
	fa := decimal.NewFromBigInt(fees, -18)
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(fa)) {
		t.Fatalf("ETH available %s, want 1 - %s", a, fa)
	}
	if a := e.Available("USDT_ETHEREUM"); !a.Equal(kassatest.Dec("500")) {
		t.Fatalf("USDT available %s", a)
	}
	e.Verify()
	// Nothing is swept twice.
	e.ETH.Mine(3)
	e.Sync()
	if again, _ := e.G.Treasury().Sweeps(ctx, asset.Test); len(again) != 20 {
		t.Fatalf("%d sweeps after another pass", len(again))
	}
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(fa)) {
		t.Fatalf("ETH available moved to %s", a)
	}
}
