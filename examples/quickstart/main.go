// Command quickstart is Kassa's main demo. It runs a Gateway on a SQLite file with
// simulated bitcoin and tron chains in test mode, creates a 25 USD invoice, pays it in
// USDT on tron, mines the blocks it needs, and prints each status change, every event
// and the merchant's balance, then verifies the ledger. Later issues grow it into the
// demo shop with a checkout page.
//
//	go run ./examples/quickstart [-db path/to/kassa.db]
//
// The simulated chains live in memory, so each run uses a new database (in a temporary
// directory unless -db names one): a database that remembers blocks of a chain that no
// longer exists would rightly treat its payments as reorganised away.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

// demoMnemonic is the BIP39 test mnemonic. Never receive real money on it.
const demoMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func main() {
	db := flag.String("db", "", "SQLite database file (default: a new one in a temporary directory)")
	flag.Parse()
	if *db == "" {
		dir, err := os.MkdirTemp("", "kassa-quickstart-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "quickstart failed:", err)
			os.Exit(1)
		}
		*db = filepath.Join(dir, "kassa.db")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(context.Background(), *db, log); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbPath string, log *slog.Logger) error {
	tron := sim.New(chains.NetworkRef{ID: asset.Tron, Mode: asset.Test})
	bitcoin := sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})
	prices, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{
		rates.Fixed{"BTC": decimal.NewFromInt(65000), "TRX": decimal.RequireFromString("0.125")},
	}})
	if err != nil {
		return err
	}
	g, err := kassa.New(kassa.Config{
		Mnemonic: demoMnemonic, DatabasePath: dbPath, Logger: log,
		Chains: []chains.Backend{tron, bitcoin}, Rates: prices,
	})
	if err != nil {
		return err
	}
	defer g.Close()
	if err := g.Sync(ctx); err != nil { // the watchers take the chains' tips as their start
		return err
	}
	inv, err := g.CreateInvoice(ctx, asset.Test, invoice.CreateParams{
		Amount: decimal.NewFromInt(25), Currency: "USD", Description: "Kassa T-shirt",
		Metadata: []byte(`{"sku":"tee-01"}`),
	})
	if err != nil {
		return err
	}
	// Events arrive through the outbox; a named subscriber resumes where it stopped.
	err = g.Subscribe("quickstart", func(_ context.Context, e kassa.Event) error {
		if e.ObjectID == inv.ID {
			fmt.Printf("  event %-26s %s\n", e.Type, e.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("Invoice %s: %s %s, expires %s\n", inv.ID, inv.Amount, inv.Currency, inv.ExpiresAt.Format("15:04:05 MST"))
	var usdt invoice.Method
	for _, m := range inv.Methods {
		fmt.Printf("  pay %-14s %-12s to %s\n", m.AmountDue, m.Asset, m.Address)
		if m.Asset == "USDT_TRON" {
			usdt = m
		}
	}

	status := inv.Status
	show := func(what string) error {
		if err := g.Sync(ctx); err != nil {
			return err
		}
		cur, err := g.GetInvoice(ctx, asset.Test, inv.ID)
		if err != nil {
			return err
		}
		if cur.Status != status {
			fmt.Printf("%-30s status %s -> %s (paid %s USD, confirmed %s USD)\n", what, status, cur.Status, cur.AmountPaid, cur.AmountConfirmed)
			status = cur.Status
		}
		return nil
	}
	fmt.Println()
	if err := show("created"); err != nil {
		return err
	}
	a, _ := g.Assets().Get("USDT_TRON")
	units, _ := a.ToBaseUnits(usdt.AmountDue)
	txid := tron.Pay(usdt.Address, "USDT_TRON", units)
	if err := show("payer sends 25 USDT (mempool)"); err != nil {
		return err
	}
	for i := 1; i <= usdt.Confirmations; i++ {
		tron.Mine(1)
		if err := show(fmt.Sprintf("block %d of %d mined", i, usdt.Confirmations)); err != nil {
			return err
		}
	}
	fmt.Printf("\ntransaction %s\n", txid[:16])
	b, err := g.Balance(ctx, asset.Test, "USDT_TRON")
	if err != nil {
		return err
	}
	fmt.Printf("Merchant balance USDT_TRON: available %s, pending %s\n", b.Available, b.Pending)
	err = g.Store().View(ctx, func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) })
	if err != nil {
		return err
	}
	fmt.Println("ledger.Verify: every entry balances and every balance equals its postings")
	fmt.Printf("Database: %s\n", dbPath)
	return nil
}
