package wallet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

var dec = kassatest.Dec

// wantWallet reads wallet id and checks its balances.
func wantWallet(t *testing.T, e *kassatest.Env, id, balance, pending string) *wallet.Wallet {
	t.Helper()
	w, err := e.Gateway.Wallets().Get(t.Context(), asset.Test, id)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Balance.Equal(dec(balance)) || !w.Pending.Equal(dec(pending)) {
		t.Fatalf("wallet %s: balance %s pending %s, want %s and %s", id, w.Balance, w.Pending, balance, pending)
	}
	return w
}

// verify checks the ledger's invariants.
func verify(t *testing.T, e *kassatest.Env) {
	t.Helper()
	if err := e.Store.View(t.Context(), func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// depositEvents returns the wallet.deposit.* events of wallet id as "type tx".
func depositEvents(t *testing.T, e *kassatest.Env, id string) []string {
	t.Helper()
	var out []string
	for _, ev := range e.Events() {
		if ev.ObjectID != id {
			continue
		}
		var d struct {
			TxHash     string          `json:"tx_hash"`
			NewBalance decimal.Decimal `json:"new_balance"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(ev.Type)+" "+d.TxHash[:8]+" "+d.NewBalance.String())
	}
	return out
}

// TestWallets_DepositsCreditedOnceThroughAReorgAndAWithdrawal is the life of two
// customers' BTC wallets on the sim chain: one wallet per customer and asset (asked
// for again, the same one); deposits booked on each wallet's own accounts, pending
// then available, never on the merchant's; one deposit reorged out (back to the
// mempool, so pending again) and mined back, credited once; one dropped after a
// reorg, reversed; a withdrawal held from the wallet, amount plus fee, completed; a
// withdrawal above the balance refused with nothing held; the ledger balanced.
func TestWallets_DepositsCreditedOnceThroughAReorgAndAWithdrawal(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	ws := e.Gateway.Wallets()
	ada, err := e.Gateway.Customers().Create(ctx, asset.Test, customer.CreateParams{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	w1, created, err := ws.Create(ctx, asset.Test, wallet.CreateParams{CustomerID: ada.ID, Currency: "BTC", Label: "main"})
	if err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	again, created, err := ws.Create(ctx, asset.Test, wallet.CreateParams{CustomerID: ada.ID, Currency: "btc", Network: "bitcoin"})
	if err != nil || created || again.ID != w1.ID || again.Address != w1.Address {
		t.Fatalf("the same customer and asset again: %+v created %v %v, want %s", again, created, err, w1.ID)
	}
	w2, _, err := ws.Create(ctx, asset.Test, wallet.CreateParams{CustomerID: "shop-user-2", Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	inv := e.Create(invoice.CreateParams{Amount: dec("0.001"), Currency: "BTC"})
	if w1.Address == w2.Address || w1.Address == e.Method(inv, "BTC").Address || w2.Address == e.Method(inv, "BTC").Address {
		t.Fatalf("addresses reused: %s %s %s", w1.Address, w2.Address, e.Method(inv, "BTC").Address)
	}

	chain := e.Chain(asset.Bitcoin)
	pay := func(w *wallet.Wallet, amount string) string {
		return chain.Pay(w.Address, "BTC", e.Units("BTC", amount))
	}
	t1, t2, t3 := pay(w1, "0.01"), pay(w1, "0.02"), pay(w2, "0.5")
	e.Sync()
	wantWallet(t, e, w1.ID, "0", "0.03")
	wantWallet(t, e, w2.ID, "0", "0.5")
	e.Mine(asset.Bitcoin, 1)
	wantWallet(t, e, w1.ID, "0.03", "0")
	wantWallet(t, e, w2.ID, "0.5", "0")
	if b := e.Balance("BTC"); !b.Available.IsZero() || !b.Pending.IsZero() {
		t.Fatalf("the merchant's balance moved: %+v", b)
	}
	// A rescan and more syncs find the same transfers: nothing is booked again.
	if _, err := ws.Check(ctx, asset.Test, w1.ID, t1); err != nil {
		t.Fatal(err)
	}
	e.Sync()
	wantWallet(t, e, w1.ID, "0.03", "0")

	// Reorged out and back: the block holding t4 goes (its transfer orphaned: reversed),
	// t4 returns to the mempool (pending again), and a new block mines it (available
	// again), credited once.
	t4 := pay(w1, "0.04")
	e.Mine(asset.Bitcoin, 1)
	wantWallet(t, e, w1.ID, "0.07", "0")
	if err := chain.Disconnect(1); err != nil {
		t.Fatal(err)
	}
	e.Sync()
	wantWallet(t, e, w1.ID, "0.03", "0.04")
	e.Mine(asset.Bitcoin, 2)
	wantWallet(t, e, w1.ID, "0.07", "0")

	// Reorged out and dropped (double-spent away): reversed for good.
	t5 := pay(w1, "0.05")
	e.Sync()
	wantWallet(t, e, w1.ID, "0.07", "0.05")
	chain.Drop(t5)
	e.Sync()
	wantWallet(t, e, w1.ID, "0.07", "0")

	want := []string{
		"wallet.deposit.pending " + t1[:8] + " 0", "wallet.deposit.pending " + t2[:8] + " 0",
		"wallet.deposit.completed " + t1[:8] + " 0.01", "wallet.deposit.completed " + t2[:8] + " 0.03",
		"wallet.deposit.completed " + t4[:8] + " 0.07",
		"wallet.deposit.reversed " + t4[:8] + " 0.03", "wallet.deposit.pending " + t4[:8] + " 0.03", "wallet.deposit.completed " + t4[:8] + " 0.07",
		"wallet.deposit.pending " + t5[:8] + " 0.07", "wallet.deposit.reversed " + t5[:8] + " 0.07",
	}
	if got := depositEvents(t, e, w1.ID); !sameSet(got, want) {
		t.Errorf("w1's events:\n%q\nwant (in any order within a sync):\n%q", got, want)
	}
	if got := depositEvents(t, e, w2.ID); !slices.Equal(got, []string{"wallet.deposit.pending " + t3[:8] + " 0", "wallet.deposit.completed " + t3[:8] + " 0.5"}) {
		t.Errorf("w2's events: %q", got)
	}

	// Too much: refused under amount, nothing held, no payout.
	_, err = ws.Withdraw(ctx, asset.Test, w1.ID, wallet.WithdrawParams{Amount: dec("0.07"), Destination: e.Recipient(asset.Bitcoin, 0)})
	if !errors.Is(err, payout.ErrInsufficientFunds) || !validation.HasField(err, "amount") {
		t.Fatalf("withdrawing the whole balance, fee on top: %v, want insufficient funds under amount", err)
	}
	wantWallet(t, e, w1.ID, "0.07", "0")
	// A bad recipient is named as the API names it.
	_, err = ws.Withdraw(ctx, asset.Test, w1.ID, wallet.WithdrawParams{Amount: dec("0.01"), Destination: "0xdeadbeef"})
	if !validation.HasField(err, "recipient_address") {
		t.Fatalf("a bad recipient: %v, want it named recipient_address", err)
	}

	e.Advance(time.Minute)
	po, err := ws.Withdraw(ctx, asset.Test, w2.ID, wallet.WithdrawParams{Amount: dec("0.002"), Destination: e.Recipient(asset.Bitcoin, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if po.WalletID != w2.ID || po.Status != payout.StatusBroadcast || !po.NetAmount.Equal(dec("0.002")) {
		t.Fatalf("withdrawal: %+v", po)
	}
	held := po.Amount // 0.002 plus the estimated fee
	w := wantWallet(t, e, w2.ID, dec("0.5").Sub(held).String(), "0")
	if !w.Held.Equal(held) {
		t.Fatalf("held %s, want %s", w.Held, held)
	}
	e.Mine(asset.Bitcoin, 1)
	po = e.Payout(po.ID)
	if po.Status != payout.StatusCompleted || po.Fee == nil {
		t.Fatalf("withdrawal after a block: %s fee %v", po.Status, po.Fee)
	}
	w = wantWallet(t, e, w2.ID, dec("0.5").Sub(dec("0.002")).Sub(*po.Fee).String(), "0")
	if !w.Held.IsZero() {
		t.Fatalf("still held: %s", w.Held)
	}
	if b := e.Balance("BTC"); !b.Available.IsZero() || !b.Held.IsZero() {
		t.Fatalf("the merchant's balance moved: %+v", b)
	}
	types := e.EventTypes(po.ID)
	for _, want := range []event.Type{payout.EventWithdrawalInitiated, payout.EventWithdrawalCompleted, payout.EventCompleted} {
		if !slices.Contains(types, want) {
			t.Errorf("the withdrawal's events %v lack %s", types, want)
		}
	}
	txs, err := ws.Transactions(ctx, asset.Test, w2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 2 || txs[0].Type != "withdrawal" || txs[0].PayoutID != po.ID || txs[1].Type != "deposit" || txs[1].TxHash != t3 {
		t.Fatalf("w2's transactions: %+v", txs)
	}
	verify(t, e)

	agg, err := ws.Aggregated(ctx, asset.Test, "", ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if agg.Count != 1 || agg.TotalUSD != "4550.00" { // 0.07 BTC at 65,000
		t.Fatalf("aggregated: %+v", agg)
	}
}

// sameSet reports whether a and b hold the same strings, counted.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestWallets_BadInputIsNamedAndChangesNothing: every wrong field of a create, lookup,
// list, check or withdrawal is refused under its name with nothing stored; a wallet
// is not found in the other mode or under a made-up id.
func TestWallets_BadInputIsNamedAndChangesNothing(t *testing.T) {
	e := kassatest.New(t)
	ctx := t.Context()
	ws := e.Gateway.Wallets()
	w, _, err := ws.Create(ctx, asset.Test, wallet.CreateParams{CustomerID: "user-1", Currency: "USDT", Network: "ethereum"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		p     wallet.CreateParams
		field string
	}{
		{"no customer", wallet.CreateParams{Currency: "BTC"}, "customer_id"},
		{"a customer id with spaces", wallet.CreateParams{CustomerID: "a b", Currency: "BTC"}, "customer_id"},
		{"an unknown cus_ id", wallet.CreateParams{CustomerID: "cus_aaaaaaaaaaaaaaaaaaaa", Currency: "BTC"}, "customer_id"},
		{"an unknown asset", wallet.CreateParams{CustomerID: "user-1", Currency: "DOGE"}, "currency"},
		{"an ambiguous currency", wallet.CreateParams{CustomerID: "user-1", Currency: "USDT"}, "currency"},
		{"an asset not enabled", wallet.CreateParams{CustomerID: "user-1", Currency: "SOL"}, "currency"},
		{"a label with a control character", wallet.CreateParams{CustomerID: "user-1", Currency: "BTC", Label: "a\x00b"}, "label"},
		{"a label with a bidi override", wallet.CreateParams{CustomerID: "user-1", Currency: "BTC", Label: "a\u202eb"}, "label"},
		{"metadata not an object", wallet.CreateParams{CustomerID: "user-1", Currency: "BTC", Metadata: json.RawMessage(`[1]`)}, "metadata"},
	} {
		_, _, err := ws.Create(ctx, asset.Test, c.p)
		if !validation.HasField(err, c.field) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.field)
		}
	}
	if all, total, err := ws.List(ctx, wallet.ListParams{Mode: asset.Test, Page: 1, Limit: 100}); err != nil || total != 1 || all[0].ID != w.ID {
		t.Fatalf("after the refusals: %d wallets (%v), want only %s", total, err, w.ID)
	}
	for _, c := range []struct {
		name string
		p    wallet.ListParams
		f    string
	}{
		{"page 0", wallet.ListParams{Mode: asset.Test, Page: 0, Limit: 10}, "page"},
		{"limit 101", wallet.ListParams{Mode: asset.Test, Page: 1, Limit: 101}, "limit"},
		{"an unknown currency", wallet.ListParams{Mode: asset.Test, Currency: "XXX", Page: 1, Limit: 10}, "currency"},
		{"a bad customer", wallet.ListParams{Mode: asset.Test, CustomerID: "a\nb", Page: 1, Limit: 10}, "customer_id"},
	} {
		if _, _, err := ws.List(ctx, c.p); !validation.HasField(err, c.f) {
			t.Errorf("list with %s: %v, want an error naming %s", c.name, err, c.f)
		}
	}
	if _, err := ws.Get(ctx, asset.Live, w.ID); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("a test wallet in live mode: %v, want ErrNotFound", err)
	}
	if _, err := ws.Get(ctx, asset.Test, "wal_aaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("a made-up id: %v, want ErrNotFound", err)
	}
	if _, err := ws.Lookup(ctx, asset.Test, "", "user-1", "USDT", "tron"); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("lookup of an asset the customer has no wallet of: %v", err)
	}
	if got, err := ws.Lookup(ctx, asset.Test, "", "user-1", "USDT", "ethereum"); err != nil || got.ID != w.ID {
		t.Errorf("lookup: %v %v", got, err)
	}
	if _, err := ws.Lookup(ctx, asset.Test, "", "user-1", "USDT", ""); !validation.HasField(err, "currency") {
		t.Errorf("lookup of an ambiguous currency: %v", err)
	}
	for _, h := range []string{"", "00", "0x" + strings.Repeat("g", 64), strings.Repeat("a", 64)} {
		if _, err := ws.Check(ctx, asset.Test, w.ID, h); !validation.HasField(err, "tx_hash") {
			t.Errorf("check with tx_hash %q on ethereum: %v, want an error naming tx_hash", h, err)
		}
	}
	if _, err := ws.Check(ctx, asset.Test, w.ID, "0x"+strings.Repeat("ab", 32)); err != nil {
		t.Errorf("a well-formed check: %v", err)
	}
	if _, err := ws.Check(ctx, asset.Test, w.ID, "0x"+strings.Repeat("ab", 32)); !errors.Is(err, wallet.ErrTooSoon) {
		t.Errorf("a second check at once: %v, want ErrTooSoon", err)
	}
	for _, c := range []struct {
		name string
		p    wallet.WithdrawParams
		f    string
	}{
		{"zero", wallet.WithdrawParams{Amount: dec("0"), Destination: e.Recipient(asset.Ethereum, 0)}, "amount"},
		{"negative", wallet.WithdrawParams{Amount: dec("-1"), Destination: e.Recipient(asset.Ethereum, 0)}, "amount"},
		{"over-precise", wallet.WithdrawParams{Amount: dec("1.0000001"), Destination: e.Recipient(asset.Ethereum, 0)}, "amount"},
		{"a bitcoin address", wallet.WithdrawParams{Amount: dec("1"), Destination: e.Recipient(asset.Bitcoin, 0)}, "recipient_address"},
		{"a bad checksum", wallet.WithdrawParams{Amount: dec("1"), Destination: badChecksum(e.Recipient(asset.Ethereum, 0))}, "recipient_address"},
		{"its own address", wallet.WithdrawParams{Amount: dec("1"), Destination: w.Address}, "recipient_address"},
		{"more than it has", wallet.WithdrawParams{Amount: dec("1"), Destination: e.Recipient(asset.Ethereum, 0)}, "amount"},
	} {
		if _, err := ws.Withdraw(ctx, asset.Test, w.ID, c.p); !validation.HasField(err, c.f) {
			t.Errorf("withdraw %s: %v, want an error naming %s", c.name, err, c.f)
		}
	}
	if _, err := ws.Withdraw(ctx, asset.Live, w.ID, wallet.WithdrawParams{Amount: dec("1"), Destination: e.Recipient(asset.Ethereum, 0)}); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("withdraw from a test wallet in live mode: %v", err)
	}
	if ps, total, err := e.Gateway.Payouts().List(ctx, asset.Test, "", nil, 1, 10); err != nil || total != 0 {
		t.Errorf("payouts after the refusals: %v %d %v", ps, total, err)
	}
	verify(t, e)
}

// badChecksum flips the case of the first letter of an EIP-55 address.
func badChecksum(a string) string {
	for i := 2; i < len(a); i++ {
		if c := a[i]; c >= 'a' && c <= 'f' {
			return a[:i] + strings.ToUpper(string(c)) + a[i+1:]
		} else if c >= 'A' && c <= 'F' {
			return a[:i] + strings.ToLower(string(c)) + a[i+1:]
		}
	}
	return a
}

// TestWallets_ConcurrentCreatesAnswerOneWallet: on PostgreSQL, six creates of one
// customer's wallet of one asset at once (a client's retries across instances) all
// answer the same wallet, exactly one of them as created.
func TestWallets_ConcurrentCreatesAnswerOneWallet(t *testing.T) {
	url := pgtest.URL(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := kassatest.New(t, kassatest.WithStore(func(ctx context.Context) (storage.Store, error) {
		return postgres.Open(ctx, url, postgres.Options{MaxConns: 8, Logger: quiet})
	}))
	for round := range 3 {
		var wg sync.WaitGroup
		ids := make([]string, 6)
		made := make([]bool, 6)
		errs := make([]error, 6)
		for i := range 6 {
			wg.Go(func() {
				w, created, err := e.Gateway.Wallets().Create(t.Context(), asset.Test, wallet.CreateParams{CustomerID: fmt.Sprintf("racer-%d", round), Currency: "BTC"})
				errs[i], made[i] = err, created
				if err == nil {
					ids[i] = w.ID
				}
			})
		}
		wg.Wait()
		n := 0
		for i := range 6 {
			if errs[i] != nil {
				t.Fatalf("round %d, create %d: %v", round, i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("round %d: wallets %v, want one", round, ids)
			}
			if made[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d creates said created, want 1", round, n)
		}
	}
}

// TestWallets_ACheckTheNodeFailedNeedNotWait: a deposit check whose node is down fails
// with the node's error, and the next check of the wallet runs at once (the cooldown
// was given back) instead of answering ErrTooSoon for 30 seconds.
func TestWallets_ACheckTheNodeFailedNeedNotWait(t *testing.T) {
	e := kassatest.New(t)
	w, _, err := e.Gateway.Wallets().Create(t.Context(), asset.Test, wallet.CreateParams{CustomerID: "u1", Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	e.Sync() // the watcher has a cursor: a rescan reads blocks
	h := strings.Repeat("ab", 32)
	e.Chain(asset.Bitcoin).SetOffline(true)
	if _, err := e.Gateway.Wallets().Check(t.Context(), asset.Test, w.ID, h); err == nil || errors.Is(err, wallet.ErrTooSoon) {
		t.Fatalf("a check with the node down: %v, want the node's error", err)
	}
	e.Chain(asset.Bitcoin).SetOffline(false)
	if res, err := e.Gateway.Wallets().Check(t.Context(), asset.Test, w.ID, h); err != nil || res.Found {
		t.Fatalf("the check right after: %+v %v", res, err)
	}
	if _, err := e.Gateway.Wallets().Check(t.Context(), asset.Test, w.ID, h); !errors.Is(err, wallet.ErrTooSoon) {
		t.Fatalf("a third check at once: %v, want ErrTooSoon", err)
	}
}
