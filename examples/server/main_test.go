package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/keys"
)

// TestServer runs the binary's code: keys create prints the secret on its last line;
// the server then answers a signed create-invoice, takes a test payment on its sim
// chains, and shuts down gracefully on cancel.
func TestServer(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{
		"KASSA_ADDR": "127.0.0.1:0", "KASSA_DB": filepath.Join(dir, "kassa.db"),
		"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_TEST_CHAINS": "sim", "KASSA_FIXED_RATES": "BTC:USD=65000,TRX:USD=0.125",
	}
	getenv := func(k string) string { return vars[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "create", "--mode", "test"}, getenv, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "sk_test_") {
		t.Fatalf("last line %q", key)
	}
	// PostgreSQL settings: a malformed URL and a bad pool size are named, before any
	// connection is tried (TestSettings_RefusedAtStart has the other settings).
	for _, bad := range []map[string]string{
		{"KASSA_DATABASE_URL": "postgres://kassa@%zz/db"},
		{"KASSA_DATABASE_URL": "postgres://kassa@127.0.0.1:1/db", "KASSA_DATABASE_MAX_CONNS": "-3"},
	} {
		err := run(context.Background(), nil, func(k string) string {
			if v, ok := bad[k]; ok {
				return v
			}
			return getenv(k)
		}, io.Discard, io.Discard, nil)
		name := "KASSA_DATABASE_URL"
		if _, ok := bad["KASSA_DATABASE_MAX_CONNS"]; ok {
			name = "KASSA_DATABASE_MAX_CONNS"
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	// A lease shorter than two POST timeouts would let a live dispatcher's deliveries be
	// claimed again while it still sends them.
	short := func(k string) string {
		switch k {
		case "KASSA_WEBHOOK_TIMEOUT":
			return "10s"
		case "KASSA_WEBHOOK_LEASE":
			return "15s"
		}
		return getenv(k)
	}
	if err := run(context.Background(), nil, short, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "Lease") {
		t.Fatalf("a lease under 2x the timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, io.Discard, io.Discard, ready) }()
	addr := <-ready
	lastTS := int64(0)
	call := func(method, path string, body any) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(raw))
		lastTS = max(time.Now().UnixMilli(), lastTS+1) // every signature once
		ts := strconv.FormatInt(lastTS, 10)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Kassa-Timestamp", ts)
		req.Header.Set("X-Kassa-Signature", httphandler.Sign(key, ts, method, path, raw))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, res.StatusCode, m)
		}
		return m["data"].(map[string]any)
	}
	inv := call("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD", "to_currency": "TRX"})
	if inv["payment_methods"].([]any)[0].(map[string]any)["amount_due"] != "160" {
		t.Fatalf("invoice %v", inv)
	}
	paid := call("POST", "/v1/test/invoices/"+inv["id"].(string)+"/pay", map[string]any{"currency": "TRX", "amount": "160", "confirmations": 19})
	if paid["status"] != "paid" {
		t.Fatalf("after test pay: %v", paid)
	}
	stop := func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no graceful shutdown")
		}
	}
	stop()
	// Issue 14.7: the sandbox's sim chains keep their payments across a restart (the
	// paid invoice used to go back to pending, its block gone with the process).
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	done = make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, io.Discard, io.Discard, ready) }()
	addr = <-ready
	other := call("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD", "to_currency": "TRX"})
	// A test payment steps the watcher over the chain as the new process sees it.
	call("POST", "/v1/test/invoices/"+other["id"].(string)+"/pay", map[string]any{"currency": "TRX", "amount": "160", "confirmations": 19})
	if again := call("GET", "/v1/invoices/"+inv["id"].(string), nil); again["status"] != "paid" {
		t.Fatalf("after a restart the paid invoice is %v", again["status"])
	}
	stop()
}

func TestTreasuryOptions(t *testing.T) {
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	o, err := treasuryOptions(get(map[string]string{"KASSA_SWEEP": "1", "KASSA_SWEEP_THRESHOLDS": "usdt_ethereum=50, ETH=0.05", "KASSA_SWEEP_MAX_FEE_PERCENT": "3"}))
	if err != nil || o.NoSweep || o.Thresholds["USDT_ETHEREUM"].String() != "50" || o.Thresholds["ETH"].String() != "0.05" || o.MaxFeePercent != 3 {
		t.Fatalf("options %+v, %v", o, err)
	}
	if o, err := treasuryOptions(get(nil)); err != nil || o.NoSweep || o.Thresholds != nil {
		t.Fatalf("defaults %+v, %v: sweeps are on by default", o, err)
	}
	if o, err := treasuryOptions(get(map[string]string{"KASSA_SWEEP": "0"})); err != nil || !o.NoSweep {
		t.Fatalf("KASSA_SWEEP=0: %+v, %v", o, err)
	}
}

func TestPayoutOptions(t *testing.T) {
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	po, err := payoutOptions(get(map[string]string{"KASSA_PAYOUT_APPROVAL_USD": "250.5", "KASSA_SMTP_ADDR": "127.0.0.1:25",
		"KASSA_SMTP_FROM": "k@shop.example", "KASSA_OWNER_EMAIL": "o@shop.example", "KASSA_PAYOUT_WINDOW_USD": "1000",
		"KASSA_PAYOUT_WINDOW": "12h", "KASSA_PAYOUT_BUMP_AFTER": "45m"}))
	if err != nil || po.ApprovalUSD.String() != "250.5" || po.Notifier == nil || po.WindowUSD.String() != "1000" || po.Window != 12*time.Hour ||
		po.BumpAfter != 45*time.Minute {
		t.Fatalf("options %+v, %v", po, err)
	}
	if po, err := payoutOptions(get(nil)); err != nil || po.Notifier != nil || !po.ApprovalUSD.IsZero() || po.BumpAfter != 0 {
		t.Fatalf("defaults %+v, %v", po, err)
	}
	for _, bad := range []map[string]string{{"KASSA_PAYOUT_APPROVAL_USD": "-1"}, {"KASSA_PAYOUT_APPROVAL_USD": "lots"}, {"KASSA_SMTP_ADDR": "127.0.0.1:25"},
		{"KASSA_PAYOUT_WINDOW_USD": "0"}, {"KASSA_PAYOUT_WINDOW": "-1h"}, {"KASSA_PAYOUT_WINDOW": "day"}, {"KASSA_PAYOUT_BUMP_AFTER": "0s"},
		{"KASSA_PAYOUT_BUMP_AFTER": "soon"}} {
		if _, err := payoutOptions(get(bad)); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}

// stubNode is an HTTP server standing in for a node or an API: it records every request
// and answers JSON-RPC calls with an error, except eth_chainId (1337). It refuses
// websocket handshakes, recording them too.
type stubNode struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request // their headers, for a websocket handshake too
}

func newStubNode(t *testing.T) *stubNode {
	n := &stubNode{}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.requests = append(n.requests, r.Clone(context.Background()))
		n.mu.Unlock()
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "no websocket here", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "stub", http.StatusServiceUnavailable)
			return
		}
		var call struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&call)
		w.Header().Set("Content-Type", "application/json")
		if call.Method == "eth_chainId" {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x539"}`, call.ID)
			return
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":null,"error":{"code":-28,"message":"stub"}}`, call.ID)
	}))
	t.Cleanup(n.Close)
	return n
}

func (n *stubNode) seen() []*http.Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.requests)
}

func getenvOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestSettings_RefusedAtStart (issue 19): every wrong setting stops the server with
// an error naming its variable, before anything starts: the EVM node configured
// beside it is never dialled and the database file never created. Secrets (a header's
// value, a cookie's content, a URL's password) are never in the message.
func TestSettings_RefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodCookie := write("good.cookie", "__cookie__:0123abcd\n")
	noColon := write("nocolon.cookie", "s3cret-without-a-colon\n")
	twoLines := write("twolines.cookie", "__cookie__:s3cret\nmore\n")
	noPass := write("nopass.cookie", "__cookie__:\n")
	evmNode := newStubNode(t)
	db := filepath.Join(dir, "kassa.db")
	base := map[string]string{"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_DB": db, "KASSA_ADDR": "127.0.0.1:0",
		"KASSA_TEST_EVM_RPC_ETHEREUM": evmNode.URL, "KASSA_FIXED_RATES": "BTC:USD=65000"}
	btc := "http://127.0.0.1:1"
	// Cancelled: a case that wrongly passes the checks fails at once instead of serving.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		env       map[string]string
		name      string // the variable the error names
		substring string
	}{
		{map[string]string{"KASSA_MASTER_KEY": "short"}, "KASSA_MASTER_KEY", "64 hex"},
		{map[string]string{"KASSA_METRICS_ADDR": "9090"}, "KASSA_METRICS_ADDR", "host:port"},
		// Networks.
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "testnet5"}, "KASSA_BTC_NETWORK", "testnet, testnet4, signet or regtest"},
		{map[string]string{"KASSA_LTC_RPC_URL": btc, "KASSA_LTC_NETWORK": "signet"}, "KASSA_LTC_NETWORK", "testnet or regtest"},
		{map[string]string{"KASSA_LTC_NETWORK": "regtest"}, "KASSA_LTC_NETWORK", "neither KASSA_LTC_RPC_URL nor KASSA_LTC_ESPLORA_URL"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc}, "KASSA_MNEMONIC_FILE", "live-mode chain (KASSA_BTC_NETWORK=mainnet)"},
		{map[string]string{"KASSA_TEST_CHAINS": "simulated"}, "KASSA_TEST_CHAINS", "want sim"},
		{map[string]string{"KASSA_CONFIRMATIONS_BITCOIN": "two"}, "KASSA_CONFIRMATIONS_BITCOIN", "whole number"},
		// Node URLs and websockets.
		{map[string]string{"KASSA_BTC_RPC_URL": "127.0.0.1:8332", "KASSA_BTC_NETWORK": "regtest"}, "KASSA_BTC_RPC_URL", "http(s) URL"},
		{map[string]string{"KASSA_BTC_RPC_URL": "ftp://kassa:s3cret@node/", "KASSA_BTC_NETWORK": "regtest"}, "KASSA_BTC_RPC_URL", "got ftp://node/..."},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_WS": "ws://127.0.0.1:1"}, "KASSA_BTC_WS", "host:port"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_MEMPOOL_PUSH": "no"}, "KASSA_BTC_MEMPOOL_PUSH", "want 0"},
		{map[string]string{"KASSA_TEST_EVM_RPC_BSC": "localhost:8545"}, "KASSA_TEST_EVM_RPC_BSC", "http(s) or ws(s) URL"},
		{map[string]string{"KASSA_TEST_EVM_WS_ETHEREUM": "http://127.0.0.1:8546"}, "KASSA_TEST_EVM_WS_ETHEREUM", "ws:// or wss://"},
		// Cookies.
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": filepath.Join(dir, "missing")},
			"KASSA_BTC_RPC_COOKIE", "no such file"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": dir}, "KASSA_BTC_RPC_COOKIE", "is a directory"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": noColon}, "KASSA_BTC_RPC_COOKIE", "one line user:password"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": twoLines}, "KASSA_BTC_RPC_COOKIE", "one line user:password"},
		{map[string]string{"KASSA_LTC_RPC_URL": btc, "KASSA_LTC_NETWORK": "regtest", "KASSA_LTC_RPC_COOKIE": noPass}, "KASSA_LTC_RPC_COOKIE", "one line user:password"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": goodCookie, "KASSA_BTC_RPC_USER": "kassa"},
			"KASSA_BTC_RPC_COOKIE", "is set with KASSA_BTC_RPC_USER or KASSA_BTC_RPC_PASS"},
		// Header lists.
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "X-Api-Key s3cret"}, "KASSA_BTC_RPC_HEADERS", `not "Name: value"`},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "A: 1; X Api: s3cret"}, "KASSA_BTC_RPC_HEADERS", "entry 2: the part before"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "X-Api-Key: s3c\x01ret"}, "KASSA_BTC_RPC_HEADERS", "control character"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "X-Api-Key:"}, "KASSA_BTC_RPC_HEADERS", "X-Api-Key has no value"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "x-api-key: s3cret; X-API-KEY: s3cret"}, "KASSA_BTC_RPC_HEADERS", "X-Api-Key is given twice"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": "Host: s3cret"}, "KASSA_BTC_RPC_HEADERS", "Host is the HTTP client's own"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_HEADERS": " ; "}, "KASSA_BTC_RPC_HEADERS", "no \"Name: value\" entry"},
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_USER": "kassa", "KASSA_BTC_RPC_PASS": "s3cret",
			"KASSA_BTC_RPC_HEADERS": "Authorization: Bearer s3cret"}, "KASSA_BTC_RPC_HEADERS", "sets Authorization"},
		{map[string]string{"KASSA_LTC_RPC_URL": btc, "KASSA_LTC_NETWORK": "regtest", "KASSA_LTC_RPC_HEADERS": "s3cret"}, "KASSA_LTC_RPC_HEADERS", `not "Name: value"`},
		{map[string]string{"KASSA_TEST_EVM_RPC_HEADERS_ETHEREUM": "Bearer s3cret"}, "KASSA_TEST_EVM_RPC_HEADERS_ETHEREUM", `not "Name: value"`},
		{map[string]string{"KASSA_EVM_RPC_HEADERS_BASE": "X-Api-Key: s3cret"}, "KASSA_EVM_RPC_HEADERS_BASE", "KASSA_EVM_RPC_BASE is not"},
		// Tron.
		{map[string]string{"KASSA_TEST_TRON_URL": "ws://127.0.0.1:1"}, "KASSA_TEST_TRON_URL", "http(s) API base"},
		{map[string]string{"KASSA_TEST_TRON_API_KEY": "s3cret"}, "KASSA_TEST_TRON_API_KEY", "KASSA_TEST_TRON_URL is not"},
		{map[string]string{"KASSA_TRON_TIMEOUT": "20s"}, "KASSA_TRON_TIMEOUT", "KASSA_TRON_URL is not"},
		{map[string]string{"KASSA_TEST_TRON_URL": btc, "KASSA_TEST_TRON_TIMEOUT": "fast"}, "KASSA_TEST_TRON_TIMEOUT", "positive duration"},
		{map[string]string{"KASSA_TRON_URL": "https://api.trongrid.io"}, "KASSA_MNEMONIC_FILE", "live-mode chain (KASSA_TRON_URL)"},
		// Esplora.
		{map[string]string{"KASSA_BTC_RPC_URL": btc, "KASSA_BTC_ESPLORA_URL": "https://mempool.space/api"}, "KASSA_BTC_RPC_URL", "is set with KASSA_BTC_ESPLORA_URL"},
		{map[string]string{"KASSA_LTC_RPC_URL": btc, "KASSA_LTC_ESPLORA_URL": "https://litecoinspace.org/api"}, "KASSA_LTC_RPC_URL", "is set with KASSA_LTC_ESPLORA_URL"},
		{map[string]string{"KASSA_BTC_ESPLORA_URL": "mempool.space/api", "KASSA_BTC_NETWORK": "signet"}, "KASSA_BTC_ESPLORA_URL", "http(s) URL"},
		{map[string]string{"KASSA_LTC_ESPLORA_URL": "ftp://litecoinspace.org/api", "KASSA_LTC_NETWORK": "testnet"}, "KASSA_LTC_ESPLORA_URL", "http(s) URL"},
		{map[string]string{"KASSA_BTC_ESPLORA_URL": "https://mempool.space/signet/api", "KASSA_BTC_NETWORK": "signet", "KASSA_BTC_RPC_USER": "kassa"},
			"KASSA_BTC_RPC_USER", "not an Esplora API"},
		// Limits, durations and the rest.
		{map[string]string{"KASSA_RATE_LIMIT": "many"}, "KASSA_RATE_LIMIT", "positive integer"},
		{map[string]string{"KASSA_RATE_LIMIT": "0"}, "KASSA_RATE_LIMIT", "positive integer"},
		{map[string]string{"KASSA_RATE_BURST": "-5"}, "KASSA_RATE_BURST", "positive integer"},
		{map[string]string{"KASSA_PUBLIC_RATE_LIMIT": "1.5"}, "KASSA_PUBLIC_RATE_LIMIT", "positive integer"},
		{map[string]string{"KASSA_FAILED_AUTH_LIMIT": "none"}, "KASSA_FAILED_AUTH_LIMIT", "positive integer"},
		{map[string]string{"KASSA_WEBHOOK_TIMEOUT": "soon"}, "KASSA_WEBHOOK_TIMEOUT", "positive Go duration"},
		{map[string]string{"KASSA_WEBHOOK_LEASE": "-1s"}, "KASSA_WEBHOOK_LEASE", "positive Go duration"},
		{map[string]string{"KASSA_POLL_INTERVAL": "0s"}, "KASSA_POLL_INTERVAL", "positive Go duration"},
		{map[string]string{"KASSA_IDEMPOTENCY_LEASE": "1"}, "KASSA_IDEMPOTENCY_LEASE", "positive Go duration"},
		{map[string]string{"KASSA_REFUND_CLAIM_TTL": "a month"}, "KASSA_REFUND_CLAIM_TTL", "positive Go duration"},
		{map[string]string{"KASSA_REBOUNDS": "test,production"}, "KASSA_REBOUNDS", "test,live"},
		{map[string]string{"KASSA_SWEEP": "yes"}, "KASSA_SWEEP", "want 1"},
		{map[string]string{"KASSA_SWEEP_THRESHOLDS": "USDT=lots"}, "KASSA_SWEEP_THRESHOLDS", "CODE=amount"},
		{map[string]string{"KASSA_SWEEP_MAX_FEE_PERCENT": "150"}, "KASSA_SWEEP_MAX_FEE_PERCENT", "1 to 100"},
		{map[string]string{"KASSA_ADDR": "8080"}, "KASSA_ADDR", "host:port"},
		{map[string]string{"KASSA_FIXED_RATES": "BTC=65000"}, "KASSA_FIXED_RATES", "CODE:USD=price"},
		{map[string]string{"KASSA_TEST_BILLING_CLOCK": "fast"}, "KASSA_TEST_BILLING_CLOCK", "x@"},
		{map[string]string{"KASSA_TEST_BILLING_CLOCK": "3600x@yesterday"}, "KASSA_TEST_BILLING_CLOCK", "RFC 3339"},
		{map[string]string{"KASSA_PAYOUT_APPROVAL_USD": "-1"}, "KASSA_PAYOUT_APPROVAL_USD", "positive amount"},
		{map[string]string{"KASSA_DATABASE_URL": "postgres://kassa@127.0.0.1:1/db", "KASSA_DATABASE_MAX_CONNS": "-3"}, "KASSA_DATABASE_MAX_CONNS", "positive number"},
		{map[string]string{"KASSA_MNEMONIC_FILE": filepath.Join(dir, "missing")}, "KASSA_MNEMONIC_FILE", "no such file"},
		{map[string]string{"KASSA_LOGO_FILE": filepath.Join(dir, "missing")}, "KASSA_LOGO_FILE", "no such file"},
	} {
		vars := maps.Clone(base)
		maps.Copy(vars, c.env)
		err := run(cancelled, nil, getenvOf(vars), io.Discard, io.Discard, nil)
		var se *settingError
		switch {
		case !errors.As(err, &se) || se.Var != c.name:
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.name)
		case !strings.Contains(err.Error(), c.substring):
			t.Errorf("%v: %q does not say %q", c.env, err, c.substring)
		case strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%v: the message shows a secret: %q", c.env, err)
		}
		if n := len(evmNode.seen()); n != 0 {
			t.Fatalf("%v: the EVM node was dialled (%d requests) before the setting was refused", c.env, n)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v: the database was created before the setting was refused (%v)", c.env, err)
		}
	}
}

// TestSettings_Nodes reads the node settings an operator gives: signet and testnet4
// with btcd's chain parameters, a cookie's credentials, header lists, push on by
// default for an http:// btcd URL, Litecoin on regtest through Esplora, and the
// server's default rate limit.
func TestSettings_Nodes(t *testing.T) {
	dir := t.TempDir()
	cookie := filepath.Join(dir, ".cookie")
	os.WriteFile(cookie, []byte("__cookie__:5f3a9e\n"), 0o600)
	base := map[string]string{"KASSA_MASTER_KEY": strings.Repeat("ab", 32)}
	load := func(vars map[string]string) *settings {
		t.Helper()
		v := maps.Clone(base)
		maps.Copy(v, vars)
		s, err := loadSettings(getenvOf(v))
		if err != nil {
			t.Fatalf("%v: %v", vars, err)
		}
		return s
	}
	s := load(map[string]string{"KASSA_BTC_RPC_URL": "http://10.0.0.2:38332", "KASSA_BTC_NETWORK": "signet", "KASSA_BTC_RPC_COOKIE": cookie,
		"KASSA_BTC_RPC_HEADERS": "X-Api-Key: k-1; x-trace:  on ;", "KASSA_LTC_ESPLORA_URL": "http://127.0.0.1:3002/api",
		"KASSA_LTC_NETWORK": "regtest", "KASSA_LTC_RPC_HEADERS": "Authorization: Bearer t-2",
		"KASSA_TEST_EVM_RPC_POLYGON": "https://polygon-amoy.example/v3/KEY", "KASSA_TEST_EVM_RPC_HEADERS_POLYGON": "X-Api-Key: k-3"})
	b := s.btc
	if b.params != &chaincfg.SigNetParams || b.mode != asset.Test || b.user != "__cookie__" || b.pass != "5f3a9e" || b.ws != "10.0.0.2:38332" || b.blocksOnly {
		t.Errorf("btc %s %s user %q pass %q ws %q blocksOnly %v", b.params.Name, b.mode, b.user, b.pass, b.ws, b.blocksOnly)
	}
	if fmt.Sprint(b.headers) != "map[X-Api-Key:[k-1] X-Trace:[on]]" {
		t.Errorf("btc headers %v", b.headers)
	}
	l := s.ltc
	if l.esplora != "http://127.0.0.1:3002/api" || l.rpcURL != "" || l.mode != asset.Test || l.params.Bech32HRPSegwit != "rltc" || l.headers.Get("Authorization") != "Bearer t-2" {
		t.Errorf("ltc %+v", l)
	}
	if len(s.evm) != 1 || s.evm[0].network != asset.Polygon || s.evm[0].mode != asset.Test || s.evm[0].headers.Get("X-Api-Key") != "k-3" {
		t.Errorf("evm %+v", s.evm)
	}
	// The keyring derives test addresses in the configured networks' formats.
	for f, prefix := range map[asset.Family]string{asset.FamilyBTC: "tb1", asset.FamilyLTC: "rltc1"} {
		if a, err := s.keyring.Address(f, asset.Test, keys.Receive, 0); err != nil || !strings.HasPrefix(a.Encoded, prefix) {
			t.Errorf("%s test address %v, %v: want %s...", f, a, err, prefix)
		}
	}
	if s.http.RateLimit != 6000 || s.http.Burst != 200 {
		t.Errorf("default rate limit %d, burst %d", s.http.RateLimit, s.http.Burst)
	}
	s = load(map[string]string{"KASSA_BTC_RPC_URL": "https://node.example", "KASSA_BTC_NETWORK": "testnet4", "KASSA_RATE_LIMIT": "100", "KASSA_RATE_BURST": "5"})
	if s.btc.params != &chaincfg.TestNet4Params || s.btc.ws != "" || s.http.RateLimit != 100 || s.http.Burst != 5 || s.ltc != nil {
		t.Errorf("testnet4 over https: %s ws %q limit %d/%d", s.btc.params.Name, s.btc.ws, s.http.RateLimit, s.http.Burst)
	}
	if got := s.btc.params.GenesisHash.String(); got != "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043" {
		t.Errorf("testnet4 genesis %s", got)
	}
	s = load(map[string]string{"KASSA_BTC_RPC_URL": "http://127.0.0.1:18443", "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_WS": "off",
		"KASSA_LTC_RPC_URL": "http://127.0.0.1:19443", "KASSA_LTC_NETWORK": "testnet", "KASSA_LTC_WS": "127.0.0.1:19445", "KASSA_LTC_MEMPOOL_PUSH": "0"})
	if s.btc.ws != "" || s.btc.params != &chaincfg.RegressionNetParams || s.ltc.ws != "127.0.0.1:19445" || !s.ltc.blocksOnly || s.ltc.params.Bech32HRPSegwit != "tltc" {
		t.Errorf("btc ws %q, ltc ws %q blocksOnly %v %s", s.btc.ws, s.ltc.ws, s.ltc.blocksOnly, s.ltc.params.Bech32HRPSegwit)
	}
}

// testServer is run serving in a goroutine until the test ends.
type testServer struct {
	t      *testing.T
	addr   string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func startServer(t *testing.T, getenv func(string) string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{t: t, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { s.done <- run(ctx, nil, getenv, io.Discard, io.Discard, ready) }()
	select {
	case s.addr = <-ready:
	case err := <-s.done:
		cancel()
		t.Fatalf("the server did not start: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// stop shuts the server down gracefully (once).
func (s *testServer) stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				s.t.Errorf("shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			s.t.Error("no graceful shutdown")
		}
	})
}

var lastTS atomic.Int64

// nextTimestamp is now in milliseconds, never the same twice: every signature once.
func nextTimestamp() int64 {
	for {
		last := lastTS.Load()
		if ts := max(time.Now().UnixMilli(), last+1); lastTS.CompareAndSwap(last, ts) {
			return ts
		}
	}
}

// call makes a request with key, signed, and returns the status, the answer's data
// and its headers.
func (s *testServer) call(key, method, path string, body any) (int, any, http.Header) {
	s.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, "http://"+s.addr+path, bytes.NewReader(raw))
	sts := strconv.FormatInt(nextTimestamp(), 10)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Kassa-Timestamp", sts)
	req.Header.Set("X-Kassa-Signature", httphandler.Sign(key, sts, method, path, raw))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m["data"], res.Header
}

// mustCall is call that fails the test on an answer other than 2xx.
func (s *testServer) mustCall(key, method, path string, body any) map[string]any {
	s.t.Helper()
	code, data, _ := s.call(key, method, path, body)
	if code >= 300 {
		s.t.Fatalf("%s %s: %d %v", method, path, code, data)
	}
	m, _ := data.(map[string]any)
	return m
}

// simVars is a server on sim chains with its database in dir.
func simVars(dir string) map[string]string {
	return map[string]string{"KASSA_ADDR": "127.0.0.1:0", "KASSA_DB": filepath.Join(dir, "kassa.db"),
		"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_TEST_CHAINS": "sim", "KASSA_FIXED_RATES": "BTC:USD=65000,TRX:USD=0.125"}
}

// command runs a subcommand and returns what it printed.
func runCommand(getenv func(string) string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, getenv, &out, io.Discard, nil)
	return out.String(), err
}

var createdRE = regexp.MustCompile(`created (test|live) key (key_\S+) \((sk_\S+)\); the secret is shown once:\n(sk_\S+)\n$`)

// newKey runs keys create and returns the key's id and secret.
func newKey(t *testing.T, getenv func(string) string, args ...string) (id, secret string) {
	t.Helper()
	out, err := runCommand(getenv, append([]string{"keys", "create"}, args...)...)
	m := createdRE.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("keys create %v: %q, %v", args, out, err)
	}
	return m[2], m[4]
}

// TestServer_NodeCredentialsAndHeaders: the server started against stub nodes sends
// what its settings say to each: the Bitcoin node's cookie as basic authentication
// and KASSA_BTC_RPC_HEADERS, on its JSON-RPC and on btcd's websocket handshake (on
// by default for an http:// URL); KASSA_LTC_RPC_HEADERS to the Litecoin Esplora API;
// KASSA_TEST_EVM_RPC_HEADERS_ETHEREUM to the EVM node and its websocket.
func TestServer_NodeCredentialsAndHeaders(t *testing.T) {
	dir := t.TempDir()
	cookie := filepath.Join(dir, ".cookie")
	os.WriteFile(cookie, []byte("__cookie__:9e1f0c"), 0o600)
	btcNode, ltcAPI, ethNode := newStubNode(t), newStubNode(t), newStubNode(t)
	vars := map[string]string{"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_DB": filepath.Join(dir, "kassa.db"), "KASSA_ADDR": "127.0.0.1:0",
		"KASSA_FIXED_RATES": "BTC:USD=65000",
		"KASSA_BTC_RPC_URL": btcNode.URL, "KASSA_BTC_NETWORK": "regtest", "KASSA_BTC_RPC_COOKIE": cookie, "KASSA_BTC_RPC_HEADERS": "X-Api-Key: btc-1",
		"KASSA_LTC_ESPLORA_URL": ltcAPI.URL + "/api", "KASSA_LTC_NETWORK": "testnet", "KASSA_LTC_RPC_HEADERS": "X-Api-Key: ltc-2; X-Client: kassa",
		"KASSA_TEST_EVM_RPC_ETHEREUM": ethNode.URL, "KASSA_TEST_EVM_RPC_HEADERS_ETHEREUM": "X-Api-Key: eth-3"}
	startServer(t, getenvOf(vars))
	// Each stub must see a request of each kind it serves: JSON-RPC or REST, and a
	// websocket handshake where the backend pushes.
	kinds := func(n *stubNode, ws bool) bool {
		var rest, hs bool
		for _, r := range n.seen() {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				hs = true
			} else {
				rest = true
			}
		}
		return rest && (hs || !ws)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !(kinds(btcNode, true) && kinds(ltcAPI, false) && kinds(ethNode, true)) {
		if time.Now().After(deadline) {
			t.Fatalf("stubs reached: btc %d requests, ltc %d, eth %d", len(btcNode.seen()), len(ltcAPI.seen()), len(ethNode.seen()))
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of the stubs
	}
	for _, r := range btcNode.seen() {
		user, pass, ok := r.BasicAuth()
		if r.Header.Get("X-Api-Key") != "btc-1" || !ok || user != "__cookie__" || pass != "9e1f0c" {
			t.Errorf("bitcoin node: %s %s with X-Api-Key %q, basic auth %q %q %v", r.Method, r.URL.Path, r.Header.Get("X-Api-Key"), user, pass, ok)
		}
	}
	for _, r := range ltcAPI.seen() {
		if r.Header.Get("X-Api-Key") != "ltc-2" || r.Header.Get("X-Client") != "kassa" || !strings.HasPrefix(r.URL.Path, "/api/") {
			t.Errorf("litecoin Esplora: %s %s with %v", r.Method, r.URL.Path, r.Header)
		}
	}
	for _, r := range ethNode.seen() {
		if r.Header.Get("X-Api-Key") != "eth-3" {
			t.Errorf("ethereum node: %s %s with X-Api-Key %q", r.Method, r.URL.Path, r.Header.Get("X-Api-Key"))
		}
	}
}

// TestServer_DefaultRateLimitLetsAClientPoll (issue 19): with the server's defaults
// (6000 requests an hour, bursts of 200) a client that polls an invoice every 2 s
// (1,800 an hour) and creates invoices is never refused; 150 requests at once, more
// than the library's default burst of 100, all pass.
func TestServer_DefaultRateLimitLetsAClientPoll(t *testing.T) {
	vars := simVars(t.TempDir())
	getenv := getenvOf(vars)
	_, key := newKey(t, getenv, "--mode", "test")
	srv := startServer(t, getenv)
	inv := srv.mustCall(key, "POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD", "to_currency": "TRX"})
	for i := range 150 {
		code, _, h := srv.call(key, "GET", "/v1/invoices/"+inv["id"].(string), nil)
		if code != http.StatusOK || h.Get("X-RateLimit-Limit") != "6000" {
			t.Fatalf("request %d: %d, X-RateLimit-Limit %q", i+2, code, h.Get("X-RateLimit-Limit"))
		}
	}
}

// TestServer_BtcdPushSeesAPaymentBeforeThePoll (issue 19): the server on a real btcd
// (regtest) with its default settings (btcd's websocket on the RPC URL's host, mempool
// push on) and a 30 s poll interval sees payments on the API, their invoices
// confirming, long before the next poll could have found them. Two payments: the first
// right after start (it may wait for the watcher's first scan of the chain, about 200
// blocks here), the second once the server is steady. It logs the measured latency of
// each, from before the payment is built to the API showing it; only a bound far below
// the poll interval is asserted (a time is not, on a loaded machine).
func TestServer_BtcdPushSeesAPaymentBeforeThePoll(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	node := btcdtest.Start(t)
	const poll = 30 * time.Second
	vars := map[string]string{"KASSA_ADDR": "127.0.0.1:0", "KASSA_DB": filepath.Join(t.TempDir(), "kassa.db"),
		"KASSA_MASTER_KEY": strings.Repeat("ab", 32), "KASSA_FIXED_RATES": "BTC:USD=65000", "KASSA_POLL_INTERVAL": poll.String(),
		"KASSA_BTC_RPC_URL": node.URL, "KASSA_BTC_RPC_USER": node.User, "KASSA_BTC_RPC_PASS": node.Pass, "KASSA_BTC_NETWORK": "regtest"}
	getenv := getenvOf(vars)
	if s, err := loadSettings(getenv); err != nil || s.btc.ws != node.Host || s.btc.blocksOnly {
		t.Fatalf("push is not on by default: %+v, %v", s.btc, err)
	}
	_, key := newKey(t, getenv, "--mode", "test")
	srv := startServer(t, getenv)
	for _, which := range []string{"first, after start", "second, steady"} {
		inv := srv.mustCall(key, "POST", "/v1/invoices", map[string]any{"amount": "0.001", "currency": "BTC"})
		addr := inv["payment_methods"].([]any)[0].(map[string]any)["address"].(string)
		script, err := bitcoin.AddressScript(addr, node.Params)
		if err != nil {
			t.Fatal(err)
		}
		path := "/v1/invoices/" + inv["id"].(string)
		sent := time.Now() // before the payment is built and broadcast: the latency is an upper bound
		node.Payer().Pay(btcdtest.Output{Script: script, Sats: 100_000})
		deadline := sent.Add(poll / 2)
		// The API is polled every 10 ms at first, backing off to 250 ms: fine enough to
		// measure, and within the default rate limit for the whole deadline.
		for wait := 10 * time.Millisecond; ; wait = min(wait*5/4, 250*time.Millisecond) {
			got := srv.mustCall(key, "GET", path, nil)
			if got["status"] != "pending" {
				t.Logf("%s payment: seen on the API %v after it was sent (status %s); the next poll was %v away",
					which, time.Since(sent).Round(time.Millisecond), got["status"], poll)
				if got["status"] != "confirming" || got["amount_paid"] != "0.001" {
					t.Errorf("after the payment: %v", got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s payment: not seen within %v of its broadcast: push is not working", which, poll/2)
			}
			time.Sleep(wait) // a bounded poll of the API
		}
	}
	srv.stop()
}

// TestServer_MetricsProbesAndMnemonic: with KASSA_METRICS_ADDR the server serves
// Prometheus metrics there (the Gateway's, the API's, the process's), never on the
// API's address; /healthz and /readyz answer on the API's address; mnemonic prints a
// valid 24-word mnemonic.
func TestServer_MetricsProbesAndMnemonic(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	vars := simVars(t.TempDir())
	vars["KASSA_METRICS_ADDR"] = metricsAddr
	getenv := getenvOf(vars)
	_, key := newKey(t, getenv)
	s := startServer(t, getenv)
	s.mustCall(key, "POST", "/v1/invoices", map[string]any{"amount": "10", "currency": "USD"})
	probe := func(path string) int {
		res, err := http.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := probe("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	// Ready once every watcher has stepped (503 "starting" until then): polled five
	// times a second, within the public rate limit's burst.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(20 * time.Second); probe("/readyz") != 200; <-tick.C {
		if time.Now().After(deadline) {
			t.Fatal("/readyz never answered 200")
		}
	}
	if res, err := http.Get("http://" + s.addr + "/metrics"); err != nil || res.StatusCode != 404 {
		t.Errorf("/metrics on the API's address: %v %v", res.StatusCode, err)
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`kassa_invoices{mode="test",status="pending"} 1`, `kassa_http_requests_total{code="201",method="POST",route="/v1/invoices"} 1`,
		"kassa_watcher_up", "go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	out, err := runCommand(getenv, "mnemonic")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.TrimSpace(out)
	if len(strings.Fields(words)) != 24 {
		t.Fatalf("mnemonic printed %q", words)
	}
	if _, err := keys.FromMnemonic(words, ""); err != nil {
		t.Fatalf("the printed mnemonic is not valid: %v", err)
	}
	if again, _ := runCommand(getenv, "mnemonic"); strings.TrimSpace(again) == words {
		t.Fatal("two mnemonics are the same")
	}
}
