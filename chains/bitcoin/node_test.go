package bitcoin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/shopspring/decimal"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a Gateway in test mode whose bitcoin backend is a real btcd regtest node.
type env struct {
	t       testing.TB
	poll    time.Duration
	node    *btcdtest.Node
	backend *bitcoin.Backend
	kt      *kassatest.Env // the Gateway on btcd, and its database
	g       *kassa.Gateway
	clock   *kassatest.Clock
	keys    *keys.Keyring
	reg     *asset.Registry
	db      string
}

func newEnv(t *testing.T, confirmations int) *env { return newEnvTB(t, confirmations, 0) }

func newEnvTB(t testing.TB, confirmations int, poll time.Duration) *env {
	t.Helper()
	return newEnvWith(t, confirmations, poll, false)
}

// newEnvWith is newEnvTB whose backend, with push, takes btcd's websocket
// notifications of blocks and mempool transactions (the default with a WebsocketHost).
func newEnvWith(t testing.TB, confirmations int, poll time.Duration, push bool) *env {
	t.Helper()
	e := &env{t: t, poll: poll, node: btcdtest.Start(t), clock: kassatest.NewClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)),
		reg: asset.Default(), db: filepath.Join(t.TempDir(), "kassa.db")}
	if err := e.reg.SetConfirmations("BTC", confirmations); err != nil {
		t.Fatal(err)
	}
	var err error
	e.keys, err = keys.FromMnemonic(kassatest.Mnemonic, "", keys.WithBitcoinTestParams(regtest))
	if err != nil {
		t.Fatal(err)
	}
	cfg := bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: e.node.RPC, Logger: quiet}
	if push {
		cfg.WebsocketHost, cfg.User, cfg.Pass = e.node.Host, e.node.User, e.node.Pass
	}
	e.backend, err = bitcoin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	return e
}

// open starts a Gateway on the env's database and backend, as a process would.
func (e *env) open(opts ...kassatest.Option) {
	e.t.Helper()
	e.kt = kassatest.New(e.t, append([]kassatest.Option{kassatest.WithBackends(e.backend), kassatest.WithKeyring(e.keys),
		kassatest.WithClock(e.clock), kassatest.WithAssets(e.reg), kassatest.WithDatabase(e.db),
		kassatest.WithPollInterval(e.poll), kassatest.WithLogger(quiet)}, opts...)...)
	e.g = e.kt.Gateway
}

func (e *env) sync() {
	e.t.Helper()
	if err := e.g.Sync(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) invoice(btc string, lifetime time.Duration) *invoice.Invoice {
	e.t.Helper()
	inv, err := e.g.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{
		Amount: decimal.RequireFromString(btc), Currency: "BTC", Lifetime: lifetime})
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
}

func (e *env) out(inv *invoice.Invoice, sats int64) btcdtest.Output {
	e.t.Helper()
	script, err := bitcoin.AddressScript(inv.Methods[0].Address, regtest)
	if err != nil {
		e.t.Fatal(err)
	}
	return btcdtest.Output{Script: script, Sats: sats}
}

func (e *env) want(inv *invoice.Invoice, s invoice.Status, ex invoice.Exception) *invoice.Invoice {
	e.t.Helper()
	got, err := e.g.Invoices().Get(context.Background(), asset.Test, inv.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if got.Status != s || got.Exception != ex {
		e.t.Fatalf("invoice is %s/%q (paid %s, confirmed %s), want %s/%q", got.Status, got.Exception, got.AmountPaid, got.AmountConfirmed, s, ex)
	}
	return got
}

func (e *env) balance() kassa.Balance {
	e.t.Helper()
	b, err := e.g.Balance(context.Background(), asset.Test, "BTC")
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) verify() {
	e.t.Helper()
	e.kt.Verify()
}

func btcs(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestNode_FreshDeploymentFindsPaymentsMadeBeforeItsFirstScan: a new deployment whose
// node was unreachable hands out an invoice; it is paid and mined 10 blocks deep
// before the first scan. The first scan starts below the invoice, not at the tip.
func TestNode_FreshDeploymentFindsPaymentsMadeBeforeItsFirstScan(t *testing.T) {
	e := newEnv(t, 2)
	e.clock = kassatest.NewClock(time.Now()) // btcd's blocks carry real times
	e.db = filepath.Join(t.TempDir(), "fresh.db")
	e.open(kassatest.WithoutSync()) // no scan yet: the node was unreachable
	inv := e.invoice("0.01", time.Hour)
	e.node.Payer().Pay(e.out(inv, 1_000_000))
	e.node.Generate(10)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance(); !b.Available.Equal(btcs("0.01")) {
		t.Fatalf("balance %+v", b)
	}
	e.verify()
}

func TestNode_ExactPaymentFromMempoolToPaid(t *testing.T) {
	e := newEnv(t, 2)
	inv := e.invoice("0.015", time.Hour)
	if a := inv.Methods[0].Address; a[:6] != "bcrt1q" {
		t.Fatalf("regtest address %s", a)
	}
	e.node.Payer().Pay(e.out(inv, 1_500_000))
	e.sync()
	got := e.want(inv, invoice.StatusConfirming, "")
	if !got.Methods[0].AmountPaid.Equal(btcs("0.015")) || !got.AmountConfirmed.IsZero() {
		t.Fatalf("detected from the mempool: paid %s confirmed %s", got.Methods[0].AmountPaid, got.AmountConfirmed)
	}
	if b := e.balance(); !b.Pending.Equal(btcs("0.015")) {
		t.Fatalf("pending %s", b.Pending)
	}
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusConfirming, "")
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance(); !b.Available.Equal(btcs("0.015")) || !b.Pending.IsZero() {
		t.Fatalf("balance %+v", b)
	}
	// The payment names its payer: the address of the coinbase output the payer spent.
	miner, ok := bitcoin.ScriptAddress(e.node.MinerPk, e.node.Params)
	pays, err := e.g.Invoices().Payments(context.Background(), asset.Test, inv.ID)
	if !ok || err != nil || len(pays) != 1 || pays[0].From != miner {
		t.Fatalf("payer of %+v: want %s (%v)", pays, miner, err)
	}
	e.verify()
}

func TestNode_UnderpayTopUpOverpayAndTwoInvoicesInOneTx(t *testing.T) {
	e := newEnv(t, 1)
	under := e.invoice("0.01", time.Hour)
	e.node.Payer().Pay(e.out(under, 400_000))
	e.node.Generate(1)
	e.sync()
	e.want(under, invoice.StatusPartiallyPaid, "")
	e.node.Payer().Pay(e.out(under, 600_000))
	e.node.Generate(1)
	e.sync()
	e.want(under, invoice.StatusPaid, "")

	over := e.invoice("0.01", time.Hour)
	e.node.Payer().Pay(e.out(over, 1_200_000))
	e.node.Generate(1)
	e.sync()
	e.want(over, invoice.StatusPaid, invoice.ExceptionOverpaid)

	a, b := e.invoice("0.002", time.Hour), e.invoice("0.003", time.Hour)
	e.node.Payer().Pay(e.out(a, 200_000), e.out(b, 300_000))
	e.node.Generate(1)
	e.sync()
	e.want(a, invoice.StatusPaid, "")
	e.want(b, invoice.StatusPaid, "")
	if bal := e.balance(); !bal.Available.Equal(btcs("0.027")) {
		t.Fatalf("balance %s, want 0.027", bal.Available)
	}
	e.verify()
}

func TestNode_InvalidateBlockThenReconsider(t *testing.T) {
	e := newEnv(t, 1)
	inv := e.invoice("0.02", time.Hour)
	e.node.Payer().Pay(e.out(inv, 2_000_000))
	hash := e.node.Generate(1)[0]
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	// The block is invalidated: the payment is back in the mempool, unconfirmed.
	e.node.Invalidate(hash)
	e.sync()
	e.want(inv, invoice.StatusConfirming, "")
	if b := e.balance(); !b.Available.IsZero() || !b.Pending.Equal(btcs("0.02")) {
		t.Fatalf("after invalidateblock: %+v", b)
	}
	e.node.Reconsider(hash)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance(); !b.Available.Equal(btcs("0.02")) || !b.Pending.IsZero() {
		t.Fatalf("after reconsiderblock the credit must happen once: %+v", b)
	}
	// Again, restored by a re-mine instead.
	e.node.Invalidate(hash)
	e.sync()
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance(); !b.Available.Equal(btcs("0.02")) || !b.Pending.IsZero() {
		t.Fatalf("after a re-mine: %+v", b)
	}
	e.verify()
}

func TestNode_ReplacedPaymentNeverCredits(t *testing.T) {
	e := newEnv(t, 1)
	inv := e.invoice("0.01", time.Hour)
	txid := e.node.Payer().Pay(e.out(inv, 1_000_000))
	e.sync()
	e.want(inv, invoice.StatusConfirming, "")
	// RBF: the payer double-spends the input back to themselves with a higher fee.
	e.node.Payer().Replace(txid, btcdtest.Output{Script: e.node.MinerPk, Sats: 1_000_000})
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPending, "")
	if b := e.balance(); !b.Available.IsZero() || !b.Pending.IsZero() {
		t.Fatalf("a replaced payment left a balance: %+v", b)
	}
	e.verify()
}

func TestNode_PaymentAfterExpiryIsPaidLate(t *testing.T) {
	e := newEnv(t, 1)
	inv := e.invoice("0.01", 5*time.Minute)
	e.clock.Advance(10 * time.Minute)
	e.sync()
	e.want(inv, invoice.StatusExpired, "")
	e.node.Payer().Pay(e.out(inv, 1_000_000))
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPaid, invoice.ExceptionPaidLate)
}

func TestNode_UnreachableWhileBlocksArriveNothingMissed(t *testing.T) {
	e := newEnv(t, 3)
	// Reach the node through a proxy the test can cut; the node keeps mining.
	proxy := e.node.Proxy()
	rpc, _ := bitcoin.NewRPC(bitcoin.RPCConfig{URL: proxy.URL, User: e.node.User, Pass: e.node.Pass})
	var err error
	e.backend, err = bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: rpc, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e.g.Close()
	e.open()
	inv := e.invoice("0.01", time.Hour)
	proxy.Cut()
	e.node.Payer().Pay(e.out(inv, 1_000_000))
	e.node.Generate(2)
	if err := e.g.Sync(context.Background()); !errors.Is(err, chains.ErrUnavailable) {
		t.Fatalf("Sync with the node unreachable: %v, want ErrUnavailable", err)
	}
	e.node.Generate(3)
	// The Gateway restarts while the node is still away, then the node is back.
	e.g.Close()
	proxy.Restore()
	e.open()
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance(); !b.Available.Equal(btcs("0.01")) {
		t.Fatalf("balance %+v", b)
	}
	e.verify()
}

// TestNode_NodeThatLostItsChain restarts btcd, which deletes its regtest chain: the
// payments Kassa saw are no longer on the node's best chain, and must not stay
// credited.
func TestNode_NodeThatLostItsChain(t *testing.T) {
	e := newEnv(t, 1)
	inv := e.invoice("0.01", time.Hour)
	e.node.Payer().Pay(e.out(inv, 1_000_000))
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPaid, "")
	e.node.Stop()
	e.node.Restart() // genesis only
	e.node.Generate(1)
	e.sync()
	e.want(inv, invoice.StatusPending, "")
	if b := e.balance(); !b.Available.IsZero() {
		t.Fatalf("a payment on a chain the node no longer has stayed available: %+v", b)
	}
	e.verify()
}

func TestNode_PushNotificationsOverWebsocket(t *testing.T) {
	node := btcdtest.Start(t)
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: node.RPC,
		WebsocketHost: node.Host, User: node.User, Pass: node.Pass, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := b.NewBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	node.Generate(1)
	select {
	case ref := <-ch:
		if ref.Height != 201 {
			t.Fatalf("pushed height %d, want 201", ref.Height)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no block pushed")
	}
	cancel()
	for range ch { // closes once the client has shut down
	}
}

func TestNode_FeeRateFallsBackAndIsBounded(t *testing.T) {
	node := btcdtest.Start(t)
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: node.RPC,
		Fees: bitcoin.FeePolicy{Min: 2, Default: 7, Max: 50}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// btcd has no estimatesmartfee, and estimatefee has nothing to say on an empty
	// regtest chain: the configured default applies, within bounds.
	rate, err := b.FeeRate(context.Background())
	if err != nil || rate < 2 || rate > 50 {
		t.Fatalf("fee rate %d, %v", rate, err)
	}
	node.Stop()
	if _, err := b.FeeRate(context.Background()); err == nil {
		t.Fatal("a node that is down must not give a fee rate")
	}
}
