package invoice

import (
	"context"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
)

// Refresh makes an invoice that expired without receiving anything pending again: the
// same addresses, each method quoted again at today's rate, and a new lifetime as long
// as its first (Cryptomus's is_refresh). The payer who came back late is not sent
// away. Only an expired invoice with no payment at all, not even one seen and then
// lost, may be refreshed, and at most Config.MaxRefreshes times (default once):
// ErrInvalidState otherwise, with nothing changed. Prices are fetched before the
// write transaction; if the invoice changed meanwhile, Refresh fails with
// ErrInvalidState rather than write stale quotes.
func (s *Service) Refresh(ctx context.Context, m asset.Mode, id string) (*Invoice, error) {
	var inv *Invoice
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if inv, err = tx.GetInvoice(ctx, m, id); err != nil {
			return err
		}
		return s.refreshable(ctx, tx, inv)
	}); err != nil {
		return nil, err
	}
	// New quotes, outside any write transaction (prices may come over the network).
	quoteIn := inv.Currency
	if a, err := s.cfg.Assets.Get(inv.Currency); err == nil {
		quoteIn = a.Currency // priced in a crypto asset
	}
	fresh := append([]Method(nil), inv.Methods...)
	for i, meth := range fresh {
		a, err := s.cfg.Assets.Get(meth.Asset)
		if err != nil {
			return nil, err
		}
		q, err := s.quote(ctx, a, inv.Currency, quoteIn, inv.AmountDue, inv.SubtractPercent)
		if err != nil {
			return nil, fmt.Errorf("invoice: refresh %s: %s: %w", inv.ID, meth.Asset, err)
		}
		fresh[i].Rate, fresh[i].RateSource, fresh[i].RatedAt, fresh[i].AmountDue = q.rate, q.source, q.ratedAt, q.amount
		fresh[i].Confirmations = a.ConfirmationsFor(q.amount)
	}
	var out *Invoice
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := tx.GetInvoice(ctx, m, id)
		if err != nil {
			return err
		}
		if !cur.UpdatedAt.Equal(inv.UpdatedAt) {
			return fmt.Errorf("%w: invoice %s changed while it was being refreshed", ErrInvalidState, id)
		}
		if err := s.refreshable(ctx, tx, cur); err != nil {
			return err
		}
		now := s.cfg.Now().UTC()
		lifetime := cur.ExpiresAt.Sub(cur.CreatedAt)
		cur.Methods = fresh
		cur.Status, cur.Exception, cur.UpdatedAt = StatusPending, "", now
		cur.ExpiresAt = now.Add(lifetime)
		cur.MonitorUntil = cur.ExpiresAt.Add(s.cfg.MonitoringWindow)
		cur.Refreshes++
		if err := tx.UpdateInvoice(ctx, cur, true); err != nil {
			return err
		}
		if err := s.watchAgain(ctx, tx, cur); err != nil { // if the window had closed
			return err
		}
		out = cur
		return s.emit(ctx, tx, cur, event.InvoiceRefreshed, nil)
	})
	return out, err
}

// refreshable says why inv cannot be refreshed now, or nil.
func (s *Service) refreshable(ctx context.Context, tx Tx, inv *Invoice) error {
	if inv.Status != StatusExpired {
		return fmt.Errorf("%w: only an expired invoice can be refreshed, not a %s one", ErrInvalidState, inv.Status)
	}
	limit := s.cfg.MaxRefreshes
	if limit == 0 {
		limit = 1
	}
	if inv.Refreshes >= limit {
		return fmt.Errorf("%w: invoice %s was refreshed %d times already, the most allowed", ErrInvalidState, inv.ID, inv.Refreshes)
	}
	pays, err := tx.Payments(ctx, inv)
	if err != nil {
		return err
	}
	if len(pays) > 0 || inv.AmountPaid.IsPositive() {
		return fmt.Errorf("%w: invoice %s received a payment: it cannot be refreshed", ErrInvalidState, inv.ID)
	}
	if s.cfg.Refreshable != nil {
		return s.cfg.Refreshable(ctx, tx, inv)
	}
	return nil
}
