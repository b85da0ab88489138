package chaintest

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

// required is the number of confirmations the checks ask for the coin (and for our own
// transactions): enough to see a count go up before it is reached.
const required = 3

// env is a chain with a watcher following it over a SQLite database of its own.
type env struct {
	t     *testing.T
	ctx   context.Context
	c     *Chain
	net   chains.NetworkRef
	reg   *asset.Registry
	store *sqlite.Store
	w     *chains.Watcher
	sink  *sink
	log   *slog.Logger
}

// sink is a chains.Sink that keeps every change it is handed.
//
// NOTE: the watcher is only stepped from the test's goroutine, so it needs no lock.
type sink struct{ got []chains.Record }

func (s *sink) Changed(_ context.Context, _ chains.Tx, _ chains.NetworkRef, changed []chains.Record) error {
	s.got = append(s.got, changed...)
	return nil
}

// newEnv opens a database in t's temporary directory and starts a watcher on c's
// backend that requires `required` confirmations of the coin, and steps it once, so it
// follows the chain from its tip.
func newEnv(t *testing.T, c *Chain) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := &env{t: t, ctx: t.Context(), c: c, net: c.Backend.Network(), reg: asset.Default(), sink: &sink{}, log: log}
	if err := e.reg.SetConfirmations(c.Asset, required); err != nil {
		t.Fatalf("chaintest: Chain.Asset: %v", err)
	}
	store, err := sqlite.Open(e.ctx, filepath.Join(t.TempDir(), "chaintest.db"), sqlite.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e.store = store
	e.w, err = chains.NewWatcher(chains.WatcherConfig{Backend: c.Backend, Assets: e.reg,
		Update: storage.Runner[chains.Tx](store.Update), View: storage.Runner[chains.Tx](store.View), Sink: e.sink, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.step(); len(got) != 0 {
		t.Fatalf("the first step, with nothing watched, reported %+v", got)
	}
	return e
}

// step runs one watcher step and returns the records it changed.
func (e *env) step() []chains.Record {
	e.t.Helper()
	before := len(e.sink.got)
	if err := e.w.Step(e.ctx); err != nil {
		e.t.Fatalf("Watcher.Step: %v", err)
	}
	return slices.Clone(e.sink.got[before:])
}

// tip returns the backend's tip.
func (e *env) tip() chains.BlockRef {
	e.t.Helper()
	tip, err := e.c.Backend.Tip(e.ctx)
	if err != nil {
		e.t.Fatalf("Backend.Tip: %v", err)
	}
	return tip
}

// set returns a watched set of addrs, keyed the backend's way as the watcher's is.
func (e *env) set(addrs ...string) *chains.Set {
	k, _ := e.c.Backend.(chains.Keyer)
	return chains.NewKeyedSet(k, addrs...)
}

// scan returns the block at height with the transfers to watch.
func (e *env) scan(height uint64, watch chains.AddressSet) chains.Block {
	e.t.Helper()
	b, err := e.c.Backend.Scan(e.ctx, height, watch)
	if err != nil {
		e.t.Fatalf("Backend.Scan(%d): %v", height, err)
	}
	return b
}

// stored returns the stored payment records (not Out) for which keep is true.
func (e *env) stored(keep func(chains.Record) bool) []chains.Record {
	e.t.Helper()
	var all []chains.Record
	if err := e.store.View(e.ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		all, _, err = tx.ListTransfers(ctx, e.net.Mode, invoice.TransferFilter{Network: e.net.ID}, 1, 10_000)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return slices.DeleteFunc(all, not(keep))
}

// storedOut returns the stored record of our transaction txid at index (OutIndex or
// ConflictIndex).
func (e *env) storedOut(txid string, index uint32) (chains.Record, bool) {
	e.t.Helper()
	var r chains.Record
	var ok bool
	if err := e.store.View(e.ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		r, ok, err = tx.Transfer(ctx, e.net, txid, index)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return r, ok
}

// hasMempool reports whether the backend reports unconfirmed payments.
func (e *env) hasMempool() bool { return implements[chains.Mempool](e.c) }

// payments returns the records in rs of payments (not Out) made by transaction txid.
func payments(rs []chains.Record, txid string) []chains.Record {
	return slices.DeleteFunc(slices.Clone(rs), func(r chains.Record) bool { return r.Out || r.TxID != txid })
}

// ours returns the records in rs of our transaction txid at index.
func ours(rs []chains.Record, txid string, index uint32) []chains.Record {
	return slices.DeleteFunc(slices.Clone(rs), func(r chains.Record) bool { return !r.Out || r.TxID != txid || r.Index != index })
}

func byTx(txid string) func(chains.Record) bool {
	return func(r chains.Record) bool { return r.TxID == txid }
}

func byAddress(addr string) func(chains.Record) bool {
	return func(r chains.Record) bool { return r.To == addr }
}

func not(f func(chains.Record) bool) func(chains.Record) bool {
	return func(r chains.Record) bool { return !f(r) }
}

// wantSettled mines a block and checks that payment txid's record did not change
// (failing with what), and that it is the only record of the payment, in status st
// with conf confirmations. It returns the stored records.
func (e *env) wantSettled(txid, what string, st chains.Status, conf int) []chains.Record {
	e.t.Helper()
	e.c.Mine(1)
	if got := payments(e.step(), txid); len(got) != 0 {
		e.t.Fatalf("%s: %s", what, records(got))
	}
	recs := e.stored(byTx(txid))
	if len(recs) != 1 {
		e.t.Fatalf("%d stored records of the payment, want 1: %s", len(recs), records(recs))
	}
	wantStatus(e.t, recs[0], st, conf)
	return recs
}
