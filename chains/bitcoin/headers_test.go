package bitcoin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
)

// TestNewBlocks_WebsocketHeaders: Config.WebsocketHeaders (a node provider's API key)
// go with the websocket's handshake beside the basic authentication, as given to New
// (the caller's map changing afterwards changes nothing). The node is a stub that
// records the handshake and refuses it.
func TestNewBlocks_WebsocketHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer node.Close()
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: node.URL})
	if err != nil {
		t.Fatal(err)
	}
	headers := http.Header{"X-Api-Key": {"k-1"}}
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, RPC: rpc, Logger: quiet,
		WebsocketHost: strings.TrimPrefix(node.URL, "http://"), User: "u", Pass: "p", WebsocketHeaders: headers})
	if err != nil {
		t.Fatal(err)
	}
	headers.Set("X-Api-Key", "changed")
	if _, err := b.NewBlocks(t.Context()); err == nil {
		t.Fatal("a refused websocket gave a subscription")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Fatalf("%d handshakes", len(seen))
	}
	if got := seen[0].Get("X-Api-Key"); got != "k-1" {
		t.Errorf("handshake carried X-Api-Key %q, want k-1", got)
	}
	if u, p, ok := (&http.Request{Header: seen[0]}).BasicAuth(); !ok || u != "u" || p != "p" {
		t.Errorf("handshake's basic auth %q %q %v", u, p, ok)
	}
}
