package treasury_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
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
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
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
	ov, err := e.G.Treasury().Overview(ctx, asset.Test)
	if err != nil || len(ov) != 1 || ov[0].HotAddress != hot.Encoded || !ov[0].Hot["USDT_ETHEREUM"].Equal(kassatest.Dec("500")) || ov[0].OpenSweeps != 0 {
		t.Fatalf("overview: %+v, %v", ov, err)
	}
	// Nothing is swept twice.
	e.ETH.Mine(3)
	e.Sync()
	if again, _ := e.G.Treasury().Sweeps(ctx, asset.Test); len(again) != 20 {
		t.Fatalf("%d sweeps after another pass", len(again))
	}
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(fa)) {
		t.Fatalf("ETH available moved to %s", a)
	}
	// One sweep.completed per sweep, naming it; none failed.
	completed := map[string]int{}
	for page := 1; ; page++ {
		evs, total, err := e.G.Events(ctx, asset.Test, "", nil, page, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type == treasury.EventSweepCompleted {
				completed[ev.ObjectID]++
			}
			if ev.Type == treasury.EventSweepFailed {
				t.Errorf("event %s for %s", ev.Type, ev.ObjectID)
			}
		}
		if page*100 >= total {
			break
		}
	}
	for _, s := range sweeps {
		if completed[s.ID] != 1 {
			t.Errorf("sweep %s: %d sweep.completed events, want 1", s.ID, completed[s.ID])
		}
	}
	if len(completed) != len(sweeps) {
		t.Errorf("sweep.completed for %d sweeps, %d swept", len(completed), len(sweeps))
	}
}

// TestSweep_PayoutWaitsForTheSweep: a USDT payout asked for while the hot wallet has
// no USDT yet (the deposits are still on their invoice addresses) waits, processing
// and held, and completes once the sweep pass has brought the tokens; with nothing to
// sweep (the threshold out of reach) it fails after PayoutOptions.FundsWait with its
// holds released.
func TestSweep_PayoutWaitsForTheSweep(t *testing.T) {
	ctx := context.Background()
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	e.Credit("ETH", "1")
	e.Credit("USDT_ETHEREUM", "100")
	dest := "0x00000000000000000000000000000000000000dd"
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("60"), Currency: "USDT", Network: "ethereum", Destination: dest})
	if err != nil || p.Status != payout.StatusProcessing {
		t.Fatalf("a payout before the sweep: %+v, %v", p, err)
	}
	for i := 0; ; i++ {
		got, err := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == payout.StatusCompleted {
			break
		}
		if got.Status == payout.StatusFailed || i == 60 {
			t.Fatalf("payout after %d blocks: %+v", i, got)
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	if b := e.ETH.TokenBalance(evmdevnet.USDT, dest); b.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("60"))) != 0 {
		t.Fatalf("the destination holds %s USDT units", b)
	}
	e.Verify()

	f := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{
		Thresholds: map[string]decimal.Decimal{"USDT_ETHEREUM": kassatest.Dec("1000000")}}))
	f.Credit("ETH", "1")
	f.Credit("USDT_ETHEREUM", "100")
	p, err = f.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("60"), Currency: "USDT", Network: "ethereum", Destination: dest})
	if err != nil || p.Status != payout.StatusProcessing {
		t.Fatalf("a payout nothing will be swept for: %+v, %v", p, err)
	}
	f.Clock.Advance(30 * time.Minute)
	f.Sync()
	if got, _ := f.G.Payouts().Get(ctx, asset.Test, p.ID); got.Status != payout.StatusProcessing {
		t.Fatalf("within FundsWait: %s", got.Status)
	}
	f.Clock.Advance(31 * time.Minute)
	f.Sync()
	got, _ := f.G.Payouts().Get(ctx, asset.Test, p.ID)
	if got.Status != payout.StatusFailed || !strings.Contains(got.FailureReason, "waited") {
		t.Fatalf("after FundsWait: %+v", got)
	}
	if a := f.Available("USDT_ETHEREUM"); !a.Equal(kassatest.Dec("100")) {
		t.Fatalf("USDT available %s after the failure", a)
	}
	f.Verify()
}

// TestSweep_RestartBetweenTopUpAndTokenSweepResumes: the Gateway stops after a USDT
// sweep's gas top-up was sent and before the tokens moved; the restarted one goes on
// from there: the same top-up (no second one), one token transfer, one sweep record.
func TestSweep_RestartBetweenTopUpAndTokenSweepResumes(t *testing.T) {
	ctx := context.Background()
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	e.Credit("ETH", "1")
	for i := 0; ; i++ { // the ETH deposit reaches the hot wallet: it pays the top-ups
		sw, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
		if len(sw) == 1 && sw[0].Status == treasury.SweepCompleted {
			break
		}
		if i == 20 {
			t.Fatalf("ETH sweep: %+v", sw)
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	e.Credit("USDT_ETHEREUM", "100")
	usdt := func() *treasury.Sweep {
		sw, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
		var found *treasury.Sweep
		for _, s := range sw {
			if s.Asset == "USDT_ETHEREUM" {
				if found != nil {
					t.Fatalf("two USDT sweeps: %+v and %+v", found, s)
				}
				found = s
			}
		}
		return found
	}
	first := usdt()
	if first == nil || first.Status != treasury.SweepToppingUp || first.GasTx == "" || first.Gas == nil || !first.Gas.IsPositive() {
		t.Fatalf("USDT sweep after its first step: %+v", first)
	}
	// The top-up sits at the deposit address, reserved for the token transfer.
	if ov, err := e.G.Treasury().Overview(ctx, asset.Test); err != nil || len(ov) != 1 || !ov[0].GasReserved["ETH"].Equal(*first.Gas) {
		t.Fatalf("overview between top-up and token sweep: %+v, %v; want %s ETH of gas reserved", ov, err, first.Gas)
	}
	e.G.Close() // stops between the top-up and the token transfer
	e.ETH.Mine(1)
	e.Open(e.BTC.RPC)
	for i := 0; ; i++ {
		s := usdt()
		if s.Status == treasury.SweepCompleted {
			if s.GasTx != first.GasTx || s.ID != first.ID {
				t.Fatalf("after the restart: %+v, before %+v", s, first)
			}
			break
		}
		if i == 20 || s.Status == treasury.SweepFailed {
			t.Fatalf("USDT sweep: %+v", s)
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if b := e.ETH.TokenBalance(evmdevnet.USDT, hot.Encoded); b.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("100"))) != 0 {
		t.Fatalf("the hot wallet holds %s USDT units", b)
	}
	e.Verify()
}

// TestCold_ExcessAboveTheCeilingIsForwarded: with a ceiling of 0.3 ETH, what the sweeps
// bring to the hot wallet above it goes to the cold wallet as a payout of the
// merchant's own (no code), followed to completion; the hot wallet keeps the ceiling.
// A cold address that is one of ours, or not an address, is refused at start.
func TestCold_ExcessAboveTheCeilingIsForwarded(t *testing.T) {
	ctx := context.Background()
	cold := "0x00000000000000000000000000000000000000c0"
	eth := chains.NetworkRef{ID: asset.Ethereum, Mode: asset.Test}
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{
		Cold: map[chains.NetworkRef]treasury.Cold{eth: {Address: cold, Ceilings: map[string]decimal.Decimal{"ETH": kassatest.Dec("0.3")}}}}))
	e.Credit("ETH", "1")
	var fwd *treasury.Sweep
	for i := 0; fwd == nil || fwd.Status != treasury.SweepCompleted; i++ {
		if i == 40 {
			t.Fatalf("cold forward: %+v", fwd)
		}
		e.ETH.Mine(1)
		e.Sync()
		sw, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
		for _, s := range sw {
			if s.Kind == treasury.KindCold {
				fwd = s
			}
		}
	}
	p, err := e.G.Payouts().Get(ctx, asset.Test, fwd.PayoutID)
	if err != nil || p.Status != payout.StatusCompleted || p.Approval != payout.ApprovalInternal || !p.ServiceFee.IsZero() {
		t.Fatalf("the forward's payout: %+v, %v", p, err)
	}
	if b := e.ETH.Balance(cold); b.Cmp(e.Units("ETH", p.NetAmount)) != 0 {
		t.Fatalf("the cold wallet holds %s wei, the payout sent %s", b, p.NetAmount)
	}
	if ov, err := e.G.Treasury().Overview(ctx, asset.Test); err != nil || len(ov) != 1 || !ov[0].ColdForwarded["ETH"].Equal(fwd.Amount) ||
		len(ov[0].GasReserved) != 0 {
		t.Fatalf("overview after the forward: %+v, %v; want %s ETH forwarded to cold storage", ov, err, fwd.Amount)
	}
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if b := decimal.NewFromBigInt(e.ETH.Balance(hot.Encoded), -18); b.LessThan(kassatest.Dec("0.3")) || b.GreaterThan(kassatest.Dec("0.301")) {
		t.Fatalf("the hot wallet keeps %s ETH, the ceiling is 0.3", b)
	}
	e.Verify()

	for _, bad := range []string{"0xnot-an-address", hot.Encoded} {
		_, err := kassa.New(kassa.Config{Mnemonic: kassatest.Mnemonic, DatabasePath: t.TempDir() + "/k.db", Chains: []chains.Backend{e.EthB},
			Assets: e.Reg, Treasury: kassa.TreasuryOptions{Cold: map[chains.NetworkRef]treasury.Cold{eth: {Address: bad}}}})
		if err == nil || !strings.Contains(err.Error(), "Treasury.Cold") {
			t.Errorf("cold address %q: %v", bad, err)
		}
	}
	// The pass is on by default; NoSweep turns it off.
	for _, c := range []struct {
		opts kassa.TreasuryOptions
		on   bool
	}{{kassa.TreasuryOptions{}, true}, {kassa.TreasuryOptions{NoSweep: true}, false}} {
		g, err := kassa.New(kassa.Config{Mnemonic: kassatest.Mnemonic, DatabasePath: t.TempDir() + "/k.db", Chains: []chains.Backend{e.EthB},
			Assets: e.Reg, Treasury: c.opts})
		if err != nil {
			t.Fatal(err)
		}
		if on := g.Treasury() != nil; on != c.on {
			t.Errorf("%+v: sweep pass on = %v, want %v", c.opts, on, c.on)
		}
		g.Close()
	}
	// Options that make no sense are refused at start, naming the option.
	for name, c := range map[string]kassa.TreasuryOptions{
		"Treasury.Cold":          {Cold: map[chains.NetworkRef]treasury.Cold{eth: {Address: cold, Ceilings: map[string]decimal.Decimal{"ETH": kassatest.Dec("-1")}}}},
		"Treasury.Thresholds":    {Thresholds: map[string]decimal.Decimal{"DOGE": kassatest.Dec("1")}},
		"Treasury.MaxFeePercent": {MaxFeePercent: 150},
		"Treasury.NoSweep":       {NoSweep: true, Cold: map[chains.NetworkRef]treasury.Cold{eth: {Address: cold}}},
	} {
		_, err := kassa.New(kassa.Config{Mnemonic: kassatest.Mnemonic, DatabasePath: t.TempDir() + "/k.db", Chains: []chains.Backend{e.EthB},
			Assets: e.Reg, Treasury: c})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSweep_TwoEqualDepositsToOneAddressAreBothSwept: a second deposit of the same
// amount to an address already swept is a new sweep with its own transactions (the
// sweep's id names them), not the first one's found again.
func TestSweep_TwoEqualDepositsToOneAddressAreBothSwept(t *testing.T) {
	ctx := context.Background()
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	e.Credit("ETH", "1")
	multiple := true
	inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("50"), Currency: "USDT_ETHEREUM", PaymentMultiple: &multiple})
	if err != nil {
		t.Fatal(err)
	}
	addr := inv.Methods[0].Address
	settle := func(want int) []*treasury.Sweep {
		t.Helper()
		for i := 0; ; i++ {
			var usdt []*treasury.Sweep
			sw, _ := e.G.Treasury().Sweeps(ctx, asset.Test)
			done := 0
			for _, s := range sw {
				if s.Asset == "USDT_ETHEREUM" {
					usdt = append(usdt, s)
					if s.Status == treasury.SweepCompleted {
						done++
					}
				}
			}
			if done == want && len(usdt) == want {
				return usdt
			}
			if i == 30 {
				t.Fatalf("USDT sweeps: %d of %d done (%d)", done, want, len(usdt))
			}
			e.ETH.Mine(1)
			e.Sync()
		}
	}
	e.PayAmount(inv, "USDT_ETHEREUM", kassatest.Dec("50"))
	settle(1)
	e.PayAmount(inv, "USDT_ETHEREUM", kassatest.Dec("50"))
	sw := settle(2)
	if sw[0].TxHash == sw[1].TxHash || sw[0].ID == sw[1].ID || sw[0].Address != addr || sw[1].Address != addr {
		t.Fatalf("two sweeps of one address: %+v and %+v", sw[0], sw[1])
	}
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if b := e.ETH.TokenBalance(evmdevnet.USDT, hot.Encoded); b.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("100"))) != 0 {
		t.Fatalf("the hot wallet holds %s USDT units, 100 came in", b)
	}
	e.Verify()
}
