package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/shopspring/decimal"
)

func TestEmbed_ShopFlow(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Shop, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, io.Discard, ready) }()
	shop := <-ready
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Post("http://"+addr+"/buy", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/checkout/inv_") {
		t.Fatalf("buy: %d %s", res.StatusCode, loc)
	}
	id := strings.TrimPrefix(loc, "/pay/checkout/")
	// The mounted API answers under /pay/ (the public status needs no key).
	st, err := http.Get("http://" + addr + "/pay/checkout/" + id + "/status")
	if err != nil || st.StatusCode != 200 {
		t.Fatalf("status: %v %v", st, err)
	}
	st.Body.Close()
	// Pay through the Go API's test helper, as the shop's own tests would.
	if _, err := shop.gw.TestPay(context.Background(), id, "TRX", mustDec("200"), 19); err != nil {
		t.Fatal(err)
	}
	// TestPay runs one synchronous pass: the subscriber has marked the order paid.
	shop.mu.Lock()
	paid := shop.orders[id].Paid
	shop.mu.Unlock()
	if !paid {
		inv, _ := shop.gw.Invoices().Get(context.Background(), asset.Test, id)
		t.Fatalf("order not marked paid (invoice %s)", inv.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
