package storagetest

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

var accountTests = []test{
	{"Account_NextNonce", testNextNonce},
	{"Account_NextNonceConcurrentAreUnique", testNextNonceConcurrent},
	{"Account_Sends", testAccountSends},
}

const hotWallet = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"

// accountSend returns an attempt of an account wallet's send with every field set.
func accountSend(n chains.NetworkRef, specID string, attempt int, nonce uint64, txid string, status chains.SendStatus, created time.Time) chains.AccountSend {
	maxFee, _ := new(big.Int).SetString("4200000000000000", 10) // 21000 gas x 200 gwei
	return chains.AccountSend{Network: n, SpecID: specID, Attempt: attempt, Kind: "payout", From: hotWallet,
		To: "0x1111111111111111111111111111111111111111", Asset: "USDT_ETH", Amount: big30(), Nonce: nonce, TxID: txid,
		Raw: []byte{0x02, 0xf8, 0x6f, 0x00, 0x01}, MaxFee: maxFee, Status: status, At: created}
}

func nextNonce(t *testing.T, s storage.Store, n chains.NetworkRef, from string, chainNext uint64) uint64 {
	t.Helper()
	var nonce uint64
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		nonce, err = tx.NextNonce(ctx, n, from, chainNext)
		return err
	})
	return nonce
}

// testNextNonce checks NextNonce: the larger of the stored next nonce and the node's
// count, stored plus one, per address, network and mode; a rolled-back transaction
// does not consume its nonce.
func testNextNonce(t *testing.T, s storage.Store) {
	for _, c := range []struct {
		chainNext, want uint64
	}{
		{0, 0}, {0, 1}, {0, 2},
		{10, 10}, // the node knows of more: transactions sent by another wallet
		{0, 11},  // the node lags behind what we signed
		{11, 12},
	} {
		if got := nextNonce(t, s, ethTest, hotWallet, c.chainNext); got != c.want {
			t.Fatalf("NextNonce(chainNext %d) = %d, want %d", c.chainNext, got, c.want)
		}
	}
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.NextNonce(ctx, ethTest, hotWallet, 0); err != nil {
			return err
		}
		return errors.New("signing failed")
	})
	if got := nextNonce(t, s, ethTest, hotWallet, 0); got != 13 {
		t.Errorf("NextNonce after a rolled-back one = %d, want 13", got)
	}
	for _, c := range []struct {
		n    chains.NetworkRef
		from string
	}{
		{ethTest, "0x2222222222222222222222222222222222222222"}, // another address
		{bscTest, hotWallet}, // the same address on another network
		{chains.NetworkRef{ID: ethTest.ID, Mode: btcLive.Mode}, hotWallet}, // another mode
	} {
		if got := nextNonce(t, s, c.n, c.from, 0); got != 0 {
			t.Errorf("NextNonce(%s, %s) = %d, want 0: its own sequence", c.n, c.from, got)
		}
	}
	// Nonces beyond 32 bits round-trip.
	if got := nextNonce(t, s, tronTest, hotWallet, 1<<40); got != 1<<40 {
		t.Errorf("NextNonce(chainNext 2^40) = %d", got)
	}
	if got := nextNonce(t, s, tronTest, hotWallet, 0); got != 1<<40+1 {
		t.Errorf("NextNonce after 2^40 = %d", got)
	}
}

// testNextNonceConcurrent takes nonces of one address from concurrent transactions:
// none may be handed out twice or skipped (two payouts with one nonce replace each
// other on the chain).
func testNextNonceConcurrent(t *testing.T, s storage.Store) {
	const workers, each = 6, 15
	seen := takeConcurrently(t, s, workers, each, func(ctx context.Context, tx storage.Tx) (uint64, error) {
		return tx.NextNonce(ctx, ethTest, hotWallet, 0)
	})
	for i := range uint64(workers * each) {
		if seen[i] != 1 {
			t.Errorf("nonce %d handed out %d times", i, seen[i])
		}
	}
}

// testAccountSends checks InsertAccountSend, LatestAccountSend (the highest attempt,
// per network and mode), SetAccountSendStatus (one attempt, with the fee once mined)
// and OpenAccountSends, through a send, its fee bump and its confirmation as the EVM
// wallet writes them. OpenAccountSends lists sends by nonce: the doc is silent, the
// wallet's Rebroadcast relies on it.
func testAccountSends(t *testing.T, s storage.Store) {
	insert := func(sends ...chains.AccountSend) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			for _, send := range sends {
				if err := tx.InsertAccountSend(ctx, send); err != nil {
					return err
				}
			}
			return nil
		})
	}
	latest := func(n chains.NetworkRef, spec string) (chains.AccountSend, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) (chains.AccountSend, bool, error) {
			return tx.LatestAccountSend(ctx, n, spec)
		})
	}
	setStatus := func(spec string, attempt int, st chains.SendStatus, fee *big.Int) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			return tx.SetAccountSendStatus(ctx, ethTest, spec, attempt, st, fee)
		})
	}
	open := func(n chains.NetworkRef) []string {
		var out []string
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			sends, err := tx.OpenAccountSends(ctx, n)
			for _, send := range sends {
				out = append(out, fmt.Sprintf("%s#%d", send.SpecID, send.Attempt))
			}
			return err
		})
		return out
	}

	first := accountSend(ethTest, "po_1", 0, 5, "0xattempt0", chains.SendSigned, t0)
	insert(first)
	if got, ok := latest(ethTest, "po_1"); !ok {
		t.Fatal("LatestAccountSend(po_1): not found")
	} else {
		sameJSON(t, "LatestAccountSend(po_1)", got, first)
	}
	for _, c := range []struct {
		n    chains.NetworkRef
		spec string
	}{{bscTest, "po_1"}, {chains.NetworkRef{ID: ethTest.ID, Mode: btcLive.Mode}, "po_1"}, {ethTest, "po_unknown"}} {
		if got, ok := latest(c.n, c.spec); ok {
			t.Errorf("LatestAccountSend(%s, %s) = %+v", c.n, c.spec, got)
		}
	}
	setStatus("po_1", 0, chains.SendBroadcast, nil)
	if got, _ := latest(ethTest, "po_1"); got.Status != chains.SendBroadcast || got.Fee != nil {
		t.Errorf("after SetAccountSendStatus(broadcast): status %q fee %v", got.Status, got.Fee)
	}

	// A fee bump, as Bump writes it: the old attempt replaced, a new one with the same
	// nonce.
	bump := accountSend(ethTest, "po_1", 1, 5, "0xattempt1", chains.SendSigned, at(time.Minute))
	bump.MaxFee = new(big.Int).Mul(first.MaxFee, big.NewInt(2))
	setStatus("po_1", 0, chains.SendReplaced, nil)
	insert(bump)
	if got, _ := latest(ethTest, "po_1"); got.Attempt != 1 || got.TxID != "0xattempt1" {
		t.Errorf("LatestAccountSend after the bump = attempt %d %s, want attempt 1", got.Attempt, got.TxID)
	} else {
		sameJSON(t, "LatestAccountSend after the bump", got, bump)
	}
	insert(
		accountSend(ethTest, "po_2", 0, 3, "0xpo2", chains.SendBroadcast, at(2*time.Minute)),
		accountSend(ethTest, "po_3", 0, 7, "0xpo3", chains.SendSigned, at(3*time.Minute)),
		accountSend(ethTest, "po_4", 0, 4, "0xpo4", chains.SendConfirmed, at(4*time.Minute)),
		accountSend(ethTest, "po_5", 0, 6, "0xpo5", chains.SendFailed, at(5*time.Minute)),
		accountSend(bscTest, "po_6", 0, 1, "0xpo6", chains.SendSigned, at(6*time.Minute)),
	)
	if got := open(ethTest); !slices.Equal(got, []string{"po_2#0", "po_1#1", "po_3#0"}) {
		t.Errorf("OpenAccountSends(ethereum/test) = %v, want the open latest attempts by nonce", got)
	}
	if got := open(bscTest); !slices.Equal(got, []string{"po_6#0"}) {
		t.Errorf("OpenAccountSends(bsc/test) = %v", got)
	}

	fee := new(big.Int).Mul(big.NewInt(21_000), big.NewInt(31_500_000_000)) // gas used x effective price
	setStatus("po_1", 1, chains.SendConfirmed, fee)
	got, _ := latest(ethTest, "po_1")
	want := bump
	want.Status, want.Fee = chains.SendConfirmed, fee
	sameJSON(t, "LatestAccountSend after the confirmation", got, want)
	if got := open(ethTest); !slices.Equal(got, []string{"po_2#0", "po_3#0"}) {
		t.Errorf("OpenAccountSends after po_1 confirmed = %v", got)
	}
}
