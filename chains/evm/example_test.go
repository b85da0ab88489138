package evm_test

import (
	"context"
	"log"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/evm"
)

// An Ethereum backend on a node's websocket endpoint: blocks are pushed (newHeads),
// and the node's chain id is checked against the registry's.
func ExampleNew() {
	ctx := context.Background()
	reg := asset.Default()
	eth, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Live, URL: "wss://eth.example:8546", Assets: reg})
	if err != nil {
		log.Fatal(err)
	}
	defer eth.Close()
}
