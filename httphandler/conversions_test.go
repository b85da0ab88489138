package httphandler_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage/storagetest"
	"github.com/shopspring/decimal"
)

// failing is a fixed rate source that can be switched off.
type failing struct {
	rates.Fixed
	down atomic.Bool
}

func (f *failing) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	if f.down.Load() {
		return nil, errors.New("source unreachable")
	}
	return f.Fixed.USDPrices(ctx, codes)
}

// TestEstimate_FreshStaleAndBadInput: a fresh rate answers rate, the amount at it
// rounded down to the quote's decimals, the source and when; a rate that grew stale
// (the source down for longer than the cache's limit) or is unavailable is refused
// as invoice creation refuses it, 422 on base_currency; each bad parameter is named.
func TestEstimate_FreshStaleAndBadInput(t *testing.T) {
	src := &failing{Fixed: rates.Fixed{"BTC": kassatest.Dec("65000.50"), "EUR": kassatest.Dec("1.08")}}
	a := newAPI(t, httphandler.Options{}, kassatest.WithRateSources(src))
	r := a.do("GET", "/v1/prices/estimate?base_currency=BTC&quote_currency=USDT&amount=0.5", nil, nil)
	want(t, r, 200, "")
	d := r.data()
	if d["rate"] != "65000.5" || d["estimated_received"] != "32500.25" || d["source"] != "fixed+par" ||
		d["as_of"] != a.env.Clock.Now().UTC().Format(time.RFC3339) {
		t.Fatalf("estimate: %s", r.raw)
	}
	// 0.3 BTC in EUR: 0.3 x 65000.5 / 1.08 = 18055.6944...: 18055.69, never .70.
	if r := a.do("GET", "/v1/prices/estimate?base_currency=btc&quote_currency=eur&amount=0.3", nil, nil); r.code != 200 || r.data()["estimated_received"] != "18055.69" {
		t.Fatalf("BTC in EUR: %d %s", r.code, r.raw)
	}
	for _, c := range []struct{ query, field string }{
		{"base_currency=DOGE&quote_currency=USD&amount=1", "base_currency"},
		{"base_currency=BTC&quote_currency=ABC&amount=1", "quote_currency"},
		{"base_currency=BTC&quote_currency=BTC&amount=1", "quote_currency"},
		{"base_currency=BTC&quote_currency=USD&amount=0", "amount"},
		{"base_currency=BTC&quote_currency=USD&amount=-1", "amount"},
		{"base_currency=BTC&quote_currency=USD&amount=0.123456789", "amount"},
		{"base_currency=BTC&quote_currency=USD&amount=1e60", "amount"},
		{"base_currency=BTC&quote_currency=USD&amount=lots", "amount"},
		{"quote_currency=USD&amount=1", "base_currency"},
		{"base_currency=BTC&amount=1", "quote_currency"},
		{"base_currency=BTC&quote_currency=USD", "amount"},
	} {
		r := a.do("GET", "/v1/prices/estimate?"+c.query, nil, nil)
		details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
		if r.code != 422 || details[c.field] == nil {
			t.Errorf("%s: %d %s, want 422 naming %s", c.query, r.code, r.raw, c.field)
		}
	}
	if r := a.do("GET", "/v1/prices/estimate?base_currency=ETH&quote_currency=USD&amount=1", nil, nil); r.code != 422 ||
		r.body["error"].(map[string]any)["details"].(map[string]any)["base_currency"] == nil {
		t.Fatalf("no ETH price: %d %s, want 422 on base_currency", r.code, r.raw)
	}
	src.down.Store(true)
	a.env.Clock.Advance(16 * time.Minute) // beyond the cache's stale limit of 15 minutes
	r = a.do("GET", "/v1/prices/estimate?base_currency=BTC&quote_currency=USDT&amount=0.5", nil, nil)
	want(t, r, 422, "validation_error")
	if msg := r.body["error"].(map[string]any)["details"].(map[string]any)["base_currency"]; msg == nil || !strings.Contains(string(r.raw), "too old") {
		t.Fatalf("a stale rate: %s", r.raw)
	}
}

// TestSmartContract_NotSupported: every route under /v1/smart-contract/, whatever
// its method, is 404 not_found saying burn-and-mint wrapping is not supported.
func TestSmartContract_NotSupported(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/smart-contract/wrap"}, {"GET", "/v1/smart-contract/status/abc"}, {"DELETE", "/v1/smart-contract/x"},
		{"PUT", "/v1/smart-contract/"}, {"GET", "/v1/smart-contract"},
	} {
		r := a.do(c.method, c.path, map[string]any{"amount": "1"}, nil)
		msg, _ := r.body["error"].(map[string]any)["message"].(string)
		if r.code != 404 || r.errCode() != "not_found" || msg != "burn-and-mint wrapping is not supported" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.code, r.raw)
		}
	}
	if r := a.do("GET", "/v1/smart-contracts", nil, nil); r.code != 404 || strings.Contains(string(r.raw), "burn-and-mint") {
		t.Errorf("a neighbouring unknown path: %d %s", r.code, r.raw)
	}
}

// TestConversions_API: a conversion converts the key's balance and answers 201 with
// the documented fields; the same Idempotency-Key answers the same conversion and
// converts nothing again; over the balance is 422 insufficient_funds and bad bodies
// are named, each changing nothing; live mode without an exchange is 422
// conversion_unavailable; list and get answer it.
func TestConversions_API(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	a.env.Fund("BTC", "0.2")
	body := map[string]any{"from_currency": "BTC", "to_currency": "USDT_TRON", "amount": "0.05"}
	r := a.do("POST", "/v1/conversions", body, map[string]string{"Idempotency-Key": "cv-1"})
	want(t, r, 201, "")
	d := r.data()
	id, _ := d["conversion_id"].(string)
	if !strings.HasPrefix(id, "cv_") || d["status"] != "completed" || d["rate_applied"] != "65000" || d["received_amount"] != "3250" ||
		d["fee"] != "0" || d["amount"] != "0.05" || d["from_currency"] != "BTC" || d["to_currency"] != "USDT_TRON" || d["created_at"] == nil {
		t.Fatalf("conversion: %s", r.raw)
	}
	again := a.do("POST", "/v1/conversions", body, map[string]string{"Idempotency-Key": "cv-1"})
	if again.code != 201 || again.data()["conversion_id"] != id {
		t.Fatalf("the same Idempotency-Key: %d %s", again.code, again.raw)
	}
	if b := a.env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.15")) {
		t.Fatalf("BTC available %s after one conversion asked twice, want 0.15", b.Available)
	}
	before, err := storagetest.Digest(context.Background(), a.env.Store)
	if err != nil {
		t.Fatal(err)
	}
	want(t, a.do("POST", "/v1/conversions", map[string]any{"from_currency": "BTC", "to_currency": "ETH", "amount": "0.15000001"}, nil), 422, "insufficient_funds")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"from_currency": "NOPE", "to_currency": "ETH", "amount": "0.01"}, "from_currency"},
		{map[string]any{"from_currency": "BTC", "to_currency": "BTC", "amount": "0.01"}, "to_currency"},
		{map[string]any{"from_currency": "BTC", "to_currency": "ETH", "amount": "0.000000001"}, "amount"},
		{map[string]any{"from_currency": "BTC", "to_currency": "ETH", "amount": "-0.01"}, "amount"},
		{map[string]any{"from_currency": "BTC", "to_currency": "ETH"}, "amount"},
	} {
		r := a.do("POST", "/v1/conversions", c.body, nil)
		details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
		if r.code != 422 || details[c.field] == nil {
			t.Errorf("%v: %d %s, want 422 naming %s", c.body, r.code, r.raw, c.field)
		}
	}
	if after, _ := storagetest.Digest(context.Background(), a.env.Store); after != before {
		t.Fatalf("refused conversions changed the store:\n%s\n%s", before, after)
	}
	live := a.newKey(apikey.CreateParams{Mode: asset.Live})
	saved := a.key
	a.key = live
	want(t, a.do("POST", "/v1/conversions", body, nil), 422, "conversion_unavailable")
	want(t, a.do("GET", "/v1/conversions/"+id, nil, nil), 404, "not_found") // the other mode's
	a.key = saved
	l := a.do("GET", "/v1/conversions?limit=5", nil, nil)
	if l.code != 200 || len(l.body["data"].([]any)) != 1 || l.body["pagination"].(map[string]any)["total"] != float64(1) {
		t.Fatalf("list: %d %s", l.code, l.raw)
	}
	if g := a.do("GET", "/v1/conversions/"+id, nil, nil); g.code != 200 || g.data()["received_amount"] != "3250" {
		t.Fatalf("get: %d %s", g.code, g.raw)
	}
	want(t, a.do("GET", "/v1/conversions?status=done", nil, nil), 422, "validation_error")
	if err := a.env.Gateway.VerifyLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
}
