package payout

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/validation"
)

// awaitSignature records that the transaction of a group of payouts is built and
// waits for an external signer: they move to awaiting_signature with the PSBT, and
// payout.awaiting_signature is emitted.
func (s *Service) awaitSignature(ctx context.Context, group []*Payout, sent chains.SentTx) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		for i, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.Status != StatusProcessing {
				continue
			}
			a, _ := s.cfg.Assets.Get(cur.Asset)
			cur.TxHash, cur.PSBT = sent.TxID, base64.StdEncoding.EncodeToString(sent.PSBT)
			if sent.Fee != nil && cur.FeeCurrency == cur.Asset {
				f := a.FromBaseUnits(share(sent.Fee, i, len(group)))
				cur.Fee = &f
			}
			if err := s.move(ctx, tx, cur, ChangeUnsigned); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, cur, EventAwaitingSignature); err != nil {
				return err
			}
		}
		return nil
	})
}

// SubmitSigned takes back the PSBT of a payout awaiting its signature, signed by the
// keys the watch-only keyring's xpubs come from (a hardware wallet, an offline
// machine), base64 as PSBTs travel. The wallet checks it against the payout's
// transaction (the same inputs, outputs and amounts, so the same fee; a valid
// signature by our key on every input) and broadcasts it; the payout, with those
// that share its transaction, moves to broadcast. A PSBT that does not match is a
// *validation.Error on "psbt" (wrapping chains.ErrBadPSBT) and changes nothing.
func (s *Service) SubmitSigned(ctx context.Context, m asset.Mode, id, psbt string) (*Payout, error) {
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusAwaitingSignature {
		return nil, fmt.Errorf("%w: the payout is %s, not awaiting_signature", ErrInvalidState, p.Status)
	}
	raw, err := base64.StdEncoding.DecodeString(psbt)
	if err != nil || len(raw) == 0 {
		var v validation.Error
		v.Add("psbt", errors.New("must be a PSBT in base64"))
		return nil, v.Err()
	}
	w, ok := s.cfg.Wallets(chains.NetworkRef{ID: p.Network, Mode: p.Mode})
	if !ok {
		return nil, ErrNoSender
	}
	es, ok := w.(chains.ExternalSigner)
	if !ok {
		return nil, fmt.Errorf("%w: the %s wallet takes no signed PSBT", ErrNoSender, p.Network)
	}
	sent, serr := es.SubmitSigned(ctx, p.spec(), raw)
	if errors.Is(serr, chains.ErrBadPSBT) {
		var v validation.Error
		v.Add("psbt", serr)
		return nil, v.Err()
	}
	if serr != nil && sent.TxID == "" {
		if cur, err := s.Get(ctx, m, id); err == nil && cur.Status != StatusAwaitingSignature {
			return nil, fmt.Errorf("%w: the payout is %s", ErrInvalidState, cur.Status) // cancelled meanwhile
		}
		return nil, serr
	}
	if serr != nil && !w.Rejected(serr) {
		// Signed and stored, but the node was not reached: broadcast it is, and Step
		// sends the stored transaction again.
		s.cfg.Logger.WarnContext(ctx, "payout: signed transaction stored, broadcast deferred", "payout", p.ID, "err", serr)
		serr = nil
	}
	group, err := s.group(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, p, group, sent, serr); err != nil {
		var be *BroadcastError
		if !errors.As(err, &be) {
			return nil, err
		}
	}
	return s.Get(ctx, m, id)
}

// Cancel cancels a payout awaiting its signature (a signer that will not sign), with
// the payouts that share its transaction: their holds are released and the inputs
// the transaction would have spent are free again, in one storage transaction that
// checks the send is still unsigned. A payout in any other status, or whose signed
// PSBT came first, answers ErrInvalidState.
func (s *Service) Cancel(ctx context.Context, m asset.Mode, id string) (*Payout, error) {
	p, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusAwaitingSignature {
		return nil, fmt.Errorf("%w: only a payout awaiting its signature can be cancelled; this one is %s", ErrInvalidState, p.Status)
	}
	group, err := s.group(ctx, p)
	if err != nil {
		return nil, err
	}
	n := chains.NetworkRef{ID: p.Network, Mode: p.Mode}
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		// The wallet's send fails in this transaction, and only while unsigned: a
		// signed PSBT that got there first wins, and the payout is not cancelled.
		snd, ok, err := tx.SendByID(ctx, n, p.spec())
		if err != nil {
			return err
		}
		if ok && snd.Status != chains.SendUnsigned {
			return fmt.Errorf("%w: its transaction is signed already (%s)", ErrInvalidState, snd.Status)
		}
		if ok {
			if err := tx.ReleaseSpends(ctx, n, snd.TxID); err != nil {
				return err
			}
			if err := tx.SetSendStatus(ctx, n, snd.SpecID, chains.SendFailed); err != nil {
				return err
			}
		}
		for _, q := range group {
			cur, err := tx.GetPayout(ctx, q.Mode, q.ID)
			if err != nil {
				return err
			}
			if cur.Status != StatusAwaitingSignature {
				continue
			}
			cur.PSBT = ""
			if err := s.end(ctx, tx, cur, ChangeCancelled, "cancelled before it was signed"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, m, id)
}
