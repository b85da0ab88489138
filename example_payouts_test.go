package kassa_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// Payouts: one, a batch, and the one-time code of a payout above the approval
// threshold. (Compiled, not run: it needs a funded live Gateway.)
func ExampleGateway_Payouts() {
	ctx := context.Background()
	var g *kassa.Gateway // kassa.New(...) with a Mnemonic: payouts are signed
	p, err := g.Payouts().Create(ctx, asset.Live, payout.CreateParams{
		Amount: decimal.RequireFromString("0.25"), Currency: "BTC",
		Destination: "bc1q...", CustomerID: "supplier-7",
	})
	var be *payout.BroadcastError // the node refused it: the hold is void, money back
	if errors.As(err, &be) {
		log.Printf("payout %s rolled back: %s", be.PayoutID, be.Reason)
	}
	var dests []payout.CreateParams // up to 50, checked before any is accepted
	batch, ps, err := g.Payouts().CreateMass(ctx, asset.Live, payout.MassParams{BatchReference: "Payroll-Q3", Destinations: dests})
	p, err = g.Payouts().Verify(ctx, asset.Live, p.ID, "482913") // above the approval threshold
	log.Println(p, batch, ps, err)
}

// A webhook endpoint, and the receiver that checks and decodes what it is sent.
// (Compiled, not run.)
func ExampleGateway_Webhooks() {
	ctx := context.Background()
	var g *kassa.Gateway // kassa.New(...) with a MasterKey: secrets are sealed under it
	ep, _ := g.Webhooks().Create(ctx, asset.Live, webhook.CreateParams{URL: "https://shop.example/hooks",
		Events: []string{"invoice.paid", "invoice.expired"}})
	secret := ep.Secret // "whsec_...", shown only now: keep it in the receiver's configuration
	http.HandleFunc("POST /hooks", func(w http.ResponseWriter, r *http.Request) {
		body, _ := readBody(r)
		ev, err := webhook.Parse(secret, r.Header, body, 5*time.Minute) // or webhook.Verify to check only
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		log.Println(ev.Type, string(ev.Data)) // at least once, in any order: read the object's status
	})
}

func readBody(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	return io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
}
