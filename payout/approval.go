package payout

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Approval: how a payout was let out.
const (
	// ApprovalAutomatic: under every threshold, sent at once.
	ApprovalAutomatic = "automatic"
	// ApprovalCode: it waited for (or waits for) a one-time code.
	ApprovalCode = "code"
	// ApprovalInternal: a move to an address the operator configured (the treasury's
	// cold storage, CreateParams.Internal): no code.
	ApprovalInternal = "internal"
)

// ErrNoNotifier refuses a live payout that needs a one-time code when no Notifier is
// configured: the code would only be logged, and anyone reading the logs could
// approve it.
var ErrNoNotifier = errors.New("needs approval with a one-time code, but no Notifier is configured to send it (PayoutOptions.Notifier)")

// valueUSD is what p is worth in USD now (stablecoins at par), rounded up to the cent;
// nil when no rate is known.
func (s *Service) valueUSD(ctx context.Context, p *Payout) *decimal.Decimal {
	a, _ := s.cfg.Assets.Get(p.Asset)
	usd := p.Amount
	if !a.Stable {
		if s.cfg.Rates == nil {
			return nil
		}
		r, err := s.cfg.Rates.Rate(ctx, a.Currency, "USD")
		if err != nil {
			return nil
		}
		usd = p.Amount.Mul(r.Value)
	}
	usd = usd.RoundCeil(2)
	return &usd
}

// needsVerification: at or above the USD threshold on its own, of unknown value, or
// by the Approver. The batch total and the rolling window are checked by approve.
func (s *Service) needsVerification(ctx context.Context, p *Payout) bool {
	if s.cfg.Approver != nil && s.cfg.Approver(ctx, p) {
		return true
	}
	return p.ValueUSD == nil || p.ValueUSD.GreaterThanOrEqual(s.cfg.ApprovalUSD)
}

// cents is a USD value in whole cents, as the rolling window sums it.
func cents(usd *decimal.Decimal) int64 {
	if usd == nil {
		return 0
	}
	return usd.Shift(2).RoundCeil(0).IntPart()
}

// holdBatch reports whether a batch must wait for a code as a whole: its total
// reaches the approval threshold, or the value of one of its payouts is unknown.
func (s *Service) holdBatch(plans []*plan) bool {
	total := decimal.Zero
	for _, pl := range plans {
		if pl.p.ValueUSD == nil {
			return true
		}
		total = total.Add(*pl.p.ValueUSD)
	}
	return total.GreaterThanOrEqual(s.cfg.ApprovalUSD)
}

// approve decides, inside the transaction that stores plans, which of them wait for a
// code: those already marked, and all that would go out without one if the payouts of
// the mode sent without a code within the window plus these reached WindowUSD (a
// batch is held whole). Read in the write transaction, so concurrent creates cannot
// both slip under the limit. A live payout that needs a code fails with
// ErrNoNotifier when no Notifier is configured.
func (s *Service) approve(ctx context.Context, tx Tx, m asset.Mode, plans []*plan) error {
	var auto []*plan
	add := int64(0)
	for _, pl := range plans {
		if !pl.verify && !pl.internal {
			auto = append(auto, pl)
			add += cents(pl.p.ValueUSD)
		}
	}
	if len(auto) > 0 {
		sent, err := tx.AutoApprovedCents(ctx, m, s.cfg.Now().Add(-s.cfg.Window))
		if err != nil {
			return err
		}
		if sent+add >= cents(&s.cfg.WindowUSD) {
			s.cfg.Logger.InfoContext(ctx, "payout: rolling limit reached, waiting for a code", "mode", m,
				"window", s.cfg.Window, "sent_usd", decimal.New(sent, -2), "new_usd", decimal.New(add, -2), "limit_usd", s.cfg.WindowUSD)
			for _, pl := range auto {
				pl.verify = true
			}
		}
	}
	for i, pl := range plans {
		pl.p.Approval = ApprovalAutomatic
		if pl.internal {
			pl.p.Approval = ApprovalInternal
			continue
		}
		if pl.verify {
			if m == asset.Live && s.cfg.Notifier == nil {
				f := "amount"
				if len(plans) > 1 || pl.p.BatchID != "" {
					f = fmt.Sprintf("destinations[%d].amount", i)
				}
				return validation.Field(f, ErrNoNotifier)
			}
			pl.p.Approval, pl.p.Status = ApprovalCode, StatusPendingVerification
		}
	}
	return nil
}

// Errors of a payout's approval and state.
var (
	ErrNotFound     = errors.New("payout not found")
	ErrBadCode      = errors.New("the code is wrong")
	ErrCodeExpired  = errors.New("the code expired")
	ErrInvalidState = errors.New("the payout is not in a state that allows this")
	// ErrDeficit: a reorg or a double-spend took back money already paid out, and
	// payouts of the asset wait until deposits cover it (ledger.MerchantDeficit).
	ErrDeficit = errors.New("the balance is in deficit: a reorg took back money already paid out")
)
