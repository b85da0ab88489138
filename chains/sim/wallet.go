package sim

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// NewWallet implements chains.Payer: a sim chain pays out by itself, each payout a
// transaction of its own with a flat fee (1000 base units of the network's coin).
func (c *Chain) NewWallet(cfg chains.WalletConfig) (chains.Wallet, error) {
	if cfg.Assets == nil {
		return nil, errors.New("sim: NewWallet needs the asset registry")
	}
	if cfg.Keyring != nil && cfg.Keyring.WatchOnly() {
		return nil, keys.ErrWatchOnly
	}
	n, err := cfg.Assets.Network(c.net.ID)
	if err != nil {
		return nil, err
	}
	native, err := cfg.Assets.Parse(n.Native, string(n.ID))
	if err != nil {
		return nil, fmt.Errorf("sim: native asset of %s: %w", n.ID, err)
	}
	return wallet{c: c, fee: native.Code, update: cfg.Update}, nil
}

var (
	_ chains.Wallet        = wallet{}
	_ chains.Canonicalizer = wallet{}
)

// wallet pays out on a sim chain.
type wallet struct {
	c      *Chain
	fee    string
	update chains.Runner[chains.WalletTx] // where a bump's record runs
}

func (w wallet) FeeAsset() string { return w.fee }

func (w wallet) CanonicalAddress(addr string) (string, error) { return w.c.CanonicalAddress(addr) }

func (w wallet) Rejected(err error) bool { return errors.Is(err, ErrRejected) }

// EstimateFee is the chain's flat fee.
func (w wallet) EstimateFee(context.Context, string, string, *big.Int) (*big.Int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if err := w.c.check(); err != nil {
		return nil, err
	}
	return new(big.Int).Set(w.c.fee), nil
}

func (w wallet) Send(_ context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	return w.c.send(spec)
}

// Bump implements chains.Bumper: the payout's transaction, still in the mempool, is
// replaced by one paying the same output (the sim chain's fee is flat, so the
// replacement pays it too). record runs in a storage transaction before the mempool
// changes; an error from it changes nothing. A mined or unknown transaction is
// refused (ErrRejected).
func (w wallet) Bump(ctx context.Context, specID string, record func(context.Context, chains.WalletTx, chains.SentTx) error) (chains.SentTx, error) {
	next, err := w.c.bumpPlan(specID)
	if err != nil {
		return chains.SentTx{}, err
	}
	if record != nil {
		if w.update == nil {
			return chains.SentTx{}, errors.New("sim: a wallet without storage cannot record a bump")
		}
		if err := w.update(ctx, func(ctx context.Context, tx chains.WalletTx) error { return record(ctx, tx, next) }); err != nil {
			return chains.SentTx{}, err
		}
	}
	return next, w.c.bump(specID, next)
}
