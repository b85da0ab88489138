package tron

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// Tests on answers of real nodes, recorded in testdata/node (PROVENANCE.md says where
// each comes from), served by httptest to the real code path.

func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "node", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordedNode serves blocks by number (getblockbynum; getnowblock is the highest)
// and infos by block number, as a node would, answering {} and [] for what it lacks.
func recordedNode(t *testing.T, blocks map[int64]json.RawMessage, infos map[int64]json.RawMessage) string {
	t.Helper()
	var top int64
	for n := range blocks {
		top = max(top, n)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Num int64 `json:"num"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch r.URL.Path {
		case "/wallet/getnowblock":
			w.Write(blocks[top])
		case "/wallet/getblockbynum":
			if b, ok := blocks[req.Num]; ok {
				w.Write(b)
				return
			}
			w.Write([]byte("{}"))
		case "/wallet/gettransactioninfobyblocknum":
			if b, ok := infos[req.Num]; ok {
				w.Write(b)
				return
			}
			w.Write([]byte("[]"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// genesisAnswer is what getblockbynum 0 answers, reduced to the block id New checks
// (the ids are the networks' real ones; the rest of the answer is left out).
func genesisAnswer(id string) json.RawMessage {
	return json.RawMessage(`{"blockID":"` + id + `","block_header":{"raw_data":{"timestamp":1529891469000}}}`)
}

// nileBlocks are the five consecutive Nile blocks of the recording, by number, and
// Nile's block 0.
func nileBlocks(t *testing.T) map[int64]json.RawMessage {
	var rec struct {
		Block []json.RawMessage `json:"block"`
	}
	if err := json.Unmarshal(recorded(t, "nile_getblockbylatestnum_33801077.json"), &rec); err != nil {
		t.Fatal(err)
	}
	out := map[int64]json.RawMessage{}
	for _, b := range rec.Block {
		var blk nodeBlock
		if err := json.Unmarshal(b, &blk); err != nil {
			t.Fatal(err)
		}
		out[blk.Header.Raw.Number] = b
	}
	if len(out) != 5 {
		t.Fatalf("the recording has %d blocks", len(out))
	}
	out[0] = genesisAnswer(NileGenesis)
	return out
}

func recordedBackend(t *testing.T, mode asset.Mode, reg *asset.Registry, url string) *Backend {
	t.Helper()
	b, err := New(t.Context(), Config{Mode: mode, URL: url, Assets: reg})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScan_RecordedNileBlocks: five consecutive Nile blocks as a node served them
// scan into a chain (each block's parent is the one before, heights and times as
// recorded). The first holds a contract call that is no token transfer: with no token
// watched it is skipped without asking for infos; with a token watched, a node that
// has no infos for it makes the scan fail (the watcher asks again) rather than report
// the block empty.
func TestScan_RecordedNileBlocks(t *testing.T) {
	blocks := nileBlocks(t)
	b := recordedBackend(t, asset.Test, asset.Default(), recordedNode(t, blocks, nil))
	tip, err := b.Tip(t.Context())
	if err != nil || tip.Height != 33801081 {
		t.Fatalf("Tip = %+v, %v", tip, err)
	}
	caller, err := ParseAddress("41fcf7ab2a2fb29362babd41647a22b223f7fbedec") // the contract call's owner
	if err != nil {
		t.Fatal(err)
	}
	watch := chains.NewKeyedSet(b, caller.String())
	var prev chains.BlockRef
	for h := uint64(33801077); h <= 33801081; h++ {
		blk, err := b.Scan(t.Context(), h, watch)
		if err != nil {
			t.Fatalf("Scan(%d): %v", h, err)
		}
		if blk.Ref.Height != h || len(blk.Ref.Hash) != 64 || len(blk.Transfers) != 0 {
			t.Fatalf("Scan(%d) = %+v", h, blk)
		}
		if prev.Hash != "" && (blk.Ref.Parent != prev.Hash || !blk.Ref.Time.After(prev.Time)) {
			t.Fatalf("block %d does not follow %d: parent %s, want %s", h, h-1, blk.Ref.Parent, prev.Hash)
		}
		prev = blk.Ref
	}
	if got := prev.Time; !got.Equal(time.UnixMilli(1684509321000).UTC()) {
		t.Fatalf("the last block's time %s", got)
	}
	if _, err := b.Scan(t.Context(), 33801082, watch); !errors.Is(err, chains.ErrNoBlock) {
		t.Fatalf("Scan above the tip: %v, want ErrNoBlock", err)
	}

	reg := asset.Default()
	if err := reg.SetContract("USDT_TRON", asset.Test, "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"); err != nil {
		t.Fatal(err)
	}
	withToken := recordedBackend(t, asset.Test, reg, recordedNode(t, blocks, nil))
	if _, err := withToken.Scan(t.Context(), 33801077, watch); !errors.Is(err, chains.ErrUnavailable) {
		t.Fatalf("Scan of a block with a contract call and no infos: %v, want ErrUnavailable", err)
	}
	if _, err := withToken.Scan(t.Context(), 33801078, watch); err != nil {
		t.Fatalf("Scan of an empty block: %v", err)
	}
}

// TestScan_RecordedMainnetTRXTransfer: the TRX transfer of a mainnet block is
// credited to its watched recipient with the recorded amount and sender.
func TestScan_RecordedMainnetTRXTransfer(t *testing.T) {
	blk := recorded(t, "mainnet_getblock_30864544_truncated.json")
	b := recordedBackend(t, asset.Live, asset.Default(), recordedNode(t, map[int64]json.RawMessage{0: genesisAnswer(MainnetGenesis), 30864544: blk}, nil))
	to, from := "41"+"58c85b7b6a5118beb3b23c14fcb2f3551a81d79a", "41c33eeefda1059afba41d86759e281bcb851edfc8"
	toAddr, _ := ParseAddress(to)
	fromAddr, _ := ParseAddress(from)
	got, err := b.Scan(t.Context(), 30864544, chains.NewKeyedSet(b, toAddr.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Transfers) != 1 {
		t.Fatalf("transfers %+v", got.Transfers)
	}
	tr := got.Transfers[0]
	if tr.Asset != "TRX" || tr.To != toAddr.String() || tr.Amount.Cmp(big.NewInt(50_000_000)) != 0 || tr.From != fromAddr.String() ||
		tr.Index != NativeIndex || tr.Block.Hash != "0000000001d6f4a09f60c27befccff6fe3cc593b2d6c46cdc79d3fd4f55db859" || len(tr.TxID) != 64 {
		t.Fatalf("transfer %+v", tr)
	}
	// Nothing for an address the block does not pay.
	if got, err := b.Scan(t.Context(), 30864544, chains.NewKeyedSet(b, fromAddr.String())); err != nil || len(got.Transfers) != 0 {
		t.Fatalf("the sender got %+v, %v", got.Transfers, err)
	}
}

// TestMatchLogs_RecordedInfos: mainnet USDT transfers' infos credit their recipient
// with the logged amount, in all three recorded shapes; an out-of-energy transfer
// credits nothing, and neither does a successful one's log once its receipt says it
// failed. Fees are read as recorded (an activating TRX transfer's 1.1 TRX).
func TestMatchLogs_RecordedInfos(t *testing.T) {
	b := &Backend{native: "TRX", tokens: map[[20]byte]token{}}
	usdt, _ := ParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	b.tokens[usdt.EVM()] = token{code: "USDT_TRON", contract: usdt}
	load := func(name string) txInfo {
		var info txInfo
		if err := json.Unmarshal(recorded(t, name), &info); err != nil {
			t.Fatal(err)
		}
		return info
	}
	for _, name := range []string{"mainnet_txinfo_trc20_usdt_success.json", "mainnet_txinfo_trc20_usdt_success_energy_fee.json", "mainnet_txinfo_trc20_usdt_success_2021.json"} {
		info := load(name)
		if len(info.Log) != 1 || len(info.Log[0].Topics) != 3 {
			t.Fatalf("%s: logs %+v", name, info.Log)
		}
		to, _ := hex20(info.Log[0].Topics[2])
		want, _ := new(big.Int).SetString(info.Log[0].Data, 16)
		recipient := AddressFromEVM(to).String()
		got := b.matchLogs([]txInfo{info}, chains.BlockRef{Height: uint64(info.BlockNumber)}, lookupIn(chains.NewKeyedSet(b, recipient)))
		if len(got) != 1 || got[0].Amount.Cmp(want) != 0 || got[0].To != recipient || got[0].Asset != "USDT_TRON" || got[0].TxID != info.ID || got[0].Index != 0 || !strings.HasPrefix(got[0].From, "T") {
			t.Fatalf("%s: matched %+v, want %s to %s", name, got, want, recipient)
		}
		if other := b.matchLogs([]txInfo{info}, chains.BlockRef{}, lookupIn(chains.NewKeyedSet(b, usdt.String()))); len(other) != 0 {
			t.Fatalf("%s: an unwatched recipient matched %+v", name, other)
		}
		info.Receipt.Result = "OUT_OF_ENERGY"
		if got := b.matchLogs([]txInfo{info}, chains.BlockRef{}, lookupIn(chains.NewKeyedSet(b, recipient))); len(got) != 0 {
			t.Fatalf("%s: a failed receipt's log credited %+v", name, got)
		}
	}
	ooe := load("mainnet_txinfo_trc20_usdt_out_of_energy.json")
	if ooe.Result != "FAILED" || ooe.Receipt.Result != "OUT_OF_ENERGY" || ooe.Fee != 16500120 {
		t.Fatalf("out of energy info read as %+v", ooe)
	}
	if got := b.matchLogs([]txInfo{ooe}, chains.BlockRef{}, func([20]byte) (string, bool) { return "T", true }); len(got) != 0 {
		t.Fatalf("an out-of-energy transfer credited %+v", got)
	}
	if fee := load("mainnet_txinfo_trx_transfer_new_account.json").Fee; fee != 1_100_000 {
		t.Fatalf("activation fee read as %d", fee)
	}
	if fee := load("mainnet_txinfo_trx_transfer.json").Fee; fee != 0 {
		t.Fatalf("a free transfer's fee read as %d", fee)
	}
}

// FuzzScanAnswers: whatever a node answers for a block and its infos (seeded with the
// recorded ones), decoding and matching never panic, and whatever is matched is a
// positive amount of TRX (at NativeIndex) or of the watched token.
func FuzzScanAnswers(f *testing.F) {
	var rec struct {
		Block []json.RawMessage `json:"block"`
	}
	nile, _ := os.ReadFile(filepath.Join("testdata", "node", "nile_getblockbylatestnum_33801077.json"))
	_ = json.Unmarshal(nile, &rec)
	info, _ := os.ReadFile(filepath.Join("testdata", "node", "mainnet_txinfo_trc20_usdt_success.json"))
	mainnet, _ := os.ReadFile(filepath.Join("testdata", "node", "mainnet_getblock_30864544_truncated.json"))
	for _, b := range rec.Block {
		f.Add([]byte(b), append(append([]byte("["), info...), ']'))
	}
	f.Add(mainnet, []byte(`[{"id":"x","blockNumber":30864544,"receipt":{"result":"SUCCESS"},"log":[{"address":"a614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":["ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","","0000000000000000000000004158c85b7b6a5118beb3b23c14fcb2f3551a81d7"],"data":"zz"}]}]`))
	usdt, _ := ParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	b := &Backend{native: "TRX", tokens: map[[20]byte]token{usdt.EVM(): {code: "USDT_TRON", contract: usdt}}}
	everyone := func(a [20]byte) (string, bool) { return AddressFromEVM(a).String(), true }
	f.Fuzz(func(t *testing.T, blockJSON, infosJSON []byte) {
		var blk nodeBlock
		var infos []txInfo
		if json.Unmarshal(blockJSON, &blk) != nil || json.Unmarshal(infosJSON, &infos) != nil {
			return
		}
		ref, err := blk.ref()
		if err != nil {
			return
		}
		got, err := b.matchNative(&blk, ref, everyone)
		if err != nil {
			return
		}
		for _, tr := range got {
			if tr.Asset != "TRX" || tr.Index != NativeIndex {
				t.Fatalf("a TRX transfer matched as %+v", tr)
			}
		}
		if _, err := infosOf(&blk, infos); err == nil {
			got = append(got, b.matchLogs(infos, ref, everyone)...)
		}
		for _, tr := range got {
			if tr.Amount == nil || tr.Amount.Sign() <= 0 || (tr.Asset != "TRX" && tr.Asset != "USDT_TRON") {
				t.Fatalf("matched %+v", tr)
			}
		}
	})
}

// TestNew_RefusesANodeOfTheWrongNetwork: addresses look alike on every Tron network,
// so New tells them by block 0: live mode wants mainnet's, test mode refuses it (its
// TRX would be credited as test money), and a node with no block 0 is refused.
func TestNew_RefusesANodeOfTheWrongNetwork(t *testing.T) {
	for _, c := range []struct {
		mode    asset.Mode
		genesis json.RawMessage
		ok      bool
	}{
		{asset.Live, genesisAnswer(MainnetGenesis), true},
		{asset.Live, genesisAnswer(NileGenesis), false},
		{asset.Test, genesisAnswer(NileGenesis), true},
		{asset.Test, genesisAnswer(MainnetGenesis), false},
		{asset.Test, json.RawMessage(`{}`), false},
	} {
		url := recordedNode(t, map[int64]json.RawMessage{0: c.genesis, 1: recorded(t, "mainnet_getblock_30864544_truncated.json")}, nil)
		_, err := New(t.Context(), Config{Mode: c.mode, URL: url, Assets: asset.Default()})
		if (err == nil) != c.ok {
			t.Errorf("%s mode, block 0 %s: %v", c.mode, c.genesis, err)
		}
	}
}

// TestMatchLogs_IndexIsTheLogsPlaceInItsTransaction: a transaction whose USDT
// Transfer comes after another token's (a swap) gives it index 1 whether or not that
// other token is configured, so adding a token never renames a credited transfer.
func TestMatchLogs_IndexIsTheLogsPlaceInItsTransaction(t *testing.T) {
	var info txInfo
	if err := json.Unmarshal(recorded(t, "mainnet_txinfo_trc20_usdt_success.json"), &info); err != nil {
		t.Fatal(err)
	}
	usdc, _ := ParseAddress("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8")
	usdt, _ := ParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	other := info.Log[0]
	ev := usdc.EVM()
	other.Address = hex.EncodeToString(ev[:])
	info.Log = append([]struct {
		Address string   `json:"address"`
		Topics  []string `json:"topics"`
		Data    string   `json:"data"`
	}{other}, info.Log...)
	to, _ := hex20(info.Log[1].Topics[2])
	watch := lookupIn(chains.NewKeyedSet(&Backend{}, AddressFromEVM(to).String()))
	for _, tokens := range []map[[20]byte]token{
		{usdt.EVM(): {code: "USDT_TRON", contract: usdt}},
		{usdt.EVM(): {code: "USDT_TRON", contract: usdt}, usdc.EVM(): {code: "USDC_TRON", contract: usdc}},
	} {
		b := &Backend{native: "TRX", tokens: tokens}
		var usdtIndex []uint32
		for _, tr := range b.matchLogs([]txInfo{info}, chains.BlockRef{}, watch) {
			if tr.Asset == "USDT_TRON" {
				usdtIndex = append(usdtIndex, tr.Index)
			}
		}
		if len(usdtIndex) != 1 || usdtIndex[0] != 1 {
			t.Fatalf("with %d tokens the USDT transfer has index %v, want [1]", len(tokens), usdtIndex)
		}
	}
}
