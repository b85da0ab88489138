package kassa

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
)

// Payout is a payout resource (see package payout).
type Payout = payout.Payout

// Payouts returns the payout service (create, mass, verify, list, fee estimates), or
// nil when the keyring is watch-only and cannot sign.
func (g *Gateway) Payouts() *payout.Service[storage.Tx] { return g.payouts }

// sender returns the payout sender of a network and mode.
func (g *Gateway) sender(n chains.NetworkRef) (payout.Sender, bool) {
	if s, ok := g.senders[n]; ok {
		return s, true
	}
	return nil, false
}

// newSenders makes a payout.Sender for every sim backend, plus those of cfg.
func (g *Gateway) newSenders(cfg Config) error {
	g.senders = map[chains.NetworkRef]payout.Sender{}
	for _, b := range cfg.Chains {
		c, ok := b.(*sim.Chain)
		if !ok {
			continue
		}
		n, _ := g.assets.Network(b.Network().ID)
		native, err := g.assets.Parse(n.Native, string(n.ID))
		if err != nil {
			return fmt.Errorf("kassa: native asset of %s: %w", n.ID, err)
		}
		g.senders[b.Network()] = simSender{c: c, fee: native.Code}
	}
	for n, s := range cfg.PayoutSenders {
		if _, ok := g.backends[n]; !ok {
			return fmt.Errorf("kassa: a payout sender for %s, which has no chain backend", n)
		}
		g.senders[n] = s
	}
	return nil
}

// simSender pays out on a sim chain.
type simSender struct {
	c   *sim.Chain
	fee string
}

func (s simSender) FeeAsset() string                  { return s.fee }
func (s simSender) ValidateAddress(addr string) error { return s.c.ValidateAddress(addr) }
func (s simSender) Rejected(err error) bool           { return errors.Is(err, sim.ErrRejected) }

func (s simSender) EstimateFee(ctx context.Context, code, to string, amount *big.Int) (*big.Int, error) {
	f, err := s.c.EstimateFee(ctx, chains.PayoutSpec{Asset: code, To: to, Amount: amount})
	return f.Amount, err
}

func (s simSender) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	return s.c.Send(ctx, spec, nil)
}

func (s simSender) Status(ctx context.Context, _, txid string) (payout.SendState, error) {
	conf, failed, known := s.c.TxStatus(txid)
	if !known {
		return payout.SendState{}, nil
	}
	st := payout.SendState{Mined: conf > 0, Failed: failed}
	if st.Mined {
		f, err := s.c.EstimateFee(ctx, chains.PayoutSpec{})
		if err != nil {
			return payout.SendState{}, err
		}
		st.Fee = f.Amount
	}
	return st, nil
}
