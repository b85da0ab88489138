package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// RecordAddress implements keys.AddressBook.
func (t *tx) RecordAddress(ctx context.Context, a keys.Address) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO wallet_addresses (family, mode, address, branch, idx, pubkey)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, string(a.Family), string(a.Mode), a.Encoded, a.Branch, a.Index, a.PubKey)
	return err
}

// LookupAddress implements keys.AddressBook.
func (t *tx) LookupAddress(ctx context.Context, f asset.Family, m asset.Mode, encoded string) (keys.Address, bool, error) {
	a := keys.Address{Family: f, Mode: m, Encoded: encoded}
	err := t.tx.QueryRowContext(ctx, `SELECT branch, idx, pubkey FROM wallet_addresses WHERE family = ? AND mode = ? AND address = ?`,
		string(f), string(m), encoded).Scan(&a.Branch, &a.Index, &a.PubKey)
	if errors.Is(err, sql.ErrNoRows) {
		return keys.Address{}, false, nil
	}
	return a, err == nil, err
}

// SpendableOutputs implements chains.UTXOTx.
func (t *tx) SpendableOutputs(ctx context.Context, n chains.NetworkRef, f asset.Family) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT c.txid, c.idx, c.amount, c.address, w.branch, w.idx, w.pubkey, 0, 'confirmed'
		FROM chain_transfers c JOIN wallet_addresses w ON w.family = ? AND w.mode = c.mode AND w.address = c.address
		WHERE c.network = ? AND c.mode = ? AND c.status = 'confirmed' AND NOT EXISTS (
			SELECT 1 FROM wallet_spends s WHERE s.network = c.network AND s.mode = c.mode AND s.txid = c.txid AND s.idx = c.idx)
		ORDER BY c.block_height, c.txid, c.idx`)
}

// UnconfirmedChange implements chains.UTXOTx.
func (t *tx) UnconfirmedChange(ctx context.Context, n chains.NetworkRef, f asset.Family) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT s.txid, s.change_index, CAST(s.change_amount AS TEXT), s.change_addr, w.branch, w.idx,
		w.pubkey, s.depth, s.status
		FROM wallet_sends s JOIN wallet_addresses w ON w.family = ? AND w.mode = s.mode AND w.address = s.change_addr
		WHERE s.network = ? AND s.mode = ? AND s.status IN ('signed', 'broadcast') AND s.change_amount > 0
		AND NOT EXISTS (SELECT 1 FROM wallet_spends p WHERE p.network = s.network AND p.mode = s.mode AND p.txid = s.txid
			AND p.idx = s.change_index)
		AND NOT EXISTS (SELECT 1 FROM chain_transfers c WHERE c.network = s.network AND c.mode = s.mode AND c.txid = s.txid
			AND c.idx = s.change_index AND c.status = 'confirmed')
		ORDER BY s.created_at, s.txid`)
}

// outputs runs a query of outputs to our addresses of family f on n: txid, index,
// amount, address, branch, index, public key, depth and the status of what made it.
func (t *tx) outputs(ctx context.Context, n chains.NetworkRef, f asset.Family, query string, extra ...any) ([]chains.UTXO, error) {
	return all(ctx, t, func(row scanner) (chains.UTXO, error) {
		var o chains.UTXO
		var amt, status string
		o.Address.Family, o.Address.Mode = f, n.Mode
		if err := row.Scan(&o.TxID, &o.Index, &amt, &o.Address.Encoded, &o.Address.Branch, &o.Address.Index,
			&o.Address.PubKey, &o.Depth, &status); err != nil {
			return o, err
		}
		o.Unsent = status == string(chains.SendSigned)
		var err error
		o.Amount, err = strconv.ParseInt(amt, 10, 64)
		return o, err
	}, query, append([]any{string(f), string(n.ID), string(n.Mode)}, extra...)...)
}

// MarkSpent implements chains.UTXOTx.
func (t *tx) MarkSpent(ctx context.Context, n chains.NetworkRef, outs []chains.OutPoint, spentBy string) error {
	if err := t.writable(); err != nil {
		return err
	}
	for _, o := range outs {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO wallet_spends (network, mode, txid, idx, spent_by) VALUES (?, ?, ?, ?, ?)`,
			string(n.ID), string(n.Mode), o.TxID, o.Index, spentBy); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseSpends implements chains.UTXOTx.
func (t *tx) ReleaseSpends(ctx context.Context, n chains.NetworkRef, spentBy string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `DELETE FROM wallet_spends WHERE network = ? AND mode = ? AND spent_by = ?`,
		string(n.ID), string(n.Mode), spentBy)
	return err
}

// InsertSend implements chains.UTXOTx.
func (t *tx) InsertSend(ctx context.Context, s chains.UTXOSend) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO wallet_sends (network, mode, spec_id, txid, raw, fee, amount, destination,
		change_addr, status, created_at, change_index, change_amount, depth, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(s.Network.ID), string(s.Network.Mode), s.SpecID, s.TxID, s.Raw, strconv.FormatInt(s.Fee, 10),
		strconv.FormatInt(s.Amount, 10), s.Destination, s.Change, string(s.Status), micros(s.CreatedAt),
		s.ChangeIndex, s.ChangeAmount, s.Depth, s.Replaces)
	return err
}

const sendCols = `network, mode, spec_id, txid, raw, fee, amount, destination, change_addr, status, created_at, change_index,
	change_amount, depth, replaces`

func scanSend(row scanner) (chains.UTXOSend, error) {
	var s chains.UTXOSend
	var net, mode, fee, amt, status string
	var at int64
	if err := row.Scan(&net, &mode, &s.SpecID, &s.TxID, &s.Raw, &fee, &amt, &s.Destination, &s.Change, &status, &at,
		&s.ChangeIndex, &s.ChangeAmount, &s.Depth, &s.Replaces); err != nil {
		return chains.UTXOSend{}, err
	}
	s.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	s.Status, s.CreatedAt = chains.SendStatus(status), time.UnixMicro(at).UTC()
	var err error
	if s.Fee, err = strconv.ParseInt(fee, 10, 64); err != nil {
		return chains.UTXOSend{}, err
	}
	s.Amount, err = strconv.ParseInt(amt, 10, 64)
	return s, err
}

// SendByID implements chains.UTXOTx.
func (t *tx) SendByID(ctx context.Context, n chains.NetworkRef, specID string) (chains.UTXOSend, bool, error) {
	s, err := scanSend(t.tx.QueryRowContext(ctx, `SELECT `+sendCols+` FROM wallet_sends WHERE network = ? AND mode = ? AND spec_id = ?`,
		string(n.ID), string(n.Mode), specID))
	if errors.Is(err, sql.ErrNoRows) {
		return chains.UTXOSend{}, false, nil
	}
	return s, err == nil, err
}

// SetSendStatus implements chains.UTXOTx.
func (t *tx) SetSendStatus(ctx context.Context, n chains.NetworkRef, specID string, s chains.SendStatus) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE wallet_sends SET status = ? WHERE network = ? AND mode = ? AND spec_id = ?`,
		string(s), string(n.ID), string(n.Mode), specID)
	return err
}

// InputsOf implements chains.UTXOTx.
func (t *tx) InputsOf(ctx context.Context, n chains.NetworkRef, f asset.Family, spentBy string) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT c.txid, c.idx, c.amount, c.address, w.branch, w.idx, w.pubkey, 0, 'confirmed'
		FROM wallet_spends s JOIN chain_transfers c ON c.network = s.network AND c.mode = s.mode AND c.txid = s.txid AND c.idx = s.idx
		JOIN wallet_addresses w ON w.family = ?1 AND w.mode = c.mode AND w.address = c.address
		WHERE s.network = ?2 AND s.mode = ?3 AND s.spent_by = ?4 AND c.status = 'confirmed'
		UNION ALL
		SELECT d.txid, d.change_index, CAST(d.change_amount AS TEXT), d.change_addr, w.branch, w.idx, w.pubkey, d.depth, d.status
		FROM wallet_spends s JOIN wallet_sends d ON d.network = s.network AND d.mode = s.mode AND d.txid = s.txid
			AND d.change_index = s.idx AND d.change_amount > 0 AND d.status != 'replaced'
		JOIN wallet_addresses w ON w.family = ?1 AND w.mode = d.mode AND w.address = d.change_addr
		WHERE s.network = ?2 AND s.mode = ?3 AND s.spent_by = ?4 AND NOT EXISTS (SELECT 1 FROM chain_transfers c
			WHERE c.network = s.network AND c.mode = s.mode AND c.txid = s.txid AND c.idx = s.idx AND c.status = 'confirmed')
		ORDER BY 1, 2`, spentBy)
}

// SignSend implements chains.UTXOTx.
func (t *tx) SignSend(ctx context.Context, n chains.NetworkRef, specID string, raw []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE wallet_sends SET raw = ?, status = 'signed' WHERE network = ? AND mode = ? AND spec_id = ?
		AND status = 'unsigned'`, raw, string(n.ID), string(n.Mode), specID)
	if err != nil {
		return err
	}
	if rows, _ := res.RowsAffected(); rows != 1 {
		return fmt.Errorf("storage: no unsigned send %q", specID)
	}
	return nil
}

// ReplaceSend implements chains.UTXOTx.
func (t *tx) ReplaceSend(ctx context.Context, n chains.NetworkRef, next chains.UTXOSend) error {
	if err := t.writable(); err != nil {
		return err
	}
	prev, ok, err := t.SendByID(ctx, n, next.SpecID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("storage: no send %q to replace", next.SpecID)
	}
	// Rows kept for either transaction before (a bump refused, then asked again) go:
	// the one being replaced is kept anew, the one coming back takes the spec id.
	for _, txid := range []string{prev.TxID, next.TxID} {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM wallet_sends WHERE network = ? AND mode = ? AND spec_id = ?`,
			string(n.ID), string(n.Mode), chains.ReplacedSpecID(prev.SpecID, txid)); err != nil {
			return err
		}
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE wallet_sends SET spec_id = ?, status = 'replaced' WHERE network = ? AND mode = ? AND spec_id = ?`,
		chains.ReplacedSpecID(prev.SpecID, prev.TxID), string(n.ID), string(n.Mode), prev.SpecID); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE wallet_spends SET spent_by = ? WHERE network = ? AND mode = ? AND spent_by = ?`,
		next.TxID, string(n.ID), string(n.Mode), prev.TxID); err != nil {
		return err
	}
	return t.InsertSend(ctx, next)
}

// PendingSends implements chains.UTXOTx.
func (t *tx) PendingSends(ctx context.Context, n chains.NetworkRef) ([]chains.UTXOSend, error) {
	return all(ctx, t, scanSend, `SELECT `+sendCols+` FROM wallet_sends WHERE network = ? AND mode = ?
		AND status IN ('signed', 'broadcast') ORDER BY created_at`, string(n.ID), string(n.Mode))
}

// OwnTx implements invoice.Tx: whether txid is a transaction one of our wallets sent.
func (t *tx) OwnTx(ctx context.Context, n chains.NetworkRef, txid string) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(ctx, `SELECT 1 FROM wallet_sends WHERE network = ? AND mode = ? AND txid = ? AND status != 'failed'
		UNION ALL SELECT 1 FROM evm_sends WHERE network = ? AND mode = ? AND txid = ? LIMIT 1`,
		string(n.ID), string(n.Mode), txid, string(n.ID), string(n.Mode), txid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
