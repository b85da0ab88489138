package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

// BenchDueInvoices measures one expiry tick's read, DueInvoices, with 1,000, 10,000
// and 100,000 pending invoices of which the same 10 are due: with each condition a
// range of its own index the cost stays flat as pending invoices grow (it is a
// benchmark for backends, run from their own bench files).
func BenchDueInvoices(b *testing.B, newStore func(b *testing.B) storage.Store) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000} {
		s := newStore(b)
		for start := 0; start < n; start += 5_000 {
			err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
				for i := start; i < min(start+5_000, n); i++ {
					inv := newInvoice(fmt.Sprintf("inv_%07d", i), asset.Test, t0)
					inv.Methods = nil
					inv.ExpiresAt = t0.Add(time.Hour) // pending, not due
					if i < 10 {
						inv.ExpiresAt = t0.Add(-time.Minute) // due
					}
					inv.MonitorUntil = inv.ExpiresAt.Add(time.Hour)
					if err := tx.InsertInvoice(ctx, inv); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			for b.Loop() {
				err := s.View(ctx, func(ctx context.Context, tx storage.Tx) error {
					ids, err := tx.DueInvoices(ctx, asset.Test, t0, 200)
					if err == nil && len(ids) != 10 {
						err = fmt.Errorf("%d due, want 10", len(ids))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		s.Close()
	}
}

// BenchPassReads measures what the payout and webhook passes read per tick with 1,000,
// 10,000 and 100,000 rows that are not due beside the same 10 that are: PayoutsIn (the
// open payouts a pass steps, among completed ones) and ClaimDeliveries (the due
// deliveries, among succeeded ones and pending ones due later; rolled back, so every
// iteration claims the same 10). Flat means O(due), not O(rows).
func BenchPassReads(b *testing.B, newStore func(b *testing.B) storage.Store) {
	ctx := context.Background()
	open := []payout.Status{payout.StatusProcessing, payout.StatusBroadcast, payout.StatusPendingVerification}
	errRollback := errors.New("roll back")
	for _, n := range []int{1_000, 10_000, 100_000} {
		s := newStore(b)
		if err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.InsertEvent(ctx, newEvent("evt_bench", event.InvoiceCreated, asset.Test, "inv_bench", t0))
			return err
		}); err != nil {
			b.Fatal(err)
		}
		for start := 0; start < n; start += 5_000 {
			err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
				for i := start; i < min(start+5_000, n); i++ {
					p := newPayout(fmt.Sprintf("po_%07d", i), asset.Test, t0.Add(time.Duration(i)*time.Second))
					d := delivery(fmt.Sprintf("whd_%07d", i), "evt_bench", fmt.Sprintf("we_%07d", i), asset.Test, t0.Add(-time.Minute))
					switch {
					case i%10 == 0 && i/10 < 10: // the 10 due, spread among the others
					case i%2 == 0:
						p.Status = payout.StatusCompleted
						d.Status = webhook.DeliverySucceeded
					default:
						p.Status = payout.StatusFailed
						d.NextAt = t0.Add(time.Hour) // pending, due later
					}
					if err := tx.InsertPayout(ctx, p); err != nil {
						return err
					}
					if err := tx.InsertDelivery(ctx, d); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("payouts/rows=%d", n), func(b *testing.B) {
			for b.Loop() {
				err := s.View(ctx, func(ctx context.Context, tx storage.Tx) error {
					ps, err := tx.PayoutsIn(ctx, open, nil, 100)
					if err == nil && len(ps) != 10 {
						err = fmt.Errorf("%d open payouts, want 10", len(ps))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("deliveries/rows=%d", n), func(b *testing.B) {
			for b.Loop() {
				err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
					ds, err := tx.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 100)
					if err == nil && len(ds) != 10 {
						err = fmt.Errorf("%d due deliveries, want 10", len(ds))
					}
					if err == nil {
						err = errRollback
					}
					return err
				})
				if !errors.Is(err, errRollback) {
					b.Fatal(err)
				}
			}
		})
		s.Close()
	}
}
