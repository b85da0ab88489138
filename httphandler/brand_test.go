package httphandler_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

func pngLogo(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The store's logo (Options.Logo) is on the page, served by the handler itself with
// its own type; an SVG one is sandboxed; what is not an image, or too large, is
// refused when the handler is built.
func TestCheckoutPage_Logo(t *testing.T) {
	logo := pngLogo(t)
	a := newAPI(t, httphandler.Options{StoreName: "Tee shop", Logo: logo})
	inv := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD"})
	_, _, page := a.page("/checkout/"+inv.ID, "")
	if !strings.Contains(page, `<img class="logo" id="logo" src="../static/logo" alt="">`) {
		t.Fatal("the page does not show the logo")
	}
	res, err := http.Get(a.srv.URL + "/pay/static/logo")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, logo) ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("/static/logo: %d %q %d bytes, CSP %q", res.StatusCode, res.Header.Get("Content-Type"), len(got), res.Header.Get("Content-Security-Policy"))
	}

	b := newAPI(t, httphandler.Options{})
	if _, _, page := b.page("/checkout/"+b.env.Create(invoice.CreateParams{Amount: kassatest.Dec("20"), Currency: "USD"}).ID, ""); strings.Contains(page, `id="logo"`) {
		t.Fatal("a logo without Options.Logo")
	}
	if res, err := http.Get(b.srv.URL + "/pay/static/logo"); err != nil || res.StatusCode != 404 {
		t.Fatalf("/static/logo without a logo: %v %v", res.StatusCode, err)
	}

	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`)
	if _, err := httphandler.New(a.env.Gateway, httphandler.Options{Logo: svg}); err != nil {
		t.Fatalf("an SVG logo: %v", err)
	}
	for name, bad := range map[string][]byte{
		"text":      []byte("our logo"),
		"html":      []byte("<html><script>alert(1)</script></html>"),
		"too large": append(pngLogo(t), make([]byte, 256<<10)...),
	} {
		if _, err := httphandler.New(a.env.Gateway, httphandler.Options{Logo: bad}); err == nil || !strings.Contains(err.Error(), "Options.Logo") {
			t.Errorf("a %s logo: %v", name, err)
		}
	}
}

// The receipt links each transaction to its explorer (Options.TxURL), and never
// with a URL that is not http(s).
func TestCheckoutPage_ReceiptLinksToTheExplorer(t *testing.T) {
	var asked []string
	a := newAPI(t, httphandler.Options{TxURL: func(n asset.NetworkID, m asset.Mode, txid string) string {
		asked = append(asked, string(n)+"/"+string(m))
		return "https://explorer.example/" + string(n) + "/tx/" + txid
	}})
	inv := a.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"})
	txid := a.env.PayInFull(inv, "BTC")
	a.env.Confirm(inv, "BTC")
	_, _, page := a.page("/checkout/"+inv.ID, "")
	link := `<a href="https://explorer.example/bitcoin/tx/` + txid + `" rel="noopener noreferrer"><code>` + txid + `</code></a>`
	if !strings.Contains(page, link) || len(asked) != 1 || asked[0] != "bitcoin/test" {
		t.Fatalf("the receipt does not link %s to the explorer (asked %v)", txid, asked)
	}

	for _, bad := range []string{"javascript:alert(1)", "data:text/html,hi", "//explorer.example/tx", ""} {
		b := newAPI(t, httphandler.Options{TxURL: func(asset.NetworkID, asset.Mode, string) string { return bad }})
		inv := b.env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"})
		txid := b.env.PayInFull(inv, "BTC")
		_, _, page := b.page("/checkout/"+inv.ID, "")
		if !strings.Contains(page, "<code>"+txid+"</code>") || strings.Contains(page, `<a href="`+bad) || strings.Contains(page, "rel=\"noopener noreferrer\"><code>") {
			t.Errorf("TxURL %q: the receipt links it, or lost the transaction", bad)
		}
	}
}

func TestDefaultTxURL(t *testing.T) {
	for _, c := range []struct {
		n    asset.NetworkID
		m    asset.Mode
		want string
	}{
		{asset.Bitcoin, asset.Live, "https://mempool.space/tx/ab12"},
		{asset.Ethereum, asset.Live, "https://etherscan.io/tx/ab12"},
		{asset.Tron, asset.Live, "https://tronscan.org/#/transaction/ab12"},
		{asset.Bitcoin, asset.Test, ""},
		{asset.NetworkID("nowhere"), asset.Live, ""},
	} {
		if got := httphandler.DefaultTxURL(c.n, c.m, "ab12"); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.n, c.m, got, c.want)
		}
	}
}
