package kassa_test

import (
	"context"
	"testing"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/kassatest"
)

func network(h kassa.Health, id asset.NetworkID) kassa.NetworkHealth {
	for _, n := range h.Networks {
		if n.Network == string(id) && n.Mode == string(asset.Test) {
			return n
		}
	}
	return kassa.NetworkHealth{}
}

// TestReady: ready once every watcher has stepped; one failed step is not enough to
// be unready, a node down for three polls makes its network failing and the
// instance not ready, until it is back; a watcher with no step at all for three
// polls is stale.
func TestReady(t *testing.T) {
	env := kassatest.New(t) // syncs once: every watcher has stepped
	h := env.Gateway.Ready(t.Context())
	if !h.Ready || h.Database != "ok" || len(h.Networks) != len(kassatest.Networks) {
		t.Fatalf("after a sync: %+v", h)
	}
	if n := network(h, asset.Bitcoin); n.State != "ok" || n.LastStep == nil || n.Lag != 0 {
		t.Fatalf("bitcoin: %+v", n)
	}

	env.Chain(asset.Bitcoin).SetOffline(true)
	if err := env.Gateway.Sync(t.Context()); err == nil {
		t.Fatal("a sync with the node down succeeded")
	}
	h = env.Gateway.Ready(t.Context())
	if n := network(h, asset.Bitcoin); !h.Ready || n.State != "ok" || n.Error == "" {
		t.Fatalf("one failed step is not enough to be unready: ready %v, bitcoin %+v", h.Ready, n)
	}
	env.Clock.Advance(time.Minute + 30*time.Second) // three default polls and the slack
	if err := env.Gateway.Sync(t.Context()); err == nil {
		t.Fatal("a sync with the node down succeeded")
	}
	h = env.Gateway.Ready(t.Context())
	if n := network(h, asset.Bitcoin); h.Ready || n.State != "failing" || n.Error == "" {
		t.Fatalf("node down for three polls: ready %v, bitcoin %+v", h.Ready, n)
	}
	env.Chain(asset.Bitcoin).SetOffline(false)
	env.Sync()
	if h = env.Gateway.Ready(t.Context()); !h.Ready {
		t.Fatalf("node back: %+v", h)
	}

	env.Clock.Advance(time.Minute + 31*time.Second) // three default polls and the slack, without a step
	h = env.Gateway.Ready(t.Context())
	if n := network(h, asset.Bitcoin); h.Ready || n.State != "stale" {
		t.Fatalf("no step for three polls: ready %v, bitcoin %+v", h.Ready, n)
	}
	env.Sync()

}

// heldChain is a sim chain whose scan of one block waits until released: a watcher
// catching up, caught in the middle.
type heldChain struct {
	*sim.Chain
	at      uint64
	reached chan struct{}
	release chan struct{}
}

func (c *heldChain) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	if h == c.at {
		close(c.reached)
		<-c.release
	}
	return c.Chain.Scan(ctx, h, watch)
}

// TestReady_BehindWhileCatchingUp: a watcher that has more than MaxLag blocks left to
// process is behind, and the instance not ready, until it has caught up.
func TestReady_BehindWhileCatchingUp(t *testing.T) {
	c := &heldChain{Chain: sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}), at: ^uint64(0), reached: make(chan struct{}), release: make(chan struct{})}
	g, _ := kassatest.Gateway(t, kassa.Config{Chains: []chains.Backend{c}})
	if err := g.Sync(t.Context()); err != nil { // the first step starts at the tip
		t.Fatal(err)
	}
	start := c.Height()
	c.Mine(10)
	c.at = start + 3
	done := make(chan error, 1)
	go func() { done <- g.Sync(context.Background()) }()
	<-c.reached // blocks start+1 and start+2 are processed, 8 are left
	h := g.Ready(t.Context())
	n := network(h, asset.Bitcoin)
	close(c.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.Ready || n.State != "behind" || n.Height != start+2 || n.Tip != start+10 || n.Lag != 8 {
		t.Fatalf("catching up: ready %v, %+v", h.Ready, n)
	}
	if h := g.Ready(t.Context()); !h.Ready || network(h, asset.Bitcoin).Lag != 0 {
		t.Fatalf("caught up: %+v", h)
	}
}
