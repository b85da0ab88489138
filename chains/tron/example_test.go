package tron_test

import (
	"context"
	"log"
	"os"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/tron"
)

// A Tron backend on TronGrid (mainnet), its API key sent as TRON-PRO-API-KEY. New asks
// the node for its tip, so a wrong URL or key fails at start.
func ExampleNew() {
	ctx := context.Background()
	reg := asset.Default()
	b, err := tron.New(ctx, tron.Config{Mode: asset.Live, URL: "https://api.trongrid.io",
		APIKey: os.Getenv("TRONGRID_KEY"), Assets: reg})
	if err != nil {
		log.Fatal(err)
	}
	_ = b // kassa.Config.Chains
}
