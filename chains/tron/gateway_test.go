package tron_test

import (
	"context"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/shopspring/decimal"
)

// env is a Gateway in test mode whose Tron backend reads a devnet, with the devnet's
// token as USDT_TRON and 3 confirmations for TRX and USDT.
type env struct {
	t    *testing.T
	node *trondevnet.Node
	kt   *kassatest.Env
	g    *kassa.Gateway
	reg  *asset.Registry
	keys *keys.Keyring
}

func newEnv(t *testing.T, opts ...kassatest.Option) *env {
	t.Helper()
	return newEnvWith(t, nil, opts...)
}

// newEnvWith is newEnv with the backend's config changed by cfg.
func newEnvWith(t *testing.T, cfg func(*tron.Config), opts ...kassatest.Option) *env {
	t.Helper()
	var bopts []func(*tron.Config)
	if cfg != nil {
		bopts = append(bopts, cfg)
	}
	node, b, reg := devnetBackend(t, bopts...)
	for _, code := range []string{"TRX", "USDT_TRON"} {
		if err := reg.SetConfirmations(code, 3); err != nil {
			t.Fatal(err)
		}
	}
	k, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	kt := kassatest.New(t, append([]kassatest.Option{kassatest.WithBackends(b), kassatest.WithKeyring(k), kassatest.WithAssets(reg),
		kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")), kassatest.WithLogger(quiet)}, opts...)...)
	return &env{t: t, node: node, kt: kt, g: kt.Gateway, reg: reg, keys: k}
}

func (e *env) mine(n int) {
	e.t.Helper()
	for range n {
		e.node.Mine(1)
		if err := e.g.Sync(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) invoice(amount, currency string) *invoice.Invoice {
	e.t.Helper()
	return e.kt.Create(invoice.CreateParams{Amount: decimal.RequireFromString(amount), Currency: currency})
}

func (e *env) units(code, amount string) *big.Int { return e.kt.Units(code, amount) }

func (e *env) wantBalance(code, available, pending string) {
	e.t.Helper()
	b := e.kt.Balance(code)
	if !b.Available.Equal(decimal.RequireFromString(available)) || !b.Pending.Equal(decimal.RequireFromString(pending)) {
		e.t.Fatalf("%s balance %+v, want available %s pending %s", code, b, available, pending)
	}
}

// TestGateway_TRXAndUSDTInvoicesPaidAfterConfirmations: a TRX and a USDT-TRC20
// invoice, paid exactly, are confirming once mined and paid at 3 confirmations,
// credited once each; the ledger balances.
func TestGateway_TRXAndUSDTInvoicesPaidAfterConfirmations(t *testing.T) {
	e := newEnv(t)
	trx, usdt := e.invoice("25", "TRX"), e.invoice("100.5", "USDT_TRON")
	m := e.kt.Method(usdt, "USDT_TRON")
	if uri, want := e.g.PaymentURI(usdt, m), "tron:"+m.Address+"?amount=100.5&token="+e.node.Token.String(); uri != want {
		t.Fatalf("USDT_TRON payment URI %q, want %q", uri, want)
	}
	e.node.PayTRX(e.kt.Method(trx, "TRX").Address, 25*trondevnet.Sun)
	e.node.PayToken(e.kt.Method(usdt, "USDT_TRON").Address, e.units("USDT_TRON", "100.5"))
	e.mine(1)
	e.kt.WantStatus(trx.ID, invoice.StatusConfirming, "")
	e.kt.WantStatus(usdt.ID, invoice.StatusConfirming, "")
	e.wantBalance("TRX", "0", "25")
	e.mine(2)
	e.kt.WantStatus(trx.ID, invoice.StatusPaid, "")
	e.kt.WantStatus(usdt.ID, invoice.StatusPaid, "")
	e.mine(3)
	e.wantBalance("TRX", "25", "0")
	e.wantBalance("USDT_TRON", "100.5", "0")
	e.kt.Verify()
}

// TestGateway_RevertedAndOutOfEnergyTransfersNeverCredit: token transfers to the
// invoice's address that are mined but fail (a sender without the tokens: REVERT; a
// fee limit below the energy: OUT_OF_ENERGY) pay nothing; the real payment after them
// does, once.
func TestGateway_RevertedAndOutOfEnergyTransfersNeverCredit(t *testing.T) {
	e := newEnv(t)
	inv := e.invoice("7", "USDT_TRON")
	addr := e.kt.Method(inv, "USDT_TRON").Address
	reverted := e.node.PayTokenReverting(addr, e.units("USDT_TRON", "7"))
	starved := e.node.PayTokenOutOfEnergy(addr, e.units("USDT_TRON", "7"))
	e.mine(4)
	for _, id := range []string{reverted, starved} {
		if _, mined := e.node.Fee(id); !mined {
			t.Fatalf("%s was not mined", id)
		}
	}
	if got := e.node.Tokens(must(tron.ParseAddress(addr))); got.Sign() != 0 {
		t.Fatalf("the failed transfers moved %s tokens", got)
	}
	e.kt.WantStatus(inv.ID, invoice.StatusPending, "")
	e.wantBalance("USDT_TRON", "0", "0")
	e.node.PayToken(addr, e.units("USDT_TRON", "7"))
	e.mine(3)
	e.kt.WantStatus(inv.ID, invoice.StatusPaid, "")
	e.mine(3)
	e.wantBalance("USDT_TRON", "7", "0")
	e.kt.Verify()
}

// TestGateway_ReorgOrphansThenReincludesCreditsOnce: a TRX and a USDT payment whose
// block leaves the chain, and whose transactions are dropped, put their invoices back
// to pending with nothing credited; paid again and reorged once more, with the
// transactions mined again in the new branch, each is credited once.
func TestGateway_ReorgOrphansThenReincludesCreditsOnce(t *testing.T) {
	e := newEnv(t)
	trx, usdt := e.invoice("3", "TRX"), e.invoice("20", "USDT_TRON")
	a, b := e.kt.Method(trx, "TRX").Address, e.kt.Method(usdt, "USDT_TRON").Address
	t1 := e.node.PayTRX(a, 3*trondevnet.Sun)
	t2 := e.node.PayToken(b, e.units("USDT_TRON", "20"))
	e.mine(1)
	e.kt.WantStatus(trx.ID, invoice.StatusConfirming, "")
	e.node.Disconnect(1)
	e.node.Drop(t1)
	e.node.Drop(t2)
	e.mine(2)
	e.kt.WantStatus(trx.ID, invoice.StatusPending, "")
	e.kt.WantStatus(usdt.ID, invoice.StatusPending, "")
	e.wantBalance("TRX", "0", "0")
	e.wantBalance("USDT_TRON", "0", "0")

	e.node.PayTRX(a, 3*trondevnet.Sun)
	e.node.PayToken(b, e.units("USDT_TRON", "20"))
	e.mine(2)
	e.node.Disconnect(2) // both back in the pool, mined again in the new branch's first block
	e.mine(6)
	e.kt.WantStatus(trx.ID, invoice.StatusPaid, "")
	e.kt.WantStatus(usdt.ID, invoice.StatusPaid, "")
	e.wantBalance("TRX", "3", "0")
	e.wantBalance("USDT_TRON", "20", "0")
	e.kt.Verify()
}

// TestGateway_PayoutsOfTRXAndUSDTCompleteWithTheFeeTheChainBurnt: payouts of TRX and
// USDT leave the hot wallet once each, complete at their confirmations, and book as
// fee exactly what their transactions burnt (the TRX payout activates its recipient:
// 1.1 TRX; the token payout's energy); the ledger balances.
func TestGateway_PayoutsOfTRXAndUSDTCompleteWithTheFeeTheChainBurnt(t *testing.T) {
	e := newEnv(t)
	hot, err := e.keys.Address(asset.FamilyTron, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	trx, usdt := e.invoice("60", "TRX"), e.invoice("100", "USDT_TRON")
	e.node.PayTRX(e.kt.Method(trx, "TRX").Address, 60*trondevnet.Sun)
	e.node.PayToken(e.kt.Method(usdt, "USDT_TRON").Address, e.units("USDT_TRON", "100"))
	// The hot wallet is funded on chain by the operator (sweeps are off here).
	e.node.PayTRX(hot.Encoded, 100*trondevnet.Sun)
	e.node.PayToken(hot.Encoded, e.units("USDT_TRON", "1000"))
	e.mine(3)
	to := e.kt.Recipient(asset.Tron, 0)
	pt := e.kt.NewPayout(payout.CreateParams{Amount: decimal.RequireFromString("10"), Currency: "TRX", Destination: to})
	pu := e.kt.NewPayout(payout.CreateParams{Amount: decimal.RequireFromString("40"), Currency: "USDT_TRON", Destination: to})
	e.mine(4)
	recipient := must(tron.ParseAddress(to))
	var fees int64
	for _, id := range []string{pt.ID, pu.ID} {
		p := e.kt.Payout(id)
		if p.Status != payout.StatusCompleted || p.Fee == nil {
			t.Fatalf("payout %s: %s, fee %v", id, p.Status, p.Fee)
		}
		burnt, mined := e.node.Fee(p.TxHash)
		if !mined || !p.Fee.Equal(decimal.New(burnt, -6)) {
			t.Fatalf("payout %s booked fee %s; its transaction burnt %d sun (mined %v)", id, p.Fee, burnt, mined)
		}
		fees += burnt
	}
	if got := e.node.Tokens(recipient); got.Cmp(e.units("USDT_TRON", "40")) != 0 {
		t.Fatalf("the recipient holds %s USDT units, want 40 USDT once", got)
	}
	if got, want := e.node.TRX(recipient), e.kt.Payout(pt.ID).NetAmount; !decimal.New(got, -6).Equal(want) {
		t.Fatalf("the recipient holds %d sun, want the payout's net amount %s", got, want)
	}
	if got, want := e.node.TRX(must(tron.ParseAddress(hot.Encoded))), 100*trondevnet.Sun-fees-e.node.TRX(recipient); got != want {
		t.Fatalf("the hot wallet holds %d sun, want %d: 100 TRX less what it paid and burnt", got, want)
	}
	e.kt.Verify()
}

// lostPayout is a 10 TRX payout, broadcast on a devnet whose transactions expire in
// 30 s (solidity 2 blocks down), whose transaction the node then lost. It returns the
// payout as broadcast and its recipient.
func lostPayout(t *testing.T) (*env, *payout.Payout, string) {
	t.Helper()
	e := newEnvWith(t, func(c *tron.Config) { c.Expiration = 30 * time.Second })
	e.node.SetSolidDepth(2)
	hot, err := e.keys.Address(asset.FamilyTron, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	inv := e.invoice("50", "TRX")
	e.node.PayTRX(e.kt.Method(inv, "TRX").Address, 50*trondevnet.Sun)
	e.node.PayTRX(hot.Encoded, 100*trondevnet.Sun)
	e.mine(3)
	to := e.kt.Recipient(asset.Tron, 0)
	p := e.kt.Payout(e.kt.NewPayout(payout.CreateParams{Amount: decimal.RequireFromString("10"), Currency: "TRX", Destination: to}).ID)
	if p.Status != payout.StatusBroadcast || p.TxHash == "" {
		t.Fatalf("payout %s %q", p.Status, p.TxHash)
	}
	e.node.Drop(p.TxHash) // the node lost it
	return e, p, to
}

// TestGateway_PayoutExpiredUnminedIsSignedAnew: a payout's transaction the node lost
// (dropped from its pool) expires unmined; once the solidified chain is past its
// expiration, the payout job signs a new one (attempt 1), which is mined: the payout
// completes once, the recipient is paid once, the ledger balances.
func TestGateway_PayoutExpiredUnminedIsSignedAnew(t *testing.T) {
	e, first, to := lostPayout(t)
	e.mine(35) // 105 s of chain time: past its expiration and the margin, solidified too
	e.kt.Clock.Advance(2 * payout.RebroadcastAfter)
	e.mine(1)
	again := e.kt.Payout(first.ID)
	if again.Attempt != 1 {
		t.Fatalf("after expiry: attempt %d, status %s, tx %s", again.Attempt, again.Status, again.TxHash)
	}
	e.mine(4)
	done := e.kt.Payout(first.ID)
	if done.Status != payout.StatusCompleted || done.TxHash == first.TxHash {
		t.Fatalf("payout %s with %s (the expired one was %s)", done.Status, done.TxHash, first.TxHash)
	}
	if _, mined := e.node.Fee(first.TxHash); mined {
		t.Fatal("the expired transaction was mined")
	}
	if got := e.node.TRX(must(tron.ParseAddress(to))); !decimal.New(got, -6).Equal(done.NetAmount) {
		t.Fatalf("the recipient holds %d sun, want the payout once (%s)", got, done.NetAmount)
	}
	e.kt.Verify()
}

// TestGateway_PayoutLostBeforeItsExpiryIsSentAgainNotSignedAnew: a payout's
// transaction the node lost, while it can still be mined, is sent again as it was
// (the same id, attempt 0), mined, and completes the payout once.
func TestGateway_PayoutLostBeforeItsExpiryIsSentAgainNotSignedAnew(t *testing.T) {
	e, first, to := lostPayout(t)
	e.mine(2)
	e.kt.Clock.Advance(2 * payout.RebroadcastAfter)
	e.mine(1) // the rebroadcast
	e.mine(4)
	done := e.kt.Payout(first.ID)
	if done.Status != payout.StatusCompleted || done.TxHash != first.TxHash || done.Attempt != 0 {
		t.Fatalf("payout %s with %s, attempt %d; want completed with %s, attempt 0", done.Status, done.TxHash, done.Attempt, first.TxHash)
	}
	if got := e.node.TRX(must(tron.ParseAddress(to))); !decimal.New(got, -6).Equal(done.NetAmount) {
		t.Fatalf("the recipient holds %d sun, want the payout once", got)
	}
	e.kt.Verify()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
