package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/kassapay/kassa/internal/browsertest"
)

// TestQuickstartInABrowser is the demo as a person uses it, in headless Chromium: the
// product page, "Pay with crypto", the checkout page, USDT chosen, "Pay with test
// funds" (a real payment on the go-ethereum devnet), and the shop's thank-you page
// after the redirect.
func TestQuickstartInABrowser(t *testing.T) {
	ctx := browsertest.Start(t, 390, 844)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	runCtx, stop := contextWithCancel(t)
	go func() {
		done <- run(runCtx, config{addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "q.db"), out: &out,
			log: slog.New(slog.NewTextHandler(io.Discard, nil)), ready: ready})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	}
	var heading, loc string
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click("#buy", chromedp.ByID),
		chromedp.WaitVisible("#method", chromedp.ByID),
		chromedp.Click(`#method a[href$="method=USDT_ETHEREUM"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//strong[contains(., "Send only USDT on Ethereum")]`),
		chromedp.Click("#testpay", chromedp.ByID),
		chromedp.WaitVisible("#thanks", chromedp.ByID),
		chromedp.Text("#thanks", &heading, chromedp.ByID),
		chromedp.Location(&loc),
	)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if heading != "Thank you!" || !strings.HasPrefix(loc, base+"/thanks?order=ORD-") {
		t.Fatalf("ended on %s (%q)", loc, heading)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}
