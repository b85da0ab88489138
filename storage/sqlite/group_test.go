package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/storage"
)

func openGroup(t *testing.T) (*Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kassa.db")
	s, err := Open(t.Context(), path, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Another connection to the file: it sees only what is committed.
	other, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return s, other
}

// until spins until cond holds, failing the test after 10 s.
func until(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		runtime.Gosched()
	}
}

func committed(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM settings WHERE name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func set(name string) func(context.Context, storage.Tx) error {
	return func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.SetSettingOnce(ctx, name, []byte("v"))
		return err
	}
}

// hold is an Update that holds the writer from started until release (when run again,
// it does not wait).
func hold(started, release chan struct{}, name string) func(context.Context, storage.Tx) error {
	var once sync.Once
	return func(ctx context.Context, tx storage.Tx) error {
		once.Do(func() { close(started) })
		<-release
		return set(name)(ctx, tx)
	}
}

// holdWriter starts an Update writing name that holds the writer until release is
// closed, and returns once it holds it; done receives the Update's result.
func holdWriter(t *testing.T, s *Store, name string) (release chan struct{}, done <-chan error) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	ch := make(chan error, 1)
	go func() { ch <- s.Update(t.Context(), hold(started, release, name)) }()
	<-started
	return release, ch
}

var errRefused = errors.New("refused by the test")

// A batch of 32 Updates that arrive while one runs: they share one commit, the ones
// whose fn fails leave nothing, and each that succeeds is committed (seen from another
// connection) by the time its Update returns, and its AfterCommit hook has run.
func TestGroupCommit_MembersShareACommitAndSucceedOrFailAlone(t *testing.T) {
	s, other := openGroup(t)
	const n = 32
	release, first := holdWriter(t, s, "first")
	before := s.commits.Load()
	var wg sync.WaitGroup
	errs := make([]error, n)
	hooked := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint("m", i)
			errs[i] = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				hooked[i] = false
				if err := set(name)(ctx, tx); err != nil {
					return err
				}
				tx.AfterCommit(func() { hooked[i] = true })
				if i%3 == 0 {
					return errRefused // after writing: the write must go
				}
				return nil
			})
			if errs[i] == nil && !committed(t, other, name) {
				t.Errorf("member %d: Update returned before its commit was visible", i)
			}
		})
	}
	until(t, func() bool { return s.waiting.Load() == n })
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprint("m", i)
		switch {
		case i%3 == 0 && !errors.Is(errs[i], errRefused):
			t.Errorf("member %d: %v, want its own error", i, errs[i])
		case i%3 == 0 && committed(t, other, name):
			t.Errorf("member %d failed but its write was kept", i)
		case i%3 == 0 && hooked[i]:
			t.Errorf("member %d failed but its AfterCommit hook ran", i)
		case i%3 != 0 && errs[i] != nil:
			t.Errorf("member %d: %v", i, errs[i])
		case i%3 != 0 && !hooked[i]:
			t.Errorf("member %d: AfterCommit hook did not run", i)
		}
	}
	// The first Update saw the others waiting and left its batch open for them.
	if c := s.commits.Load() - before; c != 1 {
		t.Errorf("%d commits for 33 Updates that arrived together, want 1", c)
	}
}

// A member that panics loses its own writes; the panic reaches its caller, and the
// others of its batch commit.
func TestGroupCommit_APanicUndoesOnlyItsPart(t *testing.T) {
	s, other := openGroup(t)
	release, done := holdWriter(t, s, "first")
	var wg sync.WaitGroup
	var panicked any
	wg.Go(func() {
		defer func() { panicked = recover() }()
		s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			set("panics")(ctx, tx)
			panic("boom")
		})
	})
	var errAfter error
	wg.Go(func() { errAfter = s.Update(t.Context(), set("after")) })
	until(t, func() bool { return s.waiting.Load() == 2 })
	close(release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if panicked != "boom" {
		t.Errorf("recovered %v, want the panic", panicked)
	}
	if errAfter != nil {
		t.Fatal(errAfter)
	}
	if committed(t, other, "panics") || !committed(t, other, "first") || !committed(t, other, "after") {
		t.Error("the panicking member's write was kept or another's was lost")
	}
	// The writer is free again.
	if err := s.Update(t.Context(), set("later")); err != nil {
		t.Fatal(err)
	}
}

// When a member ends the shared transaction under the others (here by a ROLLBACK of its
// own; SQLite does it on some I/O errors), nobody's work of that batch is kept: each
// member runs again in a transaction of its own, so the others still commit.
func TestGroupCommit_ABrokenBatchRunsEachMemberAlone(t *testing.T) {
	s, other := openGroup(t)
	release, done := holdWriter(t, s, "first")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 4 {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(ctx context.Context, stx storage.Tx) error {
				if err := set(fmt.Sprint("m", i))(ctx, stx); err != nil {
					return err
				}
				if i == 2 {
					_, err := stx.(*tx).tx.ExecContext(ctx, "ROLLBACK")
					return err
				}
				return nil
			})
		})
	}
	until(t, func() bool { return s.waiting.Load() == 4 })
	close(release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if i == 2 {
			if err == nil || committed(t, other, "m2") {
				t.Errorf("the member that ended the transaction: %v, kept %v", err, committed(t, other, "m2"))
			}
			continue
		}
		if err != nil || !committed(t, other, fmt.Sprint("m", i)) {
			t.Errorf("member %d: %v, committed %v", i, err, committed(t, other, fmt.Sprint("m", i)))
		}
	}
	if s.retries.Load() == 0 {
		t.Error("no member ran again alone")
	}
}

// A caller that gives up waiting for the writer, as the last one waiting, commits the
// batch the holder left open for it: the holder's Update returns.
func TestGroupCommit_AWaiterThatGivesUpLeavesNoBatchOpen(t *testing.T) {
	s, other := openGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	var waiterErr error
	waiterDone := make(chan struct{})
	s.testHookDecided = func() {
		s.testHookDecided = nil
		// The holder saw the waiter and left the batch open for it; now the waiter
		// gives up before it gets the writer.
		cancel()
		until(t, func() bool { return s.waiting.Load() == 0 })
	}
	release, holder := holdWriter(t, s, "holder")
	go func() {
		defer close(waiterDone)
		waiterErr = s.Update(ctx, set("waiter"))
	}()
	until(t, func() bool { return s.waiting.Load() == 1 })
	close(release)
	select {
	case err := <-holder:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the holder's batch was left open: its Update did not return")
	}
	<-waiterDone
	if !errors.Is(waiterErr, context.Canceled) {
		t.Errorf("waiter: %v, want context.Canceled", waiterErr)
	}
	if !committed(t, other, "holder") || committed(t, other, "waiter") {
		t.Error("holder's write not committed, or the waiter's was")
	}
}

// The writer never checkpoints; the store's checkpointer does, beside it, and holds the
// writers for one checkpoint when the log passes its cap: under continuous writes the
// log stays bounded and starts over.
func TestCheckpoints_KeepTheLogBoundedUnderContinuousWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	s, err := Open(t.Context(), path, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.walCap = 500 // frames
	blob := make([]byte, 3000)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 400 {
				err := s.Update(t.Context(), func(ctx context.Context, stx storage.Tx) error {
					_, err := stx.SetSettingOnce(ctx, fmt.Sprintf("w%d-%d", w, i), blob)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// 3,200 commits of a page or more each: without checkpoints the log would hold
	// them all (over 12 MB).
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if s.checkpointsRun.Load() == 0 || fi.Size() > 8<<20 {
		t.Fatalf("%d checkpoints (%d with the writers held); the log is %d bytes", s.checkpointsRun.Load(), s.heldCheckpoints.Load(), fi.Size())
	}
	t.Logf("%d checkpoints, %d with the writers held; log %d KB", s.checkpointsRun.Load(), s.heldCheckpoints.Load(), fi.Size()>>10)
	var n int
	if err := s.View(t.Context(), func(ctx context.Context, stx storage.Tx) error {
		return stx.(*tx).tx.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE name LIKE 'w%'`).Scan(&n)
	}); err != nil || n != 3200 {
		t.Fatalf("%d settings, %v", n, err)
	}
}

// In memory the readers share the writer's one connection: an Update that waits for it
// while a View holds it gives up when its context ends (it held the writer for good
// before), and a View's hook, which runs once the View gave the connection back, may
// write.
func TestGroupCommit_InMemoryAWaitForTheConnectionEndsWithTheContext(t *testing.T) {
	s, err := Open(t.Context(), ":memory:", Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inView, release := make(chan struct{}), make(chan struct{})
	viewDone := make(chan error, 1)
	go func() {
		viewDone <- s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			close(inView)
			<-release
			return nil
		})
	}()
	<-inView
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	updated := make(chan error, 1)
	go func() { updated <- s.Update(ctx, set("blocked")) }()
	select {
	case err := <-updated:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Update while a View holds the connection: %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an Update waiting for the connection ignored its context")
	}
	close(release)
	if err := <-viewDone; err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		tx.AfterCommit(func() {
			if err := s.Update(t.Context(), set("from a hook")); err != nil {
				t.Error(err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	if err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, found, err = tx.Setting(ctx, "from a hook")
		return err
	}); err != nil || !found {
		t.Fatalf("the hook's write: found %v, %v", found, err)
	}
}

// Close waits for the Update running and commits its batch; Updates that get the
// writer afterwards fail with ErrClosed and write nothing.
func TestGroupCommit_CloseCommitsTheBatchAndRefusesTheRest(t *testing.T) {
	s, other := openGroup(t)
	release, first := holdWriter(t, s, "first")
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	late := make(chan error, 1)
	go func() { late <- s.Update(t.Context(), set("late")) }()
	until(t, func() bool { return s.closed.Load() })
	close(release)
	if err := within(t, first); err != nil {
		t.Fatalf("the Update running when Close was called: %v", err)
	}
	if err := within(t, closed); err != nil {
		t.Fatal(err)
	}
	if err := <-late; !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("an Update after Close: %v, want ErrClosed", err)
	}
	if !committed(t, other, "first") || committed(t, other, "late") {
		t.Fatal("the running Update was lost, or the late one written")
	}
}

// within receives from ch, failing the test after 10 s.
func within(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no answer in 10 s")
		return nil
	}
}
