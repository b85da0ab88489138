package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/wallet"
)

// InsertWallet implements wallet.Tx. Two transactions creating one customer's wallet
// of one asset at once: the unique index fails the second, whose rerun (see Store)
// finds the first through WalletOf.
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
	_, err := t.exec(ctx, `INSERT INTO wallets (id, mode, customer_id, asset, currency, network, address, idx, label,
		metadata, created_at, sub_merchant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, w.ID, string(w.Mode), w.CustomerID, w.Asset,
		w.Currency, w.Network, w.Address, int64(w.Index), w.Label, nullJSON(w.Metadata), ts(w.CreatedAt), w.SubMerchantID)
	return err
}

const walletCols = `id, mode, customer_id, asset, currency, network, address, idx, label, metadata::text, created_at, sub_merchant_id`

func scanWallet(row scanner) (wallet.Wallet, error) {
	var w wallet.Wallet
	var mode string
	var idx int64
	var metadata *string
	if err := row.Scan(&w.ID, &mode, &w.CustomerID, &w.Asset, &w.Currency, &w.Network, &w.Address, &idx, &w.Label, &metadata, &w.CreatedAt, &w.SubMerchantID); err != nil {
		return wallet.Wallet{}, err
	}
	w.Mode, w.Index, w.CreatedAt = asset.Mode(mode), uint32(idx), w.CreatedAt.UTC()
	if metadata != nil {
		w.Metadata = json.RawMessage(*metadata)
	}
	return w, nil
}

// oneWallet runs a query for at most one wallet.
func (t *tx) oneWallet(ctx context.Context, where string, args ...any) (wallet.Wallet, bool, error) {
	w, err := scanWallet(t.queryRow(ctx, `SELECT `+walletCols+` FROM wallets WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return wallet.Wallet{}, false, nil
	}
	return w, err == nil, err
}

// GetWallet implements wallet.Tx.
func (t *tx) GetWallet(ctx context.Context, m asset.Mode, id string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `id = $1 AND mode = $2`, id, string(m))
}

// WalletOf implements wallet.Tx.
func (t *tx) WalletOf(ctx context.Context, m asset.Mode, sub, customer, code string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `mode = $1 AND sub_merchant_id = $2 AND customer_id = $3 AND asset = $4`, string(m), sub, customer, code)
}

// WalletByAddress implements wallet.Tx.
func (t *tx) WalletByAddress(ctx context.Context, n chains.NetworkRef, address string) (wallet.Wallet, bool, error) {
	return t.oneWallet(ctx, `network = $1 AND mode = $2 AND address = $3`, string(n.ID), string(n.Mode), address)
}

// ListWallets implements wallet.Tx.
func (t *tx) ListWallets(ctx context.Context, p wallet.ListParams) ([]wallet.Wallet, int, error) {
	where, args := `mode = $1`, []any{string(p.Mode)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.CustomerID != "" {
		where += ` AND customer_id = ` + arg(p.CustomerID)
	}
	if p.Currency != "" {
		where += ` AND currency = ` + arg(p.Currency)
	}
	if p.SubMerchantID != nil {
		where += ` AND sub_merchant_id = ` + arg(*p.SubMerchantID)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT count(*) FROM wallets WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(p.Limit) + ` OFFSET ` + arg((p.Page-1)*p.Limit)
	out, err := all(ctx, t, scanWallet, `SELECT `+walletCols+` FROM wallets WHERE `+where+page, args...)
	return out, total, err
}

// TransfersTo implements wallet.Tx.
func (t *tx) TransfersTo(ctx context.Context, n chains.NetworkRef, address string, limit int) ([]chains.Record, error) {
	return t.transfers(ctx, `network = $1 AND mode = $2 AND address = $3 ORDER BY seen_at DESC, txid, idx LIMIT $4`,
		string(n.ID), string(n.Mode), address, limit)
}

// WalletPayouts implements payout.Tx.
func (t *tx) WalletPayouts(ctx context.Context, m asset.Mode, id string, limit int) ([]*payout.Payout, error) {
	return t.payouts(ctx, `SELECT body FROM payouts WHERE wallet_id = $1 AND mode = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
		id, string(m), limit)
}
