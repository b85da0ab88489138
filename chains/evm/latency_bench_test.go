package evm_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/evmtest"
)

// BenchmarkDetectionLatency measures, over 20 USDT payments on the in-process node, the
// time from the block that includes a payment being mined to the
// invoice.payment_detected event, with the Gateway running (Run) and polling every
// 100 ms and every 10 ms. (EVM payments are seen in blocks, not in the mempool.)
func BenchmarkDetectionLatency(b *testing.B) {
	for _, poll := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run("poll="+poll.String(), func(b *testing.B) {
			for b.Loop() {
				lat := evmLatencies(b, 20, poll)
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			}
		})
	}
}

func evmLatencies(tb testing.TB, n int, poll time.Duration) []time.Duration {
	e := newEnvPoll(tb, poll)
	detected := make(chan string, n)
	if err := e.g.Subscribe("latency", func(_ context.Context, ev kassa.Event) error {
		if ev.Type == event.InvoicePaymentDetected {
			detected <- ev.ObjectID
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var out []time.Duration
	for range n {
		inv := e.invoice("5", "USDT_ETHEREUM")
		e.node.PayToken(evmtest.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "5"))
		start := time.Now()
		e.node.Commit()
		select {
		case id := <-detected:
			if id != inv.ID {
				tb.Fatalf("detected %s, want %s", id, inv.ID)
			}
			out = append(out, time.Since(start))
		case <-time.After(30 * time.Second):
			tb.Fatal("payment not detected")
		}
	}
	return out
}
