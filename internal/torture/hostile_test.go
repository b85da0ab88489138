package torture

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage/storagetest"
	"github.com/shopspring/decimal"
)

// TestHostile_EveryRequestRefusedNothingStored runs the hostile table against the
// handler on a funded test Gateway (the campaign runs it against the standalone
// server): each request a 4xx, no 5xx, the stored state unchanged. It also checks the
// digest notices a change, so the comparison is not vacuous.
func TestHostile_EveryRequestRefusedNothingStored(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.5"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	env.Pay(inv, "BTC", "0.5")
	env.Mine(asset.Bitcoin, 6)
	h, err := httphandler.New(env.Gateway, httphandler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	k, err := env.Gateway.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test})
	if err != nil {
		t.Fatal(err)
	}
	digest := func() (string, error) { return storagetest.Digest(ctx, env.Store) }
	n, err := hostile(ctx, srv.URL, k.Secret, false, digest)
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("%d hostile requests", n)
	}
	before, _ := digest()
	if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.NewFromInt(1), Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if after, _ := digest(); after == before {
		t.Fatal("the digest did not change when an invoice was created")
	}
	// And a request the table would send, answered 2xx by a broken handler, is caught.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	defer broken.Close()
	if _, err := hostile(ctx, broken.URL, k.Secret, false, digest); err == nil {
		t.Fatal("a handler accepting everything passed the hostile table")
	}
}
