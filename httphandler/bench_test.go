package httphandler_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	h, err := httphandler.New(env.Gateway, httphandler.Options{RateLimit: 1 << 30, Burst: 1 << 20, PublicRateLimit: 1 << 30})
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
	// do sends one request, signed when signed is set, and reads the whole answer.
	do := func(method, path string, body []byte, signed bool, want int) ([]byte, error) {
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if signed {
			ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			req.Header.Set("X-Kassa-Timestamp", ts)
			req.Header.Set("X-Kassa-Signature", httphandler.Sign(key.Secret, ts, method, path, body))
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != want {
			err = fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, out)
		}
		return out, err
	}
	create := func(i int) ([]byte, error) {
		return do("POST", "/v1/invoices", fmt.Appendf(nil, `{"amount":"5","currency":"USDT_TRON","description":"bench %d"}`, i), true, 201)
	}
	b.Run("http-signed", func(b *testing.B) {
		run(b, func(i int) error {
			_, err := create(i)
			return err
		})
	})
	// The load of the reliability harness: each client in turn creates an invoice,
	// reads it back (signed) and polls its checkout status twice (public). Latencies
	// of creates and of reads are reported apart.
	b.Run("http-signed-mixed", func(b *testing.B) {
		var mu sync.Mutex
		var creates, reads []time.Duration
		ids := make(chan string, clients*4)
		run(b, func(i int) error {
			t0 := time.Now()
			var err error
			var lat *[]time.Duration
			select {
			case id := <-ids:
				lat = &reads
				if i%3 == 0 {
					_, err = do("GET", "/v1/invoices/"+id, nil, true, 200)
				} else {
					_, err = do("GET", "/checkout/"+id+"/status", nil, false, 200)
				}
			default:
				lat = &creates
				var out []byte
				if out, err = create(i); err == nil {
					var r struct{ Data struct{ ID string } }
					if err = json.Unmarshal(out, &r); err == nil {
						for range 3 {
							select {
							case ids <- r.Data.ID:
							default:
							}
						}
					}
				}
			}
			mu.Lock()
			*lat = append(*lat, time.Since(t0))
			mu.Unlock()
			return err
		})
		for _, l := range []struct {
			name string
			d    []time.Duration
		}{{"create", creates}, {"read", reads}} {
			if len(l.d) == 0 {
				continue
			}
			slices.Sort(l.d)
			b.ReportMetric(float64(l.d[len(l.d)/2].Microseconds())/1000, l.name+"-p50-ms")
			b.ReportMetric(float64(l.d[len(l.d)*99/100].Microseconds())/1000, l.name+"-p99-ms")
		}
	})
}
