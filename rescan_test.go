package kassa_test

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/invoice"
)

// heldScans is a sim chain that counts the blocks it is asked for and can hold scans
// of blocks below a height until released.
type heldScans struct {
	*sim.Chain
	mu      sync.Mutex
	scans   int
	below   uint64
	held    chan struct{} // receives when a scan is held
	release chan struct{}
}

func (c *heldScans) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	c.mu.Lock()
	c.scans++
	hold := h < c.below
	c.mu.Unlock()
	if hold {
		select {
		case c.held <- struct{}{}:
		default:
		}
		<-c.release
	}
	return c.Chain.Scan(ctx, h, watch)
}

func (c *heldScans) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.scans
	c.scans = 0
	return n
}

// TestRescan_OncePerNetworkWithACooldownAndNeverStarvingTheWatcher (issue 14.25):
// the checkout's "I have paid" rescanned 200 blocks per payment method, again for
// methods on the same network, holding the watcher's lock all along.
func TestRescan_OncePerNetworkWithACooldownAndNeverStarvingTheWatcher(t *testing.T) {
	chain := &heldScans{Chain: simChain(asset.Ethereum, asset.Test),
		held: make(chan struct{}, 1), release: make(chan struct{})}
	g := gatewayWith(t, kassa.Config{Chains: []chains.Backend{chain}})
	ctx := context.Background()
	chain.Mine(100)
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("20"), Currency: "USD",
		AcceptedAssets: []string{"ETH", "USDT_ETHEREUM", "USDC_ETHEREUM"}})
	if err != nil || len(inv.Methods) != 3 {
		t.Fatalf("invoice: %v", err)
	}
	chain.count()
	if _, err := g.Invoices().Rescan(ctx, asset.Test, inv.ID, 50); err != nil {
		t.Fatal(err)
	}
	if n := chain.count(); n != 50 {
		t.Fatalf("a rescan of 50 blocks for 3 methods on one network read %d blocks, want 50", n)
	}
	if _, err := g.Invoices().Rescan(ctx, asset.Test, inv.ID, 50); err != nil {
		t.Fatal(err)
	}
	if n := chain.count(); n != 0 {
		t.Fatalf("a second rescan within the cooldown read %d blocks", n)
	}
	// A slow rescan of another invoice does not hold the watcher back.
	other, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.01"), Currency: "ETH"})
	if err != nil {
		t.Fatal(err)
	}
	chain.mu.Lock()
	chain.below = 100
	chain.mu.Unlock()
	rescanned := make(chan error, 1)
	go func() {
		_, err := g.Invoices().Rescan(ctx, asset.Test, other.ID, 50)
		rescanned <- err
	}()
	<-chain.held // the rescan waits for the node
	chain.Pay(other.Methods[0].Address, "ETH", big.NewInt(10_000_000_000_000_000))
	chain.Mine(1)
	stepped := make(chan error, 1)
	go func() { stepped <- g.Sync(ctx) }()
	select {
	case err := <-stepped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher waited for a rescan")
	}
	if got, _ := g.Invoices().Get(ctx, asset.Test, other.ID); got.AmountPaid.IsZero() {
		t.Fatal("the payment mined during the rescan was not seen")
	}
	close(chain.release)
	if err := <-rescanned; err != nil {
		t.Fatal(err)
	}
}
