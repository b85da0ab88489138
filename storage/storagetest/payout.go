package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
)

var payoutTests = []test{
	{"Payout_InsertGetUpdate", testPayoutInsertGetUpdate},
	{"Payout_ByRequestKeyUniquePerMode", testPayoutByRequestKey},
	{"Payout_ListFiltersAndPages", testPayoutList},
	{"Payout_PayoutsInPagesThroughEveryMode", testPayoutsIn},
	{"Payout_BatchPayouts", testBatchPayouts},
	{"Payout_Codes", testPayoutCodes},
	{"Payout_PayoutsByTx", testPayoutsByTx},
	{"Payout_AutoApprovedCents", testAutoApprovedCents},
	{"Payout_AutoApprovedCentsWaitsForAConcurrentCreate", testAutoApprovedCentsConcurrent},
	{"Payout_BatchPayoutsWaitsForAConcurrentWriter", testBatchPayoutsConcurrent},
	{"Payout_PayoutsByTxWaitsForAConcurrentWriter", testPayoutsByTxConcurrent},
}

// newPayout returns a processing payout of mode created at created, with every field
// set as the payout service sets it.
func newPayout(id string, m asset.Mode, created time.Time) *payout.Payout {
	return &payout.Payout{ID: id, Mode: m, Status: payout.StatusProcessing, Asset: "USDT_TRON", Currency: "USDT",
		Network: asset.Tron, Destination: "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf", Amount: dec("250.00"), ServiceFee: dec("1.25"),
		EstimatedFee: dec("13.5"), FeeCurrency: "TRX", NetAmount: dec("248.75"), ValueUSD: ptr(dec("250.03")),
		Approval: payout.ApprovalAutomatic, CustomerID: "cus_1", Metadata: json.RawMessage(`{"invoice":"inv_1","note":"refund ☕"}`),
		CreatedAt: created, UpdatedAt: created}
}

func insertPayouts(t *testing.T, s storage.Store, ps ...*payout.Payout) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, p := range ps {
			if err := tx.InsertPayout(ctx, p); err != nil {
				return fmt.Errorf("InsertPayout %s: %w", p.ID, err)
			}
		}
		return nil
	})
}

func getPayout(t *testing.T, s storage.Store, m asset.Mode, id string) (*payout.Payout, error) {
	t.Helper()
	var p *payout.Payout
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		p, err = tx.GetPayout(ctx, m, id)
		return err
	})
	return p, err
}

// samePayout compares payouts with the mode their JSON form leaves out.
func samePayout(t *testing.T, what string, got, want *payout.Payout) {
	t.Helper()
	sameJSON(t, what, got, want)
	if got != nil && got.Mode != want.Mode {
		t.Errorf("%s: mode %q, want %q", what, got.Mode, want.Mode)
	}
}

func payoutIDs(ps []*payout.Payout) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// testPayoutInsertGetUpdate checks that a payout comes back from GetPayout as it was
// inserted and updated, only in its own mode.
func testPayoutInsertGetUpdate(t *testing.T, s storage.Store) {
	p := newPayout("po_A", asset.Test, t0)
	p.BatchID, p.BatchRef, p.SendID = "batch_1", "June salaries", "send_1"
	live := newPayout("po_L", asset.Live, t0)
	live.ValueUSD, live.Approval, live.Metadata = nil, payout.ApprovalCode, json.RawMessage("null")
	insertPayouts(t, s, p, live)
	for _, want := range []*payout.Payout{p, live} {
		got, err := getPayout(t, s, want.Mode, want.ID)
		if err != nil {
			t.Fatalf("GetPayout(%s): %v", want.ID, err)
		}
		samePayout(t, "GetPayout "+want.ID, got, want)
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "po_A"}, {asset.Test, "po_L"}, {asset.Test, "po_unknown"}} {
		_, err := getPayout(t, s, c.m, c.id)
		wantNotFound(t, fmt.Sprintf("GetPayout(%s, %s)", c.m, c.id), err, payout.ErrNotFound)
	}

	upd := *p
	upd.Status, upd.TxHash, upd.Fee, upd.Attempt = payout.StatusCompleted, "b6d3f1a8c0e2", ptr(dec("13.345")), 1
	upd.CompletedAt, upd.UpdatedAt = ptr(at(time.Hour)), at(time.Hour)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePayout(ctx, &upd) })
	if got, err := getPayout(t, s, asset.Test, "po_A"); err != nil {
		t.Fatal(err)
	} else {
		samePayout(t, "GetPayout after UpdatePayout", got, &upd)
	}
	// An update must not reach a payout of the other mode, nor create one. (The doc is
	// silent on the error; storage/sqlite returns ErrNotFound.)
	other := upd
	other.Mode, other.Status, other.FailureReason = asset.Live, payout.StatusFailed, "wrong mode"
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePayout(ctx, &other) })
	if got, err := getPayout(t, s, asset.Test, "po_A"); err != nil || got.Status != payout.StatusCompleted {
		t.Errorf("an update in live mode changed the test payout: %+v, %v", got, err)
	}
	ghost := newPayout("po_ghost", asset.Test, t0)
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePayout(ctx, ghost) })
	if _, err := getPayout(t, s, asset.Test, "po_ghost"); err == nil {
		t.Error("UpdatePayout of an unknown payout created it")
	}
}

// testPayoutByRequestKey checks PayoutByRequestKey (ErrNotFound for "", for an
// unknown key and for the other mode) and that a request key names one payout per
// mode: two concurrent retries of one request must not both pay.
func testPayoutByRequestKey(t *testing.T, s storage.Store) {
	p, live := newPayout("po_A", asset.Test, t0), newPayout("po_L", asset.Live, t0)
	p.RequestKey, live.RequestKey = "idem:key_1:4e07408562bedb8b#0", "idem:key_1:4e07408562bedb8b#0"
	live2 := newPayout("po_L2", asset.Live, t0)
	live2.RequestKey = "idem:key_2:live-only#0"
	insertPayouts(t, s, p, live, live2, newPayout("po_B", asset.Test, t0), newPayout("po_C", asset.Test, t0))
	by := func(m asset.Mode, key string) (*payout.Payout, error) {
		var p *payout.Payout
		err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			p, err = tx.PayoutByRequestKey(ctx, m, key)
			return err
		})
		return p, err
	}
	if got, err := by(asset.Test, p.RequestKey); err != nil {
		t.Errorf("PayoutByRequestKey(test): %v", err)
	} else {
		samePayout(t, "PayoutByRequestKey(test)", got, p)
	}
	if got, err := by(asset.Live, p.RequestKey); err != nil || got.ID != "po_L" {
		t.Errorf("PayoutByRequestKey(live) = %+v, %v; want po_L", got, err)
	}
	for _, key := range []string{"", "idem:other", live2.RequestKey} {
		_, err := by(asset.Test, key)
		wantNotFound(t, fmt.Sprintf("PayoutByRequestKey(%q)", key), err, payout.ErrNotFound)
	}
	dup := newPayout("po_D", asset.Test, at(time.Second))
	dup.RequestKey = p.RequestKey
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertPayout(ctx, dup) }); err == nil {
		t.Fatal("a second payout with the same request key in the same mode was inserted")
	}
	_, err := getPayout(t, s, asset.Test, "po_D")
	wantNotFound(t, "the refused payout", err, payout.ErrNotFound)
}

// testPayoutList checks ListPayouts: one mode, newest first, filtered by
// status, paged, with the total.
func testPayoutList(t *testing.T, s storage.Store) {
	var ps []*payout.Payout
	for i := range 6 {
		p := newPayout(fmt.Sprintf("po_%d", i), asset.Test, at(time.Duration(i)*time.Minute))
		if i%2 == 1 {
			p.Status = payout.StatusCompleted
		}
		ps = append(ps, p)
	}
	insertPayouts(t, s, ps...)
	insertPayouts(t, s, newPayout("po_live", asset.Live, at(time.Hour)))
	list := func(m asset.Mode, st payout.Status, page, limit int) ([]*payout.Payout, int) {
		var out []*payout.Payout
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			out, total, err = tx.ListPayouts(ctx, m, st, nil, page, limit)
			return err
		})
		return out, total
	}
	if got, _ := list(asset.Test, "", 1, 1); len(got) == 1 {
		samePayout(t, "ListPayouts[0]", got[0], ps[5])
	}
	for _, c := range []struct {
		m           asset.Mode
		st          payout.Status
		page, limit int
		want        []string
		total       int
	}{
		{asset.Test, "", 1, 4, []string{"po_5", "po_4", "po_3", "po_2"}, 6},
		{asset.Test, "", 2, 4, []string{"po_1", "po_0"}, 6},
		{asset.Test, "", 3, 4, nil, 6},
		{asset.Test, payout.StatusCompleted, 1, 2, []string{"po_5", "po_3"}, 3},
		{asset.Test, payout.StatusCompleted, 2, 2, []string{"po_1"}, 3},
		{asset.Test, payout.StatusFailed, 1, 10, nil, 0},
		{asset.Live, "", 1, 10, []string{"po_live"}, 1},
	} {
		got, total := list(c.m, c.st, c.page, c.limit)
		if ids := payoutIDs(got); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("ListPayouts(%s, %q, page %d, limit %d) = %v (total %d), want %v (total %d)",
				c.m, c.st, c.page, c.limit, ids, total, c.want, c.total)
		}
	}
}

// creationOrdered fails unless ps are in creation order.
func creationOrdered(t *testing.T, what string, ps []*payout.Payout) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		if ps[i].CreatedAt.Before(ps[i-1].CreatedAt) {
			t.Errorf("%s: %s (created %v) after %s (created %v)", what, ps[i].ID, ps[i].CreatedAt, ps[i-1].ID, ps[i-1].CreatedAt)
		}
	}
}

// testPayoutsIn checks PayoutsIn: the payouts of every mode in the given states, in
// creation order, and paging with after through all of them exactly once, payouts
// created at the same instant included (a batch is created with one clock reading).
func testPayoutsIn(t *testing.T, s storage.Store) {
	mk := func(id string, m asset.Mode, st payout.Status, created time.Duration) *payout.Payout {
		p := newPayout(id, m, at(created))
		p.Status = st
		return p
	}
	insertPayouts(t, s,
		mk("po_g", asset.Test, payout.StatusFailed, 3*time.Second),
		mk("po_f", asset.Test, payout.StatusBroadcast, 2*time.Second),
		mk("po_b", asset.Live, payout.StatusBroadcast, 0),
		mk("po_c", asset.Test, payout.StatusPendingVerification, time.Second),
		mk("po_d", asset.Test, payout.StatusCompleted, time.Second),
		mk("po_a", asset.Test, payout.StatusProcessing, 0),
		mk("po_e", asset.Live, payout.StatusProcessing, 2*time.Second),
		mk("po_h", asset.Test, payout.StatusProcessing, 0),
		mk("po_i", asset.Live, payout.StatusProcessing, 0),
	)
	open := []payout.Status{payout.StatusProcessing, payout.StatusBroadcast, payout.StatusPendingVerification}
	in := func(states []payout.Status, after *payout.Payout, limit int) []*payout.Payout {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([]*payout.Payout, error) {
			return tx.PayoutsIn(ctx, states, after, limit)
		})
	}
	all := in(open, nil, 100)
	creationOrdered(t, "PayoutsIn", all)
	ids := payoutIDs(all)
	sorted := slices.Clone(ids)
	sort.Strings(sorted)
	if !slices.Equal(sorted, []string{"po_a", "po_b", "po_c", "po_e", "po_f", "po_h", "po_i"}) {
		t.Fatalf("PayoutsIn(open states) = %v", ids)
	}
	for _, p := range all {
		if p.ID == "po_b" && p.Mode != asset.Live {
			t.Errorf("PayoutsIn returned po_b with mode %q", p.Mode)
		}
	}
	for _, limit := range []int{1, 2, 3} {
		var paged []string
		var after *payout.Payout
		for range 20 {
			page := in(open, after, limit)
			if len(page) == 0 {
				break
			}
			if len(page) > limit {
				t.Fatalf("PayoutsIn with limit %d returned %d", limit, len(page))
			}
			paged = append(paged, payoutIDs(page)...)
			after = page[len(page)-1]
		}
		if !slices.Equal(paged, ids) {
			t.Errorf("paging with limit %d: %v, want %v (every payout once, in the same order)", limit, paged, ids)
		}
	}
	if got := payoutIDs(in([]payout.Status{payout.StatusCompleted}, nil, 10)); !slices.Equal(got, []string{"po_d"}) {
		t.Errorf("PayoutsIn(completed) = %v", got)
	}
}

// testBatchPayouts checks BatchPayouts: a batch's payouts of one mode in creation
// order. For payouts created at the same instant the order must be the one PayoutsIn
// gives, and stable: the fee of a shared transaction is split by it.
func testBatchPayouts(t *testing.T, s storage.Store) {
	mk := func(id, batch string, m asset.Mode, created time.Duration) *payout.Payout {
		p := newPayout(id, m, at(created))
		p.BatchID = batch
		return p
	}
	insertPayouts(t, s,
		mk("po_3", "batch_1", asset.Test, 2*time.Second), mk("po_1", "batch_1", asset.Test, 0), mk("po_2", "batch_1", asset.Test, time.Second),
		mk("po_x", "batch_2", asset.Test, 0), mk("po_l", "batch_1", asset.Live, 0), mk("po_single", "", asset.Test, 0),
		mk("po_tz", "batch_3", asset.Test, time.Minute), mk("po_ta", "batch_3", asset.Test, time.Minute), mk("po_tm", "batch_3", asset.Test, time.Minute),
	)
	batch := func(m asset.Mode, id string) []*payout.Payout {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([]*payout.Payout, error) { return tx.BatchPayouts(ctx, m, id) })
	}
	got := batch(asset.Test, "batch_1")
	if ids := payoutIDs(got); !slices.Equal(ids, []string{"po_1", "po_2", "po_3"}) {
		t.Errorf("BatchPayouts(test, batch_1) = %v, want creation order", ids)
	} else {
		want := newPayout("po_1", asset.Test, t0)
		want.BatchID = "batch_1"
		samePayout(t, "BatchPayouts[0]", got[0], want)
	}
	if ids := payoutIDs(batch(asset.Live, "batch_1")); !slices.Equal(ids, []string{"po_l"}) {
		t.Errorf("BatchPayouts(live, batch_1) = %v", ids)
	}
	if ids := payoutIDs(batch(asset.Test, "batch_unknown")); len(ids) != 0 {
		t.Errorf("BatchPayouts of an unknown batch = %v", ids)
	}
	ties := payoutIDs(batch(asset.Test, "batch_3"))
	if len(ties) != 3 {
		t.Fatalf("BatchPayouts(batch_3) = %v", ties)
	}
	if again := payoutIDs(batch(asset.Test, "batch_3")); !slices.Equal(again, ties) {
		t.Errorf("BatchPayouts(batch_3) = %v, then %v: not stable", ties, again)
	}
	var inOrder []string
	for _, p := range get(t, s, func(ctx context.Context, tx storage.Tx) ([]*payout.Payout, error) {
		return tx.PayoutsIn(ctx, []payout.Status{payout.StatusProcessing}, nil, 100)
	}) {
		if p.BatchID == "batch_3" {
			inOrder = append(inOrder, p.ID)
		}
	}
	if !slices.Equal(inOrder, ties) {
		t.Errorf("creation order of payouts created at one instant: BatchPayouts %v, PayoutsIn %v", ties, inOrder)
	}
}

// testPayoutCodes checks SetPayoutCode, PayoutCode and SetPayoutCodeAttempts, per
// payout.
func testPayoutCodes(t *testing.T, s storage.Store) {
	insertPayouts(t, s, newPayout("po_A", asset.Test, t0), newPayout("po_B", asset.Test, t0))
	code := func(id string) ([]byte, time.Time, int, error) {
		var h []byte
		var exp time.Time
		var n int
		err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			h, exp, n, err = tx.PayoutCode(ctx, id)
			return err
		})
		return h, exp, n, err
	}
	hA, hB := hash("po_A:123456"), hash("po_B:654321")
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.SetPayoutCode(ctx, "po_A", hA, at(10*time.Minute)); err != nil {
			return err
		}
		return tx.SetPayoutCode(ctx, "po_B", hB, at(11*time.Minute))
	})
	if h, exp, n, err := code("po_A"); err != nil || !bytes.Equal(h, hA) || !exp.Equal(at(10*time.Minute)) || n != 0 {
		t.Errorf("PayoutCode(po_A) = %x, %v, %d, %v", h, exp, n, err)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SetPayoutCodeAttempts(ctx, "po_A", 3) })
	if h, exp, n, err := code("po_A"); err != nil || !bytes.Equal(h, hA) || !exp.Equal(at(10*time.Minute)) || n != 3 {
		t.Errorf("PayoutCode(po_A) after 3 attempts = %x, %v, %d, %v", h, exp, n, err)
	}
	if h, exp, n, err := code("po_B"); err != nil || !bytes.Equal(h, hB) || !exp.Equal(at(11*time.Minute)) || n != 0 {
		t.Errorf("PayoutCode(po_B) = %x, %v, %d, %v", h, exp, n, err)
	}
	// A payout without a code: the doc is silent; storage/sqlite returns ErrNotFound.
	if _, _, _, err := code("po_unknown"); err == nil {
		t.Error("PayoutCode of a payout without a code succeeded")
	}
}

// testPayoutsByTx checks PayoutsByTx: the payouts whose transaction is txid, of the
// network and its mode only, in creation order, following UpdatePayout's TxHash.
func testPayoutsByTx(t *testing.T, s storage.Store) {
	mk := func(id string, m asset.Mode, network asset.NetworkID, txid string, created time.Duration) *payout.Payout {
		p := newPayout(id, m, at(created))
		p.Network, p.Asset, p.Currency, p.FeeCurrency, p.TxHash = network, "BTC", "BTC", "BTC", txid
		return p
	}
	ps := []*payout.Payout{
		mk("po_2", asset.Test, asset.Bitcoin, "tx1", time.Second), // a batch sharing one transaction
		mk("po_1", asset.Test, asset.Bitcoin, "tx1", 0),
		mk("po_3", asset.Test, asset.Bitcoin, "tx2", 0),
		mk("po_live", asset.Live, asset.Bitcoin, "tx1", 0),
		mk("po_ltc", asset.Test, asset.Litecoin, "tx1", 0),
		mk("po_none", asset.Test, asset.Bitcoin, "", 0), // not sent yet
	}
	insertPayouts(t, s, ps...)
	by := func(n chains.NetworkRef, txid string) []*payout.Payout {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([]*payout.Payout, error) {
			return tx.PayoutsByTx(ctx, n, txid)
		})
	}
	got := by(btcTest, "tx1")
	if ids := payoutIDs(got); !slices.Equal(ids, []string{"po_1", "po_2"}) {
		t.Errorf("PayoutsByTx(bitcoin/test, tx1) = %v, want po_1, po_2", ids)
	} else {
		samePayout(t, "PayoutsByTx[0]", got[0], ps[1])
	}
	for _, c := range []struct {
		n    chains.NetworkRef
		txid string
		want []string
	}{
		{btcLive, "tx1", []string{"po_live"}},
		{chains.NetworkRef{ID: asset.Litecoin, Mode: asset.Test}, "tx1", []string{"po_ltc"}},
		{btcTest, "tx2", []string{"po_3"}},
		{btcTest, "unknown", nil},
	} {
		if ids := payoutIDs(by(c.n, c.txid)); !slices.Equal(ids, c.want) {
			t.Errorf("PayoutsByTx(%s, %q) = %v, want %v", c.n, c.txid, ids, c.want)
		}
	}
	// Re-signed under a new attempt: found by its new transaction only.
	p3 := *ps[2]
	p3.TxHash, p3.Attempt = "tx3", 1
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePayout(ctx, &p3) })
	if ids := payoutIDs(by(btcTest, "tx3")); !slices.Equal(ids, []string{"po_3"}) {
		t.Errorf("PayoutsByTx(tx3) after the update = %v", ids)
	}
	if ids := payoutIDs(by(btcTest, "tx2")); len(ids) != 0 {
		t.Errorf("PayoutsByTx(tx2) after the update = %v", ids)
	}
	// Replaced by a fee bump: found by the replacement and by what it replaced (either
	// may be mined), once each, in its own mode only.
	p1 := *ps[1]
	p1.TxHash, p1.Replaced = "tx1c", []payout.ReplacedTx{{TxHash: "tx1"}, {TxHash: "tx1b"}}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.UpdatePayout(ctx, &p1); err != nil {
			return err
		}
		return tx.UpdatePayout(ctx, &p1) // saved again: indexed once
	})
	for txid, want := range map[string][]string{"tx1": {"po_1", "po_2"}, "tx1b": {"po_1"}, "tx1c": {"po_1"}} {
		if ids := payoutIDs(by(btcTest, txid)); !slices.Equal(ids, want) {
			t.Errorf("PayoutsByTx(%s) after a fee bump = %v, want %v", txid, ids, want)
		}
	}
	if ids := payoutIDs(by(btcLive, "tx1b")); len(ids) != 0 {
		t.Errorf("PayoutsByTx(bitcoin/live, tx1b) = %v: another mode's replaced transaction", ids)
	}
	if got := by(btcTest, "tx1b"); len(got) == 1 && (len(got[0].Replaced) != 2 || got[0].Replaced[1].TxHash != "tx1b") {
		t.Errorf("Replaced read back as %+v", got[0].Replaced)
	}
}

// testAutoApprovedCents checks AutoApprovedCents: the USD value in cents of the
// payouts of the mode created at or after since, approved automatically, not failed
// or cancelled (also when they failed after they were inserted).
func testAutoApprovedCents(t *testing.T, s storage.Store) {
	mk := func(id string, m asset.Mode, usd string, created time.Duration) *payout.Payout {
		p := newPayout(id, m, at(created))
		p.ValueUSD = nil
		if usd != "" {
			p.ValueUSD = ptr(dec(usd))
		}
		return p
	}
	coded := mk("po_code", asset.Test, "1000.00", time.Minute)
	coded.Approval, coded.Status = payout.ApprovalCode, payout.StatusPendingVerification
	cancelled := mk("po_cancelled", asset.Test, "30.00", time.Minute)
	cancelled.Status = payout.StatusCancelled
	failsLater := mk("po_fails", asset.Test, "70.00", 2*time.Hour)
	insertPayouts(t, s,
		mk("po_at_since", asset.Test, "12.35", 0),
		mk("po_before", asset.Test, "100.00", -time.Microsecond),
		mk("po_done", asset.Test, "50.01", time.Hour),
		failsLater, cancelled, coded,
		mk("po_no_rate", asset.Test, "", time.Minute),
		mk("po_live", asset.Live, "999.99", time.Minute),
		mk("po_small", asset.Test, "0.07", 3*time.Hour),
	)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		p := *failsLater
		p.Status, p.FailureReason = payout.StatusFailed, "rejected by the node"
		return tx.UpdatePayout(ctx, &p)
	})
	cents := func(m asset.Mode, since time.Time) int64 {
		return get(t, s, func(ctx context.Context, tx storage.Tx) (int64, error) { return tx.AutoApprovedCents(ctx, m, since) })
	}
	for _, c := range []struct {
		m     asset.Mode
		since time.Time
		want  int64
	}{
		{asset.Test, t0, 1235 + 5001 + 7},
		{asset.Test, at(-time.Microsecond), 10000 + 1235 + 5001 + 7},
		{asset.Test, at(time.Microsecond), 5001 + 7},
		{asset.Test, at(4 * time.Hour), 0},
		{asset.Live, t0, 99999},
	} {
		if got := cents(c.m, c.since); got != c.want {
			t.Errorf("AutoApprovedCents(%s, t0%+v) = %d, want %d", c.m, c.since.Sub(t0), got, c.want)
		}
	}
}
