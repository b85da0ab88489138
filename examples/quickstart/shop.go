package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// shop is the demo's own web app: what a merchant writes around Kassa.
type shop struct {
	g      *kassa.Gateway
	base   string
	secret string // the webhook endpoint's signing secret
	log    *slog.Logger
	events chan string // webhook event types received (for -smoke)
}

var pages = template.Must(template.New("product").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}}</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:480px;margin:40px auto;padding:0 16px">
{{if .Paid}}<h1 id="thanks">Thank you!</h1><p>Order {{.Order}} is paid. The shop learnt it from a signed webhook.</p><p><a href="/">Back to the shop</a></p>
{{else}}<h1>Kassa T-shirt</h1><p>Organic cotton, printed with the Kassa logo.</p><p><strong>25.00 USD</strong></p>
<form method="post" action="/buy"><button type="submit" id="buy" style="font:inherit;padding:10px 16px">Pay with crypto</button></form>
<p><small>Test mode: pay with test funds on the checkout page.</small></p>{{end}}
</body></html>`))

func (s *shop) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		pages.Execute(w, map[string]any{"Title": "Kassa demo shop"})
	})
	mux.HandleFunc("POST /buy", s.buy)
	mux.HandleFunc("GET /thanks", func(w http.ResponseWriter, r *http.Request) {
		pages.Execute(w, map[string]any{"Title": "Thank you", "Paid": true, "Order": r.URL.Query().Get("order")})
	})
	mux.HandleFunc("POST /webhooks", s.webhook)
}

// buy creates the order's invoice and sends the customer to Kassa's checkout page.
func (s *shop) buy(w http.ResponseWriter, r *http.Request) {
	order := fmt.Sprintf("ORD-%d", time.Now().UnixNano())
	inv, err := s.g.Invoices().Create(r.Context(), asset.Test, invoice.CreateParams{
		Amount: decimal.NewFromInt(25), Currency: "USD", OrderID: order, Description: "Kassa T-shirt",
		AcceptedAssets: []string{"ETH", "USDT_ETHEREUM", "USDT_TRON", "BTC"},
		SuccessURL:     s.base + "/thanks?order=" + url.QueryEscape(order), CancelURL: s.base + "/",
	})
	if err != nil {
		s.log.Error("shop: create invoice", "err", err)
		http.Error(w, "could not start the payment", http.StatusInternalServerError)
		return
	}
	s.log.Info("shop: order placed", "order", order, "invoice", inv.ID)
	http.Redirect(w, r, "/pay/checkout/"+inv.ID, http.StatusSeeOther)
}

// webhook verifies the signature before reading anything, then logs the event.
func (s *shop) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := webhook.Verify(s.secret, r.Header, body, 5*time.Minute); err != nil {
		s.log.Warn("shop: webhook refused", "err", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.log.Info("shop: webhook verified", "id", r.Header.Get("webhook-id"), "type", ev.Type)
	select {
	case s.events <- ev.Type:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// smoke buys twice through HTTP, as a customer and a browser would: paid with USDT on
// the go-ethereum devnet, then with USDT on the Tron devnet, and waits each time for
// the shop's webhook receiver to hear that the invoice is paid.
func smoke(ctx context.Context, base string, events <-chan string, out io.Writer) error {
	for _, pay := range []struct{ method, warning, chain string }{
		{"USDT_ETHEREUM", "Send only USDT on Ethereum", "the go-ethereum devnet"},
		{"USDT_TRON", "Send only USDT on Tron (TRC20)", "the Tron devnet"},
	} {
		if err := buy(ctx, base, events, out, pay.method, pay.warning, pay.chain); err != nil {
			return fmt.Errorf("%s: %w", pay.method, err)
		}
	}
	return nil
}

// buy places an order, opens its checkout page on method, checks the page warns to
// send that coin on its network only, and pays with test funds.
func buy(ctx context.Context, base string, events <-chan string, out io.Writer, method, warning, chain string) error {
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/buy", nil)
	if err != nil {
		return err
	}
	res.Body.Close()
	page := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page, "/pay/checkout/inv_") {
		return fmt.Errorf("buy: %d %s", res.StatusCode, page)
	}
	fmt.Fprintf(out, "customer: Pay with crypto -> %s\n", page)
	res, err = c.Get(base + page + "?method=" + method)
	if err != nil {
		return err
	}
	html, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(strings.ReplaceAll(string(html), "<strong>Send only</strong>", "Send only"), warning) {
		return fmt.Errorf("the checkout page does not say %q", warning)
	}
	fmt.Fprintf(out, "customer: Pay with test funds (25 USDT on %s)\n", chain)
	res, err = c.PostForm(base+page+"/test-pay", url.Values{"method": {method}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("test pay: %d", res.StatusCode)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case typ := <-events:
			fmt.Fprintf(out, "shop: webhook %s (signature verified)\n", typ)
			if typ == "invoice.paid" {
				fmt.Fprintf(out, "smoke: OK, the invoice paid on %s is paid\n", chain)
				return nil
			}
		case <-timeout:
			return errors.New("no invoice.paid webhook within 60 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
