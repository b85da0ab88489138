package conversion_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestRoundReceived_RoundsDownToTheDecimals: what a conversion gives is never rounded
// up, not even by the smallest unit.
func TestRoundReceived_RoundsDownToTheDecimals(t *testing.T) {
	for _, c := range []struct {
		in   string
		d    int32
		want string
	}{
		{"32500.259999", 2, "32500.25"},
		{"32500.25", 2, "32500.25"},
		{"0.0000009", 6, "0"},
		{"1.9999999", 6, "1.999999"},
		{"123.5", 0, "123"},
	} {
		if got := conversion.RoundReceived(dec(c.in), c.d); !got.Equal(dec(c.want)) {
			t.Errorf("RoundReceived(%s, %d) = %s, want %s", c.in, c.d, got, c.want)
		}
	}
}

// TestRated_ConvertsAtTheCacheRateRoundedDownOrRefuses: the built-in exchanger gives
// the amount at the cache's rate rounded down to the to asset's decimals, no fee; a
// stale rate or an amount worth less than one base unit is refused (ErrRefused).
func TestRated_ConvertsAtTheCacheRateRoundedDownOrRefuses(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	src := &flaky{Fixed: rates.Fixed{"BTC": dec("65000.123456789")}}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{src}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	x := conversion.Rated{Rates: cache, Assets: asset.Default()}
	ctx := context.Background()
	r, err := x.Convert(ctx, conversion.Request{ID: "cv_a", Mode: asset.Test, From: "BTC", To: "USDT_TRON", Amount: dec("0.5")})
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 x 65000.123456789 = 32500.0617283945: 6 decimals on Tron, rounded down.
	if r.Status != conversion.StatusCompleted || !r.Received.Equal(dec("32500.061728")) || !r.Fee.IsZero() || !r.Rate.Equal(dec("65000.123456789")) {
		t.Fatalf("Convert = %+v", r)
	}
	back, err := x.Convert(ctx, conversion.Request{ID: "cv_b", Mode: asset.Test, From: "USDT_TRON", To: "BTC", Amount: dec("1")})
	if err != nil {
		t.Fatal(err)
	}
	// 1 / 65000.123456789 = 0.0000153845861...: 8 decimals, rounded down.
	if !back.Received.Equal(dec("0.00001538")) {
		t.Fatalf("USDT to BTC received %s, want 0.00001538", back.Received)
	}
	if _, err := x.Convert(ctx, conversion.Request{ID: "cv_c", Mode: asset.Test, From: "USDT_TRON", To: "BTC", Amount: dec("0.000001")}); !errors.Is(err, conversion.ErrRefused) {
		t.Fatalf("an amount worth less than a satoshi: %v, want ErrRefused", err)
	}
	src.down, now = true, now.Add(time.Hour) // the source fails; the cached price grows stale
	if _, err := x.Convert(ctx, conversion.Request{ID: "cv_d", Mode: asset.Test, From: "BTC", To: "USDT_TRON", Amount: dec("1")}); !errors.Is(err, conversion.ErrRefused) {
		t.Fatalf("with a stale rate: %v, want ErrRefused", err)
	}
}

// flaky is a fixed source that fails while down.
type flaky struct {
	rates.Fixed
	down bool
}

func (f *flaky) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	if f.down {
		return nil, errors.New("source unreachable")
	}
	return f.Fixed.USDPrices(ctx, codes)
}
