package torture

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassapay/kassa/httphandler"
)

// hostileRequest is one request a hostile or broken client sends. Every one must be
// refused with a 4xx: no 5xx, nothing stored.
type hostileRequest struct {
	name   string
	method string
	path   string
	body   string
	header map[string]string
	// unsigned sends no signature (the request is about authentication itself).
	unsigned bool
	// guarded needs the webhook SSRF guard, which test Gateways (kassatest) turn off
	// to reach their loopback receivers.
	guarded bool
}

func hostileRequests() []hostileRequest {
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	deepArr := strings.Repeat("[", 50000) + strings.Repeat("]", 50000)
	long := strings.Repeat("A", 64<<10)
	inv := func(fields string) string { return `{"amount":"10","currency":"USD",` + fields + `}` }
	po := func(fields string) string { return `{"currency":"BTC","network":"bitcoin",` + fields + `}` }
	cv := func(fields string) string { return `{"from_currency":"BTC","to_currency":"USDT_TRON",` + fields + `}` }
	return []hostileRequest{
		// Injection strings where identifiers and codes go.
		{name: "sql in order_id", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"1' OR '1'='1"`)},
		{name: "sql in currency", method: "POST", path: "/v1/invoices", body: `{"amount":"10","currency":"USD'; DROP TABLE invoices;--"}`},
		{name: "sql in path id", method: "GET", path: "/v1/invoices/inv_1'%20OR%20'1'='1"},
		{name: "sql in query", method: "GET", path: "/v1/invoices?status=paid'%20OR%201=1--"},
		{name: "header injection in order_id", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"a\r\nSet-Cookie: x=y"`)},
		{name: "script in success_url", method: "POST", path: "/v1/invoices", body: inv(`"success_url":"javascript:alert(1)"`)},
		{name: "path traversal in static", method: "GET", path: "/static/..%2f..%2fgo.mod"},
		{name: "path traversal in id", method: "GET", path: "/v1/invoices/..%2f..%2fetc%2fpasswd"},
		{name: "NUL in id", method: "GET", path: "/checkout/inv_%00/status"},
		{name: "invalid UTF-8", method: "POST", path: "/v1/invoices", body: "{\"amount\":\"10\",\"currency\":\"\xff\xfe\"}"},
		{name: "bidi override in currency", method: "POST", path: "/v1/invoices", body: inv(`"to_currency":"BTC\u202e"`)},
		// Numbers.
		{name: "huge exponent", method: "POST", path: "/v1/invoices", body: `{"amount":"1e999999999","currency":"USD"}`},
		{name: "400-digit amount", method: "POST", path: "/v1/invoices", body: `{"amount":"1` + strings.Repeat("0", 400) + `","currency":"USD"}`},
		{name: "float overflow", method: "POST", path: "/v1/invoices", body: `{"amount":1e309,"currency":"USD"}`},
		{name: "negative", method: "POST", path: "/v1/invoices", body: `{"amount":"-10","currency":"USD"}`},
		{name: "zero", method: "POST", path: "/v1/invoices", body: `{"amount":"0","currency":"BTC"}`},
		{name: "over-precise", method: "POST", path: "/v1/invoices", body: `{"amount":"0.000000001","currency":"BTC"}`},
		{name: "NaN", method: "POST", path: "/v1/invoices", body: `{"amount":"NaN","currency":"USD"}`},
		{name: "hex amount", method: "POST", path: "/v1/invoices", body: `{"amount":"0x10","currency":"USD"}`},
		{name: "huge lifetime", method: "POST", path: "/v1/invoices", body: inv(`"lifetime":99999999999999999999`)},
		{name: "payout negative", method: "POST", path: "/v1/payouts", body: po(`"amount":"-1","destination_address":"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"`)},
		{name: "payout huge", method: "POST", path: "/v1/payouts", body: po(`"amount":"1e30","destination_address":"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"`)},
		{name: "payout unknown asset", method: "POST", path: "/v1/payouts", body: `{"amount":"1","currency":"DOGE","network":"dogecoin","destination_address":"D"}`},
		{name: "payout address with a newline", method: "POST", path: "/v1/payouts", body: po(`"amount":"0.001","destination_address":"bcrt1q\nx"`)},
		{name: "mass payout of 51", method: "POST", path: "/v1/payouts/mass", body: `{"destinations":[` + strings.TrimSuffix(strings.Repeat(po(`"amount":"0.001","destination_address":"x"`)+",", 51), ",") + `]}`},
		{name: "conversion negative", method: "POST", path: "/v1/conversions", body: cv(`"amount":"-0.01"`)},
		{name: "conversion zero", method: "POST", path: "/v1/conversions", body: cv(`"amount":"0"`)},
		{name: "conversion huge", method: "POST", path: "/v1/conversions", body: cv(`"amount":"1e70"`)},
		{name: "conversion over-precise", method: "POST", path: "/v1/conversions", body: cv(`"amount":"0.000000001"`)},
		{name: "conversion beyond the balance", method: "POST", path: "/v1/conversions", body: cv(`"amount":"999"`)},
		{name: "conversion unknown currency", method: "POST", path: "/v1/conversions", body: `{"from_currency":"DOGE","to_currency":"BTC","amount":"1"}`},
		{name: "conversion ambiguous currency", method: "POST", path: "/v1/conversions", body: `{"from_currency":"BTC","to_currency":"USDT","amount":"0.01"}`},
		{name: "conversion to itself", method: "POST", path: "/v1/conversions", body: `{"from_currency":"BTC","to_currency":"btc","amount":"0.01"}`},
		{name: "conversion amount of wrong type", method: "POST", path: "/v1/conversions", body: `{"from_currency":"BTC","to_currency":"ETH","amount":{"$gt":0}}`},
		{name: "conversion currency of wrong type", method: "POST", path: "/v1/conversions", body: `{"from_currency":["BTC"],"to_currency":"ETH","amount":"0.01"}`},
		{name: "conversion of another scope", method: "POST", path: "/v1/conversions", body: cv(`"amount":"0.01","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"`)},
		{name: "conversion sql in id", method: "GET", path: "/v1/conversions/cv_1'%20OR%20'1'='1"},
		{name: "conversion bad status filter", method: "GET", path: "/v1/conversions?status=done"},
		{name: "estimate negative", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=USD&amount=-1"},
		{name: "estimate zero", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=USD&amount=0"},
		{name: "estimate huge", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=USD&amount=1e999999999"},
		{name: "estimate over-precise", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=USD&amount=0.000000001"},
		{name: "estimate unknown currency", method: "GET", path: "/v1/prices/estimate?base_currency=DOGE&quote_currency=USD&amount=1"},
		{name: "estimate same currency", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=BTC&amount=1"},
		{name: "estimate NaN", method: "GET", path: "/v1/prices/estimate?base_currency=BTC&quote_currency=USD&amount=NaN"},
		{name: "burn-and-mint wrap", method: "POST", path: "/v1/smart-contract/wrap", body: `{"amount":"1","currency":"BTC"}`},
		{name: "huge query limit", method: "GET", path: "/v1/invoices?limit=1000000000000"},
		{name: "negative page", method: "GET", path: "/v1/invoices?page=-1"},
		{name: "bad date filter", method: "GET", path: "/v1/invoices?created_from=yesterday"},
		// Shapes.
		{name: "deep JSON object", method: "POST", path: "/v1/invoices", body: `{"amount":"10","currency":"USD","metadata":` + deep + `}`},
		{name: "deep JSON array", method: "POST", path: "/v1/invoices", body: deepArr},
		{name: "2 MiB body", method: "POST", path: "/v1/invoices", body: `{"description":"` + strings.Repeat("x", 2<<20) + `"}`},
		{name: "64 KiB field", method: "POST", path: "/v1/invoices", body: inv(`"description":"` + long + `"`)},
		{name: "array body", method: "POST", path: "/v1/invoices", body: `[{"amount":"10","currency":"USD"}]`},
		{name: "null body", method: "POST", path: "/v1/invoices", body: `null`},
		{name: "two objects", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"a"`) + inv(`"order_id":"b"`)},
		{name: "unknown field", method: "POST", path: "/v1/invoices", body: inv(`"admin":true`)},
		{name: "wrong type", method: "POST", path: "/v1/invoices", body: `{"amount":{"$gt":0},"currency":"USD"}`},
		// Content types.
		{name: "form body", method: "POST", path: "/v1/invoices", body: "amount=10&currency=USD", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "text/plain JSON", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"tp"`), header: map[string]string{"Content-Type": "text/plain"}},
		{name: "multipart", method: "POST", path: "/v1/invoices", body: "--b\r\nContent-Disposition: form-data; name=\"amount\"\r\n\r\n10\r\n--b--\r\n", header: map[string]string{"Content-Type": "multipart/form-data; boundary=b"}},
		{name: "XML", method: "POST", path: "/v1/invoices", body: `<invoice amount="10"/>`, header: map[string]string{"Content-Type": "application/xml"}},
		// Webhook endpoints pointing inside.
		{name: "webhook to metadata service", method: "POST", path: "/v1/webhook-endpoints", body: `{"url":"http://169.254.169.254/latest/meta-data/","events":["*"]}`, guarded: true},
		{name: "webhook to file", method: "POST", path: "/v1/webhook-endpoints", body: `{"url":"file:///etc/passwd","events":["*"]}`},
		{name: "webhook to loopback", method: "POST", path: "/v1/webhook-endpoints", body: `{"url":"http://127.0.0.1:22/","events":["*"]}`, guarded: true},
		// Products and subscriptions.
		{name: "product without plans", method: "POST", path: "/v1/products", body: `{"name":"Pro"}`},
		{name: "plan of negative price", method: "POST", path: "/v1/products", body: `{"name":"Pro","pricing_plans":[{"amount":"-9.99","currency":"USD","interval":"month"}]}`},
		{name: "plan of over-precise price", method: "POST", path: "/v1/products", body: `{"name":"Pro","pricing_plans":[{"amount":"9.999","currency":"USD","interval":"month"}]}`},
		{name: "plan of huge price", method: "POST", path: "/v1/products", body: `{"name":"Pro","pricing_plans":[{"amount":"1e400","currency":"USD","interval":"month"}]}`},
		{name: "plan of an unknown interval", method: "POST", path: "/v1/products", body: `{"name":"Pro","pricing_plans":[{"amount":"9","currency":"USD","interval":"fortnight","interval_count":-1}]}`},
		{name: "product image over http", method: "POST", path: "/v1/products", body: `{"name":"Pro","images":["javascript:alert(1)"],"pricing_plans":[{"amount":"9","currency":"USD","interval":"month"}]}`},
		{name: "subscription to an unknown plan", method: "POST", path: "/v1/subscriptions", body: `{"customer_id":"u1","plan_id":"plan_aaaaaaaaaaaaaaaaaaaa"}`},
		{name: "subscription collected by card", method: "POST", path: "/v1/subscriptions", body: `{"customer_id":"u1","plan_id":"plan_x","collection":"card"}`},
		{name: "subscription anchored in the past", method: "POST", path: "/v1/subscriptions", body: `{"customer_id":"u1","plan_id":"plan_x","billing_cycle_anchor":"2001-01-01T00:00:00Z"}`},
		{name: "cancel an unknown subscription", method: "POST", path: "/v1/subscriptions/sub_aaaaaaaaaaaaaaaaaaaa/cancel", body: `{}`},
		{name: "product list bad active", method: "GET", path: "/v1/products?active=maybe"},
		{name: "subscription list bad status", method: "GET", path: "/v1/subscriptions?status=paused&customer_id=a%20b"},
		// Customers.
		{name: "customer sql in external_id", method: "POST", path: "/v1/customers", body: `{"external_id":"1' OR '1'='1"}`},
		{name: "customer header injection in email", method: "POST", path: "/v1/customers", body: `{"email":"a@b.c\r\nBcc: x@y.z"}`},
		{name: "customer metadata array", method: "POST", path: "/v1/customers", body: `{"metadata":[1,2]}`},
		{name: "customer metadata too large", method: "POST", path: "/v1/customers", body: `{"metadata":{"k":"` + strings.Repeat("m", 17<<10) + `"}}`},
		{name: "customer id of Kassa's own shape", method: "POST", path: "/v1/customers", body: `{"external_id":"cus_aaaaaaaaaaaaaaaaaaaa"}`},
		{name: "customer name with a NUL", method: "POST", path: "/v1/customers", body: `{"name":"a\u0000b"}`},
		{name: "customer unknown field", method: "POST", path: "/v1/customers", body: `{"password":"x"}`},
		{name: "customer sql in path id", method: "GET", path: "/v1/customers/cus_1'%20OR%20'1'='1"},
		{name: "customer list sql in email", method: "GET", path: "/v1/customers?email=x'%20OR%201=1--"},
		{name: "update unknown customer", method: "PUT", path: "/v1/customers/cus_nope", body: `{"name":"x"}`},
		{name: "delete unknown customer", method: "DELETE", path: "/v1/customers/cus_nope"},
		// Customer wallets.
		{name: "wallet without customer", method: "POST", path: "/v1/wallets", body: `{"currency":"BTC"}`},
		{name: "wallet sql in customer_id", method: "POST", path: "/v1/wallets", body: `{"customer_id":"1' OR '1'='1","currency":"BTC"}`},
		{name: "wallet of an unknown cus_ id", method: "POST", path: "/v1/wallets", body: `{"customer_id":"cus_aaaaaaaaaaaaaaaaaaaa","currency":"BTC"}`},
		{name: "wallet of an unknown asset", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"DOGE"}`},
		{name: "wallet of an ambiguous currency", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"USDT"}`},
		{name: "wallet on a network of another family", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"BTC","network":"ethereum"}`},
		{name: "wallet label with a NUL", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"BTC","label":"a\u0000b"}`},
		{name: "wallet metadata array", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"BTC","metadata":[1]}`},
		{name: "wallet unknown field", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"BTC","address":"tb1q"}`},
		{name: "wallet list sql in customer_id", method: "GET", path: "/v1/wallets?customer_id=x'%20OR%201=1--"},
		{name: "wallet list unknown currency", method: "GET", path: "/v1/wallets?currency=NOPE"},
		{name: "wallet lookup without customer", method: "GET", path: "/v1/wallets/lookup?currency=BTC"},
		{name: "wallet lookup of nothing", method: "GET", path: "/v1/wallets/lookup?customer_id=u1&currency=BTC"},
		{name: "wallet aggregate without customer", method: "GET", path: "/v1/wallets/balance/aggregated"},
		{name: "wallet sql in path id", method: "GET", path: "/v1/wallets/wal_1'%20OR%20'1'='1"},
		{name: "transactions of an unknown wallet", method: "GET", path: "/v1/wallets/wal_nope/transactions"},
		{name: "deposit check of an unknown wallet", method: "POST", path: "/v1/wallets/wal_nope/deposit", body: `{"tx_hash":"` + strings.Repeat("a", 64) + `"}`},
		{name: "deposit check without tx_hash", method: "POST", path: "/v1/wallets/wal_nope/deposit", body: `{}`},
		{name: "withdraw from an unknown wallet", method: "POST", path: "/v1/wallets/wal_nope/withdraw", body: `{"amount":"1","recipient_address":"tb1qx"}`},
		{name: "withdraw negative", method: "POST", path: "/v1/wallets/wal_nope/withdraw", body: `{"amount":"-1","recipient_address":"tb1qx"}`},
		{name: "withdraw without a recipient", method: "POST", path: "/v1/wallets/wal_nope/withdraw", body: `{"amount":"1"}`},
		// Sub-merchants and scopes.
		{name: "sub-merchant without external_id", method: "POST", path: "/v1/sub-merchants", body: `{"name":"x"}`},
		{name: "sub-merchant without name", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1"}`},
		{name: "sub-merchant sql in external_id", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"1' OR '1'='1","name":"x"}`},
		{name: "sub-merchant javascript logo", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"x","logo_url":"javascript:alert(1)"}`},
		{name: "sub-merchant logo host breaking the CSP", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"x","logo_url":"https://a;script-src *"}`},
		{name: "sub-merchant http logo", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"x","logo_url":"http://cdn.example.com/a.png"}`},
		{name: "sub-merchant settings array", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"x","business_settings":[1]}`},
		{name: "sub-merchant name with a bidi override", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"a\u202eb"}`},
		{name: "sub-merchant unknown field", method: "POST", path: "/v1/sub-merchants", body: `{"external_id":"s1","name":"x","owner":"me"}`},
		{name: "update unknown sub-merchant", method: "PUT", path: "/v1/sub-merchants/sm_aaaaaaaaaaaaaaaaaaaa", body: `{"active":false}`},
		{name: "sub-merchant sql in path id", method: "GET", path: "/v1/sub-merchants/sm_1'%20OR%20'1'='1"},
		{name: "sub-merchant list bad active", method: "GET", path: "/v1/sub-merchants?active=maybe"},
		{name: "invoice of an unknown sub-merchant", method: "POST", path: "/v1/invoices", body: inv(`"sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"`)},
		{name: "invoice of a malformed sub-merchant", method: "POST", path: "/v1/invoices", body: inv(`"sub_merchant_id":"' OR 1=1"`)},
		{name: "payout of an unknown sub-merchant", method: "POST", path: "/v1/payouts", body: po(`"amount":"0.001","destination_address":"tb1qx","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"`)},
		{name: "mass payout naming a sub-merchant per destination", method: "POST", path: "/v1/payouts/mass", body: `{"destinations":[{"amount":"0.001","currency":"BTC","destination_address":"tb1qx","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"}]}`},
		{name: "wallet of an unknown sub-merchant", method: "POST", path: "/v1/wallets", body: `{"customer_id":"u1","currency":"BTC","sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"}`},
		{name: "endpoint of an unknown sub-merchant", method: "POST", path: "/v1/webhook-endpoints", body: `{"url":"https://example.com/h","events":["*"],"sub_merchant_id":"sm_aaaaaaaaaaaaaaaaaaaa"}`},
		{name: "balance of an unknown sub-merchant", method: "GET", path: "/v1/balance?sub_merchant_id=sm_aaaaaaaaaaaaaaaaaaaa"},
		// Identifiers that are not there.
		{name: "test-pay unknown invoice", method: "POST", path: "/v1/test/invoices/inv_doesnotexist/pay", body: `{"currency":"BTC","amount":"1"}`},
		{name: "verify unknown payout", method: "POST", path: "/v1/payouts/po_nope/verify", body: `{"otp_code":"' OR 1=1"}`},
		{name: "cancel unknown invoice", method: "POST", path: "/v1/invoices/inv_nope/cancel"},
		// Refunds.
		{name: "refund negative", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_x","amount":"-5"}`},
		{name: "refund zero", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_x","amount":"0"}`},
		{name: "refund huge", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_x","amount":"1e40"}`},
		{name: "refund unknown invoice", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_nope","amount":"5"}`},
		{name: "refund sql in invoice_id", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_1' OR '1'='1"}`},
		{name: "refund bad rate", method: "POST", path: "/v1/refunds", body: `{"invoice_id":"inv_x","rate":"yesterday"}`},
		{name: "refund without invoice", method: "POST", path: "/v1/refunds", body: `{"amount":"5"}`},
		{name: "cancel unknown refund", method: "POST", path: "/v1/refunds/re_nope/cancel"},
		{name: "claim page of a guessed token", method: "GET", path: "/refunds/AAAAAAAAAAAAAAAAAAAAAA"},
		{name: "claim with a guessed token", method: "POST", path: "/refunds/AAAAAAAAAAAAAAAAAAAAAA", body: "address=x",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "idempotency key too long", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"ik"`), header: map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}},
		// Authentication.
		{name: "no key", method: "GET", path: "/v1/invoices", unsigned: true, header: map[string]string{"Authorization": ""}},
		{name: "sql as key", method: "GET", path: "/v1/invoices", unsigned: true, header: map[string]string{"Authorization": "Bearer ' OR 1=1 --"}},
		{name: "bad basic", method: "GET", path: "/v1/invoices", unsigned: true, header: map[string]string{"Authorization": "Basic %%%"}},
		{name: "unsigned POST", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"u"`), unsigned: true},
		{name: "signature from 1970", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"s"`), unsigned: true, header: map[string]string{"X-Kassa-Timestamp": "1", "X-Kassa-Signature": "00"}},
		{name: "timestamp overflow", method: "POST", path: "/v1/invoices", body: inv(`"order_id":"s2"`), unsigned: true, header: map[string]string{"X-Kassa-Timestamp": "99999999999999999999999", "X-Kassa-Signature": "zz"}},
		{name: "wrong method", method: "DELETE", path: "/v1/invoices"},
		{name: "2 MiB header", method: "GET", path: "/v1/invoices", header: map[string]string{"X-Junk": strings.Repeat("j", 2<<20)}},
	}
}

// hostile sends every hostile request to base with key, and checks each is refused
// with a 4xx and that state (as the digest function sees it) did not change.
func hostile(ctx context.Context, base, key string, guarded bool, digest func() (string, error)) (int, error) {
	before, err := digest()
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	var problems []string
	reqs := slices.DeleteFunc(hostileRequests(), func(h hostileRequest) bool { return h.guarded && !guarded })
	for i, h := range reqs {
		req, err := http.NewRequestWithContext(ctx, h.method, base+h.path, strings.NewReader(h.body))
		if err != nil {
			return 0, fmt.Errorf("%s: %v", h.name, err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if h.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if !h.unsigned && h.method != "GET" {
			ts := strconv.FormatInt(time.Now().UnixMilli()+int64(i), 10)
			req.Header.Set("X-Kassa-Timestamp", ts)
			req.Header.Set("X-Kassa-Signature", httphandler.Sign(key, ts, h.method, req.URL.RequestURI(), []byte(h.body)))
		}
		for k, v := range h.header {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		res, err := hc.Do(req)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: no answer: %v", h.name, err))
			continue
		}
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			problems = append(problems, fmt.Sprintf("%s: %d %s", h.name, res.StatusCode, bytes.TrimSpace(raw)))
		}
	}
	after, err := digest()
	if err != nil {
		return 0, err
	}
	if after != before {
		problems = append(problems, fmt.Sprintf("state changed:\n    before %s\n    after  %s", before, after))
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("hostile requests:\n  %s", strings.Join(problems, "\n  "))
	}
	return len(reqs), nil
}
