package httphandler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
)

// boundAllowed are the operations a key bound to a sub-merchant may call: the test's
// own copy of the handler's allowlist, so a route added to either alone fails here.
var boundAllowed = []string{
	"GET /v1/currencies", "GET /v1/currencies/pairs", "GET /v1/wallets/supported",
	"POST /v1/invoices", "GET /v1/invoices", "GET /v1/invoices/{id}", "POST /v1/invoices/{id}/verify",
	"POST /v1/invoices/{id}/cancel", "POST /v1/invoices/{id}/refresh", "GET /v1/invoices/{id}/transactions",
	"GET /v1/invoices/{id}/rebounds", "GET /v1/invoices/{id}/refunds",
	"POST /v1/checkout/sessions", "GET /v1/checkout/sessions", "GET /v1/checkout/sessions/{id}", "POST /v1/checkout/sessions/{id}/verify",
	"POST /v1/payments", "GET /v1/payments", "GET /v1/payments/{id}", "POST /v1/payments/{id}/verify", "POST /v1/payments/{id}/cancel",
	"GET /v1/balance",
	"POST /v1/payouts", "POST /v1/payouts/mass", "GET /v1/payouts", "GET /v1/payouts/{id}", "POST /v1/payouts/{id}/verify",
	"POST /v1/payouts/{id}/signature", "POST /v1/payouts/{id}/cancel", "POST /v1/payouts/{id}/bump",
	"POST /v1/refunds", "GET /v1/refunds", "GET /v1/refunds/{id}", "POST /v1/refunds/{id}/cancel",
	"GET /v1/withdrawals/min-amount", "GET /v1/withdrawals/fee-estimate",
	"GET /v1/prices/estimate", "POST /v1/conversions", "GET /v1/conversions", "GET /v1/conversions/{id}",
	"POST /v1/wallets", "GET /v1/wallets", "GET /v1/wallets/lookup", "GET /v1/wallets/balance/aggregated", "GET /v1/wallets/{id}",
	"GET /v1/wallets/{id}/transactions", "POST /v1/wallets/{id}/deposit", "POST /v1/wallets/{id}/withdraw",
	"POST /v1/webhook-endpoints", "GET /v1/webhook-endpoints", "GET /v1/webhook-endpoints/{id}", "PUT /v1/webhook-endpoints/{id}",
	"DELETE /v1/webhook-endpoints/{id}", "POST /v1/webhook-endpoints/{id}/ping", "POST /v1/webhook-endpoints/{id}/rotate-secret",
	"GET /v1/events", "GET /v1/events/{id}",
	"POST /v1/test/invoices/{id}/pay",
	"GET /v1/sub-merchants/{id}",
	"POST /v1/products", "GET /v1/products", "GET /v1/products/{id}", "PUT /v1/products/{id}",
	"POST /v1/subscriptions", "GET /v1/subscriptions", "GET /v1/subscriptions/{id}", "GET /v1/subscriptions/{id}/periods",
	"POST /v1/subscriptions/{id}/cancel",
}

// scopedCreates are the creates that take a sub_merchant_id; scopedLists the lists of
// scoped objects.
var (
	scopedCreates = []string{"POST /v1/invoices", "POST /v1/checkout/sessions", "POST /v1/payments", "POST /v1/payouts",
		"POST /v1/payouts/mass", "POST /v1/wallets", "POST /v1/webhook-endpoints", "POST /v1/products", "POST /v1/subscriptions",
		"POST /v1/conversions"}
	scopedLists = []string{"GET /v1/invoices", "GET /v1/checkout/sessions", "GET /v1/payments", "GET /v1/payouts", "GET /v1/refunds",
		"GET /v1/wallets", "GET /v1/webhook-endpoints", "GET /v1/events", "GET /v1/products", "GET /v1/subscriptions", "GET /v1/conversions"}
)

// scopeObjects are one scope's objects, by kind.
type scopeObjects map[string]string

// makeScope creates, with key (bound to a sub-merchant, or the operator's), one object
// of every kind in its scope: an invoice paid and confirmed (its money is the
// scope's balance), a checkout session, a payment, a payout and a refund from that
// balance, a customer wallet, a webhook endpoint, and takes one of its events.
func makeScope(t *testing.T, a *api, key, sub string) scopeObjects {
	t.Helper()
	saved := a.key
	a.key = key
	defer func() { a.key = saved }()
	o := scopeObjects{}
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.01", "currency": "BTC"}, nil)
	want(t, inv, 201, "")
	o["invoice"] = inv.data()["id"].(string)
	if got := inv.data()["sub_merchant_id"]; got != sub {
		t.Fatalf("invoice made by a key of scope %q is in %v", sub, got)
	}
	want(t, a.do("POST", "/v1/test/invoices/"+o["invoice"]+"/pay", map[string]any{"currency": "BTC", "amount": "0.01", "confirmations": 1}, nil), 200, "")
	ses := a.do("POST", "/v1/checkout/sessions", map[string]any{"amount": "10", "currency": "USD", "product_name": "Tee"}, nil)
	want(t, ses, 201, "")
	o["session"] = ses.data()["id"].(string)
	pay := a.do("POST", "/v1/payments", map[string]any{"amount": "10", "fiat_currency": "EUR"}, nil)
	want(t, pay, 201, "")
	o["payment"] = pay.data()["payment_id"].(string)
	po := a.do("POST", "/v1/payouts", map[string]any{"amount": "0.001", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 3)}, nil)
	if po.code != 201 {
		t.Fatalf("payout in scope %q: %s", sub, po.raw)
	}
	o["payout"] = po.data()["payout_id"].(string)
	if got := po.data()["sub_merchant_id"]; got != sub {
		t.Fatalf("payout made by a key of scope %q is in %v", sub, got)
	}
	re := a.do("POST", "/v1/refunds", map[string]any{"invoice_id": o["invoice"], "amount": "0.001"}, nil)
	want(t, re, 201, "")
	o["refund"] = re.data()["id"].(string)
	cv := a.do("POST", "/v1/conversions", map[string]any{"from_currency": "BTC", "to_currency": "USDT_TRON", "amount": "0.001"}, nil)
	want(t, cv, 201, "")
	o["conversion"] = cv.data()["conversion_id"].(string)
	if got := cv.data()["sub_merchant_id"]; got != sub || cv.data()["status"] != "completed" {
		t.Fatalf("conversion made by a key of scope %q: %s", sub, cv.raw)
	}
	wal := a.do("POST", "/v1/wallets", map[string]any{"customer_id": "user-1", "currency": "BTC"}, nil)
	want(t, wal, 201, "")
	o["wallet"] = wal.data()["wallet_id"].(string)
	ep := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hooks", "events": []string{"*"}}, nil)
	want(t, ep, 201, "")
	o["endpoint"] = ep.data()["id"].(string)
	prod := a.do("POST", "/v1/products", map[string]any{"name": "Box", "pricing_plans": []any{map[string]any{"amount": "0.001", "currency": "BTC", "interval": "month"}}}, nil)
	want(t, prod, 201, "")
	o["product"] = prod.data()["id"].(string)
	plan := prod.data()["pricing_plans"].([]any)[0].(map[string]any)["id"].(string)
	if got := prod.data()["sub_merchant_id"]; got != sub {
		t.Fatalf("product made by a key of scope %q is in %v", sub, got)
	}
	subn := a.do("POST", "/v1/subscriptions", map[string]any{"customer_id": "user-1", "plan_id": plan}, nil)
	want(t, subn, 201, "")
	o["subscription"] = subn.data()["id"].(string)
	if inv := a.do("GET", "/v1/invoices/"+subn.data()["latest_invoice_id"].(string), nil, nil); inv.code != 200 || inv.data()["sub_merchant_id"] != sub {
		t.Fatalf("the first invoice of a subscription of scope %q: %s", sub, inv.raw)
	}
	o["sub"] = sub
	evs := a.do("GET", "/v1/events?limit=1", nil, nil)
	want(t, evs, 200, "")
	list := evs.body["data"].([]any)
	if len(list) == 0 {
		t.Fatalf("scope %q has no events", sub)
	}
	o["event"] = list[0].(map[string]any)["id"].(string)
	return o
}

// kindOf is the kind of object an operation's path names with {id}.
func kindOf(path string) string {
	for prefix, kind := range map[string]string{"/v1/invoices/": "invoice", "/v1/test/invoices/": "invoice", "/v1/checkout/sessions/": "session",
		"/v1/payments/": "payment", "/v1/payouts/": "payout", "/v1/refunds/": "refund", "/v1/wallets/": "wallet",
		"/v1/webhook-endpoints/": "endpoint", "/v1/events/": "event", "/v1/sub-merchants/": "sub", "/v1/products/": "product",
		"/v1/subscriptions/": "subscription", "/v1/conversions/": "conversion"} {
		if strings.HasPrefix(path, prefix) {
			return kind
		}
	}
	return ""
}

// TestScope_ABoundKeySeesAndTouchesOnlyItsOwn is the isolation table of every
// operation in the OpenAPI document, for a key bound to sub-merchant A, with objects
// of every kind in three scopes (A's, B's and the operator's), each made through the
// API by a key of its scope:
//   - an operation outside the allowlist is 403 forbidden;
//   - an operation on one object ({id}) answers 404 for B's and the operator's
//     objects, exactly as for an unknown id, and never 404 or 403 for A's;
//   - a create naming B is 404; a list holds only A's objects, whatever its query says;
//   - afterwards B's and the operator's objects are as they were (nothing touched),
//     and A's, B's and the operator's balances are each their own.
func TestScope_ABoundKeySeesAndTouchesOnlyItsOwn(t *testing.T) {
	a := newAPI(t, httphandler.Options{RateLimit: 1_000_000, Burst: 1_000_000})
	ctx := context.Background()
	subs := a.env.Gateway.SubMerchants()
	smA, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-a", Name: "Ada's Teas"})
	if err != nil {
		t.Fatal(err)
	}
	smB, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-b", Name: "Bob's Beans"})
	if err != nil {
		t.Fatal(err)
	}
	keyA := a.newKey(apikey.CreateParams{Mode: asset.Test, SubMerchantID: smA.ID})
	keyB := a.newKey(apikey.CreateParams{Mode: asset.Test, SubMerchantID: smB.ID})
	if _, err := a.env.Gateway.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test, SubMerchantID: "sm_aaaaaaaaaaaaaaaaaaaa"}); err == nil {
		t.Fatal("a key bound to an unknown sub-merchant was made")
	}
	own := map[string]scopeObjects{
		"A":        makeScope(t, a, keyA, smA.ID),
		"B":        makeScope(t, a, keyB, smB.ID),
		"operator": makeScope(t, a, a.key, ""),
	}
	// What B's and the operator's objects look like before A's key tries them.
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, scope := range []string{"B", "operator"} {
			for kind, path := range map[string]string{"invoice": "/v1/invoices/", "payout": "/v1/payouts/", "refund": "/v1/refunds/",
				"wallet": "/v1/wallets/", "endpoint": "/v1/webhook-endpoints/", "session": "/v1/checkout/sessions/", "payment": "/v1/payments/",
				"product": "/v1/products/", "subscription": "/v1/subscriptions/", "conversion": "/v1/conversions/"} {
				r := a.do("GET", path+own[scope][kind], nil, nil)
				want(t, r, 200, "")
				d := r.data()
				delete(d, "balance_usd") // rates move nothing here, but a valuation is not state
				b, _ := json.Marshal(d)
				out[scope+" "+kind] = string(b)
			}
		}
		return out
	}
	before := snapshot()

	doc := a.do("GET", "/openapi.json", nil, nil)
	paths := doc.body["paths"].(map[string]any)
	var ops []string
	for p, item := range paths {
		if !strings.HasPrefix(p, "/v1/") {
			continue
		}
		for m := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(m)+" "+p)
		}
	}
	// Deletes last: A deletes its own endpoint, which later rows still use.
	sort.Slice(ops, func(i, j int) bool {
		di, dj := strings.HasPrefix(ops[i], "DELETE "), strings.HasPrefix(ops[j], "DELETE ")
		if di != dj {
			return dj
		}
		return ops[i] < ops[j]
	})
	a.key = keyA
	rows := 0
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		allowed := slices.Contains(boundAllowed, op)
		body := map[string]any{}
		if !strings.Contains(path, "{") {
			r := a.do(method, path, body, nil)
			rows++
			switch {
			case !allowed:
				if r.code != http.StatusForbidden || r.errCode() != "forbidden" {
					t.Errorf("%s with A's key: %d %s, want 403 forbidden", op, r.code, r.raw)
				}
			case method == "POST" && slices.Contains(scopedCreates, op):
				// A create naming B is not found; what the body lacks is the create's own business.
				body["sub_merchant_id"] = smB.ID
				if r := a.do(method, path, body, nil); r.code != http.StatusNotFound {
					t.Errorf("%s naming B with A's key: %d %s, want 404", op, r.code, r.raw)
				}
			case method == "GET" && slices.Contains(scopedLists, op):
				for _, q := range []string{"", "?sub_merchant_id=" + smB.ID, "?sub_merchant_id="} {
					r := a.do(method, path+q, nil, nil)
					items, isList := r.body["data"].([]any)
					if r.code != http.StatusOK || !isList || len(items) == 0 {
						t.Errorf("%s%s with A's key: %d %s, want a list of A's", op, q, r.code, r.raw)
					}
					if r.code == http.StatusOK && isList {
						for _, it := range items {
							if m, ok := it.(map[string]any); ok {
								if got, has := m["sub_merchant_id"]; !has || got != smA.ID {
									t.Errorf("%s%s with A's key lists an object of scope %v: %v", op, q, got, m["id"])
								}
							}
						}
					}
				}
			}
			continue
		}
		kind := kindOf(path)
		if kind == "" && allowed {
			t.Fatalf("%s: the test does not know what its path names", op)
		}
		for _, scope := range []string{"A", "B", "operator"} {
			id := own[scope][kind]
			if kind == "sub" {
				id = map[string]string{"A": smA.ID, "B": smB.ID, "operator": "sm_aaaaaaaaaaaaaaaaaaaa"}[scope]
			}
			if kind == "" {
				id = "x"
			}
			target := strings.NewReplacer("{id}", id, "{txid}", strings.Repeat("ab", 32)).Replace(path)
			r := a.do(method, target, body, nil)
			rows++
			switch {
			case !allowed:
				if r.code != http.StatusForbidden {
					t.Errorf("%s on %s's object with A's key: %d, want 403", op, scope, r.code)
				}
			case scope == "A":
				if r.code == http.StatusNotFound || r.code == http.StatusForbidden || r.code >= 500 {
					t.Errorf("%s on A's own %s with A's key: %d %s", op, kind, r.code, r.raw)
				}
			default:
				if r.code != http.StatusNotFound || r.errCode() != "not_found" {
					t.Errorf("%s on %s's %s with A's key: %d %s, want 404 not_found", op, scope, kind, r.code, r.raw)
				}
			}
		}
	}
	if rows < 140 {
		t.Fatalf("only %d rows: the table does not cover the API", rows)
	}
	a.key = operatorKey(t, a)
	after := snapshot()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed while A's key tried it:\n%s\n%s", k, v, after[k])
		}
	}
	// Each scope's balance is its own: each got 0.01 BTC and paid 0.001 out and a
	// refund of 0.001 (with fees); the operator's own balance does not hold A's or B's.
	for _, c := range []struct{ q, scope string }{{"?sub_merchant_id=" + smA.ID, "A"}, {"?sub_merchant_id=" + smB.ID, "B"}, {"", "operator"}} {
		r := a.do("GET", "/v1/balance"+c.q, nil, nil)
		want(t, r, 200, "")
		btc := r.data()["balances"].(map[string]any)["BTC"].(map[string]any)
		if av := btc["available"].(string); !strings.HasPrefix(av, "0.00") || av == "0" {
			t.Errorf("%s's BTC available %s: want what is left of its own 0.01", c.scope, av)
		}
	}
	a.key = keyA
	if r := a.do("GET", "/v1/balance?sub_merchant_id="+smB.ID, nil, nil); r.code != http.StatusNotFound {
		t.Errorf("A's key asking B's balance: %d, want 404", r.code)
	}
	if r := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/all", "events": []string{"*"}, "sub_merchant_id": "*"}, nil); r.code != http.StatusNotFound {
		t.Errorf("A's key making an endpoint of every scope: %d, want 404", r.code)
	}

	// The platform's endpoint of every scope gets A's events too; A's key sees only
	// its own endpoints' deliveries of them, the operator's key sees all.
	a.key = operatorKey(t, a)
	all := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/all", "events": []string{"*"}, "sub_merchant_id": "*"}, nil)
	want(t, all, 201, "")
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "1", "currency": "USD", "sub_merchant_id": smA.ID}, nil)
	want(t, inv, 201, "")
	a.env.Sync()
	evs := a.do("GET", "/v1/events?sub_merchant_id="+smA.ID+"&limit=1", nil, nil)
	evID := evs.body["data"].([]any)[0].(map[string]any)["id"].(string)
	targets := func(r resp) []string {
		var out []string
		for _, d := range r.data()["deliveries"].([]any) {
			out = append(out, d.(map[string]any)["endpoint_id"].(string))
		}
		return out
	}
	if got := targets(a.do("GET", "/v1/events/"+evID, nil, nil)); !slices.Contains(got, all.data()["id"].(string)) {
		t.Fatalf("the operator sees deliveries %v of A's event, want the endpoint of every scope among them", got)
	}
	a.key = keyA
	if got := targets(a.do("GET", "/v1/events/"+evID, nil, nil)); slices.Contains(got, all.data()["id"].(string)) {
		t.Errorf("A's key sees the delivery of its event to the platform's endpoint: %v", got)
	}
}

// operatorKey makes a new operator's key for a.
func operatorKey(t *testing.T, a *api) string {
	t.Helper()
	return a.newKey(apikey.CreateParams{Mode: asset.Test})
}

// TestCheckout_ASubMerchantsPageShowsItsNameAndLogo: the checkout page of a
// sub-merchant's invoice shows its name and logo (its logo's origin alone joins the
// page's img-src), not the operator's; the operator's own invoice shows the
// operator's store; a sub-merchant without a logo shows none.
func TestCheckout_ASubMerchantsPageShowsItsNameAndLogo(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: "The Platform"})
	ctx := context.Background()
	subs := a.env.Gateway.SubMerchants()
	withLogo, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-a", Name: "Ada's Teas",
		LogoURL: "https://cdn.example.com/logos/ada.png?v=2"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-b", Name: "Bob <Beans>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sub, store, logo, imgSrc string
	}{
		{withLogo.ID, "Ada&#39;s Teas", `src="https://cdn.example.com/logos/ada.png?v=2"`, "img-src 'self' data: https://cdn.example.com;"},
		{plain.ID, "Bob &lt;Beans&gt;", "", "img-src 'self' data:;"},
		{"", "The Platform", "", "img-src 'self' data:;"},
	} {
		inv, err := a.env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", SubMerchantID: c.sub})
		if err != nil {
			t.Fatal(err)
		}
		code, hdr, page := a.page("/checkout/"+inv.ID, "en")
		if code != http.StatusOK || !strings.Contains(page, `<p class="store" id="store">`+c.store+`</p>`) {
			t.Errorf("scope %q: %d, store %q not shown", c.sub, code, c.store)
		}
		if c.logo != "" && !strings.Contains(page, c.logo) || c.logo == "" && strings.Contains(page, `id="logo"`) {
			t.Errorf("scope %q: logo %q, page has logo: %v", c.sub, c.logo, strings.Contains(page, `id="logo"`))
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, c.imgSrc) || strings.Contains(csp, "unsafe") {
			t.Errorf("scope %q: CSP %q, want %q", c.sub, csp, c.imgSrc)
		}
		if c.sub != "" && strings.Contains(page, "The Platform") {
			t.Errorf("scope %q: the operator's store name is on a sub-merchant's page", c.sub)
		}
	}
	// The refund claim page of a sub-merchant's invoice is its page too.
	paid := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", SubMerchantID: withLogo.ID})
	a.env.PayInFull(paid, "BTC")
	a.env.Confirm(paid, "BTC")
	rf, err := a.env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: paid.ID, Amount: kassatest.Dec("0.005")})
	if err != nil || rf.ClaimPath == "" {
		t.Fatalf("refund: %+v %v", rf, err)
	}
	code, hdr, page := a.page(rf.ClaimPath, "en")
	if code != http.StatusOK || !strings.Contains(page, "Ada&#39;s Teas") || !strings.Contains(page, "https://cdn.example.com/logos/ada.png?v=2") ||
		strings.Contains(page, "The Platform") || !strings.Contains(hdr.Get("Content-Security-Policy"), "https://cdn.example.com") {
		t.Errorf("the sub-merchant's refund claim page: %d, CSP %q", code, hdr.Get("Content-Security-Policy"))
	}
}

// TestBrowser_ASubMerchantsCheckoutPage: in Chromium at phone and desktop widths, the
// checkout page of a sub-merchant's invoice shows its name and loads its logo from
// its own https origin (the page's Content-Security-Policy lets that origin's image
// in: the image has a size), and the page still fits (no sideways scroll, the
// countdown above the fold).
func TestBrowser_ASubMerchantsCheckoutPage(t *testing.T) {
	logo := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#2a6"/></svg>`))
	}))
	defer logo.Close()
	for _, size := range [][2]int{{375, 812}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ctx := browser(t, size[0], size[1])
			a := newAPI(t, httphandler.Options{StoreName: "The Platform"})
			sm, err := a.env.Gateway.SubMerchants().Create(context.Background(), asset.Test, submerchant.CreateParams{ExternalID: "seller-a",
				Name: "Ada's Teas", LogoURL: logo.URL + "/ada.svg"})
			if err != nil {
				t.Fatal(err)
			}
			inv, err := a.env.Gateway.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.001"),
				Currency: "BTC", SubMerchantID: sm.ID})
			if err != nil {
				t.Fatal(err)
			}
			var store string
			var logoWidth int
			var fits, fold bool
			if err := chromedp.Run(ctx,
				chromedp.Navigate(a.srv.URL+"/pay/checkout/"+inv.ID),
				chromedp.WaitVisible("#address", chromedp.ByID),
				chromedp.Text("#store", &store, chromedp.ByID),
				chromedp.Poll(`(() => { const i = document.getElementById("logo"); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0 })()`,
					&logoWidth, chromedp.WithPollingTimeout(10*time.Second)),
				chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
				chromedp.Evaluate(`document.getElementById("countdown").getBoundingClientRect().bottom <= window.innerHeight`, &fold),
			); err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(store, "Ada's Teas") { // shown in capitals by the stylesheet
				t.Errorf("store %q", store)
			}
			if logoWidth != 120 {
				t.Errorf("the logo loaded %d px wide, want 120", logoWidth)
			}
			if !fits || !fold {
				t.Errorf("fits %v, countdown above the fold %v", fits, fold)
			}
		})
	}
}
