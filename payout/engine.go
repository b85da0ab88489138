package payout

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/ledger"
)

// holdID names the hold of p's current attempt: a new attempt moves (or reopens) the
// money under a new id, so every hold is placed, posted or voided once.
func holdID(p *Payout) string { return specID(p.ID, p.Attempt) }

// gasHoldID names the separate hold of a token payout's gas.
func gasHoldID(p *Payout) string { return holdID(p) + "-gas" }

// save stores p and tells Config.Changed of a payout that pays a refund, in the same
// transaction.
func (s *Service) save(ctx context.Context, tx Tx, p *Payout) error {
	if err := tx.UpdatePayout(ctx, p); err != nil {
		return err
	}
	if p.RefundID != "" && s.cfg.Changed != nil {
		return s.cfg.Changed(ctx, tx, p)
	}
	return nil
}

// move applies change c to p with Next and stores it, emitting payout.broadcast when it
// becomes broadcast from another status, payout.completed when it completes.
func (s *Service) move(ctx context.Context, tx Tx, p *Payout, c Change) error {
	to, err := Next(p.Status, c)
	if err != nil {
		return err
	}
	from := p.Status
	p.Status, p.UpdatedAt = to, s.cfg.Now().UTC()
	if err := s.save(ctx, tx, p); err != nil {
		return err
	}
	switch {
	case to == StatusBroadcast && from != StatusBroadcast:
		return s.emit(ctx, tx, p, EventBroadcast)
	case to == StatusCompleted && from != StatusCompleted:
		return s.emit(ctx, tx, p, EventCompleted)
	}
	return nil
}

// end closes a payout that did not (or will not) pay, on change c (refused, reverted,
// code failed): its holds are voided, it moves to failed or cancelled with the reason,
// and payout.failed is emitted.
func (s *Service) end(ctx context.Context, tx Tx, p *Payout, c Change, reason string) error {
	to, err := Next(p.Status, c)
	if err != nil {
		return err
	}
	if err := s.voidHolds(ctx, tx, p); err != nil {
		return err
	}
	p.Status, p.FailureReason, p.UpdatedAt = to, reason, s.cfg.Now().UTC()
	if err := s.save(ctx, tx, p); err != nil {
		return err
	}
	return s.emit(ctx, tx, p, EventFailed)
}

// voidHolds voids p's pending holds (closed ones are left as they are).
func (s *Service) voidHolds(ctx context.Context, tx Tx, p *Payout) error {
	if err := ledger.VoidHold(ctx, tx, holdID(p)); err != nil && !errors.Is(err, ledger.ErrHoldClosed) {
		return err
	}
	if p.gasHold() {
		if err := ledger.VoidHold(ctx, tx, gasHoldID(p)); err != nil && !errors.Is(err, ledger.ErrHoldClosed) {
			return err
		}
	}
	return nil
}

// changeOf is what a record of the watcher says about our transaction; ok is false
// when it says nothing a payout acts on.
func changeOf(r chains.Record) (Change, bool) {
	if r.Index == chains.ConflictIndex {
		// A conflict acts only once it is buried as deep as a payout must be.
		return ChangeConflicted, r.Status == chains.StatusConfirmed
	}
	switch r.Status {
	case chains.StatusMempool, chains.StatusConfirming:
		return ChangeSeen, true
	case chains.StatusConfirmed:
		if r.Failed {
			return ChangeReverted, true
		}
		return ChangeConfirmed, true
	case chains.StatusOrphaned, chains.StatusDropped:
		return ChangeDropped, true
	}
	return "", false
}

// Apply is the payout side of the chain watcher: it moves the payouts whose
// transactions the changed records of n are about (chains.Transfer.Out), in the
// watcher's transaction. Seen in the mempool or a block: broadcast. Confirmed as deep
// as the network's payout confirmations: completed, the holds posted with the fee
// paid. Mined and reverted (EVM): failed, the amount's hold voided and the gas booked.
// Orphaned by a reorg or dropped from the mempool: back to broadcast (a completed
// payout too), and Step sends the same signed transaction again. Conflicted by a
// confirmed transaction that spends one of its inputs, or whose inputs no longer
// exist: it can never confirm, so it goes back to processing with its holds (posted
// ones reopened) under a new attempt, and Step signs a new transaction.
func (s *Service) Apply(ctx context.Context, tx Tx, n chains.NetworkRef, changed []chains.Record) error {
	for _, r := range changed {
		if !r.Out {
			continue
		}
		c, ok := changeOf(r)
		if !ok {
			continue
		}
		ps, err := tx.PayoutsByTx(ctx, n, r.TxID)
		if err != nil {
			return err
		}
		if c == ChangeConflicted && len(ps) > 0 {
			// Our transaction came back (the conflict's block was reorged out and ours
			// mined, or it is in the mempool again): nothing to do.
			out, ok, err := tx.Transfer(ctx, n, r.TxID, chains.OutIndex)
			if err != nil {
				return err
			}
			if ok && (out.Status == chains.StatusMempool || out.Status == chains.StatusConfirming || out.Status == chains.StatusConfirmed) {
				continue
			}
		}
		for i, p := range ps {
			pr, pc := r, c
			if r.TxID != p.TxHash {
				// A transaction a fee bump replaced: it moves the payout only once mined,
				// and then is the payout's.
				if !minedRecord(r, c) {
					continue
				}
				if err := s.switchTo(ctx, tx, n, p, r.TxID); err != nil {
					return fmt.Errorf("payout %s: %w", p.ID, err)
				}
			} else if c == ChangeConflicted && len(p.Replaced) > 0 {
				// Its transaction can never confirm: because one it replaced, or that
				// replaced it, was mined (the doomed-input check names no conflicting
				// transaction)? Then that one is the payout's, never a new signature.
				mr, ok, err := s.minedReplaced(ctx, tx, n, p)
				if err != nil {
					return fmt.Errorf("payout %s: %w", p.ID, err)
				}
				if !ok && p.replaced(r.ConflictedBy) >= 0 {
					continue // the one mined is recorded when the watcher scans it
				}
				if ok {
					if err := s.switchTo(ctx, tx, n, p, mr.TxID); err != nil {
						return fmt.Errorf("payout %s: %w", p.ID, err)
					}
					pr = mr
					if pc, ok = changeOf(mr); !ok {
						continue
					}
				}
			}
			if err := s.apply(ctx, tx, n, p, pc, pr, i, len(ps)); err != nil {
				return fmt.Errorf("payout %s: %w", p.ID, err)
			}
		}
	}
	return nil
}

// minedRecord reports whether r says its transaction is in a block.
func minedRecord(r chains.Record, c Change) bool {
	return c == ChangeConfirmed || c == ChangeReverted || (c == ChangeSeen && r.Status == chains.StatusConfirming)
}

// minedReplaced returns the watcher's record of a transaction a bump replaced for p
// that a block mined, if any.
func (s *Service) minedReplaced(ctx context.Context, tx Tx, n chains.NetworkRef, p *Payout) (chains.Record, bool, error) {
	for _, rp := range p.Replaced {
		r, ok, err := tx.Transfer(ctx, n, rp.TxHash, chains.OutIndex)
		if err != nil {
			return r, false, err
		}
		if ok && (r.Status == chains.StatusConfirming || r.Status == chains.StatusConfirmed) {
			return r, true, nil
		}
	}
	return chains.Record{}, false, nil
}

// replaced returns the index in p.Replaced of txid, or -1.
func (p *Payout) replaced(txid string) int {
	for i, r := range p.Replaced {
		if txid != "" && r.TxHash == txid {
			return i
		}
	}
	return -1
}

// switchTo makes txid, a transaction of p's that a fee bump replaced and that a block
// mined instead of its replacement, p's transaction again: its fee is the one the
// payout books, the replacement joins Replaced (it can never be mined now, unless a
// reorg takes txid away; then whichever is mined is switched to), and a UTXO wallet's
// record of the send follows, so its change and inputs are the mined transaction's.
func (s *Service) switchTo(ctx context.Context, tx Tx, n chains.NetworkRef, p *Payout, txid string) error {
	i := p.replaced(txid)
	if i < 0 {
		return nil
	}
	s.cfg.Logger.WarnContext(ctx, "payout: a transaction a fee bump replaced was mined instead of its replacement",
		"payout", p.ID, "mined", txid, "replacement", p.TxHash)
	was := ReplacedTx{TxHash: p.TxHash, Fee: p.Fee}
	p.TxHash, p.Fee = txid, p.Replaced[i].Fee
	p.Replaced[i] = was
	// Stored now: a payout that stays broadcast while the mined one confirms shows it.
	if err := s.save(ctx, tx, p); err != nil {
		return err
	}
	spec := specID(p.ID, p.Attempt)
	if p.SendID != "" {
		spec = specID(p.SendID, p.Attempt)
	}
	old, ok, err := tx.SendByID(ctx, n, chains.ReplacedSpecID(spec, txid))
	if err != nil || !ok {
		return err
	}
	cur, ok, err := tx.SendByID(ctx, n, spec)
	if err != nil || !ok || cur.TxID == txid {
		return err
	}
	old.SpecID, old.Status = spec, chains.SendBroadcast
	return tx.ReplaceSend(ctx, n, old)
}

// apply applies one record's change to p, the i-th of the count payouts that share
// the transaction.
func (s *Service) apply(ctx context.Context, tx Tx, n chains.NetworkRef, p *Payout, c Change, r chains.Record, i, count int) error {
	if _, err := Next(p.Status, c); err != nil {
		// Not a change for it (a record of a failed payout's transaction, or one seen
		// again): nothing moves.
		return nil
	}
	if p.Status == StatusBroadcast && (c == ChangeSeen || c == ChangeDropped) {
		return nil // it stays broadcast; Step sends a dropped transaction again
	}
	switch c {
	case ChangeConfirmed:
		if err := s.settle(ctx, tx, p, r, i, count); err != nil {
			return err
		}
		if p.CompletedAt == nil {
			now := s.cfg.Now().UTC()
			p.CompletedAt = &now
		}
		// Followed while a reorg can still take it away, and the transactions a fee bump
		// replaced with it (a reorg could let one of them be mined instead).
		if err := tx.UnfollowTx(ctx, n, r.TxID, s.cfg.Now().Add(s.cfg.FollowFor)); err != nil {
			return err
		}
		for _, rp := range p.Replaced {
			if err := tx.UnfollowTx(ctx, n, rp.TxHash, s.cfg.Now().Add(s.cfg.FollowFor)); err != nil {
				return err
			}
		}
	case ChangeDropped, ChangeSeen:
		if p.Status == StatusCompleted {
			s.cfg.Logger.WarnContext(ctx, "payout: a reorg took a completed payout's transaction out of the chain; it is sent again",
				"payout", p.ID, "tx", p.TxHash, "status", r.Status)
			if err := tx.FollowTx(ctx, n, chains.Sent{TxID: r.TxID}); err != nil {
				return err
			}
		}
	case ChangeReverted:
		fee := r.Amount
		f := s.feeAsset(p).FromBaseUnits(fee)
		p.Fee = &f
		if err := s.bookRevertedGas(ctx, tx, p, fee); err != nil {
			return err
		}
		return s.end(ctx, tx, p, c, "the transaction failed on chain")
	case ChangeConflicted:
		return s.conflicted(ctx, tx, n, p, r)
	}
	return s.move(ctx, tx, p, c)
}

// settle posts p's holds when its transaction confirms: the net amount to the world,
// the service fee to the operator, the network fee paid (its share of a batch's) to
// fees, and what the estimate over-reserved back to available. A payout completed
// before (then reorged out and confirmed again) is booked once.
func (s *Service) settle(ctx context.Context, tx Tx, p *Payout, r chains.Record, i, count int) error {
	fee := p.feeUnits(s)
	if r.Amount != nil && r.Amount.Sign() > 0 && p.gasHold() {
		// A token's gas is known from its receipt.
		fee = new(big.Int).Set(r.Amount)
	} else if fee == nil && r.Amount != nil && r.Amount.Sign() > 0 {
		// The transaction's whole fee, shared like at broadcast.
		fee = share(r.Amount, i, count)
	}
	if fee == nil {
		fee = new(big.Int)
	}
	held, state, err := s.feeHeld(ctx, tx, p)
	if err != nil {
		return err
	}
	if state != ledger.HoldPending {
		return nil // booked, with its fee, when it first completed
	}
	f := s.feeAsset(p).FromBaseUnits(fee)
	p.Fee = &f
	amountLegs, gasLegs, over := s.legs(p, fee, held)
	post := func(id string, legs []ledger.Posting) error {
		if len(legs) > 0 {
			return ledger.PostHold(ctx, tx, id, legs)
		}
		return ledger.VoidHold(ctx, tx, id)
	}
	if err := post(holdID(p), amountLegs); err != nil {
		return err
	}
	if p.gasHold() {
		if err := post(gasHoldID(p), gasLegs); err != nil {
			return err
		}
	}
	if over.Sign() > 0 {
		// The fee came out higher than held: from the payer's available (the
		// operator's: else from the world, coin put in the wallet by hand; a
		// sub-merchant's or a wallet's: else on its own deficit).
		return ledger.BookFee(ctx, tx, feeOwner(p), p.Mode, p.FeeCurrency, over, "payout-fee-overrun:"+holdID(p), "fee above estimate "+p.ID)
	}
	return nil
}

// feeHeld is what p's holds keep for the network fee: the gas hold (a token), or
// what the amount hold keeps beyond the net amount and the service fee; and the
// amount hold's state.
func (s *Service) feeHeld(ctx context.Context, tx Tx, p *Payout) (*big.Int, ledger.HoldState, error) {
	h, err := tx.LockHold(ctx, holdID(p))
	if err != nil {
		return nil, "", err
	}
	if p.gasHold() {
		g, err := tx.LockHold(ctx, gasHoldID(p))
		return g.Amount, h.State, err
	}
	a, _ := s.cfg.Assets.Get(p.Asset)
	net, _ := a.ToBaseUnits(p.NetAmount)
	serv, _ := a.ToBaseUnits(p.ServiceFee)
	return new(big.Int).Sub(h.Amount, new(big.Int).Add(net, serv)), h.State, nil
}

// legs are the postings of p's holds when it pays fee with held kept for it: the
// amount hold's (net amount, service fee, and the fee when it is paid in the payout's
// asset), the gas hold's (a token's fee), and what the fee exceeds held by.
func (s *Service) legs(p *Payout, fee, held *big.Int) (amount, gas []ledger.Posting, over *big.Int) {
	a, _ := s.cfg.Assets.Get(p.Asset)
	fa := s.feeAsset(p)
	m := p.Mode
	net, _ := a.ToBaseUnits(p.NetAmount)
	serv, _ := a.ToBaseUnits(p.ServiceFee)
	amount = []ledger.Posting{{Account: ledger.World(m, a.Code), Amount: net}}
	if serv.Sign() > 0 {
		amount = append(amount, ledger.Posting{Account: OperatorAccount(m, a.Code), Amount: serv})
	}
	covered := new(big.Int).Set(fee)
	if covered.Cmp(held) > 0 {
		covered.Set(held)
	}
	if covered.Sign() > 0 {
		leg := ledger.Posting{Account: ledger.NetworkFees(m, fa.Code), Amount: covered}
		if p.gasHold() {
			gas = append(gas, leg)
		} else {
			amount = append(amount, leg)
		}
	}
	return amount, gas, new(big.Int).Sub(fee, covered)
}

// bookRevertedGas books the gas a reverted payout's transaction spent: from its gas
// hold (a token payout), or from its amount hold (the network's coin), what the hold
// does not cover from available, else the world. end voids what is left.
func (s *Service) bookRevertedGas(ctx context.Context, tx Tx, p *Payout, fee *big.Int) error {
	if fee == nil || fee.Sign() <= 0 {
		return nil
	}
	id := holdID(p)
	if p.gasHold() {
		id = gasHoldID(p)
	}
	h, err := tx.LockHold(ctx, id)
	if err != nil {
		return err
	}
	if h.State != ledger.HoldPending {
		return nil // booked already
	}
	covered := new(big.Int).Set(fee)
	if covered.Cmp(h.Amount) > 0 {
		covered.Set(h.Amount)
	}
	if err := ledger.PostHold(ctx, tx, id, []ledger.Posting{{Account: ledger.NetworkFees(p.Mode, p.FeeCurrency), Amount: covered}}); err != nil {
		return err
	}
	return ledger.BookFee(ctx, tx, feeOwner(p), p.Mode, p.FeeCurrency, new(big.Int).Sub(fee, covered), "payout-gas-overrun:"+id, "gas of reverted payout "+p.ID)
}

// feeOwner is whose balance pays p's network fee: a customer wallet's when the fee is
// in the wallet's own asset, else p's merchant's (the operator, or its sub-merchant).
func feeOwner(p *Payout) ledger.Owner {
	if p.WalletID != "" && p.FeeCurrency == p.Asset {
		return ledger.Owner{Wallet: p.WalletID}
	}
	return ledger.Owner{Sub: p.SubMerchantID}
}

// conflicted sends p back to processing under a new attempt: its transaction can
// never confirm (a double-spend took an input, or it expired unmined: Tron). Pending holds move to the new attempt's ids; posted ones (it had
// completed) are reopened, so the ledger takes back a payment that did not happen.
func (s *Service) conflicted(ctx context.Context, tx Tx, n chains.NetworkRef, p *Payout, r chains.Record) error {
	prev := *p
	if err := s.move(ctx, tx, p, ChangeConflicted); err != nil {
		return err
	}
	p.Attempt++
	s.cfg.Logger.WarnContext(ctx, "payout: its transaction can never confirm (an input was double-spent, or it expired unmined); a new one will be signed",
		"payout", p.ID, "tx", prev.TxHash, "conflicted_by", r.ConflictedBy, "attempt", p.Attempt)
	held, state, err := s.feeHeld(ctx, tx, &prev)
	if err != nil {
		return err
	}
	if state == ledger.HoldPosted {
		// It had completed (and may have been reorged out since): the payment the
		// ledger booked did not happen.
		fee := prev.feeUnits(s)
		if fee == nil {
			fee = new(big.Int)
		}
		amountLegs, gasLegs, _ := s.legs(&prev, fee, held)
		if err := ledger.ReopenHold(ctx, tx, holdID(&prev), holdID(p), amountLegs); err != nil {
			return err
		}
		if p.gasHold() && len(gasLegs) > 0 {
			if err := ledger.ReopenHold(ctx, tx, gasHoldID(&prev), gasHoldID(p), gasLegs); err != nil {
				return err
			}
		}
	} else {
		if err := ledger.MoveHold(ctx, tx, holdID(&prev), holdID(p)); err != nil {
			return err
		}
		if p.gasHold() {
			if err := ledger.MoveHold(ctx, tx, gasHoldID(&prev), gasHoldID(p)); err != nil {
				return err
			}
		}
	}
	p.TxHash, p.Fee, p.CompletedAt = "", nil, nil
	if err := s.save(ctx, tx, p); err != nil {
		return err
	}
	return tx.UnfollowTx(ctx, n, r.TxID, s.cfg.Now())
}

// feeAsset is the asset p's network fee is paid in.
func (s *Service) feeAsset(p *Payout) asset.Asset {
	a, _ := s.cfg.Assets.Get(p.FeeCurrency)
	return a
}

// feeUnits is p's recorded fee in base units of its fee asset (nil when unknown).
func (p *Payout) feeUnits(s *Service) *big.Int {
	if p.Fee == nil {
		return nil
	}
	u, _ := s.feeAsset(p).ToBaseUnits(*p.Fee)
	return u
}

// share is the i-th of count shares of fee: fee/count base units each (integer
// division), the remainder one unit each to the first.
func share(fee *big.Int, i, count int) *big.Int {
	n := big.NewInt(int64(count))
	sh := new(big.Int).Quo(fee, n)
	if big.NewInt(int64(i)).Cmp(new(big.Int).Rem(fee, n)) < 0 {
		sh.Add(sh, big.NewInt(1))
	}
	return sh
}
