package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/treasury"
)

// NewWallet implements chains.Payer: the Gateway's payouts on this network leave from
// the hot wallet (branch 1, index 0 of the EVM account).
func (b *Backend) NewWallet(cfg chains.WalletConfig) (chains.Wallet, error) {
	w, err := NewWallet(WalletConfig{Backend: b, Keyring: cfg.Keyring, Update: cfg.Update, View: cfg.View,
		Book: cfg.Book, Follow: cfg.Follow, Logger: cfg.Logger})
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
)

// payer is a Wallet as chains.Wallet.
type payer struct{ w *Wallet }

// CanonicalAddress implements chains.Canonicalizer: payout destinations are checked
// and compared with our own addresses by what they pay to.
func (p payer) CanonicalAddress(addr string) (string, error) { return CanonicalAddress(addr) }

func (p payer) FeeAsset() string { return p.w.FeeAsset() }

// HotAddress implements treasury.Sweeper.
func (p payer) HotAddress() string { return p.w.HotAddress() }

// ConfirmedBalance implements treasury.Sweeper.
func (p payer) ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error) {
	return p.w.ConfirmedBalance(ctx, addr, code, confirmations)
}

// SweepWorth implements treasury.Sweeper.
func (p payer) SweepWorth(ctx context.Context, code string, units *big.Int, maxFeePercent int64) error {
	return sweepError(p.w.SweepWorth(ctx, code, units, maxFeePercent))
}

// SweepStep implements treasury.Sweeper: Wallet.SweepStep, its errors told as the
// treasury's.
func (p payer) SweepStep(ctx context.Context, id string, addr keys.Address, code string, units *big.Int, maxFeePercent int64) (treasury.Step, error) {
	st, err := p.w.SweepStep(ctx, Deposit{ID: id, Address: addr, Asset: code, Amount: units}, maxFeePercent)
	return treasury.Step{GasTx: st.GasTx, Gas: st.Gas, TxID: st.TxID, Done: st.Done, Failed: st.Failed, Fee: st.Fee}, sweepError(err)
}

// sweepError tells a sweep's error as the treasury's: not worth it, waiting for the
// hot wallet, or refused for good; others (a node that is down) as they are.
func sweepError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotWorth):
		return errors.Join(treasury.ErrNotWorth, err)
	case errors.Is(err, ErrHotWalletShort):
		return errors.Join(treasury.ErrWaiting, err)
	case errors.Is(err, ErrRejected), errors.Is(err, ErrInsufficientFunds):
		return errors.Join(treasury.ErrRejected, err)
	}
	return err
}

func (p payer) EstimateFee(ctx context.Context, code, _ string, _ *big.Int) (*big.Int, error) {
	return p.w.EstimateFee(ctx, code)
}

// Send: once a transaction is signed and stored, no error is a refusal any more: its
// nonce is taken and the stored bytes will be broadcast again, so the payout must stay
// held (processing) until the chain settles it.
func (p payer) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	sent, err := p.w.Send(ctx, spec)
	// The wallet reports the most the transaction can cost (gas limit x fee cap); what
	// it costs is known from the receipt (Status), so none is reported before.
	sent.Fee = nil
	if err != nil && sent.TxID != "" {
		return sent, fmt.Errorf("%w: %s signed, broadcast deferred: %v", errSignedNotSent, sent.TxID, err)
	}
	return sent, err
}

// Bump implements chains.Bumper: the hot wallet's transaction signed again with the
// same nonce and tips raised by 12.5% (Wallet.Bump). Its fee is known from the
// receipt of whichever attempt is mined.
func (p payer) Bump(ctx context.Context, specID string, record func(context.Context, chains.WalletTx, chains.SentTx) error) (chains.SentTx, error) {
	s, err := p.w.Bump(ctx, specID, record)
	return chains.SentTx{TxID: s.TxID, Raw: s.Raw}, err
}

var errSignedNotSent = errors.New("payout transaction is signed")

func (p payer) Rejected(err error) bool {
	if errors.Is(err, errSignedNotSent) {
		return false
	}
	return errors.Is(err, ErrBadSpec) || errors.Is(err, ErrInsufficientFunds) ||
		errors.Is(err, ErrRejected) || errors.Is(err, chains.ErrInvalidAddress)
}
