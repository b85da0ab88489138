package httphandler_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/kassapay/kassa/httphandler"
)

// TestAPI_ClientAddressesAreRateLimited (issue 14.24): only authenticated requests
// were limited: 300 bad-key requests were 300 x 401, and the public checkout status
// and test-pay had no limit.
func TestAPI_ClientAddressesAreRateLimited(t *testing.T) {
	a := newAPI(t, httphandler.Options{FailedAuthLimit: 10, PublicRateLimit: 30,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	good := a.key
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
	a.key = "sk_test_" + strings.Repeat("a", 40)
	codes := map[int]int{}
	for range 30 {
		codes[a.do("GET", "/v1/balance", nil, from("198.51.100.1")).code]++
	}
	if codes[401] != 10 || codes[429] != 20 {
		t.Fatalf("30 bad-key requests from one address: %v, want 10 x 401 then 429", codes)
	}
	r := a.do("GET", "/v1/balance", nil, from("198.51.100.1"))
	if s, _ := strconv.Atoi(r.header.Get("Retry-After")); r.code != 429 || s < 1 {
		t.Fatalf("over the limit: %d, Retry-After %q", r.code, r.header.Get("Retry-After"))
	}
	// Another address, and a valid key from the same one, are not affected.
	want(t, a.do("GET", "/v1/balance", nil, from("198.51.100.2")), 401, "unauthorized")
	a.key = good
	want(t, a.do("GET", "/v1/balance", nil, from("198.51.100.1")), 200, "")
	// The public routes: per client address too.
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "3", "currency": "USD"}, nil)
	want(t, inv, 201, "")
	a.key = ""
	status := "/checkout/" + inv.data()["id"].(string) + "/status"
	codes = map[int]int{}
	for range 40 {
		codes[a.do("GET", status, nil, from("203.0.113.9")).code]++
	}
	if codes[200] != 30 || codes[429] != 10 {
		t.Fatalf("40 status reads from one address: %v, want 30 x 200 then 429", codes)
	}
	want(t, a.do("GET", status, nil, from("203.0.113.10")), 200, "")
	r = a.do("POST", "/checkout/"+inv.data()["id"].(string)+"/test-pay", nil, from("203.0.113.9"))
	want(t, r, 429, "rate_limited")
}
