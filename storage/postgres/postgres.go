// Package postgres is Kassa's storage backend on PostgreSQL (pgx v5 and its pool), for
// deployments that run several instances of the host application on one shared
// database. It implements storage.Store, storage.Listener and
// storage.RateLimiter, and passes the same storagetest suite as storage/sqlite.
//
// Transactions: Update runs its function in a READ COMMITTED read-write transaction.
// Writers are not serialised as on SQLite; they exclude each other where the
// interfaces ask: LockAccount, LockHold and the lookups of invoices, payouts (by id,
// request key, batch and transaction) and webhook endpoints inside Update take row
// locks (SELECT ... FOR UPDATE), so a read-modify-write of one of them sees the
// previous writer's result; AutoApprovedCents takes a per-mode advisory lock held until
// commit, so two payout creates never both find the approval window open; AllocateIndex,
// NextNonce, TryLease, RememberSignature and the other counters are single atomic
// statements (UPDATE ... RETURNING, upserts); ClaimDeliveries claims with FOR UPDATE
// SKIP LOCKED, so several instances deliver different webhooks at once. Unique
// constraints stay the last line against double credits (ledger entry keys, transfer
// identities, request keys, order ids). InsertEvent holds a transaction-scoped
// advisory lock until commit, so events' sequence numbers become visible in order and
// a reader paging by sequence number never skips one. View runs its function in a
// READ ONLY REPEATABLE READ transaction: one consistent snapshot, in which writes fail.
//
// Retries: a transaction that fails with a serialization failure (SQLSTATE 40001) or
// a deadlock (40P01) is rolled back and its whole function run again, with the same
// input, up to Options.MaxAttempts times in all, after a jittered exponential backoff
// (2 ms doubling up to 250 ms). A unique violation (23505) is retried once per
// constraint: in READ COMMITTED it usually means that a concurrent transaction
// committed the row this one looked for and did not find (two instances ensuring one
// ledger account, two retries of one request creating one invoice: one transaction
// can meet both, one after the other), and the next run finds it, as a serialised
// store would have; when the duplicate is the caller's own, the next run fails on the
// same constraint and that error is returned. The function must therefore have no effects
// outside the transaction but its AfterCommit hooks, which run once, after the commit
// that succeeded, before Update returns; never after a rollback.
//
// Leases (package lease) are rows whose deadlines are computed from the database's
// clock (now()), so instances with skewed clocks agree on who holds one.
//
// Listen opens a dedicated connection outside the pool and LISTENs on the schema's
// channel. Triggers in the schema send the notifications (a watched address, a
// followed transaction, a new event), so they are transactional and no writer has to
// remember them. When the connection is lost, Listen reconnects with backoff and
// delivers storage.ChangeReset once it listens again. Mark sends a marker through the
// same channel outside any transaction: delivered in commit order, it tells an
// instance that it has heard everything committed before (the Gateway's watchers wait
// for it before each step).
//
// Sizing: each instance holds up to Options.MaxConns pooled connections (default 10)
// plus one per running Listen (the Gateway runs one); the server's max_connections
// must cover every instance's total. A transaction holds its connection for its whole
// function, so the pool bounds how many run at once; one that waits for a row lock
// (a busy ledger account) keeps its connection while it waits.
//
// Schema: versioned SQL migrations embedded in the binary (migrations/NNNN_*.sql) run
// on Open, each in its own transaction under a transaction-scoped advisory lock, so
// instances that start at once migrate one after another; each is recorded in the
// kassa_schema table. A database whose recorded version is newer than this build
// knows is refused with storage.ErrNewerSchema, one whose schema holds tables but no
// kassa_schema with storage.ErrForeignDatabase; nothing is written to a database that
// is refused. Kassa's tables live in the connection's current schema (the first of
// its search_path), so a database may hold Kassa beside other applications' schemas.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys (pg_advisory_xact_lock), one bigint each, within the database.
const (
	migrateLock int64 = 0x4B415353_00000001 // "KASS" 1: migrations
	eventsLock  int64 = 0x4B415353_00000002 // "KASS" 2: the outbox's sequence
	// The payout approval window of each mode (AutoApprovedCents).
	approvalLockLive int64 = 0x4B415353_00000003 // "KASS" 3
	approvalLockTest int64 = 0x4B415353_00000004 // "KASS" 4
)

// Options configure Open. The zero value is a sensible default.
type Options struct {
	// MaxConns is the size of the connection pool (default 10). Listen opens one more
	// connection of its own.
	MaxConns int
	// StatementTimeout, when positive, makes the server cancel any statement that runs
	// longer (statement_timeout). Default: none (the server's setting).
	StatementTimeout time.Duration
	// MaxAttempts is how many times Update and View run their function in all when a
	// transaction fails with a serialization failure or a deadlock (default 10).
	MaxAttempts int
	// Logger receives migration progress, retries and the Listener's reconnections.
	// Default: slog.Default().
	Logger *slog.Logger
}

// Store is a PostgreSQL database. It is safe for concurrent use.
type Store struct {
	pool        *pgxpool.Pool
	log         *slog.Logger
	maxAttempts int
	closed      atomic.Bool
	mu          sync.Mutex      // orders Close after each Listen's start
	done        context.Context // ends with Close: stops the listeners
	stop        context.CancelFunc
	listeners   sync.WaitGroup
	takes       atomic.Uint64 // RateLimiter.Take calls, for the occasional purge
}

var (
	_ storage.Store       = (*Store)(nil)
	_ storage.Listener    = (*Store)(nil)
	_ storage.RateLimiter = (*Store)(nil)
)

// Open connects to the database at url (a postgres:// URL or a key=value DSN, as
// pgx reads them) and brings its schema up to date.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if url == "" {
		return nil, errors.New("postgres: empty database URL")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.MaxConns = 10
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(min(opts.MaxConns, 1<<20))
	}
	cfg.MinConns = 0
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "kassa"
	}
	if opts.StatementTimeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(max(opts.StatementTimeout.Milliseconds(), 1), 10)
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	done, stop := context.WithCancel(context.Background())
	s := &Store{pool: pool, log: log, maxAttempts: attempts, done: done, stop: stop}
	if err := s.migrate(ctx); err != nil {
		stop()
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrate applies the migrations the database lacks, one transaction each.
func (s *Store) migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	for {
		done, err := s.migrateOne(ctx, migs)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration the database lacks under the migration lock,
// and reports done when there was none.
func (s *Store) migrateOne(ctx context.Context, migs []migrations.Migration) (done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = tx.Rollback(rctx) // after a commit, a no-op
		cancel()
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return false, fmt.Errorf("postgres: waiting for the migration lock: %w", err)
	}
	var schema *string
	var known bool
	var tables int
	err = tx.QueryRow(ctx, `SELECT current_schema(), to_regclass('kassa_schema') IS NOT NULL,
		(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))`).Scan(&schema, &known, &tables)
	if err != nil {
		return false, fmt.Errorf("postgres: reading the schema: %w", err)
	}
	if schema == nil {
		return false, errors.New("postgres: no current schema: the search_path names no schema that exists")
	}
	if len(channelPrefix)+len(*schema) > maxIdentifier {
		// NOTIFY refuses a longer channel name (and LISTEN would truncate it).
		return false, fmt.Errorf("postgres: schema name %q is longer than %d bytes, which the change notifications' channel allows",
			*schema, maxIdentifier-len(channelPrefix))
	}
	version := 0
	if known {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM kassa_schema`).Scan(&version); err != nil {
			return false, fmt.Errorf("postgres: reading the schema version: %w", err)
		}
	} else if tables > 0 {
		return false, fmt.Errorf("postgres: schema %s: %w (%d tables, no kassa_schema)", *schema, storage.ErrForeignDatabase, tables)
	}
	if version > len(migs) {
		return false, fmt.Errorf("postgres: schema %s: %w (database version %d, this build knows up to %d)",
			*schema, storage.ErrNewerSchema, version, len(migs))
	}
	if version == len(migs) {
		return true, nil
	}
	m := migs[version]
	s.log.InfoContext(ctx, "kassa: migrating database", "schema", *schema, "from", version, "to", version+1, "migration", m.Name)
	if !known {
		if _, err := tx.Exec(ctx, `CREATE TABLE kassa_schema (
			version    INTEGER     NOT NULL PRIMARY KEY,
			name       TEXT        NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return false, fmt.Errorf("postgres: creating kassa_schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO kassa_schema (version, name) VALUES ($1, $2)`, version+1, m.Name); err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
	}
	return false, nil
}

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]migrations.Migration, error) {
	m, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return m, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	m, _ := loadMigrations()
	return len(m)
}

// Update runs fn in a read-write transaction (see storage.Store and the package doc).
func (s *Store) Update(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	return s.run(ctx, false, fn)
}

// View runs fn in a read-only transaction on one snapshot (see storage.Store).
func (s *Store) View(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	return s.run(ctx, true, fn)
}

var (
	updateOptions = pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}
	viewOptions   = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// run runs fn in a transaction, again when it failed in a way a new run can fix.
func (s *Store) run(ctx context.Context, readOnly bool, fn func(context.Context, storage.Tx) error) error {
	var uniqueRetried map[string]bool // constraints whose violation was run again
	for attempt := 1; ; attempt++ {
		t, err := s.attempt(ctx, readOnly, fn)
		if err == nil {
			for _, f := range t.after {
				f()
			}
			return nil
		}
		code, constraint := t.retryCode(err)
		switch {
		case code == "" || attempt >= s.maxAttempts || ctx.Err() != nil:
			return err
		case code == pgerrUniqueViolation:
			if uniqueRetried[constraint] {
				return err
			}
			if uniqueRetried == nil {
				uniqueRetried = map[string]bool{}
			}
			uniqueRetried[constraint] = true
		}
		d := backoff(attempt)
		s.log.DebugContext(ctx, "kassa: retrying a transaction", "sqlstate", code, "attempt", attempt, "backoff", d)
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

// backoff is the wait before attempt+1: 2 ms doubling up to 250 ms, of which a
// random half, so that transactions that collided do not collide again.
func backoff(attempt int) time.Duration {
	d := min(2*time.Millisecond<<min(attempt-1, 10), 250*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

// attempt runs fn once in a new transaction and commits it (View: ends it). It
// returns the transaction, whose AfterCommit hooks are the caller's to run when err
// is nil.
func (s *Store) attempt(ctx context.Context, readOnly bool, fn func(context.Context, storage.Tx) error) (t *tx, err error) {
	if s.closed.Load() {
		return &tx{}, storage.ErrClosed
	}
	opts := updateOptions
	if readOnly {
		opts = viewOptions
	}
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		if s.closed.Load() {
			return &tx{}, storage.ErrClosed
		}
		return &tx{}, fmt.Errorf("postgres: begin: %w", err)
	}
	t = &tx{tx: pgTx, readOnly: readOnly}
	finished := false
	defer func() {
		if !finished {
			// fn failed or panicked: roll back even if ctx has ended (pgx closes the
			// connection when it cannot), then let a panic go on.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = pgTx.Rollback(rctx)
			cancel()
		}
	}()
	if err := fn(ctx, t); err != nil {
		return t, err
	}
	if readOnly {
		err = pgTx.Rollback(ctx) // nothing to keep: end the snapshot
	} else {
		err = t.note(pgTx.Commit(ctx))
	}
	finished = true
	if err != nil {
		return t, fmt.Errorf("postgres: commit: %w", err)
	}
	return t, nil
}

// SQLSTATEs the store acts on.
const (
	pgerrSerialization   = "40001"
	pgerrDeadlock        = "40P01"
	pgerrUniqueViolation = "23505"
)

// retryCode returns the SQLSTATE that makes a new run of the transaction worth it, or
// "": the first error of the transaction (a function may have wrapped or swallowed it,
// and every statement after it failed), else the error it returned; for a unique
// violation, with the constraint violated.
func (t *tx) retryCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if t.failed != nil {
		pe = t.failed
	} else if !errors.As(err, &pe) {
		return "", ""
	}
	switch pe.Code {
	case pgerrSerialization, pgerrDeadlock:
		return pe.Code, ""
	case pgerrUniqueViolation:
		if t.readOnly {
			return "", ""
		}
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// Close closes the pool and stops every Listen. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	s.stop()
	s.listeners.Wait()
	s.pool.Close()
	return nil
}
