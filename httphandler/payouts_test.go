package httphandler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
)

// fundBTC credits 0.2 BTC through an invoice paid by the test chain.
func (a *api) fundBTC() {
	a.t.Helper()
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.2", "currency": "BTC"}, nil)
	want(a.t, inv, 201, "")
	id := inv.data()["id"].(string)
	want(a.t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": "0.2", "confirmations": 1}, nil), 200, "")
}

func TestAPI_Payouts(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	a.fundBTC()
	req := map[string]any{"amount": "0.01", "currency": "BTC", "network": "bitcoin", "destination_address": a.env.Recipient(asset.Bitcoin, 1),
		"customer_id": "c1", "metadata": map[string]any{"invoice": "A-7"}}
	p := a.do("POST", "/v1/payouts", req, map[string]string{"Idempotency-Key": "po-1"})
	want(t, p, 201, "")
	id := p.data()["payout_id"].(string)
	if p.data()["status"] != "broadcast" || p.data()["net_amount"] != "0.00999" || p.data()["estimated_fee"] != "0.00001" || p.data()["tx_hash"] == "" {
		t.Fatalf("payout %s", p.raw)
	}
	// A retried create with the same key is the same payout, not a second one.
	again := a.do("POST", "/v1/payouts", req, map[string]string{"Idempotency-Key": "po-1"})
	if again.data()["payout_id"] != id || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry %s", again.raw)
	}
	if l := a.do("GET", "/v1/payouts", nil, nil); len(l.body["data"].([]any)) != 1 {
		t.Fatalf("payouts after a retry: %s", l.raw)
	}
	a.env.Mine(asset.Bitcoin, 1)
	g := a.do("GET", "/v1/payouts/"+id, nil, nil)
	if g.data()["status"] != "completed" || g.data()["fee"] != "0.00001" {
		t.Fatalf("completed payout %s", g.raw)
	}
	// Another mode's key does not see it.
	live := a.newKey(apikey.CreateParams{Mode: asset.Live})
	a.key, live = live, a.key
	want(t, a.do("GET", "/v1/payouts/"+id, nil, nil), 404, "not_found")
	a.key = live

	// Bad input.
	bad := func(body map[string]any, code string, field string) {
		t.Helper()
		r := a.do("POST", "/v1/payouts", body, nil)
		want(t, r, 422, code)
		if d, _ := r.body["error"].(map[string]any)["details"].(map[string]any); d[field] == nil {
			t.Fatalf("no details for %s: %s", field, r.raw)
		}
	}
	bad(map[string]any{"amount": "5", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2)}, "insufficient_funds", "amount")
	bad(map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": "a b"}, "invalid_address", "destination_address")
	bad(map[string]any{"amount": "0.0001", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2)}, "amount_too_small", "amount")
	bad(map[string]any{"amount": "0.01", "currency": "DOGE", "destination_address": a.env.Recipient(asset.Bitcoin, 2)}, "unsupported_asset", "currency")
	bad(map[string]any{"currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2)}, "validation_error", "amount")
	bad(map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2), "address": a.env.Recipient(asset.Bitcoin, 3)}, "validation_error", "address")
	bad(map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2), "metadata": []int{1}}, "validation_error", "metadata")
	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = map[string]any{"amount": "0.001", "currency": "BTC", "address": a.env.Recipient(asset.Bitcoin, 2)}
	}
	want(t, a.do("POST", "/v1/payouts/mass", map[string]any{"destinations": many}, nil), 422, "validation_error")
	want(t, a.do("POST", "/v1/payouts/mass", map[string]any{"destinations": []any{
		map[string]any{"amount": "0.001", "currency": "BTC", "address": a.env.Recipient(asset.Bitcoin, 2)},
		map[string]any{"amount": "0.001", "currency": "BTC", "address": "bad address"}}}, nil), 422, "invalid_address")

	// Mass payout.
	m := a.do("POST", "/v1/payouts/mass", map[string]any{"batch_reference": "Payroll-Q3", "destinations": []any{
		map[string]any{"amount": "0.01", "currency": "BTC", "address": a.env.Recipient(asset.Bitcoin, 4)},
		map[string]any{"amount": "0.02", "currency": "BTC", "network": "bitcoin", "address": a.env.Recipient(asset.Bitcoin, 5)}}}, nil)
	want(t, m, 201, "")
	if m.data()["total_payouts"].(float64) != 2 || m.data()["total_amount"] != "0.03" || m.data()["batch_id"] == "" {
		t.Fatalf("mass %s", m.raw)
	}

	// Node refusal: 400 broadcast_failure with the rollback confirmed, money back.
	a.env.Chain(asset.Bitcoin).RejectSends("bad-txns-inputs-missingorspent")
	r := a.do("POST", "/v1/payouts", map[string]any{"amount": "0.01", "currency": "BTC", "address": a.env.Recipient(asset.Bitcoin, 2), "destination_address": a.env.Recipient(asset.Bitcoin, 2)}, nil)
	want(t, r, 400, "broadcast_failure")
	if e := r.body["error"].(map[string]any); e["rollback_confirmed"] != true || e["payout_id"] == nil {
		t.Fatalf("refusal %s", r.raw)
	}
	a.env.Chain(asset.Bitcoin).RejectSends("")
	b, _ := a.env.Gateway.Balance(context.Background(), asset.Test, "BTC")
	if !b.Available.Equal(b.Available.Truncate(8)) || b.Held.String() != "0.03" || b.Available.String() != "0.16" {
		t.Fatalf("balance after refusal: %+v", b)
	}

	// Approval above 5,000 USD (0.08 BTC at 65,000).
	big := a.do("POST", "/v1/payouts", map[string]any{"amount": "0.08", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 6)}, nil)
	want(t, big, 201, "")
	bid := big.data()["payout_id"].(string)
	if big.data()["status"] != "pending_verification" {
		t.Fatalf("big payout %s", big.raw)
	}
	want(t, a.do("POST", "/v1/payouts/"+bid+"/verify", map[string]any{"otp_code": "12"}, nil), 422, "validation_error")
	wrong := "000000"
	if a.env.Code(bid) == wrong {
		wrong = "111111"
	}
	want(t, a.do("POST", "/v1/payouts/"+bid+"/verify", map[string]any{"otp_code": wrong}, nil), 422, "validation_error")
	v := a.do("POST", "/v1/payouts/"+bid+"/verify", map[string]any{"otp_code": a.env.Code(bid)}, nil)
	want(t, v, 200, "")
	if v.data()["status"] != "broadcast" {
		t.Fatalf("verified %s", v.raw)
	}
	want(t, a.do("POST", "/v1/payouts/"+bid+"/verify", map[string]any{"otp_code": a.env.Code(bid)}, nil), 409, "invalid_state")

	// Minimum and fee estimate.
	mn := a.do("GET", "/v1/withdrawals/min-amount?currency=USDT&network=tron", nil, nil)
	want(t, mn, 200, "")
	if mn.data()["min_amount"] != "5" {
		t.Fatalf("min %s", mn.raw)
	}
	fe := a.do("GET", "/v1/withdrawals/fee-estimate?currency=BTC&amount=0.5", nil, nil)
	if fe.data()["network_fee"] != "0.00001" || fe.data()["total_estimated_fee"] != "0.00001" || fe.data()["service_fee"] != "0" {
		t.Fatalf("fee estimate %s", fe.raw)
	}
	want(t, a.do("GET", "/v1/withdrawals/fee-estimate?currency=BTC&amount=-1", nil, nil), 422, "")
	want(t, a.do("GET", "/v1/withdrawals/fee-estimate?currency=NOPE", nil, nil), 422, "unsupported_asset")
	a.env.Verify()
}

// TestAPI_PayoutBump: POST /v1/payouts/{id}/bump replaces a broadcast payout's
// transaction (the sim chain's mempool holds only the replacement, which completes
// the payout with one fee booked); a completed payout answers 409 cannot_bump, an
// unknown id or another mode's 404, and a refused bump leaves the payout as it was.
func TestAPI_PayoutBump(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	a.fundBTC()
	p := a.do("POST", "/v1/payouts", map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 3)}, nil)
	want(t, p, 201, "")
	id, first := p.data()["payout_id"].(string), p.data()["tx_hash"].(string)

	live := a.newKey(apikey.CreateParams{Mode: asset.Live})
	a.key, live = live, a.key
	want(t, a.do("POST", "/v1/payouts/"+id+"/bump", nil, nil), 404, "not_found")
	a.key = live
	want(t, a.do("POST", "/v1/payouts/po_unknown/bump", nil, nil), 404, "not_found")

	b := a.do("POST", "/v1/payouts/"+id+"/bump", nil, nil)
	want(t, b, 200, "")
	replaced, _ := b.data()["replaced_transactions"].([]any)
	if b.data()["tx_hash"] == first || len(replaced) != 1 || replaced[0].(map[string]any)["tx_hash"] != first {
		t.Fatalf("bumped payout %s", b.raw)
	}
	a.env.Mine(asset.Bitcoin, 1)
	g := a.do("GET", "/v1/payouts/"+id, nil, nil)
	if g.data()["status"] != "completed" || g.data()["tx_hash"] != b.data()["tx_hash"] || g.data()["fee"] != "0.00001" {
		t.Fatalf("payout after its block %s", g.raw)
	}
	if bal := a.do("GET", "/v1/balance", nil, nil); !strings.Contains(string(bal.raw), `"BTC":{"available":"0.19"`) {
		t.Fatalf("balance after one payout of 0.01 (its fee inside it, once): %s", bal.raw)
	}
	want(t, a.do("POST", "/v1/payouts/"+id+"/bump", nil, nil), 409, "cannot_bump")
	if again := a.do("GET", "/v1/payouts/"+id, nil, nil); string(again.raw) != string(g.raw) {
		t.Fatalf("a refused bump changed the payout:\n%s\n%s", g.raw, again.raw)
	}
}
