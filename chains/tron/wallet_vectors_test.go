package tron_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/keys"
)

// TestWalletVectors_AreCurrent: the transactions the wallet signs for a TRX and a
// USDT-TRC20 payout, a TRX sweep, and a USDT sweep's top-up and transfer, as the node
// took them, are in testdata/wallet_vectors.json
// (KASSA_UPDATE_TRON_VECTORS=1 rewrites it), which tronweb checks byte for byte in
// .ci/run (testdata/tronweb/check.js). The devnet takes them all (their ids,
// signatures and reference blocks checked) and mines them; the recipient and the hot
// wallet get exactly the amounts.
// The devnet's chain and the test keys are fixed, so the bytes are too.
func TestWalletVectors_AreCurrent(t *testing.T) {
	node, b, _ := devnetBackend(t)
	w, k := walletOn(t, b, func(c *tron.WalletConfig) {
		c.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC) } // fixed: the bytes are too
	})
	node.SetSolidDepth(1)
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.PayToken(w.HotAddress(), big.NewInt(1_000*trondevnet.Sun))
	trxDep, _ := k.Address(asset.FamilyTron, asset.Test, keys.Receive, 3)
	tokenDep, _ := k.Address(asset.FamilyTron, asset.Test, keys.Receive, 4)
	node.PayTRX(trxDep.Encoded, 20*trondevnet.Sun)
	node.PayToken(tokenDep.Encoded, big.NewInt(75_000_000))
	node.Mine(2)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	var vs []any
	add := func(name, txid string) {
		t.Helper()
		signed, ok := node.Transaction(txid)
		if !ok {
			t.Fatalf("%s: the devnet never took %s", name, txid)
		}
		v, err := tron.VectorOf("wallet: "+name, signed)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	for _, spec := range []chains.PayoutSpec{
		{ID: "po_trx", Asset: "TRX", To: to, Amount: big.NewInt(12_345_678)},
		{ID: "po_usdt", Asset: "USDT_TRON", To: to, Amount: big.NewInt(250_500_000)},
	} {
		s, err := w.Send(t.Context(), spec)
		if err != nil {
			t.Fatalf("%s: %v", spec.ID, err)
		}
		add(spec.Asset+" payout", s.TxID)
	}
	st, err := w.SweepStep(t.Context(), "trx", trxDep, "TRX", big.NewInt(20*trondevnet.Sun), 5)
	if err != nil || st.TxID == "" {
		t.Fatalf("TRX sweep: %+v, %v", st, err)
	}
	add("TRX sweep of a deposit address", st.TxID)
	st, err = w.SweepStep(t.Context(), "usdt", tokenDep, "USDT_TRON", big.NewInt(75_000_000), 5)
	if err != nil || st.GasTx == "" {
		t.Fatalf("USDT sweep's top-up: %+v, %v", st, err)
	}
	add("TRX top-up of a token deposit address (activating it)", st.GasTx)
	node.Mine(2)
	st, err = w.SweepStep(t.Context(), "usdt", tokenDep, "USDT_TRON", big.NewInt(75_000_000), 5)
	if err != nil || st.TxID == "" {
		t.Fatalf("USDT sweep: %+v, %v", st, err)
	}
	add("USDT-TRC20 sweep to the hot wallet", st.TxID)
	node.Mine(2)
	recipient, _ := tron.ParseAddress(to)
	hot, _ := tron.ParseAddress(w.HotAddress())
	if node.TRX(recipient) != 12_345_678 || node.Tokens(recipient).Cmp(big.NewInt(250_500_000)) != 0 ||
		node.Tokens(hot).Cmp(big.NewInt(1_000*trondevnet.Sun-250_500_000+75_000_000)) != 0 {
		t.Fatalf("the recipient holds %d sun and %s token units; the hot wallet %s token units", node.TRX(recipient), node.Tokens(recipient), node.Tokens(hot))
	}
	tron.SameVectors(t, "testdata/wallet_vectors.json", vs)
}
