package httphandler_test

import (
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
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
