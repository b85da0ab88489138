package tron_test

import (
	"errors"
	"math/big"
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

// walletOn is a wallet on node over a SQLite database of its own, with the test keys.
func walletOn(t *testing.T, b *tron.Backend) (*tron.Wallet, *keys.Keyring) {
	t.Helper()
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
	return w, k
}

// TestSweepStep_DelegatedEnergyNeedsNoTopUp: a token deposit address that has energy
// delegated to it (and free bandwidth) sends its tokens at once, with no TRX top-up
// from the hot wallet and nothing burnt; the sweep is done once solidified.
func TestSweepStep_DelegatedEnergyNeedsNoTopUp(t *testing.T) {
	node, b, _ := devnetBackend(t)
	node.SetSolidDepth(2)
	w, k := walletOn(t, b)
	dep, err := k.Address(asset.FamilyTron, asset.Test, keys.Receive, 5)
	if err != nil {
		t.Fatal(err)
	}
	addr := must(tron.ParseAddress(dep.Encoded))
	node.PayTRX(dep.Encoded, trondevnet.Sun) // an account now
	node.PayToken(dep.Encoded, big.NewInt(40_000_000))
	node.Mine(1)
	node.SetEnergy(addr, 200_000)
	st, err := w.SweepStep(t.Context(), "sw_delegated", dep, "USDT_TRON", big.NewInt(40_000_000), 5)
	if err != nil || st.GasTx != "" || st.TxID == "" || st.Done {
		t.Fatalf("first step: %+v, %v; want the tokens sent, no top-up", st, err)
	}
	node.Mine(3)
	st, err = w.SweepStep(t.Context(), "sw_delegated", dep, "USDT_TRON", big.NewInt(40_000_000), 5)
	if err != nil || !st.Done || st.Failed || st.Fee == nil || st.Fee.Sign() != 0 {
		t.Fatalf("after solidity: %+v, %v; want done, nothing burnt", st, err)
	}
	if got := node.Tokens(must(tron.ParseAddress(w.HotAddress()))); got.Cmp(big.NewInt(40_000_000)) != 0 {
		t.Fatalf("the hot wallet holds %s token units", got)
	}
	if got := node.TRX(addr); got != trondevnet.Sun {
		t.Fatalf("the deposit address holds %d sun, want its 1 TRX untouched", got)
	}
}

// TestSweepStep_HotWalletShortWaitsWithNothingSigned: a token sweep whose top-up the
// hot wallet cannot pay waits (ErrHotWalletShort) with nothing signed; funded, the
// same sweep goes on.
func TestSweepStep_HotWalletShortWaitsWithNothingSigned(t *testing.T) {
	node, b, _ := devnetBackend(t)
	node.SetSolidDepth(2)
	w, k := walletOn(t, b)
	dep, err := k.Address(asset.FamilyTron, asset.Test, keys.Receive, 6)
	if err != nil {
		t.Fatal(err)
	}
	node.PayToken(dep.Encoded, big.NewInt(10_000_000))
	node.Mine(1)
	if st, err := w.SweepStep(t.Context(), "sw_short", dep, "USDT_TRON", big.NewInt(10_000_000), 5); !errors.Is(err, tron.ErrHotWalletShort) || st.GasTx != "" {
		t.Fatalf("with an empty hot wallet: %+v, %v", st, err)
	}
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.Mine(1)
	st, err := w.SweepStep(t.Context(), "sw_short", dep, "USDT_TRON", big.NewInt(10_000_000), 5)
	if err != nil || st.GasTx == "" || st.Gas.Sign() <= 0 {
		t.Fatalf("funded: %+v, %v; want a top-up", st, err)
	}
	for range 3 {
		node.Mine(1)
		if st, err = w.SweepStep(t.Context(), "sw_short", dep, "USDT_TRON", big.NewInt(10_000_000), 5); err != nil {
			t.Fatal(err)
		}
	}
	node.Mine(3)
	if st, err = w.SweepStep(t.Context(), "sw_short", dep, "USDT_TRON", big.NewInt(10_000_000), 5); err != nil || !st.Done || st.Failed {
		t.Fatalf("%+v, %v", st, err)
	}
	burnt, _ := node.Fee(st.GasTx)
	sweep, _ := node.Fee(st.TxID)
	if st.Fee.Cmp(big.NewInt(burnt+sweep)) != 0 || burnt < trondevnet.ActivationFee {
		t.Fatalf("fee %s; the top-up burnt %d (activating the address), the sweep %d", st.Fee, burnt, sweep)
	}
}
