package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/shopspring/decimal"
)

// TestBitcoinOnly_LinksNoGoEthereum (issue 15): a shop that embeds Kassa for Bitcoin
// alone links no go-ethereum package. It lists the command's dependencies with the go
// tool and logs the size of its binary.
func TestBitcoinOnly_LinksNoGoEthereum(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	var kassaPkgs int
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/ethereum/go-ethereum") {
			t.Errorf("a Bitcoin-only embed links %s", d)
		}
		if strings.HasPrefix(d, "github.com/kassapay/kassa") {
			kassaPkgs++
		}
	}
	if kassaPkgs < 5 {
		t.Fatalf("go list found only %d kassa packages: %v", kassaPkgs, deps)
	}
	if testing.Short() {
		return
	}
	bin := filepath.Join(t.TempDir(), "bitcoin-only")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bitcoin-only binary: %.1f MB, %d packages", float64(fi.Size())/1e6, len(deps))
}

// TestBitcoinOnly_TakesAPaymentOnBtcd runs the command against btcd in regtest: an
// invoice, a payment from the node's coins, confirmed and paid.
func TestBitcoinOnly_TakesAPaymentOnBtcd(t *testing.T) {
	node := btcdtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan served, 1)
	done := make(chan error, 1)
	c := config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "shop.db"), RPC: node.URL, RPCUser: node.User, RPCPass: node.Pass,
		Mnemonic: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"}
	go func() { done <- run(ctx, c, io.Discard, ready) }()
	var s served
	select {
	case s = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	inv, err := s.gw.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.001"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	script, err := bitcoin.AddressScript(inv.Methods[0].Address, node.Params)
	if err != nil {
		t.Fatal(err)
	}
	node.Payer().Pay(btcdtest.Output{Script: script, Sats: 100_000})
	node.Generate(1)
	if err := s.gw.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := s.gw.Invoices().Get(context.Background(), asset.Test, inv.ID)
	if err != nil || got.Status != invoice.StatusPaid {
		t.Fatalf("invoice after its payment was mined: %+v, %v", got, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
