package storagetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/treasury"
	"github.com/shopspring/decimal"
)

var treasuryTests = []test{
	{"Treasury_SweepCandidatesAreAvailableUnsweptDeposits", testSweepCandidates},
	{"Treasury_SweepsInsertUpdateOpenList", testSweeps},
}

// testSweepCandidates: a deposit is a candidate once booked available, grouped by
// address and asset, per network and mode; outgoing records never are; marked swept,
// it is not one any more, and unmarked (a failed sweep), it is again.
func testSweepCandidates(t *testing.T, s storage.Store) {
	ethLive := chains.NetworkRef{ID: asset.Ethereum, Mode: asset.Live}
	rs := []chains.Record{
		record(ethTest, "ETH", "0xa1", "t1", 0, n(10), chains.StatusConfirmed, 10, t0),
		record(ethTest, "ETH", "0xa1", "t2", 0, n(20), chains.StatusConfirmed, 11, t0),
		record(ethTest, "USDT_ETHEREUM", "0xa1", "t3", 0, n(30), chains.StatusConfirmed, 11, t0),
		record(ethTest, "ETH", "0xb2", "t4", 0, n(40), chains.StatusConfirming, 12, t0), // not yet available
		record(ethLive, "ETH", "0xa1", "t1", 0, n(10), chains.StatusConfirmed, 10, t0),
	}
	out := record(ethTest, "ETH", "0xc3", "t5", 0, n(50), chains.StatusConfirmed, 12, t0)
	out.Out = true
	saveTransfers(t, s, append(rs, out)...)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, r := range []chains.Record{rs[0], rs[1], rs[2], rs[4], out} {
			if err := tx.SetBooking(ctx, r.Network, r.TxID, r.Index, invoice.BookedAvailable, 1); err != nil {
				return err
			}
		}
		return nil
	})
	cands := func(n chains.NetworkRef, limit int) []treasury.Candidate {
		t.Helper()
		var cs []treasury.Candidate
		if err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			cs, err = tx.SweepCandidates(ctx, n, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cs := cands(ethTest, 10)
	if len(cs) != 2 || cs[0].Address != "0xa1" || cs[0].Asset != "ETH" || len(cs[0].Transfers) != 2 || cs[1].Asset != "USDT_ETHEREUM" || len(cs[1].Transfers) != 1 {
		t.Fatalf("SweepCandidates: %+v", cs)
	}
	if cs := cands(ethTest, 1); len(cs) != 1 || len(cs[0].Transfers) != 2 {
		t.Errorf("SweepCandidates with limit 1: %+v", cs)
	}
	if cs := cands(ethLive, 10); len(cs) != 1 {
		t.Errorf("SweepCandidates of the live network: %+v", cs)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.MarkSwept(ctx, ethTest, cs[0].Transfers, true)
	})
	if got := cands(ethTest, 10); len(got) != 1 || got[0].Asset != "USDT_ETHEREUM" {
		t.Errorf("after MarkSwept: %+v", got)
	}
	if got := cands(ethLive, 10); len(got) != 1 {
		t.Errorf("MarkSwept of the test network reached the live one: %+v", got)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.MarkSwept(ctx, ethTest, cs[0].Transfers[:1], false)
	})
	if got := cands(ethTest, 10); len(got) != 2 || !slices.Equal(got[0].Transfers, cs[0].Transfers[:1]) {
		t.Errorf("after a sweep gave one transfer back: %+v", got)
	}
}

// testSweeps: a sweep comes back as stored; open ones per network and mode; the list
// newest first.
func testSweeps(t *testing.T, s storage.Store) {
	fee := dec("0.000021")
	a := &treasury.Sweep{ID: "sw_a", Kind: treasury.KindSweep, Mode: asset.Test, Network: asset.Ethereum, Address: "0xa1", Asset: "USDT_ETHEREUM", Amount: dec("250.5"),
		Status: treasury.SweepToppingUp, GasTx: "0xgas", Transfers: []string{"tx_1", "tx_2"}, CreatedAt: t0, UpdatedAt: t0}
	b := &treasury.Sweep{ID: "sw_b", Kind: treasury.KindCold, PayoutID: "po_1", Mode: asset.Test, Network: asset.Ethereum, Address: "0xb2", Asset: "ETH", Amount: dec("1"),
		Status: treasury.SweepSweeping, TxHash: "0xsw", Transfers: []string{"tx_3"}, CreatedAt: t0.Add(time.Second), UpdatedAt: t0}
	l := &treasury.Sweep{ID: "sw_l", Mode: asset.Live, Network: asset.Ethereum, Address: "0xa1", Asset: "ETH", Amount: dec("2"),
		Status: treasury.SweepSweeping, Transfers: []string{"tx_4"}, CreatedAt: t0, UpdatedAt: t0}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, sp := range []*treasury.Sweep{a, b, l} {
			if err := tx.InsertSweep(ctx, sp); err != nil {
				return err
			}
		}
		b.Status, b.Fee = treasury.SweepCompleted, &fee
		return tx.UpdateSweep(ctx, b)
	})
	var open, list []*treasury.Sweep
	if err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		if open, err = tx.OpenSweeps(ctx, ethTest); err != nil {
			return err
		}
		list, err = tx.ListSweeps(ctx, asset.Test, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != "sw_a" || open[0].Mode != asset.Test {
		t.Fatalf("OpenSweeps: %+v", open)
	}
	sameJSON(t, "an open sweep", open[0], a)
	if len(list) != 2 || list[0].ID != "sw_b" || list[1].ID != "sw_a" {
		t.Fatalf("ListSweeps: %+v", list)
	}
	sameJSON(t, "a completed sweep", list[0], b)
	// ColdForwarded sums the completed forwards to cold storage of the network and
	// mode, per asset: not sweeps to the hot wallet, not failed or open forwards.
	gas := dec("0.0004")
	c2 := &treasury.Sweep{ID: "sw_c2", Kind: treasury.KindCold, Mode: asset.Test, Network: asset.Ethereum, Address: "0xb2", Asset: "ETH", Amount: dec("0.25"),
		Status: treasury.SweepCompleted, Gas: &gas, Transfers: []string{}, CreatedAt: t0.Add(2 * time.Second), UpdatedAt: t0}
	c3 := &treasury.Sweep{ID: "sw_c3", Kind: treasury.KindCold, Mode: asset.Test, Network: asset.Ethereum, Address: "0xb2", Asset: "USDT_ETHEREUM", Amount: dec("7"),
		Status: treasury.SweepFailed, Transfers: []string{}, CreatedAt: t0.Add(3 * time.Second), UpdatedAt: t0}
	cl := &treasury.Sweep{ID: "sw_cl", Kind: treasury.KindCold, Mode: asset.Live, Network: asset.Ethereum, Address: "0xb2", Asset: "ETH", Amount: dec("9"),
		Status: treasury.SweepCompleted, Transfers: []string{}, CreatedAt: t0, UpdatedAt: t0}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, sp := range []*treasury.Sweep{c2, c3, cl} {
			if err := tx.InsertSweep(ctx, sp); err != nil {
				return err
			}
		}
		return nil
	})
	cold := get(t, s, func(ctx context.Context, tx storage.Tx) (map[string]decimal.Decimal, error) {
		return tx.ColdForwarded(ctx, ethTest)
	})
	if len(cold) != 1 || !cold["ETH"].Equal(dec("1.25")) {
		t.Errorf("ColdForwarded(ethereum/test) = %v, want ETH 1.25", cold)
	}
	if got := get(t, s, func(ctx context.Context, tx storage.Tx) ([]*treasury.Sweep, error) {
		return tx.ListSweeps(ctx, asset.Test, 2)
	}); len(got) != 2 || got[1].ID != "sw_c2" || got[1].Gas == nil || !got[1].Gas.Equal(gas) {
		t.Errorf("a sweep's gas read back as %+v", got)
	}
	if err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return tx.UpdateSweep(ctx, &treasury.Sweep{ID: "sw_none", Status: treasury.SweepFailed})
	}); err == nil {
		t.Error("UpdateSweep of an unknown sweep succeeded")
	}
	// One open sweep per address and asset: a second, from a pass that overlapped
	// another, is refused; once the first is done, a new one is taken.
	again := *a
	again.ID = "sw_a2"
	if err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error { return tx.InsertSweep(ctx, &again) }); err == nil {
		t.Error("a second open sweep of the same address and asset was stored")
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		a.Status = treasury.SweepCompleted
		if err := tx.UpdateSweep(ctx, a); err != nil {
			return err
		}
		return tx.InsertSweep(ctx, &again)
	})
}
