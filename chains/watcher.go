package chains

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassapay/kassa/asset"
)

// Status is where a watched transfer stands.
type Status string

const (
	// StatusMempool: seen unconfirmed.
	StatusMempool Status = "mempool"
	// StatusConfirming: in a block, fewer confirmations than required.
	StatusConfirming Status = "confirming"
	// StatusConfirmed: in a block with the required confirmations.
	StatusConfirmed Status = "confirmed"
	// StatusOrphaned: its block left the best chain; it may come back.
	StatusOrphaned Status = "orphaned"
	// StatusDropped: it left the mempool without being mined (replaced or
	// double-spent); it may come back if it is mined after all.
	StatusDropped Status = "dropped"
)

// Record is a transfer as the watcher stores it.
type Record struct {
	Network NetworkRef
	Transfer
	Status        Status
	Confirmations int // 0 in the mempool or when orphaned/dropped
	Required      int // confirmations required for this asset and amount
	SeenAt        time.Time
}

// Tx is the storage the watcher needs inside one transaction.
type Tx interface {
	// Cursor returns the last processed block, ok false before the first.
	Cursor(ctx context.Context, n NetworkRef) (b BlockRef, ok bool, err error)
	// SetCursor records the last processed block and remembers its hash.
	SetCursor(ctx context.Context, n NetworkRef, b BlockRef) error
	// BlockHash returns the stored hash of the processed block at height.
	BlockHash(ctx context.Context, n NetworkRef, height uint64) (hash string, ok bool, err error)
	// ForgetBlocksAbove deletes stored block hashes above height.
	ForgetBlocksAbove(ctx context.Context, n NetworkRef, height uint64) error
	// ForgetBlocksBelow deletes stored block hashes below height (pruning).
	ForgetBlocksBelow(ctx context.Context, n NetworkRef, height uint64) error
	// Transfer returns the record of txid:index, ok false if unknown.
	Transfer(ctx context.Context, n NetworkRef, txid string, index uint32) (r Record, ok bool, err error)
	// SaveTransfer inserts or updates a record (identity: network, mode, txid, index).
	SaveTransfer(ctx context.Context, r Record) error
	// OpenTransfers returns the records in StatusMempool or StatusConfirming.
	OpenTransfers(ctx context.Context, n NetworkRef) ([]Record, error)
	// TransfersAbove returns the records in blocks above height (any status but
	// mempool and dropped).
	TransfersAbove(ctx context.Context, n NetworkRef, height uint64) ([]Record, error)
	// WatchedAddresses returns every address to watch on n.
	WatchedAddresses(ctx context.Context, n NetworkRef) ([]string, error)
	// FollowTx records that our transaction t on n is to be followed (it is loaded by
	// FollowedTxs until UnfollowTx's time passes).
	FollowTx(ctx context.Context, n NetworkRef, t Sent) error
	// UnfollowTx stops following txid on n once after has passed (a reorg can still
	// take a confirmed transaction away until then).
	UnfollowTx(ctx context.Context, n NetworkRef, txid string, after time.Time) error
	// FollowedTxs returns our transactions on n still followed at now.
	FollowedTxs(ctx context.Context, n NetworkRef, now time.Time) ([]Sent, error)
	// WatchedSince returns when the oldest address still watched on n was handed out
	// (its invoice's creation); ok is false when none is watched.
	WatchedSince(ctx context.Context, n NetworkRef) (at time.Time, ok bool, err error)
}

// Sink receives the records whose status or confirmations changed, inside the
// transaction that changed them. An error rolls the whole step back; it will be retried.
type Sink interface {
	Changed(ctx context.Context, tx Tx, n NetworkRef, changed []Record) error
}

// Runner runs fn in a storage transaction (read-write or read-only).
type Runner[T any] func(ctx context.Context, fn func(ctx context.Context, tx T) error) error

// WatcherConfig configures a Watcher.
type WatcherConfig struct {
	Backend Backend
	Assets  *asset.Registry
	Update  Runner[Tx] // read-write transactions
	View    Runner[Tx] // read-only transactions
	Sink    Sink
	// StartHeight is where a fresh deployment starts scanning. 0 means the tip at the
	// first step (not genesis: a new merchant has nothing in old blocks), or, when
	// addresses were handed out before that step (invoices created while the node
	// was down), the first block less than FirstScanSlack older than the oldest of
	// them, so their payments are found.
	StartHeight uint64
	// SendConfirmations is how many confirmations our own transactions (Out records:
	// payouts) need to count as confirmed (default: the network's coin's).
	SendConfirmations int
	// KeepBlocks is how many processed block hashes are kept for reorg detection
	// (default 1000; the deepest reorg the watcher can follow).
	KeepBlocks uint64
	// PollInterval is the time between polls when the backend does not push (default
	// 10 s). MaxBackoff bounds the wait after errors (default 1 min).
	PollInterval, MaxBackoff time.Duration
	// ReloadInterval is how often Run reloads the watched set from storage (default
	// 10 min).
	ReloadInterval time.Duration
	// OnCommit is called after a transaction that handed changes to the Sink has
	// committed (the Gateway wakes its event dispatcher with it). Optional.
	OnCommit func()
	// Current, when set, is called before each Step and Rescan reads the chain: it
	// returns once the watched set holds every address storage had when it was called
	// (on a store several instances share, an address another instance handed out
	// reaches this one's set through a notification: Current waits until every
	// earlier one is applied). An error fails the Step, which is tried again: the
	// watcher never scans a block with a set it cannot vouch for. Optional.
	Current func(ctx context.Context) error
	// Observer hears of each deposit's detection and confirmation once its
	// transaction committed (the Gateway's metrics). Optional.
	Observer Observer
	Now      func() time.Time
	Logger   *slog.Logger
}

// Observer hears how fast deposits are seen and credited.
type Observer interface {
	// Detected: a deposit was first seen in a block, after the block's timestamp.
	Detected(n NetworkRef, afterBlock time.Duration)
	// Confirmed: a deposit reached its confirmations, after it was first seen.
	Confirmed(n NetworkRef, afterSeen time.Duration)
}

// WatcherStatus is what a watcher saw at its last step: health checks and metrics
// read it.
type WatcherStatus struct {
	Network NetworkRef
	// Height is the last block processed, Tip the node's best block then.
	Height, Tip uint64
	// Stepped is when a step last succeeded (zero before the first).
	Stepped time.Time
	// Err is why the last step failed, and Failed when; both empty once a step
	// succeeds again.
	Err     string
	Failed  time.Time
	Watched int
}

// DefaultPollInterval is WatcherConfig.PollInterval's default.
const DefaultPollInterval = 10 * time.Second

// FirstScanSlack is how much older than the oldest watched address a fresh
// deployment's first scan may start: block timestamps may run behind real time (on
// Bitcoin up to about two hours).
const FirstScanSlack = 2 * time.Hour

// firstHeight is where a watcher without a cursor starts: the tip, or the lowest
// block not older than the oldest watched address minus FirstScanSlack. It looks
// back from the tip in doubling steps, then bisects, so it reads O(log n) recent
// blocks (a pruned node keeps those).
func (w *Watcher) firstHeight(ctx context.Context, tip BlockRef) (uint64, error) {
	var since time.Time
	var found bool
	if err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		since, found, err = tx.WatchedSince(ctx, w.net)
		return err
	}); err != nil {
		return 0, err
	}
	from := since.Add(-FirstScanSlack)
	if !found || tip.Time.Before(from) {
		return tip.Height, nil
	}
	none := w.newSet()
	timeAt := func(h uint64) (time.Time, error) {
		b, err := w.cfg.Backend.Scan(ctx, h, none)
		return b.Ref.Time, err
	}
	// Find lo < hi with block lo older than from (or genesis) and block hi not.
	hi, lo := tip.Height, tip.Height
	for step := uint64(1); ; step *= 2 {
		if lo == 0 {
			break
		}
		lo = hi - min(step, hi)
		t, err := timeAt(lo)
		if err != nil {
			return 0, err
		}
		if t.Before(from) {
			break
		}
		hi = lo
	}
	if lo == hi { // genesis is not older than from
		return 0, nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		t, err := timeAt(mid)
		if err != nil {
			return 0, err
		}
		if t.Before(from) {
			lo = mid
		} else {
			hi = mid
		}
	}
	w.cfg.Logger.InfoContext(ctx, "chains: addresses were handed out before the first scan; starting below them",
		"network", w.net, "oldest", since, "from", hi, "tip", tip.Height)
	return hi, nil
}

// Watcher follows one network.
//
// NOTE: Step and Rescan are serialised by the watcher itself (Run steps in its own
// goroutine while Gateway.Rescan may be called from a request). Watch may be called at
// any time.
type Watcher struct {
	cfg   WatcherConfig
	net   NetworkRef
	watch *Set

	// reloadMu guards the adds made while a Reload reads storage, so that replacing
	// the set does not lose an address watched in between.
	reloadMu      sync.Mutex
	reloading     int
	addedSince    []string
	removedSince  []string
	followedSince []Sent
	// suspect is set when one of our transactions left the chain or the mempool (and
	// at start): doomed looks for those that can never confirm.
	suspect atomic.Bool

	// stepMu serialises Step and Rescan; notified is set by notify inside a
	// transaction and read by update after it committed, under stepMu, as are
	// observed (the Observer's calls, made once the transaction committed).
	stepMu   sync.Mutex
	notified bool
	observed []func()

	statusMu sync.Mutex
	status   WatcherStatus
}

// Status returns what the watcher saw at its last step.
func (w *Watcher) Status() WatcherStatus {
	w.statusMu.Lock()
	defer w.statusMu.Unlock()
	st := w.status
	st.Network, st.Watched = w.net, w.watch.Len()
	return st
}

// progress records the height a step has reached, while it catches up.
func (w *Watcher) progress(height, tip uint64) {
	w.statusMu.Lock()
	w.status.Height, w.status.Tip = height, tip
	w.statusMu.Unlock()
}

// stepped records the outcome of a step: the height processed and the tip, or err.
func (w *Watcher) stepped(height, tip uint64, err error) {
	w.statusMu.Lock()
	defer w.statusMu.Unlock()
	if err != nil {
		w.status.Err, w.status.Failed = err.Error(), w.cfg.Now()
		return
	}
	w.status.Height, w.status.Tip, w.status.Stepped = height, tip, w.cfg.Now()
	w.status.Err, w.status.Failed = "", time.Time{}
}

// update runs fn in a read-write transaction and calls OnCommit if fn handed changes
// to the sink and the transaction committed.
func (w *Watcher) update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	err := w.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		// A store may run fn again (a serialization failure): only the last run's
		// notifications and observations count.
		w.notified, w.observed = false, w.observed[:0]
		return fn(ctx, tx)
	})
	if err == nil && w.notified && w.cfg.OnCommit != nil {
		w.cfg.OnCommit()
	}
	if err == nil {
		for _, f := range w.observed {
			f()
		}
	}
	w.notified, w.observed = false, w.observed[:0]
	return err
}

// NewWatcher returns a watcher. Call Reload (or Run, which does) before the first Step.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	if cfg.Backend == nil || cfg.Assets == nil || cfg.Update == nil || cfg.View == nil || cfg.Sink == nil {
		return nil, errors.New("chains: watcher needs Backend, Assets, Update, View and Sink")
	}
	if cfg.KeepBlocks == 0 {
		cfg.KeepBlocks = 1000
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.ReloadInterval <= 0 {
		cfg.ReloadInterval = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Watcher{cfg: cfg, net: cfg.Backend.Network()}
	w.watch = w.newSet()
	w.suspect.Store(true)
	return w, nil
}

// newSet returns a set keyed the backend's way, if it has one.
func (w *Watcher) newSet(addrs ...string) *Set {
	k, _ := w.cfg.Backend.(Keyer)
	return NewKeyedSet(k, addrs...)
}

// Network returns the watched network.
func (w *Watcher) Network() NetworkRef { return w.net }

// Watch adds addresses to the watched set (for example a new invoice's, after its
// creation committed).
func (w *Watcher) Watch(addrs ...string) {
	w.reloadMu.Lock()
	defer w.reloadMu.Unlock()
	w.watch.Add(addrs...)
	if w.reloading > 0 {
		w.addedSince = append(w.addedSince, addrs...)
	}
}

// Unwatch removes addresses from the watched set (an invoice past its monitoring
// window, once that commits).
func (w *Watcher) Unwatch(addrs ...string) {
	w.reloadMu.Lock()
	defer w.reloadMu.Unlock()
	w.watch.Remove(addrs...)
	if w.reloading > 0 {
		w.removedSince = append(w.removedSince, addrs...)
	}
}

// Follow adds a transaction of ours to follow to its confirmations (a payout just
// broadcast, after that commits): the backend reports it, and those that spend its
// inputs, as Out records.
func (w *Watcher) Follow(t Sent) {
	w.reloadMu.Lock()
	defer w.reloadMu.Unlock()
	w.watch.Follow(t.TxID, t.Inputs...)
	if w.reloading > 0 {
		w.followedSince = append(w.followedSince, t)
	}
}

// ReloadFollowed adds the transactions of ours that storage says are followed (one
// that another instance broadcast): cheaper than Reload, which reads every address.
func (w *Watcher) ReloadFollowed(ctx context.Context) error {
	var sent []Sent
	if err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		sent, err = tx.FollowedTxs(ctx, w.net, w.cfg.Now())
		return err
	}); err != nil {
		return err
	}
	for _, t := range sent {
		w.Follow(t)
	}
	return nil
}

// Watched returns the number of watched addresses.
func (w *Watcher) Watched() int { return w.watch.Len() }

// Reload replaces the watched set with what storage says should be watched.
//
// NOTE: addresses passed to Watch while Reload reads storage are kept, and those
// passed to Unwatch are dropped, whether or not the read saw them.
func (w *Watcher) Reload(ctx context.Context) error {
	w.reloadMu.Lock()
	w.reloading++
	w.reloadMu.Unlock()
	var addrs []string
	var sent []Sent
	err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if addrs, err = tx.WatchedAddresses(ctx, w.net); err != nil {
			return err
		}
		sent, err = tx.FollowedTxs(ctx, w.net, w.cfg.Now())
		return err
	})
	w.reloadMu.Lock()
	defer w.reloadMu.Unlock()
	w.reloading--
	if err == nil {
		w.watch.Replace(append(addrs, w.addedSince...), append(sent, w.followedSince...))
		w.watch.Remove(w.removedSince...)
	}
	if w.reloading == 0 {
		w.addedSince, w.removedSince, w.followedSince = nil, nil, nil
	}
	return err
}

// Step does one poll: mempool, new blocks (following reorgs), confirmations. It returns
// ErrUnavailable (wrapped) when the node cannot be reached; nothing is lost, the next
// Step continues from the stored cursor.
func (w *Watcher) Step(ctx context.Context) error {
	height, tip, err := w.step(ctx)
	if err == nil || ctx.Err() == nil { // a step cut short by its context says nothing of the node
		w.stepped(height, tip, err)
	}
	return err
}

// step is Step; it returns the last block processed and the node's tip.
func (w *Watcher) step(ctx context.Context) (height, tipHeight uint64, err error) {
	if err := w.current(ctx); err != nil {
		return 0, 0, err
	}
	w.stepMu.Lock()
	defer w.stepMu.Unlock()
	var pending []Transfer
	mp, hasMempool := w.cfg.Backend.(Mempool)
	if hasMempool {
		if pending, err = mp.Pending(ctx, w.watch); err != nil {
			return 0, 0, fmt.Errorf("%s: mempool: %w", w.net, unavailable(err))
		}
	}
	tip, err := w.cfg.Backend.Tip(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: tip: %w", w.net, unavailable(err))
	}
	cur, ok, err := w.cursor(ctx)
	if err != nil {
		return 0, 0, err
	}
	height = cur.Height
	next := cur.Height + 1
	if ok && (tip.Height < cur.Height || (tip.Height == cur.Height && tip.Hash != cur.Hash)) {
		// The node's best chain is shorter than what we processed, or ends in another
		// block at our height: the blocks above the fork are gone. Rewind now rather
		// than when the chain grows past our cursor again.
		fork, err := w.findFork(ctx, tip.Height)
		if err != nil {
			return 0, 0, err
		}
		if err := w.rewind(ctx, fork); err != nil {
			return 0, 0, err
		}
		next, height = fork+1, fork
	}
	if !ok {
		next = w.cfg.StartHeight
		if next == 0 {
			if next, err = w.firstHeight(ctx, tip); err != nil {
				return 0, 0, fmt.Errorf("%s: first scan: %w", w.net, unavailable(err))
			}
		}
		w.cfg.Logger.InfoContext(ctx, "chains: first scan", "network", w.net, "from", next, "tip", tip.Height)
	}
	if tip.Height >= next && tip.Height-next > 10 {
		w.cfg.Logger.InfoContext(ctx, "chains: catching up", "network", w.net, "from", next, "to", tip.Height, "blocks", tip.Height-next+1)
	}
	reorgs := 0
	for h := next; h <= tip.Height; h++ {
		blk, err := w.cfg.Backend.Scan(ctx, h, w.watch)
		if errors.Is(err, ErrNoBlock) {
			break // the chain got shorter since Tip (a reorg); the next step sees it
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: scan %d: %w", w.net, h, unavailable(err))
		}
		fork, reorg, err := w.applyBlock(ctx, blk, tip)
		if err != nil {
			return 0, 0, err
		}
		height = h
		w.progress(h, tip.Height)
		if reorg {
			// A node whose answers keep disagreeing (blocks of two branches behind one
			// load balancer) would send this loop round forever: give the step up and
			// let Run back off.
			if reorgs++; reorgs > maxReorgsPerStep {
				return 0, 0, fmt.Errorf("%s: %w: %d reorgs in one step (last fork at %d): the node's blocks disagree with each other",
					w.net, ErrUnavailable, reorgs, fork)
			}
			h, height = fork, fork // the loop's h++ continues at fork+1 on the new chain
		}
		if (h-next)%1000 == 999 {
			w.cfg.Logger.InfoContext(ctx, "chains: scanning", "network", w.net, "height", h, "tip", tip.Height)
		}
	}
	doomed, err := w.doomed(ctx, pending, hasMempool)
	if err != nil {
		return 0, 0, err
	}
	return height, tip.Height, w.settle(ctx, tip, pending, hasMempool, doomed)
}

// InputChecker is implemented by UTXO backends (bitcoin): Missing returns those of
// outs that no longer exist unspent, on the chain or in the mempool (spent by another
// transaction, or their own transaction gone: a deposit double-spent away by a reorg).
type InputChecker interface {
	Missing(ctx context.Context, outs []OutPoint) ([]OutPoint, error)
}

// doomed returns our followed transactions that can never confirm: neither in the
// mempool nor in a block, with an input that no longer exists (InputChecker). It
// looks only after one of ours left the chain or the mempool (suspect), so it costs
// nothing while everything confirms. The node is asked outside any storage
// transaction.
func (w *Watcher) doomed(ctx context.Context, pending []Transfer, hasMempool bool) ([]Sent, error) {
	ic, ok := w.cfg.Backend.(InputChecker)
	if !ok || !w.watch.Following() || !w.suspect.Load() {
		return nil, nil
	}
	inPool := map[string]bool{}
	for _, t := range pending {
		if t.Out && t.Index == OutIndex {
			inPool[t.TxID] = true
		}
	}
	var suspects []Sent
	err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		followed, err := tx.FollowedTxs(ctx, w.net, w.cfg.Now())
		if err != nil {
			return err
		}
		for _, f := range followed {
			if len(f.Inputs) == 0 || inPool[f.TxID] {
				continue
			}
			r, ok, err := tx.Transfer(ctx, w.net, f.TxID, OutIndex)
			if err != nil {
				return err
			}
			if (!ok && !hasMempool) || (ok && r.Status != StatusOrphaned && r.Status != StatusDropped) {
				continue // seen, or never reported (no mempool to say it was accepted)
			}
			c, ok, err := tx.Transfer(ctx, w.net, f.TxID, ConflictIndex)
			if err != nil {
				return err
			}
			if ok && c.Status == StatusConfirming {
				continue // recorded; counting its confirmations
			}
			suspects = append(suspects, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(suspects) == 0 {
		w.suspect.Store(false)
		return nil, nil
	}
	var out []Sent
	for _, f := range suspects {
		missing, err := ic.Missing(ctx, f.Inputs)
		if err != nil {
			return nil, fmt.Errorf("%s: check inputs of %s: %w", w.net, f.TxID, unavailable(err))
		}
		if len(missing) > 0 {
			w.cfg.Logger.WarnContext(ctx, "chains: a transaction of ours can never confirm: an input no longer exists",
				"network", w.net, "tx", f.TxID, "input", missing[0].TxID, "index", missing[0].Index)
			out = append(out, f)
		}
	}
	return out, nil
}

func (w *Watcher) cursor(ctx context.Context) (BlockRef, bool, error) {
	var b BlockRef
	var ok bool
	err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		b, ok, err = tx.Cursor(ctx, w.net)
		return err
	})
	return b, ok, err
}

// applyBlock records blk if it extends our chain. If its parent is not the block we
// processed at the height below, it finds the fork point, orphans what was above it and
// returns the fork height with reorg true.
func (w *Watcher) applyBlock(ctx context.Context, blk Block, tip BlockRef) (fork uint64, reorg bool, err error) {
	h := blk.Ref.Height
	var mismatch bool
	err = w.update(ctx, func(ctx context.Context, tx Tx) error {
		if h > 0 {
			prev, ok, err := tx.BlockHash(ctx, w.net, h-1)
			if err != nil {
				return err
			}
			if ok && prev != blk.Ref.Parent {
				mismatch = true
				return nil
			}
		}
		changed, err := w.observeAll(ctx, tx, blk.Transfers, blk.Ref, tip)
		if err != nil {
			return err
		}
		if err := tx.SetCursor(ctx, w.net, blk.Ref); err != nil {
			return err
		}
		if h > w.cfg.KeepBlocks {
			if err := tx.ForgetBlocksBelow(ctx, w.net, h-w.cfg.KeepBlocks); err != nil {
				return err
			}
		}
		return w.notify(ctx, tx, changed)
	})
	if err != nil || !mismatch {
		return 0, false, err
	}
	fork, err = w.findFork(ctx, h-1)
	if err != nil {
		return 0, false, err
	}
	return fork, true, w.rewind(ctx, fork)
}

// maxReorgsPerStep bounds the reorgs one Step follows.
const maxReorgsPerStep = 8

// deepReorgRescan is how far below its kept history the watcher rescans when a reorg
// reaches past it.
const deepReorgRescan = 100

// findFork walks back from height to the highest block whose stored hash the backend
// still has at that height.
func (w *Watcher) findFork(ctx context.Context, height uint64) (uint64, error) {
	empty := w.newSet()
	for k := height; ; k-- {
		var stored string
		var ok bool
		err := w.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			stored, ok, err = tx.BlockHash(ctx, w.net, k)
			return err
		})
		if err != nil {
			return 0, err
		}
		if !ok {
			// Older than our history (a fresh start at the tip, or pruned): the fork
			// is somewhere below, where nothing can be compared. Rescan from
			// deepReorgRescan blocks lower; transfers are keyed, so blocks seen again
			// credit nothing twice, and payments the new branch mined down there are
			// found.
			from := uint64(0)
			if k > deepReorgRescan {
				from = k - deepReorgRescan
			}
			w.cfg.Logger.WarnContext(ctx, "chains: reorg deeper than kept history", "network", w.net, "height", k, "rescan_from", from)
			return from, nil
		}
		b, err := w.cfg.Backend.Scan(ctx, k, empty)
		if err != nil {
			return 0, fmt.Errorf("%s: scan %d during reorg: %w", w.net, k, unavailable(err))
		}
		if b.Ref.Hash == stored {
			w.cfg.Logger.WarnContext(ctx, "chains: reorg", "network", w.net, "fork", k, "depth", height-k+1)
			return k, nil
		}
		if k == 0 {
			return 0, fmt.Errorf("%s: reorg reaches genesis", w.net)
		}
	}
}

// rewind orphans every transfer above fork and moves the cursor back to it.
func (w *Watcher) rewind(ctx context.Context, fork uint64) error {
	return w.update(ctx, func(ctx context.Context, tx Tx) error {
		recs, err := tx.TransfersAbove(ctx, w.net, fork)
		if err != nil {
			return err
		}
		var changed []Record
		for _, r := range recs {
			if r.Status == StatusOrphaned {
				continue
			}
			r.Status, r.Confirmations = StatusOrphaned, 0
			if err := tx.SaveTransfer(ctx, r); err != nil {
				return err
			}
			if r.Out {
				w.suspect.Store(true)
			}
			changed = append(changed, r)
		}
		if err := tx.ForgetBlocksAbove(ctx, w.net, fork); err != nil {
			return err
		}
		hash, _, err := tx.BlockHash(ctx, w.net, fork)
		if err != nil {
			return err
		}
		if err := tx.SetCursor(ctx, w.net, BlockRef{Height: fork, Hash: hash}); err != nil {
			return err
		}
		return w.notify(ctx, tx, changed)
	})
}

// observe records transfer t seen in block b (or in the mempool when b is zero) and
// returns the record if anything about it changed.
func (w *Watcher) observe(ctx context.Context, tx Tx, t Transfer, b BlockRef, tip BlockRef) (*Record, error) {
	if t.Out {
		if t.Amount == nil {
			t.Amount = new(big.Int)
		}
		if t.Asset == "" { // fees are paid in the network's coin
			n, _ := w.cfg.Assets.Network(w.net.ID)
			native, err := w.cfg.Assets.Parse(n.Native, string(n.ID))
			if err != nil {
				return nil, err
			}
			t.Asset = native.Code
		}
	} else if t.Amount == nil || t.Amount.Sign() <= 0 {
		return nil, nil // nothing arrives: not money
	}
	a, err := w.cfg.Assets.Get(t.Asset)
	if err != nil {
		w.cfg.Logger.WarnContext(ctx, "chains: transfer of unknown asset ignored", "network", w.net, "asset", t.Asset, "tx", t.Key())
		return nil, nil
	}
	old, ok, err := tx.Transfer(ctx, w.net, t.TxID, t.Index)
	if err != nil {
		return nil, err
	}
	r := Record{Network: w.net, Transfer: t, SeenAt: w.cfg.Now().UTC()}
	r.Transfer.Amount = new(big.Int).Set(t.Amount)
	if ok {
		r.SeenAt = old.SeenAt
		r.From = cmp.Or(t.From, old.From) // a later sighting that does not know the payer keeps it
		switch {
		case t.Out && t.Amount.Sign() == 0:
			r.Transfer.Amount = old.Amount // the fee is known once mined: keep it
		case t.Out:
		case old.Amount.Cmp(t.Amount) != 0 || old.To != t.To || old.Asset != t.Asset:
			// The same outpoint cannot carry other money; a backend bug or a hostile node.
			return nil, fmt.Errorf("%s: transfer %s changed content (%s %s -> %s %s)", w.net, t.Key(), old.Amount, old.Asset, t.Amount, t.Asset)
		}
	}
	r.Required = a.ConfirmationsFor(a.FromBaseUnits(t.Amount))
	if t.Out {
		r.Required = w.cfg.SendConfirmations
		if r.Required <= 0 {
			r.Required = a.Confirmations
		}
	}
	r.Block = b
	if b.Hash == "" {
		if ok && (old.Status == StatusConfirming || old.Status == StatusConfirmed) {
			return nil, nil // mined already; the mempool view is stale
		}
		r.Status, r.Confirmations = StatusMempool, 0
	} else {
		r.Confirmations = confirmations(tip.Height, b.Height)
		r.Status = StatusConfirming
		if r.Confirmations >= r.Required {
			r.Status = StatusConfirmed
		}
	}
	if ok && old.Status == r.Status && old.Confirmations == r.Confirmations && old.Block.Hash == r.Block.Hash &&
		old.Amount.Cmp(r.Amount) == 0 && old.Failed == r.Failed {
		return nil, nil
	}
	if err := tx.SaveTransfer(ctx, r); err != nil {
		return nil, err
	}
	if o := w.cfg.Observer; o != nil && !t.Out {
		now := w.cfg.Now()
		if !ok && b.Hash != "" && !b.Time.IsZero() {
			after := max(0, now.Sub(b.Time))
			w.observed = append(w.observed, func() { o.Detected(w.net, after) })
		}
		if r.Status == StatusConfirmed && (!ok || old.Status != StatusConfirmed) {
			after := max(0, now.Sub(r.SeenAt))
			w.observed = append(w.observed, func() { o.Confirmed(w.net, after) })
		}
	}
	return &r, nil
}

// observeAll observes every transfer of one block (or of the mempool) and returns the
// records that changed.
func (w *Watcher) observeAll(ctx context.Context, tx Tx, ts []Transfer, b, tip BlockRef) ([]Record, error) {
	var changed []Record
	for _, t := range ts {
		r, err := w.observe(ctx, tx, t, b, tip)
		if err != nil {
			return nil, err
		}
		if r != nil {
			changed = append(changed, *r)
		}
	}
	return changed, nil
}

// notify hands changed records to the sink, in the transaction that changed them.
func (w *Watcher) notify(ctx context.Context, tx Tx, changed []Record) error {
	if len(changed) == 0 {
		return nil
	}
	w.notified = true
	return w.cfg.Sink.Changed(ctx, tx, w.net, changed)
}

func confirmations(tip, height uint64) int {
	if height > tip {
		return 0
	}
	return int(tip - height + 1)
}

// settle records mempool transfers, drops mempool records that left the mempool,
// records a conflict for each of our doomed transactions (counted from the tip), and
// recounts confirmations of open transfers from the tip.
func (w *Watcher) settle(ctx context.Context, tip BlockRef, pending []Transfer, hasMempool bool, doomed []Sent) error {
	return w.update(ctx, func(ctx context.Context, tx Tx) error {
		inPool := map[string]bool{}
		for _, t := range pending {
			inPool[t.Key()] = true
		}
		changed, err := w.observeAll(ctx, tx, pending, BlockRef{}, tip)
		if err != nil {
			return err
		}
		var conflicts []Transfer
		for _, f := range doomed {
			conflicts = append(conflicts, Transfer{Out: true, TxID: f.TxID, Index: ConflictIndex, Block: tip})
		}
		more, err := w.observeAll(ctx, tx, conflicts, tip, tip)
		if err != nil {
			return err
		}
		changed = append(changed, more...)
		open, err := tx.OpenTransfers(ctx, w.net)
		if err != nil {
			return err
		}
		for _, r := range open {
			switch r.Status {
			case StatusMempool:
				if !hasMempool || inPool[r.Key()] {
					continue
				}
				r.Status = StatusDropped
				if r.Out {
					w.suspect.Store(true)
				}
			case StatusConfirming:
				c := confirmations(tip.Height, r.Block.Height)
				if c == r.Confirmations {
					continue
				}
				r.Confirmations = c
				if c >= r.Required {
					r.Status = StatusConfirmed
				}
			default:
				continue
			}
			if err := tx.SaveTransfer(ctx, r); err != nil {
				return err
			}
			changed = append(changed, r)
		}
		return w.notify(ctx, tx, changed)
	})
}

// Rescan scans the last depth blocks up to the cursor for transfers to addrs only (the
// checkout's "I have paid" button, or an address added after its payment was mined). It
// records what it finds like any scan. It holds the watcher's lock only while it
// records a block, never while it reads one from the node, so Step is not starved.
func (w *Watcher) Rescan(ctx context.Context, addrs []string, depth uint64) error {
	return w.rescan(ctx, w.newSet(addrs...), depth)
}

// RescanWatched is Rescan for every address the watcher watches: after a time in which
// some addresses may have been missing from its set (another instance handed them
// out while this one could not hear of it), the last depth blocks are read again with
// the whole set. A block's scan costs the same whatever the set's size.
func (w *Watcher) RescanWatched(ctx context.Context, depth uint64) error {
	return w.rescan(ctx, w.watch, depth)
}

// current makes the watched set current (WatcherConfig.Current), before stepMu is
// taken: what it waits for may itself need the watcher.
func (w *Watcher) current(ctx context.Context) error {
	if w.cfg.Current == nil {
		return nil
	}
	if err := w.cfg.Current(ctx); err != nil {
		return fmt.Errorf("%s: %w: the watched set may lack addresses handed out elsewhere: %v", w.net, ErrUnavailable, err)
	}
	return nil
}

func (w *Watcher) rescan(ctx context.Context, set AddressSet, depth uint64) error {
	if err := w.current(ctx); err != nil {
		return err
	}
	cur, ok, err := w.cursor(ctx)
	if err != nil || !ok {
		return err
	}
	tip, err := w.cfg.Backend.Tip(ctx)
	if err != nil {
		return fmt.Errorf("%s: tip: %w", w.net, unavailable(err))
	}
	from := uint64(0)
	if cur.Height+1 > depth {
		from = cur.Height + 1 - depth
	}
	for h := from; h <= cur.Height; h++ {
		blk, err := w.cfg.Backend.Scan(ctx, h, set)
		if err != nil {
			return fmt.Errorf("%s: rescan %d: %w", w.net, h, unavailable(err))
		}
		if len(blk.Transfers) == 0 {
			continue
		}
		w.stepMu.Lock()
		err = w.update(ctx, func(ctx context.Context, tx Tx) error {
			stored, ok, err := tx.BlockHash(ctx, w.net, h)
			if err != nil || (ok && stored != blk.Ref.Hash) {
				return err // no longer the block we processed there: a reorg is under way; Step handles it
			}
			// A Step may have processed newer blocks since tip was read (in this process
			// between two of these transactions, or on another instance): count from
			// its cursor then, never fewer confirmations than it recorded. (Cursor locks
			// the cursor's row on PostgreSQL, so a Step on another instance waits.)
			at := tip
			if cur, ok, err := tx.Cursor(ctx, w.net); err != nil {
				return err
			} else if ok && cur.Height > at.Height {
				at = cur
			}
			changed, err := w.observeAll(ctx, tx, blk.Transfers, blk.Ref, at)
			if err != nil {
				return err
			}
			return w.notify(ctx, tx, changed)
		})
		w.stepMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// Run reloads the watched set and steps until ctx ends: on every pushed block when the
// backend is a Notifier, and every PollInterval in any case. While the node is down it
// backs off exponentially up to MaxBackoff; nothing is missed once it is back because
// every step resumes from the stored cursor.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.Reload(ctx); err != nil {
		return err
	}
	var pushed <-chan BlockRef
	subscribe := func() {
		if n, ok := w.cfg.Backend.(Notifier); ok && pushed == nil {
			if ch, err := n.NewBlocks(ctx); err == nil {
				pushed = ch
			}
		}
	}
	subscribe()
	backoff := time.Duration(0)
	timer := time.NewTimer(0)
	defer timer.Stop()
	reload := time.NewTicker(w.cfg.ReloadInterval)
	defer reload.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-reload.C:
			// Drop addresses that left their monitoring window.
			if err := w.Reload(ctx); err != nil && ctx.Err() == nil {
				w.cfg.Logger.WarnContext(ctx, "chains: reloading watched addresses", "network", w.net, "err", err)
			}
			continue
		case _, ok := <-pushed:
			if !ok {
				pushed = nil
				continue
			}
		case <-timer.C:
		}
		err := w.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			backoff = min(max(2*backoff, time.Second), w.cfg.MaxBackoff)
			w.cfg.Logger.WarnContext(ctx, "chains: step failed; retrying", "network", w.net, "in", backoff, "err", err)
			pushed = nil
			timer.Reset(backoff)
		default:
			backoff = 0
			subscribe()
			timer.Reset(w.cfg.PollInterval)
		}
	}
}

func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}
