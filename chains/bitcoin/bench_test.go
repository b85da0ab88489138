package bitcoin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2/bech32"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/internal/latencytest"
	"github.com/kassapay/kassa/invoice"
)

// mainnetSizedBlock builds a block like today's mainnet: 3,000 segwit transactions with
// 8,000 outputs in all (P2WPKH, P2TR, P2PKH, P2SH), 100 of them to watched addresses.
func mainnetSizedBlock(watched []string) []byte {
	h := func(i int, salt byte) []byte {
		s := sha256.Sum256(binary.BigEndian.AppendUint32([]byte{salt}, uint32(i)))
		return s[:]
	}
	blk := wire.MsgBlock{Header: wire.BlockHeader{Version: 4, Timestamp: time.Unix(1700000000, 0)}}
	out := 0
	for i := range 3000 {
		tx := wire.NewMsgTx(2)
		in := wire.NewTxIn(&wire.OutPoint{Index: uint32(i)}, nil, [][]byte{append(h(i, 2), h(i, 3)[:8]...), append([]byte{0x02}, h(i, 4)...)})
		copy(in.PreviousOutPoint.Hash[:], h(i, 5))
		tx.AddTxIn(in)
		n := 2
		if i%3 == 0 {
			n = 4 // 3,000 transactions, 8,000 outputs
		}
		for j := range n {
			var script []byte
			switch (out + j) % 4 {
			case 0:
				script = append([]byte{0x00, 0x14}, h(out+j, 6)[:20]...)
			case 1:
				script = append([]byte{0x51, 0x20}, h(out+j, 7)...)
			case 2:
				script = append(append([]byte{0x76, 0xa9, 0x14}, h(out+j, 8)[:20]...), 0x88, 0xac)
			default:
				script = append(append([]byte{0xa9, 0x14}, h(out+j, 9)[:20]...), 0x87)
			}
			if (out+j)%80 == 0 && (out+j)/80 < len(watched) {
				script, _ = bitcoin.AddressScript(watched[(out+j)/80], regtest)
			}
			tx.AddTxOut(wire.NewTxOut(int64(1000+out+j), script))
		}
		out += n
		blk.AddTransaction(tx)
	}
	var raw bytes.Buffer
	blk.Serialize(&raw)
	return raw.Bytes()
}

var (
	watchOnce sync.Once
	million   []string
)

func millionAddresses() []string {
	watchOnce.Do(func() {
		million = make([]string, 1_000_000)
		for i := range million {
			sum := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
			conv, _ := bech32.ConvertBits(sum[:20], 8, 5, true)
			million[i], _ = bech32.Encode("bcrt", append([]byte{0}, conv...))
		}
	})
	return million
}

// BenchmarkScanBlock scans a mainnet-sized raw block against 1,000,000 watched scripts,
// against bare wire.MsgBlock deserialisation of the same bytes in the same run.
func BenchmarkScanBlock(b *testing.B) {
	addrs := millionAddresses()
	raw := mainnetSizedBlock(addrs[:100])
	rpc, _ := bitcoin.NewRPC(bitcoin.RPCConfig{URL: "http://127.0.0.1:1"})
	be, _ := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: rpc})
	set := chains.NewKeyedSet(be, addrs...)
	b.Run("baseline=wire-deserialize", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var blk wire.MsgBlock
			if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan-1M-watched", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			blk, err := be.ScanRaw(raw, 1, set)
			if err != nil || len(blk.Transfers) != 100 {
				b.Fatalf("%d transfers, %v", len(blk.Transfers), err)
			}
		}
	})
}

// BenchmarkDetectionLatency measures, over 20 payments on btcd regtest, the time from
// sendrawtransaction to the invoice.payment_detected event with the Gateway running
// (Run, polling every 100 ms and every 10 ms), and reports the median and the maximum.
func BenchmarkDetectionLatency(b *testing.B) {
	for _, poll := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run("poll="+poll.String(), func(b *testing.B) {
			for b.Loop() {
				latencytest.Report(b, detectionLatencies(b, 20, poll, false))
			}
		})
	}
	// The defaults with btcd: a 10 s poll, and its websocket pushing new blocks and
	// mempool transactions.
	b.Run("push,poll=10s", func(b *testing.B) {
		for b.Loop() {
			latencytest.Report(b, detectionLatencies(b, 20, 10*time.Second, true))
		}
	})
}

func detectionLatencies(tb testing.TB, n int, poll time.Duration, push bool) []time.Duration {
	e := newEnvWith(tb, 1, poll, push)
	return latencytest.Measure(tb, e.g, n, func() (string, func()) {
		inv, err := e.g.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{Amount: btcs("0.001"), Currency: "BTC"})
		if err != nil {
			tb.Fatal(err)
		}
		script, _ := bitcoin.AddressScript(inv.Methods[0].Address, regtest)
		return inv.ID, func() { e.node.Payer().Pay(btcdOut(script, 100_000)) }
	})
}

func btcdOut(script []byte, sats int64) btcdtest.Output {
	return btcdtest.Output{Script: script, Sats: sats}
}

// TestPush_AMempoolTransactionWakesTheWatcher: with a websocket the watcher hears of
// a payment from btcd's websocket, not its poll: with an hour between polls, each of
// three payments is detected (within latencytest's 30 s bound, in ~0.1 s here).
func TestPush_AMempoolTransactionWakesTheWatcher(t *testing.T) {
	for _, d := range detectionLatencies(t, 3, time.Hour, true) {
		if d > 10*time.Second {
			t.Fatalf("detected after %s with an hour between polls", d)
		}
	}
}
