package kassa_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
)

// BenchmarkCreatePayout measures a payout created, held and broadcast on a sim chain
// (so the figure is Kassa's own work: validation, the own-address check, the hold, the
// payout row, its events, and the broadcast's second transaction) on a SQLite file,
// against one bare single-row INSERT per transaction on the same file in the same run.
func BenchmarkCreatePayout(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	env := kassatest.New(b, kassatest.WithDatabase(path))
	ctx := context.Background()
	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoiceParams("100", "BTC"))
	if err != nil {
		b.Fatal(err)
	}
	env.Pay(inv, "BTC", "100")
	btc, _ := env.Assets.Get("BTC")
	env.Mine(asset.Bitcoin, btc.Confirmations+12) // large amounts may ask for more confirmations
	if bal, _ := env.Gateway.Balance(ctx, asset.Test, "BTC"); !bal.Available.Equal(dec("100")) {
		b.Fatalf("funding: %+v, invoice %s", bal, env.Invoice(inv.ID).Status)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE bare_po (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=bare-insert", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := db.Exec(`INSERT INTO bare_po (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), "1000"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("single", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: dec("0.001"), Currency: "BTC",
				Destination: fmt.Sprint("bench-", i)})
			if err != nil || p.Status != payout.StatusBroadcast {
				b.Fatalf("%v %v", p, err)
			}
		}
	})
}

func invoiceParams(amount, currency string) invoice.CreateParams {
	return invoice.CreateParams{Amount: dec(amount), Currency: currency}
}
