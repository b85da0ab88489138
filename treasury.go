package kassa

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// TreasuryOptions tune the treasury pass (package treasury).
type TreasuryOptions struct {
	// NoSweep turns the sweep pass off. It is on by default: confirmed deposits on
	// EVM networks and Tron move to the network's hot wallet, where payouts and
	// refunds leave from. Without it, fund the hot wallet (keys.Change index 0 of the
	// network's account) yourself.
	NoSweep bool
	// Thresholds: an address's balance of an asset is swept once it reaches this
	// (default: the asset's minimum payout).
	Thresholds map[string]decimal.Decimal
	// MaxFeePercent: a native-coin sweep costing more than this share of it in fees
	// waits for more deposits (default 5).
	MaxFeePercent int64
	// Cold forwards, per EVM or Tron network and mode, what the hot wallet holds above its
	// ceilings to a cold wallet, as payouts of the merchant's own (no code; checked at
	// start: the address must be of the network and not one of ours). Needs Sweep.
	Cold map[chains.NetworkRef]treasury.Cold
}

// Treasury returns the treasury pass (its sweeps), nil when Config.Treasury.NoSweep
// turned it off.
func (g *Gateway) Treasury() *treasury.Service { return g.treasury }

// newTreasury builds the sweep pass on the wallets that sweep: EVM and Tron (nil when
// it is off).
func (g *Gateway) newTreasury(cfg Config) error {
	if cfg.Treasury.NoSweep {
		if len(cfg.Treasury.Cold) > 0 || len(cfg.Treasury.Thresholds) > 0 {
			return errors.New("kassa: Treasury.Cold and Treasury.Thresholds need the sweep pass, which Treasury.NoSweep turns off")
		}
		return nil
	}
	if p := cfg.Treasury.MaxFeePercent; p < 0 || p > 100 {
		return fmt.Errorf("kassa: Treasury.MaxFeePercent %d is not a percentage", p)
	}
	for code, t := range cfg.Treasury.Thresholds {
		if _, err := g.assets.Get(code); err != nil || t.IsNegative() {
			return fmt.Errorf("kassa: Treasury.Thresholds: %q %s: want a known asset code and an amount not below 0", code, t)
		}
	}
	sweepers := map[chains.NetworkRef]treasury.Sweeper{}
	for n, w := range g.wallets {
		if sw, ok := w.(treasury.Sweeper); ok { // chains/evm's and chains/tron's
			sweepers[n] = sw
		}
	}
	cold := map[chains.NetworkRef]treasury.Cold{}
	for n, c := range cfg.Treasury.Cold {
		w, ok := g.wallets[n]
		if _, sweeps := sweepers[n]; !ok || !sweeps {
			return fmt.Errorf("kassa: Treasury.Cold: %s has no wallet that sweeps (EVM networks and Tron have)", n)
		}
		net, err := g.assets.Network(n.ID)
		if err != nil {
			return fmt.Errorf("kassa: Treasury.Cold: %w", err)
		}
		addr, err := w.CanonicalAddress(c.Address)
		if err != nil {
			return fmt.Errorf("kassa: Treasury.Cold of %s: %w", n, err)
		}
		var own bool
		if err := g.store.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
			_, found, err := tx.LookupAddress(ctx, net.Family, n.Mode, addr)
			own = found
			return err
		}); err != nil {
			return err
		}
		if own || addr == sweepers[n].HotAddress() {
			return fmt.Errorf("kassa: Treasury.Cold of %s: %s is one of our own addresses", n, addr)
		}
		for code, ceiling := range c.Ceilings {
			if a, err := g.assets.Get(code); err != nil || a.Network != n.ID {
				return fmt.Errorf("kassa: Treasury.Cold of %s: %q is not an asset of the network", n, code)
			}
			if ceiling.IsNegative() {
				return fmt.Errorf("kassa: Treasury.Cold of %s: the ceiling of %s is below 0", n, code)
			}
		}
		cold[n] = treasury.Cold{Address: addr, Ceilings: c.Ceilings}
	}
	var err error
	g.treasury, err = treasury.New(treasury.Config{Assets: g.assets, Update: storage.Runner[treasury.Tx](g.store.Update),
		View: storage.Runner[treasury.Tx](g.store.View), Sweepers: sweepers, Thresholds: cfg.Treasury.Thresholds,
		MaxFeePercent: cfg.Treasury.MaxFeePercent, Cold: cold, Forwarder: forwarder{g}, Now: g.now, Logger: g.log})
	return err
}

// forwarder pays the cold wallets with the Gateway's payouts.
type forwarder struct{ g *Gateway }

func (f forwarder) Forward(ctx context.Context, n chains.NetworkRef, code, dest string, amount decimal.Decimal, key string) (string, error) {
	a, err := f.g.assets.Get(code)
	if err != nil {
		return "", err
	}
	p, err := f.g.payouts.Create(ctx, n.Mode, payout.CreateParams{RequestKey: "treasury:" + key, Amount: amount, Currency: a.Currency,
		Network: string(n.ID), Destination: dest, Internal: true, Metadata: json.RawMessage(`{"treasury":"cold"}`)})
	var be *payout.BroadcastError
	if errors.As(err, &be) {
		return be.PayoutID, nil // refused and failed: Forwarded says so
	}
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

func (f forwarder) Committed(ctx context.Context, n chains.NetworkRef, code string) (decimal.Decimal, bool, error) {
	sum, waiting := decimal.Zero, false
	for _, st := range []payout.Status{payout.StatusPendingVerification, payout.StatusProcessing, payout.StatusBroadcast} {
		for page := 1; ; page++ {
			ps, total, err := f.g.payouts.List(ctx, n.Mode, st, nil, page, 100)
			if err != nil {
				return sum, waiting, err
			}
			for _, p := range ps {
				if p.Network != n.ID {
					continue
				}
				if p.Asset == code {
					sum = sum.Add(p.Amount)
					waiting = waiting || p.Status == payout.StatusProcessing
				}
				if p.FeeCurrency == code && p.FeeCurrency != p.Asset {
					sum = sum.Add(p.EstimatedFee) // a token's gas, from the coin's balance
				}
			}
			if page*100 >= total {
				break
			}
		}
	}
	return sum, waiting, nil
}

func (f forwarder) Forwarded(ctx context.Context, m asset.Mode, id string) (done, failed bool, err error) {
	p, err := f.g.payouts.Get(ctx, m, id)
	if err != nil {
		return false, false, err
	}
	return p.Status == payout.StatusCompleted, p.Status == payout.StatusFailed || p.Status == payout.StatusCancelled, nil
}

// fundsShort is payout.Config.FundsShort: with sweeps on, a hot wallet without the
// funds (yet) makes a payout wait for the sweeps, up to PayoutOptions.FundsWait.
func fundsShort(cfg Config) func(error) bool {
	if cfg.Treasury.NoSweep {
		return nil
	}
	return func(err error) bool { return errors.Is(err, chains.ErrWalletShort) }
}

// Hurried is a child transaction that pays for a stuck incoming payment (CPFP).
type Hurried struct {
	ParentTxID  string          `json:"parent_tx_hash"`
	TxID        string          `json:"tx_hash"`
	Fee         decimal.Decimal `json:"fee"`
	FeeCurrency string          `json:"fee_currency"`
}

// ErrCannotHurry is returned by HurryPayment for a payment that cannot be hurried:
// not waiting in the node's mempool, paying none of our addresses, too small to pay
// for a child, or on a network whose wallet cannot do it.
var ErrCannotHurry = errors.New("the payment cannot be hurried")

// HurryPayment pays for a payment to our addresses that waits unconfirmed with too
// low a fee (the payer's wallet chose it): a child transaction spends its outputs to
// us with a fee that brings both to the network's current rate (CPFP, on Bitcoin),
// and that fee is booked as a network fee of the mode. Asking again sends the same
// child. The invoice is credited as usual once the payment confirms.
func (g *Gateway) HurryPayment(ctx context.Context, m asset.Mode, network asset.NetworkID, txid string) (Hurried, error) {
	var v validation.Error
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	if b, err := hex.DecodeString(txid); err != nil || len(b) != 32 {
		v.Add("txid", errors.New("must be a transaction id: 64 hex digits"))
	}
	if err := v.Err(); err != nil {
		return Hurried{}, err
	}
	w, ok := g.wallet(chains.NetworkRef{ID: network, Mode: m})
	if !ok {
		v.Add("network", fmt.Errorf("%w: no wallet on %q in %s mode", ErrCannotHurry, network, m))
		return Hurried{}, v.Err()
	}
	cp, ok := w.(chains.ChildPayer)
	if !ok {
		v.Add("network", fmt.Errorf("%w: the %s wallet cannot pay for a parent", ErrCannotHurry, network))
		return Hurried{}, v.Err()
	}
	sent, err := cp.CPFP(ctx, strings.ToLower(txid))
	if err != nil {
		if w.Rejected(err) {
			return Hurried{}, fmt.Errorf("%w: %v", ErrCannotHurry, err)
		}
		return Hurried{}, err
	}
	fa, _ := g.assets.Get(w.FeeAsset())
	return Hurried{ParentTxID: strings.ToLower(txid), TxID: sent.TxID, Fee: fa.FromBaseUnits(sent.Fee), FeeCurrency: fa.Code}, nil
}
