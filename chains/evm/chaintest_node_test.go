package evm_test

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/chaintest"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
)

// TestChaintest_Node runs the chain conformance suite on go-ethereum's simulated node,
// one per check, read over JSON-RPC on its loopback websocket endpoint (so new heads
// are pushed too). A reorg forks the chain below its tip (the forked-out transactions
// return to the pool); a transaction leaves the pool when the pool is cleared.
func TestChaintest_Node(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: newNodeChain, Lacks: map[chaintest.Capability]string{
		chaintest.Mempool: "the EVM backend has no mempool view (it is no chains.Mempool): payments are seen once mined",
	}})
}

func newNodeChain(t *testing.T) *chaintest.Chain {
	ctx := context.Background()
	node := evmdevnet.Start(t, nil)
	b, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.WSURL, ChainID: evmdevnet.ChainID,
		Assets: asset.Default(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	wallet, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	hot, err := wallet.Address(asset.FamilyEVM, asset.Test, keys.Change, 0) // the hot wallet payouts leave from
	if err != nil {
		t.Fatal(err)
	}
	recipients, err := keys.FromMnemonic(kassatest.RecipientMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	address := func() string {
		a, err := recipients.Address(asset.FamilyEVM, asset.Test, keys.Receive, next)
		if err != nil {
			t.Fatal(err)
		}
		next++
		return a.Encoded
	}
	return &chaintest.Chain{
		Backend: b,
		Asset:   "ETH",
		Amount:  new(big.Int).Div(evmdevnet.Ether, big.NewInt(100)),
		Address: address,
		// EVM addresses are the same on every EVM network: other networks' are other
		// families' (Tron, Bitcoin).
		WrongNetwork: []string{"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"},
		BadChecksum:  []string{"0x9858EfFD232B4033E47d90003D41EC34EcaEdA94", flipCase(address())},
		Pay:          func(addr string, amount *big.Int) string { return node.PayETH(addr, amount).Hex() },
		Mine:         node.Mine,
		Disconnect: func(depth int) {
			head, err := node.Client.HeaderByNumber(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			parent, err := node.Client.HeaderByNumber(ctx, new(big.Int).Sub(head.Number, big.NewInt(int64(depth))))
			if err != nil {
				t.Fatal(err)
			}
			if err := node.Fork(parent.Hash()); err != nil {
				t.Fatal(err)
			}
		},
		Drop:    func(string) { node.Rollback() },
		Keyring: wallet,
		Source:  hot,
	}
}

// flipCase changes the case of the last letter of an EIP-55 address, so its checksum
// no longer matches.
func flipCase(addr string) string {
	i := strings.LastIndexAny(addr[2:], "abcdefABCDEF") + 2
	c := addr[i : i+1]
	if c == strings.ToLower(c) {
		c = strings.ToUpper(c)
	} else {
		c = strings.ToLower(c)
	}
	return addr[:i] + c + addr[i+1:]
}
