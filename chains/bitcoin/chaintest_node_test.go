package bitcoin_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/chaintest"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
)

// TestChaintest_Node runs the chain conformance suite on a real btcd node in regtest,
// one node per check, read over JSON-RPC with block pushes over its websocket. A
// reorg invalidates blocks (invalidateblock: their transactions return to the
// mempool); a payment leaves the mempool by a conflicting spend of its input with a
// higher fee (BIP 125 replacement).
func TestChaintest_Node(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: newNodeChain})
}

func newNodeChain(t *testing.T) *chaintest.Chain {
	node := btcdtest.Start(t)
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: node.RPC,
		WebsocketHost: node.Host, User: node.User, Pass: node.Pass, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := keys.FromMnemonic(kassatest.Mnemonic, "", keys.WithBitcoinTestParams(regtest))
	if err != nil {
		t.Fatal(err)
	}
	source, err := wallet.Address(asset.FamilyBTC, asset.Test, keys.Receive, 0)
	if err != nil {
		t.Fatal(err)
	}
	address := regtestAddresses(t)
	return &chaintest.Chain{
		Backend:      b,
		Asset:        "BTC",
		Address:      address,
		WrongNetwork: wrongNetworkForRegtest,
		BadChecksum:  []string{flipLast(address()), "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm"},
		Pay: func(addr string, amount *big.Int) string {
			script, err := bitcoin.AddressScript(addr, regtest)
			if err != nil {
				t.Fatal(err)
			}
			return node.Payer().Pay(btcdtest.Output{Script: script, Sats: amount.Int64()})
		},
		Mine: func(n int) { node.Generate(n) },
		Disconnect: func(depth int) {
			var hash string
			if err := node.RPC.Call(context.Background(), "getblockhash", &hash, node.Height()-int64(depth)+1); err != nil {
				t.Fatal(err)
			}
			node.Invalidate(hash)
		},
		Drop:    func(txid string) { node.Payer().Replace(txid) },
		Keyring: wallet,
		Source:  source,
	}
}

// wrongNetworkForRegtest are valid addresses of other Bitcoin networks: mainnet
// bech32 and base58 (BIP 173's and a well-known example), testnet bech32 (BIP 173).
var wrongNetworkForRegtest = []string{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
	"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"}

// regtestAddresses returns a generator of regtest receive addresses of someone else's
// wallet (kassatest.RecipientMnemonic), a new one per call.
func regtestAddresses(t *testing.T) func() string {
	k, err := keys.FromMnemonic(kassatest.RecipientMnemonic, "", keys.WithBitcoinTestParams(regtest))
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	return func() string {
		a, err := k.Address(asset.FamilyBTC, asset.Test, keys.Receive, next)
		if err != nil {
			t.Fatal(err)
		}
		next++
		return a.Encoded
	}
}

// flipLast changes the last character of a bech32 address, so its checksum no longer
// matches.
func flipLast(s string) string {
	if s[len(s)-1] == 'q' {
		return s[:len(s)-1] + "p"
	}
	return s[:len(s)-1] + "q"
}
