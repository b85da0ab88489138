package httphandler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kassapay/kassa/httphandler"
)

// a11yProblems lists what keeps the page from being usable without sight or a mouse:
// a visible control without an accessible name, an image without alt, and text whose
// contrast with its background is under WCAG AA (4.5:1, 3:1 for large text).
const a11yProblems = `(() => {
  const problems = [];
  const visible = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" };
  for (const e of document.querySelectorAll("a,button,input:not([type=hidden]),textarea,select,progress")) {
    if (!visible(e)) continue;
    let name = (e.getAttribute("aria-label") || "").trim();
    if (!name && e.getAttribute("aria-labelledby"))
      name = e.getAttribute("aria-labelledby").split(" ").map(id => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
    if (!name && e.labels && e.labels.length) name = Array.from(e.labels).map(l => l.textContent).join(" ").trim();
    if (!name && !["INPUT", "TEXTAREA", "SELECT", "PROGRESS"].includes(e.tagName)) name = e.textContent.trim();
    if (!name) problems.push("no accessible name: " + e.outerHTML.slice(0, 100));
  }
  for (const e of document.querySelectorAll("img")) if (!e.hasAttribute("alt")) problems.push("an image without alt: " + e.outerHTML.slice(0, 100));
  for (const e of document.querySelectorAll("svg")) if (e.getAttribute("role") !== "img" || !(e.getAttribute("aria-label") || "").trim()) problems.push("an unlabelled svg");
  const channels = c => c.match(/[\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = channels(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b };
  const background = e => { for (let x = e; x; x = x.parentElement) { const c = getComputedStyle(x).backgroundColor, m = channels(c);
    if (m.length < 4 || m[3] > 0.5) return c } return "rgb(255, 255, 255)" };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !visible(e)) continue;
    const s = getComputedStyle(e), a = lum(s.color), b = lum(background(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + ":1 for " + JSON.stringify(n.textContent.trim().slice(0, 40)) + " (" + s.color + " on " + background(e) + ")");
  }
  return problems;
})()`

// tabbable counts the visible controls a keyboard user can reach.
const tabbable = `Array.from(document.querySelectorAll("a[href],button,input:not([type=hidden]),textarea,select")).filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.disabled }).length`

// focused describes the focused element and whether its focus can be seen.
const focused = `(() => { const e = document.activeElement, s = getComputedStyle(e);
  const seen = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  return (e.id || e.tagName) + "|" + e.outerHTML.slice(0, 60) + "|" + seen })()`

// TestBrowser_EveryStateAccessible opens the checkout page in each of its states at
// phone and desktop widths, in Chromium, and checks that every control has a name,
// every image a text, all text AA contrast, and that Tab reaches every control with
// its focus visible. With KASSA_SCREENSHOT=1 it writes each state's screenshots to
// docs/ (the README shows them).
func TestBrowser_EveryStateAccessible(t *testing.T) {
	a := newAPI(t, httphandler.Options{StoreName: "Kassa demo shop", Logo: demoLogo(t)})
	pages := checkoutStates(t, a)
	for _, size := range []struct {
		name          string
		width, height int
	}{{"phone", 375, 812}, {"desktop", 1280, 900}} {
		ctx := browser(t, size.width, size.height)
		for _, p := range pages {
			var problems []string
			var controls int
			if err := chromedp.Run(ctx, chromedp.Navigate(p.url), chromedp.WaitVisible("main", chromedp.ByQuery),
				chromedp.Evaluate(a11yProblems, &problems), chromedp.Evaluate(tabbable, &controls)); err != nil {
				t.Fatal(err)
			}
			for _, pr := range problems {
				t.Errorf("%s at %s: %s", p.state, size.name, pr)
			}
			if controls == 0 && (p.state == "choose" || p.state == "partial") {
				t.Errorf("%s at %s: no control to reach", p.state, size.name)
			}
			seen := map[string]bool{}
			for i := 0; i < controls; i++ {
				var f string
				if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(focused, &f)); err != nil {
					t.Fatal(err)
				}
				parts := strings.Split(f, "|")
				if parts[2] != "true" {
					t.Errorf("%s at %s: the focus on %s cannot be seen", p.state, size.name, parts[1])
				}
				seen[parts[0]+parts[1]] = true
			}
			if len(seen) != controls {
				t.Errorf("%s at %s: Tab reached %d of the %d controls", p.state, size.name, len(seen), controls)
			}
			if os.Getenv("KASSA_SCREENSHOT") == "1" {
				var png []byte
				if err := chromedp.Run(ctx, chromedp.Navigate(p.url), chromedp.WaitVisible("main", chromedp.ByQuery),
					chromedp.ActionFunc(func(ctx context.Context) error { return input.DispatchMouseEvent(input.MouseMoved, 0, 0).Do(ctx) }),
					chromedp.FullScreenshot(&png, 100)); err != nil { // 100: PNG
					t.Fatal(err)
				}
				name := filepath.Join("..", "docs", "checkout-"+p.state+"-"+size.name+".png")
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

type statePage struct{ state, url string }

// checkoutStates makes one invoice in each state the checkout page has and returns
// their pages, in the order a customer may meet them.
func checkoutStates(t *testing.T, a *api) []statePage {
	t.Helper()
	base := strings.TrimSuffix(a.srv.URL, "/") + "/pay/checkout/"
	create := func(body map[string]any) string {
		r := a.do("POST", "/v1/invoices", body, nil)
		want(t, r, 201, "")
		return r.data()["id"].(string)
	}
	pay := func(id, code, amount string, confirmations int) {
		want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": code, "amount": amount, "confirmations": confirmations}, nil), 200, "")
	}
	shop := map[string]any{"amount": "25", "currency": "USD", "product_name": "Kassa hoodie",
		"accepted_assets": []string{"BTC", "ETH", "USDT_TRON", "USDT_ETHEREUM"}, "cancel_url": "https://shop.example/cart"}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range shop {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	// Expired ones first: the clock moves past their end.
	expired := create(with(map[string]any{"lifetime": 300}))
	expiredPartial := create(with(map[string]any{"lifetime": 300}))
	pay(expiredPartial, "USDT_TRON", "10", 19)
	a.env.Advance(6 * time.Minute)

	choose := create(shop)
	partial := create(shop)
	pay(partial, "USDT_TRON", "10", 19)
	confirming := create(shop)
	pay(confirming, "BTC", a.due(confirming, "BTC"), 0)
	paid := create(with(map[string]any{"success_url": "https://shop.example/thanks"}))
	pay(paid, "USDT_TRON", "25", 19)
	overpaid := create(shop)
	pay(overpaid, "USDT_TRON", "30", 19)
	cancelled := create(shop)
	want(t, a.do("POST", "/v1/invoices/"+cancelled+"/cancel", nil, nil), 200, "")
	return []statePage{
		{"choose", base + choose}, {"partial", base + partial}, {"confirming", base + confirming},
		{"paid", base + paid}, {"overpaid", base + overpaid}, {"expired", base + expired},
		{"expired-partial", base + expiredPartial}, {"cancelled", base + cancelled},
	}
}

// due is what an invoice's method in asset code asks, from the API.
func (a *api) due(id, code string) string {
	a.t.Helper()
	for _, m := range a.do("GET", "/v1/invoices/"+id, nil, nil).data()["payment_methods"].([]any) {
		if mm := m.(map[string]any); mm["currency"] == code || mm["asset"] == code {
			return mm["amount_due"].(string)
		}
	}
	a.t.Fatalf("invoice %s has no %s method", id, code)
	return ""
}

// demoLogo is the demo shop's logo (examples/quickstart/logo.svg).
func demoLogo(t *testing.T) []byte {
	b, err := os.ReadFile("../examples/quickstart/logo.svg")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
