package kassa

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

// sink hands the watchers' changes to the wallet, invoice and payout services, in the
// watcher's transaction (storage.Tx, which implements their Tx): deposits to customer
// wallets' addresses to wallets, other deposits to invoices, our own transactions
// (chains.Transfer.Out) to payouts. The
// watcher's OnCommit wakes the dispatcher.
type sink struct{ g *Gateway }

func (s sink) Changed(ctx context.Context, tx chains.Tx, n chains.NetworkRef, changed []chains.Record) error {
	rest := changed
	if s.g.accounts != nil { // New sets it before any watcher steps
		var err error
		if rest, err = s.g.accounts.Apply(ctx, tx.(wallet.Tx), n, changed); err != nil {
			return err
		}
	}
	if err := s.g.invoices.Apply(ctx, tx.(invoice.Tx), n, rest); err != nil {
		return err
	}
	if s.g.payouts == nil {
		return nil // New sets it before any watcher steps
	}
	return s.g.payouts.Apply(ctx, tx.(payout.Tx), n, changed)
}

// follow hands a payout's transaction to the watcher of its network.
func (g *Gateway) follow(n chains.NetworkRef, t chains.Sent) {
	if w, ok := g.watchers[n]; ok {
		w.Follow(t)
	}
}

func (g *Gateway) wake() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// Event is an outbox event as subscribers receive it.
type Event = event.Event

// Subscriber receives events. Returning an error makes the Gateway deliver the same
// event again later (at least once, in order).
type Subscriber func(ctx context.Context, e Event) error

// subscriber is a registered Subscriber with the lock that keeps its deliveries one at
// a time.
type subscriber struct {
	fn Subscriber
	// mu is held while events are delivered to fn: Run's loop and a Sync (a test
	// payment from the checkout page) never deliver to it at the same time, so it
	// gets each event once per pass, in order.
	mu sync.Mutex
}

// Subscribe registers fn under name. Every event in the outbox is delivered to it in
// order, at least once: how far each name got is stored, so after a restart delivery
// resumes where it stopped, and a new name starts from the first event. Delivery
// happens in Run (or Sync), one event at a time: fn is never called concurrently
// with itself, and sees events in the order they were written (payment_detected before
// the confirming or paid of the same payment). An error from fn stops delivery to that
// subscriber until the next pass, which starts again with the event that failed.
// (Webhook endpoints get the same events at least once but not in order: several are
// in flight at once, and a failed one is retried later. Receivers should order by
// created_at and read the object's status.)
func (g *Gateway) Subscribe(name string, fn Subscriber) error {
	if name == "" || len(name) > 100 || fn == nil {
		return &FieldError{Field: "name", Err: errors.New("subscriber needs a name of 1..100 bytes and a function")}
	}
	g.subMu.Lock()
	defer g.subMu.Unlock()
	if _, dup := g.subs[name]; dup {
		return &FieldError{Field: "name", Err: fmt.Errorf("a subscriber named %q exists", name)}
	}
	g.subs[name] = &subscriber{fn: fn}
	g.leases.Add(subscriberLease(name))
	g.wake()
	return nil
}

// deliver runs each subscriber over the events it has not processed; under Run, only
// those whose lease this instance holds (mine).
func (g *Gateway) deliver(ctx context.Context, mine func(lease string) bool) error {
	g.subMu.Lock()
	subs := make(map[string]*subscriber, len(g.subs))
	for k, v := range g.subs {
		subs[k] = v
	}
	g.subMu.Unlock()
	var errs []error
	for name, sub := range subs {
		if !mine(subscriberLease(name)) {
			continue
		}
		err := g.underLease(ctx, subscriberLease(name), func(ctx context.Context) error { return g.deliverTo(ctx, name, sub) })
		if err != nil && !errors.Is(err, context.Canceled) { // canceled: the lease was lost, or Run stops
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deliverTo delivers the events sub has not processed, in order, holding its lock.
func (g *Gateway) deliverTo(ctx context.Context, name string, sub *subscriber) error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for {
		var evs []event.Event
		var cursor int64
		err := g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
			var err error
			if cursor, err = tx.SubscriberCursor(ctx, "sub:"+name); err != nil {
				return err
			}
			evs, err = tx.EventsAfter(ctx, cursor, 100)
			return err
		})
		if err != nil || len(evs) == 0 {
			return err
		}
		done := cursor
		var fnErr error
		for _, e := range evs {
			if fnErr = sub.fn(ctx, e); fnErr != nil {
				break
			}
			done = e.Seq
		}
		if done > cursor {
			if err := g.store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
				return tx.SetSubscriberCursor(ctx, "sub:"+name, done)
			}); err != nil {
				return err
			}
		}
		if fnErr != nil {
			return fmt.Errorf("subscriber %s: %w", name, fnErr)
		}
	}
}

// expire recomputes the invoices whose lifetime or monitoring window has passed.
func (g *Gateway) expire(ctx context.Context) error {
	err := g.invoices.Expire(ctx)
	g.wake()
	return err
}

// bill runs the billing job (package billing): the subscriptions' periods that are due.
func (g *Gateway) bill(ctx context.Context) error {
	err := g.billing.Step(ctx)
	g.wake()
	return err
}

// Sync runs one pass of every background job, in order: each watcher's step, the
// expiry pass, the payout pass, the recovery of pending conversions, event delivery
// to subscribers, and webhook fan-out and delivery of what
// is due. Run does the same continuously; tests call Sync to
// move the Gateway forward deterministically. It returns the errors of the pass joined.
//
// While Run runs, Sync runs only the jobs whose leases this instance holds, as Run
// does: a test payment from the checkout page on one instance must not run another
// instance's watcher, payout pass or subscribers beside it.
func (g *Gateway) Sync(ctx context.Context) error {
	mine := all
	if g.running.Load() > 0 {
		mine = g.leases.Held
	}
	var errs []error
	for n, w := range g.watchers {
		if !mine(watchLease(n)) {
			continue
		}
		if err := w.Step(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if mine(leaseExpiry) {
		if err := g.expire(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if g.payouts != nil && mine(leasePayouts) {
		if err := g.stepPayouts(ctx); err != nil {
			errs = append(errs, fmt.Errorf("payouts: %w", err))
		}
	}
	if mine(leaseBilling) {
		if err := g.bill(ctx); err != nil {
			errs = append(errs, fmt.Errorf("billing: %w", err))
		}
	}
	if g.converts != nil && mine(leaseConversions) {
		if err := g.recoverConversions(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := g.deliver(ctx, mine); err != nil {
		errs = append(errs, err)
	}
	if err := g.dispatchWebhooks(ctx, mine); err != nil {
		errs = append(errs, err)
	}
	if mine(leasePurge) {
		if err := g.purge(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// purge deletes what the API no longer needs to remember: request signatures whose
// window has passed, and Idempotency-Key records older than 24 hours.
func (g *Gateway) purge(ctx context.Context) error {
	if g.apiKeys == nil {
		return nil
	}
	if err := g.apiKeys.Purge(ctx, g.now()); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	return nil
}

// dispatchWebhooks fans new events out to deliveries (under Run, on the instance that
// holds the fan-out's lease) and delivers what is due (on every instance: each claims
// different deliveries).
func (g *Gateway) dispatchWebhooks(ctx context.Context, mine func(lease string) bool) error {
	if g.webhooks == nil {
		return nil
	}
	for mine(leaseFanout) {
		n, err := g.webhooks.Fanout(ctx)
		if err != nil {
			return fmt.Errorf("webhooks: fan-out: %w", err)
		}
		if n == 0 {
			break
		}
	}
	if _, err := g.webhooks.Dispatch(ctx); err != nil {
		return fmt.Errorf("webhooks: dispatch: %w", err)
	}
	return nil
}

// all is Sync's answer to "is this job mine": every job is.
func all(string) bool { return true }

// Run runs the background jobs until ctx ends or Close is called: one watcher per
// chain backend, the expiry scheduler, the payout pass and the recovery of
// conversions left pending (every second), event
// delivery to subscribers, and webhook fan-out and delivery (woken by new events, and
// every second for retries). It returns after every job has stopped.
//
// Several instances may Run on one database (storage/postgres). The jobs that must
// run once (each watcher, expiry, payouts, conversions, the purge, webhook fan-out, each
// subscriber) run under a lease (package lease) on one instance at a time, and move
// to another within Config.LeaseTTL and a renewal interval when it dies. Webhook
// delivery runs on every instance, each claiming other deliveries. What one instance
// commits that another's jobs must hear of at once (an address to watch, a payout to
// follow, a new event) reaches them through the store's storage.Listener.
func (g *Gateway) Run(ctx context.Context) error {
	g.runMu.Lock()
	if g.closed {
		g.runMu.Unlock()
		return ErrClosed
	}
	g.runs.Add(1)
	g.running.Add(1)
	g.runMu.Unlock()
	defer g.runs.Done()
	defer g.running.Add(-1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(g.closing, cancel)() // Close stops Run
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.leases.Run(ctx); err != nil {
			g.log.WarnContext(ctx, "kassa: releasing leases", "err", err)
		}
	})
	wg.Go(func() { // a lease taken or lost: the delivery loop looks again at once
		for {
			changed := g.leases.Changed()
			select {
			case <-ctx.Done():
				return
			case <-changed:
				g.wake()
			}
		}
	})
	if l, ok := g.store.(storage.Listener); ok {
		// Listening before any watcher starts (each reloads its set when it starts), so
		// that no address another instance hands out falls between the two.
		first, err := l.Listen(ctx)
		if err != nil {
			g.log.WarnContext(ctx, "kassa: listening for other instances' changes", "err", err)
		}
		wg.Go(func() { g.listen(ctx, l, first) })
	}
	for n, w := range g.watchers {
		wg.Go(func() {
			g.whileHeld(ctx, watchLease(n), func(ctx context.Context) {
				if err := w.Run(ctx); err != nil && ctx.Err() == nil {
					g.log.ErrorContext(ctx, "kassa: watcher stopped", "network", n, "err", err)
				}
			})
		})
	}
	mine := g.leases.Held
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		purge := time.NewTicker(time.Minute)
		defer purge.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-purge.C:
				if !mine(leasePurge) {
					continue
				}
				if err := g.purge(ctx); err != nil && ctx.Err() == nil {
					g.log.WarnContext(ctx, "kassa: purge failed", "err", err)
				}
			case <-t.C:
				if mine(leaseExpiry) {
					if err := g.underLease(ctx, leaseExpiry, g.expire); err != nil && ctx.Err() == nil && mine(leaseExpiry) {
						g.log.WarnContext(ctx, "kassa: expiry pass failed", "err", err)
					}
				}
				if g.payouts != nil && mine(leasePayouts) {
					if err := g.underLease(ctx, leasePayouts, g.stepPayouts); err != nil && ctx.Err() == nil && mine(leasePayouts) {
						g.log.WarnContext(ctx, "kassa: payout pass failed", "err", err)
					}
				}
				if mine(leaseBilling) {
					if err := g.underLease(ctx, leaseBilling, g.bill); err != nil && ctx.Err() == nil && mine(leaseBilling) {
						g.log.WarnContext(ctx, "kassa: billing pass failed", "err", err)
					}
				}
				if g.converts != nil && mine(leaseConversions) {
					if err := g.underLease(ctx, leaseConversions, g.recoverConversions); err != nil && ctx.Err() == nil && mine(leaseConversions) {
						g.log.WarnContext(ctx, "kassa: conversion recovery pass failed", "err", err)
					}
				}
			}
		}
	})
	wg.Go(func() {
		retry := time.NewTicker(time.Second)
		defer retry.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-g.kick:
			case <-retry.C:
			}
			if err := g.deliver(ctx, mine); err != nil && ctx.Err() == nil {
				g.log.WarnContext(ctx, "kassa: event delivery", "err", err)
			}
			if err := g.dispatchWebhooks(ctx, mine); err != nil && ctx.Err() == nil {
				g.log.WarnContext(ctx, "kassa: webhook delivery", "err", err)
			}
		}
	})
	g.log.InfoContext(ctx, "kassa: running", "watchers", len(g.watchers), "instance", g.leases.Holder())
	<-ctx.Done()
	wg.Wait()
	g.rescans.Wait()
	g.log.Info("kassa: stopped")
	return nil
}

// Watch adds addresses to the running watcher of network n (for example a payout's
// change address). Storage must already list them (so a restart keeps them).
func (g *Gateway) Watch(n chains.NetworkRef, addrs ...string) {
	if w, ok := g.watchers[n]; ok {
		w.Watch(addrs...)
	}
	g.wake()
}

// unwatch removes addresses from the running watcher of network n.
func (g *Gateway) unwatch(n chains.NetworkRef, addrs ...string) {
	if w, ok := g.watchers[n]; ok {
		w.Unwatch(addrs...)
	}
}

// rescan is the invoice service's targeted rescan of network n.
func (g *Gateway) rescan(ctx context.Context, n chains.NetworkRef, addrs []string, depth uint64) error {
	if w, ok := g.watchers[n]; ok {
		return w.Rescan(ctx, addrs, depth)
	}
	return nil
}

// Balances returns the merchant's balance of every enabled asset of mode, and of any
// other asset that has ever been credited.
func (g *Gateway) Balances(ctx context.Context, m asset.Mode) ([]Balance, error) {
	return g.SubBalances(ctx, m, "")
}

// SubBalances is Balances of sub-merchant sub ("" the operator's own).
func (g *Gateway) SubBalances(ctx context.Context, m asset.Mode, sub string) ([]Balance, error) {
	var out []Balance
	for _, a := range g.assets.Assets() {
		b, err := g.SubBalance(ctx, m, sub, a.Code)
		if err != nil {
			return nil, err
		}
		if g.enabled[m][a.Code] || !b.Available.IsZero() || !b.Pending.IsZero() || !b.Held.IsZero() || !b.Deficit.IsZero() {
			out = append(out, b)
		}
	}
	return out, nil
}

// testPayer is a chain that can make payments happen: chains/sim.
type testPayer interface {
	Pay(to, asset string, amount *big.Int) string
	Mine(n int) chains.BlockRef
}

// ErrCannotTestPay is returned by TestPay when the test-mode chain of the method is a
// real node (pay it with a wallet instead).
var ErrCannotTestPay = errors.New("this test-mode chain cannot simulate payments")

// TestPay makes the test-mode chain of an invoice's method pay it: amount of the
// method's asset to its address, mined with the given number of blocks (0 leaves it in
// the mempool), then runs one Sync so the invoice, ledger and events follow at once.
func (g *Gateway) TestPay(ctx context.Context, id, code string, amount decimal.Decimal, blocks int) (*invoice.Invoice, error) {
	inv, err := g.invoices.Get(ctx, asset.Test, id)
	if err != nil {
		return nil, err
	}
	var v ValidationError
	var meth *invoice.Method
	for i := range inv.Methods {
		if a, err := g.assets.Parse(code, ""); err == nil && inv.Methods[i].Asset == a.Code {
			meth = &inv.Methods[i]
		}
	}
	if meth == nil {
		v.Add("currency", fmt.Errorf("the invoice has no %q payment method", code))
	}
	if blocks < 0 || blocks > 1000 {
		v.Add("confirmations", errors.New("must be 0..1000"))
	}
	var units *big.Int
	if meth != nil {
		a, _ := g.assets.Get(meth.Asset)
		_, u, err := a.CheckPositive(amount)
		if err != nil {
			v.Add("amount", err)
		}
		units = u
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	w, ok := g.watchers[chains.NetworkRef{ID: meth.Network, Mode: asset.Test}]
	if !ok {
		return nil, ErrCannotTestPay
	}
	p, ok := g.backends[w.Network()].(testPayer)
	if !ok {
		return nil, ErrCannotTestPay
	}
	// The watcher must know where it is before the payment is mined: a watcher that
	// has never stepped starts at the tip, above blocks mined before its first step.
	if err := w.Step(ctx); err != nil {
		return nil, err
	}
	p.Pay(meth.Address, meth.Asset, units)
	if blocks > 0 {
		p.Mine(blocks)
	}
	if err := g.Sync(ctx); err != nil {
		g.log.WarnContext(ctx, "kassa: sync after test payment", "err", err)
	}
	return g.invoices.Get(ctx, asset.Test, id)
}

// Enabled reports whether asset code can be invoiced in mode (a backend serves its
// network).
func (g *Gateway) Enabled(m asset.Mode, code string) bool { return g.enabled[m][code] }

// Events lists the outbox events of mode, newest first, optionally of one type and
// of one scope (sub not nil: "" the operator's own, else a sub-merchant's).
func (g *Gateway) Events(ctx context.Context, m asset.Mode, typ string, sub *string, page, limit int) ([]Event, int, error) {
	var out []Event
	var total int
	err := g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		out, total, err = tx.ListEvents(ctx, m, typ, sub, page, limit)
		return err
	})
	if out == nil {
		out = []Event{}
	}
	return out, total, err
}
