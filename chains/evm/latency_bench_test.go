package evm_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/latencytest"
)

// BenchmarkDetectionLatency measures, over 20 USDT payments on the in-process node, the
// time from the block that includes a payment being mined to the
// invoice.payment_detected event, with the Gateway running (Run) and polling every
// 100 ms and every 10 ms, and at the defaults: a 10 s poll with blocks pushed over
// the node's websocket (newHeads) beside its HTTP URL. (EVM payments are seen in
// blocks, not in the mempool.)
func BenchmarkDetectionLatency(b *testing.B) {
	for _, c := range []struct {
		poll time.Duration
		push string
	}{{100 * time.Millisecond, "off"}, {10 * time.Millisecond, "off"}, {10 * time.Second, "ws"}} {
		b.Run("poll="+c.poll.String()+"/push="+c.push, func(b *testing.B) {
			for b.Loop() {
				latencytest.Report(b, evmLatencies(b, 20, c.poll, c.push))
			}
		})
	}
}

// TestPush_NewHeadsWakeTheWatcher: with a websocket beside the HTTP URL the watcher
// hears of each block from newHeads, not its poll: with an hour between polls, each
// of three payments is detected (within latencytest's 30 s bound).
func TestPush_NewHeadsWakeTheWatcher(t *testing.T) {
	for _, d := range evmLatencies(t, 3, time.Hour, "ws") {
		if d > 10*time.Second {
			t.Fatalf("detected after %s with an hour between polls", d)
		}
	}
}

// A PushURL that refuses is polled (the node is still read over HTTP), not an error.
func TestPush_ARefusedWebsocketFallsBackToPolling(t *testing.T) {
	for _, d := range evmLatencies(t, 2, 20*time.Millisecond, "ws://127.0.0.1:1") {
		if d > 10*time.Second {
			t.Fatalf("detected after %s polling every 20 ms", d)
		}
	}
}

// A websocket that takes the connection and never answers eth_subscribe (a hung node,
// a proxy that swallows frames) must not stop the watcher: the subscription gives up
// after 5 s and the watcher polls (before, it waited for ever and never stepped).
func TestPush_ASilentWebsocketFallsBackToPolling(t *testing.T) {
	for _, d := range evmLatencies(t, 2, 20*time.Millisecond, silentWebsocket(t)) {
		if d > 20*time.Second {
			t.Fatalf("detected after %s polling every 20 ms", d)
		}
	}
}

// silentWebsocket serves websocket handshakes and then says nothing; it returns its URL.
func silentWebsocket(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
				fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
					base64.StdEncoding.EncodeToString(sum[:]))
				io.Copy(io.Discard, c) // read frames, answer none
			}()
		}
	}()
	return "ws://" + ln.Addr().String()
}

func evmLatencies(tb testing.TB, n int, poll time.Duration, push string) []time.Duration {
	e := newEnvPush(tb, poll, push)
	return latencytest.Measure(tb, e.g, n, func() (string, func()) {
		inv := e.invoice("5", "USDT_ETHEREUM")
		e.node.PayToken(evmdevnet.USDT, inv.Methods[0].Address, e.units("USDT_ETHEREUM", "5"))
		return inv.ID, func() { e.node.Commit() }
	})
}

// A PushURL that is not a websocket URL is refused by New, naming the field, before
// any node is dialled.
func TestNew_RefusesAPushURLThatIsNotAWebsocket(t *testing.T) {
	for _, bad := range []string{"http://127.0.0.1:8546", "127.0.0.1:8546", "ws://", "ftp://node"} {
		_, err := evm.New(t.Context(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: "http://127.0.0.1:1",
			PushURL: bad, Assets: asset.Default()})
		if err == nil || !strings.Contains(err.Error(), "PushURL") {
			t.Errorf("PushURL %q: %v", bad, err)
		}
	}
}
