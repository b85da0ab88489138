// Command quickstart is Kassa's main demo. For now it shows the foundation: it opens a
// SQLite file, derives deposit addresses from a demo mnemonic, books a deposit in the
// double-entry ledger (and shows that booking it twice is refused), reads the balance
// and verifies the ledger. Later issues grow it into the demo shop.
//
//	go run ./examples/quickstart [-db kassa-quickstart.db]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"os"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

// demoMnemonic is the BIP39 test mnemonic. Never receive real money on it.
const demoMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func main() {
	db := flag.String("db", "kassa-quickstart.db", "SQLite database file")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(context.Background(), *db, log); err != nil {
		log.Error("quickstart failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbPath string, log *slog.Logger) error {
	g, err := kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: dbPath, Logger: log})
	if err != nil {
		return err
	}
	defer g.Close()

	fmt.Println("Deposit addresses (test mode, each index used once, never reused):")
	var usdt string
	for _, code := range []string{"BTC", "ETH", "USDT_BSC", "USDT_TRON"} {
		a, err := g.NewDepositAddress(ctx, asset.Test, code)
		if err != nil {
			return err
		}
		fmt.Printf("  %-10s %-44s %s\n", code, a.Encoded, a.Path())
		if code == "USDT_BSC" {
			usdt = a.Encoded
		}
	}

	// Book a 25.50 USDT deposit on BSC (18 decimals) as the chain watcher will: from the
	// outside world to the merchant, keyed by (network, txid, log index).
	code := "USDT_BSC"
	a, _ := g.Assets().Get(code)
	units, err := a.ToBaseUnits(mustAmount("25.50"))
	if err != nil {
		return err
	}
	key := "credit:bsc:demo-" + usdt + ":0"
	credit := func() error {
		return g.Store().Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			if err := ledger.EnsureStandardAccounts(ctx, tx, asset.Test, code); err != nil {
				return err
			}
			_, err := ledger.Post(ctx, tx, ledger.Entry{Key: key, Description: "demo deposit", Postings: []ledger.Posting{
				{Account: ledger.World(asset.Test, code), Amount: new(big.Int).Neg(units)},
				{Account: ledger.MerchantAvailable(asset.Test, code), Amount: units},
			}})
			return err
		})
	}
	if err := credit(); err != nil {
		return err
	}
	fmt.Printf("\nBooked 25.50 %s (%s base units) to merchant:test:%s:available\n", code, units, code)
	if err := credit(); errors.Is(err, ledger.ErrDuplicate) {
		fmt.Println("Booking the same deposit again is refused: ", err)
	} else {
		return fmt.Errorf("a duplicate credit was not refused: %v", err)
	}

	b, err := g.Balance(ctx, asset.Test, code)
	if err != nil {
		return err
	}
	fmt.Printf("\nBalance %s: available %s, pending %s\n", code, b.Available, b.Pending)
	err = g.Store().View(ctx, func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) })
	if err != nil {
		return err
	}
	fmt.Println("ledger.Verify: every entry balances and every balance equals its postings")
	fmt.Printf("Database: %s (run again: new addresses, balances accumulate)\n", dbPath)
	return nil
}

func mustAmount(s string) decimal.Decimal {
	v, err := asset.ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return v
}
