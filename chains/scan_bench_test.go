package chains_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"testing"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
)

// BenchmarkScan measures the cost per transfer of scanning one block of 3,000
// transfers (100 of them to watched addresses) with 1,000 and with 1,000,000 watched
// addresses. The filter is a hash-set lookup, so the two must cost about the same.
func BenchmarkScan(b *testing.B) {
	const perBlock, hits = 3000, 100
	for _, watched := range []int{1_000, 1_000_000} {
		set := chains.NewSet()
		addrs := make([]string, watched)
		for i := range addrs {
			addrs[i] = fmt.Sprintf("bcrt1qwatched%040d", i)
		}
		set.Add(addrs...)
		c := sim.New(net)
		outs := make([]sim.Output, perBlock)
		for i := range outs {
			to := fmt.Sprintf("bcrt1qstranger%039d", i)
			if i%(perBlock/hits) == 0 {
				to = addrs[(i*7919)%watched]
			}
			outs[i] = sim.Output{Asset: "BTC", To: to, Amount: big.NewInt(int64(1000 + i))}
		}
		c.PayMany(outs...)
		c.Mine(1)
		b.Run(fmt.Sprintf("watched=%d", watched), func(b *testing.B) {
			for b.Loop() {
				blk, err := c.Scan(context.Background(), 1, set)
				if err != nil || len(blk.Transfers) != hits {
					b.Fatalf("%d transfers, %v", len(blk.Transfers), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perBlock, "ns/transfer")
		})
	}
}

// hexKeyer keys an address "0x" + 40 hex digits by its 20 bytes, as the EVM backend does.
type hexKeyer struct{}

func (hexKeyer) WatchKey(addr string) (string, bool) {
	b, err := hex.DecodeString(strings.TrimPrefix(addr, "0x"))
	if err != nil || len(b) != 20 {
		return "", false
	}
	return string(b), true
}

// BenchmarkSetHeap reports the live heap one watched address costs in a Set, plain
// (the sim chains') and keyed (every node backend's), with b.N addresses, the address
// strings included.
func BenchmarkSetHeap(b *testing.B) {
	for _, c := range []struct {
		name  string
		keyer chains.Keyer
	}{{"plain", nil}, {"keyed", hexKeyer{}}} {
		b.Run(c.name, func(b *testing.B) {
			before := liveHeap()
			s := chains.NewKeyedSet(c.keyer)
			for i := range b.N {
				s.Add(fmt.Sprintf("0x%040x", i+1))
			}
			b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/address")
			runtime.KeepAlive(s)
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
