package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/wallet"
)

// InsertWallet implements wallet.Tx.
func (t *tx) InsertWallet(ctx context.Context, w wallet.Wallet) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok, err := t.WalletOf(ctx, w.Mode, w.SubMerchantID, w.CustomerID, w.Asset); err != nil || ok {
		if ok {
			err = wallet.ErrExists
		}
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO wallets (id, mode, customer_id, asset, currency, network, address, idx, label,
		metadata, created_at, sub_merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, string(w.Mode), w.CustomerID, w.Asset, w.Currency,
		w.Network, w.Address, int64(w.Index), w.Label, nullJSON(w.Metadata), micros(w.CreatedAt), w.SubMerchantID)
	return err
}

const walletCols = `id, mode, customer_id, asset, currency, network, address, idx, label, metadata, created_at, sub_merchant_id`

func scanWallet(row scanner) (wallet.Wallet, error) {
	var w wallet.Wallet
	var mode string
	var idx, created int64
	var metadata sql.NullString
	if err := row.Scan(&w.ID, &mode, &w.CustomerID, &w.Asset, &w.Currency, &w.Network, &w.Address, &idx, &w.Label, &metadata, &created, &w.SubMerchantID); err != nil {
		return wallet.Wallet{}, err
	}
	w.Mode, w.Index, w.CreatedAt = asset.Mode(mode), uint32(idx), time.UnixMicro(created).UTC()
	if metadata.Valid {
		w.Metadata = json.RawMessage(metadata.String)
	}
	return w, nil
}

// oneWallet runs a query for at most one wallet.
func (t *tx) oneWallet(ctx context.Context, where string, args ...any) (wallet.Wallet, bool, error) {
	w, err := scanWallet(t.tx.QueryRowContext(ctx, `SELECT `+walletCols+` FROM wallets WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return wallet.Wallet{}, false, nil
	}
	return w, err == nil, err
}

// GetWallet implements wallet.Tx.
func (t *tx) GetWallet(ctx context.Context, m asset.Mode, id string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `id = ? AND mode = ?`, id, string(m))
}

// WalletOf implements wallet.Tx.
func (t *tx) WalletOf(ctx context.Context, m asset.Mode, sub, customer, code string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `mode = ? AND sub_merchant_id = ? AND customer_id = ? AND asset = ?`, string(m), sub, customer, code)
}

// WalletByAddress implements wallet.Tx.
func (t *tx) WalletByAddress(ctx context.Context, n chains.NetworkRef, address string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `network = ? AND mode = ? AND address = ?`, string(n.ID), string(n.Mode), address)
}

// ListWallets implements wallet.Tx.
func (t *tx) ListWallets(ctx context.Context, p wallet.ListParams) ([]wallet.Wallet, int, error) {
	where, args := `mode = ?`, []any{string(p.Mode)}
	if p.CustomerID != "" {
		where, args = where+` AND customer_id = ?`, append(args, p.CustomerID)
	}
	if p.Currency != "" {
		where, args = where+` AND currency = ?`, append(args, p.Currency)
	}
	if p.SubMerchantID != nil {
		where, args = where+` AND sub_merchant_id = ?`+subIndexed(*p.SubMerchantID), append(args, *p.SubMerchantID)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM wallets WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := all(ctx, t, scanWallet, `SELECT `+walletCols+` FROM wallets WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, p.Limit, (p.Page-1)*p.Limit)...)
	return out, total, err
}

// TransfersTo implements wallet.Tx.
func (t *tx) TransfersTo(ctx context.Context, n chains.NetworkRef, address string, limit int) ([]chains.Record, error) {
	return t.transfers(ctx, `network = ? AND mode = ? AND address = ? ORDER BY seen_at DESC, txid, idx LIMIT ?`,
		string(n.ID), string(n.Mode), address, limit)
}

// WalletPayouts implements payout.Tx.
func (t *tx) WalletPayouts(ctx context.Context, m asset.Mode, id string, limit int) ([]*payout.Payout, error) {
	return t.payouts(ctx, `SELECT body FROM payouts WHERE `+wherePayoutWallet+` ORDER BY created_at DESC, id DESC LIMIT ?`,
		id, string(m), limit)
}
