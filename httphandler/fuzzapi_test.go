package httphandler_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage/storagetest"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/wallet"
)

// fuzzRoutes are the endpoints FuzzAPI sends its bodies and queries to.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/invoices"}, {"POST", "/v1/payments"}, {"POST", "/v1/checkout/sessions"},
	{"POST", "/v1/payouts"}, {"POST", "/v1/payouts/mass"}, {"POST", "/v1/payouts/po_x/verify"},
	{"POST", "/v1/webhook-endpoints"}, {"POST", "/v1/test/invoices/inv_x/pay"}, {"POST", "/v1/invoices/inv_x/cancel"},
	{"GET", "/v1/invoices"}, {"GET", "/v1/payouts"}, {"GET", "/v1/events"}, {"GET", "/v1/transactions"},
	{"GET", "/v1/withdrawals/fee-estimate"}, {"GET", "/v1/withdrawals/min-amount"}, {"GET", "/checkout/inv_x/status"},
	{"POST", "/v1/refunds"}, {"GET", "/v1/refunds"}, {"POST", "/v1/refunds/re_x/cancel"}, {"POST", "/refunds/tok_x"},
	// Customer wallets; {wallet} is a funded wallet's id.
	{"POST", "/v1/wallets"}, {"GET", "/v1/wallets"}, {"GET", "/v1/wallets/lookup"}, {"GET", "/v1/wallets/balance/aggregated"},
	{"GET", "/v1/wallets/{wallet}"}, {"GET", "/v1/wallets/{wallet}/transactions"}, {"POST", "/v1/wallets/{wallet}/deposit"},
	{"POST", "/v1/wallets/{wallet}/withdraw"}, {"POST", "/v1/customers"},
	// Sub-merchants; {sub} is one that exists.
	{"POST", "/v1/sub-merchants"}, {"GET", "/v1/sub-merchants"}, {"PUT", "/v1/sub-merchants/{sub}"}, {"GET", "/v1/balance"},
	// Prices and conversions (from the funded BTC balance), and what is not provided.
	{"GET", "/v1/prices/estimate"}, {"POST", "/v1/conversions"}, {"GET", "/v1/conversions"}, {"GET", "/v1/conversions/cv_x"},
	{"POST", "/v1/smart-contract/wrap"},
	// Billing.
	{"POST", "/v1/products"}, {"GET", "/v1/products"}, {"POST", "/v1/subscriptions"}, {"GET", "/v1/subscriptions"},
}

// FuzzAPI sends arbitrary bodies, queries, content types and signature headers to the
// whole handler on a funded test Gateway. Whatever comes in: never a 5xx; a request
// without its correct signature is never accepted; and a refused request changes
// nothing (invoices, payouts, events, webhook endpoints, every ledger balance).
func FuzzAPI(f *testing.F) {
	seeds := []struct {
		route uint8
		body  string
		query string
		ctype string
		sig   uint8
	}{
		{0, `{"amount":"10","currency":"USD"}`, "", "application/json", 0},
		{0, `{"amount":"1e999999","currency":"USD"}`, "", "application/json", 0},
		{0, `{"amount":"-1","currency":"BTC","order_id":"' OR 1=1 --"}`, "", "application/json", 0},
		{0, `{"metadata":` + string(bytes.Repeat([]byte(`{"a":`), 2000)) + `1` + string(bytes.Repeat([]byte(`}`), 2000)) + `}`, "", "", 0},
		{3, `{"amount":"0.01","currency":"BTC","destination_address":"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}`, "", "application/json", 0},
		{4, `{"destinations":[{"amount":"0.01","currency":"BTC","destination_address":"a"},{"amount":"x"}]}`, "", "application/json", 0},
		{6, `{"url":"http://169.254.169.254/latest/meta-data","events":["*"]}`, "", "application/json", 0},
		{0, `{"Amount":"5","amount":"0.001","currency":"BTC"}`, "", "application/json", 0},
		{0, `{"amo\u0075nt":"5","amount":"0.001","currency":"BTC","metadata":{"a":{"b":1,"\u0062":2}}}`, "", "application/json", 0},
		{0, `{"amount":"1","currency":"USD","metadata":{"n":"\ud800"},"lifetime":36028797018967568}`, "", "application/json", 0},
		{0, `{"amount":"1","currency":"USD","url_callback":"http://2130706433/"}`, "", "application/json", 0},
		{4, `{"destinations":[{"amount":"0.01","currency":"BTC","network":"bitcoin","address":"a","Address":"b"}]}`, "", "application/json", 0},
		{0, "amount=1&currency=USD", "", "application/x-www-form-urlencoded", 0},
		{0, `{"amount":"1","currency":"USD"}`, "", "application/json", 1},
		{0, `{"amount":"1","currency":"USD"}`, "", "application/json", 2},
		{9, "", "limit=1000000000&page=-1", "", 0},
		{13, "", "currency=BTC&network=bitcoin&amount=1e400", "", 0},
		{15, "", "", "", 0},
		{16, `{"invoice_id":"inv_x","amount":"5","destination_address":"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}`, "", "application/json", 0},
		{16, `{"invoice_id":"inv_x","amount":"-1e30","rate":"current","fee_payer":"merchant"}`, "", "application/json", 0},
		{17, "", "status=succeeded&invoice_id=' OR 1=1", "", 0},
		{19, "address=bcrt1q&email=a@b", "", "application/x-www-form-urlencoded", 0},
		{20, `{"customer_id":"fuzz-1","currency":"BTC","label":"x","metadata":{"a":1}}`, "", "application/json", 0},
		{20, `{"customer_id":"cus_aaaaaaaaaaaaaaaaaaaa","currency":"USDT","network":"tron"}`, "", "application/json", 0},
		{21, "", "customer_id=fuzz-1&currency=usdt&limit=100", "", 0},
		{22, "", "customer_id=fuzz-1&currency=BTC&network=bitcoin", "", 0},
		{23, "", "customer_id=' OR 1=1", "", 0},
		{24, "", "", "", 0},
		{25, "", "", "", 0},
		{26, `{"tx_hash":"0000000000000000000000000000000000000000000000000000000000000000"}`, "", "application/json", 0},
		{27, `{"amount":"0.001","recipient_address":"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}`, "", "application/json", 0},
		{27, `{"amount":"99999","recipient_address":"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}`, "", "application/json", 0},
		{27, `{"amount":"1e-30","recipient_address":"0x0"}`, "", "application/json", 0},
		{28, `{"external_id":"fuzz-1","email":"a@b.c","metadata":{"k":"v"}}`, "", "application/json", 0},
		{29, `{"external_id":"seller-9","name":"Ada","logo_url":"https://cdn.example.com/a.png","business_settings":{"k":1}}`, "", "application/json", 0},
		{29, `{"external_id":"seller-9","name":"Ada","logo_url":"https://a;b/x"}`, "", "application/json", 0},
		{30, "", "active=true&external_id=seller-1", "", 0},
		{31, `{"active":false,"logo_url":"javascript:x"}`, "", "application/json", 0},
		{32, "", "sub_merchant_id=sm_aaaaaaaaaaaaaaaaaaaa", "", 0},
		{0, `{"amount":"10","currency":"USD","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"}`, "", "application/json", 0},
		{33, "", "base_currency=BTC&quote_currency=USDT&amount=0.5", "", 0},
		{33, "", "base_currency=BTC&quote_currency=EUR&amount=1e-30", "", 0},
		{34, `{"from_currency":"BTC","to_currency":"USDT_TRON","amount":"0.01"}`, "", "application/json", 0},
		{34, `{"from_currency":"BTC","to_currency":"btc","amount":"-1e30","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"}`, "", "application/json", 0},
		{35, "", "status=completed&limit=5", "", 0},
		{37, `{"amount":"1"}`, "", "application/json", 0},
	}
	for _, s := range seeds {
		f.Add(s.route, []byte(s.body), s.query, s.ctype, s.sig, "deadbeef")
	}
	env := kassatest.New(f)
	ctx := context.Background()
	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.5"), Currency: "BTC"})
	if err != nil {
		f.Fatal(err)
	}
	env.Pay(inv, "BTC", "0.5")
	wal, _, err := env.Gateway.Wallets().Create(ctx, asset.Test, wallet.CreateParams{CustomerID: "fuzz-1", Currency: "BTC"})
	if err != nil {
		f.Fatal(err)
	}
	env.Chain(asset.Bitcoin).Pay(wal.Address, "BTC", env.Units("BTC", "0.2"))
	sm, err := env.Gateway.SubMerchants().Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-1", Name: "Ada"})
	if err != nil {
		f.Fatal(err)
	}
	env.Mine(asset.Bitcoin, 6)
	h, err := httphandler.New(env.Gateway, httphandler.Options{RateLimit: 1_000_000_000, Burst: 1_000_000})
	if err != nil {
		f.Fatal(err)
	}
	k, err := env.Gateway.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test})
	if err != nil {
		f.Fatal(err)
	}
	start := time.Now().UnixMilli()
	var n int64
	f.Fuzz(func(t *testing.T, route uint8, body []byte, query, ctype string, sigMode uint8, sig string) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		target := strings.NewReplacer("{wallet}", wal.ID, "{sub}", sm.ID).Replace(r.path)
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(r.method, "http://kassa.test"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		n++
		ts := strconv.FormatInt(start+n, 10) // distinct: a signature is accepted once
		good := httphandler.Sign(k.Secret, ts, r.method, req.URL.RequestURI(), body)
		req.Header.Set("Authorization", "Bearer "+k.Secret)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		switch sigMode % 3 {
		case 0:
			req.Header.Set("X-Kassa-Signature", good)
			req.Header.Set("X-Kassa-Timestamp", ts)
		case 1:
			req.Header.Set("X-Kassa-Signature", sig)
			req.Header.Set("X-Kassa-Timestamp", ts)
		case 2:
			req.Header.Set("X-Kassa-Signature", good)
			req.Header.Set("X-Kassa-Timestamp", sig)
		}
		forged := sigMode%3 != 0 && sig != good && sig != ts
		before := digest(t, env)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", r.method, target, rec.Code, rec.Body.String())
		}
		if forged && rec.Code < 400 {
			t.Fatalf("%s %s with a wrong signature: %d", r.method, target, rec.Code)
		}
		if rec.Code >= 400 {
			if after := digest(t, env); after != before {
				t.Fatalf("%s %s refused with %d but changed the state:\n%s\n%s", r.method, target, rec.Code, before, after)
			}
		}
	})
}

// digest is storagetest.Digest of env's store: every stored thing a request could change.
func digest(t *testing.T, env *kassatest.Env) string {
	t.Helper()
	d, err := storagetest.Digest(context.Background(), env.Store)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
