package btcdtest_test

import (
	"testing"

	"github.com/kassapay/kassa/internal/btcdtest"
)

func TestNode_PayAndMine(t *testing.T) {
	n := btcdtest.Start(t)
	if h := n.Height(); h != 200 {
		t.Fatalf("height %d after setup", h)
	}
	txid := n.Payer().Pay(btcdtest.Output{Script: n.MinerPk, Sats: 12345})
	if m := n.Mempool(); len(m) != 1 || m[0] != txid {
		t.Fatalf("mempool %v, want %s", m, txid)
	}
	n.Generate(1)
	if m := n.Mempool(); len(m) != 0 {
		t.Fatalf("mempool after mining: %v", m)
	}
}
