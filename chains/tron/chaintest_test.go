package tron_test

import (
	"io"
	"log/slog"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/chaintest"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestChaintest_Devnet runs the chain conformance suite on the Tron backend reading
// trondevnet over its HTTP API, one devnet per check: blocks, confirmations and
// reorgs (blocks taken off the top, their transactions back in the pool).
func TestChaintest_Devnet(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: newDevnetChain, Lacks: map[chaintest.Capability]string{
		chaintest.Mempool: "the Tron backend has no mempool view: a payment is seen in its block, 3 s later",
		chaintest.Push:    "java-tron's HTTP API pushes nothing: the watcher polls",
	}})
}

// devnetBackend starts a devnet and a backend reading it, with the devnet's token as
// USDT_TRON in test mode.
func devnetBackend(t *testing.T, opts ...func(*tron.Config)) (*trondevnet.Node, *tron.Backend, *asset.Registry) {
	node := trondevnet.Start(t)
	reg := asset.Default()
	if err := reg.SetContract("USDT_TRON", asset.Test, node.Token.String()); err != nil {
		t.Fatal(err)
	}
	cfg := tron.Config{Mode: asset.Test, URL: node.URL, Assets: reg, Logger: quiet}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := tron.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return node, b, reg
}

func newDevnetChain(t *testing.T) *chaintest.Chain {
	node, b, _ := devnetBackend(t)
	recipients, err := keys.FromMnemonic(kassatest.RecipientMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	address := func() string {
		a, err := recipients.Address(asset.FamilyTron, asset.Test, keys.Receive, next)
		if err != nil {
			t.Fatal(err)
		}
		next++
		return a.Encoded
	}
	wallet, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	hot, err := wallet.Address(asset.FamilyTron, asset.Test, keys.Change, 0) // the hot wallet payouts leave from
	if err != nil {
		t.Fatal(err)
	}
	good := address()
	bad := []byte(good)
	if bad[10] == 'a' {
		bad[10] = 'b'
	} else {
		bad[10] = 'a'
	}
	return &chaintest.Chain{
		Backend:      b,
		Asset:        "TRX",
		Amount:       big.NewInt(3 * trondevnet.Sun),
		Address:      address,
		WrongNetwork: []string{"0x9858EfFD232B4033E47d90003D41EC34EcaEdA94", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
		BadChecksum:  []string{string(bad)},
		Pay:          func(addr string, amount *big.Int) string { return node.PayTRX(addr, amount.Int64()) },
		Mine:         node.Mine,
		Disconnect:   node.Disconnect,
		Drop:         node.Drop,
		Keyring:      wallet,
		Source:       hot,
	}
}
