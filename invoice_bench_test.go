package kassa_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"
)

// BenchmarkCreateInvoice measures invoices created through the Go API on a SQLite file
// (WAL, synchronous=FULL), against one bare single-row INSERT per transaction on the
// same database file in the same run, and against that plus one address derivation
// (the floor of a one-method invoice). The -32-creators cases create from 32
// goroutines at once (their ns/op is wall time per invoice: 1e9/ns is invoices/s).
func BenchmarkCreateInvoice(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	env := kassatest.New(b, kassatest.WithDatabase(path))
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE bare (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=bare-insert", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO bare (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), "1000"); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	ring, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=derive+bare-insert", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a, err := ring.Address(asset.FamilyTron, asset.Test, keys.Receive, uint32(i))
			if err != nil {
				b.Fatal(err)
			}
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO bare (k, v) VALUES (?, ?)`, a.Encoded, "1000"); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		p    invoice.CreateParams
	}{
		{"crypto-1-method", invoice.CreateParams{Amount: dec("25"), Currency: "USDT_TRON"}},
		{"fiat-all-methods", invoice.CreateParams{Amount: dec("25"), Currency: "USD"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			run := time.Now().UnixNano() // order ids stay new across -count repetitions
			for i := 0; b.Loop(); i++ {
				p := c.p
				p.OrderID = fmt.Sprintf("%s-%d-%d", c.name, run, i)
				if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-32-creators", func(b *testing.B) {
			run := time.Now().UnixNano()
			var n atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p := c.p
					p.OrderID = fmt.Sprintf("%s-%d-%d", c.name, run, n.Add(1))
					if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, p); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkHeapPerWatchedInvoice reports the live heap each pending invoice keeps in a
// running Gateway (its addresses in the watchers' in-memory sets, with their keys)
// after b.N invoices of the default methods on a SQLite file.
func BenchmarkHeapPerWatchedInvoice(b *testing.B) {
	env := kassatest.New(b, kassatest.WithDatabase(filepath.Join(b.TempDir(), "bench.db")))
	ctx := context.Background()
	// One invoice first: what the first one builds once per process (secp256k1's
	// precomputed table for base-point multiplication, about 1 MB; JSON encoders) is
	// not a cost per invoice.
	if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.NewFromInt(10),
		Currency: "USD", Lifetime: time.Hour}); err != nil {
		b.Fatal(err)
	}
	before := liveHeap()
	for i := 0; b.Loop(); i++ {
		if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.NewFromInt(int64(10 + i%7)),
			Currency: "USD", Lifetime: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/invoice")
	runtime.KeepAlive(env)
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCreateInvoiceWithRequestKey measures a create as the HTTP API makes it,
// with a request key (the Idempotency-Key's digest, looked up before the insert), on
// a database that holds 1,000 and then 5,000 such invoices: the lookup uses its index,
// so the cost does not grow with the invoices there are (a scan of them did).
func BenchmarkCreateInvoiceWithRequestKey(b *testing.B) {
	env := kassatest.New(b)
	ctx := context.Background()
	made := 0
	fill := func(n int) {
		for ; made < n; made++ {
			p := invoice.CreateParams{Amount: dec("25"), Currency: "USDT_TRON", RequestKey: fmt.Sprint("fill-", made)}
			if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range []int{1000, 5000} {
		fill(n)
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			run := time.Now().UnixNano()
			for i := 0; b.Loop(); i++ {
				p := invoice.CreateParams{Amount: dec("25"), Currency: "USDT_TRON", RequestKey: fmt.Sprintf("bench-%d-%d-%d", n, run, i)}
				if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
