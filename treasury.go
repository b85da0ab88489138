package kassa

import (
	"context"
	"errors"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/treasury"
	"github.com/shopspring/decimal"
)

// TreasuryOptions tune the treasury pass (package treasury).
type TreasuryOptions struct {
	// Sweep turns the sweep pass on: confirmed deposits on EVM networks move to the
	// network's hot wallet, where payouts and refunds leave from. Off by default in
	// this version (it will be on once cold storage and the payouts' wait for sweeps
	// are built); until then fund the hot wallet, or turn this on.
	Sweep bool
	// Thresholds: an address's balance of an asset is swept once it reaches this
	// (default: the asset's minimum payout).
	Thresholds map[string]decimal.Decimal
	// MaxFeePercent: a native-coin sweep costing more than this share of it in fees
	// waits for more deposits (default 5).
	MaxFeePercent int64
}

// Treasury returns the treasury pass (its sweeps), nil unless
// Config.Treasury.Sweep is set.
func (g *Gateway) Treasury() *treasury.Service { return g.treasury }

// newTreasury builds the sweep pass on the EVM wallets (nil when it is off).
func (g *Gateway) newTreasury(cfg Config) error {
	if !cfg.Treasury.Sweep {
		return nil
	}
	sweepers := map[chains.NetworkRef]treasury.Sweeper{}
	for n, w := range g.wallets {
		if ew, ok := w.(interface{ EVMWallet() *evm.Wallet }); ok {
			sweepers[n] = evmSweeper{ew.EVMWallet()}
		}
	}
	var err error
	g.treasury, err = treasury.New(treasury.Config{Assets: g.assets, Update: storage.Runner[treasury.Tx](g.store.Update),
		View: storage.Runner[treasury.Tx](g.store.View), Sweepers: sweepers, Thresholds: cfg.Treasury.Thresholds,
		MaxFeePercent: cfg.Treasury.MaxFeePercent, Now: g.now, Logger: g.log})
	return err
}

// fundsShort is payout.Config.FundsShort: with sweeps on, a hot wallet without the
// funds (yet) makes a payout wait for the sweeps, up to PayoutOptions.FundsWait.
func fundsShort(cfg Config) func(error) bool {
	if !cfg.Treasury.Sweep {
		return nil
	}
	return func(err error) bool { return errors.Is(err, evm.ErrInsufficientFunds) }
}

// evmSweeper is an EVM wallet as the sweep pass uses it.
type evmSweeper struct{ w *evm.Wallet }

func (s evmSweeper) FeeAsset() string { return s.w.FeeAsset() }

func (s evmSweeper) HotAddress() string { return s.w.HotAddress() }

func (s evmSweeper) ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error) {
	return s.w.ConfirmedBalance(ctx, addr, code, confirmations)
}

func (s evmSweeper) SweepStep(ctx context.Context, addr keys.Address, code string, units *big.Int, maxFeePercent int64) (treasury.Step, error) {
	st, err := s.w.SweepStep(ctx, evm.Deposit{Address: addr, Asset: code, Amount: units}, maxFeePercent)
	switch {
	case errors.Is(err, evm.ErrNotWorth):
		err = errors.Join(treasury.ErrNotWorth, err)
	case errors.Is(err, evm.ErrRejected), errors.Is(err, evm.ErrInsufficientFunds):
		err = errors.Join(treasury.ErrRejected, err)
	}
	return treasury.Step{GasTx: st.GasTx, TxID: st.TxID, Done: st.Done, Failed: st.Failed, Fee: st.Fee}, err
}
