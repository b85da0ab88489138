package rates_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

// fixture serves a recorded response at path, checking the query the source sends.
func fixture(t *testing.T, path, file string, checkQuery func(q map[string][]string) error) string {
	t.Helper()
	body, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if checkQuery != nil {
			if err := checkQuery(r.URL.Query()); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func expect(t *testing.T, got map[string]decimal.Decimal, want map[string]string) {
	t.Helper()
	for code, w := range want {
		if g, ok := got[code]; !ok || !g.Equal(dec(w)) {
			t.Errorf("%s = %s (present %v), want %s", code, g, ok, w)
		}
	}
}

func TestCoinGecko_Fixture(t *testing.T) {
	url := fixture(t, "/simple/price", "coingecko_simple_price.json", func(q map[string][]string) error {
		if !strings.Contains(q["ids"][0], "bitcoin") || !strings.HasPrefix(q["vs_currencies"][0], "usd") {
			return errors.New("bad query " + q["ids"][0] + " " + q["vs_currencies"][0])
		}
		return nil
	})
	got, err := rates.CoinGecko{HTTP: rates.HTTP{BaseURL: url}}.USDPrices(t.Context(), []string{"BTC", "ETH", "TRX", "EUR", "DOGE"})
	if err != nil {
		t.Fatal(err)
	}
	// EUR through bitcoin: 67234.12 / 62110.5.
	expect(t, got, map[string]string{"BTC": "67234.12", "ETH": "3456.78", "TRX": "0.1234",
		"EUR": dec("67234.12").DivRound(dec("62110.5"), 18).String()})
	if _, ok := got["DOGE"]; ok {
		t.Error("unknown code priced")
	}
}

func TestKraken_Fixture(t *testing.T) {
	url := fixture(t, "/Ticker", "kraken_ticker.json", func(q map[string][]string) error {
		if q["pair"][0] != "XBTUSD,ETHUSD,EURUSD" {
			return errors.New("pair " + q["pair"][0])
		}
		return nil
	})
	got, err := rates.Kraken{HTTP: rates.HTTP{BaseURL: url}}.USDPrices(t.Context(), []string{"BTC", "ETH", "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, got, map[string]string{"BTC": "67240.05", "ETH": "3457.05", "EUR": "1.08245"})
}

func TestBinance_Fixture(t *testing.T) {
	url := fixture(t, "/ticker/price", "binance_ticker_price.json", func(q map[string][]string) error {
		if q["symbols"][0] != `["BTCUSDT","ETHUSDT","TRXUSDT","EURUSDT"]` {
			return errors.New("symbols " + q["symbols"][0])
		}
		return nil
	})
	got, err := rates.Binance{HTTP: rates.HTTP{BaseURL: url}}.USDPrices(t.Context(), []string{"BTC", "ETH", "TRX", "EUR", "CRO"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, got, map[string]string{"BTC": "67221.53", "ETH": "3455.91", "TRX": "0.1234", "EUR": "1.0812"})
}

func TestCoinbase_Fixture(t *testing.T) {
	url := fixture(t, "/exchange-rates", "coinbase_exchange_rates.json", func(q map[string][]string) error {
		if q["currency"][0] != "USD" {
			return errors.New("currency " + q["currency"][0])
		}
		return nil
	})
	got, err := rates.Coinbase{HTTP: rates.HTTP{BaseURL: url}}.USDPrices(t.Context(), []string{"BTC", "EUR", "JPY"})
	if err != nil {
		t.Fatal(err)
	}
	one := decimal.NewFromInt(1)
	expect(t, got, map[string]string{
		"BTC": one.DivRound(dec("0.0000148733"), 18).String(),
		"EUR": one.DivRound(dec("0.92386"), 18).String(),
		"JPY": one.DivRound(dec("150.12"), 18).String(),
	})
}

func TestSources_RejectBadResponses(t *testing.T) {
	cases := map[string]string{
		"server error": "",
		"not json":     "<html>rate limited</html>",
		"zero price":   `{"bitcoin":{"usd":0}}`,
		"negative":     `{"bitcoin":{"usd":-5}}`,
		"string junk":  `{"bitcoin":{"usd":"NaN"}}`,
	}
	for name, body := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if body == "" {
				http.Error(w, "boom", http.StatusInternalServerError)
				return
			}
			io.WriteString(w, body)
		}))
		_, err := rates.CoinGecko{HTTP: rates.HTTP{BaseURL: srv.URL}}.USDPrices(t.Context(), []string{"BTC"})
		srv.Close()
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type counting struct {
	rates.Fixed
	calls atomic.Int32
	fail  atomic.Bool
}

func (c *counting) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return nil, errors.New("down")
	}
	return c.Fixed.USDPrices(ctx, codes)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestCache_TTLStaleAndCrossRates(t *testing.T) {
	src := &counting{Fixed: rates.Fixed{"BTC": dec("60000"), "EUR": dec("1.25"), "JPY": dec("0.0065")}}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{src}, TTL: time.Minute, StaleAfter: 10 * time.Minute, Now: clk.now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	r, err := c.Rate(ctx, "BTC", "EUR")
	if err != nil || !r.Value.Equal(dec("48000")) || r.Source != "fixed" {
		t.Fatalf("BTC/EUR = %+v, %v", r, err)
	}
	if r, _ := c.Rate(ctx, "usdt", "USD"); !r.Value.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("USDT/USD = %s, want 1", r.Value)
	}
	if r, _ := c.Rate(ctx, "USDC", "EUR"); !r.Value.Equal(dec("0.8")) {
		t.Fatalf("USDC/EUR = %s, want 0.8", r.Value)
	}
	calls := src.calls.Load()
	clk.t = clk.t.Add(30 * time.Second)
	c.Rate(ctx, "BTC", "EUR")
	if src.calls.Load() != calls {
		t.Fatal("refreshed within the TTL")
	}
	// Past the TTL with the source down: the cached price serves until StaleAfter.
	src.fail.Store(true)
	clk.t = clk.t.Add(5 * time.Minute)
	if _, err := c.Rate(ctx, "BTC", "EUR"); err != nil {
		t.Fatalf("within stale limit: %v", err)
	}
	if src.calls.Load() == calls {
		t.Fatal("did not try to refresh after the TTL")
	}
	clk.t = clk.t.Add(5 * time.Minute)
	if _, err := c.Rate(ctx, "BTC", "EUR"); !errors.Is(err, rates.ErrStale) {
		t.Fatalf("past stale limit: %v, want ErrStale", err)
	}
	// Back up: fresh again.
	src.fail.Store(false)
	if _, err := c.Rate(ctx, "BTC", "EUR"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Rate(ctx, "DOGE", "USD"); !errors.Is(err, rates.ErrNoRate) {
		t.Fatalf("unknown: %v, want ErrNoRate", err)
	}
}

func TestCache_FallsBackToNextSource(t *testing.T) {
	down := &counting{}
	down.fail.Store(true)
	partial := rates.Fixed{"BTC": dec("1")}
	full := rates.Fixed{"BTC": dec("2"), "ETH": dec("3")}
	c, _ := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{down, partial, full}, Logger: quiet})
	btc, err := c.Rate(t.Context(), "BTC", "USD")
	if err != nil || !btc.Value.Equal(dec("1")) {
		t.Fatalf("BTC %+v %v", btc, err)
	}
	eth, err := c.Rate(t.Context(), "ETH", "USD")
	if err != nil || !eth.Value.Equal(dec("3")) {
		t.Fatalf("ETH %+v %v", eth, err)
	}
}

func TestNewCache_BadConfig(t *testing.T) {
	if _, err := rates.NewCache(rates.CacheConfig{}); err == nil {
		t.Fatal("no sources accepted")
	}
	if _, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Fixed{}}, TTL: time.Hour, StaleAfter: time.Minute}); err == nil {
		t.Fatal("StaleAfter < TTL accepted")
	}
}
