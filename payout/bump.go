package payout

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// ErrCannotBump is returned by Bump for a payout whose transaction cannot be replaced
// by fee: not broadcast, mined already, on a network whose wallet cannot replace
// transactions, or refused by the wallet (no change to pay the higher fee from, a
// later send spends its change, the node refused the replacement).
var ErrCannotBump = errors.New("the payout's transaction cannot be bumped")

// MaxAutoBumps is how many times Step bumps one transaction (Config.BumpAfter); each
// bump raises the fee by a quarter at least. A request (Bump) is not limited.
const MaxAutoBumps = 5

// Bump replaces the transaction of a broadcast payout that no block has mined yet by
// one paying a higher fee (chains.Bumper: RBF on Bitcoin), for every payout that
// shares it. The replaced transaction stays followed: whichever of the two a block
// mines completes the payouts, and only its fee is booked (Payout.Replaced). It
// returns the payout as stored afterwards.
func (s *Service) Bump(ctx context.Context, m asset.Mode, id string) (*Payout, error) {
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusBroadcast {
		return nil, fmt.Errorf("%w: the payout is %s", ErrCannotBump, p.Status)
	}
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	if mined, err := s.mined(ctx, n, p.TxHash); err != nil || mined {
		if err == nil {
			err = fmt.Errorf("%w: a block mined its transaction %s", ErrCannotBump, p.TxHash)
		}
		return nil, err
	}
	w, ok := s.cfg.Wallets(n)
	if !ok {
		return nil, ErrNoSender
	}
	b, ok := w.(chains.Bumper)
	if !ok {
		return nil, fmt.Errorf("%w: the %s wallet cannot replace transactions", ErrCannotBump, p.Network)
	}
	spec := p.spec()
	old := p.TxHash
	sent, berr := b.Bump(ctx, spec)
	if berr != nil && w.Rejected(berr) {
		return nil, fmt.Errorf("%w: %v", ErrCannotBump, berr)
	}
	if berr != nil && sent.TxID == "" {
		return nil, berr
	}
	// Signed and stored, even if its broadcast failed (the node is down): it is the
	// wallet's transaction now, which Step sends again, and the payout follows it.
	group, err := s.group(ctx, p)
	if err != nil {
		return nil, err
	}
	follow := chains.Sent{TxID: sent.TxID, Inputs: sent.Inputs}
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.FollowTx(ctx, n, follow); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.cfg.Follow(n, follow) })
		a, _ := s.cfg.Assets.Get(p.Asset)
		moved := 0
		for i, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.Status != StatusBroadcast || cur.TxHash != old {
				continue // the watcher moved it on meanwhile (its transaction was mined)
			}
			cur.Replaced = append(cur.Replaced, ReplacedTx{TxHash: old, Fee: cur.Fee})
			cur.TxHash = sent.TxID
			if sent.Fee != nil && cur.FeeCurrency == cur.Asset {
				f := a.FromBaseUnits(share(sent.Fee, i, len(group)))
				cur.Fee = &f
			}
			cur.UpdatedAt = s.cfg.Now().UTC()
			if err := s.save(ctx, tx, cur); err != nil {
				return err
			}
			moved++
		}
		if moved == 0 {
			// The first transaction was mined while the replacement was signed: the
			// wallet's record goes back to it (the replacement can never be mined).
			first, ok, err := tx.SendByID(ctx, n, chains.ReplacedSpecID(spec, old))
			if err != nil || !ok {
				return err
			}
			first.SpecID, first.Status = spec, chains.SendBroadcast
			return tx.ReplaceSend(ctx, n, first)
		}
		r, ok, err := tx.Transfer(ctx, n, sent.TxID, chains.OutIndex)
		if err != nil || !ok {
			return err
		}
		return s.Apply(ctx, tx, n, []chains.Record{r})
	})
	if err = errors.Join(berr, err); err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "payout: transaction replaced by fee", "payout", p.ID, "replaced", old, "tx", sent.TxID, "fee", sent.Fee)
	return s.Get(ctx, m, id)
}

// spec is the spec id of p's current transaction in its wallet.
func (p *Payout) spec() string {
	if p.SendID != "" {
		return specID(p.SendID, p.Attempt)
	}
	return specID(p.ID, p.Attempt)
}

// mined reports whether the watcher has seen txid in a block.
func (s *Service) mined(ctx context.Context, n chains.NetworkRef, txid string) (bool, error) {
	var mined bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		r, ok, err := tx.Transfer(ctx, n, txid, chains.OutIndex)
		mined = ok && (r.Status == chains.StatusConfirming || r.Status == chains.StatusConfirmed)
		return err
	})
	return mined, err
}

// autoBump bumps p when Config.BumpAfter says its transaction has waited long enough.
// A wallet that cannot bump it is logged, not an error of the pass.
func (s *Service) autoBump(ctx context.Context, p *Payout) error {
	if s.cfg.BumpAfter <= 0 || len(p.Replaced) >= MaxAutoBumps || s.cfg.Now().Sub(p.UpdatedAt) < s.cfg.BumpAfter {
		return nil
	}
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	if mined, err := s.mined(ctx, n, p.TxHash); err != nil || mined {
		return err // mined: it waits for its confirmations, not for a fee
	}
	if w, ok := s.cfg.Wallets(n); !ok {
		return nil
	} else if _, ok := w.(chains.Bumper); !ok {
		return nil
	}
	_, err := s.Bump(ctx, p.Mode, p.ID)
	if errors.Is(err, ErrCannotBump) {
		s.cfg.Logger.WarnContext(ctx, "payout: stuck transaction not bumped", "payout", p.ID, "tx", p.TxHash, "err", err)
		return nil
	}
	return err
}
