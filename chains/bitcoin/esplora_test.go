package bitcoin_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

const watchedAddr = "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk"

// fakeEsplora serves a chain of wire blocks through Esplora's REST paths, plus the
// recorded JSON fixtures of testdata/.
type fakeEsplora struct {
	mu        sync.Mutex
	blocks    []*wire.MsgBlock
	down      bool
	broadcast []string
}

func newBlock(prev chainhash.Hash, n int, outs ...*wire.TxOut) *wire.MsgBlock {
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 0xffffffff}, []byte{byte(n), 0x51}, nil))
	cb.AddTxOut(wire.NewTxOut(50_0000_0000, []byte{0x51}))
	b := &wire.MsgBlock{Header: wire.BlockHeader{Version: 4, PrevBlock: prev, Timestamp: time.Unix(1700000000+int64(n)*600, 0), Bits: 0x207fffff, Nonce: uint32(n)}}
	b.AddTransaction(cb)
	if len(outs) > 0 {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(n)}, Index: 0}, nil, nil))
		for _, o := range outs {
			tx.AddTxOut(o)
		}
		b.AddTransaction(tx)
	}
	return b
}

func (f *fakeEsplora) extend(n int, outs ...*wire.TxOut) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := chainhash.Hash{}
	if len(f.blocks) > 0 {
		prev = f.blocks[len(f.blocks)-1].BlockHash()
	}
	for i := range n {
		var o []*wire.TxOut
		if i == 0 {
			o = outs
		}
		b := newBlock(prev, len(f.blocks)+100*len(outs), o...)
		f.blocks = append(f.blocks, b)
		prev = b.BlockHash()
	}
}

func (f *fakeEsplora) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/fee-estimates":
		serveFile(w, "testdata/esplora_fee_estimates.json")
	case strings.HasPrefix(p, "/address/") && strings.HasSuffix(p, "/txs"):
		serveFile(w, "testdata/esplora_address_txs.json")
	case p == "/blocks/tip/hash":
		io.WriteString(w, f.blocks[len(f.blocks)-1].BlockHash().String())
	case strings.HasPrefix(p, "/block-height/"):
		var h int
		fmt.Sscan(strings.TrimPrefix(p, "/block-height/"), &h)
		if h >= len(f.blocks) {
			http.Error(w, "Block not found", http.StatusNotFound)
			return
		}
		io.WriteString(w, f.blocks[h].BlockHash().String())
	case p == "/tx" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		raw, err := hex.DecodeString(string(body))
		var tx wire.MsgTx
		if err != nil || tx.Deserialize(bytes.NewReader(raw)) != nil {
			http.Error(w, "sendrawtransaction RPC error: {\"code\":-22,\"message\":\"TX decode failed\"}", http.StatusBadRequest)
			return
		}
		f.broadcast = append(f.broadcast, tx.TxHash().String())
		io.WriteString(w, tx.TxHash().String())
	case strings.HasPrefix(p, "/block/"):
		rest := strings.TrimPrefix(p, "/block/")
		hash, raw := strings.CutSuffix(rest, "/raw")
		for h, b := range f.blocks {
			if b.BlockHash().String() != hash {
				continue
			}
			if raw {
				b.Serialize(w)
				return
			}
			prev := ""
			if h > 0 {
				prev = b.Header.PrevBlock.String()
			}
			fmt.Fprintf(w, `{"id":%q,"height":%d,"version":4,"timestamp":%d,"tx_count":%d,"size":300,"weight":1200,"merkle_root":%q,"previousblockhash":%q,"mediantime":%d,"nonce":%d,"bits":545259519,"difficulty":0}`,
				hash, h, b.Header.Timestamp.Unix(), len(b.Transactions), b.Header.MerkleRoot, prev, b.Header.Timestamp.Unix(), b.Header.Nonce)
			return
		}
		http.Error(w, "Block not found", http.StatusNotFound)
	default:
		http.NotFound(w, r)
	}
}

func serveFile(w http.ResponseWriter, name string) {
	b, err := os.ReadFile(name)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func newEsplora(t *testing.T) (*fakeEsplora, *bitcoin.Esplora) {
	f := &fakeEsplora{}
	f.extend(3)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	e, err := bitcoin.NewEsplora(bitcoin.EsploraConfig{BaseURL: srv.URL, Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return f, e
}

func TestEsplora_TipScanAndErrors(t *testing.T) {
	f, e := newEsplora(t)
	ctx := context.Background()
	script, _ := bitcoin.AddressScript(watchedAddr, regtest)
	f.extend(1, wire.NewTxOut(1_500_000, script), wire.NewTxOut(9, []byte{0x6a}))
	tip, err := e.Tip(ctx)
	if err != nil || tip.Height != 3 || tip.Hash != f.blocks[3].BlockHash().String() || tip.Parent != f.blocks[2].BlockHash().String() {
		t.Fatalf("tip %+v, %v", tip, err)
	}
	set := chains.NewKeyedSet(e, watchedAddr)
	blk, err := e.Scan(ctx, 3, set)
	if err != nil || len(blk.Transfers) != 1 {
		t.Fatalf("scan: %+v, %v", blk, err)
	}
	tr := blk.Transfers[0]
	if tr.To != watchedAddr || tr.Amount.Int64() != 1_500_000 || tr.Index != 0 || tr.Asset != "BTC" {
		t.Fatalf("transfer %+v", tr)
	}
	if _, err := e.Scan(ctx, 4, set); !errors.Is(err, chains.ErrNoBlock) {
		t.Fatalf("scan past the tip: %v", err)
	}
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	if _, err := e.Tip(ctx); !errors.Is(err, chains.ErrUnavailable) {
		t.Fatalf("429: %v, want ErrUnavailable", err)
	}
}

func TestEsplora_FeesBroadcastAndAddressLookup(t *testing.T) {
	f, e := newEsplora(t)
	ctx := context.Background()
	rate, err := e.FeeRate(ctx)
	if err != nil || rate != 88 { // target 3: 87.882, rounded up
		t.Fatalf("fee rate %d, %v", rate, err)
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	var raw bytes.Buffer
	tx.Serialize(&raw)
	id, err := e.Broadcast(ctx, raw.Bytes())
	if err != nil || id != tx.TxHash().String() || len(f.broadcast) != 1 {
		t.Fatalf("broadcast %s, %v", id, err)
	}
	if _, err := e.Broadcast(ctx, []byte{1, 2, 3}); err == nil {
		t.Fatal("a malformed transaction was accepted")
	}
	ts, err := e.AddressTransfers(ctx, watchedAddr)
	if err != nil || len(ts) != 2 {
		t.Fatalf("address transfers %+v, %v", ts, err)
	}
	if ts[0].Amount.Int64() != 1_500_000 || ts[0].Index != 1 || ts[0].Block.Height != 812345 || ts[1].Block.Hash != "" {
		t.Fatalf("transfers %+v", ts)
	}
	if _, err := e.AddressTransfers(ctx, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"); !errors.Is(err, bitcoin.ErrWrongNetwork) {
		t.Fatalf("mainnet address on regtest: %v", err)
	}
}

// The watcher engine runs on Esplora like on a node: it finds the payment and follows
// a reorg that removes it.
func TestEsplora_WatcherFollowsReorg(t *testing.T) {
	f, e := newEsplora(t)
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := &recorder{}
	w, err := chains.NewWatcher(chains.WatcherConfig{Backend: e, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update), View: storage.Runner[chains.Tx](s.View), Sink: rec, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.Watch(watchedAddr)
	ctx := context.Background()
	if err := w.Step(ctx); err != nil {
		t.Fatal(err)
	}
	script, _ := bitcoin.AddressScript(watchedAddr, regtest)
	f.extend(1, wire.NewTxOut(42_000, script))
	f.extend(1)
	if err := w.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || rec.got[0].Status != chains.StatusConfirmed || rec.got[0].Confirmations != 2 {
		t.Fatalf("after the payment: %+v", rec.got)
	}
	// Replace the last two blocks with three empty ones.
	f.mu.Lock()
	f.blocks = f.blocks[:3]
	f.mu.Unlock()
	f.extend(3)
	if err := w.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if last := rec.got[len(rec.got)-1]; last.Status != chains.StatusOrphaned {
		t.Fatalf("after the reorg: %+v", last)
	}
}

type recorder struct{ got []chains.Record }

func (r *recorder) Changed(_ context.Context, _ chains.Tx, _ chains.NetworkRef, c []chains.Record) error {
	r.got = append(r.got, c...)
	return nil
}
