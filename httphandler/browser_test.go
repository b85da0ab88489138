package httphandler_test

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/browsertest"
	"github.com/kassapay/kassa/kassatest"
)

func browser(t *testing.T, width, height int) context.Context {
	return browsertest.Start(t, width, height)
}

// decodePNG decodes the QR code in a screenshot.
func decodePNG(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	return decodeImage(t, img)
}

// TestBrowser_CheckoutPaidAndRedirected loads the page in Chromium at phone width,
// reads the address and amount, decodes the QR code from a screenshot, pays on the
// test chain behind the page's back, watches the page turn paid by itself, and follows
// the redirect to success_url.
func TestBrowser_CheckoutPaidAndRedirected(t *testing.T) {
	ctx := browser(t, 375, 812)
	env := kassatest.New(t)
	h, err := httphandler.New(env.Gateway, httphandler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", h))
	mux.HandleFunc("/thanks", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<h1 id=thanks>Thanks</h1>")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a := &api{t: t, env: env, srv: srv}
	a.key = a.newKey(apikey.CreateParams{Mode: asset.Test})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.001", "currency": "BTC", "product_name": "Kassa tee",
		"success_url": srv.URL + "/thanks"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	m := inv.data()["payment_methods"].([]any)[0].(map[string]any)

	var addr, amount string
	var shot []byte
	var fits bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/pay/checkout/"+id),
		chromedp.WaitVisible("#address", chromedp.ByID),
		chromedp.Value("#address", &addr, chromedp.ByID),
		chromedp.Text("#amount", &amount, chromedp.ByID),
		chromedp.Screenshot("figure.qr svg", &shot, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
	); err != nil {
		t.Fatal(err)
	}
	if !fits {
		t.Fatal("the page scrolls sideways at 375 px")
	}
	if addr != m["address"] || amount != m["amount_due"] {
		t.Fatalf("page shows %s %s, want %s %s", addr, amount, m["address"], m["amount_due"])
	}
	if got := decodePNG(t, shot); got != m["payment_uri"] {
		t.Fatalf("QR code in the browser says %q, want %q", got, m["payment_uri"])
	}
	// Pay behind the page's back: its live status turns it paid, then it redirects.
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": "0.001", "confirmations": 1}, nil), 200, "")
	var loc string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible("#continue", chromedp.ByID),
		chromedp.WaitVisible("#thanks", chromedp.ByID),
		chromedp.Location(&loc),
	); err != nil {
		t.Fatal(err)
	}
	if loc != srv.URL+"/thanks" {
		t.Fatalf("redirected to %s", loc)
	}
}

// TestBrowser_PartialExpiredAndWide: the test-funds button, a partial payment's page,
// an expired page, and the page at 1280 px (saved as docs/checkout.png with
// KASSA_SCREENSHOT=1).
func TestBrowser_PartialExpiredAndWide(t *testing.T) {
	ctx := browser(t, 1280, 900)
	a := newAPI(t, httphandler.Options{})
	base := strings.TrimSuffix(a.srv.URL, "/") + "/pay/checkout/"
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "25", "currency": "USD", "product_name": "Kassa hoodie",
		"accepted_assets": []string{"USDT_TRON", "BTC"}, "cancel_url": "https://shop.example/cart"}, nil)
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "10", "confirmations": 19}, nil), 200, "")
	var partial, png string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+id),
		chromedp.WaitVisible("#partial", chromedp.ByID),
		chromedp.Text("#partial", &partial, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(partial, "10 USDT") || !strings.Contains(partial, "15 USDT") {
		t.Fatalf("partial notice %q", partial)
	}
	if os.Getenv("KASSA_SCREENSHOT") == "1" {
		png = filepath.Join("..", "docs", "checkout.png")
		var wide []byte
		if err := chromedp.Run(ctx, chromedp.Navigate(base+id), chromedp.WaitVisible("#address", chromedp.ByID), chromedp.FullScreenshot(&wide, 100)); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(png), 0o755)
		if err := os.WriteFile(png, wide, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The button pays the rest on the test chain.
	var paid string
	if err := chromedp.Run(ctx,
		chromedp.Click("#testpay", chromedp.ByID),
		chromedp.WaitVisible("section.ok", chromedp.ByQuery),
		chromedp.Text("section.ok h2", &paid, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if paid != "Payment received" {
		t.Fatalf("after the test-funds button: %q", paid)
	}
	exp := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USDT_TRON", "lifetime": 300}, nil)
	a.env.Advance(6 * time.Minute)
	var expired string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+exp.data()["id"].(string)),
		chromedp.WaitVisible("section.bad", chromedp.ByQuery),
		chromedp.Text("section.bad h2", &expired, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if expired != "Payment expired" {
		t.Fatalf("expired page says %q", expired)
	}
}
