// Package latencytest measures payment detection latency for the chain benchmarks: with
// a Gateway running (Run), the time from the moment a payment becomes visible to the
// node (a broadcast, a mined block) to the invoice.payment_detected event.
package latencytest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/event"
)

// Measure runs g and makes n payments with pay, which prepares one (an invoice and,
// if needed, a transaction in the pool), and returns the invoice id and the action that
// makes the payment visible; the clock starts just before that action.
func Measure(tb testing.TB, g *kassa.Gateway, n int, pay func() (invoiceID string, reveal func())) []time.Duration {
	tb.Helper()
	detected := make(chan string, n)
	if err := g.Subscribe("latency", func(_ context.Context, ev kassa.Event) error {
		if ev.Type == event.InvoicePaymentDetected {
			detected <- ev.ObjectID
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var out []time.Duration
	for range n {
		id, reveal := pay()
		start := time.Now()
		reveal()
		select {
		case got := <-detected:
			if got != id {
				tb.Fatalf("detected %s, want %s", got, id)
			}
			out = append(out, time.Since(start))
		case <-time.After(30 * time.Second):
			tb.Fatal("payment not detected")
		}
	}
	return out
}

// Report reports the median and the maximum of lat as p50-ms and max-ms.
func Report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
