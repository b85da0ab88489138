package payout_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/validation"
)

// psbtError is the message of the validation error on "psbt" that err carries.
func psbtError(t *testing.T, err error) string {
	t.Helper()
	var v *validation.Error
	if !errors.As(err, &v) || !errors.Is(err, chains.ErrBadPSBT) || v.Fields["psbt"] == nil {
		t.Fatalf("want a validation error on psbt wrapping ErrBadPSBT, got %v", err)
	}
	return err.Error()
}

// TestPSBT_WatchOnlyPayoutSignedByAHardwareWalletRoundTrip (issue 21): on a watch-only
// Gateway a BTC payout ends awaiting_signature with a BIP 174 PSBT, nothing
// broadcast. A separate keyring built from the mnemonic (standing in for a hardware
// wallet) signs it from the PSBT alone. Tampered PSBTs are refused, naming the
// difference, and leave the payout as it was: an output paying more, the unsigned
// PSBT as it came, a signature by another wallet's key. The signed one is checked,
// broadcast and accepted by btcd (an independent check of the signatures), mined, and
// the payout completes with the ledger equal to the chain.
func TestPSBT_WatchOnlyPayoutSignedByAHardwareWalletRoundTrip(t *testing.T) {
	e := nodetest.NewWatchOnly(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	dest := regtestDest(31)
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: dest})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payout.StatusAwaitingSignature || p.PSBT == "" || p.TxHash == "" || p.Fee == nil {
		t.Fatalf("watch-only payout: %+v", p)
	}
	if mp := e.BTC.Mempool(); len(mp) != 0 {
		t.Fatalf("an unsigned payout reached the mempool: %v", mp)
	}
	if ev := payoutEvents(t, e.G, p.ID); ev["payout.awaiting_signature"] != 1 || ev["payout.broadcast"] != 0 {
		t.Fatalf("events %v", ev)
	}
	unsigned, _ := base64.StdEncoding.DecodeString(p.PSBT)
	parsed, err := bitcoin.DecodePSBT(unsigned)
	if err != nil || parsed.Tx.TxHash().String() != p.TxHash {
		t.Fatalf("the payout's PSBT: %v (tx %v, payout %s)", err, parsed, p.TxHash)
	}

	// The hardware wallet: only the mnemonic and the PSBT.
	signed, err := bitcoin.SignPSBT(unsigned, e.Keys)
	if err != nil {
		t.Fatal(err)
	}
	submit := func(b []byte) error {
		_, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, p.ID, base64.StdEncoding.EncodeToString(b))
		return err
	}
	unchanged := func(what string) {
		t.Helper()
		got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if got.Status != payout.StatusAwaitingSignature || got.PSBT != p.PSBT || len(e.BTC.Mempool()) != 0 {
			t.Fatalf("after %s: %+v, mempool %v", what, got, e.BTC.Mempool())
		}
	}

	// Tampered: the destination's output pays 1000 sat more (taken from the change).
	tampered, _ := bitcoin.DecodePSBT(signed)
	tx := tampered.Tx
	for _, o := range tx.TxOut {
		o.Value += 1000
		break
	}
	tx.TxOut[len(tx.TxOut)-1].Value -= 1000
	bad := replaceTx(t, signed, tx)
	if msg := psbtError(t, submit(bad)); !bytes.Contains([]byte(msg), []byte("output 0 pays")) {
		t.Errorf("tampered amount refused with %q", msg)
	}
	unchanged("a tampered amount")
	if msg := psbtError(t, submit(unsigned)); !bytes.Contains([]byte(msg), []byte("not signed")) {
		t.Errorf("unsigned PSBT refused with %q", msg)
	}
	unchanged("the unsigned PSBT")
	other, _ := keys.FromMnemonic("legal winner thank year wave sausage worth useful legal winner thank yellow", "", keys.WithBitcoinTestParams(nodetest.Regtest))
	if again, _ := bitcoin.SignPSBT(unsigned, other); again != nil {
		if err := submit(again); err == nil {
			t.Fatal("a PSBT signed by another wallet was taken")
		}
	}
	if err := submit([]byte("not a psbt")); err == nil {
		t.Fatal("garbage taken as a PSBT")
	}
	unchanged("other keys and garbage")
	var v *validation.Error
	if _, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, p.ID, "%%%"); !errors.As(err, &v) || v.Fields["psbt"] == nil {
		t.Fatalf("bad base64: %v", err)
	}

	got, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, p.ID, base64.StdEncoding.EncodeToString(signed))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != payout.StatusBroadcast || got.TxHash != p.TxHash || got.PSBT != "" {
		t.Fatalf("payout after the signed PSBT: %+v", got)
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != p.TxHash {
		t.Fatalf("mempool %v, want %s", mp, p.TxHash)
	}
	if _, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, p.ID, base64.StdEncoding.EncodeToString(signed)); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("a second submission: %v, want ErrInvalidState", err)
	}
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted || !done.Fee.Equal(*p.Fee) {
		t.Fatalf("payout after its block: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if got := e.OwnedOnChain(); got != e.Sats(want) || !e.Available("BTC").Equal(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s (want %s)", got, e.Available("BTC"), want)
	}
	if got := e.PaidOnChain(dest); got != e.Sats(done.NetAmount) {
		t.Fatalf("the recipient has %d sat, want %d", got, e.Sats(done.NetAmount))
	}
	if _, err := e.G.Payouts().Bump(ctx, asset.Test, p.ID); !errors.Is(err, payout.ErrCannotBump) {
		t.Fatalf("bump of a completed watch-only payout: %v", err)
	}
	e.Verify()
}

// TestPSBT_CancelledAwaitingPayoutReleasesItsHoldAndInputs: a payout awaiting its
// signature can be cancelled: its hold is released, and the inputs its transaction
// would have spent pay the next payout; the stale PSBT is refused afterwards.
func TestPSBT_CancelledAwaitingPayoutReleasesItsHoldAndInputs(t *testing.T) {
	e := nodetest.NewWatchOnly(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.04"), Currency: "BTC", Destination: regtestDest(32)})
	if err != nil || p.Status != payout.StatusAwaitingSignature {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	if b, err := e.G.Balance(ctx, asset.Test, "BTC"); err != nil || !b.Available.Equal(kassatest.Dec("0.01")) || !b.Held.Equal(kassatest.Dec("0.04")) {
		t.Fatalf("balance while it waits %+v, %v: want 0.01 available, 0.04 held", b, err)
	}
	c, err := e.G.Payouts().Cancel(ctx, asset.Test, p.ID)
	if err != nil || c.Status != payout.StatusCancelled {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if a := e.Available("BTC"); !a.Equal(kassatest.Dec("0.05")) {
		t.Fatalf("available after the cancel %s, want 0.05", a)
	}
	if _, err := e.G.Payouts().Cancel(ctx, asset.Test, p.ID); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("second cancel: %v", err)
	}
	unsigned, _ := base64.StdEncoding.DecodeString(p.PSBT)
	signed, _ := bitcoin.SignPSBT(unsigned, e.Keys)
	if _, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, p.ID, base64.StdEncoding.EncodeToString(signed)); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("the cancelled payout's PSBT: %v", err)
	}
	// The same coins pay the next payout.
	next, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.045"), Currency: "BTC", Destination: regtestDest(33)})
	if err != nil || next.Status != payout.StatusAwaitingSignature {
		t.Fatalf("next payout: %+v, %v", next, err)
	}
	u2, _ := base64.StdEncoding.DecodeString(next.PSBT)
	s2, _ := bitcoin.SignPSBT(u2, e.Keys)
	if got, err := e.G.Payouts().SubmitSigned(ctx, asset.Test, next.ID, base64.StdEncoding.EncodeToString(s2)); err != nil || got.Status != payout.StatusBroadcast {
		t.Fatalf("next payout signed: %+v, %v", got, err)
	}
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, next.ID)
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if done.Status != payout.StatusCompleted || e.OwnedOnChain() != e.Sats(want) || !e.Available("BTC").Equal(want) {
		t.Fatalf("next payout %s; on chain %d sat, ledger %s", done.Status, e.OwnedOnChain(), e.Available("BTC"))
	}
	e.Verify()
}

// replaceTx returns the PSBT b with its unsigned transaction replaced by tx (its maps
// kept), as a signer that changed what it signs would send it.
func replaceTx(t *testing.T, b []byte, tx *wire.MsgTx) []byte {
	t.Helper()
	p, err := bitcoin.DecodePSBT(b)
	if err != nil {
		t.Fatal(err)
	}
	p.Tx = tx
	return p.Encode()
}

// TestPSBT_SignedBeforeACancelIsPaidNotCancelled: the signed PSBT is stored (the
// process then dies before the payout records it) and a cancel comes: the cancel is
// refused, since the signed transaction will be broadcast; after a restart the
// wallet broadcasts it, and the payout completes, its money booked once, rather than
// a cancelled payout whose coins left anyway.
func TestPSBT_SignedBeforeACancelIsPaidNotCancelled(t *testing.T) {
	e := nodetest.NewWatchOnly(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: regtestDest(34)})
	if err != nil || p.Status != payout.StatusAwaitingSignature {
		t.Fatalf("payout: %+v, %v", p, err)
	}
	unsigned, _ := base64.StdEncoding.DecodeString(p.PSBT)
	signed, err := bitcoin.SignPSBT(unsigned, e.Keys)
	if err != nil {
		t.Fatal(err)
	}
	// What SubmitSigned stores first, then the crash: the signed transaction, extracted
	// as the wallet would.
	ps, _ := bitcoin.DecodePSBT(signed)
	var raw bytes.Buffer
	final := finalTx(t, ps)
	final.Serialize(&raw)
	n := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	if err := e.KT.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.SignSend(ctx, n, p.ID, raw.Bytes()); err != nil {
			return err
		}
		return tx.FollowTx(ctx, n, chains.Sent{TxID: p.TxHash})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.G.Payouts().Cancel(ctx, asset.Test, p.ID); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("cancel after the signature was stored: %v, want ErrInvalidState", err)
	}
	e.G.Close()
	e.Open(e.BTC.RPC)
	e.Sync() // the payout job broadcasts what the wallet holds signed
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != p.TxHash {
		t.Fatalf("mempool after the restart %v, want %s", mp, p.TxHash)
	}
	e.BTC.Generate(1)
	e.Sync()
	done, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
	if done.Status != payout.StatusCompleted {
		t.Fatalf("payout: %+v", done)
	}
	want := kassatest.Dec("0.05").Sub(done.NetAmount).Sub(*done.Fee)
	if got := e.OwnedOnChain(); got != e.Sats(want) || !e.Available("BTC").Equal(want) {
		t.Fatalf("the wallet holds %d sat on chain, the ledger %s", got, e.Available("BTC"))
	}
	e.Verify()
}

// finalTx is the transaction of a PSBT signed by bitcoin.SignPSBT: each input's
// partial signature and its key as the witness.
func finalTx(t *testing.T, p *bitcoin.PSBT) *wire.MsgTx {
	t.Helper()
	tx := p.Tx.Copy()
	for i := range tx.TxIn {
		w, err := p.Witness(i)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
	return tx
}
