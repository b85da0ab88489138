package evm_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/shopspring/decimal"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	t       testing.TB
	node    *evmdevnet.Node
	backend *evm.Backend
	kt      *kassatest.Env // the Gateway on the node, and its database
	g       *kassa.Gateway
	clock   *kassatest.Clock
	keys    *keys.Keyring
	reg     *asset.Registry
}

// newEnv runs a Gateway in test mode whose ethereum backend is the in-process node,
// with the test USDT (6 decimals) and LINK (18 decimals) as the network's tokens and 3
// confirmations for everything.
func newEnv(t testing.TB) *env { return newEnvPoll(t, 0) }

func newEnvPoll(t testing.TB, poll time.Duration) *env { return newEnvPush(t, poll, "off") }

// newEnvPush is newEnvPoll with the backend on the node's HTTP URL and push as its
// PushURL ("off": none).
func newEnvPush(t testing.TB, poll time.Duration, push string) *env {
	t.Helper()
	e := &env{t: t, node: evmdevnet.Start(t, nil), clock: kassatest.NewClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)), reg: asset.Default()}
	for code, c := range map[string]common.Address{"USDT_ETHEREUM": evmdevnet.USDT, "LINK_ETHEREUM": evmdevnet.LINK} {
		if err := e.reg.SetContract(code, asset.Test, c.Hex()); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{"ETH", "USDT_ETHEREUM", "LINK_ETHEREUM", "USDC_ETHEREUM"} {
		e.reg.SetConfirmations(code, 3)
	}
	var err error
	e.keys, err = keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	if push == "ws" {
		push = e.node.WSURL
	}
	e.backend, err = evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: e.node.URL,
		PushURL: push, ChainID: evmdevnet.ChainID, Assets: e.reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.backend.Close)
	e.kt = kassatest.New(t, kassatest.WithBackends(e.backend), kassatest.WithKeyring(e.keys), kassatest.WithClock(e.clock),
		kassatest.WithAssets(e.reg), kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")),
		kassatest.WithPollInterval(poll), kassatest.WithLogger(quiet))
	e.g = e.kt.Gateway
	return e
}

func (e *env) sync() {
	e.t.Helper()
	if err := e.g.Sync(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) mine(n int) {
	e.t.Helper()
	e.node.Mine(n)
	e.sync()
}

func (e *env) invoice(amount, currency string) *invoice.Invoice {
	e.t.Helper()
	inv, err := e.g.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString(amount), Currency: currency})
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
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

func (e *env) balance(code string) kassa.Balance {
	e.t.Helper()
	b, err := e.g.Balance(context.Background(), asset.Test, code)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) verify() {
	e.t.Helper()
	e.kt.Verify()
}

// units converts an amount of code to base units.
func (e *env) units(code, amount string) *big.Int {
	a, _ := e.reg.Get(code)
	u, err := a.ToBaseUnits(decimal.RequireFromString(amount))
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestNode_ETHExactPaymentPaidAfterConfirmations(t *testing.T) {
	e := newEnv(t)
	inv := e.invoice("0.25", "ETH")
	e.node.PayETH(inv.Methods[0].Address, e.units("ETH", "0.25"))
	e.mine(1)
	e.want(inv, invoice.StatusConfirming, "")
	e.mine(1)
	e.want(inv, invoice.StatusConfirming, "")
	e.mine(1)
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance("ETH"); !b.Available.Equal(dec("0.25")) {
		t.Fatalf("balance %+v", b)
	}
	e.wantPayer(inv, e.node.From.Hex())
	e.verify()
}

// wantPayer checks that inv's payments name the address that sent them.
func (e *env) wantPayer(inv *invoice.Invoice, from string) {
	e.t.Helper()
	pays, err := e.g.Invoices().Payments(context.Background(), asset.Test, inv.ID)
	if err != nil || len(pays) == 0 {
		e.t.Fatalf("payments of %s: %v %v", inv.ID, pays, err)
	}
	for _, p := range pays {
		if p.From != from {
			e.t.Errorf("payment %s names the payer %q, want %q", p.Key(), p.From, from)
		}
	}
}

func TestNode_TokensOfSixAndEighteenDecimals(t *testing.T) {
	e := newEnv(t)
	usdt := e.invoice("100.5", "USDT_ETHEREUM")
	link := e.invoice("12.000000000000000001", "LINK_ETHEREUM")
	e.node.PayToken(evmdevnet.USDT, usdt.Methods[0].Address, e.units("USDT_ETHEREUM", "100.5"))
	e.node.PayToken(evmdevnet.LINK, link.Methods[0].Address, e.units("LINK_ETHEREUM", "12.000000000000000001"))
	e.mine(3)
	e.want(usdt, invoice.StatusPaid, "")
	e.want(link, invoice.StatusPaid, "")
	if b := e.balance("USDT_ETHEREUM"); !b.Available.Equal(dec("100.5")) {
		t.Fatalf("USDT %+v", b)
	}
	if b := e.balance("LINK_ETHEREUM"); !b.Available.Equal(dec("12.000000000000000001")) {
		t.Fatalf("LINK %+v", b)
	}
	e.wantPayer(usdt, e.node.From.Hex()) // the Transfer log's from
	e.wantPayer(link, e.node.From.Hex())
	e.verify()
}

func TestNode_UnderpayTopUpOverpayAndManyInvoicesInOneBlock(t *testing.T) {
	e := newEnv(t)
	under := e.invoice("50", "USDT_ETHEREUM")
	e.node.PayToken(evmdevnet.USDT, under.Methods[0].Address, e.units("USDT_ETHEREUM", "20"))
	e.mine(1)
	e.want(under, invoice.StatusPartiallyPaid, "")
	e.node.PayToken(evmdevnet.USDT, under.Methods[0].Address, e.units("USDT_ETHEREUM", "30"))
	e.mine(3)
	e.want(under, invoice.StatusPaid, "")

	over := e.invoice("0.1", "ETH")
	e.node.PayETH(over.Methods[0].Address, e.units("ETH", "0.15"))
	e.mine(3)
	e.want(over, invoice.StatusPaid, invoice.ExceptionOverpaid)

	var many []*invoice.Invoice
	for range 10 {
		inv := e.invoice("1", "USDT_ETHEREUM")
		many = append(many, inv)
		e.node.PayToken(evmdevnet.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "1"))
	}
	e.mine(3)
	for _, inv := range many {
		e.want(inv, invoice.StatusPaid, "")
	}
	if b := e.balance("USDT_ETHEREUM"); !b.Available.Equal(dec("60")) {
		t.Fatalf("USDT %+v", b)
	}
	e.verify()
}

func TestNode_RevertedTokenTransferNeverCredits(t *testing.T) {
	e := newEnv(t)
	inv := e.invoice("5", "USDT_ETHEREUM")
	h := e.node.PayTokenReverting(evmdevnet.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "5"))
	e.mine(5)
	if r := e.node.Receipt(h); r.Status != 0 {
		t.Fatalf("the transfer did not revert (status %d)", r.Status)
	}
	e.want(inv, invoice.StatusPending, "")
	if b := e.balance("USDT_ETHEREUM"); !b.Available.IsZero() || !b.Pending.IsZero() {
		t.Fatalf("balance %+v", b)
	}
}

func TestNode_ReorgDropsThenReincludesCreditsOnce(t *testing.T) {
	e := newEnv(t)
	inv := e.invoice("0.5", "ETH")
	e.node.PayETH(inv.Methods[0].Address, e.units("ETH", "0.5"))
	paid := e.node.Commit()
	e.sync()
	e.want(inv, invoice.StatusConfirming, "")
	// A side chain from the payment block's parent, without the payment, becomes longer.
	parent := e.header(paid).ParentHash
	if err := e.node.Fork(parent); err != nil {
		t.Fatal(err)
	}
	e.node.Rollback() // geth re-injects reorged transactions; drop them
	e.mine(2)
	e.want(inv, invoice.StatusPending, "")
	if b := e.balance("ETH"); !b.Pending.IsZero() {
		t.Fatalf("after the reorg: %+v", b)
	}
	// Again, this time letting geth re-include the payment in the new branch.
	e.node.PayETH(inv.Methods[0].Address, e.units("ETH", "0.5"))
	paid = e.node.Commit()
	e.sync()
	if err := e.node.Fork(e.header(paid).ParentHash); err != nil {
		t.Fatal(err)
	}
	e.mine(2) // the re-injected payment is mined in the first new block
	e.mine(2)
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance("ETH"); !b.Available.Equal(dec("0.5")) || !b.Pending.IsZero() {
		t.Fatalf("credited %+v, want 0.5 once", b)
	}
	e.verify()
}

// TestNode_TokenPaymentMinedAgainAtAnotherLogIndexIsOnePayment: a token payment that a
// reorg moves to another block, behind another token transfer (so its block-wide log
// index changes from 0 to 1), is the same payment: one entry, confirmed, credited
// once; no orphaned copy beside it.
func TestNode_TokenPaymentMinedAgainAtAnotherLogIndexIsOnePayment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.node.PayToken(evmdevnet.USDT, e.node.PoorFrom.Hex(), e.units("USDT_ETHEREUM", "100"))
	e.mine(1)
	inv := e.invoice("10", "USDT_ETHEREUM")
	h := e.node.PayToken(evmdevnet.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "10"))
	paid := e.node.Commit()
	if r := e.node.Receipt(h); len(r.Logs) != 1 || r.Logs[0].Index != 0 {
		t.Fatalf("first block: logs %v", r.Logs)
	}
	signed, _, err := e.node.Client.TransactionByHash(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	e.sync()
	e.want(inv, invoice.StatusConfirming, "")
	// The payment's block leaves the chain; in the new branch another token transfer
	// comes first, then the same signed payment.
	if err := e.node.Fork(e.header(paid).ParentHash); err != nil {
		t.Fatal(err)
	}
	e.node.Rollback()
	e.node.PayTokenFrom(e.node.Poor, evmdevnet.USDT, recipient, e.units("USDT_ETHEREUM", "1"))
	e.node.Resend(signed)
	e.node.Commit()
	if r := e.node.Receipt(h); len(r.Logs) != 1 || r.Logs[0].Index != 1 {
		t.Fatalf("new branch: the payment's log %v, want block-wide index 1", r.Logs)
	}
	e.mine(3)
	e.want(inv, invoice.StatusPaid, "")
	pays, err := e.g.Invoices().Payments(ctx, asset.Test, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 1 || pays[0].Status != chains.StatusConfirmed {
		t.Fatalf("payments %+v, want the one payment, confirmed", pays)
	}
	if b := e.balance("USDT_ETHEREUM"); !b.Available.Equal(dec("10")) || !b.Pending.IsZero() {
		t.Fatalf("credited %+v, want 10 once", b)
	}
	e.verify()
}

func (e *env) header(h common.Hash) *headerLite {
	e.t.Helper()
	hd, err := e.node.Client.HeaderByHash(context.Background(), h)
	if err != nil {
		e.t.Fatal(err)
	}
	return &headerLite{ParentHash: hd.ParentHash}
}

type headerLite struct{ ParentHash common.Hash }

func TestValidateAddress(t *testing.T) {
	good := []string{"0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0x9858effd232b4033e47d90003d41ec34ecaeda94", "0X9858EFFD232B4033E47D90003D41EC34ECAEDA94"[0:2] + "9858EFFD232B4033E47D90003D41EC34ECAEDA94"}
	for _, a := range good[:2] {
		if err := evm.ValidateAddress(a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	bad := map[string]error{
		"0x9858EfFD232B4033E47d90003D41EC34EcaEda95": evm.ErrBadChecksum,
		"0x9858EfFD232B4033E47d90003D41EC34EcaEdA94": evm.ErrBadChecksum,
		"0x0000000000000000000000000000000000000000": chains.ErrInvalidAddress,
		"9858EfFD232B4033E47d90003D41EC34EcaEda94":   chains.ErrInvalidAddress,
		"0x9858EfFD232B4033E47d90003D41EC34EcaEda9":  chains.ErrInvalidAddress,
		"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH":         chains.ErrInvalidAddress,
		"0x9858EfFD232B4033E47d90003D41EC34EcaEdaZZ": chains.ErrInvalidAddress,
	}
	for a, want := range bad {
		if err := evm.ValidateAddress(a); err == nil || !errorsIs(err, want) {
			t.Errorf("%s: %v, want %v", a, err, want)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestNode_InternalTransferCaughtByReconciliation(t *testing.T) {
	e := newEnv(t)
	inv := e.invoice("0.3", "ETH")
	h := e.node.PayThroughContract(inv.Methods[0].Address, e.units("ETH", "0.3"))
	e.mine(3)
	if r := e.node.Receipt(h); r.Status != 1 || len(r.Logs) != 0 {
		t.Fatalf("forwarder call: status %d", r.Status)
	}
	e.want(inv, invoice.StatusPaid, "")
	if b := e.balance("ETH"); !b.Available.Equal(dec("0.3")) {
		t.Fatalf("balance %+v", b)
	}
	pays, _ := e.g.Invoices().Payments(context.Background(), asset.Test, inv.ID)
	if len(pays) != 1 || pays[0].Index != evm.InternalIndex || pays[0].TxID[:9] != "internal:" || pays[0].From != "" {
		t.Fatalf("payments %+v (an internal transfer's payer is not known)", pays)
	}
	e.verify()
}

func TestNode_NewHeadsOverWebsocket(t *testing.T) {
	node := evmdevnet.Start(t, nil)
	b, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.WSURL,
		ChainID: evmdevnet.ChainID, Assets: asset.Default(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := b.NewBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := node.Commit()
	select {
	case ref := <-ch:
		if ref.Hash != h.Hex() || ref.Height != 1 {
			t.Fatalf("pushed %+v, want block 1 %s", ref, h.Hex())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no head pushed")
	}
	// Over HTTP there is nothing to subscribe to: the watcher polls.
	hb, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.URL, ChainID: evmdevnet.ChainID, Assets: asset.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	if _, err := hb.NewBlocks(ctx); err == nil {
		t.Fatal("an HTTP URL offered a subscription")
	}
	// A node on another chain is refused.
	if _, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.URL, Assets: asset.Default()}); err == nil {
		t.Fatal("a node on chain 1337 was accepted as Sepolia")
	}
}
