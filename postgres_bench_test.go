package kassa_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/webhook"
)

// BenchmarkPostgres measures the hot paths on a PostgreSQL database (the server of
// KASSA_TEST_DATABASE_URL), each against one bare single-row INSERT per transaction
// on the same database in the same run: invoices created through the Go API, a
// balanced ledger entry, signed webhook deliveries to a local receiver (fan-out,
// claim with SKIP LOCKED, sign, POST, attempt log; 8 workers), and creates from 16 concurrent clients spread over 1, 2 and
// 3 Gateways sharing the database (with the bare INSERT from 16 clients as their
// baseline), reporting invoices/s and the p50 and p99 latency.
func BenchmarkPostgres(b *testing.B) {
	url := pgtest.URL(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(ctx context.Context) (storage.Store, error) {
		return postgres.Open(ctx, url, postgres.Options{MaxConns: 16, Logger: quiet})
	}
	env := kassatest.New(b, kassatest.WithStore(open), kassatest.WithWebhookOptions(webhook.Options{Workers: 8}))
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE bare (id BIGSERIAL PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var bareN atomic.Int64
	bare := func() error {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO bare (k, v) VALUES ($1, $2)`, fmt.Sprint("k", bareN.Add(1)), "1000"); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	b.Run("baseline=bare-insert", func(b *testing.B) {
		for b.Loop() {
			if err := bare(); err != nil {
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
		b.Run("invoice/"+c.name, func(b *testing.B) {
			run := time.Now().UnixNano() // order ids stay new across -count repetitions
			for i := 0; b.Loop(); i++ {
				p := c.p
				p.OrderID = fmt.Sprintf("%s-%d-%d", c.name, run, i)
				if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if err := env.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("ledger-entry", func(b *testing.B) {
		amt := big.NewInt(1000)
		run := time.Now().UnixNano()
		for i := 0; b.Loop(); i++ {
			err := env.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
				_, err := ledger.Post(ctx, tx, ledger.Entry{Key: fmt.Sprintf("bench-%d-%d", run, i), Postings: []ledger.Posting{
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

	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	if _, err := env.Gateway.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: recv.URL, Events: []string{"*"}}); err != nil {
		b.Fatal(err)
	}
	b.Run("webhook-delivery-8-workers", func(b *testing.B) { benchDeliveries(b, env, bytes.Repeat([]byte("x"), 1500)) })

	const clients = 16
	b.Run("baseline=bare-insert-16-clients", func(b *testing.B) {
		concurrently(b, clients, func(int) error { return bare() })
	})
	var gs []*kassa.Gateway
	for n := 1; n <= 3; n++ {
		store, err := open(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		g, _ := kassatest.Gateway(b, kassa.Config{Store: store, Logger: quiet,
			Chains: []chains.Backend{kassatest.SimChain(asset.Bitcoin, asset.Test)}})
		gs = append(gs, g)
		var seq atomic.Int64
		b.Run(fmt.Sprintf("invoice-16-clients/instances=%d", n), func(b *testing.B) {
			run := time.Now().UnixNano()
			concurrently(b, clients, func(client int) error {
				i := seq.Add(1)
				_, err := gs[client%n].Invoices().Create(ctx, asset.Test, invoice.CreateParams{
					Amount: dec("0.001"), Currency: "BTC", OrderID: fmt.Sprintf("c%d-%d-%d", n, run, i)})
				return err
			})
		})
	}
}

// concurrently runs op b.N times in all from clients goroutines and reports ops/s
// and the p50 and p99 latency of one op.
func concurrently(b *testing.B, clients int, op func(client int) error) {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lats  []time.Duration
		wg    sync.WaitGroup
		first atomic.Value
	)
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := op(c); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := first.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lats)
	if len(lats) == 0 {
		return
	}
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
}
