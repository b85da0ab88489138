package httphandler_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/submerchant"
)

// subscribe makes a product with a weekly BTC plan (in scope sub) and a subscription of
// customer to it, through the API; it returns the subscription's JSON.
func subscribe(t *testing.T, a *api, sub, customer string) map[string]any {
	t.Helper()
	prod := a.do("POST", "/v1/products", map[string]any{"name": "Weekly tea box", "sub_merchant_id": sub,
		"pricing_plans": []any{map[string]any{"amount": "0.001", "currency": "BTC", "interval": "week", "interval_count": 2}}}, nil)
	want(t, prod, 201, "")
	plan := prod.data()["pricing_plans"].([]any)[0].(map[string]any)["id"].(string)
	s := a.do("POST", "/v1/subscriptions", map[string]any{"customer_id": customer, "plan_id": plan, "sub_merchant_id": sub,
		"return_url": "https://shop.example/account"}, nil)
	want(t, s, 201, "")
	return s.data()
}

// TestSubscriptionPage_ShowsThePlanThePeriodAndWhatToPay reads the hosted page of a
// subscription through its life: waiting for its first payment (a link to the
// period's invoice on the checkout page), paid (until the period's end), past due
// (the next invoice's date), cancelled (ended, no link); a sub-merchant's shows its
// name; the words follow Accept-Language; an unknown id is the not-found page.
func TestSubscriptionPage_ShowsThePlanThePeriodAndWhatToPay(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: "The Platform"})
	s := subscribe(t, a, "", "ada")
	id, first := s["id"].(string), s["latest_invoice_id"].(string)
	path := strings.TrimPrefix(s["subscription_url"].(string), "https://shop.example/pay")
	code, hdr, body := a.page(path, "")
	if code != 200 || !strings.Contains(body, "Weekly tea box") || !strings.Contains(body, "0.001 BTC") || !strings.Contains(body, "every 2 weeks") ||
		!strings.Contains(body, `href="../checkout/`+first+`"`) || !strings.Contains(body, "Waiting for the first payment") ||
		!strings.Contains(body, "The Platform") || !strings.Contains(body, `href="https://shop.example/account"`) {
		t.Fatalf("the page of a new subscription: %d\n%s", code, body)
	}
	if hdr.Get("Content-Security-Policy") == "" || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers: %v", hdr)
	}
	if _, _, de := a.page(path, "de-DE,de;q=0.9"); !strings.Contains(de, "Diesen Zeitraum bezahlen") || !strings.Contains(de, "alle 2 Wochen") {
		t.Fatalf("in German:\n%s", de)
	}
	want(t, a.do("POST", "/v1/test/invoices/"+first+"/pay", map[string]any{"currency": "BTC", "amount": "0.001", "confirmations": 1}, nil), 200, "")
	a.env.Sync()
	end := a.do("GET", "/v1/subscriptions/"+id, nil, nil).data()["current_period_end"].(string)
	if _, _, body := a.page(path, ""); !strings.Contains(body, "Paid until") || !strings.Contains(body, end[:10]) || strings.Contains(body, "../checkout/") {
		t.Fatalf("the page of a paid period (until %s):\n%s", end, body)
	}
	// Two weeks on, the next period's invoice expires unpaid: past due.
	a.env.Clock.Advance(14 * 24 * time.Hour)
	a.env.Sync()
	a.env.Clock.Advance(13 * time.Hour)
	a.env.Sync()
	got := a.do("GET", "/v1/subscriptions/"+id, nil, nil).data()
	if got["status"] != "past_due" {
		t.Fatalf("after the second period's invoice expired: %v", got)
	}
	if _, _, body := a.page(path, ""); !strings.Contains(body, "Payment overdue") || !strings.Contains(body, "a new invoice is sent on") ||
		!strings.Contains(body, got["next_payment_attempt"].(string)[:10]) {
		t.Fatalf("the page of a past-due subscription:\n%s", body)
	}
	want(t, a.do("POST", "/v1/subscriptions/"+id+"/cancel", nil, nil), 200, "")
	if _, _, body := a.page(path, ""); !strings.Contains(body, "This subscription ended on") || strings.Contains(body, "../checkout/") {
		t.Fatalf("the page of a cancelled subscription:\n%s", body)
	}

	sm, err := a.env.Gateway.SubMerchants().Create(context.Background(), asset.Test, submerchant.CreateParams{ExternalID: "s1", Name: "Ada's Teas"})
	if err != nil {
		t.Fatal(err)
	}
	other := subscribe(t, a, sm.ID, "bob")
	if _, _, body := a.page(strings.TrimPrefix(other["subscription_url"].(string), "https://shop.example/pay"), ""); !strings.Contains(body, "Ada&#39;s Teas") ||
		strings.Contains(body, "The Platform") {
		t.Fatalf("a sub-merchant's subscription page:\n%s", body)
	}
	if code, _, _ := a.page("/subscriptions/sub_aaaaaaaaaaaaaaaaaaaa", ""); code != http.StatusNotFound {
		t.Fatalf("an unknown subscription's page: %d", code)
	}
}

// TestBrowser_SubscriptionPage opens a subscription's page in Chromium at phone and
// desktop widths: it fits without scrolling sideways, passes the checkout page's
// accessibility checks, its link can be reached with the keyboard, and following it
// opens the checkout page of the period's invoice.
func TestBrowser_SubscriptionPage(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: "Kassa demo shop", Logo: demoLogo(t)})
	for i, size := range []struct {
		name          string
		width, height int
	}{{"phone", 375, 812}, {"desktop", 1280, 900}} {
		ctx := browser(t, size.width, size.height)
		s := subscribe(t, a, "", "customer-"+string(rune('a'+i)))
		url := a.srv.URL + "/pay" + strings.TrimPrefix(s["subscription_url"].(string), "https://shop.example/pay")
		var problems []string
		var fits bool
		var focused string
		if err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.WaitVisible("#pay", chromedp.ByID),
			chromedp.Evaluate(a11yProblems, &problems),
			chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
			chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`document.activeElement.id`, &focused)); err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("subscription page at %s: %s", size.name, p)
		}
		if !fits {
			t.Errorf("the subscription page scrolls sideways at %s", size.name)
		}
		if focused != "pay" {
			t.Errorf("the first control reached with Tab at %s is %q, want the pay link", size.name, focused)
		}
		var loc string
		if err := chromedp.Run(ctx, chromedp.Click("#pay", chromedp.ByID), chromedp.WaitVisible("#address", chromedp.ByID),
			chromedp.Location(&loc)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(loc, "/pay/checkout/"+s["latest_invoice_id"].(string)) {
			t.Fatalf("the pay link at %s led to %s", size.name, loc)
		}
	}
}
