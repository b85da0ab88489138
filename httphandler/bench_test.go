package httphandler_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/shopspring/decimal"
)

// BenchmarkCreateInvoiceHTTP creates invoices over HTTP on loopback from 32 concurrent
// clients, every request signed, and reports requests per second, p50 and p99; the
// baseline calls Gateway.CreateInvoice directly from 32 goroutines in the same run, on
// the same kind of SQLite file.
func BenchmarkCreateInvoiceHTTP(b *testing.B) {
	const clients = 32
	env := kassatest.New(b, kassatest.WithDatabase(filepath.Join(b.TempDir(), "kassa.db")))
	h, err := httphandler.New(env.Gateway, httphandler.Options{RateLimit: 1 << 30, Burst: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	key, err := env.Gateway.Keys().Create(context.Background(), apikey.CreateParams{Mode: asset.Test, RateLimit: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, one func(i int) error) {
		lat := make([]time.Duration, b.N)
		var next sync.Mutex
		i := 0
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					next.Lock()
					n := i
					i++
					next.Unlock()
					if n >= b.N {
						return
					}
					t0 := time.Now()
					if err := one(n); err != nil {
						b.Error(err)
						return
					}
					lat[n] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("baseline=gateway-direct", func(b *testing.B) {
		run(b, func(i int) error {
			_, err := env.Gateway.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{
				Amount: decimal.NewFromInt(5), Currency: "USDT_TRON"})
			return err
		})
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.Run("http-signed", func(b *testing.B) {
		run(b, func(i int) error {
			body := fmt.Appendf(nil, `{"amount":"5","currency":"USDT_TRON","description":"bench %d"}`, i)
			req, _ := http.NewRequest("POST", srv.URL+"/v1/invoices", bytes.NewReader(body))
			ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			req.Header.Set("X-Kassa-Timestamp", ts)
			req.Header.Set("X-Kassa-Signature", httphandler.Sign(key.Secret, ts, "POST", "/v1/invoices", body))
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				return fmt.Errorf("HTTP %d", res.StatusCode)
			}
			return nil
		})
	})
}
