package httphandler_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// docCheck validates answers against the OpenAPI document the handler serves: every
// request the package's tests send through api.do is checked (see exec), so the
// document is held to every answer those tests see, errors included.
type docCheck struct {
	once  sync.Once
	err   error
	doc   map[string]any
	c     *jsonschema.Compiler
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
	// seen records the documented answers that were met: "POST /v1/invoices 201".
	seen map[string]bool
}

var theDoc docCheck

// load reads the document from a handler once.
func (d *docCheck) load(h http.Handler) error {
	d.once.Do(func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			d.err = err
			return
		}
		d.doc = v.(map[string]any)
		d.c = jsonschema.NewCompiler()
		d.c.DefaultDraft(jsonschema.Draft2020)
		d.c.AssertFormat()
		if d.err = d.c.AddResource("kassa.json", v); d.err != nil {
			return
		}
		d.cache, d.seen = map[string]*jsonschema.Schema{}, map[string]bool{}
	})
	return d.err
}

// template returns the document's path that matches path ("/v1/invoices/inv_1" ->
// "/v1/invoices/{id}"), preferring literal segments.
func (d *docCheck) template(path string) string {
	segs := strings.Split(path, "/")
	best, bestLiteral := "", -1
	for tmpl := range d.doc["paths"].(map[string]any) {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		literal, ok := 0, true
		for i := range ts {
			switch {
			case strings.HasPrefix(ts[i], "{"):
				ok = ok && segs[i] != ""
			case ts[i] == segs[i]:
				literal++
			default:
				ok = false
			}
		}
		if ok && literal > bestLiteral {
			best, bestLiteral = tmpl, literal
		}
	}
	return best
}

// check validates one answer: its status must be documented for the operation, and a
// JSON answer must match the documented schema.
func (d *docCheck) check(method, path string, status int, contentType string, body []byte) error {
	tmpl := d.template(path)
	if tmpl == "" {
		if status == http.StatusNotFound {
			return nil // no such route: the router's 404
		}
		return fmt.Errorf("%s %s: no documented path", method, path)
	}
	op, ok := d.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		if status == http.StatusMethodNotAllowed || status == http.StatusNotFound {
			return nil
		}
		return fmt.Errorf("%s %s: no documented operation", method, tmpl)
	}
	code := strconv.Itoa(status)
	r, ok := op["responses"].(map[string]any)[code].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented: %s", method, tmpl, status, body)
	}
	d.mu.Lock()
	d.seen[method+" "+tmpl+" "+code] = true
	d.mu.Unlock()
	if !strings.HasPrefix(contentType, "application/json") || tmpl == "/openapi.json" {
		return nil
	}
	var loc string
	if ref, ok := r["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		loc = "kassa.json#/components/responses/" + name + "/content/application~1json/schema"
	} else {
		loc = "kassa.json#/paths/" + strings.ReplaceAll(strings.ReplaceAll(tmpl, "~", "~0"), "/", "~1") + "/" +
			strings.ToLower(method) + "/responses/" + code + "/content/application~1json/schema"
	}
	d.mu.Lock()
	sch, ok := d.cache[loc]
	if !ok {
		var err error
		if sch, err = d.c.Compile(loc); err != nil {
			d.mu.Unlock()
			return fmt.Errorf("%s %s %d: the document's schema does not compile: %v", method, tmpl, status, err)
		}
		d.cache[loc] = sch
	}
	d.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s %d: the answer is not JSON: %v", method, tmpl, status, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s %s %d: the answer does not match the document: %v\n%s", method, tmpl, status, err, body)
	}
	return nil
}

// checkAnswer is exec's hook: it validates res (read into body) against the document,
// as the answer to res.Request (the last request, after any redirect).
func (a *api) checkAnswer(res *http.Response, body []byte) {
	a.t.Helper()
	h := a.h.Load()
	if h == nil {
		return
	}
	if err := theDoc.load(h); err != nil {
		a.t.Fatalf("the OpenAPI document: %v", err)
	}
	req := res.Request
	u, _ := url.Parse(req.URL.String())
	path := strings.TrimPrefix(u.Path, "/pay")
	if err := theDoc.check(req.Method, path, res.StatusCode, res.Header.Get("Content-Type"), body); err != nil {
		a.t.Error(err)
	}
}

// TestOpenAPI_EveryOperationAnswersAsDocumented runs every operation of the document
// to a success answer (a whole test-mode flow) and checks each answer against its
// schema, then that no documented operation was left out.
func TestOpenAPI_EveryOperationAnswersAsDocumented(t *testing.T) {
	a := newAPI(t, httphandler.Options{RateLimit: 1_000_000, Burst: 1_000_000}, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("100")}))
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "25.00", "currency": "USD", "order_id": "ORD-1",
		"metadata": map[string]any{"cart": 7}}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	// Each method says who priced it: the fixed test rates, or par for a stablecoin.
	sources := map[string]any{}
	for _, m := range inv.data()["payment_methods"].([]any) {
		mm := m.(map[string]any)
		sources[mm["code"].(string)] = mm["rate_source"]
	}
	if sources["BTC"] != "fixed+par" || sources["USDT_TRON"] != "par" { // BTC in USD: the fixed BTC price, over USD at par
		t.Fatalf("rate sources %v", sources)
	}
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "25.00", "currency": "USD", "order_id": "ORD-1",
		"metadata": map[string]any{"cart": 7}}, nil), 200, "") // the same order again
	want(t, a.do("GET", "/v1/currencies", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/currencies/pairs", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/wallets/supported", nil, nil), 200, "")
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "25", "confirmations": 19}, nil), 200, "")
	want(t, a.do("GET", "/v1/invoices?status=paid&limit=5", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/invoices/"+id, nil, nil), 200, "")
	txs := a.do("GET", "/v1/invoices/"+id+"/transactions", nil, nil)
	want(t, txs, 200, "")
	txid := txs.body["data"].([]any)[0].(map[string]any)["txid"].(string)
	want(t, a.do("GET", "/v1/transactions?currency=USDT_TRON", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/transactions/"+txid, nil, nil), 200, "")
	other := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USD"}, nil)
	want(t, a.do("POST", "/v1/invoices/"+other.data()["id"].(string)+"/cancel", nil, nil), 200, "")
	if r := a.do("POST", "/v1/invoices/"+id+"/verify", map[string]any{"currency": "BTC"}, nil); r.code != 200 || r.data()["status"] != "paid" {
		t.Fatalf("verify a paid invoice: %d %s", r.code, r.raw)
	}
	want(t, a.do("POST", "/v1/invoices/"+other.data()["id"].(string)+"/verify", map[string]any{}, nil), 409, "invalid_state") // cancelled
	short := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USD", "lifetime": 300}, nil)
	want(t, a.do("POST", "/v1/invoices/"+short.data()["id"].(string)+"/refresh", nil, nil), 409, "invalid_state") // not expired yet
	a.env.Advance(6 * time.Minute)
	if r := a.do("POST", "/v1/invoices/"+short.data()["id"].(string)+"/refresh", nil, nil); r.code != 200 || r.data()["status"] != "pending" {
		t.Fatalf("refresh: %d %s", r.code, r.raw)
	}

	ses := a.do("POST", "/v1/checkout/sessions", map[string]any{"amount": "10", "currency": "USD", "product_name": "Tee", "order_id": "S-1"}, nil)
	want(t, ses, 201, "")
	want(t, a.do("POST", "/v1/checkout/sessions", map[string]any{"amount": "10", "currency": "USD", "product_name": "Tee", "order_id": "S-1"}, nil), 200, "")
	sid := ses.data()["id"].(string)
	want(t, a.do("GET", "/v1/checkout/sessions/"+sid, nil, nil), 200, "")
	if l := a.do("GET", "/v1/checkout/sessions?limit=10", nil, nil); l.code != 200 || len(l.body["data"].([]any)) != 1 {
		t.Fatalf("list sessions: %d %s", l.code, l.raw)
	}
	want(t, a.do("POST", "/v1/checkout/sessions/"+sid+"/verify", map[string]any{"currency": "NOPE"}, nil), 422, "unsupported_asset")
	if claims := a.env.Invoice(sid).Claims; len(claims) != 0 {
		t.Fatalf("a refused verify recorded a claim: %+v", claims)
	}
	want(t, a.do("POST", "/v1/checkout/sessions/"+sid+"/verify", map[string]any{}, nil), 200, "")
	if claims := a.env.Invoice(sid).Claims; len(claims) != 1 {
		t.Fatalf("verify recorded %d claims", len(claims))
	}
	pay := a.do("POST", "/v1/payments", map[string]any{"amount": "10", "fiat_currency": "EUR", "order_id": "P-1"}, nil)
	want(t, pay, 201, "")
	want(t, a.do("POST", "/v1/payments", map[string]any{"amount": "10", "fiat_currency": "EUR", "order_id": "P-1"}, nil), 200, "")
	want(t, a.do("GET", "/v1/payments", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/payments/"+pay.data()["payment_id"].(string), nil, nil), 200, "")
	want(t, a.do("POST", "/v1/payments/"+pay.data()["payment_id"].(string)+"/verify", map[string]any{}, nil), 200, "")
	if r := a.do("POST", "/v1/payments/"+pay.data()["payment_id"].(string)+"/cancel", nil, nil); r.code != 200 || r.data()["status"] != "cancelled" {
		t.Fatalf("cancel a payment: %d %s", r.code, r.raw)
	}
	want(t, a.do("POST", "/v1/payments/"+id+"/cancel", nil, nil), 404, "not_found") // an invoice is not a payment
	want(t, a.do("GET", "/v1/balance", nil, nil), 200, "")

	a.env.Fund("BTC", "1")
	dest := a.env.Recipient("bitcoin", 0)
	po := a.do("POST", "/v1/payouts", map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": dest}, nil)
	want(t, po, 201, "")
	poID := po.data()["payout_id"].(string)
	want(t, a.do("POST", "/v1/payouts/"+poID+"/verify", map[string]any{"otp_code": a.env.Code(poID)}, nil), 200, "")
	want(t, a.do("POST", "/v1/payouts/"+poID+"/bump", nil, nil), 200, "")
	want(t, a.do("POST", "/v1/payouts/mass", map[string]any{"batch_reference": "B-1", "destinations": []any{
		map[string]any{"amount": "0.02", "currency": "BTC", "address": dest}}}, nil), 201, "")
	want(t, a.do("GET", "/v1/payouts?limit=10", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/payouts/"+po.data()["payout_id"].(string), nil, nil), 200, "")
	refunded := a.do("POST", "/v1/invoices", map[string]any{"amount": "1000", "currency": "USD", "accepted_assets": []string{"BTC"}}, nil)
	want(t, refunded, 201, "")
	rid := refunded.data()["id"].(string)
	due := refunded.data()["payment_methods"].([]any)[0].(map[string]any)["amount_due"]
	want(t, a.do("POST", "/v1/test/invoices/"+rid+"/pay", map[string]any{"currency": "BTC", "amount": due, "confirmations": 6}, nil), 200, "")
	re := a.do("POST", "/v1/refunds", map[string]any{"invoice_id": rid, "amount": "100", "destination_address": dest, "reason": "requested_by_customer"}, nil)
	want(t, re, 201, "")
	want(t, a.do("POST", "/v1/refunds", map[string]any{"invoice_id": rid, "amount": "100000"}, nil), 422, "refund_exceeds_payment")
	want(t, a.do("GET", "/v1/refunds/"+re.data()["id"].(string), nil, nil), 200, "")
	want(t, a.do("GET", "/v1/refunds?invoice_id="+rid, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/invoices/"+rid+"/refunds", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/invoices/"+rid+"/rebounds", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/treasury", nil, nil), 200, "")
	waiting := a.do("POST", "/v1/refunds", map[string]any{"invoice_id": rid, "amount": "100"}, nil)
	want(t, waiting, 201, "")
	want(t, a.do("POST", "/v1/refunds/"+waiting.data()["id"].(string)+"/cancel", nil, nil), 200, "")
	claimed := a.do("POST", "/v1/refunds", map[string]any{"invoice_id": rid, "amount": "100"}, nil)
	want(t, claimed, 201, "")
	claimPath := strings.TrimPrefix(claimed.data()["claim_url"].(string), "https://shop.example/pay")
	want(t, a.do("GET", claimPath, nil, nil), 200, "")
	claim, _ := http.NewRequest("POST", a.srv.URL+"/pay"+claimPath, strings.NewReader("address="+url.QueryEscape(a.env.Recipient("bitcoin", 5))))
	claim.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cres, err := noRedirect.Do(claim)
	if err != nil {
		t.Fatal(err)
	}
	cres.Body.Close()
	if err := theDoc.check("POST", claimPath, cres.StatusCode, cres.Header.Get("Content-Type"), nil); err != nil || cres.StatusCode != 303 {
		t.Fatalf("claim: %d %v", cres.StatusCode, err)
	}
	want(t, a.do("GET", "/v1/withdrawals/min-amount?currency=USDT&network=tron", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/withdrawals/fee-estimate?currency=USDT_TRON&amount=5", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/prices/estimate?base_currency=BTC&quote_currency=USDT&amount=0.5", nil, nil), 200, "")
	cv := a.do("POST", "/v1/conversions", map[string]any{"from_currency": "BTC", "to_currency": "USDT_TRON", "amount": "0.01"}, nil)
	want(t, cv, 201, "")
	want(t, a.do("GET", "/v1/conversions?status=completed", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/conversions/"+cv.data()["conversion_id"].(string), nil, nil), 200, "")

	cus := a.do("POST", "/v1/customers", map[string]any{"external_id": "crm-1", "email": "ada@example.com"}, nil)
	want(t, cus, 201, "")
	cid := cus.data()["id"].(string)
	want(t, a.do("GET", "/v1/customers?email=ada@example.com", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/customers/"+cid, nil, nil), 200, "")
	want(t, a.do("PUT", "/v1/customers/"+cid, map[string]any{"name": "Ada"}, nil), 200, "")
	sm := a.do("POST", "/v1/sub-merchants", map[string]any{"external_id": "seller-1", "name": "Ada's Teas", "logo_url": "https://cdn.example.com/ada.png"}, nil)
	want(t, sm, 201, "")
	smID := sm.data()["id"].(string)
	want(t, a.do("POST", "/v1/sub-merchants", map[string]any{"external_id": "seller-1", "name": "Again"}, nil), 409, "conflict")
	want(t, a.do("GET", "/v1/sub-merchants?active=true", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/sub-merchants/"+smID, nil, nil), 200, "")
	want(t, a.do("PUT", "/v1/sub-merchants/"+smID, map[string]any{"support_email": "help@ada.example"}, nil), 200, "")
	want(t, a.do("GET", "/v1/balance?sub_merchant_id="+smID, nil, nil), 200, "")
	wal := a.do("POST", "/v1/wallets", map[string]any{"customer_id": cid, "currency": "BTC", "label": "main"}, nil)
	want(t, wal, 201, "")
	want(t, a.do("POST", "/v1/wallets", map[string]any{"customer_id": cid, "currency": "BTC"}, nil), 200, "") // the same wallet
	walID, waddr := wal.data()["wallet_id"].(string), wal.data()["deposit_address"].(string)
	deposit := a.env.Chain(asset.Bitcoin).Pay(waddr, "BTC", a.env.Units("BTC", "0.01"))
	a.env.Mine(asset.Bitcoin, 1)
	want(t, a.do("GET", "/v1/wallets?customer_id="+cid, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/wallets/lookup?customer_id="+cid+"&currency=BTC", nil, nil), 200, "")
	if r := a.do("GET", "/v1/wallets/balance/aggregated?customer_id="+cid, nil, nil); r.code != 200 || r.data()["total_balance_usd"] != "650.00" {
		t.Fatalf("aggregated: %d %s", r.code, r.raw)
	}
	if r := a.do("GET", "/v1/wallets/"+walID, nil, nil); r.code != 200 || r.data()["balance"] != "0.01" {
		t.Fatalf("wallet: %d %s", r.code, r.raw)
	}
	if r := a.do("POST", "/v1/wallets/"+walID+"/deposit", map[string]any{"tx_hash": deposit}, nil); r.code != 200 || r.data()["found"] != true {
		t.Fatalf("deposit check: %d %s", r.code, r.raw)
	}
	want(t, a.do("POST", "/v1/wallets/"+walID+"/deposit", map[string]any{"tx_hash": deposit}, nil), 429, "rate_limited")
	want(t, a.do("POST", "/v1/wallets/"+walID+"/withdraw", map[string]any{"amount": "1", "recipient_address": a.env.Recipient(asset.Bitcoin, 0)}, nil), 422, "insufficient_funds")
	want(t, a.do("POST", "/v1/wallets/"+walID+"/withdraw", map[string]any{"amount": "0.001", "recipient_address": a.env.Recipient(asset.Bitcoin, 0)}, nil), 201, "")
	if r := a.do("GET", "/v1/wallets/"+walID+"/transactions", nil, nil); r.code != 200 || len(r.body["data"].([]any)) != 2 {
		t.Fatalf("wallet transactions: %d %s", r.code, r.raw)
	}
	prod := a.do("POST", "/v1/products", map[string]any{"name": "Pro", "pricing_plans": []any{map[string]any{"amount": "0.0001", "currency": "BTC", "interval": "month"}}}, nil)
	want(t, prod, 201, "")
	prodID := prod.data()["id"].(string)
	planID := prod.data()["pricing_plans"].([]any)[0].(map[string]any)["id"].(string)
	want(t, a.do("GET", "/v1/products?active=true", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/products/"+prodID, nil, nil), 200, "")
	want(t, a.do("PUT", "/v1/products/"+prodID, map[string]any{"pricing_plans": []any{map[string]any{"amount": "0.001", "currency": "BTC", "interval": "year"}}}, nil), 200, "")
	sub := a.do("POST", "/v1/subscriptions", map[string]any{"customer_id": cid, "plan_id": planID, "collection": "wallet"}, nil)
	want(t, sub, 201, "")
	subID := sub.data()["id"].(string)
	if sub.data()["status"] != "active" || sub.data()["periods_paid"] != float64(1) || sub.data()["subscription_url"] != "https://shop.example/pay/subscriptions/"+subID {
		t.Fatalf("a subscription paid from the wallet: %s", sub.raw) // paid from the wallet's 0.01 at once
	}
	want(t, a.do("GET", "/subscriptions/"+subID, nil, nil), 200, "")
	byInvoice := a.do("POST", "/v1/subscriptions", map[string]any{"customer_id": "ada", "plan_id": planID}, nil)
	want(t, byInvoice, 201, "")
	if inv := a.do("GET", "/v1/invoices/"+byInvoice.data()["latest_invoice_id"].(string), nil, nil); inv.code != 200 ||
		inv.data()["subscription_id"] != byInvoice.data()["id"] || inv.data()["subscription_period"] != float64(0) {
		t.Fatalf("a period's invoice: %s", inv.raw)
	}
	want(t, a.do("PUT", "/v1/products/"+prodID, map[string]any{"pricing_plans": []any{map[string]any{"id": planID, "amount": "0.0002"}}}, nil), 422, "validation_error")
	want(t, a.do("GET", "/v1/subscriptions?customer_id="+cid+"&status=active", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/subscriptions/"+subID, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/subscriptions/"+subID+"/periods", nil, nil), 200, "")
	want(t, a.do("POST", "/v1/subscriptions/"+subID+"/cancel", map[string]any{"at_period_end": true}, nil), 200, "")
	want(t, a.do("DELETE", "/v1/customers/"+cid, nil, nil), 200, "")

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer receiver.Close()
	ep := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": receiver.URL + "/hooks", "events": []string{"*"}}, nil)
	want(t, ep, 201, "")
	eid := ep.data()["id"].(string)
	if ping := a.do("POST", "/v1/webhook-endpoints/"+eid+"/ping", nil, nil); ping.code != 200 || ping.data()["ok"] != true {
		t.Fatalf("ping: %d %s", ping.code, ping.raw)
	}
	want(t, a.do("GET", "/v1/webhook-endpoints", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/webhook-endpoints/"+eid, nil, nil), 200, "")
	want(t, a.do("PUT", "/v1/webhook-endpoints/"+eid, map[string]any{"description": "shop"}, nil), 200, "")
	want(t, a.do("POST", "/v1/webhook-endpoints/"+eid+"/rotate-secret", nil, nil), 200, "")
	evs := a.do("GET", "/v1/events?type=invoice.paid", nil, nil)
	want(t, evs, 200, "")
	evid := evs.body["data"].([]any)[0].(map[string]any)["id"].(string)
	want(t, a.do("GET", "/v1/events/"+evid, nil, nil), 200, "")
	want(t, a.do("POST", "/v1/events/"+evid+"/redeliver", nil, nil), 200, "")
	want(t, a.do("DELETE", "/v1/webhook-endpoints/"+eid, nil, nil), 200, "")

	// The hosted routes.
	for _, path := range []string{"/checkout/" + sid, "/checkout/" + sid + "/status", "/static/checkout.css", "/openapi.json", "/healthz", "/readyz"} {
		want(t, a.do("GET", path, nil, nil), 200, "")
	}
	form, _ := http.NewRequest("POST", a.srv.URL+"/pay/checkout/"+sid+"/test-pay", strings.NewReader("method=BTC"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := theDoc.check("POST", "/checkout/"+sid+"/test-pay", res.StatusCode, res.Header.Get("Content-Type"), nil); err != nil || res.StatusCode != 303 {
		t.Fatalf("test-pay: %d %v", res.StatusCode, err)
	}

	// A watch-only Gateway on btcd: a payout awaiting its signature, signed by the
	// mnemonic's keyring and submitted back; another one cancelled.
	node := nodetest.NewWatchOnly(t)
	node.Credit("BTC", "0.05")
	wo := newAPIOn(t, httphandler.Options{}, node.KT)
	woDest, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{9}, 20), nodetest.Regtest)
	awaiting := wo.do("POST", "/v1/payouts", map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": woDest.EncodeAddress()}, nil)
	want(t, awaiting, 201, "")
	if awaiting.data()["status"] != "awaiting_signature" {
		t.Fatalf("watch-only payout: %s", awaiting.raw)
	}
	unsignedPSBT, _ := base64.StdEncoding.DecodeString(awaiting.data()["psbt"].(string))
	signedPSBT, serr := bitcoin.SignPSBT(unsignedPSBT, node.Keys)
	if serr != nil {
		t.Fatal(serr)
	}
	wid := awaiting.data()["payout_id"].(string)
	want(t, wo.do("POST", "/v1/payouts/"+wid+"/signature", map[string]any{"psbt": awaiting.data()["psbt"]}, nil), 422, "validation_error")
	want(t, wo.do("POST", "/v1/payouts/"+wid+"/signature", map[string]any{"psbt": base64.StdEncoding.EncodeToString(signedPSBT)}, nil), 200, "")
	want(t, wo.do("POST", "/v1/payouts/"+wid+"/cancel", nil, nil), 409, "invalid_state")
	second := wo.do("POST", "/v1/payouts", map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": woDest.EncodeAddress()}, nil)
	want(t, second, 201, "")
	want(t, wo.do("POST", "/v1/payouts/"+second.data()["payout_id"].(string)+"/cancel", nil, nil), 200, "")

	// CPFP of a payment stuck in btcd's mempool, on a Gateway with keys.
	full := nodetest.New(t)
	fa := newAPIOn(t, httphandler.Options{}, full.KT)
	stuckInv := fa.do("POST", "/v1/invoices", map[string]any{"amount": "0.01", "currency": "BTC"}, nil)
	want(t, stuckInv, 201, "")
	stuckAddr := stuckInv.data()["payment_methods"].([]any)[0].(map[string]any)["address"].(string)
	stuckScript, _ := bitcoin.AddressScript(stuckAddr, nodetest.Regtest)
	stuck := full.BTC.Payer().Pay(btcdtest.Output{Script: stuckScript, Sats: 1_000_000})
	full.Sync()
	want(t, fa.do("POST", "/v1/transactions/"+strings.Repeat("ab", 32)+"/hurry", nil, nil), 404, "not_found")
	hurried := fa.do("POST", "/v1/transactions/"+stuck+"/hurry", nil, nil)
	want(t, hurried, 200, "")
	if hurried.data()["parent_tx_hash"] != stuck || hurried.data()["fee_currency"] != "BTC" {
		t.Fatalf("hurry: %s", hurried.raw)
	}
	full.BTC.Generate(1)
	full.Sync()
	// Asked again: the same child, stored once.
	if again := fa.do("POST", "/v1/transactions/"+stuck+"/hurry", nil, nil); again.code != 200 || again.data()["tx_hash"] != hurried.data()["tx_hash"] {
		t.Fatalf("hurry again: %d %s", again.code, again.raw)
	}
	// A payment already mined cannot be hurried.
	mined := full.BTC.Payer().Pay(btcdtest.Output{Script: stuckScript, Sats: 20_000})
	full.BTC.Generate(1)
	full.Sync()
	want(t, fa.do("POST", "/v1/transactions/"+mined+"/hurry", nil, nil), 409, "cannot_hurry")

	// And some errors, each answered as documented.
	want(t, a.do("GET", "/v1/invoices/inv_nothing", nil, nil), 404, "not_found")
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "-1", "currency": "USD"}, nil), 422, "validation_error")
	want(t, a.do("GET", "/v1/transactions?status=lost", nil, nil), 422, "validation_error")

	if err := theDoc.load(a.h.Load()); err != nil {
		t.Fatal(err)
	}
	for tmpl, ops := range theDoc.doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			for code := range op.(map[string]any)["responses"].(map[string]any) {
				if code[0] != '2' && code[0] != '3' {
					continue
				}
				if key := strings.ToUpper(method) + " " + tmpl + " " + code; !theDoc.seen[key] {
					t.Errorf("%s: documented, never answered in this test", key)
				}
			}
		}
	}
}
