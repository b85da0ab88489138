package evmtest_test

import (
	"math/big"
	"testing"

	"github.com/kassapay/kassa/internal/evmtest"
)

func TestNode_ContractsBehave(t *testing.T) {
	n := evmtest.Start(t, nil)
	const to = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	n.PayETH(to, big.NewInt(1000))
	tok := n.PayToken(evmtest.USDT, to, big.NewInt(5_000_000))
	bad := n.PayTokenReverting(evmtest.LINK, to, big.NewInt(1))
	fwd := n.PayThroughContract(to, big.NewInt(777))
	n.Commit()
	if got := n.Balance(to); got.Int64() != 1777 {
		t.Fatalf("ether balance %s, want 1777 (direct + internal)", got)
	}
	if got := n.TokenBalance(evmtest.USDT, to); got.Int64() != 5_000_000 {
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
	if got := n.TokenBalance(evmtest.LINK, to); got.Sign() != 0 {
		t.Fatalf("reverted transfer moved %s", got)
	}
}
