package tron_test

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

// walletOn is a wallet on b over a SQLite database of its own, with the test keys,
// its config changed by opts.
func walletOn(t *testing.T, b *tron.Backend, opts ...func(*tron.WalletConfig)) (*tron.Wallet, *keys.Keyring) {
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
	cfg := tron.WalletConfig{Backend: b, Keyring: k, Update: storage.Runner[chains.WalletTx](store.Update),
		View: storage.Runner[chains.WalletTx](store.View), Logger: quiet}
	for _, o := range opts {
		o(&cfg)
	}
	w, err := tron.NewWallet(cfg)
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

// TestSend_TwoLikePayoutsAreTwoTransactions: Tron has no nonce, so two payouts of the
// same amount to the same address, signed on the same blocks, differ only by their
// timestamps: two transactions, both mined, the recipient paid twice.
func TestSend_TwoLikePayoutsAreTwoTransactions(t *testing.T) {
	node, b, _ := devnetBackend(t)
	w, _ := walletOn(t, b)
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.PayToken(w.HotAddress(), big.NewInt(100_000_000))
	node.Mine(1)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	var ids []string
	for _, id := range []string{"po_a", "po_b"} {
		s, err := w.Send(t.Context(), chains.PayoutSpec{ID: id, Asset: "USDT_TRON", To: to, Amount: big.NewInt(10_000_000)})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		ids = append(ids, s.TxID)
	}
	if ids[0] == ids[1] {
		t.Fatalf("both payouts are transaction %s", ids[0])
	}
	node.Mine(1)
	for _, id := range ids {
		if _, mined := node.Fee(id); !mined {
			t.Fatalf("%s not mined", id)
		}
	}
	if got := node.Tokens(must(tron.ParseAddress(to))); got.Cmp(big.NewInt(20_000_000)) != 0 {
		t.Fatalf("the recipient holds %s, want both payouts", got)
	}
}

// TestSend_ShortHotWalletSignsNothing: a payout the hot wallet cannot pay now (no
// tokens, so the node's estimate reverts; or too little TRX for the amount or the
// fees) is ErrInsufficientFunds, a chains.ErrWalletShort (a Gateway that sweeps waits
// for the sweeps), with nothing signed: once funded, the same id signs and pays.
func TestSend_ShortHotWalletSignsNothing(t *testing.T) {
	node, b, _ := devnetBackend(t)
	w, _ := walletOn(t, b)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	token := chains.PayoutSpec{ID: "po_usdt", Asset: "USDT_TRON", To: to, Amount: big.NewInt(5_000_000)}
	trx := chains.PayoutSpec{ID: "po_trx", Asset: "TRX", To: to, Amount: big.NewInt(50 * trondevnet.Sun)}
	node.PayTRX(w.HotAddress(), 10*trondevnet.Sun) // TRX for fees, not for 50 TRX
	node.Mine(1)
	for _, spec := range []chains.PayoutSpec{token, trx} {
		s, err := w.Send(t.Context(), spec)
		if !errors.Is(err, tron.ErrInsufficientFunds) || !errors.Is(err, chains.ErrWalletShort) || s.TxID != "" {
			t.Fatalf("%s: %+v, %v", spec.ID, s, err)
		}
	}
	if fee, err := w.EstimateFee(t.Context(), "USDT_TRON", to, token.Amount); err != nil || fee.Sign() <= 0 {
		t.Fatalf("estimate without the tokens: %v, %v", fee, err)
	}
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.PayToken(w.HotAddress(), big.NewInt(5_000_000))
	node.Mine(1)
	for _, spec := range []chains.PayoutSpec{token, trx} {
		if s, err := w.Send(t.Context(), spec); err != nil || s.TxID == "" {
			t.Fatalf("%s funded: %+v, %v", spec.ID, s, err)
		}
	}
	node.Mine(1)
	if node.TRX(must(tron.ParseAddress(to))) != 50*trondevnet.Sun || node.Tokens(must(tron.ParseAddress(to))).Cmp(token.Amount) != 0 {
		t.Fatal("the recipient was not paid")
	}
}

// TestSend_RefusalOfASendAgainIsNotFinal: the node's refusal of a transaction's first
// broadcast is final (ErrRejected, nothing on chain); of one sent before it is not
// (the first may be mined: java-tron checks the expiration before duplicates), and
// the stored bytes are sent again and mined.
func TestSend_RefusalOfASendAgainIsNotFinal(t *testing.T) {
	node, b, _ := devnetBackend(t)
	w, _ := walletOn(t, b)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.Mine(1)
	node.RefuseBroadcasts("SIGERROR")
	if s, err := w.Send(t.Context(), chains.PayoutSpec{ID: "po_refused", Asset: "TRX", To: to, Amount: big.NewInt(trondevnet.Sun)}); !errors.Is(err, tron.ErrRejected) || s.TxID == "" {
		t.Fatalf("a refused first broadcast: %+v, %v", s, err)
	}
	node.RefuseBroadcasts("")
	spec := chains.PayoutSpec{ID: "po_again", Asset: "TRX", To: to, Amount: big.NewInt(2 * trondevnet.Sun)}
	first, err := w.Send(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	node.Drop(first.TxID) // the node lost it
	node.RefuseBroadcasts("TRANSACTION_EXPIRATION_ERROR")
	if _, err := w.Send(t.Context(), spec); err == nil || errors.Is(err, tron.ErrRejected) || !errors.Is(err, chains.ErrUnavailable) {
		t.Fatalf("a refusal of a send again: %v, want it not final", err)
	}
	node.RefuseBroadcasts("")
	again, err := w.Send(t.Context(), spec)
	if err != nil || again.TxID != first.TxID {
		t.Fatalf("sent again: %s, %v; want %s", again.TxID, err, first.TxID)
	}
	node.Mine(1)
	if _, mined := node.Fee(first.TxID); !mined || node.TRX(must(tron.ParseAddress(to))) != 2*trondevnet.Sun {
		t.Fatal("the payout sent again was not mined once")
	}
}

// TestSend_BadPayoutsAreRefusedWithNothingSigned: a payout to a malformed, a
// wrong-checksum or another network's address, of zero, a negative or an impossible
// TRX amount, of an asset the backend does not serve, to the hot wallet itself, or
// with no id, is refused before anything is signed or stored: the same id then pays
// a good payout. A wallet or backend with a bad config (an expiration Tron would
// refuse, a URL that is no http(s) node, no registry, an unknown mode) is not made.
func TestSend_BadPayoutsAreRefusedWithNothingSigned(t *testing.T) {
	node, b, _ := devnetBackend(t)
	w, _ := walletOn(t, b)
	node.PayTRX(w.HotAddress(), 100*trondevnet.Sun)
	node.Mine(1)
	to := "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
	huge, _ := new(big.Int).SetString("100000000000000000000", 10)
	for name, spec := range map[string]chains.PayoutSpec{
		"bad checksum":  {ID: "po", Asset: "TRX", To: "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdh", Amount: big.NewInt(1)},
		"hex as text":   {ID: "po", Asset: "TRX", To: "41zz", Amount: big.NewInt(1)},
		"an EVM one":    {ID: "po", Asset: "TRX", To: "0x9858EfFD232B4033E47d90003D41EC34EcaEdA94", Amount: big.NewInt(1)},
		"zero":          {ID: "po", Asset: "TRX", To: to, Amount: big.NewInt(0)},
		"negative":      {ID: "po", Asset: "TRX", To: to, Amount: big.NewInt(-5)},
		"above int64":   {ID: "po", Asset: "TRX", To: to, Amount: huge},
		"other network": {ID: "po", Asset: "USDT_ETHEREUM", To: to, Amount: big.NewInt(1)},
		"to itself":     {ID: "po", Asset: "TRX", To: w.HotAddress(), Amount: big.NewInt(1)},
		"no id":         {ID: "", Asset: "TRX", To: to, Amount: big.NewInt(1)},
	} {
		if s, err := w.Send(t.Context(), spec); err == nil || s.TxID != "" {
			t.Errorf("%s: %+v, %v; want a refusal with nothing signed", name, s, err)
		}
	}
	s, err := w.Send(t.Context(), chains.PayoutSpec{ID: "po", Asset: "TRX", To: to, Amount: big.NewInt(trondevnet.Sun)})
	if err != nil || s.TxID == "" {
		t.Fatalf("the good payout under the same id: %+v, %v", s, err)
	}
	node.Mine(1)
	if got := node.TRX(must(tron.ParseAddress(to))); got != trondevnet.Sun {
		t.Fatalf("the recipient holds %d sun, want the good payout only", got)
	}
	if _, err := tron.NewWallet(tron.WalletConfig{Backend: b, Keyring: must(keys.FromMnemonic(kassatest.Mnemonic, "")),
		Update:     func(context.Context, func(context.Context, chains.WalletTx) error) error { return nil },
		View:       func(context.Context, func(context.Context, chains.WalletTx) error) error { return nil },
		Expiration: 25 * time.Hour}); err == nil {
		t.Error("a wallet with a 25 h expiration was made")
	}
	for name, cfg := range map[string]tron.Config{
		"a negative expiration": {Mode: asset.Test, URL: node.URL, Assets: asset.Default(), Expiration: -time.Second},
		"an ftp URL":            {Mode: asset.Test, URL: "ftp://127.0.0.1/", Assets: asset.Default()},
		"no URL":                {Mode: asset.Test, Assets: asset.Default()},
		"no registry":           {Mode: asset.Test, URL: node.URL},
		"an unknown mode":       {Mode: "staging", URL: node.URL, Assets: asset.Default()},
		"a node that is down":   {Mode: asset.Test, URL: "http://127.0.0.1:1", Assets: asset.Default()},
	} {
		if _, err := tron.New(t.Context(), cfg); err == nil {
			t.Errorf("a backend with %s was made", name)
		}
	}
}
