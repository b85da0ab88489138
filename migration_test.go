package kassa_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
)

// fixtureFacts is what a database made by an earlier Kassa held, written beside it
// when it was made: the migration test holds the migrated database to it.
type fixtureFacts struct {
	Schema    int               `json:"schema"`
	Invoices  map[string]string `json:"invoices"` // id -> status/amount paid
	Payouts   map[string]string `json:"payouts"`  // id -> status/net amount
	Refunds   map[string]string `json:"refunds"`  // id -> status/amount
	Customers []string          `json:"customers"`
	Wallets   map[string]string `json:"wallets"` // id -> address
	Endpoints []string          `json:"endpoints"`
	Events    int               `json:"events"`
	Accounts  map[string]string `json:"accounts"` // name -> balance
	KeyID     string            `json:"key_id"`
	KeySecret string            `json:"key_secret"` // a test-mode key of the fixture
}

// readFacts reads what the database of st holds, in the fixture's terms.
func readFacts(t *testing.T, e *kassatest.Env) fixtureFacts {
	t.Helper()
	ctx := context.Background()
	g := e.Gateway
	f := fixtureFacts{Invoices: map[string]string{}, Payouts: map[string]string{}, Refunds: map[string]string{},
		Wallets: map[string]string{}, Accounts: map[string]string{}}
	invs, _, err := g.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		f.Invoices[inv.ID] = string(inv.Status) + "/" + inv.AmountPaid.String()
	}
	pos, _, err := g.Payouts().List(ctx, asset.Test, "", nil, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pos {
		f.Payouts[p.ID] = string(p.Status) + "/" + p.NetAmount.String()
	}
	rs, _, err := g.Refunds().List(ctx, refund.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		f.Refunds[r.ID] = string(r.Status) + "/" + r.Amount.String()
	}
	cs, _, err := g.Customers().List(ctx, customer.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		f.Customers = append(f.Customers, c.ID)
	}
	ws, _, err := g.Wallets().List(ctx, wallet.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		f.Wallets[w.ID] = w.Address + "/" + w.Balance.String()
	}
	eps, err := g.Webhooks().List(ctx, asset.Test)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps {
		f.Endpoints = append(f.Endpoints, ep.ID)
	}
	_, f.Events, err = g.Events(ctx, asset.Test, "", nil, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		accts, err := tx.Accounts(ctx)
		for _, a := range accts {
			f.Accounts[a.Name] = a.Balance.String()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(f.Customers)
	slices.Sort(f.Endpoints)
	return f
}

// TestMakeSchemaFixture writes testdata/migration/schema23.db and its facts: a
// database made by Kassa at SQLite schema 23 (before sub-merchants) with one of
// everything: invoices paid and pending, a checkout session, a payment, a payout, a
// refund, a customer, a wallet with a deposit, a webhook endpoint, an API key and
// their events. It runs only with KASSA_MAKE_FIXTURE=1, on the code of that schema.
// testdata/migration/postgres7.sql was made the same way on PostgreSQL (schema 7, at
// commit 760d7c2: kassatest.WithStore on a new database, then pg_dump --inserts
// --no-owner --no-privileges, the dump's \restrict lines left out) with its facts in
// postgres7.json.
func TestMakeSchemaFixture(t *testing.T) {
	if os.Getenv("KASSA_MAKE_FIXTURE") == "" {
		t.Skip("KASSA_MAKE_FIXTURE=1 writes testdata/migration/schema23.db (on the code of schema 23)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kassa.db")
	var facts fixtureFacts
	t.Cleanup(func() { // after kassatest closed the Gateway and its database
		if err := os.MkdirAll("testdata/migration", 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, path, "testdata/migration/schema23.db")
		b, _ := json.MarshalIndent(facts, "", "  ")
		if err := os.WriteFile("testdata/migration/schema23.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	e := kassatest.New(t, kassatest.WithDatabase(path))
	ctx := context.Background()
	g := e.Gateway
	cus, err := g.Customers().Create(ctx, asset.Test, customer.CreateParams{ExternalID: "crm-1", Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	paid := e.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", OrderID: "fx-1", CustomerID: cus.ID})
	e.PayInFull(paid, "BTC")
	e.Confirm(paid, "BTC")
	e.Create(invoice.CreateParams{Amount: kassatest.Dec("25"), Currency: "USD", OrderID: "fx-2"})
	e.Create(invoice.CreateParams{Kind: invoice.KindCheckoutSession, Amount: kassatest.Dec("10"), Currency: "USD", Description: "Tee"})
	e.Create(invoice.CreateParams{Kind: invoice.KindPayment, Amount: kassatest.Dec("5"), Currency: "EUR"})
	e.Fund("BTC", "0.05")
	po := e.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.002"), Currency: "BTC", Destination: e.Recipient(asset.Bitcoin, 1)})
	if _, err := g.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: paid.ID, Amount: kassatest.Dec("0.001"),
		Destination: e.Recipient(asset.Bitcoin, 2)}); err != nil {
		t.Fatal(err)
	}
	w, _, err := g.Wallets().Create(ctx, asset.Test, wallet.CreateParams{CustomerID: cus.ID, Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	e.Chain(asset.Bitcoin).Pay(w.Address, "BTC", e.Units("BTC", "0.005"))
	e.Mine(asset.Bitcoin, 1)
	if p := e.Payout(po.ID); p.Status != payout.StatusCompleted {
		t.Fatalf("payout %s", p.Status)
	}
	if _, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: "http://127.0.0.1:9/hooks", Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	k, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test, Label: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	e.Sync()
	facts = readFacts(t, e)
	facts.Schema, facts.KeyID, facts.KeySecret = 23, k.ID, k.Secret
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigration_ADatabaseOfSchema23KeepsEverything opens a copy of a database made by
// Kassa at SQLite schema 23 (testdata/migration, made by TestMakeSchemaFixture before
// sub-merchants) with today's code: every migration runs, and every invoice, payout,
// refund, customer, wallet, endpoint, event and ledger balance is as it was, its key
// still authenticates, the ledger balances, and the Gateway goes on (a pending invoice
// of the fixture is paid and credited).
func TestMigration_ADatabaseOfSchema23KeepsEverything(t *testing.T) {
	want := fixture(t, "testdata/migration/schema23.json")
	path := filepath.Join(t.TempDir(), "kassa.db")
	copyFile(t, "testdata/migration/schema23.db", path)
	checkMigrated(t, kassatest.New(t, kassatest.WithDatabase(path)), want)
}

// TestMigration_APostgresDatabaseOfSchema7KeepsEverything is the same on PostgreSQL:
// testdata/migration/postgres7.sql is pg_dump's copy (--inserts) of a database made by
// Kassa at PostgreSQL schema 7 (before sub-merchants) with the fixture's objects,
// loaded into a new database and opened by today's code.
func TestMigration_APostgresDatabaseOfSchema7KeepsEverything(t *testing.T) {
	want := fixture(t, "testdata/migration/postgres7.json")
	url := pgtest.URL(t)
	dump, err := os.ReadFile("testdata/migration/postgres7.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.PgConn().Exec(ctx, string(dump)).ReadAll(); err != nil {
		t.Fatalf("loading the dump: %v", err)
	}
	conn.Close(ctx)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	checkMigrated(t, kassatest.New(t, kassatest.WithStore(func(ctx context.Context) (storage.Store, error) {
		return postgres.Open(ctx, url, postgres.Options{MaxConns: 8, Logger: quiet})
	})), want)
}

// fixture reads the facts written beside a fixture.
func fixture(t *testing.T, path string) fixtureFacts {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want fixtureFacts
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// checkMigrated holds a migrated fixture database, opened by e, to the facts written
// when it was made.
func checkMigrated(t *testing.T, e *kassatest.Env, want fixtureFacts) {
	t.Helper()
	got := readFacts(t, e)
	got.Schema, got.KeyID, got.KeySecret = want.Schema, want.KeyID, want.KeySecret
	wj, _ := json.MarshalIndent(want, "", " ")
	gj, _ := json.MarshalIndent(got, "", " ")
	if string(wj) != string(gj) {
		t.Fatalf("after the migrations:\n%s\nthe fixture held:\n%s", gj, wj)
	}
	ctx := context.Background()
	k, err := e.Gateway.Keys().Authenticate(ctx, want.KeySecret)
	if err != nil || k.ID != want.KeyID || k.SubMerchantID != "" {
		t.Fatalf("the fixture's key: %+v %v", k, err)
	}
	// Everything made before sub-merchants is in the operator's own scope: a list of
	// that scope holds all of it.
	own := ""
	invs, n, err := e.Gateway.Invoices().List(ctx, invoice.ListParams{Mode: asset.Test, SubMerchantID: &own, Page: 1, Limit: 100})
	if err != nil || n != len(want.Invoices) {
		t.Fatalf("the operator's invoices after the migration: %d of %d, %v", n, len(want.Invoices), err)
	}
	for _, inv := range invs {
		if inv.SubMerchantID != "" {
			t.Errorf("invoice %s migrated into scope %q", inv.ID, inv.SubMerchantID)
		}
	}
	if _, n, err := e.Gateway.Payouts().List(ctx, asset.Test, "", &own, 1, 100); err != nil || n != len(want.Payouts) {
		t.Errorf("the operator's payouts: %d of %d, %v", n, len(want.Payouts), err)
	}
	if _, n, err := e.Gateway.Refunds().List(ctx, refund.ListParams{Mode: asset.Test, SubMerchantID: &own, Page: 1, Limit: 100}); err != nil || n != len(want.Refunds) {
		t.Errorf("the operator's refunds: %d of %d, %v", n, len(want.Refunds), err)
	}
	if _, n, err := e.Gateway.Wallets().List(ctx, wallet.ListParams{Mode: asset.Test, SubMerchantID: &own, Page: 1, Limit: 100}); err != nil || n != len(want.Wallets) {
		t.Errorf("the operator's wallets: %d of %d, %v", n, len(want.Wallets), err)
	}
	if _, n, err := e.Gateway.Events(ctx, asset.Test, "", &own, 1, 1); err != nil || n != want.Events {
		t.Errorf("the operator's events: %d of %d, %v", n, want.Events, err)
	}
	eps, err := e.Gateway.Webhooks().List(ctx, asset.Test)
	for _, ep := range eps {
		if ep.SubMerchantID != "" {
			t.Errorf("endpoint %s migrated into scope %q", ep.ID, ep.SubMerchantID)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.View(ctx, func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	var pending *invoice.Invoice
	for id, st := range want.Invoices {
		if st == "pending/0" && id[:4] == "inv_" {
			pending = e.Invoice(id)
		}
	}
	before, due := e.Balance("BTC").Available, e.Method(pending, "BTC").AmountDue
	e.PayInFull(pending, "BTC")
	e.Confirm(pending, "BTC")
	e.WantStatus(pending.ID, invoice.StatusPaid, "")
	if after := e.Balance("BTC").Available; !after.Equal(before.Add(due)) {
		t.Fatalf("available %s after paying %s on top of %s", after, due, before)
	}
}
