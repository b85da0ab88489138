package httphandler_test

import (
	"image"
	"image/color"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/httphandler"
	"github.com/makiuchi-d/gozxing"
	gozqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/shopspring/decimal"
)

// page fetches a hosted page without any API key, as a payer's browser does.
func (a *api) page(path, lang string) (int, http.Header, string) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.srv.URL+"/pay"+path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

var qrPath = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)

// decodeQR rasterises the page's SVG QR code and decodes it with a QR reader.
func decodeQR(t *testing.T, html string) string {
	t.Helper()
	vb := regexp.MustCompile(`<svg[^>]*viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(html)
	if vb == nil {
		t.Fatal("no QR code on the page")
	}
	n, _ := strconv.Atoi(vb[1])
	const scale = 6
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, m := range qrPath.FindAllStringSubmatch(html, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		for dy := range scale {
			for dx := range scale {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	return decodeImage(t, img)
}

// decodeImage reads the QR code in img with a QR reader (gozxing).
func decodeImage(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the image: %v", err)
	}
	return res.GetText()
}

func TestCheckoutPage(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD", "accepted_assets": []string{"BTC", "USDT_TRON"},
		"product_name": `<script>alert("x")</script> Tee`, "success_url": "https://shop.example/thanks?o=1&x=<b>",
		"cancel_url": "https://shop.example/cart", "metadata": map[string]any{"secret": "meta-7f3"}, "customer_email": "payer@example.com"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	methods := inv.data()["payment_methods"].([]any)
	btc := methods[0].(map[string]any)

	code, hdr, html := a.page("/checkout/"+id, "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", code, hdr.Get("Content-Type"))
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	for _, want := range []string{btc["address"].(string), btc["amount_due"].(string), "Send only</strong>", "BTC on Bitcoin", `lang="en"`,
		`href="https://shop.example/cart"`, "Test mode", `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Tee`} {
		if !strings.Contains(html, want) && !strings.Contains(html, strings.ReplaceAll(want, "</strong>", "")) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, never := range []string{"<script>alert", "meta-7f3", "payer@example.com", `src="http`, `href="http:`} {
		if strings.Contains(html, never) {
			t.Errorf("page shows %q", never)
		}
	}
	if got := decodeQR(t, html); got != btc["payment_uri"] {
		t.Fatalf("QR code says %q, want %q", got, btc["payment_uri"])
	}
	// The chooser: the other method's address, warning and QR.
	tron := methods[1].(map[string]any)
	_, _, html = a.page("/checkout/"+id+"?method=USDT_TRON", "")
	if !strings.Contains(html, tron["address"].(string)) || !strings.Contains(html, "USDT on Tron") || decodeQR(t, html) != tron["payment_uri"] {
		t.Fatalf("USDT_TRON page wrong")
	}
	// Another language.
	if _, hdr, html := a.page("/checkout/"+id, "fr;q=0.9, de-DE;q=0.8, en;q=0.5"); !strings.Contains(html, `lang="de"`) ||
		!strings.Contains(html, "Kopieren") || hdr.Get("Content-Language") != "de" {
		t.Fatal("German page not chosen")
	}
	// Static files are served by the handler itself.
	for _, f := range []string{"checkout.css", "checkout.js"} {
		if code, hdr, body := a.page("/static/"+f, ""); code != 200 || len(body) < 100 || hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d", f, code)
		}
	}
	if code, _, _ := a.page("/static/../handler.go", ""); code == 200 {
		t.Fatal("static served a file outside the page")
	}
	// Unknown id: a plain 404 page.
	if code, hdr, html := a.page("/checkout/inv_doesnotexist", ""); code != 404 || !strings.Contains(html, "Not found") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("unknown id: %d %s", code, html)
	}

	// Partial payment: the remaining amount, in the method paid into.
	half := "0.00015385" // about half of the BTC due
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": half, "confirmations": 1}, nil), 200, "")
	_, _, html = a.page("/checkout/"+id+"?method=USDT_TRON", "")
	if !strings.Contains(html, `id="partial"`) || !strings.Contains(html, half+" BTC") || !strings.Contains(html, btc["address"].(string)) {
		t.Fatalf("partial page:\n%s", html)
	}
	// Paid: the rest arrives; the page says so and links to success_url.
	st := a.do("GET", "/checkout/"+id+"/status", nil, nil)
	due := st.data()["payment_methods"].([]any)[0].(map[string]any)["amount_due"].(string)
	rest := dec(due).Sub(dec(half)).String()
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": rest, "confirmations": 1}, nil), 200, "")
	_, _, html = a.page("/checkout/"+id, "")
	if !strings.Contains(html, "Payment received") || !strings.Contains(html, `href="https://shop.example/thanks?o=1&amp;x=%3cb%3e"`) || strings.Contains(html, "<svg") {
		t.Fatalf("paid page:\n%s", html)
	}

	// The test-mode button pays what is due and sends the payer back to the page.
	other := a.do("POST", "/v1/invoices", map[string]any{"amount": "7", "currency": "USDT_TRON", "success_url": "https://shop.example/ok"}, nil)
	oid := other.data()["id"].(string)
	if _, _, html := a.page("/checkout/"+oid, ""); !strings.Contains(html, `action="`+oid+`/test-pay"`) {
		t.Fatal("no test-pay button on a test page")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(a.srv.URL+"/pay/checkout/"+oid+"/test-pay", url.Values{"method": {"USDT_TRON"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 || res.Header.Get("Location") != "../"+oid+"?method=USDT_TRON" {
		t.Fatalf("test pay: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, _, html := a.page("/checkout/"+oid, ""); !strings.Contains(html, "Payment received") {
		t.Fatal("page not paid after the test-pay button")
	}
	res, _ = noRedirect.PostForm(a.srv.URL+"/pay/checkout/"+oid+"/test-pay", url.Values{"method": {"DOGE"}})
	if res.StatusCode != 422 {
		t.Fatalf("test pay of an unknown method: %d", res.StatusCode)
	}
	res.Body.Close()

	// Confirmations progress, on the page and in its status.
	conf := a.do("POST", "/v1/invoices", map[string]any{"amount": "3", "currency": "USDT_TRON"}, nil)
	cid := conf.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+cid+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "3", "confirmations": 5}, nil), 200, "")
	if _, _, html := a.page("/checkout/"+cid, ""); !strings.Contains(html, `<strong id="conf">5 of 19</strong>`) || !strings.Contains(html, `data-key="confirming|3|0|5"`) {
		t.Fatalf("confirming page:\n%s", html)
	}
	if st := a.do("GET", "/checkout/"+cid+"/status", nil, nil); st.data()["confirmations"].(float64) != 5 || st.data()["confirmations_required"].(float64) != 19 {
		t.Fatalf("status %s", st.raw)
	}

	// Expired without payment.
	exp := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USDT_TRON", "lifetime": 300}, nil)
	a.env.Advance(6 * time.Minute)
	if _, _, html := a.page("/checkout/"+exp.data()["id"].(string), ""); !strings.Contains(html, "Payment expired") || strings.Contains(html, "<svg") {
		t.Fatalf("expired page:\n%s", html)
	}
}

func TestCheckoutPage_UnsafeURLsAreRefused(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	for _, u := range []string{"javascript:alert(1)", "data:text/html,x", "//evil.example"} {
		r := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USD", "success_url": u}, nil)
		want(t, r, 422, "validation_error")
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
