package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
)

// Cursor implements chains.Tx. Inside Update it locks the cursor's row, so a Rescan
// and a Step on another instance take turns.
func (t *tx) Cursor(ctx context.Context, n chains.NetworkRef) (chains.BlockRef, bool, error) {
	var b chains.BlockRef
	err := t.queryRow(ctx, `SELECT height, hash FROM chain_cursors WHERE network = $1 AND mode = $2`+t.forUpdate(),
		string(n.ID), string(n.Mode)).Scan(&b.Height, &b.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return chains.BlockRef{}, false, nil
	}
	return b, err == nil, err
}

// SetCursor implements chains.Tx.
func (t *tx) SetCursor(ctx context.Context, n chains.NetworkRef, b chains.BlockRef) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO chain_cursors (network, mode, height, hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (network, mode) DO UPDATE SET height = excluded.height, hash = excluded.hash`,
		string(n.ID), string(n.Mode), b.Height, b.Hash); err != nil {
		return err
	}
	if b.Hash == "" {
		return nil
	}
	_, err := t.exec(ctx, `INSERT INTO chain_blocks (network, mode, height, hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (network, mode, height) DO UPDATE SET hash = excluded.hash`,
		string(n.ID), string(n.Mode), b.Height, b.Hash)
	return err
}

// BlockHash implements chains.Tx.
func (t *tx) BlockHash(ctx context.Context, n chains.NetworkRef, height uint64) (string, bool, error) {
	var h string
	err := t.queryRow(ctx, `SELECT hash FROM chain_blocks WHERE network = $1 AND mode = $2 AND height = $3`,
		string(n.ID), string(n.Mode), height).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return h, err == nil, err
}

// ForgetBlocksAbove implements chains.Tx.
func (t *tx) ForgetBlocksAbove(ctx context.Context, n chains.NetworkRef, height uint64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM chain_blocks WHERE network = $1 AND mode = $2 AND height > $3`,
		string(n.ID), string(n.Mode), height)
	return err
}

// ForgetBlocksBelow implements chains.Tx.
func (t *tx) ForgetBlocksBelow(ctx context.Context, n chains.NetworkRef, height uint64) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM chain_blocks WHERE network = $1 AND mode = $2 AND height < $3`,
		string(n.ID), string(n.Mode), height)
	return err
}

const transferCols = `network, mode, txid, idx, asset, address, amount, block_height, block_hash, status, confirmations, required,
	seen_at, out, failed, conflicted_by, sender`

func scanTransfer(row scanner) (chains.Record, error) {
	var r chains.Record
	var net, mode, status string
	var amt pgtype.Numeric
	var height *int64
	var hash *string
	if err := row.Scan(&net, &mode, &r.TxID, &r.Index, &r.Asset, &r.To, &amt, &height, &hash, &status,
		&r.Confirmations, &r.Required, &r.SeenAt, &r.Out, &r.Failed, &r.ConflictedBy, &r.From); err != nil {
		return chains.Record{}, err
	}
	r.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	r.Status = chains.Status(status)
	r.SeenAt = r.SeenAt.UTC()
	if height != nil {
		r.Block = chains.BlockRef{Height: uint64(*height)}
		if hash != nil {
			r.Block.Hash = *hash
		}
	}
	var err error
	r.Amount, err = integer(amt)
	return r, err
}

// Transfer implements chains.Tx.
func (t *tx) Transfer(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (chains.Record, bool, error) {
	r, err := scanTransfer(t.queryRow(ctx, `SELECT `+transferCols+` FROM chain_transfers
		WHERE network = $1 AND mode = $2 AND txid = $3 AND idx = $4`, string(n.ID), string(n.Mode), txid, index))
	if errors.Is(err, pgx.ErrNoRows) {
		return chains.Record{}, false, nil
	}
	return r, err == nil, err
}

// SaveTransfer implements chains.Tx: one upsert; the booking of a known transfer is
// kept, and its amount too unless it is one of our own transactions (whose fee is
// learnt later).
func (t *tx) SaveTransfer(ctx context.Context, r chains.Record) error {
	if err := t.writable(); err != nil {
		return err
	}
	var height *uint64
	var hash *string
	if r.Block.Hash != "" {
		height, hash = &r.Block.Height, &r.Block.Hash
	}
	_, err := t.exec(ctx, `INSERT INTO chain_transfers AS c (id, `+transferCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (network, mode, txid, idx) DO UPDATE SET block_height = excluded.block_height,
		block_hash = excluded.block_hash, status = excluded.status, confirmations = excluded.confirmations,
		required = excluded.required, amount = CASE WHEN excluded.out THEN excluded.amount ELSE c.amount END,
		failed = excluded.failed, conflicted_by = excluded.conflicted_by,
		sender = CASE WHEN excluded.sender <> '' THEN excluded.sender ELSE c.sender END`,
		ids.New("tx"), string(r.Network.ID), string(r.Network.Mode), r.TxID, r.Index, r.Asset, r.To, numeric(r.Amount),
		height, hash, string(r.Status), r.Confirmations, r.Required, ts(r.SeenAt), r.Out, r.Failed, r.ConflictedBy, r.From)
	return err
}

func (t *tx) transfers(ctx context.Context, q string, args ...any) ([]chains.Record, error) {
	return all(ctx, t, scanTransfer, `SELECT `+transferCols+` FROM chain_transfers WHERE `+q, args...)
}

// OpenTransfers implements chains.Tx.
func (t *tx) OpenTransfers(ctx context.Context, n chains.NetworkRef) ([]chains.Record, error) {
	return t.transfers(ctx, `network = $1 AND mode = $2 AND status IN ('mempool', 'confirming') ORDER BY seen_at, txid, idx`,
		string(n.ID), string(n.Mode))
}

// TransfersAbove implements chains.Tx.
func (t *tx) TransfersAbove(ctx context.Context, n chains.NetworkRef, height uint64) ([]chains.Record, error) {
	return t.transfers(ctx, `network = $1 AND mode = $2 AND block_height > $3 AND status IN ('confirming', 'confirmed', 'orphaned')
		ORDER BY block_height, txid, idx`, string(n.ID), string(n.Mode), height)
}

// WatchedAddresses implements chains.Tx.
func (t *tx) WatchedAddresses(ctx context.Context, n chains.NetworkRef) ([]string, error) {
	return all(ctx, t, scanOne[string], `SELECT address FROM watched_addresses WHERE network = $1 AND mode = $2`,
		string(n.ID), string(n.Mode))
}

// WatchedSince implements chains.Tx.
func (t *tx) WatchedSince(ctx context.Context, n chains.NetworkRef) (time.Time, bool, error) {
	var at *time.Time
	// The oldest invoice still watched, or customer wallet (watched while it exists).
	err := t.queryRow(ctx, `SELECT MIN(at) FROM (
		SELECT MIN(i.created_at) AS at FROM watched_addresses w JOIN invoices i ON i.id = w.invoice_id WHERE w.network = $1 AND w.mode = $2
		UNION ALL SELECT MIN(created_at) FROM wallets WHERE network = $1 AND mode = $2) AS oldest`,
		string(n.ID), string(n.Mode)).Scan(&at)
	if err != nil || at == nil {
		return time.Time{}, false, err
	}
	return at.UTC(), true, nil
}

// WatchAddress implements invoice.Tx. A trigger tells the other instances
// (storage.ChangeWatch) when the transaction commits.
func (t *tx) WatchAddress(ctx context.Context, n chains.NetworkRef, address, invoiceID string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO watched_addresses (network, mode, address, invoice_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, string(n.ID), string(n.Mode), address, invoiceID)
	return err
}

// UnwatchInvoice implements invoice.Tx.
func (t *tx) UnwatchInvoice(ctx context.Context, invoiceID string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM watched_addresses WHERE invoice_id = $1`, invoiceID)
	return err
}

// Booking implements invoice.Tx.
func (t *tx) Booking(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (invoice.Booking, int, error) {
	var b string
	var seq int
	err := t.queryRow(ctx, `SELECT booked, book_seq FROM chain_transfers WHERE network = $1 AND mode = $2 AND txid = $3 AND idx = $4`,
		string(n.ID), string(n.Mode), txid, index).Scan(&b, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return invoice.BookedNone, 0, nil
	}
	return invoice.Booking(b), seq, err
}

// SetBooking implements invoice.Tx.
func (t *tx) SetBooking(ctx context.Context, n chains.NetworkRef, txid string, index uint32, b invoice.Booking, seq int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE chain_transfers SET booked = $1, book_seq = $2
		WHERE network = $3 AND mode = $4 AND txid = $5 AND idx = $6`,
		string(b), seq, string(n.ID), string(n.Mode), txid, index)
	return err
}

// ListTransfers implements invoice.Tx.
func (t *tx) ListTransfers(ctx context.Context, m asset.Mode, f invoice.TransferFilter, page, limit int) ([]chains.Record, int, error) {
	w := where{}
	w.add("mode", string(m))
	w.and("NOT out")
	for _, c := range []struct{ col, v string }{{"asset", f.Asset}, {"network", string(f.Network)}, {"status", string(f.Status)}, {"txid", f.TxID}} {
		if c.v != "" {
			w.add(c.col, c.v)
		}
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM chain_transfers WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	recs, err := t.transfers(ctx, w.String()+` ORDER BY seen_at DESC, txid, idx `+w.page(page, limit), w.args...)
	return recs, total, err
}

// JournalEntries implements chains.JournalTx.
func (t *tx) JournalEntries(ctx context.Context, n chains.NetworkRef) ([][]byte, error) {
	return all(ctx, t, scanOne[[]byte], `SELECT entry FROM chain_journal WHERE network = $1 AND mode = $2 ORDER BY seq`,
		string(n.ID), string(n.Mode))
}

// AppendJournal implements chains.JournalTx.
func (t *tx) AppendJournal(ctx context.Context, n chains.NetworkRef, entry []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	if entry == nil {
		entry = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO chain_journal (network, mode, entry) VALUES ($1, $2, $3)`,
		string(n.ID), string(n.Mode), entry)
	return err
}

// FollowTx implements chains.Tx. A trigger tells the other instances
// (storage.ChangeFollow) when the transaction commits.
func (t *tx) FollowTx(ctx context.Context, n chains.NetworkRef, s chains.Sent) error {
	if err := t.writable(); err != nil {
		return err
	}
	inputs, err := json.Marshal(s.Inputs)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO chain_followed (network, mode, txid, inputs) VALUES ($1, $2, $3, $4)
		ON CONFLICT (network, mode, txid) DO UPDATE SET until = NULL`, string(n.ID), string(n.Mode), s.TxID, string(inputs))
	return err
}

// UnfollowTx implements chains.Tx.
func (t *tx) UnfollowTx(ctx context.Context, n chains.NetworkRef, txid string, after time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE chain_followed SET until = $1 WHERE network = $2 AND mode = $3 AND txid = $4`,
		ts(after), string(n.ID), string(n.Mode), txid)
	return err
}

// FollowedTxs implements chains.Tx.
func (t *tx) FollowedTxs(ctx context.Context, n chains.NetworkRef, now time.Time) ([]chains.Sent, error) {
	return all(ctx, t, scanFollowed, `SELECT txid, inputs FROM chain_followed WHERE network = $1 AND mode = $2
		AND (until IS NULL OR until > $3) ORDER BY txid`, string(n.ID), string(n.Mode), ts(now))
}

func scanFollowed(row scanner) (chains.Sent, error) {
	var s chains.Sent
	var inputs []byte
	if err := row.Scan(&s.TxID, &inputs); err != nil {
		return s, err
	}
	if err := json.Unmarshal(inputs, &s.Inputs); err != nil {
		return s, fmt.Errorf("postgres: followed %s: %w", s.TxID, err)
	}
	return s, nil
}
