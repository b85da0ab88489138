package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/kassapay/kassa/storage"
)

// Group commit.
//
// SQLite has one writer, and with synchronous=FULL every commit waits for an fsync of
// the write-ahead log, which costs more than the statements of a typical Update. So
// read-write transactions that arrive while another runs share its commit: the writer
// keeps one SQLite transaction open (a batch), and each Update runs fn inside it under
// a savepoint of its own, one caller at a time.
//
//   - Each caller succeeds or fails alone: fn's error (or panic) rolls back to its
//     savepoint, which undoes its writes and nothing else.
//   - Nothing is acknowledged before it is durable: every member of a batch waits for
//     the batch's COMMIT to return before Update returns (and before its AfterCommit
//     hooks run), so synchronous=FULL means what it meant.
//   - A batch ends when no other caller is waiting for the writer (so a lone caller
//     commits at once, as before), or when it has maxBatch members.
//   - If the batch cannot commit, or its transaction ended under it (SQLite rolls a
//     whole transaction back on some I/O errors), nobody's work is kept: each member
//     runs fn again in a transaction of its own, and only that outcome is reported.
//     Update's contract already allows fn to run more than once.
//   - fn sees the writes of the members before it in the batch, exactly as it would
//     had they committed one by one before it: the result is the same as some serial
//     order of the Updates.
//
// Statements inside a batch run to their end even if the caller's context is
// cancelled meanwhile (see conn): interrupting a write makes SQLite roll back the
// whole transaction, and with it the other members' work. The context still bounds
// the wait for the writer.

// maxBatch bounds how many Updates share one commit, and so how long the first of them
// waits for it.
const maxBatch = 64

// errRetryAlone tells a member that its batch did not commit: it runs fn again alone.
var errRetryAlone = errors.New("sqlite: batch did not commit")

// errBatchBroken is a batch's outcome when its transaction ended under it.
var errBatchBroken = errors.New("sqlite: transaction ended inside a batch")

// batch is one open SQLite transaction shared by the Updates that join it.
type batch struct {
	tx      *sql.Tx
	cancel  context.CancelFunc // releases the transaction's context once it ended
	members int
	done    chan struct{} // closed once err is set
	err     error         // nil: committed
}

// acquire takes the writer, or gives up when ctx ends. A caller that gives up and
// was the last one waiting makes sure no batch is left open for it (see settle).
func (s *Store) acquire(ctx context.Context) error {
	s.waiting.Add(1)
	select {
	case s.sem <- struct{}{}:
		s.waiting.Add(-1)
		if ctx.Err() == nil {
			return nil
		}
		s.settleLocked()
		<-s.sem
		return ctx.Err()
	case <-ctx.Done():
		if s.waiting.Add(-1) == 0 {
			// The holder may have left the batch open because we were waiting.
			s.sem <- struct{}{}
			s.settleLocked()
			<-s.sem
		}
		return ctx.Err()
	}
}

// settleLocked commits the open batch if nobody is waiting to join it. The caller holds
// the writer.
func (s *Store) settleLocked() {
	if s.cur != nil && s.waiting.Load() == 0 {
		s.finishLocked(false)
	}
}

// finishLocked ends the open batch: commits it, or rolls it back when broken, and
// tells its members. The caller holds the writer.
func (s *Store) finishLocked(broken bool) {
	b := s.cur
	s.cur = nil
	if broken {
		_ = b.tx.Rollback()
		b.err = errBatchBroken
	} else if err := b.tx.Commit(); err != nil {
		b.err = fmt.Errorf("sqlite: commit: %w", err)
	} else {
		s.commits.Add(1)
		s.wakeCheckpoints()
	}
	b.cancel()
	close(b.done)
	s.stmts.fill(context.Background())
}

// begin opens a batch. Waiting for the connection (in memory, a View may hold it)
// ends with ctx; the transaction, once open, outlives it: other members share it.
func (s *Store) begin(ctx context.Context) (*batch, error) {
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	t, err := s.w.BeginTx(tctx, nil)
	if !stop() {
		// ctx ended while beginning: the transaction, if any, is being rolled back.
		if err == nil {
			_ = t.Rollback()
		}
		cancel()
		return nil, fmt.Errorf("sqlite: begin: %w", ctx.Err())
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	return &batch{tx: t, cancel: cancel, done: make(chan struct{})}, nil
}

// update runs fn as a member of the open batch (or of a new one), and when that batch
// does not commit, once more in a transaction of its own.
func (s *Store) update(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	err := s.member(ctx, fn, false)
	if errors.Is(err, errRetryAlone) {
		s.retries.Add(1)
		err = s.member(ctx, fn, true)
	}
	return err
}

// member runs fn under a savepoint of the open batch and waits for the batch's
// outcome. alone makes a batch of one: the open batch (if any) is committed first, and
// fn's is committed right after it.
func (s *Store) member(ctx context.Context, fn func(context.Context, storage.Tx) error, alone bool) (err error) {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	held := true
	defer func() {
		if held {
			<-s.sem
		}
	}()
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if alone && s.cur != nil {
		s.finishLocked(false)
	}
	if s.cur == nil {
		b, err := s.begin(ctx)
		if err != nil {
			return err
		}
		s.cur = b
	}
	b := s.cur
	bg := context.Background()
	if _, err := b.tx.ExecContext(bg, "SAVEPOINT member"); err != nil {
		s.finishLocked(true)
		return s.outcome(b, alone, fmt.Errorf("sqlite: savepoint: %w", err))
	}
	t := &tx{tx: conn{tx: b.tx, stmts: s.stmts, detach: true}}
	ran := false
	defer func() {
		if ran {
			return
		}
		// fn panicked: undo its part, let the batch go on without it, and let the
		// panic continue.
		_, e1 := b.tx.ExecContext(bg, "ROLLBACK TO member")
		_, e2 := b.tx.ExecContext(bg, "RELEASE member")
		b.members++
		if e1 != nil || e2 != nil || alone || s.waiting.Load() == 0 {
			s.finishLocked(e1 != nil || e2 != nil)
		}
	}()
	fnErr := fn(ctx, t)
	ran = true
	var end error
	if fnErr != nil {
		if _, end = b.tx.ExecContext(bg, "ROLLBACK TO member"); end == nil {
			_, end = b.tx.ExecContext(bg, "RELEASE member")
		}
	} else {
		_, end = b.tx.ExecContext(bg, "RELEASE member")
	}
	b.members++
	if end != nil || alone || b.members >= maxBatch || s.waiting.Load() == 0 {
		s.finishLocked(end != nil)
	}
	if s.testHookDecided != nil {
		s.testHookDecided()
	}
	held = false
	<-s.sem
	<-b.done
	if b.err != nil {
		if fnErr != nil && !alone {
			// fn may have failed on what a member before it wrote and did not keep.
			return errRetryAlone
		}
		return s.outcome(b, alone, fnErr)
	}
	if fnErr != nil {
		return fnErr
	}
	for _, f := range t.after {
		f()
	}
	return nil
}

// outcome is what a member of a batch that did not commit reports: in a batch of its
// own its own failure (fn's error first), else errRetryAlone.
func (s *Store) outcome(b *batch, alone bool, fnErr error) error {
	if !alone {
		return errRetryAlone
	}
	if fnErr != nil {
		return fnErr
	}
	if b.err != nil {
		return b.err
	}
	return errBatchBroken
}

// groupStats are counters for tests and benchmarks.
type groupStats struct {
	commits atomic.Int64 // batches committed
	retries atomic.Int64 // members run again alone
}
