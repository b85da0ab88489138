package evm_test

import (
	"testing"
	"time"

	"github.com/kassapay/kassa/internal/evmtest"
	"github.com/kassapay/kassa/internal/latencytest"
)

// BenchmarkDetectionLatency measures, over 20 USDT payments on the in-process node, the
// time from the block that includes a payment being mined to the
// invoice.payment_detected event, with the Gateway running (Run) and polling every
// 100 ms and every 10 ms. (EVM payments are seen in blocks, not in the mempool.)
func BenchmarkDetectionLatency(b *testing.B) {
	for _, poll := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run("poll="+poll.String(), func(b *testing.B) {
			for b.Loop() {
				latencytest.Report(b, evmLatencies(b, 20, poll))
			}
		})
	}
}

func evmLatencies(tb testing.TB, n int, poll time.Duration) []time.Duration {
	e := newEnvPoll(tb, poll)
	return latencytest.Measure(tb, e.g, n, func() (string, func()) {
		inv := e.invoice("5", "USDT_ETHEREUM")
		e.node.PayToken(evmtest.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "5"))
		return inv.ID, func() { e.node.Commit() }
	})
}
