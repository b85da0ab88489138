package kassa

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
)

// Payout is a payout resource (see package payout).
type Payout = payout.Payout

// Payouts returns the payout service (create, mass, verify, list, fee estimates). With
// a watch-only keyring every create fails with payout.ErrWatchOnly.
func (g *Gateway) Payouts() *payout.Service[storage.Tx] { return g.payouts }

// sender returns the payout sender of a network and mode.
func (g *Gateway) sender(n chains.NetworkRef) (payout.Sender, bool) {
	if s, ok := g.senders[n]; ok {
		return s, true
	}
	return nil, false
}

// newSenders makes a payout.Sender for every backend that can pay out (sim chains,
// and bitcoin and EVM wallets when the keyring can sign), plus those of cfg.
func (g *Gateway) newSenders(cfg Config) error {
	g.senders = map[chains.NetworkRef]payout.Sender{}
	for _, b := range cfg.Chains {
		ref := b.Network()
		n, _ := g.assets.Network(ref.ID)
		native, err := g.assets.Parse(n.Native, string(n.ID))
		if err != nil {
			return fmt.Errorf("kassa: native asset of %s: %w", n.ID, err)
		}
		if c, ok := b.(*sim.Chain); ok {
			g.senders[ref] = simSender{c: c, fee: native.Code}
			continue
		}
		if g.keys.WatchOnly() {
			continue
		}
		switch b := b.(type) {
		case *bitcoin.Backend:
			w, err := bitcoin.NewWallet(bitcoin.WalletConfig[storage.Tx]{Backend: b, Keyring: g.keys, Update: g.store.Update,
				View: g.store.View, Watch: func(a string) { g.Watch(ref, a) }, Logger: g.log})
			if err != nil {
				return fmt.Errorf("kassa: wallet of %s: %w", ref, err)
			}
			g.senders[ref] = btcSender{w: w, b: b, fee: native.Code}
		case *evm.Backend:
			w, err := evm.NewWallet(evm.WalletConfig[storage.Tx]{Backend: b, Keyring: g.keys, Update: g.store.Update,
				View: g.store.View, Logger: g.log})
			if err != nil {
				return fmt.Errorf("kassa: wallet of %s: %w", ref, err)
			}
			g.senders[ref] = evmSender{w: w, fee: native.Code}
		}
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

func (s simSender) CanonicalAddress(addr string) (string, error) { return s.c.CanonicalAddress(addr) }
func (s simSender) Rejected(err error) bool                      { return errors.Is(err, sim.ErrRejected) }

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

// btcSender pays out from the UTXOs Kassa received on a Bitcoin-family network.
type btcSender struct {
	w   *bitcoin.Wallet[storage.Tx]
	b   *bitcoin.Backend
	fee string
}

func (s btcSender) FeeAsset() string                  { return s.fee }
func (s btcSender) ValidateAddress(addr string) error { return s.b.ValidateAddress(addr) }

func (s btcSender) CanonicalAddress(addr string) (string, error) { return s.b.CanonicalAddress(addr) }

func (s btcSender) EstimateFee(ctx context.Context, _, to string, amount *big.Int) (*big.Int, error) {
	f, err := s.w.EstimateFee(ctx, to, amount)
	return big.NewInt(f), err
}

func (s btcSender) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	return s.w.Send(ctx, spec)
}

// SendBatch implements payout.BatchSender: BTC destinations of one mass payout share a
// transaction.
func (s btcSender) SendBatch(ctx context.Context, id string, specs []chains.PayoutSpec) (chains.SentTx, error) {
	return s.w.SendBatch(ctx, id, specs)
}

// Status: mined at one confirmation; the fee is the one signed (recorded at broadcast).
func (s btcSender) Status(ctx context.Context, _, txid string) (payout.SendState, error) {
	n, err := s.w.Confirmations(ctx, txid)
	if err != nil {
		return payout.SendState{}, err
	}
	return payout.SendState{Mined: n >= 1}, nil
}

// Rejected: the node refused the signed transaction (its inputs are released), or it
// could not be built at all. A node that is down is not a refusal.
func (s btcSender) Rejected(err error) bool {
	return errors.Is(err, bitcoin.ErrRejected) || errors.Is(err, bitcoin.ErrInsufficientFunds) ||
		errors.Is(err, bitcoin.ErrDust) || errors.Is(err, bitcoin.ErrBadSpec) || errors.Is(err, chains.ErrInvalidAddress)
}

// evmSender pays out from the EVM hot wallet (branch 1, index 0).
type evmSender struct {
	w   *evm.Wallet[storage.Tx]
	fee string
}

func (s evmSender) FeeAsset() string                  { return s.fee }
func (s evmSender) ValidateAddress(addr string) error { return evm.ValidateAddress(addr) }

func (s evmSender) CanonicalAddress(addr string) (string, error) { return evm.CanonicalAddress(addr) }

func (s evmSender) EstimateFee(ctx context.Context, code, _ string, _ *big.Int) (*big.Int, error) {
	return s.w.EstimateFee(ctx, code)
}

// Send: once a transaction is signed and stored, no error is a refusal any more: its
// nonce is taken and the stored bytes will be broadcast again, so the payout must stay
// held (processing) until the chain settles it.
func (s evmSender) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	sent, err := s.w.Send(ctx, spec)
	// The wallet reports the most the transaction can cost (gas limit x fee cap); what
	// it costs is known from the receipt (Status), so none is reported before.
	sent.Fee = nil
	if err != nil && sent.TxID != "" {
		return sent, fmt.Errorf("%w: %s signed, broadcast deferred: %v", errSignedNotSent, sent.TxID, err)
	}
	return sent, err
}

var errSignedNotSent = errors.New("payout transaction is signed")

func (s evmSender) Status(ctx context.Context, specID, _ string) (payout.SendState, error) {
	sent, err := s.w.Confirm(ctx, specID)
	if errors.Is(err, evm.ErrNotMined) {
		return payout.SendState{}, nil
	}
	if err != nil {
		return payout.SendState{}, err
	}
	return payout.SendState{Mined: true, Failed: sent.Status == evm.SendFailed, Fee: sent.Fee}, nil
}

func (s evmSender) Rejected(err error) bool {
	if errors.Is(err, errSignedNotSent) {
		return false
	}
	return errors.Is(err, evm.ErrBadSpec) || errors.Is(err, evm.ErrInsufficientFunds) ||
		errors.Is(err, evm.ErrRejected) || errors.Is(err, chains.ErrInvalidAddress)
}
