package storagetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
)

// Concurrent read-then-write patterns of the payout service. Each runs a second
// transaction while a first one that changed payouts has not committed yet: the
// second's read must wait for the first to end and see what it committed, as it does
// on a store that serialises writers. On a store that did not make it wait, the second
// would decide on what the first was replacing:
//
//   - two payout creates (in any assets) would both find the rolling auto-approval
//     window under its limit, and both leave without a code (payout.Service.approve);
//   - Verify of one payout of a batch would release, from a stale copy, another that
//     the code's expiry had just cancelled with its hold voided: it would be sent with
//     no money held for it (payout.Service.codeGroup);
//   - the watcher's Apply and the payout pass could both complete one payout from a
//     stale copy (a second payout.completed event, the fee recorded by the first lost).

// overlap runs first in an Update and, once first's function has done its work and
// before it commits, starts second in another Update; first then waits for second to
// end, up to a bound, and commits. A store that serialises writers, or that makes
// second's reads wait for first's locks, runs second's reads after first commits (when
// the bound has passed); one that does not lets second read while first is open.
func overlap(t *testing.T, s storage.Store, first, second func(context.Context, storage.Tx) error) {
	t.Helper()
	ctx := t.Context()
	var once sync.Once
	done := make(chan error, 1)
	secondErr, secondEnded := error(nil), false
	err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		if err := first(ctx, tx); err != nil {
			return err
		}
		once.Do(func() { go func() { done <- s.Update(ctx, second) }() })
		if !secondEnded {
			select {
			case secondErr = <-done:
				secondEnded = true
			case <-time.After(300 * time.Millisecond): // second waits for this transaction (or for the store)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	if !secondEnded {
		secondErr = <-done
	}
	if secondErr != nil {
		t.Fatalf("second transaction: %v", secondErr)
	}
}

// testAutoApprovedCentsConcurrent: a create that read the window's sum and inserted an
// automatic payout, not yet committed, makes a concurrent create's AutoApprovedCents
// wait for it and count its payout (the contract on payout.Tx), whatever their assets.
func testAutoApprovedCentsConcurrent(t *testing.T, s storage.Store) {
	since := at(-time.Hour)
	usdt := newPayout("po_usdt", asset.Live, t0) // 250.03 USD, automatic
	btc := newPayout("po_btc", asset.Live, at(time.Second))
	btc.Asset, btc.Currency, btc.Network, btc.FeeCurrency = "BTC", "BTC", asset.Bitcoin, "BTC"
	var firstSaw, secondSaw int64
	overlap(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		if firstSaw, err = tx.AutoApprovedCents(ctx, asset.Live, since); err != nil {
			return err
		}
		return tx.InsertPayout(ctx, usdt)
	}, func(ctx context.Context, tx storage.Tx) error {
		var err error
		if secondSaw, err = tx.AutoApprovedCents(ctx, asset.Live, since); err != nil {
			return err
		}
		return tx.InsertPayout(ctx, btc)
	})
	if firstSaw != 0 || secondSaw != 25003 {
		t.Fatalf("AutoApprovedCents: first create saw %d, the concurrent second %d; want 0 and 25003 (the first's payout): "+
			"both would leave without a code past the rolling limit", firstSaw, secondSaw)
	}
}

// testBatchPayoutsConcurrent: inside Update, BatchPayouts waits for a transaction
// that changed a payout of the batch and returns it as that one committed it.
func testBatchPayoutsConcurrent(t *testing.T, s storage.Store) {
	mk := func(id string, created time.Duration) *payout.Payout {
		p := newPayout(id, asset.Test, at(created))
		p.BatchID, p.Approval, p.Status = "batch_c", payout.ApprovalCode, payout.StatusPendingVerification
		return p
	}
	insertPayouts(t, s, mk("po_a", 0), mk("po_b", time.Second))
	var got []*payout.Payout
	overlap(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetPayout(ctx, asset.Test, "po_b") // the code expired: po_b is cancelled
		if err != nil {
			return err
		}
		p.Status, p.FailureReason = payout.StatusCancelled, "verification code expired"
		return tx.UpdatePayout(ctx, p)
	}, func(ctx context.Context, tx storage.Tx) error {
		var err error
		got, err = tx.BatchPayouts(ctx, asset.Test, "batch_c")
		return err
	})
	if len(got) != 2 || got[1].ID != "po_b" || got[1].Status != payout.StatusCancelled {
		t.Fatalf("BatchPayouts beside a transaction that cancelled po_b: %v (%s); want po_b cancelled, as committed",
			payoutIDs(got), statuses(got))
	}
}

// testPayoutsByTxConcurrent: inside Update, PayoutsByTx waits for a transaction that
// changed one of the payouts and returns it as that one committed it.
func testPayoutsByTxConcurrent(t *testing.T, s storage.Store) {
	p := newPayout("po_sent", asset.Test, t0)
	p.Status, p.TxHash = payout.StatusBroadcast, "txid_c"
	insertPayouts(t, s, p)
	n := chains.NetworkRef{ID: p.Network, Mode: asset.Test}
	var got []*payout.Payout
	overlap(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetPayout(ctx, asset.Test, "po_sent") // the watcher completes it
		if err != nil {
			return err
		}
		p.Status = payout.StatusCompleted
		return tx.UpdatePayout(ctx, p)
	}, func(ctx context.Context, tx storage.Tx) error {
		var err error
		got, err = tx.PayoutsByTx(ctx, n, "txid_c")
		return err
	})
	if len(got) != 1 || got[0].Status != payout.StatusCompleted {
		t.Fatalf("PayoutsByTx beside a transaction that completed po_sent: %v (%s); want it completed, as committed",
			payoutIDs(got), statuses(got))
	}
}

func statuses(ps []*payout.Payout) []payout.Status {
	out := make([]payout.Status, len(ps))
	for i, p := range ps {
		out[i] = p.Status
	}
	return out
}
