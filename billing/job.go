package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/ledger"
)

// dueBatch is how many due subscriptions Step reads at once.
const dueBatch = 100

// Step bills what is due by the clock: the periods that have started, the retries
// whose delay has passed, the cancellations at a period's end and the auto-ends. It
// runs until nothing is due (a clock moved a year ahead bills each missed period in
// turn), and returns the errors of the subscriptions it could not advance, which it
// leaves for the next Step. Only one instance must run it at a time (the Gateway's
// billing lease); a second one beside it would bill nothing twice, but wait on locks.
func (s *Service) Step(ctx context.Context) error {
	failed := map[string]error{}
	for {
		var due []Ref
		if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			due, err = tx.DueSubscriptions(ctx, s.cfg.Now().UTC(), dueBatch+len(failed))
			return err
		}); err != nil {
			return err
		}
		progress := false
		for _, r := range due {
			if _, ok := failed[r.ID]; ok {
				continue
			}
			progress = true
			if err := s.advance(ctx, r); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failed[r.ID] = err
				s.cfg.Logger.WarnContext(ctx, "billing: a subscription could not be advanced", "subscription", r.ID, "err", err)
			}
		}
		if !progress {
			var errs []error
			for id, err := range failed {
				errs = append(errs, fmt.Errorf("subscription %s: %w", id, err))
			}
			return errors.Join(errs...)
		}
	}
}

// advance moves subscription r one step: it ends it, opens its next period (paid
// from the wallet, or to be invoiced), or sends the invoice of its open period. What
// needs an invoice is quoted outside any transaction (rates), then written in one
// transaction with the period it bills.
func (s *Service) advance(ctx context.Context, r Ref) error {
	var invoiceFor *Subscription
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		invoiceFor = nil
		sub, ok, err := tx.GetSubscription(ctx, r.Mode, r.ID)
		if err != nil || !ok {
			return err
		}
		now := s.cfg.Now().UTC()
		if sub.NextAt.IsZero() || sub.NextAt.After(now) || sub.Status.Ended() {
			return nil // someone else advanced it
		}
		need, err := s.step(ctx, tx, &sub, now)
		if need {
			invoiceFor = &sub
		}
		return err
	})
	if err != nil || invoiceFor == nil {
		return err
	}
	sub := invoiceFor
	n, attempt := sub.CurrentPeriod, sub.Attempts+1
	prep, err := s.cfg.Invoices.Prepare(ctx, r.Mode, s.invoiceParams(sub, n, attempt))
	if err != nil {
		err = fmt.Errorf("period %d's invoice: %w", n, err)
		return errors.Join(err, s.unbillable(ctx, r, n, attempt, err))
	}
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, ok, err := tx.GetSubscription(ctx, r.Mode, r.ID)
		if err != nil || !ok {
			return err
		}
		if cur.Status.Ended() || cur.CurrentPeriod != n || cur.Attempts != attempt-1 || cur.CurrentPeriodPaid {
			return nil // changed meanwhile (cancelled, paid): the next Step looks again
		}
		per, ok, err := tx.GetPeriod(ctx, r.Mode, r.ID, n)
		if err != nil {
			return err
		}
		if !ok || per.Status != PeriodOpen {
			return fmt.Errorf("billing: period %d of %s is not open", n, r.ID)
		}
		inv, _, err := s.cfg.Invoices.Insert(ctx, tx, prep)
		if err != nil {
			return err
		}
		if s.beforeRecord != nil {
			if err := s.beforeRecord(); err != nil {
				return err
			}
		}
		per.InvoiceID, per.Attempts, per.Collection = inv.ID, attempt, CollectInvoice
		if err := tx.UpdatePeriod(ctx, per); err != nil {
			return err
		}
		cur.LatestInvoiceID, cur.Attempts, cur.NextPaymentAttempt, cur.BillingError = inv.ID, attempt, nil, ""
		// The invoice tells of its fate (OnInvoice); should it not, the job looks
		// when it expires.
		cur.NextAt, cur.UpdatedAt = inv.ExpiresAt, s.cfg.Now().UTC()
		return tx.UpdateSubscription(ctx, cur)
	})
}

// unbillableRetry is how long the job waits before it tries again to make an invoice
// it could not make (no rate for a fiat price, an asset no longer enabled, ...).
const unbillableRetry = 5 * time.Minute

// unbillable records that period n's invoice (attempt) could not be made: the reason
// (billing_error), another try after unbillableRetry, and, once the period has gone
// unbilled for longer than an invoice would have lasted, past due
// (subscription.past_due): the period is not paid, whatever the reason.
func (s *Service) unbillable(ctx context.Context, r Ref, n, attempt int, why error) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		sub, ok, err := tx.GetSubscription(ctx, r.Mode, r.ID)
		if err != nil || !ok || sub.Status.Ended() || sub.CurrentPeriod != n || sub.Attempts != attempt-1 || sub.CurrentPeriodPaid {
			return err
		}
		now := s.cfg.Now().UTC()
		sub.BillingError, sub.NextAt, sub.UpdatedAt = why.Error(), now.Add(unbillableRetry), now
		overdue := sub.CurrentPeriodStart != nil && now.Sub(*sub.CurrentPeriodStart) > s.cfg.InvoiceLifetime
		if !overdue || sub.Status == StatusPastDue {
			return tx.UpdateSubscription(ctx, sub)
		}
		sub.Status = StatusPastDue
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		return s.emit(ctx, tx, &sub, EventPastDue)
	})
}

// invoiceParams are the parameters of attempt (from 1) at period n's invoice.
func (s *Service) invoiceParams(sub *Subscription, n, attempt int) invoice.CreateParams {
	start := PeriodStart(sub.BillingCycleAnchor, sub.Interval, sub.IntervalCount, n)
	end := PeriodStart(sub.BillingCycleAnchor, sub.Interval, sub.IntervalCount, n+1)
	return invoice.CreateParams{
		Amount: sub.Amount, Currency: sub.Currency, AcceptedAssets: sub.AcceptedAssets, Lifetime: s.cfg.InvoiceLifetime,
		CustomerID: sub.CustomerID, SubMerchantID: sub.SubMerchantID, SuccessURL: sub.ReturnURL,
		Description: fmt.Sprintf("Subscription %s, period %d: %s to %s", sub.ID, n+1, start.Format(time.DateOnly), end.Format(time.DateOnly)),
		// The invoice's own key: a retry of this very attempt finds it.
		RequestKey:     fmt.Sprintf("subscription:%s:%d:%d", sub.ID, n, attempt),
		SubscriptionID: sub.ID, SubscriptionPeriod: n,
	}
}

// step takes the step sub's state and the clock call for, in tx, and reports whether
// the open period needs an invoice sent (which advance does next).
func (s *Service) step(ctx context.Context, tx Tx, sub *Subscription, now time.Time) (needInvoice bool, err error) {
	if sub.CurrentPeriod >= 0 && !sub.CurrentPeriodPaid {
		// The open period: its invoice's fate, or the next retry.
		if sub.LatestInvoiceID != "" && sub.Attempts > 0 {
			inv, err := tx.GetInvoice(ctx, sub.Mode, sub.LatestInvoiceID)
			if err != nil {
				return false, err
			}
			switch inv.Status {
			case invoice.StatusPaid:
				return false, s.paid(ctx, tx, sub, now)
			case invoice.StatusExpired, invoice.StatusCancelled:
				if sub.NextPaymentAttempt == nil {
					return false, s.unpaid(ctx, tx, sub, inv, now) // its expiry was not heard of yet
				}
				return true, nil // the retry's delay has passed: send the next invoice
			default:
				// Still open (the expiry pass has not run, or a payment confirms).
				sub.NextAt, sub.UpdatedAt = now.Add(time.Minute), now
				return false, tx.UpdateSubscription(ctx, *sub)
			}
		}
		return true, nil // opened, not invoiced yet (a crash, or the wallet fell short)
	}
	// The current period is paid (or none has started): the next one, when due.
	next := sub.CurrentPeriod + 1
	start := PeriodStart(sub.BillingCycleAnchor, sub.Interval, sub.IntervalCount, next)
	if start.After(now) {
		sub.NextAt, sub.UpdatedAt = start, now
		return false, tx.UpdateSubscription(ctx, *sub)
	}
	switch {
	case sub.CancelAtPeriodEnd:
		return false, s.end(ctx, tx, sub, StatusCancelled, "requested", now)
	case sub.AutoEndAt != nil && !start.Before(*sub.AutoEndAt):
		return false, s.end(ctx, tx, sub, StatusExpired, "", now)
	}
	end := PeriodStart(sub.BillingCycleAnchor, sub.Interval, sub.IntervalCount, next+1)
	per := Period{SubscriptionID: sub.ID, Mode: sub.Mode, N: next, Start: start, End: end, Status: PeriodOpen,
		Amount: sub.Amount, Currency: sub.Currency, Collection: CollectInvoice, CreatedAt: now}
	sub.CurrentPeriod, sub.CurrentPeriodStart, sub.CurrentPeriodEnd = next, &per.Start, &per.End
	sub.CurrentPeriodPaid, sub.LatestInvoiceID, sub.Attempts, sub.UpdatedAt = false, "", 0, now
	if sub.Collection == CollectWallet {
		paid, err := s.collect(ctx, tx, sub, &per)
		if err != nil {
			return false, err
		}
		if paid {
			if err := tx.InsertPeriod(ctx, per); err != nil {
				return false, err
			}
			return false, s.paid(ctx, tx, sub, now)
		}
	}
	if err := tx.InsertPeriod(ctx, per); err != nil {
		return false, err
	}
	if err := tx.UpdateSubscription(ctx, *sub); err != nil {
		return false, err
	}
	return true, nil
}

// collect pays period per from the customer's wallet of the plan's asset, in one
// ledger entry keyed by the period, when its available balance covers the price; it
// reports whether it did.
func (s *Service) collect(ctx context.Context, tx Tx, sub *Subscription, per *Period) (bool, error) {
	a, err := s.cfg.Assets.Get(sub.Currency)
	if err != nil {
		return false, nil // priced in fiat: invoiced
	}
	w, ok, err := tx.WalletOf(ctx, sub.Mode, sub.SubMerchantID, sub.CustomerID, a.Code)
	if err != nil || !ok {
		return false, err
	}
	amount, err := a.ToBaseUnits(sub.Amount)
	if err != nil {
		return false, err
	}
	err = ledger.Collect(ctx, tx, w.ID, ledger.Owner{Sub: sub.SubMerchantID}, sub.Mode, a.Code, amount,
		fmt.Sprintf("subscription:%s:%d", sub.ID, per.N), fmt.Sprintf("subscription %s period %d from wallet %s", sub.ID, per.N, w.ID))
	if errors.Is(err, ledger.ErrInsufficientFunds) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	per.Collection, per.WalletID = CollectWallet, w.ID
	return true, nil
}

// paid records that sub's open period is paid: the period, the subscription (active,
// next looked at when the period ends) and the event (activated for the first
// period, renewed for a later one, or after being past due).
func (s *Service) paid(ctx context.Context, tx Tx, sub *Subscription, now time.Time) error {
	if err := s.closePeriod(ctx, tx, sub, PeriodPaid); err != nil {
		return err
	}
	t := EventRenewed
	if sub.PeriodsPaid == 0 { // also when the first period was past due before it was paid
		t = EventActivated
	}
	sub.Status, sub.CurrentPeriodPaid, sub.PeriodsPaid, sub.NextPaymentAttempt = StatusActive, true, sub.PeriodsPaid+1, nil
	sub.NextAt, sub.UpdatedAt = *sub.CurrentPeriodEnd, now
	if err := tx.UpdateSubscription(ctx, *sub); err != nil {
		return err
	}
	return s.emit(ctx, tx, sub, t)
}

// unpaid handles inv, the open period's invoice, that expired (or was cancelled)
// unpaid: past due, with the next invoice after the next retry delay, and never
// while inv still counts late payments (its MonitorUntil: one period is never open on
// two invoices at once); or, when no retry is left, the period unpaid and the
// subscription cancelled.
func (s *Service) unpaid(ctx context.Context, tx Tx, sub *Subscription, inv *invoice.Invoice, now time.Time) error {
	if sub.Attempts > len(s.cfg.Retries) {
		if err := s.closePeriod(ctx, tx, sub, PeriodUnpaid); err != nil {
			return err
		}
		return s.end(ctx, tx, sub, StatusCancelled, "unpaid", now)
	}
	was, retry := sub.Status, now.Add(s.cfg.Retries[sub.Attempts-1])
	if inv.Status == invoice.StatusExpired && retry.Before(inv.MonitorUntil) {
		retry = inv.MonitorUntil
	}
	sub.Status, sub.NextAt, sub.NextPaymentAttempt, sub.UpdatedAt = StatusPastDue, retry, &retry, now
	if err := tx.UpdateSubscription(ctx, *sub); err != nil {
		return err
	}
	if was == StatusPastDue {
		return nil
	}
	return s.emit(ctx, tx, sub, EventPastDue)
}

// closePeriod gives sub's open period its final status.
func (s *Service) closePeriod(ctx context.Context, tx Tx, sub *Subscription, st PeriodStatus) error {
	per, ok, err := tx.GetPeriod(ctx, sub.Mode, sub.ID, sub.CurrentPeriod)
	if err != nil {
		return err
	}
	if !ok { // every open period is stored before it is closed
		return fmt.Errorf("billing: period %d of %s is not stored", sub.CurrentPeriod, sub.ID)
	}
	per.Status = st
	if st == PeriodPaid {
		at := s.cfg.Now().UTC()
		per.PaidAt = &at
	}
	return tx.UpdatePeriod(ctx, per)
}

// end ends sub with status st.
func (s *Service) end(ctx context.Context, tx Tx, sub *Subscription, st Status, reason string, now time.Time) error {
	sub.Status, sub.NextAt, sub.UpdatedAt, sub.EndedAt, sub.NextPaymentAttempt = st, time.Time{}, now, &now, nil
	t := EventExpired
	if st == StatusCancelled {
		sub.CancelledAt, sub.CancellationReason, t = &now, reason, EventCancelled
	}
	if err := tx.UpdateSubscription(ctx, *sub); err != nil {
		return err
	}
	return s.emit(ctx, tx, sub, t)
}

// OnInvoice is told of every change an invoice stores, in its transaction (the
// invoice service's Changed hook): a period's invoice that is paid pays its period at
// once, and one that expired or was cancelled unpaid makes the subscription past due.
func (s *Service) OnInvoice(ctx context.Context, itx invoice.Tx, inv *invoice.Invoice) error {
	if inv.SubscriptionID == "" || inv.SubscriptionPeriod == nil {
		return nil
	}
	if inv.Status != invoice.StatusPaid && inv.Status != invoice.StatusExpired && inv.Status != invoice.StatusCancelled {
		return nil
	}
	tx, ok := itx.(Tx)
	if !ok {
		return fmt.Errorf("billing: %T is not a billing.Tx", itx)
	}
	sub, ok, err := tx.GetSubscription(ctx, inv.Mode, inv.SubscriptionID)
	if err != nil || !ok {
		return err
	}
	n := *inv.SubscriptionPeriod
	now := s.cfg.Now().UTC()
	if sub.Status.Ended() && sub.CurrentPeriod == n && inv.Status == invoice.StatusPaid {
		// Cancelled while a payment of the period's invoice confirmed: the customer
		// paid the period, and the record says so (the subscription stays ended).
		per, ok, err := tx.GetPeriod(ctx, sub.Mode, sub.ID, n)
		if err != nil || !ok || per.Status != PeriodVoid {
			return err
		}
		per.Status, per.PaidAt, per.InvoiceID = PeriodPaid, &now, inv.ID
		return tx.UpdatePeriod(ctx, per)
	}
	if sub.Status.Ended() || sub.CurrentPeriod != n || sub.CurrentPeriodPaid {
		return nil // a paid or ended period's, or an old attempt's that expired again
	}
	if inv.Status == invoice.StatusPaid {
		// An earlier attempt's invoice paid (refreshed, then paid) pays the period too.
		per, ok, err := tx.GetPeriod(ctx, sub.Mode, sub.ID, n)
		if err != nil {
			return err
		}
		if ok && per.InvoiceID != inv.ID {
			per.InvoiceID = inv.ID
			if err := tx.UpdatePeriod(ctx, per); err != nil {
				return err
			}
		}
		sub.LatestInvoiceID = inv.ID
		return s.paid(ctx, tx, &sub, now)
	}
	if inv.ID != sub.LatestInvoiceID || sub.NextPaymentAttempt != nil {
		return nil // an old attempt's, or this expiry was handled (a later change of the invoice)
	}
	return s.unpaid(ctx, tx, &sub, inv, now)
}

// Refreshable is the invoice service's check before it refreshes inv (an invoice that
// expired unpaid): a subscription's invoice may be refreshed only while it is the one
// its open period waits for. An older attempt, or one of a period paid or a
// subscription ended, is refused (ErrInvalidState): the period would be open on two
// invoices at once, and could be paid twice.
func (s *Service) Refreshable(ctx context.Context, itx invoice.Tx, inv *invoice.Invoice) error {
	if inv.SubscriptionID == "" || inv.SubscriptionPeriod == nil {
		return nil
	}
	tx, ok := itx.(Tx)
	if !ok {
		return fmt.Errorf("billing: %T is not a billing.Tx", itx)
	}
	sub, ok, err := tx.GetSubscription(ctx, inv.Mode, inv.SubscriptionID)
	if err != nil || !ok {
		return err
	}
	if sub.Status.Ended() || sub.CurrentPeriod != *inv.SubscriptionPeriod || sub.CurrentPeriodPaid || sub.LatestInvoiceID != inv.ID {
		return fmt.Errorf("%w: invoice %s billed a period of subscription %s that another invoice bills now, or that is paid or ended",
			invoice.ErrInvalidState, inv.ID, sub.ID)
	}
	return nil
}

// emit writes event t about sub.
func (s *Service) emit(ctx context.Context, tx Tx, sub *Subscription, t event.Type) error {
	data, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: t, CreatedAt: s.cfg.Now().UTC(), Mode: sub.Mode,
		Livemode: sub.Mode == asset.Live, ObjectID: sub.ID, Data: data, SubMerchantID: sub.SubMerchantID})
	return err
}
