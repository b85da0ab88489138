package sim_test

import (
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/chaintest"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/keys"
)

// TestChaintest runs the chain conformance suite on a sim chain standing in for
// Bitcoin in test mode. It has every capability; its wallet needs no keys or funds.
func TestChaintest(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: newChaintestChain})
}

func newChaintestChain(t *testing.T) *chaintest.Chain {
	c := sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})
	k, err := keys.FromMnemonic("legal winner thank year wave sausage worth useful legal winner thank yellow", "")
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	address := func(m asset.Mode) string {
		a, err := k.Address(asset.FamilyBTC, m, keys.Receive, next)
		if err != nil {
			t.Fatal(err)
		}
		next++
		return a.Encoded
	}
	tb1 := address(asset.Test)
	return &chaintest.Chain{
		Backend: c,
		Asset:   "BTC",
		Address: func() string { return address(asset.Test) },
		// A mainnet bech32 and a mainnet base58 address (BIP 13's example).
		WrongNetwork: []string{address(asset.Live), "3P14159f73E4gFr7JterCCQh9QjiTjiZrG"},
		BadChecksum:  []string{flip(tb1)},
		Pay:          func(addr string, amount *big.Int) string { return c.Pay(addr, "BTC", amount) },
		Mine:         func(n int) { c.Mine(n) },
		Disconnect: func(depth int) {
			if err := c.Disconnect(depth); err != nil {
				t.Fatal(err)
			}
		},
		Drop: func(txid string) {
			if !c.Drop(txid) {
				t.Fatalf("sim: %s is not in the mempool", txid)
			}
		},
	}
}

// flip changes the last character of a bech32 address: its checksum no longer matches.
func flip(s string) string {
	if s[len(s)-1] == 'q' {
		return s[:len(s)-1] + "p"
	}
	return s[:len(s)-1] + "q"
}
