package kassa

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

// The leases of the jobs that run on one instance at a time (package lease).
const (
	leaseExpiry  = "expiry"
	leasePayouts = "payouts"
	leasePurge   = "purge"
	leaseFanout  = "webhook-fanout"
	leaseBilling = "billing"
	// leaseConversions is the recovery pass of conversions left pending.
	leaseConversions = "conversions"
)

// watchLease is the lease of the watcher of network n.
func watchLease(n chains.NetworkRef) string { return "watch:" + string(n.ID) + ":" + string(n.Mode) }

// subscriberLease is the lease of the in-process subscriber name: with several
// instances, each registers its subscribers and one of them delivers.
func subscriberLease(name string) string { return "subscriber:" + name }

// instanceName is the holder name of this process's leases: name (default: the host
// name and process id) and a random suffix, so that two processes never share a
// holder, even when an operator gives both the same name or a restarted process its
// predecessor's: the predecessor's leases expire before anyone else runs its jobs.
func instanceName(name string) string {
	if name == "" {
		host, _ := os.Hostname()
		name = host + "-" + strconv.Itoa(os.Getpid())
	}
	var b [3]byte
	rand.Read(b[:])
	return name + "-" + hex.EncodeToString(b[:])
}

// whileHeld runs fn with a context that ends when this instance loses lease name (or
// ctx ends), and again each time it takes the lease back, until ctx ends.
func (g *Gateway) whileHeld(ctx context.Context, name string, fn func(ctx context.Context)) {
	for {
		if !g.waitHeld(ctx, name, true) {
			return
		}
		held, cancel := context.WithCancel(ctx)
		go func() {
			defer cancel()
			g.waitHeld(held, name, false)
		}()
		fn(held)
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}

// heldCtx returns a context that ends when ctx does or when this instance loses lease
// name, for a pass that runs under the lease: a holder that lost it stops at the next
// statement rather than finishing beside the new holder.
func (g *Gateway) heldCtx(ctx context.Context, name string) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	go func() {
		g.waitHeld(c, name, false)
		cancel()
	}()
	return c, cancel
}

// underLease runs pass with heldCtx while Run runs (under Sync alone, with ctx).
func (g *Gateway) underLease(ctx context.Context, name string, pass func(context.Context) error) error {
	if g.running.Load() == 0 {
		return pass(ctx)
	}
	c, cancel := g.heldCtx(ctx, name)
	defer cancel()
	return pass(c)
}

// waitHeld waits until this instance holds lease name (want true) or does not (want
// false); false when ctx ended first.
func (g *Gateway) waitHeld(ctx context.Context, name string, want bool) bool {
	for {
		changed := g.leases.Changed() // before Held: a change in between closes it
		if g.leases.Held(name) == want {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// resetRescanDepth is how many blocks each watcher this instance runs reads again
// after its store's Listener reconnected (storage.ChangeReset): addresses handed out
// by other instances meanwhile were not in its set while it stepped. The listener
// reconnects within seconds (backoff up to 30 s), and a watcher commits no step while
// the database is out of reach, so the gap is a few blocks on the fastest chains; 30
// covers a minute of 2-second blocks with room to spare.
const resetRescanDepth = 30

// listen applies what other instances commit, when the store is shared
// (storage.Listener): an address to watch, a transaction of ours to follow (to the
// watcher of its network, if this instance runs it), a new event (wakes delivery).
// first is the Listen that Run opened before starting the watchers (nil if it
// failed). After a lost connection (a reset, or a Listen that succeeds after a failed
// one) every watcher reloads from storage and the ones this instance runs read their
// last blocks again.
func (g *Gateway) listen(ctx context.Context, l storage.Listener, first <-chan storage.Change) {
	g.listening.Add(1)
	defer g.listening.Add(-1)
	backoff := time.Second
	ch := first
	for ctx.Err() == nil {
		if ch == nil {
			var err error
			if ch, err = l.Listen(ctx); err != nil {
				g.log.WarnContext(ctx, "kassa: listening for other instances' changes", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, time.Minute)
				continue
			}
			g.apply(ctx, storage.Change{Kind: storage.ChangeReset}) // what came while not listening
		}
		backoff = time.Second
		for c := range ch {
			g.apply(ctx, c)
		}
		ch = nil
	}
}

// apply applies one change another instance committed.
func (g *Gateway) apply(ctx context.Context, c storage.Change) {
	switch c.Kind {
	case storage.ChangeWatch:
		if w, ok := g.watchers[c.Network]; ok {
			w.Watch(c.Value)
		}
	case storage.ChangeFollow:
		if w, ok := g.watchers[c.Network]; ok {
			if err := w.ReloadFollowed(ctx); err != nil && ctx.Err() == nil {
				g.log.WarnContext(ctx, "kassa: loading followed transactions", "network", c.Network, "err", err)
			}
		}
	case storage.ChangeMark:
		g.marksMu.Lock()
		if ch, ok := g.marks[c.Value]; ok {
			close(ch)
			delete(g.marks, c.Value)
		}
		g.marksMu.Unlock()
		return
	case storage.ChangeReset:
		for n, w := range g.watchers {
			if err := w.Reload(ctx); err != nil && ctx.Err() == nil {
				g.log.WarnContext(ctx, "kassa: reloading a watcher", "network", n, "err", err)
				continue
			}
			if !g.leases.Held(watchLease(n)) {
				continue
			}
			// Not on this goroutine: the rescan waits for a mark, which this one applies.
			g.rescans.Go(func() {
				g.log.InfoContext(ctx, "kassa: reading the last blocks again after a gap in other instances' changes", "network", n, "blocks", resetRescanDepth)
				if err := w.RescanWatched(ctx, resetRescanDepth); err != nil && ctx.Err() == nil {
					g.log.WarnContext(ctx, "kassa: rescanning after a gap", "network", n, "err", err)
				}
			})
		}
	}
	g.wake()
}

// markTimeout bounds the wait for this instance's own mark: a listener that is not
// connected never delivers it, and the watcher's step fails and is tried again.
const markTimeout = 5 * time.Second

// current is the watchers' WatcherConfig.Current on a store several instances share,
// while Run listens: it sends a mark through the store's notifications and waits until
// this instance's listener has applied it, and with it every address committed
// before. Without a listener (Sync alone, or SQLite) there is nothing to wait for.
func (g *Gateway) current(ctx context.Context) error {
	l, ok := g.store.(storage.Listener)
	if !ok || g.listening.Load() == 0 {
		return nil
	}
	var b [8]byte
	rand.Read(b[:])
	token := g.leases.Holder() + "/" + hex.EncodeToString(b[:])
	ch := make(chan struct{})
	g.marksMu.Lock()
	g.marks[token] = ch
	g.marksMu.Unlock()
	defer func() {
		g.marksMu.Lock()
		delete(g.marks, token)
		g.marksMu.Unlock()
	}()
	if err := l.Mark(ctx, token); err != nil {
		return err
	}
	timer := time.NewTimer(markTimeout)
	defer timer.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errors.New("this instance did not hear its own mark: not listening to other instances' changes")
	}
}

// SharedLimiter returns the store's shared token buckets when several instances may
// share it (storage.RateLimiter: PostgreSQL), nil otherwise: httphandler then keeps
// its rate limits in memory.
func (g *Gateway) SharedLimiter() storage.RateLimiter {
	rl, _ := g.store.(storage.RateLimiter)
	return rl
}
