package sqlite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/storagetest"
)

// BenchmarkLedgerEntry measures one balanced two-posting ledger entry per transaction
// on a SQLite file (WAL, synchronous=FULL), against the bare cost of one single-row
// INSERT per transaction on the same database in the same run.
func BenchmarkLedgerEntry(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"),
			Options{Synchronous: sync, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.w.Exec(`CREATE TABLE bare (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		b.Run("sync="+sync+"/baseline=bare-insert", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				tx, err := s.w.BeginTx(ctx, nil)
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
		b.Run("sync="+sync+"/ledger-entry", func(b *testing.B) {
			amt := big.NewInt(1000)
			run := time.Now().UnixNano() // keys stay unique across -count repetitions
			for i := 0; b.Loop(); i++ {
				err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
					_, err := ledger.Post(ctx, tx, ledger.Entry{Key: fmt.Sprintf("%s-%d-credit-%d", sync, run, i), Postings: []ledger.Posting{
						{Account: ledger.World(asset.Test, "BTC"), Amount: new(big.Int).Neg(amt)},
						{Account: ledger.MerchantAvailable(asset.Test, "BTC"), Amount: amt},
					}})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sync="+sync+"/ledger-entry-32-writers", func(b *testing.B) {
			// Wall time per entry with 32 concurrent writers: they share commits.
			amt := big.NewInt(1000)
			run := time.Now().UnixNano()
			var n atomic.Int64
			commits := s.commits.Load()
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
						_, err := ledger.Post(ctx, tx, ledger.Entry{Key: fmt.Sprintf("%s-%d-par-%d", sync, run, i), Postings: []ledger.Posting{
							{Account: ledger.World(asset.Test, "BTC"), Amount: new(big.Int).Neg(amt)},
							{Account: ledger.MerchantAvailable(asset.Test, "BTC"), Amount: amt},
						}})
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/float64(max(1, s.commits.Load()-commits)), "entries/commit")
		})
		s.Close()
	}
}

// BenchmarkDueInvoices: an expiry tick's read with 1,000 to 100,000 pending invoices
// on a SQLite file (see storagetest.BenchDueInvoices).
func BenchmarkDueInvoices(b *testing.B) {
	storagetest.BenchDueInvoices(b, func(b *testing.B) storage.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// BenchmarkPassReads: what the payout and webhook passes read per tick beside 1,000 to
// 100,000 rows that are not due (see storagetest.BenchPassReads).
func BenchmarkPassReads(b *testing.B) {
	storagetest.BenchPassReads(b, func(b *testing.B) storage.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
