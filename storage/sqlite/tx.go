package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

// tx implements storage.Tx on one SQLite transaction.
type tx struct {
	tx       conn
	readOnly bool
	after    []func() // AfterCommit
}

// AfterCommit runs fn after the transaction commits (storage.Tx).
func (t *tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

var _ storage.Tx = (*tx)(nil)

var errReadOnly = errors.New("sqlite: write in a read-only transaction")

func (t *tx) writable() error {
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

func micros(at time.Time) int64 { return at.UTC().UnixMicro() }

func parseInt(s string) (*big.Int, error) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("sqlite: stored amount %q is not an integer", s)
	}
	return v, nil
}

// AllocateIndex implements keys.IndexAllocator.
func (t *tx) AllocateIndex(ctx context.Context, f asset.Family, m asset.Mode) (uint32, error) {
	return t.AllocateIndexes(ctx, f, m, 1)
}

// AllocateIndexes implements keys.IndexAllocator.
func (t *tx) AllocateIndexes(ctx context.Context, f asset.Family, m asset.Mode, n uint32) (uint32, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	if f == "" || !m.Valid() || n == 0 {
		return 0, fmt.Errorf("sqlite: allocate index: bad family %q, mode %q or count %d", f, m, n)
	}
	var next int64
	err := t.tx.QueryRowContext(ctx, `
		INSERT INTO key_indexes (family, mode, next_index) VALUES (?, ?, ?)
		ON CONFLICT (family, mode) DO UPDATE SET next_index = next_index + excluded.next_index
		RETURNING next_index`, string(f), string(m), int64(n)).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("sqlite: allocate index: %w", err)
	}
	if next-1 > int64(keys.MaxIndex) {
		return 0, keys.ErrIndexExhausted
	}
	return uint32(next - int64(n)), nil
}

const accountCols = `name, asset, mode, non_negative, balance`

func scanAccount(row scanner) (ledger.Account, error) {
	var a ledger.Account
	var mode, bal string
	if err := row.Scan(&a.Name, &a.Asset, &mode, &a.NonNegative, &bal); err != nil {
		return ledger.Account{}, err
	}
	a.Mode = asset.Mode(mode)
	var err error
	a.Balance, err = parseInt(bal)
	return a, err
}

// Account implements ledger.Reader.
func (t *tx) Account(ctx context.Context, name string) (ledger.Account, error) {
	a, err := scanAccount(t.tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Account{}, ledger.ErrAccountNotFound
	}
	return a, err
}

// LockAccount implements ledger.Tx. SQLite's single writer already excludes others.
func (t *tx) LockAccount(ctx context.Context, name string) (ledger.Account, error) {
	if err := t.writable(); err != nil {
		return ledger.Account{}, err
	}
	return t.Account(ctx, name)
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
	_, err := t.tx.ExecContext(ctx, `INSERT INTO ledger_accounts (name, asset, mode, non_negative, balance, created_at)
		VALUES (?, ?, ?, ?, '0', ?)`, a.Name, a.Asset, string(a.Mode), a.NonNegative, micros(time.Now()))
	return err
}

// SetBalance implements ledger.Tx.
func (t *tx) SetBalance(ctx context.Context, account string, balance *big.Int) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE ledger_accounts SET balance = ? WHERE name = ?`, balance.String(), account)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ledger.ErrAccountNotFound
	}
	return nil
}

// EntryHash implements ledger.Tx.
func (t *tx) EntryHash(ctx context.Context, key string) ([]byte, bool, error) {
	var h []byte
	err := t.tx.QueryRowContext(ctx, `SELECT hash FROM ledger_entries WHERE idem_key = ?`, key).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return h, err == nil, err
}

// InsertEntry implements ledger.Tx.
func (t *tx) InsertEntry(ctx context.Context, e ledger.EntryRecord) (int64, []byte, error) {
	if err := t.writable(); err != nil {
		return 0, nil, err
	}
	var id int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO ledger_entries (idem_key, hash, description, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING RETURNING id`,
		e.Key, e.Hash, e.Description, micros(e.At)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var stored []byte
		if err := t.tx.QueryRowContext(ctx, `SELECT hash FROM ledger_entries WHERE idem_key = ?`, e.Key).Scan(&stored); err != nil {
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
	_, err := t.tx.ExecContext(ctx, `INSERT INTO ledger_postings (entry_id, seq, account, amount) VALUES (?, ?, ?, ?)`,
		entry, seq, p.Account, p.Amount.String())
	return err
}

// ForEachPosting implements ledger.Reader.
func (t *tx) ForEachPosting(ctx context.Context, fn func(int64, ledger.Posting) error) error {
	rows, err := t.tx.QueryUncached(ctx, `SELECT entry_id, account, amount FROM ledger_postings ORDER BY entry_id, seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p ledger.Posting
		var amt string
		if err := rows.Scan(&id, &p.Account, &amt); err != nil {
			return err
		}
		if p.Amount, err = parseInt(amt); err != nil {
			return err
		}
		if err := fn(id, p); err != nil {
			return err
		}
	}
	return rows.Err()
}

const holdCols = `id, from_account, holding_account, amount, state, created_at`

func scanHold(row scanner) (ledger.Hold, error) {
	var h ledger.Hold
	var amt, state string
	var at int64
	if err := row.Scan(&h.ID, &h.From, &h.Holding, &amt, &state, &at); err != nil {
		return ledger.Hold{}, err
	}
	h.State = ledger.HoldState(state)
	h.At = time.UnixMicro(at).UTC()
	var err error
	h.Amount, err = parseInt(amt)
	return h, err
}

// InsertHold implements ledger.Tx.
func (t *tx) InsertHold(ctx context.Context, h ledger.Hold) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO ledger_holds (`+holdCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		h.ID, h.From, h.Holding, h.Amount.String(), string(h.State), micros(h.At))
	return err
}

// LockHold implements ledger.Tx.
func (t *tx) LockHold(ctx context.Context, id string) (ledger.Hold, error) {
	if err := t.writable(); err != nil {
		return ledger.Hold{}, err
	}
	h, err := scanHold(t.tx.QueryRowContext(ctx, `SELECT `+holdCols+` FROM ledger_holds WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Hold{}, fmt.Errorf("%w: %s", ledger.ErrHoldNotFound, id)
	}
	return h, err
}

// SetHoldState implements ledger.Tx.
func (t *tx) SetHoldState(ctx context.Context, id string, s ledger.HoldState, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE ledger_holds SET state = ?, closed_at = ? WHERE id = ?`, string(s), micros(at), id)
	return err
}

// Holds implements ledger.Reader.
func (t *tx) Holds(ctx context.Context, state ledger.HoldState) ([]ledger.Hold, error) {
	q := `SELECT ` + holdCols + ` FROM ledger_holds`
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, string(state))
	}
	return all(ctx, t, scanHold, q+` ORDER BY created_at, id`, args...)
}
