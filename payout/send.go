package payout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kassapay/kassa/chains"
)

// RebroadcastAfter is how long a broadcast payout's transaction may go unseen by the
// watcher (neither in the mempool nor in a block) before the background pass sends
// the stored transaction again (and again at this interval): nodes drop transactions
// from their mempools (restarts, eviction, a stale pool answering "nonce too low"),
// reorgs take them out of blocks, and one dropped EVM transaction would hold back every
// later nonce of the hot wallet.
const RebroadcastAfter = time.Minute

// specID names the signed transaction of p's current attempt: a new attempt (after a
// double-spend made the last one impossible) is a new signature, any other retry sends
// the stored one again.
func specID(id string, attempt int) string {
	if attempt == 0 {
		return id
	}
	return id + "#" + strconv.Itoa(attempt)
}

// process broadcasts a processing payout, with the other payouts of its batch that
// share its transaction (SendID). A node that is down leaves them processing (the
// background step retries); a refusal fails them, voids their holds and returns
// *BroadcastError. It returns p as stored afterwards.
func (s *Service) process(ctx context.Context, p *Payout) (*Payout, error) {
	err := s.send(ctx, p)
	if gerr := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := tx.GetPayout(ctx, p.Mode, p.ID)
		if err == nil {
			*p = *cur
		}
		return err
	}); gerr != nil && err == nil {
		err = gerr
	}
	return p, err
}

// group returns p and the payouts that share its transaction (SendID), in creation
// order.
func (s *Service) group(ctx context.Context, p *Payout) ([]*Payout, error) {
	if p.SendID == "" {
		return []*Payout{p}, nil
	}
	var group []*Payout
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		all, err := tx.BatchPayouts(ctx, p.Mode, p.BatchID)
		for _, q := range all {
			if q.SendID == p.SendID {
				group = append(group, q)
			}
		}
		return err
	})
	return group, err
}

// send signs and broadcasts p's transaction: its own (Wallet.Send under p's spec id),
// or the one it shares with its group (BatchWallet.SendBatch under p.SendID), and
// records the outcome for every payout of the group in one storage transaction, with
// the transaction followed by the chain watcher from then on. The wallet follows it
// from its signature on, so the watcher may have recorded it already (the node took
// it but its answer, or the process, was lost, and a block mined it before this
// retry): what it recorded is applied at once, as Apply would have.
//
// Fee shares of a shared transaction: its fee F is split over the n payouts as F/n
// base units each (integer division), the remainder going one unit each to the first
// payouts in creation order, so the shares add up to F exactly.
func (s *Service) send(ctx context.Context, p *Payout) error {
	w, group, sent, sendErr, err := s.transmit(ctx, p)
	if err != nil {
		return err
	}
	if errors.Is(sendErr, chains.ErrAwaitingSignature) {
		return s.awaitSignature(ctx, group, sent)
	}
	short := sendErr != nil && s.cfg.FundsShort != nil && s.cfg.FundsShort(sendErr)
	if sendErr != nil && (!w.Rejected(sendErr) || short) {
		waited := s.cfg.Now().Sub(p.UpdatedAt)
		if !(errors.Is(sendErr, chains.ErrFundsUnconfirmed) || short) || waited < s.cfg.FundsWait {
			s.cfg.Logger.WarnContext(ctx, "payout: broadcast deferred", "payout", p.ID, "send", p.SendID, "err", sendErr)
			return nil
		}
		// The wallet's funds did not become spendable (or were not swept to it) within
		// FundsWait: give up and release the hold rather than keep the merchant's money
		// held.
		sendErr = fmt.Errorf("waited %s for the wallet's funds: %w", waited.Round(time.Second), sendErr)
	}
	return s.record(ctx, p, group, sent, sendErr)
}

// record stores the outcome of sending the transaction of p and its group: sent
// (broadcast, followed from now on, and what the watcher saw of it applied), or
// refused for good by sendErr (failed, holds voided, *BroadcastError returned).
func (s *Service) record(ctx context.Context, p *Payout, group []*Payout, sent chains.SentTx, sendErr error) error {
	a, _ := s.cfg.Assets.Get(p.Asset)
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if sendErr == nil {
			follow := chains.Sent{TxID: sent.TxID, Inputs: sent.Inputs}
			if err := tx.FollowTx(ctx, n, follow); err != nil {
				return err
			}
			tx.AfterCommit(func() { s.cfg.Follow(n, follow) })
		}
		for i, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.Status != StatusProcessing && cur.Status != StatusAwaitingSignature {
				continue // moved on by a concurrent pass, or by the watcher
			}
			cur.PSBT = ""
			if sendErr != nil {
				if err := s.end(ctx, tx, cur, ChangeRefused, sendErr.Error()); err != nil {
					return err
				}
				continue
			}
			cur.TxHash = sent.TxID
			// The fee is known now only when it is paid in the payout's own asset (a
			// token's gas is known once mined).
			if sent.Fee != nil && cur.FeeCurrency == cur.Asset {
				f := a.FromBaseUnits(share(sent.Fee, i, len(group)))
				cur.Fee = &f
			}
			if err := s.move(ctx, tx, cur, ChangeSent); err != nil {
				return err
			}
		}
		if sendErr != nil {
			if sent.TxID == "" {
				return nil
			}
			// Signed (and followed by the wallet) but refused for good: nothing to follow.
			return tx.UnfollowTx(ctx, n, sent.TxID, s.cfg.Now())
		}
		r, ok, err := tx.Transfer(ctx, n, sent.TxID, chains.OutIndex)
		if err != nil || !ok {
			return err
		}
		return s.Apply(ctx, tx, n, []chains.Record{r})
	})
	if err != nil {
		return err
	}
	if sendErr != nil {
		return &BroadcastError{PayoutID: p.ID, Reason: sendErr.Error()}
	}
	return nil
}

// transmit has the wallet sign (once) and broadcast p's transaction, shared with its
// group (SendID) or its own. err is a storage or configuration error; sendErr is the
// wallet's.
func (s *Service) transmit(ctx context.Context, p *Payout) (w chains.Wallet, group []*Payout, sent chains.SentTx, sendErr, err error) {
	w, ok := s.cfg.Wallets(chains.NetworkRef{ID: p.Network, Mode: p.Mode})
	if !ok {
		return nil, nil, sent, nil, ErrNoSender
	}
	if group, err = s.group(ctx, p); err != nil {
		return nil, nil, sent, nil, err
	}
	a, _ := s.cfg.Assets.Get(p.Asset)
	specs := make([]chains.PayoutSpec, len(group))
	for i, q := range group {
		net, _ := a.ToBaseUnits(q.NetAmount)
		specs[i] = chains.PayoutSpec{ID: specID(q.ID, q.Attempt), Asset: q.Asset, To: q.Destination, Amount: net}
	}
	if p.SendID == "" {
		sent, sendErr = w.Send(ctx, specs[0])
	} else if bw, ok := w.(chains.BatchWallet); ok {
		sent, sendErr = bw.SendBatch(ctx, specID(p.SendID, p.Attempt), specs)
	} else {
		return nil, nil, sent, nil, fmt.Errorf("payout %s: the %s wallet cannot batch", p.ID, p.Network)
	}
	return w, group, sent, sendErr, nil
}

// Step moves payouts along: broadcasts those left processing (a node that was down, a
// transaction a double-spend made impossible: signed again), sends again those whose
// transaction the watcher has not seen for RebroadcastAfter, and cancels those whose
// code expired. Completion is the watcher's (Apply). Gateway.Run and Sync call it.
func (s *Service) Step(ctx context.Context) error {
	var errs []error
	// Every open payout, a page at a time: payouts waiting for a block never keep
	// newer ones from being broadcast.
	var after *Payout
	for {
		var ps []*Payout
		if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			ps, err = tx.PayoutsIn(ctx, []Status{StatusProcessing, StatusBroadcast, StatusPendingVerification, StatusAwaitingSignature}, after, stepPage)
			return err
		}); err != nil {
			return errors.Join(append(errs, err)...)
		}
		errs = append(errs, s.step(ctx, ps)...)
		if len(ps) < stepPage || ctx.Err() != nil {
			return errors.Join(errs...)
		}
		after = ps[len(ps)-1]
	}
}

// stepPage is how many open payouts Step reads at a time.
const stepPage = 500

// step moves one page of open payouts along.
func (s *Service) step(ctx context.Context, ps []*Payout) []error {
	var errs []error
	for _, p := range ps {
		var err error
		switch p.Status {
		case StatusProcessing:
			if err = s.abandon(ctx, p); err == nil {
				_, err = s.process(ctx, p)
			}
			var be *BroadcastError
			if errors.As(err, &be) {
				err = nil // recorded as failed
			}
		case StatusAwaitingSignature:
			// A signed PSBT stored, then the process died before the payout recorded it:
			// broadcast the signed transaction now (an unsigned one waits).
			var signed bool
			n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
			if err = s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
				snd, ok, err := tx.SendByID(ctx, n, p.spec())
				signed = ok && (snd.Status == chains.SendSigned || snd.Status == chains.SendBroadcast)
				return err
			}); err == nil && signed {
				_, err = s.process(ctx, p)
				var be *BroadcastError
				if errors.As(err, &be) {
					err = nil // recorded as failed
				}
			}
		case StatusBroadcast:
			if err = s.rebroadcast(ctx, p); err == nil {
				err = s.autoBump(ctx, p)
			}
		case StatusPendingVerification:
			err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
				_, expires, _, err := tx.PayoutCode(ctx, p.ID)
				if err != nil || s.cfg.Now().Before(expires) {
					return err
				}
				cur, err := tx.GetPayout(ctx, p.Mode, p.ID)
				if err != nil || cur.Status != StatusPendingVerification {
					return err
				}
				return s.end(ctx, tx, cur, ChangeCodeFailed, "verification code expired")
			})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("payout %s: %w", p.ID, err))
		}
	}
	return errs
}

// abandon tells a UTXO wallet that the transaction of p's last attempt can never
// confirm (a double-spend took one of its inputs), so its other inputs are free for
// the new attempt.
func (s *Service) abandon(ctx context.Context, p *Payout) error {
	if p.Attempt == 0 {
		return nil
	}
	w, ok := s.cfg.Wallets(chains.NetworkRef{ID: p.Network, Mode: p.Mode})
	if !ok {
		return ErrNoSender
	}
	ab, ok := w.(chains.Abandoner)
	if !ok {
		return nil
	}
	last := specID(p.ID, p.Attempt-1)
	if p.SendID != "" {
		last = specID(p.SendID, p.Attempt-1)
	}
	return ab.Abandon(ctx, last)
}

// expired asks a wallet whose transactions expire (chains.Expirer) whether p's
// expired unmined; then p goes back to processing under a new attempt, as for a
// conflicted transaction, and the next pass signs a new one. It reports whether p
// was sent back.
func (s *Service) expired(ctx context.Context, n chains.NetworkRef, p *Payout) (bool, error) {
	w, ok := s.cfg.Wallets(n)
	if !ok {
		return false, nil
	}
	ex, ok := w.(chains.Expirer)
	if !ok {
		return false, nil
	}
	gone, err := ex.Expired(ctx, p.spec())
	if err != nil || !gone {
		return false, err
	}
	return true, s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := tx.GetPayout(ctx, p.Mode, p.ID)
		if err != nil || cur.Status != StatusBroadcast || cur.TxHash != p.TxHash {
			return err // moved on meanwhile
		}
		if _, seen, err := tx.Transfer(ctx, n, cur.TxHash, chains.OutIndex); err != nil || seen {
			return err // the watcher has it in a block: never sign it again
		}
		return s.conflicted(ctx, tx, n, cur, chains.Record{Transfer: chains.Transfer{TxID: cur.TxHash, ConflictedBy: "(expired unmined)"}})
	})
}

// rebroadcast sends p's stored transaction again when the watcher has not seen it (in
// the mempool or a block) for RebroadcastAfter: never a new signature, the wallet sends
// the bytes it stored.
func (s *Service) rebroadcast(ctx context.Context, p *Payout) error {
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	var seen bool
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		r, ok, err := tx.Transfer(ctx, n, p.TxHash, chains.OutIndex)
		seen = ok && (r.Status == chains.StatusMempool || r.Status == chains.StatusConfirming || r.Status == chains.StatusConfirmed)
		return err
	}); err != nil {
		return err
	}
	now := s.cfg.Now()
	last := p.UpdatedAt
	if v, ok := s.resent.Load(p.ID); ok {
		last = v.(time.Time)
	}
	if now.Sub(last) < RebroadcastAfter {
		return nil
	}
	s.resent.Store(p.ID, now)
	if !seen {
		if expired, err := s.expired(ctx, n, p); err != nil || expired {
			return err
		}
	}
	if seen {
		// The watcher has the transaction, yet the payout has not moved for a while:
		// where writers do not serialise (PostgreSQL), the watcher's first record and
		// the payout's broadcast may have committed at once, each missing the other.
		// Apply the record now (Apply is idempotent: a payout already past it stays).
		return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
			r, ok, err := tx.Transfer(ctx, n, p.TxHash, chains.OutIndex)
			if err != nil || !ok {
				return err
			}
			return s.Apply(ctx, tx, n, []chains.Record{r})
		})
	}
	_, _, sent, err, serr := s.transmit(ctx, p)
	if serr != nil {
		return serr
	}
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "payout: rebroadcast failed", "payout", p.ID, "tx", p.TxHash, "err", err)
		return nil
	}
	s.cfg.Logger.InfoContext(ctx, "payout: transaction not seen on chain, sent again", "payout", p.ID, "tx", p.TxHash)
	// Make sure the watcher follows it (a payout broadcast before the watcher followed
	// payouts, or whose follow record was lost).
	follow := chains.Sent{TxID: sent.TxID, Inputs: sent.Inputs}
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.FollowTx(ctx, n, follow); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.cfg.Follow(n, follow) })
		return nil
	})
}
