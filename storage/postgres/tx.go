package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

// tx implements storage.Tx on one PostgreSQL transaction.
type tx struct {
	tx       pgx.Tx
	readOnly bool
	after    []func()        // AfterCommit
	failed   *pgconn.PgError // the first error the server returned: the transaction is aborted
}

// AfterCommit runs fn after the transaction commits (storage.Tx).
func (t *tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

var _ storage.Tx = (*tx)(nil)

var errReadOnly = errors.New("postgres: write in a read-only transaction")

func (t *tx) writable() error {
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

// note remembers the first error the server returned, which aborted the transaction,
// and returns err.
func (t *tx) note(err error) error {
	var pe *pgconn.PgError
	if t.failed == nil && errors.As(err, &pe) {
		t.failed = pe
	}
	return err
}

// exec runs a statement and returns how many rows it changed.
func (t *tx) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, t.note(err)
	}
	return tag.RowsAffected(), nil
}

// queryRow runs a query of one row.
func (t *tx) queryRow(ctx context.Context, sql string, args ...any) row {
	return row{t: t, row: t.tx.QueryRow(ctx, sql, args...)}
}

type row struct {
	t   *tx
	row pgx.Row
}

func (r row) Scan(dest ...any) error { return r.t.note(r.row.Scan(dest...)) }

// scanner is a row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// all runs query q and returns every row, each read by scan.
func all[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, t.note(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.note(err)
		}
		out = append(out, v)
	}
	return out, t.note(rows.Err())
}

// scanOne reads a row of one column.
func scanOne[T any](row scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}

// forUpdate is the locking clause of a lookup inside Update: the row stays locked
// until the transaction ends, so a read-modify-write of it sees the previous
// writer's result (a View, read-only, takes no locks).
func (t *tx) forUpdate() string {
	if t.readOnly {
		return ""
	}
	return ` FOR UPDATE`
}

// ts is a time as stored: microseconds (PostgreSQL's precision, truncated as SQLite's
// store truncates), UTC.
func ts(at time.Time) time.Time { return at.Truncate(time.Microsecond).UTC() }

// nullTime is a nullable time as stored.
func nullTime(at *time.Time) *time.Time {
	if at == nil {
		return nil
	}
	v := ts(*at)
	return &v
}

// utc returns a scanned nullable time in UTC.
func utc(at *time.Time) *time.Time {
	if at == nil {
		return nil
	}
	v := at.UTC()
	return &v
}

// numeric encodes an integer amount.
func numeric(v *big.Int) pgtype.Numeric {
	if v == nil {
		return pgtype.Numeric{}
	}
	return pgtype.Numeric{Int: new(big.Int).Set(v), Valid: true}
}

// integer decodes an integer amount.
func integer(n pgtype.Numeric) (*big.Int, error) {
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite {
		return nil, fmt.Errorf("postgres: stored amount %v is not an integer", n)
	}
	v := new(big.Int).Set(n.Int)
	switch {
	case n.Exp > 0:
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil))
	case n.Exp < 0:
		d := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n.Exp)), nil)
		q, r := new(big.Int).QuoRem(v, d, new(big.Int))
		if r.Sign() != 0 {
			return nil, fmt.Errorf("postgres: stored amount %v is not an integer", n)
		}
		v = q
	}
	return v, nil
}

// AllocateIndex implements keys.IndexAllocator: one atomic upsert, so concurrent
// transactions never get one index twice.
func (t *tx) AllocateIndex(ctx context.Context, f asset.Family, m asset.Mode) (uint32, error) {
	return t.AllocateIndexes(ctx, f, m, 1)
}

// AllocateIndexes implements keys.IndexAllocator.
func (t *tx) AllocateIndexes(ctx context.Context, f asset.Family, m asset.Mode, n uint32) (uint32, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	if f == "" || !m.Valid() || n == 0 {
		return 0, fmt.Errorf("postgres: allocate index: bad family %q, mode %q or count %d", f, m, n)
	}
	var next int64
	err := t.queryRow(ctx, `
		INSERT INTO key_indexes AS k (family, mode, next_index) VALUES ($1, $2, $3)
		ON CONFLICT (family, mode) DO UPDATE SET next_index = k.next_index + excluded.next_index
		RETURNING next_index`, string(f), string(m), int64(n)).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("postgres: allocate index: %w", err)
	}
	if next-1 > int64(keys.MaxIndex) {
		return 0, keys.ErrIndexExhausted
	}
	return uint32(next - int64(n)), nil
}

const accountCols = `name, asset, mode, non_negative, balance`

func scanAccount(row scanner) (ledger.Account, error) {
	var a ledger.Account
	var mode string
	var bal pgtype.Numeric
	if err := row.Scan(&a.Name, &a.Asset, &mode, &a.NonNegative, &bal); err != nil {
		return ledger.Account{}, err
	}
	a.Mode = asset.Mode(mode)
	var err error
	a.Balance, err = integer(bal)
	return a, err
}

// Account implements ledger.Reader.
func (t *tx) Account(ctx context.Context, name string) (ledger.Account, error) {
	return t.account(ctx, name, "")
}

func (t *tx) account(ctx context.Context, name, lock string) (ledger.Account, error) {
	a, err := scanAccount(t.queryRow(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE name = $1`+lock, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.Account{}, ledger.ErrAccountNotFound
	}
	return a, err
}

// LockAccount implements ledger.Tx: the row stays locked until the transaction ends.
func (t *tx) LockAccount(ctx context.Context, name string) (ledger.Account, error) {
	if err := t.writable(); err != nil {
		return ledger.Account{}, err
	}
	return t.account(ctx, name, ` FOR UPDATE`)
}

// Accounts implements ledger.Reader.
func (t *tx) Accounts(ctx context.Context) ([]ledger.Account, error) {
	return all(ctx, t, scanAccount, `SELECT `+accountCols+` FROM ledger_accounts ORDER BY name`)
}

// CreateAccount implements ledger.Tx.
func (t *tx) CreateAccount(ctx context.Context, a ledger.Account) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO ledger_accounts (name, asset, mode, non_negative, balance, created_at)
		VALUES ($1, $2, $3, $4, 0, $5)`, a.Name, a.Asset, string(a.Mode), a.NonNegative, ts(time.Now()))
	return err
}

// SetBalance implements ledger.Tx.
func (t *tx) SetBalance(ctx context.Context, account string, balance *big.Int) error {
	if err := t.writable(); err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE ledger_accounts SET balance = $1 WHERE name = $2`, numeric(balance), account)
	if err != nil {
		return err
	}
	if n != 1 {
		return ledger.ErrAccountNotFound
	}
	return nil
}

// EntryHash implements ledger.Tx.
func (t *tx) EntryHash(ctx context.Context, key string) ([]byte, bool, error) {
	var h []byte
	err := t.queryRow(ctx, `SELECT hash FROM ledger_entries WHERE idem_key = $1`, key).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return h, err == nil, err
}

// InsertEntry implements ledger.Tx. A concurrent transaction that inserted the same
// key first makes this one wait for its end; when it committed, this one answers
// ErrDuplicate with the hash it stored.
func (t *tx) InsertEntry(ctx context.Context, e ledger.EntryRecord) (int64, []byte, error) {
	if err := t.writable(); err != nil {
		return 0, nil, err
	}
	var id int64
	err := t.queryRow(ctx, `INSERT INTO ledger_entries (idem_key, hash, description, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
		e.Key, e.Hash, e.Description, ts(e.At)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		var stored []byte
		if err := t.queryRow(ctx, `SELECT hash FROM ledger_entries WHERE idem_key = $1`, e.Key).Scan(&stored); err != nil {
			return 0, nil, err
		}
		return 0, stored, ledger.ErrDuplicate
	}
	return id, nil, err
}

// InsertPosting implements ledger.Tx.
func (t *tx) InsertPosting(ctx context.Context, entry int64, seq int, p ledger.Posting) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO ledger_postings (entry_id, seq, account, amount) VALUES ($1, $2, $3, $4)`,
		entry, seq, p.Account, numeric(p.Amount))
	return err
}

// ForEachPosting implements ledger.Reader.
func (t *tx) ForEachPosting(ctx context.Context, fn func(int64, ledger.Posting) error) error {
	rows, err := t.tx.Query(ctx, `SELECT entry_id, account, amount FROM ledger_postings ORDER BY entry_id, seq`)
	if err != nil {
		return t.note(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p ledger.Posting
		var amt pgtype.Numeric
		if err := rows.Scan(&id, &p.Account, &amt); err != nil {
			return t.note(err)
		}
		if p.Amount, err = integer(amt); err != nil {
			return err
		}
		if err := fn(id, p); err != nil {
			return err
		}
	}
	return t.note(rows.Err())
}

const holdCols = `id, from_account, holding_account, amount, state, created_at`

func scanHold(row scanner) (ledger.Hold, error) {
	var h ledger.Hold
	var state string
	var amt pgtype.Numeric
	if err := row.Scan(&h.ID, &h.From, &h.Holding, &amt, &state, &h.At); err != nil {
		return ledger.Hold{}, err
	}
	h.State = ledger.HoldState(state)
	h.At = h.At.UTC()
	var err error
	h.Amount, err = integer(amt)
	return h, err
}

// InsertHold implements ledger.Tx.
func (t *tx) InsertHold(ctx context.Context, h ledger.Hold) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO ledger_holds (`+holdCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		h.ID, h.From, h.Holding, numeric(h.Amount), string(h.State), ts(h.At))
	return err
}

// LockHold implements ledger.Tx: the row stays locked until the transaction ends.
func (t *tx) LockHold(ctx context.Context, id string) (ledger.Hold, error) {
	if err := t.writable(); err != nil {
		return ledger.Hold{}, err
	}
	h, err := scanHold(t.queryRow(ctx, `SELECT `+holdCols+` FROM ledger_holds WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.Hold{}, fmt.Errorf("%w: %s", ledger.ErrHoldNotFound, id)
	}
	return h, err
}

// SetHoldState implements ledger.Tx.
func (t *tx) SetHoldState(ctx context.Context, id string, s ledger.HoldState, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE ledger_holds SET state = $1, closed_at = $2 WHERE id = $3`, string(s), ts(at), id)
	return err
}

// Holds implements ledger.Reader.
func (t *tx) Holds(ctx context.Context, state ledger.HoldState) ([]ledger.Hold, error) {
	q := `SELECT ` + holdCols + ` FROM ledger_holds`
	var args []any
	if state != "" {
		q += ` WHERE state = $1`
		args = append(args, string(state))
	}
	return all(ctx, t, scanHold, q+` ORDER BY created_at, id`, args...)
}
