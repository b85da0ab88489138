package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/storage/storagetest"
	_ "modernc.org/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openFile(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance_File(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return openFile(t, filepath.Join(t.TempDir(), "kassa.db"))
	})
}

func TestConformance_Memory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return openFile(t, ":memory:") })
}

func TestOpen_ReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	s := openFile(t, path)
	err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openFile(t, path)
	defer s.Close()
	err = s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.Account(ctx, ledger.World(asset.Test, "BTC"))
		return err
	})
	if err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
	db := rawDB(t, path)
	var mode string
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal_mode %s, want wal", mode)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	openFile(t, path).Close()
	if _, err := rawDB(t, path).Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(t.Context(), path, sqlite.Options{Logger: quiet})
	if !errors.Is(err, storage.ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestOpen_RefusesCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("this is not a database ", 400)), 0o600)

	good := filepath.Join(dir, "good.db")
	s := openFile(t, good)
	s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
	})
	s.Close()
	// Overwrite the pages after the header: the header still says SQLite, the tables
	// are gone.
	b, _ := os.ReadFile(good)
	for i := 100; i < len(b); i++ {
		b[i] = 0xA5
	}
	damaged := filepath.Join(dir, "damaged.db")
	os.WriteFile(damaged, b, 0o600)

	for _, path := range []string{garbage, damaged} {
		before, _ := os.ReadFile(path)
		_, err := sqlite.Open(t.Context(), path, sqlite.Options{Logger: quiet})
		if !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", filepath.Base(path), err)
		}
		after, _ := os.ReadFile(path)
		if string(before) != string(after) {
			t.Errorf("%s: refused file was modified", filepath.Base(path))
		}
	}
}

func TestOpen_RefusesForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	if _, err := rawDB(t, path).Exec("CREATE TABLE users (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(t.Context(), path, sqlite.Options{Logger: quiet})
	if !errors.Is(err, storage.ErrForeignDatabase) {
		t.Fatalf("foreign db: %v", err)
	}
}

func TestOpen_BadOptions(t *testing.T) {
	if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Synchronous: "OFF"}); err == nil {
		t.Fatal("synchronous=OFF accepted")
	}
	if _, err := sqlite.Open(t.Context(), "", sqlite.Options{}); err == nil {
		t.Fatal("empty path accepted")
	}
}

func TestClosedStore(t *testing.T) {
	s := openFile(t, ":memory:")
	s.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := s.Update(t.Context(), func(context.Context, storage.Tx) error { return nil })
	if !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Update after Close: %v", err)
	}
}

func TestIndexAllocation_Exhausted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	s := openFile(t, path)
	defer s.Close()
	alloc := func() (uint32, error) {
		var i uint32
		err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			i, err = tx.AllocateIndex(ctx, asset.FamilyBTC, asset.Live)
			return err
		})
		return i, err
	}
	alloc()
	if _, err := rawDB(t, path).Exec("UPDATE key_indexes SET next_index = 2147483647"); err != nil {
		t.Fatal(err)
	}
	if i, err := alloc(); err != nil || i != 2147483647 {
		t.Fatalf("last index: %d, %v", i, err)
	}
	if _, err := alloc(); err == nil || !strings.Contains(err.Error(), "indexes") {
		t.Fatalf("past 2^31: %v", err)
	}
}

// TestIndexAllocation_SurvivesCrash runs a child process that allocates indexes and is
// killed with SIGKILL without closing the database; the parent reopens it and must get
// the next index, never one the child was given.
func TestIndexAllocation_SurvivesCrash(t *testing.T) {
	if path := os.Getenv("KASSA_CRASH_CHILD_DB"); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "kassa.db")
	for round := range 3 {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestIndexAllocation_SurvivesCrash$")
		cmd.Env = append(os.Environ(), "KASSA_CRASH_CHILD_DB="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		last := -1
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "allocated "); ok {
				last, _ = strconv.Atoi(v)
				if last >= (round+1)*5-1 {
					cmd.Process.Kill() // SIGKILL: no Close, no deferred cleanup
					break
				}
			}
		}
		cmd.Wait()
		if last < 0 {
			t.Fatal("child allocated nothing")
		}
		s := openFile(t, path)
		var next uint32
		err = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			next, err = tx.AllocateIndex(ctx, asset.FamilyEVM, asset.Live)
			return err
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int(next) <= last {
			t.Fatalf("round %d: after the crash got index %d, but the child was already given %d", round, next, last)
		}
	}
}

func crashChild(path string) {
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Logger: quiet})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for {
		var i uint32
		err := s.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			i, err = tx.AllocateIndex(ctx, asset.FamilyEVM, asset.Live)
			return err
		})
		if err != nil {
			fmt.Println("alloc:", err)
			os.Exit(2)
		}
		fmt.Printf("allocated %d\n", i) // printed only after the commit returned
	}
}

// TestVerify_DetectsTampering changes the database behind the ledger's back in the ways
// a bug could, and Verify must report each.
func TestVerify_DetectsTampering(t *testing.T) {
	tampers := map[string]string{
		"balance":        `UPDATE ledger_accounts SET balance = '999' WHERE name = 'merchant:test:BTC:available'`,
		"posting":        `UPDATE ledger_postings SET amount = '-1' WHERE seq = 0 AND entry_id = (SELECT max(id) FROM ledger_entries)`,
		"negative":       `UPDATE ledger_accounts SET balance = '-5' WHERE name = 'fees:test:BTC:network'`,
		"orphaned hold":  `UPDATE ledger_holds SET state = 'voided'`,
		"unbalanced new": `INSERT INTO ledger_postings (entry_id, seq, account, amount) SELECT max(id), 9, 'world:test:BTC', '3' FROM ledger_entries`,
	}
	for name, q := range tampers {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kassa.db")
			s := openFile(t, path)
			defer s.Close()
			err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				if err := ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC"); err != nil {
					return err
				}
				_, err := ledger.Post(ctx, tx, ledger.Entry{Key: "c", Postings: []ledger.Posting{
					{Account: ledger.World(asset.Test, "BTC"), Amount: bigInt(-1000)},
					{Account: ledger.MerchantAvailable(asset.Test, "BTC"), Amount: bigInt(1000)},
				}})
				if err != nil {
					return err
				}
				return ledger.PlaceHold(ctx, tx, "po_1", ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC"), bigInt(400))
			})
			if err != nil {
				t.Fatal(err)
			}
			verify := func() error {
				return s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) })
			}
			if err := verify(); err != nil {
				t.Fatalf("clean ledger: %v", err)
			}
			if _, err := rawDB(t, path).Exec(q); err != nil {
				t.Fatal(err)
			}
			if err := verify(); !errors.Is(err, ledger.ErrInvariant) {
				t.Fatalf("tampered (%s): Verify = %v", name, err)
			}
		})
	}
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }
