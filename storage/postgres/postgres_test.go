package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/storage/storagetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// open opens a fresh database of its own on the test server, closed when t ends.
func open(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.URL(t), postgres.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return open(t) })
}

// TestOpen_RefusesANewerSchemaAndAForeignDatabase: a database written by a newer
// Kassa, and one holding another application's tables, are refused, and nothing is
// written to either.
func TestOpen_RefusesANewerSchemaAndAForeignDatabase(t *testing.T) {
	ctx := t.Context()
	url := pgtest.URL(t)
	s, err := postgres.Open(ctx, url, postgres.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, `INSERT INTO kassa_schema (version, name) VALUES ($1, 'from_the_future.sql')`, postgres.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, url, postgres.Options{Logger: quiet}); !errors.Is(err, storage.ErrNewerSchema) {
		t.Fatalf("a newer schema: %v, want ErrNewerSchema", err)
	}

	foreign := pgtest.URL(t)
	conn = connect(t, foreign)
	if _, err := conn.Exec(ctx, `CREATE TABLE orders (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, foreign, postgres.Options{Logger: quiet}); !errors.Is(err, storage.ErrForeignDatabase) {
		t.Fatalf("another application's database: %v, want ErrForeignDatabase", err)
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 1 {
		t.Fatalf("the refused database has %d tables (%v), want its own 1", tables, err)
	}
}

// TestOpen_InstancesStartingTogetherMigrateOnce: several Opens of an empty database
// at once all succeed, and the schema is migrated once.
func TestOpen_InstancesStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), url, postgres.Options{Logger: quiet})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := connect(t, url).QueryRow(t.Context(), `SELECT count(*), max(version) FROM kassa_schema`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != postgres.SchemaVersion() || v != postgres.SchemaVersion() {
		t.Fatalf("kassa_schema has %d rows up to version %d, want %d once each", n, v, postgres.SchemaVersion())
	}
}

// TestUpdate_ADeadlockIsRunAgainWithTheSameInput: two transactions lock two ledger
// accounts in opposite orders, so the server aborts one of them (40P01); that one
// runs again and both entries are posted, once each.
func TestUpdate_ADeadlockIsRunAgainWithTheSameInput(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	a, b := ledger.MerchantAvailable(asset.Test, "BTC"), ledger.World(asset.Test, "BTC")
	if err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
	}); err != nil {
		t.Fatal(err)
	}
	locked := make(chan struct{}, 2)
	var runs [2]atomic.Int32
	move := func(i int, first, second string) error {
		return s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			run := runs[i].Add(1)
			if _, err := tx.LockAccount(ctx, first); err != nil {
				return err
			}
			if run == 1 { // the first run of each waits until both hold their first lock
				locked <- struct{}{}
				for len(locked) < 2 && ctx.Err() == nil {
					runtime.Gosched()
				}
			}
			if _, err := tx.LockAccount(ctx, second); err != nil {
				return err
			}
			amt := big.NewInt(int64(i + 1))
			_, err := ledger.Post(ctx, tx, ledger.Entry{Key: fmt.Sprintf("move-%d", i), Postings: []ledger.Posting{
				{Account: b, Amount: new(big.Int).Neg(amt)}, {Account: a, Amount: amt},
			}})
			return err
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = move(0, a, b) })
	wg.Go(func() { errs[1] = move(1, b, a) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if r := runs[0].Load() + runs[1].Load(); r != 3 {
		t.Fatalf("%d runs in all, want 3 (one of the two rerun after the deadlock)", r)
	}
	err := s.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		acc, err := tx.Account(ctx, a)
		if err != nil {
			return err
		}
		if acc.Balance.Cmp(big.NewInt(3)) != 0 {
			return fmt.Errorf("balance %s after entries of 1 and 2, want 3", acc.Balance)
		}
		return ledger.Verify(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestListen_ReconnectsAndSaysSo: when the listening connection is killed, Listen
// reconnects, delivers a reset (changes may have been missed), and then the changes
// committed afterwards.
func TestListen_ReconnectsAndSaysSo(t *testing.T) {
	url := pgtest.URL(t)
	s, err := postgres.Open(t.Context(), url, postgres.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := s.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := connect(t, url).QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'kassa-listener' AND datname = current_database()`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
	}
	timeout := time.After(30 * time.Second) // a bound on a broken store, not a wait for time
	n := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	sawReset := false
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("the channel closed")
			}
			switch {
			case c.Kind == storage.ChangeReset && !sawReset:
				sawReset = true
				if err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
					return tx.WatchAddress(ctx, n, "tb1qafter", "inv_after")
				}); err != nil {
					t.Fatal(err)
				}
			case c.Kind == storage.ChangeWatch && c.Value == "tb1qafter":
				if !sawReset {
					t.Fatal("a change came before the reset")
				}
				return
			default:
				t.Fatalf("unexpected change %+v", c)
			}
		case <-timeout:
			t.Fatalf("after the connection was killed: reset seen %v, change not delivered", sawReset)
		}
	}
}

// connect opens a plain connection to url, closed when t ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// A unique violation is run again once per constraint: a transaction that meets two
// concurrent creations one after the other (an invoice's ledger accounts, then its
// order id) gets a run for each, and one that meets the same constraint twice (the
// duplicate is its own) gets that error back.
func TestUpdate_AUniqueViolationRunsAgainOncePerConstraint(t *testing.T) {
	s := open(t)
	violation := func(constraint string) error {
		return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "23505", ConstraintName: constraint})
	}
	runs := 0
	err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		runs++
		switch runs {
		case 1:
			return violation("ledger_accounts_pkey")
		case 2:
			return violation("invoices_mode_order_id_key")
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("two constraints met in turn: %v after %d runs, want success after 3", err, runs)
	}
	runs = 0
	err = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		runs++
		return violation("invoices_mode_order_id_key")
	})
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.ConstraintName != "invoices_mode_order_id_key" || runs != 2 {
		t.Fatalf("the same constraint twice: %v after %d runs, want its violation after 2", err, runs)
	}
}
