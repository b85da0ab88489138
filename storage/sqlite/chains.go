package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
)

// Cursor implements chains.Tx.
func (t *tx) Cursor(ctx context.Context, n chains.NetworkRef) (chains.BlockRef, bool, error) {
	var b chains.BlockRef
	err := t.tx.QueryRowContext(ctx, `SELECT height, hash FROM chain_cursors WHERE network = ? AND mode = ?`,
		string(n.ID), string(n.Mode)).Scan(&b.Height, &b.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chains.BlockRef{}, false, nil
	}
	return b, err == nil, err
}

// SetCursor implements chains.Tx.
func (t *tx) SetCursor(ctx context.Context, n chains.NetworkRef, b chains.BlockRef) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO chain_cursors (network, mode, height, hash) VALUES (?, ?, ?, ?)
		ON CONFLICT (network, mode) DO UPDATE SET height = excluded.height, hash = excluded.hash`,
		string(n.ID), string(n.Mode), b.Height, b.Hash); err != nil {
		return err
	}
	if b.Hash == "" {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO chain_blocks (network, mode, height, hash) VALUES (?, ?, ?, ?)
		ON CONFLICT (network, mode, height) DO UPDATE SET hash = excluded.hash`,
		string(n.ID), string(n.Mode), b.Height, b.Hash)
	return err
}

// BlockHash implements chains.Tx.
func (t *tx) BlockHash(ctx context.Context, n chains.NetworkRef, height uint64) (string, bool, error) {
	var h string
	err := t.tx.QueryRowContext(ctx, `SELECT hash FROM chain_blocks WHERE network = ? AND mode = ? AND height = ?`,
		string(n.ID), string(n.Mode), height).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return h, err == nil, err
}

// ForgetBlocksAbove implements chains.Tx.
func (t *tx) ForgetBlocksAbove(ctx context.Context, n chains.NetworkRef, height uint64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM chain_blocks WHERE network = ? AND mode = ? AND height > ?`,
		string(n.ID), string(n.Mode), height)
	return err
}

// ForgetBlocksBelow implements chains.Tx.
func (t *tx) ForgetBlocksBelow(ctx context.Context, n chains.NetworkRef, height uint64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM chain_blocks WHERE network = ? AND mode = ? AND height < ?`,
		string(n.ID), string(n.Mode), height)
	return err
}

const transferCols = `network, mode, txid, idx, asset, address, amount, block_height, block_hash, status, confirmations, required,
	seen_at, out, failed, conflicted_by, sender`

func scanTransfer(row scanner) (chains.Record, error) {
	var r chains.Record
	var net, mode, amt, status string
	var height sql.NullInt64
	var hash sql.NullString
	var seen int64
	if err := row.Scan(&net, &mode, &r.TxID, &r.Index, &r.Asset, &r.To, &amt, &height, &hash, &status,
		&r.Confirmations, &r.Required, &seen, &r.Out, &r.Failed, &r.ConflictedBy, &r.From); err != nil {
		return chains.Record{}, err
	}
	r.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	r.Status = chains.Status(status)
	r.SeenAt = time.UnixMicro(seen).UTC()
	if height.Valid {
		r.Block = chains.BlockRef{Height: uint64(height.Int64), Hash: hash.String}
	}
	var err error
	r.Amount, err = parseInt(amt)
	return r, err
}

// Transfer implements chains.Tx.
func (t *tx) Transfer(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (chains.Record, bool, error) {
	r, err := scanTransfer(t.tx.QueryRowContext(ctx, `SELECT `+transferCols+` FROM chain_transfers
		WHERE network = ? AND mode = ? AND txid = ? AND idx = ?`, string(n.ID), string(n.Mode), txid, index))
	if errors.Is(err, sql.ErrNoRows) {
		return chains.Record{}, false, nil
	}
	return r, err == nil, err
}

// SaveTransfer implements chains.Tx.
func (t *tx) SaveTransfer(ctx context.Context, r chains.Record) error {
	if err := t.writable(); err != nil {
		return err
	}
	var height sql.NullInt64
	var hash sql.NullString
	if r.Block.Hash != "" {
		height, hash = sql.NullInt64{Int64: int64(r.Block.Height), Valid: true}, sql.NullString{String: r.Block.Hash, Valid: true}
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO chain_transfers (id, `+transferCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (network, mode, txid, idx) DO UPDATE SET block_height = excluded.block_height,
		block_hash = excluded.block_hash, status = excluded.status, confirmations = excluded.confirmations,
		required = excluded.required, amount = CASE WHEN excluded.out = 1 THEN excluded.amount ELSE amount END,
		failed = excluded.failed, conflicted_by = excluded.conflicted_by,
		sender = CASE WHEN excluded.sender <> '' THEN excluded.sender ELSE sender END`,
		ids.New("tx"), string(r.Network.ID), string(r.Network.Mode), r.TxID, r.Index, r.Asset, r.To, r.Amount.String(),
		height, hash, string(r.Status), r.Confirmations, r.Required, micros(r.SeenAt), r.Out, r.Failed, r.ConflictedBy, r.From)
	return err
}

func (t *tx) transfers(ctx context.Context, q string, args ...any) ([]chains.Record, error) {
	return all(ctx, t, scanTransfer, `SELECT `+transferCols+` FROM chain_transfers WHERE `+q, args...)
}

// OpenTransfers implements chains.Tx.
func (t *tx) OpenTransfers(ctx context.Context, n chains.NetworkRef) ([]chains.Record, error) {
	return t.transfers(ctx, `network = ? AND mode = ? AND status IN ('mempool', 'confirming') ORDER BY seen_at, txid, idx`,
		string(n.ID), string(n.Mode))
}

// TransfersAbove implements chains.Tx.
func (t *tx) TransfersAbove(ctx context.Context, n chains.NetworkRef, height uint64) ([]chains.Record, error) {
	return t.transfers(ctx, `network = ? AND mode = ? AND block_height > ? AND status IN ('confirming', 'confirmed', 'orphaned')
		ORDER BY block_height, txid, idx`, string(n.ID), string(n.Mode), height)
}

// WatchedAddresses implements chains.Tx.
func (t *tx) WatchedAddresses(ctx context.Context, n chains.NetworkRef) ([]string, error) {
	return all(ctx, t, scanOne[string], `SELECT address FROM watched_addresses WHERE network = ? AND mode = ?`,
		string(n.ID), string(n.Mode))
}

// WatchedSince implements chains.Tx.
func (t *tx) WatchedSince(ctx context.Context, n chains.NetworkRef) (time.Time, bool, error) {
	var at sql.NullInt64
	// The oldest invoice still watched, or customer wallet (watched while it exists).
	err := t.tx.QueryRowContext(ctx, `SELECT MIN(at) FROM (
		SELECT MIN(i.created_at) AS at FROM watched_addresses w JOIN invoices i ON i.id = w.invoice_id WHERE w.network = ? AND w.mode = ?
		UNION ALL SELECT MIN(created_at) FROM wallets WHERE network = ? AND mode = ?)`,
		string(n.ID), string(n.Mode), string(n.ID), string(n.Mode)).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, false, err
	}
	return time.UnixMicro(at.Int64).UTC(), true, nil
}

// WatchAddress implements invoice.Tx.
func (t *tx) WatchAddress(ctx context.Context, n chains.NetworkRef, address, invoiceID string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO watched_addresses (network, mode, address, invoice_id) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, string(n.ID), string(n.Mode), address, invoiceID)
	return err
}

// UnwatchInvoice implements invoice.Tx.
func (t *tx) UnwatchInvoice(ctx context.Context, invoiceID string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM watched_addresses WHERE invoice_id = ?`, invoiceID)
	return err
}

// Booking implements invoice.Tx.
func (t *tx) Booking(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (invoice.Booking, int, error) {
	var b string
	var seq int
	err := t.tx.QueryRowContext(ctx, `SELECT booked, book_seq FROM chain_transfers WHERE network = ? AND mode = ? AND txid = ? AND idx = ?`,
		string(n.ID), string(n.Mode), txid, index).Scan(&b, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return invoice.BookedNone, 0, nil
	}
	return invoice.Booking(b), seq, err
}

// SetBooking implements invoice.Tx.
func (t *tx) SetBooking(ctx context.Context, n chains.NetworkRef, txid string, index uint32, b invoice.Booking, seq int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE chain_transfers SET booked = ?, book_seq = ? WHERE network = ? AND mode = ? AND txid = ? AND idx = ?`,
		string(b), seq, string(n.ID), string(n.Mode), txid, index)
	return err
}

// ListTransfers implements invoice.Tx.
func (t *tx) ListTransfers(ctx context.Context, m asset.Mode, f invoice.TransferFilter, page, limit int) ([]chains.Record, int, error) {
	where, args := `mode = ? AND out = 0`, []any{string(m)}
	for col, v := range map[string]string{"asset": f.Asset, "network": string(f.Network), "status": string(f.Status), "txid": f.TxID} {
		if v != "" {
			where += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM chain_transfers WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	recs, err := t.transfers(ctx, where+` ORDER BY seen_at DESC, txid, idx LIMIT ? OFFSET ?`, append(args, limit, (page-1)*limit)...)
	return recs, total, err
}

// JournalEntries implements chains.JournalTx.
func (t *tx) JournalEntries(ctx context.Context, n chains.NetworkRef) ([][]byte, error) {
	return all(ctx, t, scanOne[[]byte], `SELECT entry FROM chain_journal WHERE network = ? AND mode = ? ORDER BY seq`,
		string(n.ID), string(n.Mode))
}

// AppendJournal implements chains.JournalTx.
func (t *tx) AppendJournal(ctx context.Context, n chains.NetworkRef, entry []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO chain_journal (network, mode, entry) VALUES (?, ?, ?)`,
		string(n.ID), string(n.Mode), entry)
	return err
}

// FollowTx implements chains.Tx.
func (t *tx) FollowTx(ctx context.Context, n chains.NetworkRef, s chains.Sent) error {
	if err := t.writable(); err != nil {
		return err
	}
	inputs, err := json.Marshal(s.Inputs)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO chain_followed (network, mode, txid, inputs) VALUES (?, ?, ?, ?)
		ON CONFLICT (network, mode, txid) DO UPDATE SET until = NULL`, string(n.ID), string(n.Mode), s.TxID, string(inputs))
	return err
}

// UnfollowTx implements chains.Tx.
func (t *tx) UnfollowTx(ctx context.Context, n chains.NetworkRef, txid string, after time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE chain_followed SET until = ? WHERE network = ? AND mode = ? AND txid = ?`,
		micros(after), string(n.ID), string(n.Mode), txid)
	return err
}

// FollowedTxs implements chains.Tx.
func (t *tx) FollowedTxs(ctx context.Context, n chains.NetworkRef, now time.Time) ([]chains.Sent, error) {
	return all(ctx, t, scanFollowed, `SELECT txid, inputs FROM chain_followed WHERE network = ? AND mode = ?
		AND (until IS NULL OR until > ?) ORDER BY txid`, string(n.ID), string(n.Mode), micros(now))
}

func scanFollowed(row scanner) (chains.Sent, error) {
	var s chains.Sent
	var inputs string
	if err := row.Scan(&s.TxID, &inputs); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(inputs), &s.Inputs); err != nil {
		return s, fmt.Errorf("sqlite: followed %s: %w", s.TxID, err)
	}
	return s, nil
}
