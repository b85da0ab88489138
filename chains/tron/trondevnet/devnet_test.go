package trondevnet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kassapay/kassa/chains/tron/trondevnet"
)

// paths adds to out every key path of v ("transactions[].raw_data.contract[].type")
// with its JSON type.
func paths(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			paths(prefix+"."+k, e, out)
		}
	case []any:
		for _, e := range x {
			paths(prefix+"[]", e, out)
		}
	case string:
		out[prefix] = "string"
	case json.Number:
		out[prefix] = "number"
	case bool:
		out[prefix] = "bool"
	}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func post(t *testing.T, url, path, body string) []byte {
	t.Helper()
	resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAnswers_ShapedLikeRecordedNodes holds the devnet to the recordings of real
// nodes: every field of its blocks (with a TRX and a token transfer) and of its
// transaction infos (a TRX transfer activating an account, a token transfer, one
// that reverts and one out of energy) exists in a recorded answer of the same kind,
// with the same JSON type. So what Kassa reads from the devnet, it reads from a real
// node in the same place.
func TestAnswers_ShapedLikeRecordedNodes(t *testing.T) {
	node := trondevnet.Start(t)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	node.PayTRX(to, 5*trondevnet.Sun)
	node.PayToken(to, big.NewInt(1_000_000))
	node.PayTokenReverting(to, big.NewInt(1))
	node.PayTokenOutOfEnergy(to, big.NewInt(1))
	node.Mine(1)
	num := node.Height()

	dir := filepath.Join("..", "testdata", "node")
	recordedBlocks, recordedInfos := map[string]string{}, map[string]string{}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(name, "getblockbylatestnum"):
			for _, blk := range decode(t, b).(map[string]any)["block"].([]any) {
				paths("", blk, recordedBlocks)
			}
		case strings.Contains(name, "getblock"):
			paths("", decode(t, b), recordedBlocks)
		case strings.Contains(name, "txinfo"):
			paths("", decode(t, b), recordedInfos)
		}
	}
	if len(recordedBlocks) < 20 || len(recordedInfos) < 15 {
		t.Fatalf("recordings too thin: %d block paths, %d info paths", len(recordedBlocks), len(recordedInfos))
	}
	check := func(what string, got, recorded map[string]string) {
		t.Helper()
		var bad []string
		for p, typ := range got {
			if recorded[p] != typ {
				bad = append(bad, fmt.Sprintf("%s (%s; recorded: %q)", p, typ, recorded[p]))
			}
		}
		slices.Sort(bad)
		if len(bad) > 0 {
			t.Errorf("the devnet's %s have fields no recorded answer has:\n%s", what, strings.Join(bad, "\n"))
		}
	}
	blockPaths := map[string]string{}
	paths("", decode(t, post(t, node.URL, "/wallet/getblockbynum", fmt.Sprintf(`{"num":%d}`, num))), blockPaths)
	if blockPaths[".transactions[].raw_data.contract[].parameter.value.data"] == "" || blockPaths[".transactions[].raw_data.contract[].parameter.value.to_address"] == "" {
		t.Fatalf("the devnet's block lacks a transfer of either kind: %v", blockPaths)
	}
	check("blocks", blockPaths, recordedBlocks)
	infoPaths := map[string]string{}
	infos := decode(t, post(t, node.URL, "/wallet/gettransactioninfobyblocknum", fmt.Sprintf(`{"num":%d}`, num))).([]any)
	if len(infos) != 4 {
		t.Fatalf("%d infos, want 4", len(infos))
	}
	for _, info := range infos {
		paths("", info, infoPaths)
	}
	check("transaction infos", infoPaths, recordedInfos)
}
