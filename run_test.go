package kassa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

// TestRun_WatchesDeliversAndStops runs the Gateway's background jobs for real: blocks
// pushed by the chain wake the watcher, the invoice gets paid, the subscriber hears it,
// and Run returns once its context is cancelled.
func TestRun_WatchesDeliversAndStops(t *testing.T) {
	env := kassatest.New(t)
	paid := make(chan string, 1)
	err := env.Gateway.Subscribe("run-test", func(_ context.Context, e kassa.Event) error {
		if e.Type == event.InvoicePaid {
			select {
			case paid <- e.ObjectID:
			default:
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Gateway.Run(ctx) }()

	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.001"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	env.Pay(inv, "BTC", "0.001")
	env.Chain(asset.Bitcoin).Mine(1)
	select {
	case id := <-paid:
		if id != inv.ID {
			t.Fatalf("paid event for %s, want %s", id, inv.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not get the invoice paid")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
	if got, _ := env.Gateway.Invoices().Get(context.Background(), asset.Test, inv.ID); got.Status != invoice.StatusPaid {
		t.Fatalf("status %s", got.Status)
	}
}
