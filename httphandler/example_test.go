package httphandler_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/shopspring/decimal"
)

// exampleGateway is a test-mode Gateway on a simulated Bitcoin chain, with the
// master key the handler needs.
func exampleGateway() *kassa.Gateway {
	g, err := kassa.New(kassa.Config{
		Mnemonic:     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		MasterKey:    []byte("example master key of 32 bytes!!"),
		DatabasePath: ":memory:",
		Chains:       []chains.Backend{sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	return g
}

// Mount the API and the checkout pages under /pay/ of a shop's own mux, create an
// invoice in Go and send the customer to its checkout page.
func Example() {
	ctx := context.Background()
	g := exampleGateway()
	defer g.Close()
	shop := http.NewServeMux()
	srv := httptest.NewServer(shop)
	defer srv.Close()

	pay, err := httphandler.New(g, httphandler.Options{PublicURL: srv.URL + "/pay", StoreName: "Tee shop"})
	if err != nil {
		panic(err)
	}
	shop.Handle("/pay/", http.StripPrefix("/pay", pay))

	inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.001"), Currency: "BTC"})
	if err != nil {
		panic(err)
	}
	url := pay.CheckoutURL(inv.ID)
	fmt.Println(strings.TrimPrefix(url, srv.URL+"/pay/checkout/") == inv.ID)
	resp, err := http.Get(url)
	if err != nil {
		panic(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(page), "Tee shop"), strings.Contains(string(page), inv.Methods[0].Address))
	// Output:
	// true
	// 200 true true
}

// sign returns the X-Kassa-Signature of a request, written from API.md alone: the
// lower-case hex HMAC-SHA256, keyed with the secret API key, of timestamp + METHOD +
// path + body. The handler's tests sign with it too.
func sign(secret, timestamp, method, path string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + method + path))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// A client creates an invoice through the REST API with a signed request.
func Example_signedRequest() {
	ctx := context.Background()
	g := exampleGateway()
	defer g.Close()
	key, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test, Label: "example"})
	if err != nil {
		panic(err)
	}
	pay, err := httphandler.New(g, httphandler.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(pay)
	defer srv.Close()

	body := []byte(`{"amount":"0.001","currency":"BTC","order_id":"ORD-1"}`)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/invoices", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Kassa-Timestamp", ts)
	req.Header.Set("X-Kassa-Signature", sign(key.Secret, ts, "POST", "/v1/invoices", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Status  string `json:"status"`
			OrderID string `json:"order_id"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	fmt.Println(resp.StatusCode, out.Data.Status, out.Data.OrderID)
	// Output:
	// 201 pending ORD-1
}
