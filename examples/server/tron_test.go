package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/shopspring/decimal"
)

// TestServer_TronNode: the server with KASSA_TEST_TRON_URL on a Tron devnet (behind a
// proxy that records what reaches it) takes a USDT-TRC20 invoice over the API whose
// payment URI names the token set by KASSA_TEST_TOKEN_USDT_TRON, sees it paid (at
// KASSA_CONFIRMATIONS_TRON, the devnet mining a block per poll), and sends
// KASSA_TEST_TRON_API_KEY in TronGrid's header with every request.
func TestServer_TronNode(t *testing.T) {
	node := trondevnet.Start(t)
	target, _ := url.Parse(node.URL)
	var mu sync.Mutex
	var keys []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("TRON-PRO-API-KEY"))
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	vars := map[string]string{"KASSA_ADDR": "127.0.0.1:0", "KASSA_DB": filepath.Join(t.TempDir(), "kassa.db"),
		"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_FIXED_RATES": "BTC:USD=65000", "KASSA_POLL_INTERVAL": "20ms",
		"KASSA_TEST_TRON_URL": proxy.URL, "KASSA_TEST_TRON_API_KEY": "tron-4", "KASSA_TEST_TRON_TIMEOUT": "5s",
		"KASSA_TEST_TOKEN_USDT_TRON": node.Token.String(), "KASSA_CONFIRMATIONS_TRON": "2"}
	getenv := getenvOf(vars)
	_, key := newKey(t, getenv, "--mode", "test")
	srv := startServer(t, getenv)
	inv := srv.mustCall(key, "POST", "/v1/invoices", map[string]any{"amount": "12.5", "currency": "USDT_TRON"})
	m := inv["payment_methods"].([]any)[0].(map[string]any)
	addr := m["address"].(string)
	if m["code"] != "USDT_TRON" || m["payment_uri"] != "tron:"+addr+"?amount=12.5&token="+node.Token.String() {
		t.Fatalf("payment method %v", m)
	}
	units := decimal.RequireFromString("12.5").Shift(6).BigInt()
	node.PayToken(addr, units)
	wait := func(status string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			node.Mine(1)
			got := srv.mustCall(key, "GET", "/v1/invoices/"+inv["id"].(string), nil)
			if got["status"] == status {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the invoice is %v, want %s", got["status"], status)
			}
			time.Sleep(50 * time.Millisecond) // the server polls the node every 20 ms
		}
	}
	wait("paid")
	mu.Lock()
	defer mu.Unlock()
	if len(keys) < 3 {
		t.Fatalf("the node saw %d requests", len(keys))
	}
	for i, k := range keys {
		if k != "tron-4" {
			t.Fatalf("request %d to the node carried TRON-PRO-API-KEY %q", i, k)
		}
	}
}
