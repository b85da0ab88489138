package httphandler_test

import (
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
)

// TestAPI_TransferConfirmationsKeepCounting (issue 14.12): after a payment with one
// required confirmation, /v1/invoices/{id}/transactions and /v1/transactions/{txid}
// showed 1 forever. They show the current depth.
func TestAPI_TransferConfirmationsKeepCounting(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.01", "currency": "BTC"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": "0.01", "confirmations": 1}, nil), 200, "")
	a.env.Mine(asset.Bitcoin, 5)
	txs := a.do("GET", "/v1/invoices/"+id+"/transactions", nil, nil)
	want(t, txs, 200, "")
	list := txs.body["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("transactions: %s", txs.raw)
	}
	tx := list[0].(map[string]any)
	if tx["confirmations"] != float64(6) || tx["status"] != "confirmed" {
		t.Fatalf("after 6 blocks: %v", tx)
	}
	one := a.do("GET", "/v1/transactions/"+tx["txid"].(string), nil, nil)
	want(t, one, 200, "")
	if c := one.body["data"].([]any)[0].(map[string]any)["confirmations"]; c != float64(6) {
		t.Fatalf("/v1/transactions/{txid}: %v confirmations", c)
	}
	all := a.do("GET", "/v1/transactions?currency=BTC", nil, nil)
	if c := all.body["data"].([]any)[0].(map[string]any)["confirmations"]; c != float64(6) {
		t.Fatalf("/v1/transactions: %v confirmations", c)
	}
}

// TestAPI_PaymentsListCountsPaymentsOnly (issue 14.16, 14.17): GET /v1/payments counted
// invoices and sessions in total and has_more (1 payment, total 4), and payments left
// out customer_id and order_id.
func TestAPI_PaymentsListCountsPaymentsOnly(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	for range 2 {
		want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "3", "currency": "USD"}, nil), 201, "")
	}
	want(t, a.do("POST", "/v1/checkout/sessions", map[string]any{"amount": "3", "currency": "USD", "product_name": "Tee"}, nil), 201, "")
	pay := a.do("POST", "/v1/payments", map[string]any{"amount": "3", "fiat_currency": "USD", "customer_id": "cust-9",
		"order_id": "ord-9", "metadata": map[string]any{"cart": "c-1"}}, nil)
	want(t, pay, 201, "")
	d := pay.data()
	if d["customer_id"] != "cust-9" || d["order_id"] != "ord-9" || d["metadata"].(map[string]any)["cart"] != "c-1" {
		t.Fatalf("created payment: %s", pay.raw)
	}
	l := a.do("GET", "/v1/payments?limit=1", nil, nil)
	want(t, l, 200, "")
	p := l.body["pagination"].(map[string]any)
	if n := len(l.body["data"].([]any)); n != 1 || p["total"] != float64(1) || p["has_more"] != false {
		t.Fatalf("payments list: %d items, pagination %v", n, p)
	}
	got := a.do("GET", "/v1/payments/"+d["payment_id"].(string), nil, nil).data()
	if got["customer_id"] != "cust-9" || got["order_id"] != "ord-9" {
		t.Fatalf("payment: %v", got)
	}
	if l := a.do("GET", "/v1/invoices", nil, nil); l.body["pagination"].(map[string]any)["total"] != float64(4) {
		t.Fatalf("/v1/invoices lists every kind: %s", l.raw)
	}
}

// TestAPI_CreateInvoiceAsAPIWritesIt covers issue 14.13, 14.14, 14.21 and 14.22 over
// HTTP: currency + network names an asset; a fiat invoice offers every method that can
// be priced and meets its minimum; the same order_id with other parameters is a
// conflict; absurd amounts are refused.
func TestAPI_CreateInvoiceAsAPIWritesIt(t *testing.T) {
	rates := kassatest.DefaultRates()
	delete(rates, "LINK") // no rate for one enabled asset
	a := newAPI(t, httphandler.Options{}, kassatest.WithRates(rates))
	methods := func(r resp) map[string]bool {
		out := map[string]bool{}
		for _, m := range r.data()["payment_methods"].([]any) {
			out[m.(map[string]any)["code"].(string)] = true
		}
		return out
	}
	// 14.13: API.md allows currency + network.
	for _, body := range []map[string]any{
		{"amount": "25", "currency": "USDT", "network": "ethereum"},
		{"amount": "25", "currency": "USDT", "network": "ethereum", "to_currency": "USDT"},
		{"amount": "25", "currency": "usdt", "network": "ERC20"},
	} {
		r := a.do("POST", "/v1/invoices", body, nil)
		want(t, r, 201, "")
		if m := methods(r); len(m) != 1 || !m["USDT_ETHEREUM"] || r.data()["currency"] != "USDT_ETHEREUM" {
			t.Fatalf("%v: %s", body, r.raw)
		}
	}
	// 14.14: LINK has no rate and is left out; the rest is offered.
	r := a.do("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD"}, nil)
	want(t, r, 201, "")
	if m := methods(r); m["LINK_ETHEREUM"] || !m["BTC"] || !m["USDT_TRON"] || len(m) < 10 {
		t.Fatalf("methods of a fiat invoice with one rate missing: %v", m)
	}
	// Below an asset's minimum, an asset is left out: 0.60 USD is 0.00000924 BTC, under
	// BTC's 0.00001.
	r = a.do("POST", "/v1/invoices", map[string]any{"amount": "0.6", "currency": "USD"}, nil)
	want(t, r, 201, "")
	if m := methods(r); m["BTC"] || !m["USDT_TRON"] {
		t.Fatalf("methods of a 0.60 USD invoice: %v", m)
	}
	// None left: 422 naming the reasons.
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "0.01", "currency": "USD"}, nil), 422, "amount_too_small")
	// 14.22: a maximum per asset.
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "1e30", "currency": "BTC"}, nil), 422, "amount_too_large")
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "1001", "currency": "BTC"}, nil), 422, "amount_too_large")
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "1000000000000000", "currency": "USD"}, nil), 422, "amount_too_large")
	// 14.21: the same order_id with other parameters.
	first := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.001", "currency": "BTC", "order_id": "A-1"}, nil)
	want(t, first, 201, "")
	same := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.0010", "currency": "BTC", "order_id": "A-1"}, nil)
	if same.code != 200 || same.data()["id"] != first.data()["id"] {
		t.Fatalf("same parameters: %d %s", same.code, same.raw)
	}
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "BTC", "order_id": "A-1"}, nil), 409, "conflict")
	want(t, a.do("POST", "/v1/payments", map[string]any{"amount": "5", "fiat_currency": "USD", "order_id": "A-1"}, nil), 409, "conflict")
}
