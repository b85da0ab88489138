package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/wallet"
)

var walletTests = []test{
	{"Wallet_InsertFindList", testWallets},
	{"Wallet_OnePerCustomerAndAssetConcurrent", testWalletConcurrent},
	{"Wallet_TransfersHoldsAndWithdrawals", testWalletMoney},
}

// wal returns a wallet with every stored field set as the service sets it.
func wal(id string, m asset.Mode, customerID, code, network, address string, index uint32, created time.Time) wallet.Wallet {
	cur, _, _ := strings.Cut(code, "_")
	return wallet.Wallet{ID: id, Mode: m, CustomerID: customerID, Asset: code, Currency: cur, Network: network, Address: address,
		Index: index, Label: "savings ☕", Metadata: json.RawMessage(`{"z":1,"a":[1,2]}`), CreatedAt: created}
}

// stored is the part of a wallet storage keeps (balances are the ledger's).
type stored struct {
	ID, CustomerID, Asset, Currency, Network, Address, Label, Metadata string
	Mode                                                               asset.Mode
	Index                                                              uint32
	CreatedAt                                                          time.Time
}

func storedOf(w wallet.Wallet) stored {
	return stored{w.ID, w.CustomerID, w.Asset, w.Currency, w.Network, w.Address, w.Label, string(w.Metadata), w.Mode, w.Index, w.CreatedAt}
}

func insertWallets(t *testing.T, s storage.Store, ws ...wallet.Wallet) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, w := range ws {
			if err := tx.InsertWallet(ctx, w); err != nil {
				return fmt.Errorf("InsertWallet %s: %w", w.ID, err)
			}
		}
		return nil
	})
}

// testWallets checks InsertWallet (one per mode, customer and asset: ErrExists), and
// that GetWallet, WalletOf and WalletByAddress find every stored field (metadata byte
// for byte, nil stays nil), never across modes or networks; ListWallets filters by
// customer and currency, newest first, and pages.
func testWallets(t *testing.T, s storage.Store) {
	eth := chains.NetworkRef{ID: asset.Ethereum, Mode: asset.Test}
	a := wal("wal_a", asset.Test, "cus_1", "USDT_ETH", "ethereum", "0xAa00000000000000000000000000000000000001", 7, t0)
	b := wal("wal_b", asset.Test, "cus_1", "BTC", "bitcoin", "tb1qwallet0b", 8, at(time.Minute))
	b.Metadata, b.Label = nil, ""
	c := wal("wal_c", asset.Test, "shop-user-9", "USDT_ETH", "ethereum", "0xAa00000000000000000000000000000000000002", 9, at(2*time.Minute))
	l := wal("wal_l", asset.Live, "cus_1", "USDT_ETH", "ethereum", "0xAa00000000000000000000000000000000000001", 7, t0)
	insertWallets(t, s, a, b, c, l)
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.InsertWallet(ctx, wal("wal_dup", asset.Test, "cus_1", "USDT_ETH", "ethereum", "0xAa00000000000000000000000000000000000099", 10, at(time.Hour)))
	}); !errors.Is(err, wallet.ErrExists) {
		t.Errorf("a second USDT_ETH wallet of cus_1: %v, want ErrExists", err)
	}
	type find struct {
		what string
		fn   func(context.Context, storage.Tx) (wallet.Wallet, bool, error)
		want string // "" for none
	}
	for _, f := range []find{
		{"GetWallet a", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.GetWallet(ctx, asset.Test, "wal_a")
		}, "wal_a"},
		{"GetWallet b", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.GetWallet(ctx, asset.Test, "wal_b")
		}, "wal_b"},
		{"GetWallet of the other mode", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.GetWallet(ctx, asset.Live, "wal_a")
		}, ""},
		{"WalletOf", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.WalletOf(ctx, asset.Test, "", "shop-user-9", "USDT_ETH")
		}, "wal_c"},
		{"WalletOf live", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.WalletOf(ctx, asset.Live, "", "cus_1", "USDT_ETH")
		}, "wal_l"},
		{"WalletOf another asset", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.WalletOf(ctx, asset.Test, "", "shop-user-9", "BTC")
		}, ""},
		{"WalletByAddress", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.WalletByAddress(ctx, eth, "0xAa00000000000000000000000000000000000001")
		}, "wal_a"},
		{"WalletByAddress on another network", func(ctx context.Context, tx storage.Tx) (wallet.Wallet, bool, error) {
			return tx.WalletByAddress(ctx, chains.NetworkRef{ID: asset.BSC, Mode: asset.Test}, "0xAa00000000000000000000000000000000000001")
		}, ""},
	} {
		var got wallet.Wallet
		var ok bool
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			got, ok, err = f.fn(ctx, tx)
			return err
		})
		if f.want == "" {
			if ok {
				t.Errorf("%s = %s, want none", f.what, got.ID)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: none, want %s", f.what, f.want)
			continue
		}
		want := map[string]wallet.Wallet{"wal_a": a, "wal_b": b, "wal_c": c, "wal_l": l}[f.want]
		if storedOf(got) != storedOf(want) {
			t.Errorf("%s = %+v, want %+v", f.what, storedOf(got), storedOf(want))
		}
		if want.Metadata == nil && got.Metadata != nil {
			t.Errorf("%s: metadata %s, want nil", f.what, got.Metadata)
		}
	}
	list := func(p wallet.ListParams) ([]string, int) {
		var ws []wallet.Wallet
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			ws, total, err = tx.ListWallets(ctx, p)
			return err
		})
		var ids []string
		for _, w := range ws {
			ids = append(ids, w.ID)
		}
		return ids, total
	}
	for _, c := range []struct {
		p     wallet.ListParams
		want  []string
		total int
	}{
		{wallet.ListParams{Mode: asset.Test, Page: 1, Limit: 10}, []string{"wal_c", "wal_b", "wal_a"}, 3},
		{wallet.ListParams{Mode: asset.Test, CustomerID: "cus_1", Page: 1, Limit: 10}, []string{"wal_b", "wal_a"}, 2},
		{wallet.ListParams{Mode: asset.Test, Currency: "BTC", Page: 1, Limit: 10}, []string{"wal_b"}, 1},
		{wallet.ListParams{Mode: asset.Test, Page: 2, Limit: 2}, []string{"wal_a"}, 3},
		{wallet.ListParams{Mode: asset.Live, Page: 1, Limit: 10}, []string{"wal_l"}, 1},
		{wallet.ListParams{Mode: asset.Test, CustomerID: "nobody", Page: 1, Limit: 10}, nil, 0},
	} {
		got, total := list(c.p)
		if !slices.Equal(got, c.want) || total != c.total {
			t.Errorf("ListWallets(%+v) = %v (%d), want %v (%d)", c.p, got, total, c.want, c.total)
		}
	}
}

// testWalletConcurrent: many transactions create one customer's wallet of one asset
// at once, each first looking for it (as the service does); exactly one wallet is
// stored and every other transaction finds it or is told ErrExists.
func testWalletConcurrent(t *testing.T, s storage.Store) {
	const workers = 8
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				if _, ok, err := tx.WalletOf(ctx, asset.Test, "", "cus_race", "BTC"); err != nil || ok {
					return err
				}
				return tx.InsertWallet(ctx, wal(fmt.Sprintf("wal_%d", i), asset.Test, "cus_race", "BTC", "bitcoin", fmt.Sprintf("tb1qrace%d", i), uint32(i), t0))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, wallet.ErrExists) {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	var total int
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		_, total, err = tx.ListWallets(ctx, wallet.ListParams{Mode: asset.Test, CustomerID: "cus_race", Page: 1, Limit: 10})
		return err
	})
	if total != 1 {
		t.Fatalf("%d wallets of cus_race, want 1", total)
	}
}

// testWalletMoney checks TransfersTo (the transfers to one address on one network,
// newest first, bounded) and WalletPayouts (a wallet's payouts, newest first, not
// another wallet's or mode's).
func testWalletMoney(t *testing.T, s storage.Store) {
	btc := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	saveTransfers(t, s,
		record(btc, "BTC", "tb1qmine", "t1", 0, n(1000), chains.StatusConfirmed, 10, t0),
		record(btc, "BTC", "tb1qmine", "t2", 1, n(2000), chains.StatusMempool, 0, at(time.Minute)),
		record(btc, "BTC", "tb1qother", "t3", 0, n(3000), chains.StatusConfirmed, 10, at(2*time.Minute)),
		record(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Live}, "BTC", "tb1qmine", "t4", 0, n(4000), chains.StatusConfirmed, 10, at(3*time.Minute)),
	)
	var recs []chains.Record
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		recs, err = tx.TransfersTo(ctx, btc, "tb1qmine", 10)
		return err
	})
	var got []string
	for _, r := range recs {
		got = append(got, r.TxID+"="+r.Amount.String())
	}
	if want := []string{"t2=2000", "t1=1000"}; !slices.Equal(got, want) {
		t.Errorf("TransfersTo = %v, want %v", got, want)
	}
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		recs, err = tx.TransfersTo(ctx, btc, "tb1qmine", 1)
		return err
	})
	if len(recs) != 1 || recs[0].TxID != "t2" {
		t.Errorf("TransfersTo with limit 1 = %v, want t2 only", recs)
	}

	p1, p2, p3, p4 := newPayout("po_w1", asset.Test, t0), newPayout("po_w2", asset.Test, at(time.Minute)), newPayout("po_w3", asset.Test, at(2*time.Minute)), newPayout("po_w4", asset.Live, at(3*time.Minute))
	p1.WalletID, p2.WalletID, p3.WalletID, p4.WalletID = "wal_m", "wal_m", "wal_other", "wal_m"
	insertPayouts(t, s, p1, p2, p3, p4, newPayout("po_merchant", asset.Test, at(4*time.Minute)))
	var ps []*payout.Payout
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		ps, err = tx.WalletPayouts(ctx, asset.Test, "wal_m", 10)
		return err
	})
	if got, want := payoutIDs(ps), []string{"po_w2", "po_w1"}; !slices.Equal(got, want) {
		t.Errorf("WalletPayouts = %v, want %v", got, want)
	}
	if len(ps) > 0 {
		samePayout(t, "WalletPayouts[0]", ps[0], p2)
	}
}
