package wallet_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

// nodeWallet creates a wallet on a node-backed Gateway.
func nodeWallet(t *testing.T, e *nodetest.Env, customerID, currency string) *wallet.Wallet {
	t.Helper()
	w, created, err := e.G.Wallets().Create(t.Context(), asset.Test, wallet.CreateParams{CustomerID: customerID, Currency: currency})
	if err != nil || !created {
		t.Fatalf("wallet of %s in %s: %v (created %v)", customerID, currency, err, created)
	}
	return w
}

// balances reads a wallet's available and pending balances, checking them against
// its ledger accounts to the base unit.
func balances(t *testing.T, e *nodetest.Env, w *wallet.Wallet) (avail, pending decimal.Decimal) {
	t.Helper()
	got, err := e.G.Wallets().Get(t.Context(), asset.Test, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Reg.Get(w.Asset)
	err = e.KT.Store.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		for name, want := range map[string]decimal.Decimal{ledger.WalletAvailable(asset.Test, w.ID, w.Asset): got.Balance,
			ledger.WalletPending(asset.Test, w.ID, w.Asset): got.Pending} {
			acct, err := tx.Account(ctx, name)
			if err != nil {
				return err
			}
			if u, _ := a.ToBaseUnits(want); acct.Balance.Cmp(u) != 0 {
				t.Errorf("%s holds %s base units, the wallet says %s", name, acct.Balance, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got.Balance, got.Pending
}

func wantBalance(t *testing.T, e *nodetest.Env, w *wallet.Wallet, avail, pending string) {
	t.Helper()
	a, p := balances(t, e, w)
	if !a.Equal(kassatest.Dec(avail)) || !p.Equal(kassatest.Dec(pending)) {
		t.Fatalf("wallet %s (%s): available %s pending %s, want %s and %s", w.ID, w.Asset, a, p, avail, pending)
	}
}

// completedEvents counts the wallet.deposit.completed events of w's deposits by tx.
func completedEvents(e *nodetest.Env, w *wallet.Wallet) map[string]int {
	out := map[string]int{}
	for _, ev := range e.KT.Events() {
		if ev.ObjectID == w.ID && ev.Type == wallet.EventDepositCompleted {
			out[string(ev.Data)]++
		}
	}
	return out
}

// TestWallets_BTCOnBtcd: on a real btcd node, two customers' BTC wallets receive
// five deposits, credited once each at their confirmations; the block of one is
// invalidated (btcd puts the deposit back in its mempool: pending again) and a new
// branch mines it (available again, credited once); one customer withdraws above
// the approval threshold (it waits for its one-time code, as any payout does) and the
// withdrawal completes with the fee from the wallet. The wallets' balances are their
// ledger accounts to the satoshi, the coins Kassa holds on chain are the wallets'
// balances, the recipient has the amount once, and the ledger balances.
func TestWallets_BTCOnBtcd(t *testing.T) {
	e := nodetest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("1000")}))
	ctx := t.Context()
	ada := nodeWallet(t, e, "ada", "BTC")
	bob := nodeWallet(t, e, "bob", "BTC")
	pay := func(w *wallet.Wallet, amount string) string {
		script, err := bitcoin.AddressScript(w.Address, nodetest.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		return e.BTC.Payer().Pay(btcdtest.Output{Script: script, Sats: e.Units("BTC", kassatest.Dec(amount)).Int64()})
	}
	pay(ada, "0.01")
	pay(ada, "0.02")
	pay(bob, "0.1")
	e.Sync()
	wantBalance(t, e, ada, "0", "0.03")
	wantBalance(t, e, bob, "0", "0.1")
	e.BTC.Generate(1)
	e.Sync()
	wantBalance(t, e, ada, "0.03", "0")
	wantBalance(t, e, bob, "0.1", "0")
	reorged := pay(ada, "0.03")
	pay(bob, "0.2")
	e.BTC.Generate(1)
	e.Sync()
	wantBalance(t, e, ada, "0.06", "0")
	wantBalance(t, e, bob, "0.3", "0")

	// Out: the block leaves the chain, btcd puts its transactions back in the mempool.
	e.BTC.Invalidate(e.BlockOf(reorged))
	e.Sync()
	wantBalance(t, e, ada, "0.03", "0.03")
	wantBalance(t, e, bob, "0.1", "0.2")
	// And back: a longer branch mines them again.
	e.BTC.Generate(2)
	e.Sync()
	wantBalance(t, e, ada, "0.06", "0")
	wantBalance(t, e, bob, "0.3", "0")
	e.Sync()
	wantBalance(t, e, ada, "0.06", "0")
	if b, _ := e.G.Balance(ctx, asset.Test, "BTC"); !b.Available.IsZero() || !b.Pending.IsZero() {
		t.Fatalf("the merchant's balance moved: %+v", b)
	}
	for k, n := range completedEvents(e, ada) {
		if n != 1 && !bytes.Contains([]byte(k), []byte(reorged)) {
			t.Errorf("a deposit completed %d times: %s", n, k)
		}
	}

	dest, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{0x5a}, 20), nodetest.Regtest)
	po, err := e.G.Wallets().Withdraw(ctx, asset.Test, bob.ID, wallet.WithdrawParams{Amount: kassatest.Dec("0.05"), Destination: dest.EncodeAddress()})
	if err != nil {
		t.Fatal(err)
	}
	if po.Status != payout.StatusPendingVerification {
		t.Fatalf("a withdrawal of 3,250 USD over a 1,000 USD threshold: %s", po.Status)
	}
	if po, err = e.G.Payouts().Verify(ctx, asset.Test, po.ID, e.Code(po.ID)); err != nil || po.Status != payout.StatusBroadcast {
		t.Fatalf("verified withdrawal: %+v %v", po, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	po, _ = e.G.Payouts().Get(ctx, asset.Test, po.ID)
	if po.Status != payout.StatusCompleted || po.Fee == nil {
		t.Fatalf("withdrawal after a block: %+v", po)
	}
	bobLeft := kassatest.Dec("0.3").Sub(kassatest.Dec("0.05")).Sub(*po.Fee)
	wantBalance(t, e, bob, bobLeft.String(), "0")
	wantBalance(t, e, ada, "0.06", "0")
	if got := e.PaidOnChain(dest.EncodeAddress()); got != e.Sats(kassatest.Dec("0.05")) {
		t.Fatalf("the recipient has %d sat, want 5,000,000 once", got)
	}
	if got, want := e.OwnedOnChain(), e.Sats(bobLeft.Add(kassatest.Dec("0.06"))); got != want {
		t.Fatalf("Kassa holds %d sat on chain, the wallets %d", got, want)
	}
	if b, _ := e.G.Balance(ctx, asset.Test, "BTC"); !b.Available.IsZero() || !b.Held.IsZero() || !b.Deficit.IsZero() {
		t.Fatalf("the merchant's balance moved: %+v", b)
	}
	e.Verify()
}

// TestWallets_ETHAndUSDTOnGoEthereum: on the go-ethereum node, one customer's ETH
// wallet and another's USDT wallet receive deposits, credited once at their
// confirmations; a reorg takes the block of one USDT deposit away (reversed), and the
// same signed transaction is mined in the new branch (credited once). The
// treasury sweeps the wallets' deposits to the hot wallet like invoice deposits;
// then each customer withdraws: ETH with its fee from the wallet, USDT with its gas
// from the merchant's ETH. Recipients get the amounts once; balances are the ledger's
// to the wei and the token's base unit.
func TestWallets_ETHAndUSDTOnGoEthereum(t *testing.T) {
	e := nodetest.New(t, kassatest.WithTreasury(kassa.TreasuryOptions{}))
	ctx := t.Context()
	cat := nodeWallet(t, e, "cat", "ETH")
	dan := nodeWallet(t, e, "dan", "USDT_ETHEREUM")

	// Out and back, while nothing else is under way (go-ethereum's simulated node
	// forks only with an empty pending block): the deposit is seen, its block leaves
	// the chain (reversed), and the payer's same signed transaction is mined in the
	// new branch, credited once.
	h := e.ETH.PayToken(evmdevnet.USDT, dan.Address, e.Units("USDT_ETHEREUM", kassatest.Dec("40")))
	signed, _, err := e.ETH.Client.TransactionByHash(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	mined := e.ETH.Commit()
	e.Sync()
	wantBalance(t, e, dan, "0", "40")
	head, err := e.ETH.Client.HeaderByHash(ctx, mined)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ETH.Fork(head.ParentHash); err != nil {
		t.Fatal(err)
	}
	e.ETH.Rollback()
	e.ETH.Mine(3) // the branch without the deposit is longer
	e.Sync()
	wantBalance(t, e, dan, "0", "0")
	e.ETH.Resend(signed)
	e.ETH.Mine(2)
	e.Sync()
	wantBalance(t, e, dan, "40", "0")
	var reversed, completed int
	for _, ev := range e.KT.Events() {
		switch {
		case ev.ObjectID != dan.ID:
		case ev.Type == wallet.EventDepositReversed:
			reversed++
		case ev.Type == wallet.EventDepositCompleted:
			completed++
		}
	}
	if reversed != 1 || completed != 1 {
		t.Fatalf("%d wallet.deposit.reversed and %d completed events, want 1 and 1", reversed, completed)
	}

	e.ETH.PayETH(cat.Address, e.Units("ETH", kassatest.Dec("0.1")))
	e.ETH.PayETH(cat.Address, e.Units("ETH", kassatest.Dec("0.2")))
	e.ETH.PayToken(evmdevnet.USDT, dan.Address, e.Units("USDT_ETHEREUM", kassatest.Dec("30")))
	e.ETH.Mine(1)
	e.Sync()
	wantBalance(t, e, cat, "0", "0.3")
	wantBalance(t, e, dan, "40", "30")
	e.ETH.Mine(1)
	e.Sync()
	wantBalance(t, e, cat, "0.3", "0")
	wantBalance(t, e, dan, "70", "0")
	e.Credit("ETH", "0.5") // the merchant's coin, for the USDT withdrawal's gas

	// The treasury sweeps the wallets' addresses like invoice addresses: the ETH one
	// less its fee (what the fee cap over-reserved stays behind as dust), the USDT one
	// whole after a gas top-up.
	swept := func() map[string]int {
		sw, err := e.G.Treasury().Sweeps(ctx, asset.Test)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, s := range sw {
			if s.Status == treasury.SweepCompleted {
				out[s.Address]++
			}
		}
		return out
	}
	for i := 0; ; i++ {
		if s := swept(); s[cat.Address] == 1 && e.ETH.TokenBalance(evmdevnet.USDT, dan.Address).Sign() == 0 {
			break
		}
		if i == 40 {
			t.Fatalf("the wallets' deposits were not swept in 40 blocks: %v", swept())
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	if dust := e.ETH.Balance(cat.Address); dust.Cmp(e.Units("ETH", kassatest.Dec("0.001"))) > 0 {
		t.Fatalf("the ETH wallet's address keeps %s wei after its sweep", dust)
	}
	wantBalance(t, e, cat, "0.3", "0")
	wantBalance(t, e, dan, "70", "0")

	ethDest := common.HexToAddress("0x00000000000000000000000000000000000000c1").Hex()
	usdtDest := common.HexToAddress("0x00000000000000000000000000000000000000d1").Hex()
	ethBefore := e.Available("ETH")
	pe, err := e.G.Wallets().Withdraw(ctx, asset.Test, cat.ID, wallet.WithdrawParams{Amount: kassatest.Dec("0.05"), Destination: ethDest})
	if err != nil {
		t.Fatal(err)
	}
	pu, err := e.G.Wallets().Withdraw(ctx, asset.Test, dan.ID, wallet.WithdrawParams{Amount: kassatest.Dec("25"), Destination: usdtDest})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		a, _ := e.G.Payouts().Get(ctx, asset.Test, pe.ID)
		b, _ := e.G.Payouts().Get(ctx, asset.Test, pu.ID)
		if a.Status == payout.StatusCompleted && b.Status == payout.StatusCompleted {
			pe, pu = a, b
			break
		}
		if i == 20 {
			t.Fatalf("withdrawals: %s %s, %s %s", a.Status, a.FailureReason, b.Status, b.FailureReason)
		}
		e.ETH.Mine(1)
		e.Sync()
	}
	wantBalance(t, e, cat, kassatest.Dec("0.25").Sub(*pe.Fee).String(), "0")
	wantBalance(t, e, dan, "45", "0")
	if got := e.ETH.Balance(ethDest); got.Cmp(e.Units("ETH", kassatest.Dec("0.05"))) != 0 {
		t.Fatalf("the ETH recipient has %s wei", got)
	}
	if got := e.ETH.TokenBalance(evmdevnet.USDT, usdtDest); got.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("25"))) != 0 {
		t.Fatalf("the USDT recipient has %s", got)
	}
	if got := e.Available("ETH"); !got.Equal(ethBefore.Sub(*pu.Fee)) {
		t.Fatalf("the merchant's ETH %s, want %s less the USDT withdrawal's gas %s", got, ethBefore, pu.Fee)
	}
	if b, _ := e.G.Balance(ctx, asset.Test, "USDT_ETHEREUM"); !b.Available.IsZero() || !b.Held.IsZero() {
		t.Fatalf("the merchant's USDT moved: %+v", b)
	}
	// Every wallet's withdrawal says so, beside the payout's own events.
	for _, id := range []string{pe.ID, pu.ID} {
		types := e.KT.EventTypes(id)
		if !slices.Contains(types, payout.EventWithdrawalInitiated) || !slices.Contains(types, payout.EventWithdrawalCompleted) {
			t.Errorf("withdrawal %s's events: %v", id, types)
		}
	}
	e.Verify()
}
