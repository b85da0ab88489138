package lease_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kassapay/kassa/lease"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func runner(s storage.Store) lease.Runner {
	return lease.Runner(storage.Runner[lease.Tx](s.Update))
}

// TestManager_OneHolderAndHandOver: two instances on one database compete for the
// same leases: exactly one holds each; when the holder stops (Run returns) it
// releases them and the other takes them in its next round. (That an expired lease
// is taken over is storagetest's Lease test, on every backend.)
func TestManager_OneHolderAndHandOver(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "k.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	a, _ := lease.New(runner(s), "a", time.Hour, quiet)
	b, _ := lease.New(runner(s), "b", time.Hour, quiet)
	for _, m := range []*lease.Manager{a, b} {
		m.Add("watch:bitcoin:test", "expiry")
	}
	if err := a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if !a.Held("watch:bitcoin:test") || !a.Held("expiry") || b.Held("watch:bitcoin:test") || b.Held("expiry") {
		t.Fatal("both instances, or neither, hold the leases")
	}
	// a runs, then stops: it gives its leases up.
	changed := a.Changed()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-changed // closed when a let go
	if a.Held("expiry") {
		t.Fatal("a still holds a lease after Run returned")
	}
	if err := b.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if !b.Held("watch:bitcoin:test") || !b.Held("expiry") {
		t.Fatal("b did not take the released leases")
	}

}

// TestManager_StorageErrorsLoseTheLeases: a holder that cannot reach the database stops
// acting as one.
func TestManager_StorageErrorsLoseTheLeases(t *testing.T) {
	s, err := sqlite.Open(t.Context(), ":memory:", sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := lease.New(runner(s), "a", time.Hour, quiet)
	m.Add("expiry")
	if err := m.Round(t.Context()); err != nil || !m.Held("expiry") {
		t.Fatalf("round: %v", err)
	}
	s.Close()
	if err := m.Round(t.Context()); err == nil {
		t.Fatal("a round on a closed store succeeded")
	}
	if m.Held("expiry") {
		t.Fatal("the lease is still held after the database became unreachable")
	}
}

// TestManager_AHungRenewalStopsHoldingBeforeTheLeaseExpires: a renewal that hangs (a
// half-open connection, a row lock that never comes) gives up after TTL/3, and the
// instance no longer holds the lease: it must not act as holder once another may.
func TestManager_AHungRenewalStopsHoldingBeforeTheLeaseExpires(t *testing.T) {
	hang := false
	update := func(ctx context.Context, fn func(ctx context.Context, tx lease.Tx) error) error {
		if hang {
			<-ctx.Done() // the database never answers
			return ctx.Err()
		}
		return fn(ctx, grantAll{})
	}
	const ttl = 3 * time.Second
	m, _ := lease.New(update, "a", ttl, quiet)
	m.Add("payouts")
	if err := m.Round(t.Context()); err != nil || !m.Held("payouts") {
		t.Fatalf("first round: %v, held %v", err, m.Held("payouts"))
	}
	hang = true
	began := time.Now()
	err := m.Round(t.Context())
	if err == nil || m.Held("payouts") {
		t.Fatalf("a hung renewal: %v, held %v", err, m.Held("payouts"))
	}
	if took := time.Since(began); took >= ttl {
		t.Fatalf("the hung renewal gave up after %s, not within the TTL (%s)", took, ttl)
	}
}

// grantAll is a lease.Tx that grants every lease.
type grantAll struct{}

func (grantAll) TryLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}
func (grantAll) ReleaseLease(context.Context, string, string) error { return nil }
