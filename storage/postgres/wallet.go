package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// RecordAddress implements keys.AddressBook.
func (t *tx) RecordAddress(ctx context.Context, a keys.Address) error {
	if err := t.writable(); err != nil {
		return err
	}
	pub := a.PubKey
	if pub == nil {
		pub = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO wallet_addresses (family, mode, address, branch, idx, pubkey)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, string(a.Family), string(a.Mode), a.Encoded, a.Branch, a.Index, pub)
	return err
}

// LookupAddress implements keys.AddressBook.
func (t *tx) LookupAddress(ctx context.Context, f asset.Family, m asset.Mode, encoded string) (keys.Address, bool, error) {
	a := keys.Address{Family: f, Mode: m, Encoded: encoded}
	err := t.queryRow(ctx, `SELECT branch, idx, pubkey FROM wallet_addresses WHERE family = $1 AND mode = $2 AND address = $3`,
		string(f), string(m), encoded).Scan(&a.Branch, &a.Index, &a.PubKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return keys.Address{}, false, nil
	}
	return a, err == nil, err
}

// SpendableOutputs implements chains.UTXOTx.
func (t *tx) SpendableOutputs(ctx context.Context, n chains.NetworkRef, f asset.Family) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT c.txid, c.idx, c.amount, c.address, w.branch, w.idx, w.pubkey, 0, 'confirmed'
		FROM chain_transfers c JOIN wallet_addresses w ON w.family = $1 AND w.mode = c.mode AND w.address = c.address
		WHERE c.network = $2 AND c.mode = $3 AND c.status = 'confirmed' AND NOT EXISTS (
			SELECT 1 FROM wallet_spends s WHERE s.network = c.network AND s.mode = c.mode AND s.txid = c.txid AND s.idx = c.idx)
		ORDER BY c.block_height, c.txid, c.idx`)
}

// UnconfirmedChange implements chains.UTXOTx.
func (t *tx) UnconfirmedChange(ctx context.Context, n chains.NetworkRef, f asset.Family) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT s.txid, s.change_index, s.change_amount::numeric, s.change_addr, w.branch, w.idx,
		w.pubkey, s.depth, s.status
		FROM wallet_sends s JOIN wallet_addresses w ON w.family = $1 AND w.mode = s.mode AND w.address = s.change_addr
		WHERE s.network = $2 AND s.mode = $3 AND s.status IN ('signed', 'broadcast') AND s.change_amount > 0
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
		var status string
		var amt pgtype.Numeric
		o.Address.Family, o.Address.Mode = f, n.Mode
		if err := row.Scan(&o.TxID, &o.Index, &amt, &o.Address.Encoded, &o.Address.Branch, &o.Address.Index,
			&o.Address.PubKey, &o.Depth, &status); err != nil {
			return o, err
		}
		o.Unsent = status == string(chains.SendSigned)
		v, err := integer(amt)
		if err != nil {
			return o, err
		}
		if !v.IsInt64() {
			return o, errors.New("postgres: an output's amount is beyond 64 bits")
		}
		o.Amount = v.Int64()
		return o, nil
	}, query, append([]any{string(f), string(n.ID), string(n.Mode)}, extra...)...)
}

// MarkSpent implements chains.UTXOTx. An output already spent by another send is a
// unique violation: two sends never spend one output.
func (t *tx) MarkSpent(ctx context.Context, n chains.NetworkRef, outs []chains.OutPoint, spentBy string) error {
	if err := t.writable(); err != nil {
		return err
	}
	for _, o := range outs {
		if _, err := t.exec(ctx, `INSERT INTO wallet_spends (network, mode, txid, idx, spent_by) VALUES ($1, $2, $3, $4, $5)`,
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
	_, err := t.exec(ctx, `DELETE FROM wallet_spends WHERE network = $1 AND mode = $2 AND spent_by = $3`,
		string(n.ID), string(n.Mode), spentBy)
	return err
}

// InsertSend implements chains.UTXOTx.
func (t *tx) InsertSend(ctx context.Context, s chains.UTXOSend) error {
	if err := t.writable(); err != nil {
		return err
	}
	raw := s.Raw
	if raw == nil {
		raw = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO wallet_sends (network, mode, spec_id, txid, raw, fee, amount, destination,
		change_addr, status, created_at, change_index, change_amount, depth, replaces)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		string(s.Network.ID), string(s.Network.Mode), s.SpecID, s.TxID, raw, s.Fee, s.Amount, s.Destination, s.Change,
		string(s.Status), ts(s.CreatedAt), s.ChangeIndex, s.ChangeAmount, s.Depth, s.Replaces)
	return err
}

const sendCols = `network, mode, spec_id, txid, raw, fee, amount, destination, change_addr, status, created_at, change_index,
	change_amount, depth, replaces`

func scanSend(row scanner) (chains.UTXOSend, error) {
	var s chains.UTXOSend
	var net, mode, status string
	if err := row.Scan(&net, &mode, &s.SpecID, &s.TxID, &s.Raw, &s.Fee, &s.Amount, &s.Destination, &s.Change, &status,
		&s.CreatedAt, &s.ChangeIndex, &s.ChangeAmount, &s.Depth, &s.Replaces); err != nil {
		return chains.UTXOSend{}, err
	}
	s.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	s.Status, s.CreatedAt = chains.SendStatus(status), s.CreatedAt.UTC()
	return s, nil
}

// SendByID implements chains.UTXOTx.
func (t *tx) SendByID(ctx context.Context, n chains.NetworkRef, specID string) (chains.UTXOSend, bool, error) {
	s, err := scanSend(t.queryRow(ctx, `SELECT `+sendCols+` FROM wallet_sends WHERE network = $1 AND mode = $2 AND spec_id = $3`,
		string(n.ID), string(n.Mode), specID))
	if errors.Is(err, pgx.ErrNoRows) {
		return chains.UTXOSend{}, false, nil
	}
	return s, err == nil, err
}

// SetSendStatus implements chains.UTXOTx.
func (t *tx) SetSendStatus(ctx context.Context, n chains.NetworkRef, specID string, s chains.SendStatus) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE wallet_sends SET status = $1 WHERE network = $2 AND mode = $3 AND spec_id = $4`,
		string(s), string(n.ID), string(n.Mode), specID)
	return err
}

// InputsOf implements chains.UTXOTx.
func (t *tx) InputsOf(ctx context.Context, n chains.NetworkRef, f asset.Family, spentBy string) ([]chains.UTXO, error) {
	return t.outputs(ctx, n, f, `SELECT c.txid, c.idx, c.amount, c.address, w.branch, w.idx, w.pubkey, 0, 'confirmed'
		FROM wallet_spends s JOIN chain_transfers c ON c.network = s.network AND c.mode = s.mode AND c.txid = s.txid AND c.idx = s.idx
		JOIN wallet_addresses w ON w.family = $1 AND w.mode = c.mode AND w.address = c.address
		WHERE s.network = $2 AND s.mode = $3 AND s.spent_by = $4 AND c.status = 'confirmed'
		UNION ALL
		SELECT d.txid, d.change_index, d.change_amount::numeric, d.change_addr, w.branch, w.idx, w.pubkey, d.depth, d.status
		FROM wallet_spends s JOIN wallet_sends d ON d.network = s.network AND d.mode = s.mode AND d.txid = s.txid
			AND d.change_index = s.idx AND d.change_amount > 0 AND d.status != 'replaced'
		JOIN wallet_addresses w ON w.family = $1 AND w.mode = d.mode AND w.address = d.change_addr
		WHERE s.network = $2 AND s.mode = $3 AND s.spent_by = $4 AND NOT EXISTS (SELECT 1 FROM chain_transfers c
			WHERE c.network = s.network AND c.mode = s.mode AND c.txid = s.txid AND c.idx = s.idx AND c.status = 'confirmed')
		ORDER BY 1, 2`, spentBy)
}

// SignSend implements chains.UTXOTx.
func (t *tx) SignSend(ctx context.Context, n chains.NetworkRef, specID string, raw []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	rows, err := t.exec(ctx, `UPDATE wallet_sends SET raw = $1, status = 'signed' WHERE network = $2 AND mode = $3 AND spec_id = $4
		AND status = 'unsigned'`, raw, string(n.ID), string(n.Mode), specID)
	if err != nil {
		return err
	}
	if rows != 1 {
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
		if _, err := t.exec(ctx, `DELETE FROM wallet_sends WHERE network = $1 AND mode = $2 AND spec_id = $3`,
			string(n.ID), string(n.Mode), chains.ReplacedSpecID(prev.SpecID, txid)); err != nil {
			return err
		}
	}
	if _, err := t.exec(ctx, `UPDATE wallet_sends SET spec_id = $1, status = 'replaced' WHERE network = $2 AND mode = $3 AND spec_id = $4`,
		chains.ReplacedSpecID(prev.SpecID, prev.TxID), string(n.ID), string(n.Mode), prev.SpecID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE wallet_spends SET spent_by = $1 WHERE network = $2 AND mode = $3 AND spent_by = $4`,
		next.TxID, string(n.ID), string(n.Mode), prev.TxID); err != nil {
		return err
	}
	return t.InsertSend(ctx, next)
}

// PendingSends implements chains.UTXOTx.
func (t *tx) PendingSends(ctx context.Context, n chains.NetworkRef) ([]chains.UTXOSend, error) {
	return all(ctx, t, scanSend, `SELECT `+sendCols+` FROM wallet_sends WHERE network = $1 AND mode = $2
		AND status IN ('signed', 'broadcast') ORDER BY created_at`, string(n.ID), string(n.Mode))
}

// OwnTx implements invoice.Tx: whether txid is a transaction one of our wallets sent.
func (t *tx) OwnTx(ctx context.Context, n chains.NetworkRef, txid string) (bool, error) {
	var own bool
	err := t.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM wallet_sends WHERE network = $1 AND mode = $2 AND txid = $3 AND status != 'failed')
		OR EXISTS (SELECT 1 FROM evm_sends WHERE network = $1 AND mode = $2 AND txid = $3)`,
		string(n.ID), string(n.Mode), txid).Scan(&own)
	return own, err
}

// NextNonce implements chains.AccountTx: one atomic upsert, so concurrent
// transactions never hand out one nonce twice.
func (t *tx) NextNonce(ctx context.Context, n chains.NetworkRef, from string, chainNext uint64) (uint64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	var next uint64
	err := t.queryRow(ctx, `INSERT INTO evm_nonces AS e (network, mode, address, next) VALUES ($1, $2, $3, $4::bigint + 1)
		ON CONFLICT (network, mode, address) DO UPDATE SET next = GREATEST(e.next, $4::bigint) + 1
		RETURNING next`, string(n.ID), string(n.Mode), from, chainNext).Scan(&next)
	if err != nil {
		return 0, err
	}
	return next - 1, nil
}

// InsertAccountSend implements chains.AccountTx.
func (t *tx) InsertAccountSend(ctx context.Context, s chains.AccountSend) error {
	if err := t.writable(); err != nil {
		return err
	}
	raw := s.Raw
	if raw == nil {
		raw = []byte{}
	}
	_, err := t.exec(ctx, `INSERT INTO evm_sends (network, mode, spec_id, attempt, kind, from_addr, to_addr, asset,
		amount, nonce, txid, raw, max_fee, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		string(s.Network.ID), string(s.Network.Mode), s.SpecID, s.Attempt, s.Kind, s.From, s.To, s.Asset, numeric(s.Amount),
		s.Nonce, s.TxID, raw, numeric(s.MaxFee), string(s.Status), ts(s.At))
	return err
}

const evmSendCols = `network, mode, spec_id, attempt, kind, from_addr, to_addr, asset, amount, nonce, txid, raw, max_fee, status, fee, created_at`

func scanEVMSend(row scanner) (chains.AccountSend, error) {
	var s chains.AccountSend
	var net, mode, status string
	var amount, maxFee, fee pgtype.Numeric
	if err := row.Scan(&net, &mode, &s.SpecID, &s.Attempt, &s.Kind, &s.From, &s.To, &s.Asset, &amount, &s.Nonce, &s.TxID,
		&s.Raw, &maxFee, &status, &fee, &s.At); err != nil {
		return chains.AccountSend{}, err
	}
	s.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	s.Status, s.At = chains.SendStatus(status), s.At.UTC()
	var err error
	if s.Amount, err = integer(amount); err != nil {
		return chains.AccountSend{}, err
	}
	if s.MaxFee, err = integer(maxFee); err != nil {
		return chains.AccountSend{}, err
	}
	if fee.Valid {
		if s.Fee, err = integer(fee); err != nil {
			return chains.AccountSend{}, err
		}
	}
	return s, nil
}

// LatestAccountSend implements chains.AccountTx.
func (t *tx) LatestAccountSend(ctx context.Context, n chains.NetworkRef, specID string) (chains.AccountSend, bool, error) {
	s, err := scanEVMSend(t.queryRow(ctx, `SELECT `+evmSendCols+` FROM evm_sends
		WHERE network = $1 AND mode = $2 AND spec_id = $3 ORDER BY attempt DESC LIMIT 1`, string(n.ID), string(n.Mode), specID))
	if errors.Is(err, pgx.ErrNoRows) {
		return chains.AccountSend{}, false, nil
	}
	return s, err == nil, err
}

// SetAccountSendStatus implements chains.AccountTx.
func (t *tx) SetAccountSendStatus(ctx context.Context, n chains.NetworkRef, specID string, attempt int, s chains.SendStatus, fee *big.Int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE evm_sends SET status = $1, fee = $2
		WHERE network = $3 AND mode = $4 AND spec_id = $5 AND attempt = $6`,
		string(s), numeric(fee), string(n.ID), string(n.Mode), specID, attempt)
	return err
}

// OpenAccountSends implements chains.AccountTx.
func (t *tx) OpenAccountSends(ctx context.Context, n chains.NetworkRef) ([]chains.AccountSend, error) {
	return all(ctx, t, scanEVMSend, `SELECT `+evmSendCols+` FROM evm_sends WHERE network = $1 AND mode = $2
		AND status IN ('signed', 'broadcast') ORDER BY nonce, attempt`, string(n.ID), string(n.Mode))
}
