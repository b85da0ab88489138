package invoice

import (
	"context"
	"fmt"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/validation"
)

// ClaimWatch is how long after a payer's claim the invoice's addresses stay watched
// at least.
const ClaimWatch = 24 * time.Hour

// ClaimStatus is where a claim stands.
type ClaimStatus string

// Claim statuses.
const (
	ClaimOpen   ClaimStatus = "open"   // watched for
	ClaimFound  ClaimStatus = "found"  // a payment arrived after it
	ClaimFailed ClaimStatus = "failed" // nothing arrived while the invoice was watched
)

// Claim is a payer's "I have paid".
type Claim struct {
	At time.Time `json:"at"`
	// Asset is the method the payer says they paid with ("" for any).
	Asset  string      `json:"asset,omitempty"`
	Status ClaimStatus `json:"status"`
	// EndedAt is when it was found or failed.
	EndedAt *time.Time `json:"ended_at,omitempty"`
}

// Claim records that the payer says they paid inv (with asset, a method's code, or ""
// for any): the invoice's addresses stay watched for at least ClaimWatch from now,
// watched again if its monitoring window had closed. The claim is found when a
// payment arrives after it, and fails (invoice.claim_failed) when the watching ends
// with nothing. Call Rescan after it to look at the chain at once. A paid or
// cancelled invoice takes no claim (ErrInvalidState), an unknown asset is a
// validation error, and at most one claim is open at a time (another is the same
// claim: returned as is).
func (s *Service) Claim(ctx context.Context, m asset.Mode, id, code string) (*Invoice, error) {
	var out *Invoice
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		inv, err := tx.GetInvoice(ctx, m, id)
		if err != nil {
			return err
		}
		if inv.Status == StatusPaid || inv.Status == StatusCancelled {
			return fmt.Errorf("%w: a %s invoice takes no payment claim", ErrInvalidState, inv.Status)
		}
		if code != "" && !inv.hasMethod(code) {
			var v validation.Error
			v.Add("currency", fmt.Errorf("%w: %s is not a payment method of this invoice", ErrNotEnabled, code))
			return v.Err()
		}
		for _, c := range inv.Claims {
			if c.Status == ClaimOpen {
				out = inv
				return nil
			}
		}
		now := s.cfg.Now().UTC()
		inv.Claims = append(inv.Claims, Claim{At: now, Asset: code, Status: ClaimOpen})
		if until := now.Add(ClaimWatch); inv.MonitorUntil.Before(until) {
			inv.MonitorUntil = until
		}
		inv.UpdatedAt = now
		if err := tx.UpdateInvoice(ctx, inv, true); err != nil {
			return err
		}
		if err := s.watchAgain(ctx, tx, inv); err != nil {
			return err
		}
		out = inv
		return nil
	})
	return out, err
}

// watchAgain watches inv's addresses again (after its monitoring window they were
// dropped), in tx and, once it commits, in the running watchers.
func (s *Service) watchAgain(ctx context.Context, tx Tx, inv *Invoice) error {
	for _, meth := range inv.Methods {
		n := chains.NetworkRef{ID: meth.Network, Mode: inv.Mode}
		if err := tx.WatchAddress(ctx, n, meth.Address, inv.ID); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.cfg.Watch(n, meth.Address) })
	}
	return nil
}

func (inv *Invoice) hasMethod(code string) bool {
	for _, m := range inv.Methods {
		if m.Asset == code {
			return true
		}
	}
	return false
}

// settleClaims moves inv's open claims on: found when a payment (of the claimed
// method, or any) was first seen at or after the claim, or when the invoice is
// confirming or paid (status: what Compute decided now; the payer who claims after
// paying in full was right); failed when the invoice is no longer watched. It returns
// whether a claim changed and how many failed.
func settleClaims(inv *Invoice, status Status, pays []Payment, watching bool, now time.Time) (changed bool, failed int) {
	for i := range inv.Claims {
		c := &inv.Claims[i]
		if c.Status != ClaimOpen {
			continue
		}
		found := status == StatusConfirming || status == StatusPaid
		for _, p := range pays {
			if (c.Asset == "" || p.Asset == c.Asset) && !p.SeenAt.Before(c.At) {
				found = true
			}
		}
		switch {
		case found:
			c.Status = ClaimFound
		case !watching:
			c.Status = ClaimFailed
			failed++
		default:
			continue
		}
		t := now
		c.EndedAt, changed = &t, true
	}
	return changed, failed
}

// claimFailedEvents are the events of n failed claims.
func claimFailedEvents(n int) []event.Type {
	out := make([]event.Type, n)
	for i := range out {
		out[i] = event.InvoiceClaimFailed
	}
	return out
}
