package kassa

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
)

// Payout is a payout resource (see package payout).
type Payout = payout.Payout

// Payouts returns the payout service (create, mass, verify, bump, list, fee
// estimates). With a watch-only keyring, Bitcoin payouts end awaiting_signature with
// a PSBT to sign elsewhere and submit back (SubmitSigned); other networks' creates
// fail with payout.ErrWatchOnly.
func (g *Gateway) Payouts() *payout.Service { return g.payouts }

// Refund is a refund resource (see package refund).
type Refund = refund.Refund

// Refunds returns the refund service (create, claim, cancel, list). Refunds are paid
// through the payouts: with a watch-only keyring every create fails with
// payout.ErrWatchOnly.
func (g *Gateway) Refunds() *refund.Service { return g.refunds }

// stepPayouts is the payout job's pass: deposits swept to the hot wallets (when the
// treasury pass is on), payouts moved along, then refunds whose claim link expired
// cancelled.
func (g *Gateway) stepPayouts(ctx context.Context) error {
	var swept error
	if g.treasury != nil {
		swept = g.treasury.Step(ctx)
	}
	return errors.Join(swept, g.payouts.Step(ctx), g.refunds.Step(ctx))
}

// wallet returns the wallet that pays out on a network in a mode.
func (g *Gateway) wallet(n chains.NetworkRef) (chains.Wallet, bool) {
	w, ok := g.wallets[n]
	return w, ok
}

// newWallets asks every backend that can pay out (a chains.Payer: the Bitcoin UTXO
// wallet, the EVM hot wallet, sim chains) for its wallet; cfg.Wallets adds or
// replaces some. A watch-only keyring gets only the wallets that wait for external
// signatures (Bitcoin's: PSBTs, payouts awaiting_signature).
func (g *Gateway) newWallets(cfg Config) error {
	g.wallets = map[chains.NetworkRef]chains.Wallet{}
	for _, b := range cfg.Chains {
		p, ok := b.(chains.Payer)
		if !ok {
			continue
		}
		ref := b.Network()
		w, err := p.NewWallet(chains.WalletConfig{Assets: g.assets, Keyring: g.keys,
			Update: storage.Runner[chains.WalletTx](g.store.Update), View: storage.Runner[chains.WalletTx](g.store.View),
			Watch: func(a string) { g.Watch(ref, a) }, Follow: func(t chains.Sent) { g.follow(ref, t) }, Book: bookFee, Logger: g.log})
		if errors.Is(err, keys.ErrWatchOnly) {
			continue // a watch-only keyring pays out only through wallets that take PSBTs
		}
		if err != nil {
			return fmt.Errorf("kassa: wallet of %s: %w", ref, err)
		}
		g.wallets[ref] = w
	}
	for n, w := range cfg.Wallets {
		if _, ok := g.backends[n]; !ok {
			return fmt.Errorf("kassa: a wallet for %s, which has no chain backend", n)
		}
		g.wallets[n] = w
	}
	return nil
}

// bookFee books a fee a wallet paid that no payout books (ledger.BookNetworkFee, or
// ledger.BookOwedFee for a fee the merchant owes before it has the money).
func bookFee(ctx context.Context, tx chains.WalletTx, f chains.FeeSpent) error {
	if f.Owed {
		return ledger.BookOwedFee(ctx, tx, f.Network.Mode, f.Asset, f.Amount, f.Key, f.What)
	}
	return ledger.BookNetworkFee(ctx, tx, f.Network.Mode, f.Asset, f.Amount, f.Key, f.What)
}
