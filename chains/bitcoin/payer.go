package bitcoin

import (
	"context"
	"errors"
	"math/big"

	"github.com/kassapay/kassa/chains"
)

// NewWallet implements chains.Payer: the Gateway's payouts on this network go
// through a Wallet over its storage and keyring.
func (b *Backend) NewWallet(cfg chains.WalletConfig) (chains.Wallet, error) {
	w, err := NewWallet(WalletConfig{Backend: b, Keyring: cfg.Keyring, Update: cfg.Update, View: cfg.View,
		Watch: cfg.Watch, Follow: cfg.Follow, Book: cfg.Book, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return payer{w}, nil
}

var (
	_ chains.Payer         = (*Backend)(nil)
	_ chains.Wallet        = payer{}
	_ chains.Canonicalizer = payer{}
	_ chains.BatchWallet   = payer{}
	_ chains.Abandoner     = payer{}
)

// payer is a Wallet as chains.Wallet.
type payer struct{ w *Wallet }

// CanonicalAddress implements chains.Canonicalizer: payout destinations are checked
// and compared with our own addresses by what they pay to.
func (p payer) CanonicalAddress(addr string) (string, error) {
	return p.w.cfg.Backend.CanonicalAddress(addr)
}

func (p payer) FeeAsset() string { return p.w.cfg.Backend.native }

func (p payer) EstimateFee(ctx context.Context, _, to string, amount *big.Int) (*big.Int, error) {
	f, err := p.w.EstimateFee(ctx, to, amount)
	return big.NewInt(f), err
}

func (p payer) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	return p.w.Send(ctx, spec)
}

// SendBatch implements chains.BatchWallet: BTC destinations of one mass payout share
// a transaction.
func (p payer) SendBatch(ctx context.Context, id string, specs []chains.PayoutSpec) (chains.SentTx, error) {
	return p.w.SendBatch(ctx, id, specs)
}

// Abandon implements chains.Abandoner: a send a double-spend made impossible is
// failed and its inputs freed.
func (p payer) Abandon(ctx context.Context, specID string) error { return p.w.Abandon(ctx, specID) }

// CPFP implements chains.ChildPayer.
func (p payer) CPFP(ctx context.Context, txid string) (chains.SentTx, error) {
	return p.w.CPFP(ctx, txid)
}

// Bump implements chains.Bumper: a replacement by fee (BIP 125).
func (p payer) Bump(ctx context.Context, specID string, record func(context.Context, chains.WalletTx, chains.SentTx) error) (chains.SentTx, error) {
	return p.w.Bump(ctx, specID, record)
}

// SubmitSigned implements chains.ExternalSigner: a watch-only wallet's PSBT, signed
// elsewhere, checked and broadcast.
func (p payer) SubmitSigned(ctx context.Context, specID string, psbt []byte) (chains.SentTx, error) {
	return p.w.SubmitSigned(ctx, specID, psbt)
}

// Rejected: the node refused the signed transaction (its inputs are released), or it
// could not be built at all. A node that is down is not a refusal, nor are coins that
// are not spendable yet (chains.ErrFundsUnconfirmed).
func (p payer) Rejected(err error) bool {
	return errors.Is(err, ErrRejected) || errors.Is(err, ErrInsufficientFunds) ||
		errors.Is(err, ErrDust) || errors.Is(err, ErrBadSpec) || errors.Is(err, ErrCannotBump) ||
		errors.Is(err, chains.ErrReplacementRefused) || errors.Is(err, chains.ErrInvalidAddress)
}
