package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/storage"
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
