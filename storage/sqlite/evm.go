package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// NextNonce implements chains.AccountTx.
func (t *tx) NextNonce(ctx context.Context, n chains.NetworkRef, from string, chainNext uint64) (uint64, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	var stored uint64
	err := t.tx.QueryRowContext(ctx, `SELECT next FROM evm_nonces WHERE network = ? AND mode = ? AND address = ?`,
		string(n.ID), string(n.Mode), from).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	nonce := max(stored, chainNext)
	_, err = t.tx.ExecContext(ctx, `INSERT INTO evm_nonces (network, mode, address, next) VALUES (?, ?, ?, ?)
		ON CONFLICT (network, mode, address) DO UPDATE SET next = excluded.next`, string(n.ID), string(n.Mode), from, nonce+1)
	return nonce, err
}

// InsertAccountSend implements chains.AccountTx.
func (t *tx) InsertAccountSend(ctx context.Context, s chains.AccountSend) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO evm_sends (network, mode, spec_id, attempt, kind, from_addr, to_addr, asset,
		amount, nonce, txid, raw, max_fee, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(s.Network.ID), string(s.Network.Mode), s.SpecID, s.Attempt, s.Kind, s.From, s.To, s.Asset, s.Amount.String(),
		s.Nonce, s.TxID, s.Raw, s.MaxFee.String(), string(s.Status), micros(s.At))
	return err
}

const evmSendCols = `network, mode, spec_id, attempt, kind, from_addr, to_addr, asset, amount, nonce, txid, raw, max_fee, status, fee, created_at`

func scanEVMSend(row scanner) (chains.AccountSend, error) {
	var s chains.AccountSend
	var net, mode, amount, maxFee, status, fee string
	var at int64
	if err := row.Scan(&net, &mode, &s.SpecID, &s.Attempt, &s.Kind, &s.From, &s.To, &s.Asset, &amount, &s.Nonce, &s.TxID,
		&s.Raw, &maxFee, &status, &fee, &at); err != nil {
		return chains.AccountSend{}, err
	}
	s.Network = chains.NetworkRef{ID: asset.NetworkID(net), Mode: asset.Mode(mode)}
	s.Status, s.At = chains.SendStatus(status), time.UnixMicro(at).UTC()
	var err error
	if s.Amount, err = parseInt(amount); err != nil {
		return chains.AccountSend{}, err
	}
	if s.MaxFee, err = parseInt(maxFee); err != nil {
		return chains.AccountSend{}, err
	}
	if fee != "" {
		if s.Fee, err = parseInt(fee); err != nil {
			return chains.AccountSend{}, err
		}
	}
	return s, nil
}

// LatestAccountSend implements chains.AccountTx.
func (t *tx) LatestAccountSend(ctx context.Context, n chains.NetworkRef, specID string) (chains.AccountSend, bool, error) {
	s, err := scanEVMSend(t.tx.QueryRowContext(ctx, `SELECT `+evmSendCols+` FROM evm_sends
		WHERE network = ? AND mode = ? AND spec_id = ? ORDER BY attempt DESC LIMIT 1`, string(n.ID), string(n.Mode), specID))
	if errors.Is(err, sql.ErrNoRows) {
		return chains.AccountSend{}, false, nil
	}
	return s, err == nil, err
}

// SetAccountSendStatus implements chains.AccountTx.
func (t *tx) SetAccountSendStatus(ctx context.Context, n chains.NetworkRef, specID string, attempt int, s chains.SendStatus, fee *big.Int) error {
	if err := t.writable(); err != nil {
		return err
	}
	f := ""
	if fee != nil {
		f = fee.String()
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE evm_sends SET status = ?, fee = ? WHERE network = ? AND mode = ? AND spec_id = ? AND attempt = ?`,
		string(s), f, string(n.ID), string(n.Mode), specID, attempt)
	return err
}

// OpenAccountSends implements chains.AccountTx.
func (t *tx) OpenAccountSends(ctx context.Context, n chains.NetworkRef) ([]chains.AccountSend, error) {
	return all(ctx, t, scanEVMSend, `SELECT `+evmSendCols+` FROM evm_sends WHERE network = ? AND mode = ?
		AND status IN ('signed', 'broadcast') ORDER BY nonce, attempt`, string(n.ID), string(n.Mode))
}
