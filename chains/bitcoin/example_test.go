package bitcoin_test

import (
	"log"
	"os"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
)

// A Bitcoin backend on your own node's JSON-RPC (Bitcoin Core, btcd).
func ExampleNew() {
	u, p := os.Getenv("BITCOIN_RPC_USER"), os.Getenv("BITCOIN_RPC_PASS")
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: "http://127.0.0.1:8332", User: u, Pass: p})
	if err != nil {
		log.Fatal(err)
	}
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Live, RPC: rpc})
	if err != nil {
		log.Fatal(err)
	}
	_ = btc // kassa.Config{Chains: []chains.Backend{btc}}
}

// Without a node of your own: an Esplora REST API (payments show at their first
// confirmation, as Esplora has no mempool view).
func ExampleNewEsplora() {
	btc, err := bitcoin.NewEsplora(bitcoin.EsploraConfig{BaseURL: "https://mempool.space/api", Network: asset.Bitcoin, Mode: asset.Live})
	if err != nil {
		log.Fatal(err)
	}
	_ = btc
}
