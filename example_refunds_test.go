package kassa_test

import (
	"context"
	"errors"
	"log"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/refund"
	"github.com/shopspring/decimal"
)

// Refunds: part of a paid invoice back to the payer's address, and the rest through a
// claim link where the payer gives the address. (Compiled, not run: it needs a paid
// live invoice.)
func ExampleGateway_Refunds() {
	ctx := context.Background()
	var g *kassa.Gateway // kassa.New(...) with a Mnemonic: refunds are paid out
	r, err := g.Refunds().Create(ctx, asset.Live, refund.CreateParams{
		InvoiceID: "inv_...", Amount: decimal.RequireFromString("25.00"), // in the price currency
		Destination: "bc1q...", Reason: "requested_by_customer",
	})
	if errors.Is(err, refund.ErrExceedsPayment) {
		log.Print("more than is left to refund of what was confirmed")
	}
	// No amount: all that is left; no destination: the payer enters it on the claim page.
	r, err = g.Refunds().Create(ctx, asset.Live, refund.CreateParams{InvoiceID: "inv_..."})
	if err == nil {
		log.Print("send the payer ", "https://shop.example/pay"+r.ClaimPath) // httphandler's PublicURL + ClaimPath
	}
}
