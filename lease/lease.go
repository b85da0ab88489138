// Package lease keeps the jobs that must run once per deployment (a chain watcher per
// network, the expiry pass, the payout pass) on one instance at a time when several
// instances share one database, and moves them to another instance when their holder
// dies.
//
// A lease is a row in the database: a name, its holder and a deadline. An instance
// takes a free or expired lease, renews it every TTL/3, and gives it up on Close. A
// holder that dies (SIGKILL, a lost network) stops renewing, and another instance
// takes the lease once its deadline passes: the failover time is at most TTL plus one
// renewal interval. Deadlines are computed by the database's clock where it has one
// (PostgreSQL), so instances with skewed clocks agree.
//
// A lease is not a lock around each step: a holder that stalls longer than TTL (a GC
// pause, a frozen VM) can overlap with the next holder for one step. Every leased job
// is therefore safe to run twice at once (its writes are transactional and keyed);
// the lease keeps the work from being done N times over, not the money safe.
package lease

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Tx is the storage a lease needs inside one read-write transaction.
type Tx interface {
	// TryLease takes lease name for holder until ttl from now if it is free, expired or
	// already holder's (then it is renewed), and reports whether holder has it.
	TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees lease name if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Runner runs fn in a read-write storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// DefaultTTL is how long a lease lasts without renewal.
const DefaultTTL = 3 * time.Second

// Manager holds the leases of one instance. It is safe for concurrent use.
type Manager struct {
	update Runner
	holder string
	ttl    time.Duration
	log    *slog.Logger

	mu     sync.Mutex
	names  []string
	held   map[string]bool
	until  time.Time     // held is true until then: the start of the last renewal + TTL
	change chan struct{} // closed and replaced whenever held changes
}

// New returns a Manager for holder (unique per instance) over update. ttl <= 0 means
// DefaultTTL.
func New(update Runner, holder string, ttl time.Duration, log *slog.Logger) (*Manager, error) {
	if update == nil || holder == "" {
		return nil, errors.New("lease: New needs storage and a holder name")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if log == nil {
		log = slog.Default()
	}
	return &Manager{update: update, holder: holder, ttl: ttl, log: log, held: map[string]bool{}, change: make(chan struct{})}, nil
}

// Holder is this instance's name.
func (m *Manager) Holder() string { return m.holder }

// TTL is how long a lease lasts without renewal.
func (m *Manager) TTL() time.Duration { return m.ttl }

// Add names leases the Manager competes for from its next round on.
func (m *Manager) Add(names ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names = append(m.names, names...)
}

// Held reports whether this instance holds lease name now: it took or renewed it in
// a round that started less than TTL ago (by this process's monotonic clock, so a
// round that hangs cannot make it act as holder after the lease expired).
func (m *Manager) Held(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.held[name] && time.Now().Before(m.until)
}

// Changed returns a channel closed the next time a lease is taken or lost.
func (m *Manager) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.change
}

// Round tries to take or renew every lease once. A storage error counts as losing
// the leases it could not renew: a holder that cannot reach the database must stop
// acting as one.
//
// A round takes the leases in name order (instances that lock the same rows in one
// order cannot deadlock) and gives up after TTL/3: its answer must come while the
// leases it renews are still valid.
func (m *Manager) Round(ctx context.Context) error {
	m.mu.Lock()
	names := sortedCopy(m.names)
	m.mu.Unlock()
	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, m.ttl/3)
	defer cancel()
	got := make(map[string]bool, len(names))
	err := m.update(ctx, func(ctx context.Context, tx Tx) error {
		clear(got) // a rerun of the transaction starts afresh
		for _, n := range names {
			ok, err := tx.TryLease(ctx, n, m.holder, m.ttl)
			if err != nil {
				return err
			}
			got[n] = ok
		}
		return nil
	})
	if err != nil {
		got = map[string]bool{}
	}
	m.set(ctx, got, started.Add(m.ttl))
	return err
}

// sortedCopy returns the names sorted, without duplicates.
func sortedCopy(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}

// set records what this instance holds, logging and signalling changes.
func (m *Manager) set(ctx context.Context, got map[string]bool, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.until = until
	changed := false
	for _, n := range m.names {
		if m.held[n] == got[n] {
			continue
		}
		changed = true
		if got[n] {
			m.log.InfoContext(ctx, "lease: taken", "lease", n, "holder", m.holder)
		} else {
			m.log.WarnContext(ctx, "lease: lost", "lease", n, "holder", m.holder)
		}
	}
	m.held = got
	if changed {
		close(m.change)
		m.change = make(chan struct{})
	}
}

// Run takes and renews the leases every TTL/3 until ctx ends, then releases those
// held, so another instance takes over at once rather than after TTL.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.ttl / 3)
	defer t.Stop()
	for {
		if err := m.Round(ctx); err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, "lease: renewing", "holder", m.holder, "err", err)
		}
		select {
		case <-ctx.Done():
			return m.release()
		case <-t.C:
		}
	}
}

// release gives up every lease this instance may hold (on shutdown): all it competes
// for, since a renewal may have committed after its answer was lost.
func (m *Manager) release() error {
	m.mu.Lock()
	names := sortedCopy(m.names)
	m.held = map[string]bool{}
	close(m.change)
	m.change = make(chan struct{})
	m.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return m.update(ctx, func(ctx context.Context, tx Tx) error {
		for _, n := range names {
			if err := tx.ReleaseLease(ctx, n, m.holder); err != nil {
				return err
			}
		}
		return nil
	})
}
