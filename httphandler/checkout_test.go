package httphandler_test

import (
	"fmt"
	"html"
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

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
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
	// The chooser: the other method's address and warning. Test-mode USDT on Tron has
	// no contract in the registry, so no payment URI: no QR code and no wallet link
	// that would name no token (issue 14.11), the address and amount to copy only.
	tron := methods[1].(map[string]any)
	_, _, html = a.page("/checkout/"+id+"?method=USDT_TRON", "")
	if _, link := attr(html, "wallet", "href"); !strings.Contains(html, tron["address"].(string)) ||
		!strings.Contains(html, "USDT on Tron (TRC20)") || tron["payment_uri"] != "" || strings.Contains(html, "<svg") || link {
		t.Fatalf("USDT_TRON page wrong")
	}
	// Another language.
	if _, hdr, html := a.page("/checkout/"+id, "nl;q=0.9, de-DE;q=0.8, en;q=0.5"); !strings.Contains(html, `lang="de"`) ||
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

// attr returns the value (HTML entities decoded) of attribute name of the element with
// the given id on a page, and whether that element has it.
func attr(page, id, name string) (string, bool) {
	tag := regexp.MustCompile(`<[a-z]+\s[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// statusMethods is the page's public status and its payment methods by code.
func (a *api) statusMethods(id string) (map[string]any, map[string]map[string]any) {
	a.t.Helper()
	st := a.do("GET", "/checkout/"+id+"/status", nil, nil)
	want(a.t, st, 200, "")
	byCode := map[string]map[string]any{}
	for _, m := range st.data()["payment_methods"].([]any) {
		mm := m.(map[string]any)
		byCode[mm["code"].(string)] = mm
	}
	return st.data(), byCode
}

// TestCheckoutPage_WalletLink: "Open in wallet" links to exactly the method's payment
// URI for every URI scheme Kassa builds (bitcoin, litecoin, ethereum for coins and
// tokens, tron), never to html/template's "#ZgotmplZ".
func TestCheckoutPage_WalletLink(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "20", "currency": "USD",
		"accepted_assets": []string{"BTC", "LTC", "ETH", "USDC_ETHEREUM", "USDT_TRON", "TRX"}}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	_, methods := a.statusMethods(id)
	schemes := map[string]bool{}
	for code, m := range methods {
		uri := m["payment_uri"].(string)
		if code == "USDT_TRON" { // no test-mode contract: no URI and no link (issue 14.11)
			_, _, page := a.page("/checkout/"+id+"?method="+code, "en")
			if _, ok := attr(page, "wallet", "href"); ok || uri != "" {
				t.Errorf("USDT_TRON without a contract: URI %q, wallet link %v", uri, ok)
			}
			continue
		}
		scheme, _, _ := strings.Cut(uri, ":")
		schemes[scheme] = true
		for _, lang := range []string{"en", "de"} {
			_, _, page := a.page("/checkout/"+id+"?method="+code, lang)
			if strings.Contains(page, "ZgotmplZ") {
				t.Errorf("%s (%s): the page has html/template's unsafe-URL marker", code, lang)
			}
			href, ok := attr(page, "wallet", "href")
			if !ok || href != uri {
				t.Errorf("%s (%s): wallet link %q (present %v), want the payment URI %q", code, lang, href, ok, uri)
			}
		}
	}
	for _, s := range []string{"bitcoin", "litecoin", "ethereum", "tron"} {
		if !schemes[s] {
			t.Errorf("no method with a %s: URI was tried (%v)", s, schemes)
		}
	}
	// After a partial payment the link and the QR code ask for what is still due.
	paid := dec(methods["LTC"]["amount_due"].(string)).Div(dec("4")).Round(8)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "LTC", "amount": paid.String(), "confirmations": 6}, nil), 200, "")
	_, methods = a.statusMethods(id)
	uri := methods["LTC"]["payment_uri"].(string)
	rest := dec(methods["LTC"]["amount_due"].(string)).Sub(paid)
	if !strings.HasSuffix(uri, "?amount="+rest.String()) {
		t.Fatalf("payment URI %q after paying %s of %s", uri, paid, methods["LTC"]["amount_due"])
	}
	_, _, page := a.page("/checkout/"+id, "")
	if href, _ := attr(page, "wallet", "href"); href != uri || decodeQR(t, page) != uri || !strings.Contains(page, `id="partial"`) {
		t.Fatalf("partially paid: wallet link %q, QR %q, want %q", href, decodeQR(t, page), uri)
	}
}

// payingParts are the parts of the page that ask the payer for money.
var payingParts = []string{`id="pay-title"`, `id="amount"`, `<svg`, `id="wallet"`, `id="testpay"`, `id="address"`,
	`id="amount-field"`, `data-copy`, `id="countdown"`, `id="method"`}

// noPayingParts fails when page asks for money: send instructions, QR, fields to copy,
// wallet link, test-funds button, countdown or method chooser.
func noPayingParts(t *testing.T, what, page string) {
	t.Helper()
	for _, p := range payingParts {
		if strings.Contains(page, p) {
			t.Errorf("%s: the page has %s", what, p)
		}
	}
}

// neverSays fails when the visible part of page contains one of words (any case).
func neverSays(t *testing.T, what, page string, words ...string) {
	t.Helper()
	body := strings.ToLower(page[strings.Index(page, "<body>"):])
	for _, w := range words {
		if strings.Contains(body, strings.ToLower(w)) {
			t.Errorf("%s: the page says %q", what, w)
		}
	}
}

// elemText is the text of the element <tag id="id"> on a page, tags stripped and
// entities decoded ("" when there is none).
func elemText(page, tag, id string) string {
	m := regexp.MustCompile(`(?s)<` + tag + `\s[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</` + tag + `>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], " ")), " "))
}

// TestCheckoutPage_ConfirmingAndPaidShowProgressOnly: once the whole amount has been
// seen the page stops asking for money (no "Send 0 ETH", QR, fields, wallet link or
// test-funds button): it shows the confirmations and what was received, then paid.
func TestCheckoutPage_ConfirmingAndPaidShowProgressOnly(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "30", "currency": "USD", "accepted_assets": []string{"ETH", "BTC"},
		"cancel_url": "https://shop.example/cart", "success_url": "https://shop.example/thanks"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	_, methods := a.statusMethods(id)
	due := methods["ETH"]["amount_due"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "ETH", "amount": due, "confirmations": 1}, nil), 200, "")
	st, methods := a.statusMethods(id)
	if st["status"] != "confirming" || st["exception"] != nil {
		t.Fatalf("after paying the whole amount with one block: %v %v", st["status"], st["exception"])
	}
	conf, req := int(st["confirmations"].(float64)), int(st["confirmations_required"].(float64))
	received := methods["ETH"]["amount_paid"].(string) + " " + methods["ETH"]["currency"].(string)
	for _, c := range []struct{ lang, of, detected, say string }{{"en", "of", "Payment detected", "send"}, {"de", "von", "Zahlung erkannt", "senden"}} {
		for _, path := range []string{"/checkout/" + id, "/checkout/" + id + "?method=BTC"} {
			_, _, page := a.page(path, c.lang)
			what := "confirming page " + path + " (" + c.lang + ")"
			if got, want := elemText(page, "strong", "conf"), fmt.Sprintf("%d %s %d", conf, c.of, req); got != want {
				t.Errorf("%s: progress %q, want %q", what, got, want)
			}
			if !regexp.MustCompile(`<progress max="` + strconv.Itoa(req) + `" value="` + strconv.Itoa(conf) + `"`).MatchString(page) {
				t.Errorf("%s: no progress bar at %d of %d", what, conf, req)
			}
			if got := elemText(page, "p", "received"); !strings.Contains(page, c.detected) || !strings.Contains(got, received) || !strings.Contains(got, "Ethereum") {
				t.Errorf("%s: no %q, or received %q not in %q", what, c.detected, received, elemText(page, "p", "received"))
			}
			noPayingParts(t, what, page)
			neverSays(t, what, page, c.say, "0 ETH")
			if href, _ := attr(page, "cancel", "href"); href != "https://shop.example/cart" {
				t.Errorf("%s: cancel link %q", what, href)
			}
		}
	}
	// The remaining confirmations: paid, still without send instructions.
	a.env.Mine(asset.Ethereum, req-conf)
	if st, _ := a.statusMethods(id); st["status"] != "paid" {
		t.Fatalf("after %d more blocks: %v", req-conf, st["status"])
	}
	for _, c := range []struct{ lang, paid, say string }{{"en", "Payment received", "send"}, {"de", "Zahlung erhalten", "senden"}} {
		_, _, page := a.page("/checkout/"+id, c.lang)
		what := "paid page (" + c.lang + ")"
		if got := elemText(page, "p", "received"); !strings.Contains(page, c.paid) || !strings.Contains(got, received) || !strings.Contains(got, "Ethereum") || strings.Contains(page, `id="conf"`) {
			t.Errorf("%s: no %q, received %q not in %q, or still counting", what, c.paid, received, elemText(page, "p", "received"))
		}
		if href, _ := attr(page, "continue", "href"); href != "https://shop.example/thanks" {
			t.Errorf("%s: continue link %q", what, href)
		}
		noPayingParts(t, what, page)
		neverSays(t, what, page, c.say, `id="overpaid"`, `id="cancel"`)
	}
}

// TestCheckoutPage_ExpiredAfterPartialPayment: the time ran out with part of the amount
// paid (expired, underpaid). The page says what was received of what was due, not to
// send more, to contact the shop, and links back to the shop; it asks for nothing.
func TestCheckoutPage_ExpiredAfterPartialPayment(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USDT_TRON", "lifetime": 300,
		"cancel_url": "https://shop.example/cart"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "2", "confirmations": 19}, nil), 200, "")
	a.env.Advance(6 * time.Minute)
	st, methods := a.statusMethods(id)
	if st["status"] != "expired" || st["exception"] != "underpaid" {
		t.Fatalf("status %v %v, want expired underpaid", st["status"], st["exception"])
	}
	m := methods["USDT_TRON"]
	paid, due := m["amount_paid"].(string)+" "+m["currency"].(string), m["amount_due"].(string)+" "+m["currency"].(string)
	for _, c := range []struct{ lang, head string }{{"en", "Payment expired"}, {"de", "Zahlung abgelaufen"}} {
		_, _, page := a.page("/checkout/"+id, c.lang)
		what := "expired partial page (" + c.lang + ")"
		note := elemText(page, "p", "underpaid")
		if !strings.Contains(page, c.head) || !strings.Contains(note, paid) || !strings.Contains(note, due) {
			t.Errorf("%s: no %q, or the notice %q lacks %q of %q", what, c.head, note, paid, due)
		}
		if c.lang == "en" {
			for _, w := range []string{"before the time ran out", "do not send more", "contact the shop"} {
				if !strings.Contains(strings.ToLower(note), w) {
					t.Errorf("%s: the notice %q does not say %q", what, note, w)
				}
			}
		}
		if href, _ := attr(page, "cancel", "href"); href != "https://shop.example/cart" {
			t.Errorf("%s: return link %q", what, href)
		}
		noPayingParts(t, what, page)
		neverSays(t, what, page, `id="partial"`, `id="confirming"`)
	}
}

// TestCheckoutPage_Overpaid: more than due arrived. While it confirms and once paid
// the page says what was received of what was due and that the merchant returns the
// difference (contact the shop).
func TestCheckoutPage_Overpaid(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "3", "currency": "USDT_TRON"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "4.5", "confirmations": 5}, nil), 200, "")
	for _, status := range []string{"confirming", "paid"} {
		st, methods := a.statusMethods(id)
		if st["status"] != status || st["exception"] != "overpaid" {
			t.Fatalf("status %v %v, want %s overpaid", st["status"], st["exception"], status)
		}
		m := methods["USDT_TRON"]
		paid, due := m["amount_paid"].(string)+" "+m["currency"].(string), m["amount_due"].(string)+" "+m["currency"].(string)
		for _, lang := range []string{"en", "de"} {
			_, _, page := a.page("/checkout/"+id, lang)
			what := status + " overpaid page (" + lang + ")"
			note := elemText(page, "p", "overpaid")
			if !strings.Contains(note, paid) || !strings.Contains(note, due) {
				t.Errorf("%s: the notice %q lacks %q of %q", what, note, paid, due)
			}
			if lang == "en" && (!strings.Contains(note, "return the difference") || !strings.Contains(note, "contact the shop")) {
				t.Errorf("%s: the notice %q does not say the difference is returned", what, note)
			}
			if (status == "confirming") != strings.Contains(page, `id="conf"`) {
				t.Errorf("%s: progress shown: %v", what, !(status == "confirming"))
			}
			noPayingParts(t, what, page)
		}
		if status == "confirming" {
			a.env.Mine(asset.Tron, int(st["confirmations_required"].(float64)-st["confirmations"].(float64)))
		}
	}
}

// A shop that creates invoices through the Go API gets the same checkout URL from the
// handler as the API's hosted_url, and the page is there.
func TestCheckoutURL_IsTheHostedURL(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD"})
	got := a.h.Load().CheckoutURL(inv.ID)
	res := a.do("GET", "/v1/invoices/"+inv.ID, nil, nil)
	want(t, res, 200, "")
	if hosted := res.data()["hosted_url"]; got != hosted || got != "https://shop.example/pay/checkout/"+inv.ID {
		t.Fatalf("CheckoutURL %q, hosted_url %v", got, hosted)
	}
	if code, _, _ := a.page(strings.TrimPrefix(got, "https://shop.example/pay"), ""); code != 200 {
		t.Fatalf("the checkout URL's page: %d", code)
	}
}

// A fiat price keeps its minor units on the page ("25.00 USD", not "25 USD"); a crypto
// price keeps its digits as they are.
func TestCheckoutPage_FiatAmountsKeepTheirMinorUnits(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	fiat := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("25"), Currency: "USD"})
	if _, _, page := a.page("/checkout/"+fiat.ID, ""); !strings.Contains(page, "25.00") {
		t.Fatal("the page of a 25 USD invoice does not show 25.00")
	}
	crypto := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.0015"), Currency: "BTC"})
	if _, _, page := a.page("/checkout/"+crypto.ID, ""); !strings.Contains(page, "0.0015") || strings.Contains(page, "0.00150000") {
		t.Fatal("the page of a 0.0015 BTC invoice does not show 0.0015 as it is")
	}
}

// The countdown and the locked rate come right under what to send, before the QR code
// and the fields; a crypto-priced invoice shows no rate.
func TestCheckoutPage_CountdownAndRateAtTheTop(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	fiat := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("25"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	m := fiat.Methods[0]
	_, _, page := a.page("/checkout/"+fiat.ID, "")
	wantRate := "1 BTC = " + m.Rate.StringFixed(2) + " USD"
	timer, qr := strings.Index(page, `id="countdown"`), strings.Index(page, `class="qr"`)
	if !strings.Contains(page, wantRate) || timer < 0 || qr < 0 || timer > qr {
		t.Fatalf("rate %q shown: %v; countdown at %d, QR code at %d", wantRate, strings.Contains(page, wantRate), timer, qr)
	}
	crypto := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"})
	if _, _, page := a.page("/checkout/"+crypto.ID, ""); strings.Contains(page, `id="rate"`) {
		t.Fatal("a BTC-priced invoice shows a rate")
	}
}

// The receipt: a confirming and a paid page name the transaction that paid.
func TestCheckoutPage_ReceiptNamesTheTransaction(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"})
	txid := a.env.PayInFull(inv, "BTC")
	for _, state := range []string{"confirming", "paid"} {
		if state == "paid" {
			a.env.Confirm(inv, "BTC")
		}
		_, _, page := a.page("/checkout/"+inv.ID, "")
		if !strings.Contains(page, `id="txids"`) || !strings.Contains(page, "<code>"+txid+"</code>") {
			t.Fatalf("the %s page does not name transaction %s", state, txid)
		}
	}
}

// The store's name (Options.StoreName) is on the page and in its title, escaped.
func TestCheckoutPage_StoreName(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: `Tee & <Co>`})
	inv := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD"})
	_, _, page := a.page("/checkout/"+inv.ID, "")
	if !strings.Contains(page, `<p class="store" id="store">Tee &amp; &lt;Co&gt;</p>`) || !strings.Contains(page, "<title>Tee &amp; &lt;Co&gt; · ") {
		t.Fatal("the store's name is not on the page and in its title, escaped")
	}
	b := newAPI(t, httphandler.Options{})
	inv = b.env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD"})
	if _, _, page := b.page("/checkout/"+inv.ID, ""); strings.Contains(page, `id="store"`) {
		t.Fatal("a store name shown without one configured")
	}
}
