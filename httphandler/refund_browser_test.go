package httphandler_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/refund"

	btcaddr "github.com/btcsuite/btcd/address/v2"
)

// paidForRefunds is a 1,000 USD invoice paid in BTC and confirmed, through the API.
func paidForRefunds(t *testing.T, a *api) (id, ownAddress string) {
	t.Helper()
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "1000", "currency": "USD", "accepted_assets": []string{"BTC"}}, nil)
	want(t, inv, 201, "")
	m := inv.data()["payment_methods"].([]any)[0].(map[string]any)
	want(t, a.do("POST", "/v1/test/invoices/"+inv.data()["id"].(string)+"/pay",
		map[string]any{"currency": "BTC", "amount": m["amount_due"], "confirmations": 6}, nil), 200, "")
	return inv.data()["id"].(string), m["address"].(string)
}

// claimPage makes a refund of amount USD that waits for the payer's address and
// returns its claim page's URL on the test server.
func (a *api) claimPage(invoiceID, amount string) string {
	a.t.Helper()
	re := a.do("POST", "/v1/refunds", map[string]any{"invoice_id": invoiceID, "amount": amount, "reason": "requested_by_customer"}, nil)
	want(a.t, re, 201, "")
	if re.data()["status"] != "awaiting_address" {
		a.t.Fatalf("refund without a destination: %s", re.raw)
	}
	return a.srv.URL + "/pay" + strings.TrimPrefix(re.data()["claim_url"].(string), "https://shop.example/pay")
}

// TestBrowser_RefundClaimedThroughThePage: the payer opens the claim link in Chromium,
// at phone and desktop widths; an Ethereum address and the shop's own deposit address
// are refused with a message in the page, the field marked invalid and nothing sent;
// their own address sends the refund, the page says so, and once mined it says the
// refund was sent, with the transaction. Every state passes the checkout page's
// accessibility checks. The payer's address receives the refund on the chain.
func TestBrowser_RefundClaimedThroughThePage(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: "Kassa demo shop", Logo: demoLogo(t)})
	inv, own := paidForRefunds(t, a)
	for i, size := range []struct {
		name          string
		width, height int
	}{{"phone", 375, 812}, {"desktop", 1280, 900}} {
		ctx := browser(t, size.width, size.height)
		url := a.claimPage(inv, "300")
		payer := a.env.Recipient(asset.Bitcoin, uint32(40+i))
		check := func(state string) {
			t.Helper()
			var problems []string
			var controls int
			if err := chromedp.Run(ctx, chromedp.WaitVisible("main", chromedp.ByQuery), chromedp.Evaluate(a11yProblems, &problems),
				chromedp.Evaluate(tabbable, &controls)); err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("refund %s at %s: %s", state, size.name, p)
			}
			seen := map[string]bool{}
			for range controls {
				var f string
				if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(focused, &f)); err != nil {
					t.Fatal(err)
				}
				parts := strings.Split(f, "|")
				if parts[2] != "true" {
					t.Errorf("refund %s at %s: the focus on %s cannot be seen", state, size.name, parts[1])
				}
				seen[parts[0]+parts[1]] = true
			}
			if len(seen) != controls {
				t.Errorf("refund %s at %s: Tab reached %d of the %d controls", state, size.name, len(seen), controls)
			}
			if os.Getenv("KASSA_SCREENSHOT") == "1" {
				var png []byte
				if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "docs", "refund-"+state+"-"+size.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		submit := func(addr string) { t.Helper(); submitClaim(t, ctx, addr) }
		var state, label, errText, invalid string
		if err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.AttributeValue("#refund", "data-state", &state, nil),
			chromedp.Text(`label[for="address"]`, &label, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if state != "form" || label != "Your BTC address on Bitcoin" {
			t.Fatalf("claim page at %s: state %q, label %q", size.name, state, label)
		}
		check("form")

		submit(a.env.Recipient(asset.Ethereum, 1))
		if err := chromedp.Run(ctx, chromedp.Text("#error", &errText, chromedp.ByID),
			chromedp.AttributeValue("#address", "aria-invalid", &invalid, nil)); err != nil {
			t.Fatal(err)
		}
		if errText != "This is not a valid BTC address on Bitcoin." || invalid != "true" {
			t.Fatalf("an Ethereum address at %s: %q, aria-invalid %q", size.name, errText, invalid)
		}
		check("error")
		submit(own)
		if err := chromedp.Run(ctx, chromedp.Text("#error", &errText, chromedp.ByID)); err != nil {
			t.Fatal(err)
		}
		if errText != "This address belongs to the shop: give one of your own." {
			t.Fatalf("the shop's own address at %s: %q", size.name, errText)
		}
		if got := a.env.Chain(asset.Bitcoin).Received(payer, "BTC"); got.Sign() != 0 {
			t.Fatalf("something was sent before the claim: %s", got)
		}

		if err := chromedp.Run(ctx, chromedp.SetValue("#email", "payer@example.com", chromedp.ByID)); err != nil {
			t.Fatal(err)
		}
		submit(payer)
		var to string
		if err := chromedp.Run(ctx, chromedp.AttributeValue("#refund", "data-state", &state, nil), chromedp.Text("#to code", &to, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if state != "processing" || to != payer {
			t.Fatalf("after the claim at %s: state %q, to %q", size.name, state, to)
		}
		check("processing")
		a.env.Mine(asset.Bitcoin, 1)
		var tx string
		if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.AttributeValue("#refund", "data-state", &state, nil),
			chromedp.Text("#txids code", &tx, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if state != "succeeded" || tx == "" {
			t.Fatalf("after mining at %s: state %q, tx %q", size.name, state, tx)
		}
		check("succeeded")
		if got := a.env.Chain(asset.Bitcoin).Received(payer, "BTC"); got.Sign() <= 0 {
			t.Fatalf("the payer's address received %s", got)
		}
	}
	a.env.Verify()
}

// submitClaim types addr into the claim form, sends it and waits for the page that
// answers (the old page is marked; the new one, after the POST and its redirect, is
// not).
func submitClaim(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.SetValue("#address", addr, chromedp.ByID), chromedp.Evaluate(`window.oldPage = true`, nil),
		chromedp.Click("#submit", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 100 { // a poll interrupted by the navigation is polled again
		if err = chromedp.Run(ctx, chromedp.Poll(`!window.oldPage && document.readyState === "complete"`, nil)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrowser_RefundClaimedOnBtcd: a refund of an invoice paid on btcd regtest is
// claimed through its page in Chromium; the payer's address holds on chain what the
// refund says it received, and the page says the refund was sent.
func TestBrowser_RefundClaimedOnBtcd(t *testing.T) {
	e := nodetest.New(t)
	inv, err := e.G.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Pay(inv, "BTC")
	h, err := httphandler.New(e.G, httphandler.Options{PublicURL: "https://shop.example/pay"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/pay", h))
	defer srv.Close()
	r, err := e.G.Refunds().Create(t.Context(), asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("500")})
	if err != nil || r.ClaimPath == "" {
		t.Fatalf("refund: %+v, %v", r, err)
	}
	payer, _ := btcaddr.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{0x51}, 20), nodetest.Regtest)
	ctx := browser(t, 375, 812)
	var state string
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/pay"+r.ClaimPath), chromedp.AttributeValue("#refund", "data-state", &state, nil)); err != nil || state != "form" {
		t.Fatalf("claim page: %q, %v", state, err)
	}
	submitClaim(t, ctx, payer.EncodeAddress())
	if err := chromedp.Run(ctx, chromedp.AttributeValue("#refund", "data-state", &state, nil)); err != nil || state != "processing" {
		t.Fatalf("after the claim: %q, %v", state, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.AttributeValue("#refund", "data-state", &state, nil)); err != nil || state != "succeeded" {
		t.Fatalf("after mining: %q, %v", state, err)
	}
	got, err := e.G.Refunds().Get(t.Context(), asset.Test, r.ID)
	if err != nil || got.Status != refund.StatusSucceeded || e.PaidOnChain(payer.EncodeAddress()) != e.Units("BTC", *got.AmountReceived).Int64() {
		t.Fatalf("refund %+v (%v): the payer holds %d sat", got, err, e.PaidOnChain(payer.EncodeAddress()))
	}
	e.Verify()
}

// TestBrowser_ReboundsClaimedFromTheCheckoutPage: with rebounds on, an overpaid
// invoice and one paid after it expired show a claim link on their checkout page, in
// Chromium; following it, the payer gives an address and the rebound goes out: the
// overpaid part, the whole late payment. The API lists them as completed once mined.
func TestBrowser_ReboundsClaimedFromTheCheckoutPage(t *testing.T) {
	a := newAPI(t, httphandler.Options{}, kassatest.WithRebounds())
	ctx := browser(t, 375, 812)
	over := a.do("POST", "/v1/invoices", map[string]any{"amount": "1000", "currency": "USD", "accepted_assets": []string{"BTC"}}, nil)
	late := a.do("POST", "/v1/invoices", map[string]any{"amount": "1000", "currency": "USD", "accepted_assets": []string{"BTC"}, "lifetime": 300}, nil)
	want(t, over, 201, "")
	want(t, late, 201, "")
	a.env.Advance(6 * time.Minute) // the second one expires unpaid
	for i, c := range []struct {
		inv    resp
		extra  string
		reason string
	}{{over, "0.001", "overpaid"}, {late, "0", "paid_late"}} {
		id := c.inv.data()["id"].(string)
		due := kassatest.Dec(c.inv.data()["payment_methods"].([]any)[0].(map[string]any)["amount_due"].(string))
		want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": due.Add(kassatest.Dec(c.extra)).String(), "confirmations": 6}, nil), 200, "")
		rbs := a.do("GET", "/v1/invoices/"+id+"/rebounds", nil, nil)
		want(t, rbs, 200, "")
		list := rbs.body["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["reason"] != c.reason || list[0].(map[string]any)["status"] != "awaiting_address" {
			t.Fatalf("%s rebounds: %s", c.reason, rbs.raw)
		}
		amount := list[0].(map[string]any)["crypto_amount"].(string)
		var link, state string
		if err := chromedp.Run(ctx, chromedp.Navigate(a.srv.URL+"/pay/checkout/"+id), chromedp.Text("a.rebound", &link, chromedp.ByQuery),
			chromedp.Click("a.rebound", chromedp.ByQuery), chromedp.WaitVisible("#refund", chromedp.ByID),
			chromedp.AttributeValue("#refund", "data-state", &state, nil)); err != nil {
			t.Fatal(err)
		}
		if link != "Get "+amount+" BTC back" || state != "form" {
			t.Fatalf("%s: link %q, claim page %q", c.reason, link, state)
		}
		var notice string
		sel := map[string]string{"overpaid": "#overpaid", "paid_late": "#late"}[c.reason]
		if err := chromedp.Run(ctx, chromedp.NavigateBack(), chromedp.Text(sel, &notice, chromedp.ByQuery),
			chromedp.Click("a.rebound", chromedp.ByQuery), chromedp.WaitVisible("#refund", chromedp.ByID)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(notice, "Tell us where to send") || strings.Contains(notice, "contact the shop") {
			t.Fatalf("%s: the checkout page says %q beside the link", c.reason, notice)
		}
		payer := a.env.Recipient(asset.Bitcoin, uint32(60+i))
		submitClaim(t, ctx, payer)
		if err := chromedp.Run(ctx, chromedp.AttributeValue("#refund", "data-state", &state, nil)); err != nil || state != "processing" {
			t.Fatalf("%s after the claim: %q, %v", c.reason, state, err)
		}
		a.env.Mine(asset.Bitcoin, 1)
		rb := a.do("GET", "/v1/invoices/"+id+"/rebounds", nil, nil).body["data"].([]any)[0].(map[string]any)
		received := kassatest.Dec(rb["amount_received"].(string))
		if rb["status"] != "completed" || a.env.Chain(asset.Bitcoin).Received(payer, "BTC").Cmp(a.env.Units("BTC", received.String())) != 0 {
			t.Fatalf("%s rebound after mining: %v", c.reason, rb)
		}
		if c.reason == "paid_late" && !kassatest.Dec(amount).Equal(due) {
			t.Fatalf("a late payment of %s given back as %s", due, amount)
		}
	}
	a.env.Verify()
}

// TestRefundPage_LanguagesAndDeadLinks: the claim page speaks the payer's language,
// an unknown token is a 404 page, and a cancelled refund's link shows that it is no
// longer valid, with no form.
func TestRefundPage_LanguagesAndDeadLinks(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv, _ := paidForRefunds(t, a)
	url := a.claimPage(inv, "100")
	get := func(u, lang string) (int, string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
		return res.StatusCode, string(b)
	}
	for lang, text := range map[string]string{"de-DE,de;q=0.9": "Ihre BTC-Adresse im Netzwerk Bitcoin", "fr": "Votre adresse BTC sur Bitcoin",
		"ja": "Bitcoin のあなたの BTC アドレス", "en-US": "Your BTC address on Bitcoin"} {
		if code, body := get(url, lang); code != 200 || !strings.Contains(body, text) {
			t.Errorf("claim page in %s: %d, without %q", lang, code, text)
		}
	}
	if code, _ := get(url+"x", "en"); code != 404 {
		t.Errorf("unknown token: %d", code)
	}
	tok := url[strings.LastIndex(url, "/")+1:]
	var id string
	for _, r := range a.do("GET", "/v1/invoices/"+inv+"/refunds", nil, nil).body["data"].([]any) {
		if u, _ := r.(map[string]any)["claim_url"].(string); strings.HasSuffix(u, tok) {
			id = r.(map[string]any)["id"].(string)
		}
	}
	want(t, a.do("POST", "/v1/refunds/"+id+"/cancel", nil, nil), 200, "")
	if code, body := get(url, "en"); code != 200 || !strings.Contains(body, "This refund link is no longer valid") || strings.Contains(body, "<form") {
		t.Errorf("cancelled refund's page: %d %s", code, body)
	}
}

// TestCheckout_ExpiredUnderpaymentOffersItsRebound: an invoice that expired half paid
// offers, once its watching ended and the rebound was made, the link to get the money
// back, and says so instead of "contact the shop".
func TestCheckout_ExpiredUnderpaymentOffersItsRebound(t *testing.T) {
	a := newAPI(t, httphandler.Options{}, kassatest.WithRebounds(), kassatest.WithMonitoringWindow(time.Hour))
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "1000", "currency": "USD", "accepted_assets": []string{"BTC"}, "lifetime": 300}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	half := kassatest.Dec(inv.data()["payment_methods"].([]any)[0].(map[string]any)["amount_due"].(string)).Div(kassatest.Dec("2")).RoundFloor(8)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "BTC", "amount": half.String(), "confirmations": 6}, nil), 200, "")
	page := func() string {
		res, err := http.Get(a.srv.URL + "/pay/checkout/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	a.env.Advance(10 * time.Minute) // expired, still watched for late payments
	if p := page(); !strings.Contains(p, "Contact the shop about the amount you sent") || strings.Contains(p, `class="button secondary rebound"`) {
		t.Fatalf("expired and still watched: %s", p)
	}
	a.env.Advance(2 * time.Hour)
	p := page()
	if !strings.Contains(p, "Tell us where to send it back") || !strings.Contains(p, `class="button secondary rebound" href="../refunds/`) ||
		!strings.Contains(p, "Get "+half.String()+" BTC back") {
		t.Fatalf("expired once watching ended: %s", p)
	}
}
