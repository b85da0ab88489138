package chains_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var net = chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}

// recorder is a Sink that remembers every change and signals each batch.
type recorder struct {
	mu      sync.Mutex
	changes []chains.Record
	batches chan struct{}
}

func (r *recorder) Changed(_ context.Context, _ chains.Tx, _ chains.NetworkRef, changed []chains.Record) error {
	r.mu.Lock()
	r.changes = append(r.changes, changed...)
	r.mu.Unlock()
	select {
	case r.batches <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) last(txid string) (chains.Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.changes) - 1; i >= 0; i-- {
		if r.changes[i].TxID == txid {
			return r.changes[i], true
		}
	}
	return chains.Record{}, false
}

func setup(t *testing.T, c *sim.Chain, cfg func(*chains.WatcherConfig)) (*chains.Watcher, *recorder, storage.Store) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rec := &recorder{batches: make(chan struct{}, 100)}
	wc := chains.WatcherConfig{Backend: c, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update), View: storage.Runner[chains.Tx](s.View), Sink: rec, Logger: quiet}
	if cfg != nil {
		cfg(&wc)
	}
	w, err := chains.NewWatcher(wc)
	if err != nil {
		t.Fatal(err)
	}
	return w, rec, s
}

func btc(v int64) *big.Int { return big.NewInt(v) }

func TestWatcher_FreshDeploymentStartsAtTip(t *testing.T) {
	c := sim.New(net)
	old := c.Pay("addr1", "BTC", btc(5000))
	c.Mine(50)
	w, rec, _ := setup(t, c, nil)
	w.Watch("addr1")
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.last(old); ok {
		t.Fatal("a fresh deployment scanned history before the tip")
	}
	tx := c.Pay("addr1", "BTC", btc(7000))
	c.Mine(1)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, ok := rec.last(tx)
	if !ok || r.Status != chains.StatusConfirmed || r.Block.Height != 51 || r.Confirmations != 1 {
		t.Fatalf("new payment: %+v", r)
	}
	// The old one can be found by a targeted rescan.
	if err := w.Rescan(t.Context(), []string{"addr1"}, 100); err != nil {
		t.Fatal(err)
	}
	if r, ok := rec.last(old); !ok || r.Block.Height != 1 || r.Confirmations != 51 {
		t.Fatalf("rescan: %+v %v", r, ok)
	}
}

// countingScans counts the blocks a backend is asked for.
type countingScans struct {
	*sim.Chain
	scans int
}

func (c *countingScans) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	c.scans++
	return c.Chain.Scan(ctx, h, watch)
}

// TestWatcher_FreshDeploymentStartsBelowAddressesHandedOutBeforeIt: invoices created
// before a fresh deployment's first scan (its node was down) are paid meanwhile; the
// first scan starts at the first block less than FirstScanSlack older than the oldest
// watched address, not at the tip, and reads O(log n) blocks to find it.
func TestWatcher_FreshDeploymentStartsBelowAddressesHandedOutBeforeIt(t *testing.T) {
	c := sim.New(net) // block h is 10 minutes after block h-1
	old := c.Pay("addr1", "BTC", btc(5000))
	c.Mine(30) // old is in block 1
	slack := c.Pay("addr1", "BTC", btc(6000))
	c.Mine(10) // slack is in block 31, within FirstScanSlack before the invoice
	tip, err := c.Tip(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	created := tip.Time // the invoice is as old as block 40
	paid := c.Pay("addr1", "BTC", btc(7000))
	c.Mine(400) // paid is in block 41; the tip is 440
	counting := &countingScans{Chain: c}
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertInvoice(ctx, &invoice.Invoice{ID: "inv_early", Mode: net.Mode, Kind: invoice.KindInvoice,
			Status: invoice.StatusPending, CreatedAt: created, ExpiresAt: created.Add(time.Hour), MonitorUntil: created.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.WatchAddress(ctx, net, "addr1", "inv_early")
	}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{batches: make(chan struct{}, 100)}
	w, err := chains.NewWatcher(chains.WatcherConfig{Backend: counting, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update), View: storage.Runner[chains.Tx](s.View), Sink: rec, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.Watch("addr1")
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r, ok := rec.last(paid); !ok || r.Block.Height != 41 || r.Status != chains.StatusConfirmed {
		t.Fatalf("the payment mined before the first scan: %+v %v", r, ok)
	}
	if _, ok := rec.last(slack); !ok {
		t.Fatal("a payment less than FirstScanSlack before the invoice was not scanned")
	}
	if _, ok := rec.last(old); ok {
		t.Fatal("the first scan went back further than FirstScanSlack")
	}
	// From block 40 - 12 (two hours of 10-minute blocks) = 28 to the tip, plus the search.
	if scanned := 440 - 28 + 1; counting.scans > scanned+2*9 {
		t.Fatalf("%d blocks read, want %d scanned and O(log 440) to find the start", counting.scans, scanned)
	} else {
		t.Logf("%d blocks read for %d scanned", counting.scans, scanned)
	}
	// No watched address: a fresh deployment still starts at the tip.
	c2 := sim.New(net)
	c2.Pay("addr2", "BTC", btc(1))
	c2.Mine(5)
	w2, rec2, _ := setup(t, c2, nil)
	w2.Watch("addr2")
	if err := w2.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(rec2.changes) != 0 {
		t.Fatalf("no invoice before the first scan, yet it scanned history: %+v", rec2.changes)
	}
}

func TestWatcher_StartHeightAndPruning(t *testing.T) {
	c := sim.New(net)
	c.Mine(5)
	tx := c.Pay("a", "BTC", btc(1))
	c.Mine(30)
	w, rec, s := setup(t, c, func(wc *chains.WatcherConfig) { wc.StartHeight = 3; wc.KeepBlocks = 10 })
	w.Watch("a")
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r, ok := rec.last(tx); !ok || r.Block.Height != 6 {
		t.Fatalf("StartHeight 3 must see the payment at 6: %+v", r)
	}
	var oldKept, newKept bool
	s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, oldKept, _ = tx.BlockHash(ctx, net, 10)
		_, newKept, _ = tx.BlockHash(ctx, net, 30)
		return nil
	})
	if oldKept || !newKept {
		t.Fatalf("pruning: height 10 kept %v, height 30 kept %v (KeepBlocks 10, tip 35)", oldKept, newKept)
	}
}

func TestWatcher_ReorgWalksBackToForkPoint(t *testing.T) {
	c := sim.New(net)
	c.Mine(10)
	w, rec, _ := setup(t, c, nil)
	w.Watch("a")
	w.Step(t.Context())
	tx := c.Pay("a", "BTC", btc(9))
	c.Mine(3) // payment at 11, tip 13
	w.Step(t.Context())
	if r, _ := rec.last(tx); r.Confirmations != 3 {
		t.Fatalf("before reorg: %+v", r)
	}
	c.Disconnect(3)
	c.Drop(tx)
	c.Mine(5) // new branch from 10 to 15 without the payment
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, _ := rec.last(tx)
	if r.Status != chains.StatusOrphaned || r.Confirmations != 0 {
		t.Fatalf("after reorg: %+v", r)
	}
	// The same transfer mined later on the new branch comes back as the same record.
	c.PayMany() // unrelated
	c.Mine(1)
	w.Step(t.Context())
	if r, _ := rec.last(tx); r.Status != chains.StatusOrphaned {
		t.Fatalf("orphan changed without being mined: %+v", r)
	}
}

// liar reports every transfer with a doubled amount once lying is set.
type liar struct {
	*sim.Chain
	lying bool
}

func (l *liar) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	b, err := l.Chain.Scan(ctx, h, watch)
	if l.lying {
		for i := range b.Transfers {
			b.Transfers[i].Amount = new(big.Int).Mul(b.Transfers[i].Amount, big.NewInt(2))
		}
	}
	return b, err
}

func TestWatcher_ShorterChainIsAReorg(t *testing.T) {
	c := sim.New(net)
	w, rec, _ := setup(t, c, nil)
	w.Watch("a")
	w.Step(t.Context())
	c.Mine(4)
	tx := c.Pay("a", "BTC", btc(9))
	c.Mine(6) // payment at 5, tip 10
	w.Step(t.Context())
	if r, _ := rec.last(tx); r.Status != chains.StatusConfirmed {
		t.Fatalf("before: %+v", r)
	}
	c.Disconnect(7) // tip 3: below the cursor, and below the payment
	c.Drop(tx)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r, _ := rec.last(tx); r.Status != chains.StatusOrphaned {
		t.Fatalf("a payment above a shorter tip must be orphaned at once: %+v", r)
	}
	// Same height, other block: also a reorg.
	tx2 := c.Pay("a", "BTC", btc(10))
	c.Mine(1)
	w.Step(t.Context())
	c.Disconnect(1)
	c.Drop(tx2)
	c.Mine(1)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r, _ := rec.last(tx2); r.Status != chains.StatusOrphaned {
		t.Fatalf("same-height replacement: %+v", r)
	}
}

func TestWatcher_RejectsChangedTransfer(t *testing.T) {
	c := sim.New(net)
	l := &liar{Chain: c}
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := &recorder{batches: make(chan struct{}, 100)}
	w, _ := chains.NewWatcher(chains.WatcherConfig{Backend: l, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update), View: storage.Runner[chains.Tx](s.View), Sink: rec, Logger: quiet})
	w.Watch("a")
	w.Step(t.Context())
	tx := c.Pay("a", "BTC", btc(100))
	c.Mine(1)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	l.lying = true
	c.Reorg(1) // the payment is mined again on the new branch, and reported doubled
	if err := w.Step(t.Context()); err == nil {
		t.Fatal("a transfer whose amount changed was accepted")
	}
	if r, _ := rec.last(tx); r.Amount.Cmp(btc(100)) != 0 {
		t.Fatalf("recorded amount %s", r.Amount)
	}
}

func TestWatcher_RunUsesPushAndSurvivesOutage(t *testing.T) {
	c := sim.New(net)
	failures := make(chan struct{}, 10)
	w, rec, store := setup(t, c, func(wc *chains.WatcherConfig) {
		wc.PollInterval = time.Hour // only pushes (and retries) can wake it
		wc.MaxBackoff = 50 * time.Millisecond
		wc.Logger = slog.New(signalHandler{failures})
	})
	// Run loads the watched set from storage, where the Gateway keeps it.
	if err := store.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return tx.WatchAddress(ctx, net, "a", "inv_test")
	}); err != nil {
		t.Fatal(err)
	}
	tx := c.Pay("a", "BTC", btc(3))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-rec.batches:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	wait("mempool payment (first step)")
	c.Mine(1)
	wait("pushed block")
	if r, _ := rec.last(tx); r.Status != chains.StatusConfirmed {
		t.Fatalf("after push: %+v", r)
	}
	// The node goes down: a pushed block's step fails, and the watcher retries with
	// backoff until the node is back.
	c.SetOffline(true)
	tx2 := c.Pay("a", "BTC", btc(4))
	c.Mine(1)
	select {
	case <-failures:
	case <-time.After(10 * time.Second):
		t.Fatal("no failed step while the node was down")
	}
	c.SetOffline(false)
	wait("retry after outage")
	if _, ok := rec.last(tx2); !ok {
		t.Fatal("payment during outage missed")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

// signalHandler is a slog handler that signals each "step failed" warning.
type signalHandler struct{ ch chan struct{} }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.Contains(r.Message, "step failed") {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// blockingView is a View runner that pauses inside the read until released, so a test
// can call Watch while Reload is between reading and replacing.
func TestWatcher_WatchDuringReloadIsKept(t *testing.T) {
	c := sim.New(net)
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inRead, release := make(chan struct{}), make(chan struct{})
	view := func(ctx context.Context, fn func(context.Context, chains.Tx) error) error {
		return s.View(ctx, func(ctx context.Context, tx storage.Tx) error {
			err := fn(ctx, tx)
			close(inRead)
			<-release
			return err
		})
	}
	rec := &recorder{batches: make(chan struct{}, 10)}
	w, _ := chains.NewWatcher(chains.WatcherConfig{Backend: c, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update), View: view, Sink: rec, Logger: quiet})
	done := make(chan error, 1)
	go func() { done <- w.Reload(t.Context()) }()
	<-inRead
	w.Watch("new-invoice-address") // committed after the read, watched before the replace
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w.Watched() != 1 {
		t.Fatalf("an address watched during Reload was lost (%d watched)", w.Watched())
	}
}

// disagreeing is a node whose block above from always names a parent that is not
// the block it serves below it (two branches behind one load balancer).
type disagreeing struct {
	*sim.Chain
	from uint64
}

func (d disagreeing) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	b, err := d.Chain.Scan(ctx, h, watch)
	if err == nil && h >= d.from {
		b.Ref.Parent = "not-the-block-below"
	}
	return b, err
}

// TestWatcher_NodeWhoseBlocksDisagreeEndsTheStep: such a node used to send Step round
// its reorg loop forever; the step now gives up with ErrUnavailable (Run backs off)
// and the cursor stays on the last block that agreed.
func TestWatcher_NodeWhoseBlocksDisagreeEndsTheStep(t *testing.T) {
	c := sim.New(net)
	c.Mine(5)
	var w *chains.Watcher
	w, _, s := setup(t, c, func(wc *chains.WatcherConfig) { wc.Backend = disagreeing{Chain: c, from: 1000} })
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	tip, _ := c.Tip(t.Context())
	w, _, _ = setupOn(t, s, disagreeing{Chain: c, from: tip.Height + 1})
	c.Mine(3)
	err := w.Step(t.Context())
	if !errors.Is(err, chains.ErrUnavailable) || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("a node whose blocks disagree: %v", err)
	}
	var cur chains.BlockRef
	s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		cur, _, err = tx.Cursor(ctx, net)
		return err
	})
	if cur.Height != tip.Height || cur.Hash != tip.Hash {
		t.Fatalf("cursor %+v, want the last agreeing block %+v", cur, tip)
	}
}

// setupOn is a watcher over store s and backend b.
func setupOn(t *testing.T, s storage.Store, b chains.Backend) (*chains.Watcher, *recorder, storage.Store) {
	t.Helper()
	rec := &recorder{batches: make(chan struct{}, 100)}
	w, err := chains.NewWatcher(chains.WatcherConfig{Backend: b, Assets: asset.Default(), Update: storage.Runner[chains.Tx](s.Update),
		View: storage.Runner[chains.Tx](s.View), Sink: rec, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return w, rec, s
}

// hookedScans runs hook once, at the first Scan after it is set.
type hookedScans struct {
	*sim.Chain
	hook func()
}

func (c *hookedScans) Scan(ctx context.Context, h uint64, watch chains.AddressSet) (chains.Block, error) {
	if f := c.hook; f != nil {
		c.hook = nil
		f()
	}
	return c.Chain.Scan(ctx, h, watch)
}

// TestWatcher_RescanNeverCountsConfirmationsBack: a Step that processes new blocks
// while a Rescan reads the chain (here, while it scans; on PostgreSQL, on another
// instance) has counted more confirmations than the tip the Rescan read; the Rescan
// must not save the transfer back with fewer (it moved money from available to
// pending). It counts from the watcher's cursor when that is ahead of its tip.
func TestWatcher_RescanNeverCountsConfirmationsBack(t *testing.T) {
	c := &hookedScans{Chain: sim.New(net)}
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w, rec, _ := setupOn(t, s, c)
	w.Watch("addr1")
	c.Mine(5)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	paid := c.Pay("addr1", "BTC", btc(7000))
	c.Mine(1)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.hook = func() { // the Rescan has read its tip: two blocks come and are processed
		c.Mine(2)
		if err := w.Step(t.Context()); err != nil {
			t.Error(err)
		}
	}
	if err := w.Rescan(t.Context(), []string{"addr1"}, 10); err != nil {
		t.Fatal(err)
	}
	if r, ok := rec.last(paid); !ok || r.Confirmations != 3 {
		t.Fatalf("after a Rescan beside a Step: %+v; want 3 confirmations", r)
	}
}

// observer records the Observer's calls.
type observer struct {
	mu                  sync.Mutex
	detected, confirmed []time.Duration
}

func (o *observer) Detected(_ chains.NetworkRef, d time.Duration) {
	o.mu.Lock()
	o.detected = append(o.detected, d)
	o.mu.Unlock()
}

func (o *observer) Confirmed(_ chains.NetworkRef, d time.Duration) {
	o.mu.Lock()
	o.confirmed = append(o.confirmed, d)
	o.mu.Unlock()
}

// TestWatcher_StatusAndObserver: Status says the height processed and the tip of the
// last step, and a failed step's error until one succeeds; the Observer hears a
// deposit first seen in a block (after the block's time), and each deposit's
// confirmation (after it was first seen), once each.
func TestWatcher_StatusAndObserver(t *testing.T) {
	c := sim.New(net)
	c.Mine(3)
	now := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC) // the sim chain's blocks are 10 minutes apart from midnight
	clock := func() time.Time { return now }
	obs := &observer{}
	w, _, _ := setup(t, c, func(wc *chains.WatcherConfig) { wc.Observer, wc.Now = obs, clock })
	w.Watch("addr1", "addr2")
	if st := w.Status(); !st.Stepped.IsZero() || st.Watched != 2 || st.Network != net {
		t.Fatalf("status before a step: %+v", st)
	}
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.Height != 3 || st.Tip != 3 || !st.Stepped.Equal(now) || st.Err != "" {
		t.Fatalf("status after a step: %+v", st)
	}

	c.Pay("addr1", "BTC", btc(5000)) // seen in the mempool first: no detection latency
	now = now.Add(time.Minute)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	mined := c.Mine(1)
	c.Pay("addr2", "BTC", btc(6000))
	c.Mine(1) // addr2's payment is first seen in this block
	now = now.Add(30 * time.Second)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.Height != 5 || st.Tip != 5 {
		t.Fatalf("status after two blocks: %+v", st)
	}
	obs.mu.Lock()
	detected, confirmed := append([]time.Duration(nil), obs.detected...), append([]time.Duration(nil), obs.confirmed...)
	obs.mu.Unlock()
	blockTime := mined.Time.Add(10 * time.Minute) // the block after mined
	if len(detected) != 1 || detected[0] != max(0, now.Sub(blockTime)) {
		t.Fatalf("detected %v, want one after the block's time (%v)", detected, now.Sub(blockTime))
	}
	if len(confirmed) != 2 || !slicesContain(confirmed, 30*time.Second) || !slicesContain(confirmed, 0) {
		t.Fatalf("confirmed %v, want 30s (seen in the mempool before) and 0 (seen confirmed)", confirmed)
	}

	c.SetOffline(true)
	now = now.Add(time.Minute)
	if err := w.Step(t.Context()); err == nil {
		t.Fatal("a step against an offline node succeeded")
	}
	if st := w.Status(); st.Err == "" || !st.Failed.Equal(now) || st.Height != 5 {
		t.Fatalf("status after a failed step: %+v", st)
	}
	c.SetOffline(false)
	if err := w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.Err != "" || !st.Failed.IsZero() {
		t.Fatalf("status after recovery: %+v", st)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.detected) != 1 || len(obs.confirmed) != 2 {
		t.Fatalf("steps with nothing new observed again: %v %v", obs.detected, obs.confirmed)
	}
}

func slicesContain(ds []time.Duration, d time.Duration) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}
