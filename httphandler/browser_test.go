package httphandler_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// browser is a Chromium tab whose page is width x height CSS pixels: headless
// Chromium keeps its window at least 500 px wide, so a phone's width is emulated.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	ctx := browsertest.Start(t, width, height)
	var inner int
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(int64(width), int64(height)), chromedp.Navigate("about:blank"),
		chromedp.Evaluate(`window.innerWidth`, &inner)); err != nil {
		t.Fatal(err)
	}
	if inner != width {
		t.Fatalf("the page is %d px wide, want %d", inner, width)
	}
	return ctx
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
// addressWhole says whether the address field shows its whole address, with nothing
// scrolled out of sight.
const addressWhole = `(() => { const e = document.getElementById("address");
	return e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight + 1 })()`

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
	var fits, whole, fold bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/pay/checkout/"+id),
		chromedp.WaitVisible("#address", chromedp.ByID),
		chromedp.Value("#address", &addr, chromedp.ByID),
		chromedp.Text("#amount", &amount, chromedp.ByID),
		chromedp.Screenshot("figure.qr svg", &shot, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
		chromedp.Evaluate(addressWhole, &whole),
		chromedp.Evaluate(`document.getElementById("countdown").getBoundingClientRect().bottom <= window.innerHeight`, &fold),
	); err != nil {
		t.Fatal(err)
	}
	if !fits {
		t.Fatal("the page scrolls sideways at 375 px")
	}
	if !fold {
		t.Fatal("the countdown is below the fold at 375x812")
	}
	if !whole {
		t.Fatal("the address is cut off at 375 px")
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
// an expired page, at 1280 px.
func TestBrowser_PartialExpiredAndWide(t *testing.T) {
	ctx := browser(t, 1280, 900)
	a := newAPI(t, httphandler.Options{})
	base := strings.TrimSuffix(a.srv.URL, "/") + "/pay/checkout/"
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "25", "currency": "USD", "product_name": "Kassa hoodie",
		"accepted_assets": []string{"USDT_TRON", "BTC"}, "cancel_url": "https://shop.example/cart"}, nil)
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "10", "confirmations": 19}, nil), 200, "")
	var partial string
	var whole bool
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+id),
		chromedp.WaitVisible("#partial", chromedp.ByID),
		chromedp.Text("#partial", &partial, chromedp.ByID),
		chromedp.Evaluate(addressWhole, &whole),
	); err != nil {
		t.Fatal(err)
	}
	if !whole {
		t.Fatal("the address is cut off at 1280 px")
	}
	if !strings.Contains(partial, "10 USDT") || !strings.Contains(partial, "15 USDT") {
		t.Fatalf("partial notice %q", partial)
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

// TestBrowser_WalletLink: at phone width, "Open in wallet" of every method leads to
// exactly the method's payment URI from the page's status (bitcoin:, litecoin:,
// ethereum: for a coin and a token, tron:), as Chromium reads the link.
func TestBrowser_WalletLink(t *testing.T) {
	ctx := browser(t, 375, 812)
	a := newAPI(t, httphandler.Options{})
	base := strings.TrimSuffix(a.srv.URL, "/") + "/pay/checkout/"
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD",
		"accepted_assets": []string{"BTC", "LTC", "ETH", "USDC_ETHEREUM", "TRX"}}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	_, methods := a.statusMethods(id)
	// Every method is in sight at once (no dropdown), on the page's width, and
	// following one makes it the one to pay.
	var shown int
	var inside bool
	var title string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+id),
		chromedp.WaitVisible("#method", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#method a").length`, &shown),
		chromedp.Evaluate(`[...document.querySelectorAll("#method a")].every(a => { const r = a.getBoundingClientRect();
			return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth })`, &inside),
		chromedp.Click(`#method a[href$="method=USDC_ETHEREUM"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#method a[aria-current][href$="method=USDC_ETHEREUM"]`, chromedp.ByQuery),
		chromedp.Text("#pay-title", &title, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if shown != len(methods) || !inside || !strings.Contains(title, "USDC") {
		t.Fatalf("%d of %d methods shown, all inside the page: %v; after choosing USDC: %q", shown, len(methods), inside, title)
	}
	for code, m := range methods {
		var href, resolved string
		var ok bool
		if err := chromedp.Run(ctx,
			chromedp.Navigate(base+id+"?method="+code),
			chromedp.WaitVisible("#wallet", chromedp.ByID),
			chromedp.AttributeValue("#wallet", "href", &href, &ok, chromedp.ByID),
			chromedp.Evaluate(`document.getElementById("wallet").href`, &resolved),
		); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if uri := m["payment_uri"].(string); !ok || href != uri || resolved != uri {
			t.Errorf("%s: the wallet link goes to %q (attribute %q), want %q", code, resolved, href, uri)
		}
	}
}

// TestBrowser_ConfirmingShowsProgressOnly, at phone and desktop width: the page asks
// for the amount; the whole amount is paid behind its back and the page turns by
// itself to the confirmations progress and what was received, with no send
// instructions, QR code, fields, wallet link or test-funds button; it follows each new
// block, then turns paid.
func TestBrowser_ConfirmingShowsProgressOnly(t *testing.T) {
	for _, size := range [][2]int{{375, 812}, {1280, 900}} {
		t.Run(fmt.Sprintf("%dpx", size[0]), func(t *testing.T) {
			ctx := browser(t, size[0], size[1])
			a := newAPI(t, httphandler.Options{})
			inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "30", "currency": "USD", "accepted_assets": []string{"ETH", "BTC"},
				"cancel_url": "https://shop.example/cart"}, nil)
			want(t, inv, 201, "")
			id := inv.data()["id"].(string)
			_, methods := a.statusMethods(id)
			due := methods["ETH"]["amount_due"].(string)
			var before string
			if err := chromedp.Run(ctx,
				chromedp.Navigate(strings.TrimSuffix(a.srv.URL, "/")+"/pay/checkout/"+id+"?method=ETH"),
				chromedp.WaitVisible("#wallet", chromedp.ByID),
				chromedp.Text("#pay-title", &before, chromedp.ByID),
			); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(before, "Send "+due+" ETH") {
				t.Fatalf("pending page asks %q, want the %s ETH due", before, due)
			}
			want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "ETH", "amount": due, "confirmations": 1}, nil), 200, "")
			st, methods := a.statusMethods(id)
			if st["status"] != "confirming" {
				t.Fatalf("status %v after paying the whole amount with one block", st["status"])
			}
			received := methods["ETH"]["amount_paid"].(string) + " " + methods["ETH"]["currency"].(string)
			conf, req := int(st["confirmations"].(float64)), int(st["confirmations_required"].(float64))
			for _, blocks := range []int{0, 1} {
				if blocks > 0 {
					a.env.Mine(asset.Ethereum, blocks)
					st, _ := a.statusMethods(id)
					conf = int(st["confirmations"].(float64))
				}
				checkProgressOnly(t, ctx, conf, req, received)
			}
			a.env.Mine(asset.Ethereum, req-conf)
			var paid string
			var paying int
			if err := chromedp.Run(ctx,
				chromedp.WaitVisible("section.ok", chromedp.ByQuery),
				chromedp.Text("section.ok h2", &paid, chromedp.ByQuery),
				chromedp.Evaluate(`document.querySelectorAll(`+strconv.Quote(payingSelector)+`).length`, &paying),
			); err != nil {
				t.Fatal(err)
			}
			if paid != "Payment received" || paying != 0 {
				t.Fatalf("paid page says %q, with %d parts asking for money", paid, paying)
			}
		})
	}
}

// payingSelector finds the parts of the page that ask for money.
const payingSelector = "#pay-title, #amount, figure.qr, svg, #wallet, #testpay, #address, #amount-field, [data-copy], #countdown, #method"

// checkProgressOnly waits until the page shows conf of req confirmations and checks it
// shows the progress bar and what was received, fits the window, and asks for nothing.
func checkProgressOnly(t *testing.T, ctx context.Context, conf, req int, received string) {
	t.Helper()
	var page struct {
		Text, Conf, Received string
		Paying               int
		Fits                 bool
		Bar                  struct{ Value, Max, Width float64 }
	}
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(fmt.Sprintf(`progress[value="%d"][max="%d"]`, conf, req), chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const bar = document.querySelector("progress"), text = id => (document.getElementById(id) || {}).textContent || ""; return {
			text: document.body.innerText, conf: text("conf"), received: text("received"),
			paying: document.querySelectorAll(`+strconv.Quote(payingSelector)+`).length,
			fits: document.documentElement.scrollWidth <= window.innerWidth,
			bar: {value: bar.value, max: bar.max, width: bar.getBoundingClientRect().width} }; })()`, &page),
	); err != nil {
		t.Fatal(err)
	}
	what := fmt.Sprintf("confirming page at %d of %d", conf, req)
	if page.Conf != fmt.Sprintf("%d of %d", conf, req) || page.Bar.Value != float64(conf) || page.Bar.Max != float64(req) || page.Bar.Width < 100 {
		t.Errorf("%s: progress %q, bar %+v", what, page.Conf, page.Bar)
	}
	if !strings.Contains(page.Received, received) {
		t.Errorf("%s: received %q, want %q", what, page.Received, received)
	}
	if page.Paying != 0 || strings.Contains(strings.ToLower(page.Text), "send") {
		t.Errorf("%s: %d parts ask for money; text:\n%s", what, page.Paying, page.Text)
	}
	if !page.Fits {
		t.Errorf("%s: the page scrolls sideways", what)
	}
}
