package httphandler_test

import (
	"strings"
	"testing"

	"github.com/kassapay/kassa/httphandler"
)

func TestAPI_EveryEndpointGroup(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	// Registry.
	cur := a.do("GET", "/v1/currencies", nil, nil)
	want(t, cur, 200, "")
	found := false
	for _, c := range cur.body["data"].([]any) {
		m := c.(map[string]any)
		if m["code"] == "USDT_BSC" && m["precision"].(float64) == 18 && m["min_amount"] == "0.5" && m["confirmations"].(float64) == 15 {
			found = true
		}
	}
	if !found {
		t.Fatalf("currencies lack USDT_BSC: %s", cur.raw[:200])
	}
	want(t, a.do("GET", "/v1/currencies/pairs", nil, nil), 200, "")
	sup := a.do("GET", "/v1/wallets/supported", nil, nil)
	if !strings.Contains(string(sup.raw), `{"currency":"USDT","networks":["ethereum","bsc","polygon","tron"]}`) {
		t.Fatalf("supported: %s", sup.raw)
	}
	// Checkout sessions.
	s := a.do("POST", "/v1/checkout/sessions", map[string]any{"amount": "25", "currency": "USD", "product_name": "Tee",
		"accepted_assets": []string{"BTC", "USDT_BSC"}, "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/no"}, nil)
	want(t, s, 201, "")
	sid := s.data()["id"].(string)
	if !strings.HasPrefix(sid, "chk_") || s.data()["checkout_url"] != "https://shop.example/pay/checkout/"+sid {
		t.Fatalf("session %s", s.raw)
	}
	gs := a.do("GET", "/v1/checkout/sessions/"+sid, nil, nil)
	if pd := gs.data()["payment_details"].([]any); len(pd) != 2 {
		t.Fatalf("payment_details %s", gs.raw)
	}
	want(t, a.do("POST", "/v1/checkout/sessions/"+sid+"/verify", map[string]any{"currency": "USDT_BSC"}, nil), 200, "")
	// A session id is not an invoice of another kind's endpoint.
	want(t, a.do("GET", "/v1/payments/"+sid, nil, nil), 404, "not_found")
	// Payments.
	p := a.do("POST", "/v1/payments", map[string]any{"amount": "10", "fiat_currency": "EUR", "metadata": map[string]any{"k": "v"}}, nil)
	want(t, p, 201, "")
	pid := p.data()["payment_id"].(string)
	if !strings.HasPrefix(pid, "pay_") || p.data()["status"] != "awaiting_payment" || p.data()["addresses"].(map[string]any)["BTC"] == nil {
		t.Fatalf("payment %s", p.raw)
	}
	want(t, a.do("GET", "/v1/payments/"+pid, nil, nil), 200, "")
	if l := a.do("GET", "/v1/payments", nil, nil); len(l.body["data"].([]any)) != 1 {
		t.Fatalf("payments list %s", l.raw)
	}
	// Transactions after a test payment.
	want(t, a.do("POST", "/v1/test/invoices/"+pid+"/pay", map[string]any{"currency": "BTC", "amount": "0.0001", "confirmations": 1}, nil), 200, "")
	txs := a.do("GET", "/v1/transactions?currency=BTC", nil, nil)
	list := txs.body["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("transactions %s", txs.raw)
	}
	txid := list[0].(map[string]any)["txid"].(string)
	want(t, a.do("GET", "/v1/transactions/"+txid, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/transactions/nope", nil, nil), 404, "not_found")
	want(t, a.do("GET", "/v1/transactions?currency=DOGE", nil, nil), 422, "unsupported_asset")
	// Webhook endpoints and events.
	ep := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"}, "description": "d"}, nil)
	want(t, ep, 201, "")
	eid := ep.data()["id"].(string)
	if g := a.do("GET", "/v1/webhook-endpoints/"+eid, nil, nil); g.data()["secret"] != nil {
		t.Fatal("GET shows the secret")
	}
	want(t, a.do("PUT", "/v1/webhook-endpoints/"+eid, map[string]any{"enabled": false}, nil), 200, "")
	rot := a.do("POST", "/v1/webhook-endpoints/"+eid+"/rotate-secret", nil, nil)
	if rot.data()["secret"] == ep.data()["secret"] || rot.data()["secret"] == nil {
		t.Fatalf("rotate %s", rot.raw)
	}
	if l := a.do("GET", "/v1/webhook-endpoints", nil, nil); len(l.body["data"].([]any)) != 1 {
		t.Fatalf("endpoints %s", l.raw)
	}
	want(t, a.do("DELETE", "/v1/webhook-endpoints/"+eid, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/webhook-endpoints/"+eid, nil, nil), 404, "not_found")
	evs := a.do("GET", "/v1/events?type=invoice.created", nil, nil)
	elist := evs.body["data"].([]any)
	if len(elist) != 2 {
		t.Fatalf("events %s", evs.raw)
	}
	evid := elist[0].(map[string]any)["id"].(string)
	want(t, a.do("GET", "/v1/events/"+evid, nil, nil), 200, "")
	want(t, a.do("POST", "/v1/events/"+evid+"/redeliver", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/events/evt_none", nil, nil), 404, "not_found")
}
