package refund

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/shopspring/decimal"
)

// Rebounds: when Config.Rebounds is on for a mode, Kassa gives back on its own what an
// invoice should not keep, as records of Object ObjectRebound (ids "rb_") that wait
// for the payer's address behind a claim link like refunds without a destination:
//
//   - overpaid: the part of a paid invoice's confirmed payment beyond its price, once
//     nothing it detected is still confirming, in the method that holds the most
//     (exactly what it received beyond its amount due when one method was paid);
//   - paid_late: all that was confirmed on an invoice paid after it expired (its
//     status stays paid, exception paid_late: the merchant must not ship it);
//   - underpaid: the whole of what an invoice received when it expired short and its
//     monitoring window closed (nothing more can count), one rebound per method.
//
// The payer receives it less the network fee (FeeCustomer). Its amount is set aside
// like a refund's waiting for an address. A rebound below the asset's minimum payout,
// or that the available balance cannot cover, is not made: its record says rejected,
// with the reason, and its amount stays refundable by hand. An invoice gets its rebounds once, when its state
// first calls for them; they count against what is left to refund, like refunds, and
// do not count in its AmountRefunded. Events: rebound.created, rebound.completed,
// rebound.failed, rebound.cancelled.

// eventOf is the event of a rebound for what would be t for a refund.
func eventOf(r *Refund, t event.Type) event.Type {
	if r.Object != ObjectRebound {
		return t
	}
	switch t {
	case EventCreated:
		return EventReboundCreated
	case EventSucceeded:
		return EventReboundCompleted
	case EventFailed:
		return EventReboundFailed
	case EventCancelled:
		return EventReboundCancelled
	}
	return t
}

// InvoiceChanged makes inv's rebounds when its state calls for them and rebounds are
// on for its mode, in the transaction that stored the state (invoice.Config.Changed);
// watching says whether late payments can still count.
func (s *Service) InvoiceChanged(ctx context.Context, tx Tx, inv *invoice.Invoice, watching bool) error {
	if !s.cfg.Rebounds[inv.Mode] || !inv.AmountConfirmed.IsPositive() {
		return nil
	}
	var reason string
	switch {
	case inv.Status == invoice.StatusPaid && inv.Exception == invoice.ExceptionOverpaid && inv.AmountPaid.Equal(inv.AmountConfirmed):
		// Once nothing detected is still confirming: the whole excess, once.
		reason = ReboundOverpaid
	case inv.Status == invoice.StatusPaid && inv.Exception == invoice.ExceptionPaidLate:
		reason = ReboundPaidLate
	case inv.Status == invoice.StatusExpired && !watching:
		reason = ReboundUnderpaid
	default:
		return nil
	}
	prior, err := tx.InvoiceRefunds(ctx, inv.Mode, inv.ID)
	if err != nil {
		return err
	}
	for _, r := range prior {
		if r.Object == ObjectRebound {
			return nil // made once
		}
	}
	price, crypto := left(inv, prior)
	d := s.priceDecimals(inv.Currency)
	type part struct {
		method int
		crypto decimal.Decimal
		value  decimal.Decimal
	}
	var parts []part
	if reason == ReboundOverpaid {
		best, paid := -1, 0
		for i := range inv.Methods {
			if crypto[i].IsPositive() {
				paid++
				if best < 0 || methodValue(inv, i, crypto[i], d).GreaterThan(methodValue(inv, best, crypto[best], d)) {
					best = i
				}
			}
		}
		if best < 0 {
			return nil
		}
		m := inv.Methods[best]
		excess := inv.AmountConfirmed.Sub(inv.AmountDue)
		a, _ := s.cfg.Assets.Get(m.Asset)
		cr := asset.DivRoundDown(excess.Mul(m.AmountDue), inv.AmountDue, a.Decimals)
		if paid == 1 {
			cr = m.AmountConfirmed.Sub(m.AmountDue) // exactly what came beyond the amount due
		}
		cr = decimal.Min(cr, crypto[best])
		parts = append(parts, part{best, cr, decimal.Min(methodValue(inv, best, cr, d), price)})
	} else {
		for i := range inv.Methods {
			if crypto[i].IsPositive() {
				parts = append(parts, part{i, crypto[i], decimal.Min(methodValue(inv, i, crypto[i], d), price)})
			}
		}
	}
	now := s.cfg.Now().UTC()
	for _, p := range parts {
		if !p.crypto.IsPositive() {
			continue
		}
		m := inv.Methods[p.method]
		a, _ := s.cfg.Assets.Get(m.Asset)
		r := &Refund{ID: ids.New("rb"), Object: ObjectRebound, Mode: inv.Mode, Livemode: inv.Livemode(), InvoiceID: inv.ID, SubMerchantID: inv.SubMerchantID,
			Status: StatusAwaitingAddress, Amount: decimal.Max(p.value, decimal.Zero), Currency: inv.Currency, Rate: RateInvoice,
			FeePayer: FeeCustomer, Asset: a.Code, RefundCurrency: a.Currency, RefundNetwork: a.Network, RefundAmount: p.crypto,
			Reason: reason, Metadata: nil, CreatedAt: now, UpdatedAt: now}
		switch {
		case p.crypto.LessThan(a.MinPayout):
			r.Status, r.FailureReason = StatusRejected, fmt.Sprintf("%s %s is below the minimum payout of %s %s", p.crypto, a.Code, a.MinPayout, a.Code)
		case s.cfg.Keys.WatchOnly():
			r.Status, r.FailureReason = StatusRejected, "the keyring is watch-only: it cannot sign payouts"
		default:
			if err := s.reserve(ctx, tx, r); err != nil {
				if !errors.Is(err, payout.ErrInsufficientFunds) {
					return err
				}
				r.Status, r.FailureReason = StatusRejected, "the merchant's available balance does not cover it"
				break
			}
			tok, err := newToken()
			if err != nil {
				return err
			}
			exp := now.Add(s.cfg.ClaimTTL)
			r.ClaimToken, r.ClaimPath, r.ClaimExpiresAt = tok, "/refunds/"+tok, &exp
		}
		s.cfg.Logger.InfoContext(ctx, "refund: rebound", "invoice", inv.ID, "rebound", r.ID, "reason", reason,
			"amount", r.RefundAmount, "asset", r.Asset, "status", r.Status)
		if err := tx.InsertRefund(ctx, r); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, r, EventCreated); err != nil {
			return err
		}
	}
	return nil
}

// Rebounds returns the rebounds of an invoice of mode m, oldest first
// (invoice.ErrNotFound for an unknown one).
func (s *Service) Rebounds(ctx context.Context, m asset.Mode, invoiceID string) ([]*Refund, error) {
	all, err := s.ForInvoice(ctx, m, invoiceID)
	out := all[:0]
	for _, r := range all {
		if r.Object == ObjectRebound {
			out = append(out, r)
		}
	}
	return out, err
}
