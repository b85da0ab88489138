package tron

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/treasury"
)

// NewWallet implements chains.Payer: the Gateway's payouts on Tron leave from the hot
// wallet (branch 1, index 0 of the Tron account).
func (b *Backend) NewWallet(cfg chains.WalletConfig) (chains.Wallet, error) {
	w, err := NewWallet(WalletConfig{Backend: b, Keyring: cfg.Keyring, Update: cfg.Update, View: cfg.View,
		Follow: cfg.Follow, Book: cfg.Book, Expiration: b.cfg.Expiration, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return payer{w}, nil
}

var (
	_ chains.Payer         = (*Backend)(nil)
	_ chains.Wallet        = payer{}
	_ chains.Canonicalizer = payer{}
	_ treasury.Sweeper     = payer{}
	_ chains.Expirer       = payer{}
)

// Expired implements chains.Expirer.
func (p payer) Expired(ctx context.Context, specID string) (bool, error) {
	return p.w.Expired(ctx, specID)
}

// ConfirmedBalance implements treasury.Sweeper.
func (p payer) ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error) {
	b, err := p.w.ConfirmedBalance(ctx, addr, code, confirmations)
	if errors.Is(err, ErrNotSolid) {
		return nil, errors.Join(treasury.ErrWaiting, err)
	}
	return b, err
}

// SweepWorth implements treasury.Sweeper.
func (p payer) SweepWorth(ctx context.Context, code string, units *big.Int, maxFeePercent int64) error {
	return sweepError(p.w.SweepWorth(ctx, code, units, maxFeePercent))
}

// SweepStep implements treasury.Sweeper: Wallet.SweepStep, its errors told as the
// treasury's.
func (p payer) SweepStep(ctx context.Context, id string, addr keys.Address, code string, units *big.Int, maxFeePercent int64) (treasury.Step, error) {
	st, err := p.w.SweepStep(ctx, id, addr, code, units, maxFeePercent)
	return treasury.Step{GasTx: st.GasTx, Gas: st.Gas, TxID: st.TxID, Done: st.Done, Failed: st.Failed, Fee: st.Fee}, sweepError(err)
}

// sweepError tells a sweep's error as the treasury's: not worth it, waiting for the
// hot wallet, or refused for good (an expired transaction too); others (a node that
// is down) as they are.
func sweepError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotWorth):
		return errors.Join(treasury.ErrNotWorth, err)
	case errors.Is(err, ErrHotWalletShort):
		return errors.Join(treasury.ErrWaiting, err)
	case errors.Is(err, ErrRejected), errors.Is(err, ErrInsufficientFunds), errors.Is(err, ErrExpired), errors.Is(err, ErrFeeLimit):
		return errors.Join(treasury.ErrRejected, err)
	}
	return err
}

// payer is a Wallet as chains.Wallet.
type payer struct{ w *Wallet }

// CanonicalAddress implements chains.Canonicalizer.
func (p payer) CanonicalAddress(addr string) (string, error) {
	return p.w.cfg.Backend.CanonicalAddress(addr)
}

func (p payer) FeeAsset() string { return p.w.FeeAsset() }

// HotAddress is where payouts leave from.
func (p payer) HotAddress() string { return p.w.HotAddress() }

func (p payer) EstimateFee(ctx context.Context, code, to string, amount *big.Int) (*big.Int, error) {
	return p.w.EstimateFee(ctx, code, to, amount)
}

// Send: what the transaction burnt is known from its info once mined (the watcher's
// Out record), so no fee is reported before. Once signed and stored, only a refusal of
// the node is final: anything else leaves the payout held, and the stored bytes are
// broadcast again.
func (p payer) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	s, err := p.w.Send(ctx, spec)
	sent := chains.SentTx{TxID: s.TxID, Raw: s.Raw}
	if err != nil && s.TxID != "" && !errors.Is(err, ErrRejected) {
		return sent, fmt.Errorf("%w: %s signed, broadcast deferred: %v", errSignedNotSent, s.TxID, err)
	}
	return sent, err
}

var errSignedNotSent = errors.New("payout transaction is signed")

func (p payer) Rejected(err error) bool {
	if errors.Is(err, errSignedNotSent) {
		return false
	}
	return errors.Is(err, ErrBadSpec) || errors.Is(err, ErrInsufficientFunds) || errors.Is(err, ErrRejected) ||
		errors.Is(err, ErrFeeLimit) || errors.Is(err, chains.ErrInvalidAddress)
}
