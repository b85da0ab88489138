package invoice_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
)

// registry with BTC needing 3 confirmations, so tests can stand between blocks.
func threeConfs(t *testing.T) *asset.Registry {
	r := asset.Default()
	if err := r.SetConfirmations("BTC", 3); err != nil {
		t.Fatal(err)
	}
	return r
}

// doubleSpentAway pays an invoice of 0.01 BTC, mines mined blocks (the status is
// before, the invoice's status then), and has a reorg of that depth take the payment's
// block away while the payer double-spends it: the invoice is pending again.
func doubleSpentAway(t *testing.T, env *kassatest.Env, mined int, before invoice.Status) *invoice.Invoice {
	t.Helper()
	btc := env.Chain(asset.Bitcoin)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	txid := env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, mined)
	env.WantStatus(inv.ID, before, "")
	if err := btc.Disconnect(mined); err != nil {
		t.Fatal(err)
	}
	btc.Drop(txid)
	env.Mine(asset.Bitcoin, mined+1)
	return env.WantStatus(inv.ID, invoice.StatusPending, "")
}

func TestReorg_BeforeThresholdDropsPayment(t *testing.T) {
	env := kassatest.New(t, kassatest.WithAssets(threeConfs(t)))
	// The block is reorganised away and the payment double-spent before it is mined again.
	inv := doubleSpentAway(t, env, 1, invoice.StatusConfirming)
	if !inv.AmountPaid.IsZero() {
		t.Fatalf("paid %s after the payment vanished", inv.AmountPaid)
	}
	if b := env.Balance("BTC"); !b.Pending.IsZero() || !b.Available.IsZero() {
		t.Fatalf("balance after the payment vanished: %+v", b)
	}
	types := env.EventTypes(inv.ID)
	if types[len(types)-1] != event.InvoicePaymentReversed {
		t.Fatalf("events %v: the reversal was not announced", types)
	}
	// Paying again works and counts once.
	env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, 3)
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("balance %+v", b)
	}
	env.Verify()
}

func TestReorg_PaymentReminedCountsOnce(t *testing.T) {
	env := kassatest.New(t, kassatest.WithAssets(threeConfs(t)))
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, 2)
	// A 2-block reorg: the transaction returns to the mempool and is mined again in the
	// first block of the new branch.
	if err := env.Chain(asset.Bitcoin).Disconnect(2); err != nil {
		t.Fatal(err)
	}
	env.Mine(asset.Bitcoin, 2)
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	env.Mine(asset.Bitcoin, 1)
	got := env.WantStatus(inv.ID, invoice.StatusPaid, "")
	if !got.AmountPaid.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("paid %s, want 0.01 once", got.AmountPaid)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.01")) || !b.Pending.IsZero() {
		t.Fatalf("balance %+v", b)
	}
	env.Verify()
}

func TestReorg_AfterThresholdTakesBackTheCredit(t *testing.T) {
	env := kassatest.New(t, kassatest.WithAssets(threeConfs(t)))
	doubleSpentAway(t, env, 3, invoice.StatusPaid)
	if b := env.Balance("BTC"); !b.Available.IsZero() {
		t.Fatalf("a reorged-out payment stayed available: %+v", b)
	}
	env.Verify()
}

func TestDoubleSpend_ReplacedElsewhere(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.5"), Currency: "ETH"})
	txid := env.Pay(inv, "ETH", "0.5")
	env.Sync()
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	eth := env.Chain(asset.Ethereum)
	if _, err := eth.Replace(txid, simOutTo("0x000000000000000000000000000000000000dEaD", "ETH", env.Units("ETH", "0.5"))); err != nil {
		t.Fatal(err)
	}
	env.Mine(asset.Ethereum, 12)
	env.WantStatus(inv.ID, invoice.StatusPending, "")
	if b := env.Balance("ETH"); !b.Pending.IsZero() || !b.Available.IsZero() {
		t.Fatalf("a double-spent payment stayed booked: %+v", b)
	}
	env.Verify()
}

func TestNodeOffline_ThenBack(t *testing.T) {
	env := kassatest.New(t)
	tron := env.Chain(asset.Tron)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25"), Currency: "USDT_TRON"})
	tron.SetOffline(true)
	env.Pay(inv, "USDT_TRON", "25")
	tron.Mine(30)
	err := env.Gateway.Sync(context.Background())
	if !errors.Is(err, chains.ErrUnavailable) {
		t.Fatalf("Sync with the node down: %v, want ErrUnavailable", err)
	}
	env.WantStatus(inv.ID, invoice.StatusPending, "")
	tron.SetOffline(false)
	env.Sync()
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
	env.Verify()
}

func TestRestart_InTheMiddleOfConfirmations(t *testing.T) {
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("100"), Currency: "USDC_ETHEREUM"})
	env.Pay(inv, "USDC_ETHEREUM", "100")
	env.Mine(asset.Ethereum, 5)
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	before := len(env.Events())
	env.Restart()
	if len(env.Events()) != before {
		t.Fatalf("restart redelivered events: %d -> %d", before, len(env.Events()))
	}
	env.Mine(asset.Ethereum, 6)
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	env.Mine(asset.Ethereum, 1)
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
	if b := env.Balance("USDC_ETHEREUM"); !b.Available.Equal(kassatest.Dec("100")) || !b.Pending.IsZero() {
		t.Fatalf("balance after restart: %+v", b)
	}
	// Every event exactly once for this subscriber, in order.
	want := []event.Type{event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoiceConfirming, event.InvoicePaid}
	if got := env.EventTypes(inv.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	env.Verify()
}

func TestCreate_OrderIDIsIdempotent(t *testing.T) {
	env := kassatest.New(t)
	a := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", OrderID: "ORD-500"})
	b := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", OrderID: "ORD-500"})
	if a.ID != b.ID {
		t.Fatalf("second create with the same order id made %s, want %s", b.ID, a.ID)
	}
	c := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", OrderID: "ORD-501"})
	if c.ID == a.ID || env.Method(c, "BTC").Address == env.Method(a, "BTC").Address {
		t.Fatal("another order id must be another invoice with other addresses")
	}
}

// TestCreate_RequestKeyIsIdempotentAcrossRestarts: an invoice without an order id is
// found by its request key, also by a Gateway opened again on the same database.
func TestCreate_RequestKeyIsIdempotentAcrossRestarts(t *testing.T) {
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	p := invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", RequestKey: "req-1"}
	a := env.Create(p)
	env.Restart()
	b := env.Create(p)
	if a.ID != b.ID {
		t.Fatalf("second create with the same request key made %s, want %s", b.ID, a.ID)
	}
	p.RequestKey = "req-2"
	if c := env.Create(p); c.ID == a.ID {
		t.Fatal("another request key must be another invoice")
	}
	p.RequestKey = ""
	d, e := env.Create(p), env.Create(p)
	if d.ID == e.ID {
		t.Fatal("without a key or order id every create is a new invoice")
	}
	// The key is per mode: the same key in live mode is another invoice.
	live, err := env.Gateway.Invoices().Create(context.Background(), asset.Live, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "BTC", RequestKey: "req-1"})
	if err == nil && live.ID == a.ID {
		t.Fatal("a test-mode request key found from live mode")
	}
	// Concurrent retries with one key make one invoice.
	p.RequestKey = "req-3"
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			inv, err := env.Gateway.Invoices().Create(context.Background(), asset.Test, p)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = inv.ID
		})
	}
	wg.Wait()
	for _, id := range got[1:] {
		if id != got[0] {
			t.Fatalf("concurrent creates with one request key made %v", got)
		}
	}
	invs, _, err := env.Gateway.Invoices().List(context.Background(), invoice.ListParams{Mode: asset.Test, Limit: 100})
	if err != nil || len(invs) != 5 {
		t.Fatalf("%d invoices (%v), want 5", len(invs), err)
	}
}

func TestCreate_BadInputCreatesNothing(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	big := strings.Repeat("x", 16<<10)
	cases := []struct {
		name  string
		p     invoice.CreateParams
		field string
	}{
		{"zero amount", invoice.CreateParams{Amount: kassatest.Dec("0"), Currency: "USD"}, "amount"},
		{"request key too long", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", RequestKey: strings.Repeat("k", 256)}, "request_key"},
		{"negative amount", invoice.CreateParams{Amount: kassatest.Dec("-1"), Currency: "USD"}, "amount"},
		{"over-precise fiat", invoice.CreateParams{Amount: kassatest.Dec("1.001"), Currency: "USD"}, "amount"},
		{"over-precise yen", invoice.CreateParams{Amount: kassatest.Dec("100.5"), Currency: "JPY"}, "amount"},
		{"over-precise crypto", invoice.CreateParams{Amount: kassatest.Dec("0.000000001"), Currency: "BTC"}, "amount"},
		{"below minimum", invoice.CreateParams{Amount: kassatest.Dec("0.1"), Currency: "USDT_TRON"}, "amount"},
		{"unknown currency", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "DOGE"}, "currency"},
		{"missing currency", invoice.CreateParams{Amount: kassatest.Dec("1")}, "currency"},
		{"fiat target", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", ToCurrency: "EUR"}, "to_currency"},
		{"unknown network", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", ToCurrency: "USDT", Network: "dogechain"}, "network"},
		{"not enabled", invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", ToCurrency: "SOL"}, "to_currency"},
		{"lifetime short", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", Lifetime: 299e9}, "lifetime"},
		{"lifetime long", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", Lifetime: 43201e9}, "lifetime"},
		{"tolerance", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", AccuracyPercent: kassatest.Dec("5.1")}, "accuracy_payment_percent"},
		{"discount", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", DiscountPercent: kassatest.Dec("-100")}, "discount_percent"},
		{"subtract", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", SubtractPercent: kassatest.Dec("101")}, "subtract"},
		{"metadata array", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", Metadata: []byte(`[1]`)}, "metadata"},
		{"metadata not json", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", Metadata: []byte(`{"a":`)}, "metadata"},
		{"metadata too big", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", Metadata: []byte(`{"a":"` + big + `"}`)}, "metadata"},
		{"order id", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", OrderID: "ORD 1; DROP TABLE"}, "order_id"},
		{"order id long", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", OrderID: strings.Repeat("a", 129)}, "order_id"},
		{"accepted unknown", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", AcceptedAssets: []string{"DOGE"}}, "accepted_assets[0]"},
		{"accepted disabled", invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"SOL"}}, "accepted_assets"},
		{"email", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", CustomerEmail: "not-an-email"}, "customer_email"},
		{"success url", invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", SuccessURL: "javascript:alert(1)"}, "success_url"},
		{"no rate", invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "CHF", ToCurrency: "BTC"}, "currency"},
	}
	for _, c := range cases {
		_, err := env.Gateway.Invoices().Create(ctx, asset.Test, c.p)
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields[c.field]) == 0 {
			t.Errorf("%s: %v (fields %v), want a validation error on %s", c.name, err, fieldsOf(ve), c.field)
		}
	}
	if _, total, _ := env.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test}); total != 0 {
		t.Fatalf("%d invoices created by bad input", total)
	}
	// No address index was consumed: the first good invoice gets index 0.
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	if inv.Methods[0].Index != 0 {
		t.Fatalf("first good invoice got index %d", inv.Methods[0].Index)
	}
}

func fieldsOf(ve *kassa.ValidationError) map[string][]string {
	if ve == nil {
		return nil
	}
	return ve.Fields
}

func TestModes_AreSeparate(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	if _, err := env.Gateway.Invoices().Get(ctx, asset.Live, inv.ID); !errors.Is(err, invoice.ErrNotFound) {
		t.Fatalf("test invoice visible in live mode: %v", err)
	}
	if _, total, _ := env.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Live}); total != 0 {
		t.Fatal("live list shows test invoices")
	}
	// No live backend: nothing can be invoiced live.
	_, err := env.Gateway.Invoices().Create(ctx, asset.Live, invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	var ve *kassa.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("live invoice without live chains: %v", err)
	}
}

func TestList_FiltersAndPages(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", CustomerID: fmt.Sprint("c", i%2)})
		ids = append(ids, inv.ID)
		env.Clock.Advance(1e9)
	}
	page, total, err := env.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test, Limit: 2, Page: 1})
	if err != nil || total != 5 || len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("page 1: %d of %d, %v", len(page), total, err)
	}
	page, _, _ = env.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test, Limit: 2, Page: 3})
	if len(page) != 1 || page[0].ID != ids[0] {
		t.Fatalf("page 3: %d", len(page))
	}
	page, total, _ = env.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test, CustomerID: "c1"})
	if total != 2 || len(page) != 2 {
		t.Fatalf("customer filter: %d", total)
	}
	for _, bad := range []invoice.ListParams{{Mode: asset.Test, Limit: 101}, {Mode: asset.Test, Page: -1}, {Mode: "x"}} {
		if _, _, err := env.Gateway.Invoices().List(ctx, bad); err == nil {
			t.Errorf("ListInvoices(%+v) accepted", bad)
		}
	}
}

// TestCreate_BareCurrencyMeansItsEnabledNetworks (issue 14.14): accepted_assets
// ["USDT"] failed whole when some USDT networks had no backend in the mode; it means
// every enabled one. A network named explicitly must still be enabled.
func TestCreate_BareCurrencyMeansItsEnabledNetworks(t *testing.T) {
	g, _ := kassatest.Gateway(t, kassa.Config{Chains: []chains.Backend{kassatest.SimChain(asset.Ethereum, asset.Test), kassatest.SimChain(asset.Tron, asset.Test)}})
	ctx := context.Background()
	inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"USDT"}})
	if err != nil {
		t.Fatalf("accepted USDT with USDT on bsc and polygon not enabled: %v", err)
	}
	var codes []string
	for _, m := range inv.Methods {
		codes = append(codes, m.Asset)
	}
	if len(codes) != 2 || codes[0] != "USDT_ETHEREUM" || codes[1] != "USDT_TRON" {
		t.Fatalf("methods %v", codes)
	}
	_, err = g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"USDT_BSC"}})
	if !errors.Is(err, invoice.ErrNotEnabled) {
		t.Fatalf("a named network that is not enabled: %v", err)
	}
	_, err = g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	if !errors.Is(err, invoice.ErrNotEnabled) {
		t.Fatalf("BTC without a bitcoin backend: %v", err)
	}
}

// TestReorg_TakingBackSpentMoneyIsBookedAsADeficit (issue 15): a deposit double-spent
// away by a reorg after a payout had spent it used to leave the credit in place ("cannot
// take back a reorged payment: funds already spent"). The reversal is booked anyway:
// the available balance goes negative as a deficit, an event says so, payouts of the
// asset are refused, and the next deposits cover the deficit first.
func TestReorg_TakingBackSpentMoneyIsBookedAsADeficit(t *testing.T) {
	env := kassatest.New(t, kassatest.WithAssets(threeConfs(t)))
	btc := env.Chain(asset.Bitcoin)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.05"), Currency: "BTC"})
	txid := env.Pay(inv, "BTC", "0.05")
	env.Mine(asset.Bitcoin, 3)
	p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.04"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 1)})
	btc.Mine(3) // the payout is mined above the deposit, with its 3 confirmations
	env.Sync()
	if got := env.Payout(p.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("payout is %s", got.Status)
	}
	// A reorg of 6 blocks takes the deposit away (double-spent); the payout came back in.
	if err := btc.Disconnect(6); err != nil {
		t.Fatal(err)
	}
	btc.Drop(txid)
	env.Mine(asset.Bitcoin, 7)
	env.WantStatus(inv.ID, invoice.StatusPending, "")
	b := env.Balance("BTC")
	// 0.05 in, 0.04 out (0.03999 to the recipient, 0.00001 fee): 0.01 left of the 0.05
	// taken back.
	if !b.Deficit.Equal(kassatest.Dec("0.04")) || !b.Available.Equal(kassatest.Dec("-0.04")) {
		t.Fatalf("balance after the reversal: %+v", b)
	}
	var deficits int
	for _, e := range env.Events() {
		if e.Type == event.BalanceDeficit {
			deficits++
		}
	}
	if deficits != 1 {
		t.Fatalf("%d balance.deficit events", deficits)
	}
	_, err := env.Gateway.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC",
		Destination: env.Recipient(asset.Bitcoin, 2)})
	if !errors.Is(err, payout.ErrDeficit) {
		t.Fatalf("payout while in deficit: %v", err)
	}
	env.Verify()
	// A new deposit covers the deficit first.
	more := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.05"), Currency: "BTC"})
	env.Pay(more, "BTC", "0.05")
	env.Mine(asset.Bitcoin, 3)
	if b := env.Balance("BTC"); !b.Deficit.IsZero() || !b.Available.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("balance after covering: %+v", b)
	}
	env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 3)})
	env.Verify()
}
