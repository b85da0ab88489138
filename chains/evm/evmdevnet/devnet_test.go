package evmdevnet_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/chains/evm/evmdevnet"
)

func TestNode_ContractsBehave(t *testing.T) {
	n := evmdevnet.Start(t, nil)
	const to = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	n.PayETH(to, big.NewInt(1000))
	tok := n.PayToken(evmdevnet.USDT, to, big.NewInt(5_000_000))
	bad := n.PayTokenReverting(evmdevnet.LINK, to, big.NewInt(1))
	fwd := n.PayThroughContract(to, big.NewInt(777))
	n.Commit()
	if got := n.Balance(to); got.Int64() != 1777 {
		t.Fatalf("ether balance %s, want 1777 (direct + internal)", got)
	}
	if got := n.TokenBalance(evmdevnet.USDT, to); got.Int64() != 5_000_000 {
		t.Fatalf("token balance %s", got)
	}
	if r := n.Receipt(tok); r.Status != 1 || len(r.Logs) != 1 || len(r.Logs[0].Topics) != 3 {
		t.Fatalf("token transfer receipt: status %d, %d logs", r.Status, len(r.Logs))
	}
	if r := n.Receipt(bad); r.Status != 0 || len(r.Logs) != 0 {
		t.Fatalf("reverting transfer: status %d, %d logs", r.Status, len(r.Logs))
	}
	if r := n.Receipt(fwd); r.Status != 1 || len(r.Logs) != 0 {
		t.Fatalf("forwarder: status %d, %d logs", r.Status, len(r.Logs))
	}
	if got := n.TokenBalance(evmdevnet.LINK, to); got.Sign() != 0 {
		t.Fatalf("reverted transfer moved %s", got)
	}
}

// TestStandalone is the devnet in a program: it starts and pays outside a test, a
// failure comes back from Catch as an error, and Close stops the node.
func TestStandalone(t *testing.T) {
	tb := &evmdevnet.Standalone{}
	var n *evmdevnet.Node
	if err := evmdevnet.Catch(func() { n = evmdevnet.Start(tb, nil) }); err != nil {
		t.Fatal(err)
	}
	const to = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	n.PayETH(to, big.NewInt(5))
	n.Commit()
	if got := n.Balance(to); got.Int64() != 5 {
		t.Fatalf("balance %s, want 5", got)
	}
	err := evmdevnet.Catch(func() { tb.Fatal("boom ", 42) })
	var f *evmdevnet.Failure
	if !errors.As(err, &f) || err.Error() != "evmdevnet: boom 42" {
		t.Fatalf("Catch returned %v", err)
	}
	tb.Close()
	if _, err := n.Client.BlockNumber(t.Context()); err == nil {
		t.Fatal("the node still answers after Close")
	}
}
