package kassa_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/invoice"
)

// evmGateway is a Gateway on an in-process go-ethereum node (JSON-RPC on 127.0.0.1),
// its backend built on reg.
func evmGateway(t *testing.T, node *evmdevnet.Node, reg *asset.Registry) *kassa.Gateway {
	t.Helper()
	b, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.URL, ChainID: evmdevnet.ChainID,
		Assets: reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return gatewayWith(t, kassa.Config{Assets: reg, Chains: []chains.Backend{b}}).Gateway
}

// TestGateway_PaymentURIsNameTheChainTheNodeIsOn (issue 14.11): against a node on
// chain 1337 the EIP-681 URI said @11155111 (the registry's Sepolia id), and a
// test-mode token without a contract was offered with "ethereum:@11155111/transfer?".
func TestGateway_PaymentURIsNameTheChainTheNodeIsOn(t *testing.T) {
	node := evmdevnet.Start(t, nil)
	ctx := context.Background()
	reg := asset.Default()
	if err := reg.SetContract("USDT_ETHEREUM", asset.Test, evmdevnet.USDT.Hex()); err != nil {
		t.Fatal(err)
	}
	g := evmGateway(t, node, reg)
	chain := "@" + strconv.Itoa(evmdevnet.ChainID)
	for _, code := range []string{"ETH", "USDT_ETHEREUM"} {
		inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("1"), Currency: code})
		if err != nil {
			t.Fatal(err)
		}
		uri := g.PaymentURI(inv, inv.Methods[0])
		if !strings.HasPrefix(uri, "ethereum:") || !strings.Contains(uri, chain) {
			t.Fatalf("%s: %q does not name the node's chain %s", code, uri, chain)
		}
	}
	// Without a test-mode contract for USDT the node's backend cannot watch it: not
	// offered at all.
	bare := evmGateway(t, node, asset.Default())
	if bare.Enabled(asset.Test, "USDT_ETHEREUM") || !bare.Enabled(asset.Test, "ETH") {
		t.Fatal("a token without a contract in the mode is offered")
	}
	if _, err := bare.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("10"), Currency: "USDT_ETHEREUM"}); !errors.Is(err, invoice.ErrNotEnabled) {
		t.Fatalf("invoice in a token without a contract: %v", err)
	}
}
