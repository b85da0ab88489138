package kassa_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
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

// TestRestart_TestChainKeepsItsPaymentsAcrossAProcessRestart (issue 14.7): with sim
// chains on a SQLite file (a sandbox, a shop's test mode), a restart logged a reorg
// and a paid invoice went back to pending. The sim chains' state lives in the same
// database now.
func TestRestart_TestChainKeepsItsPaymentsAcrossAProcessRestart(t *testing.T) {
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	paid := env.Create(invoice.CreateParams{Amount: dec("20"), Currency: "USD", ToCurrency: "TRX"})
	env.Pay(paid, "TRX", "160")
	env.Mine(asset.Tron, 19)
	env.WantStatus(paid.ID, invoice.StatusPaid, "")
	waiting := env.Create(invoice.CreateParams{Amount: dec("0.01"), Currency: "BTC"})
	txid := env.Pay(waiting, "BTC", "0.01") // in the mempool when the process dies
	p := env.NewPayout(payout.CreateParams{Amount: dec("10"), Currency: "TRX", Destination: env.Recipient(asset.Tron, 0)})
	height := env.Chain(asset.Tron).Height()

	env.RestartProcess()
	if h := env.Chain(asset.Tron).Height(); h != height {
		t.Fatalf("the restarted tron chain is at %d, was %d", h, height)
	}
	env.Sync()
	env.WantStatus(paid.ID, invoice.StatusPaid, "")
	if b := env.Balance("TRX"); !b.Available.Equal(dec("150")) || !b.Held.Equal(dec("10")) {
		t.Fatalf("TRX balance after the restart: %+v", b)
	}
	// The mempool payment and the payout's transaction are still there, and mined.
	if conf, _, known := env.Chain(asset.Bitcoin).TxStatus(txid); !known || conf != 0 {
		t.Fatalf("the mempool payment after the restart: known %v, %d confirmations", known, conf)
	}
	env.Mine(asset.Bitcoin, 1)
	env.WantStatus(waiting.ID, invoice.StatusPaid, "")
	env.Mine(asset.Tron, 19) // a payout's confirmations: TRX's
	if got := env.Payout(p.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("payout after the restart: %s", got.Status)
	}
	env.Verify()
}

func TestSubscribe_RedeliversUntilAcknowledged(t *testing.T) {
	env := kassatest.New(t)
	fail := true
	var got []event.Type
	err := env.Gateway.Subscribe("flaky", func(_ context.Context, e kassa.Event) error {
		if fail {
			return errors.New("receiver down")
		}
		got = append(got, e.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Create(invoice.CreateParams{Amount: dec("1"), Currency: "USD"})
	if err := env.Gateway.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "receiver down") {
		t.Fatalf("Sync should report the failing subscriber: %v", err)
	}
	fail = false
	env.Sync()
	if len(got) != 1 || got[0] != event.InvoiceCreated {
		t.Fatalf("delivered %v", got)
	}
	env.Sync()
	if len(got) != 1 {
		t.Fatalf("acknowledged event delivered again: %v", got)
	}
	if err := env.Gateway.Subscribe("flaky", func(context.Context, kassa.Event) error { return nil }); err == nil {
		t.Fatal("duplicate subscriber name accepted")
	}
}

// TestSubscribe_DeliveryIsOneAtATimeInOrder (issue 14.6): the checkout page's test
// payment runs Sync while Run runs, and the two delivered the same events to a
// subscriber concurrently and out of order. Deliveries to a subscriber are now one
// at a time, each event once per pass, in order.
func TestSubscribe_DeliveryIsOneAtATimeInOrder(t *testing.T) {
	env := kassatest.New(t)
	var active atomic.Int32
	var overlap atomic.Bool
	var mu sync.Mutex
	var seqs []int64
	entered := make(chan struct{}, 64)
	release := make(chan struct{})
	err := env.Gateway.Subscribe("ordered", func(_ context.Context, e kassa.Event) error {
		if active.Add(1) > 1 {
			overlap.Store(true)
		}
		defer active.Add(-1)
		entered <- struct{}{}
		<-release
		mu.Lock()
		seqs = append(seqs, e.Seq)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inv := env.Create(invoice.CreateParams{Amount: dec("20"), Currency: "USD", ToCurrency: "TRX"})
	env.Pay(inv, "TRX", "160")
	env.Chain(asset.Tron).Mine(19)
	var wg sync.WaitGroup
	wg.Go(func() { env.Gateway.Sync(context.Background()) })
	<-entered // the first pass is inside the subscriber
	wg.Go(func() { env.Gateway.Sync(context.Background()) })
	select {
	case <-entered: // a second delivery while the first is still running: the defect
	case <-time.After(300 * time.Millisecond): // the second pass waits for the first
	}
	close(release)
	wg.Wait()
	if overlap.Load() {
		t.Fatal("the subscriber was called concurrently")
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("events delivered out of order or twice: %v", seqs)
		}
	}
	want := []event.Type{event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoicePaid}
	if got := env.EventTypes(inv.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// TestClose_StopsRunAndWaitsForIt: Close cancels a running Run and returns only after
// every job it started has returned (a subscriber in the middle of a delivery
// included), so nothing touches the closed database.
func TestClose_StopsRunAndWaitsForIt(t *testing.T) {
	env := kassatest.New(t)
	entered := make(chan struct{}, 1)
	var returned atomic.Bool
	if err := env.Gateway.Subscribe("blocking", func(ctx context.Context, e kassa.Event) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // Run's context: only Close ends it here
		returned.Store(true)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	env.Create(invoice.CreateParams{Amount: dec("1"), Currency: "USD"})
	runDone := make(chan error, 1)
	go func() { runDone <- env.Gateway.Run(context.Background()) }()
	<-entered
	if err := env.Gateway.Close(); err != nil {
		t.Fatal(err)
	}
	// Close returned: the delivery Run was in the middle of has returned too (Run's
	// goroutine itself may still be on its way to the channel).
	if !returned.Load() {
		t.Fatal("Close returned while Run's subscriber delivery was still running")
	}
	if err := <-runDone; !errors.Is(err, context.Canceled) && err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := env.Gateway.Run(context.Background()); !errors.Is(err, kassa.ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}
