// Package sqlite is Kassa's embedded storage backend on modernc.org/sqlite (pure Go, no
// cgo). It implements storage.Store.
//
// Durability and concurrency: the database runs in WAL mode with synchronous=FULL by
// default, so a committed ledger entry or signed payout survives power loss, not only a
// crash. One writer connection serialises read-write transactions, which
// begin IMMEDIATE so they never fail halfway on a lock upgrade; a separate pool of
// read-only connections serves View in parallel with the writer. Foreign keys are on and
// a busy timeout waits out other processes.
//
// Throughput: Updates that arrive while another runs share its commit, each under a
// savepoint of its own (group commit, group.go: each succeeds or fails alone and
// returns only once its commit is durable); statements are prepared once and reused
// (stmts.go); and the write-ahead log is checkpointed by a goroutine of the store on a
// connection of its own, not inside the writer's commits (checkpoint.go).
//
// Schema: versioned SQL migrations embedded in the binary run on Open, each in its own
// transaction, recorded in PRAGMA user_version. A database whose version is newer than
// this build knows is refused with storage.ErrNewerSchema; a file that is not a
// database, or fails SQLite's quick_check, with storage.ErrCorrupt; a database of
// another application (its PRAGMA application_id is not Kassa's and it has tables) with
// storage.ErrForeignDatabase. Nothing is written to a database that is refused.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/internal/migrations"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// applicationID marks a Kassa database ("KASS").
const applicationID = 0x4B415353

// Options configure Open. The zero value is the safe default.
type Options struct {
	// Synchronous is "FULL" (default) or "NORMAL". NORMAL is about ten times faster per
	// commit but the last commits before a power loss (not a process crash) can vanish,
	// and with them a record that a payout was signed: only choose it if you accept that.
	Synchronous string
	// ReadConns is the size of the read-only pool (default 4). In-memory databases use
	// the writer connection for reads.
	ReadConns int
	// SkipIntegrityCheck skips PRAGMA quick_check on open, which reads the whole file
	// (a few milliseconds per 10 MB). Keep it off unless opening is too slow.
	SkipIntegrityCheck bool
	// Logger receives migration progress. Default: slog.Default().
	Logger *slog.Logger
}

// Store is a SQLite database. It is safe for concurrent use.
type Store struct {
	w, r   *sql.DB
	closed atomic.Bool
	log    *slog.Logger

	// The writer (group.go): sem is held by the Update running fn or ending a batch;
	// cur is the open batch, guarded by sem.
	sem     chan struct{}
	waiting atomic.Int32
	cur     *batch
	groupStats
	stmts, rstmts *stmtCache // prepared statements of the writer and of the readers

	testHookDecided func() // after a member decided whether to end its batch

	// The checkpointer (checkpoint.go), for files.
	ck              *sql.DB
	ckWake          chan struct{}
	ckStop          context.CancelFunc
	ckDone          chan struct{}
	walCap          int
	checkpointsRun  atomic.Int64
	heldCheckpoints atomic.Int64
}

var _ storage.Store = (*Store)(nil)

// Open opens or creates the database at path and brings its schema up to date. path
// ":memory:" opens a private in-memory database (for tests).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("sqlite: Synchronous must be FULL or NORMAL, not %q", opts.Synchronous)
	}
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	memory := path == ":memory:"
	params := url.Values{}
	params.Set("_busy_timeout", "10000")
	params.Set("_foreign_keys", "1")
	params.Set("_synchronous", sync)
	params.Set("_txlock", "immediate")
	// Each Update of a batch runs under a savepoint (group.go), whose journal of the
	// pages it changed would spill to a temporary file past 64 KiB: keep it in memory.
	params.Add("_pragma", "temp_store(memory)")
	dsn := "file:" + path
	if !memory {
		// The store's checkpointer does it beside the writer (checkpoint.go).
		params.Add("_pragma", "wal_autocheckpoint(0)")
	}
	if memory {
		// Every connection to ":memory:" is its own database; the writer's single,
		// never-recycled connection is the whole store.
		dsn = "file::memory:"
	}
	w, err := sql.Open("sqlite", dsn+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, r: w, log: log, sem: make(chan struct{}, 1)}
	if err := s.prepare(ctx, path, memory, opts.SkipIntegrityCheck); err != nil {
		w.Close()
		return nil, err
	}
	if !memory {
		rp := url.Values{}
		rp.Set("_busy_timeout", "10000")
		rp.Set("_query_only", "1")
		r, err := sql.Open("sqlite", dsn+"?"+rp.Encode())
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite: open readers %s: %w", path, err)
		}
		n := opts.ReadConns
		if n <= 0 {
			n = 4
		}
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		s.r = r
		cp := url.Values{}
		cp.Set("_busy_timeout", "10000")
		cp.Set("_synchronous", sync) // the checkpoint's writes to the file are synced as commits are
		if err := s.startCheckpoints(dsn + "?" + cp.Encode()); err != nil {
			r.Close()
			w.Close()
			return nil, fmt.Errorf("sqlite: open checkpointer %s: %w", path, err)
		}
	}
	s.stmts = newStmtCache(s.w)
	s.rstmts = s.stmts
	if s.r != s.w {
		s.rstmts = newStmtCache(s.r)
	}
	return s, nil
}

// prepare checks that the file is a healthy Kassa database of a version we know, then
// switches it to WAL and migrates it.
func (s *Store) prepare(ctx context.Context, path string, memory, skipCheck bool) error {
	var appID, version, tables int
	if err := s.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return classify(path, err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return classify(path, err)
	}
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return classify(path, err)
	}
	if appID != applicationID && (appID != 0 || tables > 0) {
		return fmt.Errorf("sqlite: %s: %w (application_id %#x, %d schema objects)", path, storage.ErrForeignDatabase, appID, tables)
	}
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := len(migs)
	if version > latest {
		return fmt.Errorf("sqlite: %s: %w (database version %d, this build knows up to %d)", path, storage.ErrNewerSchema, version, latest)
	}
	if !skipCheck && tables > 0 {
		var res string
		if err := s.w.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
			return classify(path, err)
		}
		if res != "ok" {
			return fmt.Errorf("sqlite: %s: %w: quick_check: %s", path, storage.ErrCorrupt, res)
		}
	}
	if !memory {
		var mode string
		if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
			return classify(path, err)
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("sqlite: %s: could not enable WAL (journal_mode is %s)", path, mode)
		}
	}
	for v := version; v < latest; v++ {
		s.log.DebugContext(ctx, "kassa: migrating database", "path", path, "from", v, "to", v+1, "migration", migs[v].Name)
		if err := s.migrate(ctx, v+1, migs[v].SQL); err != nil {
			return fmt.Errorf("sqlite: %s: migration %s: %w", path, migs[v].Name, err)
		}
	}
	if version < latest {
		// One line for the whole upgrade (each step is logged at debug level).
		s.log.InfoContext(ctx, "kassa: database migrated", "path", path, "from", version, "to", latest)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context, version int, script string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return err
	}
	// PRAGMAs take no parameters; version is an int we produced.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(applicationID)); err != nil {
		return err
	}
	return tx.Commit()
}

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]migrations.Migration, error) {
	m, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return m, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	m, _ := loadMigrations()
	return len(m)
}

// classify turns SQLite's "not a database" and "malformed" errors into
// storage.ErrCorrupt.
func classify(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("sqlite: %s: %w: %v", path, storage.ErrCorrupt, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", path, err)
}

// Update runs fn in a read-write transaction (see storage.Store). Concurrent Updates
// share a commit (group.go).
func (s *Store) Update(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return s.update(ctx, fn)
}

// View runs fn in a read-only transaction (see storage.Store).
func (s *Store) View(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	err := s.view(ctx, fn)
	s.rstmts.fill(ctx)
	return err
}

func (s *Store) view(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.r != s.w})
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	// Nothing to keep: rolling back ends the snapshot (also when fn panics), and gives
	// the connection back before any hook runs (in memory it is the writer's).
	defer func() { _ = sqlTx.Rollback() }()
	t := &tx{tx: conn{tx: sqlTx, stmts: s.rstmts}, readOnly: true}
	if err := fn(ctx, t); err != nil {
		return err
	}
	_ = sqlTx.Rollback()
	for _, f := range t.after {
		f()
	}
	return nil
}

// Close closes the database once the Update in progress, if any, has committed. It is
// safe to call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	errs = append(errs, s.stopCheckpoints())
	// Wait for the Update running fn, and commit the batch its members wait on; an
	// Update that gets the writer after this fails with ErrClosed.
	s.sem <- struct{}{}
	if s.cur != nil {
		s.finishLocked(false)
	}
	<-s.sem
	s.stmts.close()
	s.rstmts.close()
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}
