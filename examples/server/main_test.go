package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/httphandler"
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
	for name, bad := range map[string]string{"KASSA_MASTER_KEY": "short", "KASSA_WEBHOOK_TIMEOUT": "soon", "KASSA_WEBHOOK_LEASE": "-1s",
		"KASSA_POLL_INTERVAL": "0s", "KASSA_RATE_LIMIT": "many", "KASSA_RATE_BURST": "-5", "KASSA_IDEMPOTENCY_LEASE": "1"} {
		err := run(context.Background(), nil, func(k string) string {
			if k == name {
				return bad
			}
			return getenv(k)
		}, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s=%s: %v", name, bad, err)
		}
	}
	// PostgreSQL settings: a malformed URL and a bad pool size are named, before any
	// connection is tried.
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

func TestPayoutOptions(t *testing.T) {
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	po, err := payoutOptions(get(map[string]string{"KASSA_PAYOUT_APPROVAL_USD": "250.5", "KASSA_SMTP_ADDR": "127.0.0.1:25",
		"KASSA_SMTP_FROM": "k@shop.example", "KASSA_OWNER_EMAIL": "o@shop.example", "KASSA_PAYOUT_WINDOW_USD": "1000",
		"KASSA_PAYOUT_WINDOW": "12h"}))
	if err != nil || po.ApprovalUSD.String() != "250.5" || po.Notifier == nil || po.WindowUSD.String() != "1000" || po.Window != 12*time.Hour {
		t.Fatalf("options %+v, %v", po, err)
	}
	if po, err := payoutOptions(get(nil)); err != nil || po.Notifier != nil || !po.ApprovalUSD.IsZero() {
		t.Fatalf("defaults %+v, %v", po, err)
	}
	for _, bad := range []map[string]string{{"KASSA_PAYOUT_APPROVAL_USD": "-1"}, {"KASSA_PAYOUT_APPROVAL_USD": "lots"}, {"KASSA_SMTP_ADDR": "127.0.0.1:25"},
		{"KASSA_PAYOUT_WINDOW_USD": "0"}, {"KASSA_PAYOUT_WINDOW": "-1h"}, {"KASSA_PAYOUT_WINDOW": "day"}} {
		if _, err := payoutOptions(get(bad)); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}
