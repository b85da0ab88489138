package httphandler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
)

// details returns the error details of a validation error answer.
func details(r resp) map[string]any {
	e, _ := r.body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	return d
}

// TestAPI_KeysMatchExactlyOnce: encoding/json alone matched keys case-insensitively and
// let the last of two equal keys win, so {"Amount":"5","amount":"0.001"} made a 5 BTC
// invoice. A key spelled otherwise than the field is unknown (422), and a key twice in
// one object, at any depth and however escaped, is a 400; nothing is created.
func TestAPI_KeysMatchExactlyOnce(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	cases := []struct {
		name, path, body string
		code             int
		errCode, field   string // field: a validation error detail; for a 400, a key the message names
	}{
		{"case variant", "/v1/invoices", `{"Amount":"5","amount":"0.001","currency":"BTC"}`, 422, "validation_error", "Amount"},
		{"escaped duplicate", "/v1/invoices", `{"amo\u0075nt":"5","amount":"0.001","currency":"BTC"}`, 400, "bad_request", `"amount"`},
		{"duplicate", "/v1/invoices", `{"amount":"5","amount":"0.001","currency":"BTC"}`, 400, "bad_request", `"amount"`},
		{"duplicate in metadata", "/v1/invoices", `{"amount":"5","currency":"BTC","metadata":{"order":{"id":1,"id":2}}}`, 400, "bad_request", `"id"`},
		{"duplicate in a payout", "/v1/payouts", `{"amount":"0.01","currency":"BTC","network":"bitcoin","destination_address":"a","destination_address":"b"}`, 400, "bad_request", `"destination_address"`},
		{"case variant in a mass payout", "/v1/payouts/mass", `{"destinations":[{"amount":"0.01","currency":"BTC","network":"bitcoin","Destination_Address":"a"}]}`, 422, "validation_error", "destinations[0].Destination_Address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do("POST", c.path, c.body, nil)
			want(t, r, c.code, c.errCode)
			if c.code == 422 && details(r)[c.field] == nil {
				t.Fatalf("details lack %s: %s", c.field, r.raw)
			}
			if msg, _ := r.body["error"].(map[string]any)["message"].(string); c.code == 400 && !strings.Contains(msg, c.field) {
				t.Fatalf("message does not name %s: %s", c.field, r.raw)
			}
		})
	}
	if l, _, _ := a.env.Gateway.Invoices().List(context.Background(), listAll()); len(l) != 0 {
		t.Fatalf("refused requests created %d invoices", len(l))
	}
	if l := a.do("GET", "/v1/payouts", nil, nil); len(l.body["data"].([]any)) != 0 {
		t.Fatalf("refused requests created payouts: %s", l.raw)
	}
	// The exact spelling still works.
	want(t, a.do("POST", "/v1/invoices", `{"amount":"0.001","currency":"BTC","metadata":{"order":{"id":1},"id":2}}`, nil), 201, "")
}

// TestAPI_MetadataMustBeUnicode: metadata is stored and returned as sent, so bytes that
// are not UTF-8, or escapes of unpaired UTF-16 surrogates, would make every later list
// unreadable to strict clients: they are a validation error on metadata, for invoices
// and payouts; a surrogate pair, and a backslash before "u", are fine.
func TestAPI_MetadataMustBeUnicode(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	a.fundBTC()
	dest := a.env.Recipient(asset.Bitcoin, 1)
	for name, meta := range map[string]string{
		"invalid byte":          "{\"note\":\"caf\xe9\"}",
		"invalid byte in a key": "{\"caf\xe9\":1}",
		"truncated sequence":    "{\"note\":\"\xe2\x82\"}",
		"encoded surrogate":     "{\"note\":\"\xed\xa0\x80\"}",
		"lone high surrogate":   `{"note":"\ud800"}`,
		"lone low surrogate":    `{"note":"x\uDC00y"}`,
		"high then not low":     `{"note":"\ud83d\u0041"}`,
		"high at the end":       `{"note":"\ud83d"}`,
		"surrogate in a key":    `{"\udfff":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := a.do("POST", "/v1/invoices", `{"amount":"1","currency":"USD","metadata":`+meta+`}`, nil)
			want(t, r, 422, "validation_error")
			if details(r)["metadata"] == nil {
				t.Fatalf("no metadata detail: %s", r.raw)
			}
			p := a.do("POST", "/v1/payouts", `{"amount":"0.01","currency":"BTC","network":"bitcoin","destination_address":"`+dest+`","metadata":`+meta+`}`, nil)
			want(t, p, 422, "validation_error")
			if details(p)["metadata"] == nil {
				t.Fatalf("no metadata detail: %s", p.raw)
			}
		})
	}
	if l := a.do("GET", "/v1/payouts", nil, nil); len(l.body["data"].([]any)) != 0 {
		t.Fatalf("refused metadata created payouts: %s", l.raw)
	}
	ok := a.do("POST", "/v1/invoices", `{"amount":"1","currency":"USD","metadata":{"smile":"\ud83d\ude00","path":"C:\\udir","é":"ü"}}`, nil)
	want(t, ok, 201, "")
	m, _ := ok.data()["metadata"].(map[string]any)
	if m["smile"] != "\U0001F600" || m["path"] != `C:\udir` || m["é"] != "ü" {
		t.Fatalf("metadata %s", ok.raw)
	}
}

// TestAPI_LifetimeIsRangeCheckedBeforeConversion: lifetime 3600 + 2^55 seconds times
// 10^9 wrapped around to exactly one hour; it is a validation error on lifetime.
func TestAPI_LifetimeIsRangeCheckedBeforeConversion(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	for _, lt := range []string{"36028797018967568", "9223372036", "-3600", "0", "299", "43201"} {
		r := a.do("POST", "/v1/invoices", `{"amount":"1","currency":"USD","lifetime":`+lt+`}`, nil)
		want(t, r, 422, "validation_error")
		if details(r)["lifetime"] == nil {
			t.Fatalf("lifetime %s: %s", lt, r.raw)
		}
	}
	if l, _, _ := a.env.Gateway.Invoices().List(context.Background(), listAll()); len(l) != 0 {
		t.Fatalf("refused lifetimes created %d invoices", len(l))
	}
	for _, lt := range []int{300, 43200} {
		r := a.do("POST", "/v1/invoices", map[string]any{"amount": "1", "currency": "USD", "lifetime": lt}, nil)
		want(t, r, 201, "")
		created, _ := time.Parse(time.RFC3339, r.data()["created_at"].(string))
		expires, _ := time.Parse(time.RFC3339, r.data()["expires_at"].(string))
		if got := expires.Sub(created); got != time.Duration(lt)*time.Second {
			t.Fatalf("lifetime %d: the invoice lives %s", lt, got)
		}
	}
}
