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
// one paying a higher fee (chains.Bumper: RBF on Bitcoin, raised tips on EVM), for
// every payout that shares it. The payouts record the replacement in the storage
// transaction that stores it, before it is broadcast, so no crash or cancelled request
// can leave a replacement the payout does not know. The replaced transaction stays
// followed: whichever of the two a block mines completes the payouts, and only its fee
// is booked (Payout.Replaced). It returns the payout as stored afterwards.
func (s *Service) Bump(ctx context.Context, m asset.Mode, id string) (*Payout, error) {
	return s.bump(ctx, m, id, false)
}

// bump is Bump; auto (the payout job's, BumpAfter) first checks, on the payout as
// stored now, that it is still due: a bump of one payout of a batch makes the others
// fresh.
func (s *Service) bump(ctx context.Context, m asset.Mode, id string, auto bool) (*Payout, error) {
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if auto && !s.bumpDue(p) {
		return p, nil
	}
	if p.Status != StatusBroadcast {
		return nil, fmt.Errorf("%w: the payout is %s", ErrCannotBump, p.Status)
	}
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	if mined, err := s.minedAny(ctx, n, p); err != nil || mined != "" {
		if err == nil && auto {
			return p, nil // mined: it waits for its confirmations, not for a fee
		}
		if err == nil {
			err = fmt.Errorf("%w: a block mined its transaction %s", ErrCannotBump, mined)
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
	group, err := s.group(ctx, p)
	if err != nil {
		return nil, err
	}
	old := p.TxHash
	record := func(ctx context.Context, wtx chains.WalletTx, next chains.SentTx) error {
		tx, ok := wtx.(Tx)
		if !ok {
			return errors.New("payout: the wallet's storage transaction is not the payouts'")
		}
		a, _ := s.cfg.Assets.Get(p.Asset)
		for i, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.Status != StatusBroadcast || cur.TxHash != old {
				// Moved on meanwhile (mined, or bumped by another request): nothing is
				// stored, the replacement included.
				return fmt.Errorf("%w: the payout moved on while its replacement was signed", ErrCannotBump)
			}
			cur.Replaced = append(cur.Replaced, ReplacedTx{TxHash: old, Fee: cur.Fee})
			cur.TxHash = next.TxID
			if next.Fee != nil && cur.FeeCurrency == cur.Asset {
				f := a.FromBaseUnits(share(next.Fee, i, len(group)))
				cur.Fee = &f
			}
			cur.UpdatedAt = s.cfg.Now().UTC()
			if err := s.save(ctx, tx, cur); err != nil {
				return err
			}
		}
		follow := chains.Sent{TxID: next.TxID, Inputs: next.Inputs}
		if err := tx.FollowTx(ctx, n, follow); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.cfg.Follow(n, follow) })
		return nil
	}
	sent, berr := b.Bump(ctx, p.spec(), record)
	switch {
	case berr == nil:
	case errors.Is(berr, chains.ErrReplacementRefused):
		// The wallet put the first transaction back: so do the payouts.
		if err := s.unbump(ctx, group, sent.TxID); err != nil {
			return nil, errors.Join(berr, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrCannotBump, berr)
	case errors.Is(berr, ErrCannotBump):
		return nil, berr
	case sent.TxID == "" && w.Rejected(berr):
		return nil, fmt.Errorf("%w: %v", ErrCannotBump, berr) // nothing stored
	case w.Rejected(berr):
		// Stored and recorded, refused by the node for now (an EVM hot wallet short of
		// gas): the payouts follow both, and whichever is mined completes them.
		return nil, fmt.Errorf("%w: the replacement %s is stored, its broadcast refused: %v", ErrCannotBump, sent.TxID, berr)
	default:
		// Stored and recorded, not broadcast (the node is down): Step sends it again.
		s.cfg.Logger.WarnContext(ctx, "payout: replacement stored, broadcast deferred", "payout", p.ID, "tx", sent.TxID, "err", berr)
	}
	s.cfg.Logger.InfoContext(ctx, "payout: transaction replaced by fee", "payout", p.ID, "replaced", old, "tx", sent.TxID, "fee", sent.Fee)
	if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		r, ok, err := tx.Transfer(ctx, n, sent.TxID, chains.OutIndex)
		if err != nil || !ok {
			return err
		}
		return s.Apply(ctx, tx, n, []chains.Record{r})
	}); err != nil {
		return nil, err
	}
	return s.Get(ctx, m, id)
}

// unbump puts the payouts of group that a refused replacement (txid) was recorded on
// back on the transaction it was to replace.
func (s *Service) unbump(ctx context.Context, group []*Payout, txid string) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		for _, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.TxHash != txid || len(cur.Replaced) == 0 {
				continue
			}
			last := cur.Replaced[len(cur.Replaced)-1]
			cur.TxHash, cur.Fee, cur.Replaced = last.TxHash, last.Fee, cur.Replaced[:len(cur.Replaced)-1]
			if err := s.save(ctx, tx, cur); err != nil {
				return err
			}
		}
		return nil
	})
}

// spec is the spec id of p's current transaction in its wallet.
func (p *Payout) spec() string {
	if p.SendID != "" {
		return specID(p.SendID, p.Attempt)
	}
	return specID(p.ID, p.Attempt)
}

// minedAny returns the transaction of p (its own, or one a bump replaced) that the
// watcher has seen in a block, "" if none.
func (s *Service) minedAny(ctx context.Context, n chains.NetworkRef, p *Payout) (string, error) {
	var mined string
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		own := *p
		own.Replaced = append([]ReplacedTx{{TxHash: p.TxHash}}, p.Replaced...)
		r, ok, err := s.minedReplaced(ctx, tx, n, &own)
		if ok {
			mined = r.TxID
		}
		return err
	})
	return mined, err
}

// bumpDue reports whether the payout job should bump p now (Config.BumpAfter).
func (s *Service) bumpDue(p *Payout) bool {
	return s.cfg.BumpAfter > 0 && p.Status == StatusBroadcast && len(p.Replaced) < MaxAutoBumps &&
		s.cfg.Now().Sub(p.UpdatedAt) >= s.cfg.BumpAfter
}

// autoBump bumps p when Config.BumpAfter says its transaction has waited long enough
// (checked again on the payout as stored, in bump, which leaves a mined one alone). A
// wallet that cannot bump it is logged, not an error of the pass.
func (s *Service) autoBump(ctx context.Context, p *Payout) error {
	if !s.bumpDue(p) {
		return nil
	}
	w, ok := s.cfg.Wallets(chains.NetworkRef{ID: p.Network, Mode: p.Mode})
	if !ok {
		return nil
	}
	if _, ok := w.(chains.Bumper); !ok {
		return nil
	}
	_, err := s.bump(ctx, p.Mode, p.ID, true)
	if errors.Is(err, ErrCannotBump) {
		s.cfg.Logger.WarnContext(ctx, "payout: stuck transaction not bumped", "payout", p.ID, "tx", p.TxHash, "err", err)
		return nil
	}
	return err
}
