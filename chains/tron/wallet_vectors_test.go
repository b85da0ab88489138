package tron_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

// TestWalletVectors_AreCurrent: the transactions the wallet signs for a TRX and a
// USDT-TRC20 payout, as stored and broadcast, are in testdata/wallet_vectors.json
// (KASSA_UPDATE_TRON_VECTORS=1 rewrites it), which tronweb checks byte for byte in
// .ci/run (testdata/tronweb/check.js). The devnet takes both (their ids, signatures
// and reference block checked) and mines them; the recipient gets exactly the amounts.
// The devnet's chain and the test keys are fixed, so the bytes are too.
func TestWalletVectors_AreCurrent(t *testing.T) {
	node, b, _ := devnetBackend(t)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	k, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	w, err := tron.NewWallet(tron.WalletConfig{Backend: b, Keyring: k, Update: storage.Runner[chains.WalletTx](store.Update),
		View: storage.Runner[chains.WalletTx](store.View), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.PayToken(w.HotAddress(), big.NewInt(1_000*trondevnet.Sun))
	node.Mine(1)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	var vs []any
	for _, spec := range []chains.PayoutSpec{
		{ID: "po_trx", Asset: "TRX", To: to, Amount: big.NewInt(12_345_678)},
		{ID: "po_usdt", Asset: "USDT_TRON", To: to, Amount: big.NewInt(250_500_000)},
	} {
		s, err := w.Send(t.Context(), spec)
		if err != nil {
			t.Fatalf("%s: %v", spec.ID, err)
		}
		v, err := tron.VectorOf("wallet: "+spec.Asset+" payout", s.Raw)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	node.Mine(1)
	recipient, _ := tron.ParseAddress(to)
	if node.TRX(recipient) != 12_345_678 || node.Tokens(recipient).Cmp(big.NewInt(250_500_000)) != 0 {
		t.Fatalf("the recipient holds %d sun and %s token units", node.TRX(recipient), node.Tokens(recipient))
	}
	got, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/wallet_vectors.json"
	if os.Getenv("KASSA_UPDATE_TRON_VECTORS") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, got) {
		t.Fatalf("%s is not what the wallet signs now: run KASSA_UPDATE_TRON_VECTORS=1 go test ./chains/tron/ and commit it", path)
	}
	_ = asset.Test
}
