package evm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/evm"
)

// TestNew_HTTPHeadersOnEveryDial: Config.HTTPHeaders (a node provider's API key) go
// with every JSON-RPC request over HTTP and with the handshake of the push websocket;
// the caller's map changing after New changes nothing. The node is a stub that
// answers eth_chainId and refuses the websocket, recording what each request carried.
func TestNew_HTTPHeadersOnEveryDial(t *testing.T) {
	var mu sync.Mutex
	var rpcKeys, wsKeys []string
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			wsKeys = append(wsKeys, r.Header.Get("X-Api-Key"))
			http.Error(w, "no websocket here", http.StatusForbidden)
			return
		}
		rpcKeys = append(rpcKeys, r.Header.Get("X-Api-Key"))
		var call struct {
			ID json.RawMessage `json:"id"`
		}
		json.NewDecoder(r.Body).Decode(&call)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x539"}`, call.ID)
	}))
	defer node.Close()
	headers := http.Header{"X-Api-Key": {"k-1"}}
	b, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.URL,
		ChainID: 1337, Assets: asset.Default(), HTTPHeaders: headers, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	headers.Set("X-Api-Key", "changed")
	if _, err := b.NewBlocks(t.Context()); err == nil {
		t.Fatal("the stub's refused websocket gave a subscription")
	}
	b.Tip(t.Context()) // fails on the stub's answer, which is not a block: only its header matters
	mu.Lock()
	defer mu.Unlock()
	if len(rpcKeys) < 2 || len(wsKeys) != 1 {
		t.Fatalf("requests seen: %d over HTTP, %d websocket handshakes", len(rpcKeys), len(wsKeys))
	}
	for i, k := range append(rpcKeys, wsKeys...) {
		if k != "k-1" {
			t.Errorf("request %d carried X-Api-Key %q, want k-1", i, k)
		}
	}
}
