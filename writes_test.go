package kassa_test

import (
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/webhook"
)

// gate blocks calls while it is shut, telling the test when one waits.
type gate struct {
	shut    atomic.Bool
	waiting chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{waiting: make(chan struct{}, 8), open: make(chan struct{})} }

func (g *gate) pass(ctx context.Context) error {
	if !g.shut.Load() {
		return nil
	}
	g.waiting <- struct{}{}
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slowResolver answers a public address, slowly while its gate is shut.
type slowResolver struct{ *gate }

func (r slowResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if err := r.pass(ctx); err != nil {
		return nil, err
	}
	return []net.IPAddr{{IP: net.ParseIP("93.184.216.34")}}, nil
}

// slowNode is a sim chain whose node answers slowly while its gate is shut.
type slowNode struct {
	*sim.Chain
	*gate
}

func (c slowNode) Tip(ctx context.Context) (chains.BlockRef, error) {
	if err := c.pass(ctx); err != nil {
		return chains.BlockRef{}, err
	}
	return c.Chain.Tip(ctx)
}

// TestWrites_SlowResolverOrNodeNeverDelaysCreates (issue 14.4): updating a webhook
// endpoint resolved its host inside the storage transaction, and with a slow resolver
// invoice creation went from 14 ms to 8.9 s for every client. No write transaction
// waits for the network: with a resolver and a node that do not answer, invoices are
// still created at once.
func TestWrites_SlowResolverOrNodeNeverDelaysCreates(t *testing.T) {
	dns, node := newGate(), newGate()
	chain := slowNode{simChain(asset.Bitcoin, asset.Test), node}
	g := gatewayWith(t, kassa.Config{DatabasePath: filepath.Join(t.TempDir(), "kassa.db"), Chains: []chains.Backend{chain},
		Webhooks: webhook.Options{Resolver: slowResolver{dns}}})
	ctx := context.Background()
	ep, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: "https://hooks.shop.example/a", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	dns.shut.Store(true)
	node.shut.Store(true)
	updated := make(chan error, 1)
	go func() {
		url := "https://hooks.shop.example/b"
		_, err := g.Webhooks().Update(ctx, asset.Test, ep.ID, webhook.UpdateParams{URL: &url})
		updated <- err
	}()
	<-dns.waiting // the update waits for DNS
	synced := make(chan error, 1)
	go func() { synced <- g.Sync(ctx) }()
	<-node.waiting // the watcher waits for the node

	created := make(chan error, 3)
	go func() {
		for range 3 {
			_, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.001"), Currency: "BTC"})
			created <- err
		}
	}()
	for range 3 {
		select {
		case err := <-created:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("invoice creation waited for a DNS lookup or a node")
		}
	}
	close(dns.open)
	close(node.open)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	if got, err := g.Webhooks().Get(ctx, asset.Test, ep.ID); err != nil || got.URL != "https://hooks.shop.example/b" {
		t.Fatalf("endpoint after the update: %+v, %v", got, err)
	}
}
