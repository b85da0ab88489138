package kassa_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

// A customer pays a 25 USD invoice in BTC on a simulated chain: the invoice is seen in
// the mempool (confirming), then paid at the asset's confirmations. Run and Sync are
// the same watchers; Sync steps them once, as tests do.
func Example_customerPays() {
	ctx := context.Background()
	btc := sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})
	cache, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Fixed{"BTC": decimal.NewFromInt(50_000)}}})
	if err != nil {
		panic(err)
	}
	g, err := kassa.New(kassa.Config{
		Mnemonic:     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		DatabasePath: ":memory:",
		Chains:       []chains.Backend{btc},
		Rates:        cache,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer g.Close()

	inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("25.00"), Currency: "USD"})
	if err != nil {
		panic(err)
	}
	m := inv.Methods[0]
	fmt.Println(inv.Status, m.Asset, m.AmountDue)

	a, _ := g.Assets().Get(m.Asset)
	units, _ := a.ToBaseUnits(m.AmountDue)
	btc.Pay(m.Address, m.Asset, units) // the customer's wallet broadcasts
	g.Sync(ctx)
	inv, _ = g.Invoices().Get(ctx, asset.Test, inv.ID)
	fmt.Println(inv.Status)

	btc.Mine(a.ConfirmationsFor(m.AmountDue))
	g.Sync(ctx)
	inv, _ = g.Invoices().Get(ctx, asset.Test, inv.ID)
	fmt.Println(inv.Status, inv.AmountPaid)
	// Output:
	// pending BTC 0.0005
	// confirming
	// paid 25
}
