package wallet_test

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/wallet"
)

// BenchmarkApplyDeposits measures what the watcher's sink spends on each deposit to a
// customer wallet (finding the wallet by address, booking it on the wallet's ledger
// accounts, its event), on a SQLite file holding 1,000 and 100,000 wallets: one
// transaction per block of 100 confirmed deposits to random wallets, as the watcher
// commits a block. Finding the wallet is an index lookup, so the two must cost about
// the same.
func BenchmarkApplyDeposits(b *testing.B) {
	const perBlock = 100
	n := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	for _, count := range []int{1_000, 100_000} {
		e := kassatest.New(b, kassatest.WithDatabase(filepath.Join(b.TempDir(), "kassa.db")))
		ctx := context.Background()
		addr := func(i int) string { return fmt.Sprintf("bcrt1qwallet%040d", i) }
		for from := 0; from < count; from += 10_000 {
			err := e.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
				for i := from; i < min(from+10_000, count); i++ {
					w := wallet.Wallet{ID: fmt.Sprintf("wal_bench%011d", i), Mode: asset.Test, CustomerID: fmt.Sprintf("user-%d", i),
						Asset: "BTC", Currency: "BTC", Network: "bitcoin", Address: addr(i), Index: uint32(1_000_000 + i), CreatedAt: time.Now()}
					if err := tx.InsertWallet(ctx, w); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		svc := e.Gateway.Wallets()
		block := 0
		b.Run(fmt.Sprintf("wallets=%d", count), func(b *testing.B) {
			for b.Loop() {
				block++
				recs := make([]chains.Record, perBlock)
				for i := range recs {
					recs[i] = chains.Record{Network: n, Transfer: chains.Transfer{Asset: "BTC", To: addr((block*7919 + i*104729) % count),
						Amount: big.NewInt(int64(10_000 + i)), TxID: fmt.Sprintf("%056x%08x", block, i), Block: chains.BlockRef{Height: uint64(block), Hash: "h"}},
						Status: chains.StatusConfirmed, Confirmations: 1, Required: 1, SeenAt: time.Now()}
				}
				err := e.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
					for _, r := range recs {
						if err := tx.SaveTransfer(ctx, r); err != nil {
							return err
						}
					}
					rest, err := svc.Apply(ctx, tx, n, recs)
					if err == nil && len(rest) != 0 {
						err = fmt.Errorf("%d deposits were not a wallet's", len(rest))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perBlock, "ns/deposit")
		})
	}
}
