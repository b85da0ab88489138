package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage"
)

var invoiceTests = []test{
	{"Invoice_InsertGetUpdate", testInvoiceInsertGetUpdate},
	{"Invoice_ByOrderIDUniquePerMode", testInvoiceByOrderID},
	{"Invoice_ByRequestKeyUniquePerMode", testInvoiceByRequestKey},
	{"Invoice_ByAddress", testInvoiceByAddress},
	{"Invoice_ListFiltersAndPages", testInvoiceList},
	{"Invoice_Payments", testInvoicePayments},
	{"Invoice_DueInvoices", testDueInvoices},
	{"Invoice_WatchAddressAndUnwatch", testWatchAddresses},
	{"Invoice_ListTransfers", testListTransfers},
	{"Invoice_Booking", testBooking},
	{"Invoice_OwnTx", testOwnTx},
}

func btcMethod(address string, index uint32) invoice.Method {
	return invoice.Method{Asset: "BTC", Currency: "BTC", Network: asset.Bitcoin, Address: address, Family: asset.FamilyBTC,
		Decimals: 8, Index: index, Rate: dec("64250.12"), AmountDue: dec("0.00148607"), AmountPaid: dec("0"),
		AmountConfirmed: dec("0"), Confirmations: 2}
}

func tronMethod(address string, index uint32) invoice.Method {
	return invoice.Method{Asset: "USDT_TRON", Currency: "USDT", Network: asset.Tron, Address: address, Family: asset.FamilyTron,
		Decimals: 6, Index: index, Rate: dec("1.0001"), AmountDue: dec("95.470453"), AmountPaid: dec("0"),
		AmountConfirmed: dec("0"), Confirmations: 19}
}

func evmMethod(code string, network asset.NetworkID, address string, index uint32) invoice.Method {
	return invoice.Method{Asset: code, Currency: "USDT", Network: network, Address: address, Family: asset.FamilyEVM,
		Decimals: 18, Index: index, Rate: dec("0.9998"), AmountDue: dec("95.499099819963992799"), AmountPaid: dec("0"),
		AmountConfirmed: dec("0"), Confirmations: 12}
}

// newInvoice returns a pending invoice of mode created at created, with every field
// set as the invoice service sets it.
func newInvoice(id string, m asset.Mode, created time.Time, methods ...invoice.Method) *invoice.Invoice {
	return &invoice.Invoice{ID: id, Kind: invoice.KindInvoice, Mode: m, Status: invoice.StatusPending,
		Amount: dec("100.50"), Currency: "USD", AmountDue: dec("95.48"), CustomerID: "cus_1",
		CustomerEmail: "buyer@example.com", Description: "Two coffees", SuccessURL: "https://shop.example.com/thanks",
		CancelURL: "https://shop.example.com/cart", CallbackURL: "https://shop.example.com/kassa/callback",
		Metadata:        json.RawMessage(`{"order_id":"ORD-500","note":"café ☕"}`), // keys out of jsonb order: kept as given
		AccuracyPercent: dec("0.5"), UnderpaymentThreshold: dec("0.10"), PaymentMultiple: true,
		SubtractPercent: dec("0"), DiscountPercent: dec("5"), Methods: methods,
		AmountPaid: dec("0"), AmountConfirmed: dec("0"), AmountRefunded: dec("0"),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour), MonitorUntil: created.Add(25 * time.Hour), UpdatedAt: created,
		ParamsHash: "params:" + id}
}

func insertInvoices(t *testing.T, s storage.Store, invs ...*invoice.Invoice) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, inv := range invs {
			if err := tx.InsertInvoice(ctx, inv); err != nil {
				return fmt.Errorf("InsertInvoice %s: %w", inv.ID, err)
			}
		}
		return nil
	})
}

// findInvoice runs one of the invoice lookups in a View.
func findInvoice(t *testing.T, s storage.Store, find func(context.Context, storage.Tx) (*invoice.Invoice, error)) (*invoice.Invoice, error) {
	t.Helper()
	var inv *invoice.Invoice
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		inv, err = find(ctx, tx)
		return err
	})
	return inv, err
}

func getInvoice(t *testing.T, s storage.Store, m asset.Mode, id string) (*invoice.Invoice, error) {
	t.Helper()
	return findInvoice(t, s, func(ctx context.Context, tx storage.Tx) (*invoice.Invoice, error) { return tx.GetInvoice(ctx, m, id) })
}

// wantInvoice fails unless the lookup found the invoice with id want.
func wantInvoice(t *testing.T, what string, inv *invoice.Invoice, err error, want string) {
	t.Helper()
	switch {
	case err != nil:
		t.Errorf("%s: %v, want %s", what, err, want)
	case inv == nil || inv.ID != want:
		t.Errorf("%s: %+v, want %s", what, inv, want)
	}
}

func wantNotFound(t *testing.T, what string, err error, notFound error) {
	t.Helper()
	if !errors.Is(err, notFound) {
		t.Errorf("%s: %v, want %v", what, err, notFound)
	}
}

// testInvoiceInsertGetUpdate checks that an invoice comes back from GetInvoice as it
// was inserted and updated, only in its own mode.
func testInvoiceInsertGetUpdate(t *testing.T, s storage.Store) {
	inv := newInvoice("inv_A", asset.Test, t0, btcMethod("tb1qa0", 0), tronMethod("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", 0))
	inv.OrderID, inv.RequestKey = "ORD-500", "req-A"
	live := newInvoice("inv_L", asset.Live, t0, btcMethod("bc1ql0", 0))
	insertInvoices(t, s, inv, live)
	got, err := getInvoice(t, s, asset.Test, "inv_A")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "GetInvoice", got, inv)
	if got.Mode != asset.Test {
		t.Errorf("GetInvoice mode %q", got.Mode)
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "inv_A"}, {asset.Test, "inv_L"}, {asset.Test, "inv_nope"}} {
		_, err := getInvoice(t, s, c.m, c.id)
		wantNotFound(t, fmt.Sprintf("GetInvoice(%s, %s)", c.m, c.id), err, invoice.ErrNotFound)
	}

	upd := *inv
	upd.Methods = slices.Clone(inv.Methods)
	upd.Status, upd.Exception = invoice.StatusConfirming, invoice.ExceptionOverpaid
	upd.AmountPaid, upd.Methods[0].AmountPaid = dec("101.23"), dec("0.00157556")
	upd.PaidAt, upd.UpdatedAt = ptr(at(10*time.Minute)), at(10*time.Minute)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, &upd, true) })
	got, err = getInvoice(t, s, asset.Test, "inv_A")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "GetInvoice after UpdateInvoice", got, &upd)

	// An update must not reach an invoice of the other mode, nor create one. (The doc
	// is silent on the error; storage/sqlite returns ErrNotFound.)
	other := upd
	other.Mode, other.Status = asset.Live, invoice.StatusCancelled
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, &other, false) })
	if got, err := getInvoice(t, s, asset.Test, "inv_A"); err != nil || got.Status != invoice.StatusConfirming {
		t.Errorf("an update in live mode changed the test invoice: %+v, %v", got, err)
	}
	if _, err := getInvoice(t, s, asset.Live, "inv_A"); !errors.Is(err, invoice.ErrNotFound) {
		t.Errorf("an update in live mode created a live invoice: %v", err)
	}
	ghost := *newInvoice("inv_ghost", asset.Test, t0)
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, &ghost, true) })
	if _, err := getInvoice(t, s, asset.Test, "inv_ghost"); !errors.Is(err, invoice.ErrNotFound) {
		t.Errorf("UpdateInvoice of an unknown invoice created it: %v", err)
	}

	// A new expiry (a refreshed invoice) is the one the expiry pass goes by.
	moved := upd
	moved.Status, moved.ExpiresAt, moved.MonitorUntil = invoice.StatusPending, at(5*time.Hour), at(30*time.Hour)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, &moved, true) })
	due := func(now time.Time) []string {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([]string, error) {
			return tx.DueInvoices(ctx, asset.Test, now, 100)
		})
	}
	if ids := due(at(2 * time.Hour)); slices.Contains(ids, "inv_A") {
		t.Errorf("due at its first expiry after UpdateInvoice moved it: %v", ids)
	}
	if ids := due(at(6 * time.Hour)); !slices.Contains(ids, "inv_A") {
		t.Errorf("not due after its new expiry: %v", ids)
	}
}

// testInvoiceByOrderID checks InvoiceByOrderID, with ParamsHash (the service
// compares it), and that an order id names one invoice per mode.
func testInvoiceByOrderID(t *testing.T, s storage.Store) {
	a := newInvoice("inv_A", asset.Test, t0, btcMethod("tb1qa0", 0))
	a.OrderID = "ORD-1"
	l := newInvoice("inv_L", asset.Live, t0, btcMethod("bc1ql0", 0))
	l.OrderID = "ORD-1" // the same order id in the other mode is another order
	l2 := newInvoice("inv_L2", asset.Live, t0, btcMethod("bc1ql1", 1))
	l2.OrderID = "ORD-LIVE"
	// Invoices without an order id are not constrained by it.
	insertInvoices(t, s, a, l, l2, newInvoice("inv_B", asset.Test, t0), newInvoice("inv_C", asset.Test, t0))
	by := func(m asset.Mode, order string) (*invoice.Invoice, error) {
		return findInvoice(t, s, func(ctx context.Context, tx storage.Tx) (*invoice.Invoice, error) {
			return tx.InvoiceByOrderID(ctx, m, order)
		})
	}
	got, err := by(asset.Test, "ORD-1")
	wantInvoice(t, "InvoiceByOrderID(test, ORD-1)", got, err, "inv_A")
	if err == nil {
		sameJSON(t, "InvoiceByOrderID", got, a)
		if got.ParamsHash != a.ParamsHash {
			t.Errorf("InvoiceByOrderID ParamsHash %q, want %q", got.ParamsHash, a.ParamsHash)
		}
	}
	got, err = by(asset.Live, "ORD-1")
	wantInvoice(t, "InvoiceByOrderID(live, ORD-1)", got, err, "inv_L")
	_, err = by(asset.Test, "ORD-2")
	wantNotFound(t, "InvoiceByOrderID of an unknown order", err, invoice.ErrNotFound)
	_, err = by(asset.Test, "ORD-LIVE")
	wantNotFound(t, "InvoiceByOrderID of an order of live mode only", err, invoice.ErrNotFound)

	dup := newInvoice("inv_D", asset.Test, at(time.Minute), btcMethod("tb1qd0", 1))
	dup.OrderID = "ORD-1"
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertInvoice(ctx, dup) }); err == nil {
		t.Fatal("a second invoice with the same order id in the same mode was inserted")
	}
	_, err = getInvoice(t, s, asset.Test, "inv_D")
	wantNotFound(t, "the refused invoice", err, invoice.ErrNotFound)
	got, err = by(asset.Test, "ORD-1")
	wantInvoice(t, "InvoiceByOrderID after the refused insert", got, err, "inv_A")
}

// testInvoiceByRequestKey checks InvoiceByRequestKey (ErrNotFound for "" and for the
// other mode) and that a request key names one invoice per mode: two concurrent
// retries of one request must not both create an invoice.
func testInvoiceByRequestKey(t *testing.T, s storage.Store) {
	a := newInvoice("inv_A", asset.Test, t0, btcMethod("tb1qa0", 0))
	a.RequestKey = "idem:key_1:9f86d081884c7d65"
	l := newInvoice("inv_L", asset.Live, t0, btcMethod("bc1ql0", 0))
	l.RequestKey = a.RequestKey
	l2 := newInvoice("inv_L2", asset.Live, t0, btcMethod("bc1ql1", 1))
	l2.RequestKey = "idem:key_2:live-only"
	insertInvoices(t, s, a, l, l2, newInvoice("inv_B", asset.Test, t0), newInvoice("inv_C", asset.Test, t0))
	by := func(m asset.Mode, key string) (*invoice.Invoice, error) {
		return findInvoice(t, s, func(ctx context.Context, tx storage.Tx) (*invoice.Invoice, error) {
			return tx.InvoiceByRequestKey(ctx, m, key)
		})
	}
	got, err := by(asset.Test, a.RequestKey)
	wantInvoice(t, "InvoiceByRequestKey(test)", got, err, "inv_A")
	if err == nil {
		sameJSON(t, "InvoiceByRequestKey", got, a)
	}
	got, err = by(asset.Live, a.RequestKey)
	wantInvoice(t, "InvoiceByRequestKey(live)", got, err, "inv_L")
	_, err = by(asset.Test, "")
	wantNotFound(t, `InvoiceByRequestKey("") with invoices made without a key`, err, invoice.ErrNotFound)
	_, err = by(asset.Test, "idem:other")
	wantNotFound(t, "InvoiceByRequestKey of an unknown key", err, invoice.ErrNotFound)
	_, err = by(asset.Test, l2.RequestKey)
	wantNotFound(t, "InvoiceByRequestKey of a key of live mode only", err, invoice.ErrNotFound)

	dup := newInvoice("inv_D", asset.Test, t0, btcMethod("tb1qd0", 1))
	dup.RequestKey = a.RequestKey
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertInvoice(ctx, dup) }); err == nil {
		t.Fatal("a second invoice with the same request key in the same mode was inserted")
	}
	_, err = getInvoice(t, s, asset.Test, "inv_D")
	wantNotFound(t, "the refused invoice", err, invoice.ErrNotFound)
}

// testInvoiceByAddress checks InvoiceByAddress: a method is found by network, mode,
// asset and address together (one EVM address serves several networks), and an
// address of a network, mode and asset names one invoice.
func testInvoiceByAddress(t *testing.T, s storage.Store) {
	const evmAddr = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	a := newInvoice("inv_A", asset.Test, t0, btcMethod("tb1qa0", 0),
		evmMethod("USDT_ETH", asset.Ethereum, evmAddr, 0), evmMethod("USDT_BSC", asset.BSC, evmAddr, 0))
	b := newInvoice("inv_B", asset.Test, t0, btcMethod("tb1qb1", 1))
	l := newInvoice("inv_L", asset.Live, t0, btcMethod("tb1qa0", 0)) // the same text in the other mode
	l2 := newInvoice("inv_L2", asset.Live, t0, btcMethod("bc1ql1", 1))
	insertInvoices(t, s, a, b, l, l2)
	for _, c := range []struct {
		n           chains.NetworkRef
		code, addr  string
		want        string // "" for ErrNotFound
		description string
	}{
		{btcTest, "BTC", "tb1qa0", "inv_A", "bitcoin method"},
		{ethTest, "USDT_ETH", evmAddr, "inv_A", "ethereum method"},
		{bscTest, "USDT_BSC", evmAddr, "inv_A", "bsc method, same address"},
		{btcTest, "BTC", "tb1qb1", "inv_B", "other invoice"},
		{btcLive, "BTC", "tb1qa0", "inv_L", "live mode"},
		{btcTest, "BTC", "bc1ql1", "", "an address of live mode only"},
		{bscTest, "BNB", evmAddr, "", "an asset no method asked for"},
		{ethTest, "USDT_BSC", evmAddr, "", "an asset of another network"},
		{btcTest, "BTC", "tb1qunknown", "", "unknown address"},
	} {
		got, err := findInvoice(t, s, func(ctx context.Context, tx storage.Tx) (*invoice.Invoice, error) {
			return tx.InvoiceByAddress(ctx, c.n, c.code, c.addr)
		})
		what := fmt.Sprintf("InvoiceByAddress(%s, %s, %s): %s", c.n, c.code, c.addr, c.description)
		if c.want == "" {
			wantNotFound(t, what, err, invoice.ErrNotFound)
		} else {
			wantInvoice(t, what, got, err, c.want)
		}
	}
	// InvoiceByAddress names one invoice: a second method paying the same asset to
	// the same address on the same network and mode is refused.
	x := newInvoice("inv_X", asset.Test, t0, btcMethod("tb1qa0", 0))
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertInvoice(ctx, x) }); err == nil {
		t.Error("a second invoice with a method on an address in use was inserted")
	}
}

func listInvoices(t *testing.T, s storage.Store, p invoice.ListParams) ([]string, int) {
	t.Helper()
	var ids []string
	var total int
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		invs, n, err := tx.ListInvoices(ctx, p)
		for _, inv := range invs {
			ids = append(ids, inv.ID)
		}
		total = n
		return err
	})
	return ids, total
}

// testInvoiceList checks ListInvoices: newest first, pages of Limit from
// Page 1, the total of every page, each filter, and one mode only.
func testInvoiceList(t *testing.T, s storage.Store) {
	var invs []*invoice.Invoice
	for i := range 7 {
		inv := newInvoice(fmt.Sprintf("inv_%d", i), asset.Test, at(time.Duration(i)*time.Minute))
		switch i {
		case 1, 5:
			inv.Kind = invoice.KindPayment
		case 2:
			inv.Kind = invoice.KindCheckoutSession
		}
		if i == 4 || i == 5 {
			inv.Status = invoice.StatusPaid
		}
		if i == 1 || i == 3 {
			inv.CustomerID = "cus_2"
		}
		if i == 6 {
			inv.OrderID = "ORD-6"
		}
		invs = append(invs, inv)
	}
	insertInvoices(t, s, invs...)
	insertInvoices(t, s, newInvoice("inv_l0", asset.Live, t0), newInvoice("inv_l1", asset.Live, at(time.Minute)))

	var got []*invoice.Invoice
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		got, _, err = tx.ListInvoices(ctx, invoice.ListParams{Mode: asset.Test, Page: 1, Limit: 1})
		return err
	})
	if len(got) == 1 {
		sameJSON(t, "ListInvoices[0]", got[0], invs[6])
	}
	test := func(p invoice.ListParams) invoice.ListParams { p.Mode = asset.Test; return p }
	for _, c := range []struct {
		name  string
		p     invoice.ListParams
		ids   []string
		total int
	}{
		{"page 1", test(invoice.ListParams{Page: 1, Limit: 3}), []string{"inv_6", "inv_5", "inv_4"}, 7},
		{"page 2", test(invoice.ListParams{Page: 2, Limit: 3}), []string{"inv_3", "inv_2", "inv_1"}, 7},
		{"page 3", test(invoice.ListParams{Page: 3, Limit: 3}), []string{"inv_0"}, 7},
		{"past the end", test(invoice.ListParams{Page: 4, Limit: 3}), nil, 7},
		{"kind", test(invoice.ListParams{Kind: invoice.KindPayment, Page: 1, Limit: 100}), []string{"inv_5", "inv_1"}, 2},
		{"status", test(invoice.ListParams{Status: invoice.StatusPaid, Page: 1, Limit: 100}), []string{"inv_5", "inv_4"}, 2},
		{"customer", test(invoice.ListParams{CustomerID: "cus_2", Page: 1, Limit: 100}), []string{"inv_3", "inv_1"}, 2},
		{"order id", test(invoice.ListParams{OrderID: "ORD-6", Page: 1, Limit: 100}), []string{"inv_6"}, 1},
		{"created between", test(invoice.ListParams{CreatedFrom: at(90 * time.Second), CreatedTo: at(270 * time.Second), Page: 1, Limit: 100}),
			[]string{"inv_4", "inv_3", "inv_2"}, 3},
		{"created from", test(invoice.ListParams{CreatedFrom: at(330 * time.Second), Page: 1, Limit: 100}), []string{"inv_6"}, 1},
		{"created to", test(invoice.ListParams{CreatedTo: at(30 * time.Second), Page: 1, Limit: 100}), []string{"inv_0"}, 1},
		{"kind and status", test(invoice.ListParams{Kind: invoice.KindInvoice, Status: invoice.StatusPending, Page: 1, Limit: 2}),
			[]string{"inv_6", "inv_3"}, 3},
		{"live", invoice.ListParams{Mode: asset.Live, Page: 1, Limit: 100}, []string{"inv_l1", "inv_l0"}, 2},
	} {
		ids, total := listInvoices(t, s, c.p)
		if !slices.Equal(ids, c.ids) || total != c.total {
			t.Errorf("ListInvoices %s: %v (total %d), want %v (total %d)", c.name, ids, total, c.ids, c.total)
		}
	}
}

// record returns a transfer record as the watcher saves it; height 0 means in the
// mempool.
func record(n chains.NetworkRef, code, to, txid string, index uint32, amount *big.Int, status chains.Status, height uint64, seen time.Time) chains.Record {
	r := chains.Record{Network: n, Transfer: chains.Transfer{Asset: code, To: to, Amount: amount, TxID: txid, Index: index},
		Status: status, Required: 2, SeenAt: seen}
	if height > 0 {
		r.Block = chains.BlockRef{Height: height, Hash: fmt.Sprintf("%064x", height)}
	}
	if status == chains.StatusConfirming || status == chains.StatusConfirmed {
		r.Confirmations = 1
	}
	return r
}

func saveTransfers(t *testing.T, s storage.Store, rs ...chains.Record) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, r := range rs {
			if err := tx.SaveTransfer(ctx, r); err != nil {
				return fmt.Errorf("SaveTransfer %s: %w", r.Key(), err)
			}
		}
		return nil
	})
}

// testInvoicePayments checks Payments: the transfers to each method's address in the
// method's asset on its network, in the invoice's mode, with the method's index.
func testInvoicePayments(t *testing.T, s storage.Store) {
	const tronAddr = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
	inv := newInvoice("inv_A", asset.Test, t0, btcMethod("tb1qa0", 0), tronMethod(tronAddr, 0))
	insertInvoices(t, s, inv)
	paid := []chains.Record{
		record(btcTest, "BTC", "tb1qa0", "a1", 0, n(50_000), chains.StatusConfirmed, 100, t0),
		record(btcTest, "BTC", "tb1qa0", "a2", 1, n(98_607), chains.StatusMempool, 0, at(time.Minute)),
		record(tronTest, "USDT_TRON", tronAddr, "t1", 3, n(95_470_453), chains.StatusConfirming, 5000, at(2*time.Minute)),
	}
	saveTransfers(t, s, paid...)
	saveTransfers(t, s,
		record(tronTest, "TRX", tronAddr, "t2", 0, n(1_000_000), chains.StatusConfirmed, 5001, t0), // an asset no method asked for
		record(btcTest, "BTC", "tb1qb1", "b1", 0, n(10_000), chains.StatusConfirmed, 100, t0),      // another address
		record(btcLive, "BTC", "tb1qa0", "a1", 0, n(50_000), chains.StatusConfirmed, 100, t0),      // the other mode
		record(ethTest, "BTC", "tb1qa0", "e1", 0, n(50_000), chains.StatusConfirmed, 100, t0),      // another network
		record(btcTest, "BTC", "", "o1", chains.OutIndex, n(0), chains.StatusConfirmed, 100, t0),   // our own transaction
	)
	pays := get(t, s, func(ctx context.Context, tx storage.Tx) ([]invoice.Payment, error) { return tx.Payments(ctx, inv) })
	sort.Slice(pays, func(i, j int) bool { return pays[i].TxID < pays[j].TxID })
	want := []invoice.Payment{{Method: 0, Record: paid[0]}, {Method: 0, Record: paid[1]}, {Method: 1, Record: paid[2]}}
	sameJSON(t, "Payments", pays, want)
}

func updateInvoice(t *testing.T, s storage.Store, inv *invoice.Invoice, watching bool) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, inv, watching) })
}

// testDueInvoices checks DueInvoices at two times: pending and partially paid
// invoices past expiry, and invoices still watched past their monitoring window, of
// one mode, up to limit.
func testDueInvoices(t *testing.T, s storage.Store) {
	mk := func(id string, m asset.Mode, status invoice.Status, expires, monitor time.Duration) *invoice.Invoice {
		inv := newInvoice(id, m, at(-2*time.Hour))
		inv.Status, inv.ExpiresAt, inv.MonitorUntil = status, at(expires), at(monitor)
		return inv
	}
	invs := []*invoice.Invoice{
		mk("due_pending", asset.Test, invoice.StatusPending, time.Hour, 25*time.Hour),
		mk("due_partial", asset.Test, invoice.StatusPartiallyPaid, time.Hour, 25*time.Hour),
		mk("not_yet_expired", asset.Test, invoice.StatusPending, 3*time.Hour, 27*time.Hour),
		mk("confirming", asset.Test, invoice.StatusConfirming, time.Hour, 25*time.Hour),
		mk("due_watched_expired", asset.Test, invoice.StatusExpired, -time.Hour, 10*time.Minute),
		mk("unwatched_expired", asset.Test, invoice.StatusExpired, -time.Hour, 10*time.Minute),
		mk("due_watched_paid", asset.Test, invoice.StatusPaid, -time.Hour, 90*time.Minute),
		mk("unwatched_paid", asset.Test, invoice.StatusPaid, -time.Hour, 90*time.Minute),
		mk("live_pending", asset.Live, invoice.StatusPending, time.Hour, 25*time.Hour),
	}
	insertInvoices(t, s, invs...)
	for _, inv := range invs {
		switch inv.ID {
		case "due_watched_expired", "due_watched_paid", "confirming":
			updateInvoice(t, s, inv, true)
		case "unwatched_expired", "unwatched_paid":
			updateInvoice(t, s, inv, false)
		}
	}
	due := func(m asset.Mode, now time.Time, limit int) []string {
		ids := get(t, s, func(ctx context.Context, tx storage.Tx) ([]string, error) { return tx.DueInvoices(ctx, m, now, limit) })
		sort.Strings(ids)
		return ids
	}
	for _, c := range []struct {
		m    asset.Mode
		now  time.Time
		want []string
	}{
		{asset.Test, at(30 * time.Minute), []string{"due_watched_expired"}},
		{asset.Test, at(2 * time.Hour), []string{"due_partial", "due_pending", "due_watched_expired", "due_watched_paid"}},
		{asset.Live, at(2 * time.Hour), []string{"live_pending"}},
		{asset.Live, at(30 * time.Minute), nil},
	} {
		if got := due(c.m, c.now, 100); !slices.Equal(got, c.want) {
			t.Errorf("DueInvoices(%s, t0%+v) = %v, want %v", c.m, c.now.Sub(t0), got, c.want)
		}
	}
	all := due(asset.Test, at(2*time.Hour), 100)
	got := due(asset.Test, at(2*time.Hour), 2)
	if len(got) != 2 || !slices.Contains(all, got[0]) || !slices.Contains(all, got[1]) {
		t.Errorf("DueInvoices with limit 2 = %v, want 2 of %v", got, all)
	}
}

// testWatchAddresses checks WatchAddress (idempotent), UnwatchInvoice (only that
// invoice's addresses), and what the watcher reads: WatchedAddresses per network and
// mode, and WatchedSince, the creation of the oldest invoice still watched.
func testWatchAddresses(t *testing.T, s storage.Store) {
	const evmAddr = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	a := newInvoice("inv_A", asset.Test, t0)
	b := newInvoice("inv_B", asset.Test, at(time.Hour))
	l := newInvoice("inv_L", asset.Live, at(-time.Hour))
	insertInvoices(t, s, a, b, l)
	since := func(n chains.NetworkRef) (time.Time, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (time.Time, bool, error) { return tx.WatchedSince(ctx, n) })
	}
	if _, ok := since(btcTest); ok {
		t.Fatal("WatchedSince reports a watched address in an empty store")
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, w := range []struct {
			n       chains.NetworkRef
			addr    string
			invoice string
		}{
			{btcTest, "tb1qa0", "inv_A"}, {btcTest, "tb1qa1", "inv_A"}, {ethTest, evmAddr, "inv_A"}, {bscTest, evmAddr, "inv_A"},
			{btcTest, "tb1qb0", "inv_B"}, {btcLive, "bc1ql0", "inv_L"},
			{btcTest, "tb1qa0", "inv_A"}, // again: idempotent
		} {
			if err := tx.WatchAddress(ctx, w.n, w.addr, w.invoice); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.WatchAddress(ctx, btcTest, "tb1qa1", "inv_A")
	})
	watched := func(n chains.NetworkRef) []string {
		addrs := get(t, s, func(ctx context.Context, tx storage.Tx) ([]string, error) { return tx.WatchedAddresses(ctx, n) })
		sort.Strings(addrs)
		return addrs
	}
	for n, want := range map[chains.NetworkRef][]string{
		btcTest: {"tb1qa0", "tb1qa1", "tb1qb0"}, ethTest: {evmAddr}, bscTest: {evmAddr}, btcLive: {"bc1ql0"}, tronTest: nil,
	} {
		if got := watched(n); !slices.Equal(got, want) {
			t.Errorf("WatchedAddresses(%s) = %v, want %v", n, got, want)
		}
	}
	for n, want := range map[chains.NetworkRef]time.Time{btcTest: t0, ethTest: t0, btcLive: at(-time.Hour)} {
		if got, ok := since(n); !ok || !got.Equal(want) {
			t.Errorf("WatchedSince(%s) = %v, %v; want %v", n, got, ok, want)
		}
	}

	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UnwatchInvoice(ctx, "inv_A") })
	if got := watched(btcTest); !slices.Equal(got, []string{"tb1qb0"}) {
		t.Errorf("WatchedAddresses(bitcoin/test) after UnwatchInvoice(inv_A) = %v", got)
	}
	if got := watched(ethTest); len(got) != 0 {
		t.Errorf("WatchedAddresses(ethereum/test) after UnwatchInvoice(inv_A) = %v", got)
	}
	if got, ok := since(btcTest); !ok || !got.Equal(at(time.Hour)) {
		t.Errorf("WatchedSince(bitcoin/test) after UnwatchInvoice(inv_A) = %v, %v; want inv_B's creation", got, ok)
	}
	if _, ok := since(ethTest); ok {
		t.Error("WatchedSince(ethereum/test) reports a watched address after its invoice was unwatched")
	}
	// A customer wallet is watched for as long as it exists: an older one than every
	// watched invoice is where a first scan starts.
	insertWallets(t, s, wal("wal_old", asset.Test, "user-1", "ETH", "ethereum", evmAddr, 5, at(-2*time.Hour)))
	if got, ok := since(ethTest); !ok || !got.Equal(at(-2*time.Hour)) {
		t.Errorf("WatchedSince(ethereum/test) with a wallet made 2 h before = %v, %v", got, ok)
	}
	if got, ok := since(btcTest); !ok || !got.Equal(at(time.Hour)) {
		t.Errorf("WatchedSince(bitcoin/test) with an ethereum wallet = %v, %v; want inv_B's creation", got, ok)
	}
	if got := watched(btcLive); len(got) != 1 {
		t.Errorf("UnwatchInvoice touched another invoice's addresses: %v", got)
	}
}

// testListTransfers checks ListTransfers: one mode, newest first, each
// filter, paging and the total. Our own transactions' records (Out) are not
// transfers to list: the doc is silent, storage/sqlite leaves them out, and the
// transactions API lists deposits.
func testListTransfers(t *testing.T, s storage.Store) {
	rs := []chains.Record{
		record(btcTest, "BTC", "tb1qa0", "tx0", 0, n(50_000), chains.StatusConfirmed, 100, t0),
		record(btcTest, "BTC", "tb1qa1", "tx1", 1, n(60_000), chains.StatusConfirming, 101, at(time.Minute)),
		record(tronTest, "USDT_TRON", "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", "tx2", 2, n(1_500_000), chains.StatusConfirmed, 5000, at(2*time.Minute)),
		record(btcTest, "BTC", "tb1qa2", "tx3", 0, n(70_000), chains.StatusMempool, 0, at(3*time.Minute)),
		record(bscTest, "USDT_BSC", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "tx4", 7, big30(), chains.StatusOrphaned, 0, at(4*time.Minute)),
	}
	out := record(btcTest, "BTC", "", "txout", chains.OutIndex, n(0), chains.StatusConfirmed, 102, at(6*time.Minute))
	out.Out = true
	saveTransfers(t, s, rs...)
	saveTransfers(t, s, record(btcLive, "BTC", "bc1ql0", "txl", 0, n(1), chains.StatusConfirmed, 100, at(5*time.Minute)), out)
	list := func(m asset.Mode, f invoice.TransferFilter, page, limit int) ([]chains.Record, int) {
		var recs []chains.Record
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			recs, total, err = tx.ListTransfers(ctx, m, f, page, limit)
			return err
		})
		return recs, total
	}
	got, total := list(asset.Test, invoice.TransferFilter{}, 1, 100)
	want := []chains.Record{rs[4], rs[3], rs[2], rs[1], rs[0]}
	sameJSON(t, "ListTransfers(test)", got, want)
	if total != 5 {
		t.Errorf("ListTransfers(test) total %d, want 5", total)
	}
	txids := func(rs []chains.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.TxID)
		}
		return out
	}
	for _, c := range []struct {
		name        string
		m           asset.Mode
		f           invoice.TransferFilter
		page, limit int
		want        []string
		total       int
	}{
		{"page 2", asset.Test, invoice.TransferFilter{}, 2, 2, []string{"tx2", "tx1"}, 5},
		{"page 3", asset.Test, invoice.TransferFilter{}, 3, 2, []string{"tx0"}, 5},
		{"asset", asset.Test, invoice.TransferFilter{Asset: "BTC"}, 1, 100, []string{"tx3", "tx1", "tx0"}, 3},
		{"network", asset.Test, invoice.TransferFilter{Network: asset.Tron}, 1, 100, []string{"tx2"}, 1},
		{"status", asset.Test, invoice.TransferFilter{Status: chains.StatusConfirmed}, 1, 100, []string{"tx2", "tx0"}, 2},
		{"txid", asset.Test, invoice.TransferFilter{TxID: "tx1"}, 1, 100, []string{"tx1"}, 1},
		{"asset and status", asset.Test, invoice.TransferFilter{Asset: "BTC", Status: chains.StatusConfirmed}, 1, 100, []string{"tx0"}, 1},
		{"live", asset.Live, invoice.TransferFilter{}, 1, 100, []string{"txl"}, 1},
	} {
		got, total := list(c.m, c.f, c.page, c.limit)
		if ids := txids(got); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("ListTransfers %s: %v (total %d), want %v (total %d)", c.name, ids, total, c.want, c.total)
		}
	}
}

func booking(t *testing.T, s storage.Store, n chains.NetworkRef, txid string, index uint32) (invoice.Booking, int) {
	t.Helper()
	var b invoice.Booking
	var seq int
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		b, seq, err = tx.Booking(ctx, n, txid, index)
		return err
	})
	return b, seq
}

// testBooking checks Booking and SetBooking: a transfer starts booked nowhere, keeps
// its booking when the watcher saves it again (a backend that reset it would credit
// the money twice), per network and mode.
func testBooking(t *testing.T, s storage.Store) {
	if b, seq := booking(t, s, btcTest, "a1", 0); b != invoice.BookedNone || seq != 0 {
		t.Errorf("Booking of an unknown transfer: %q, %d; want none, 0", b, seq)
	}
	r := record(btcTest, "BTC", "tb1qa0", "a1", 0, n(50_000), chains.StatusConfirming, 100, t0)
	rl := r
	rl.Network = btcLive
	saveTransfers(t, s, r, rl)
	if b, seq := booking(t, s, btcTest, "a1", 0); b != invoice.BookedNone || seq != 0 {
		t.Errorf("Booking of a new transfer: %q, %d; want none, 0", b, seq)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.SetBooking(ctx, btcTest, "a1", 0, invoice.BookedPending, 1)
	})
	r.Status, r.Confirmations = chains.StatusConfirmed, 2
	saveTransfers(t, s, r)
	if b, seq := booking(t, s, btcTest, "a1", 0); b != invoice.BookedPending || seq != 1 {
		t.Errorf("Booking after SaveTransfer updated the record: %q, %d; want pending, 1", b, seq)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.SetBooking(ctx, btcTest, "a1", 0, invoice.BookedAvailable, 2)
	})
	if b, seq := booking(t, s, btcTest, "a1", 0); b != invoice.BookedAvailable || seq != 2 {
		t.Errorf("Booking: %q, %d; want available, 2", b, seq)
	}
	if b, seq := booking(t, s, btcLive, "a1", 0); b != invoice.BookedNone || seq != 0 {
		t.Errorf("Booking of the live transfer with the same txid: %q, %d; want none, 0", b, seq)
	}
}

// testOwnTx checks OwnTx: the transactions our UTXO and account wallets signed are
// ours, on their own network and mode only.
func testOwnTx(t *testing.T, s storage.Store) {
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertSend(ctx, utxoSend(btcTest, "po_1", "btc-own", chains.SendBroadcast, t0)); err != nil {
			return err
		}
		return tx.InsertAccountSend(ctx, accountSend(ethTest, "po_2", 0, 5, "0xevm-own", chains.SendSigned, t0))
	})
	for _, c := range []struct {
		n    chains.NetworkRef
		txid string
		want bool
	}{
		{btcTest, "btc-own", true}, {ethTest, "0xevm-own", true},
		{btcLive, "btc-own", false}, {bscTest, "0xevm-own", false}, {btcTest, "0xevm-own", false}, {btcTest, "someone-else", false},
	} {
		got := get(t, s, func(ctx context.Context, tx storage.Tx) (bool, error) { return tx.OwnTx(ctx, c.n, c.txid) })
		if got != c.want {
			t.Errorf("OwnTx(%s, %s) = %v, want %v", c.n, c.txid, got, c.want)
		}
	}
}
