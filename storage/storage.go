// Package storage defines what Kassa asks of a database, and storagetest holds the
// conformance suite every backend must pass unchanged.
//
// Domain packages define the operations they need next to their use (ledger.Tx,
// keys.IndexAllocator, ...); Tx is their union, the set of operations one database
// transaction offers. A Store runs a function inside a transaction: Update for
// read-write work (serialised, committed when the function returns nil and rolled back
// otherwise), View for consistent reads.
//
// Backends: storage/sqlite (modernc.org/sqlite, pure Go, the embedded default, one
// process) and storage/postgres (pgx, for several instances on one database; it also
// implements Listener and RateLimiter). Both pass the storagetest suite unchanged.
package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kassapay/kassa/asset"

	"github.com/kassapay/kassa/apikey"

	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/lease"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
)

// Tx is one database transaction. Its methods are only valid inside the function given
// to Update or View, and are not safe for concurrent use.
type Tx interface {
	invoice.Tx // with ledger.Tx, keys.IndexAllocator, keys.AddressBook and event.Tx
	chains.Tx
	chains.JournalTx
	chains.WalletTx
	webhook.Tx
	apikey.Tx
	payout.Tx
	refund.Tx
	treasury.Tx
	lease.Tx
	customer.Tx
	wallet.Tx
	submerchant.Tx
	billing.Tx
	conversion.Tx
	SettingsTx
	StatsTx
}

// StatsTx counts what the Gateway's metrics report.
type StatsTx interface {
	// CountByStatus returns how many invoices and payouts there are per mode and
	// status (only the pairs that have any).
	CountByStatus(ctx context.Context) ([]StatusCount, error)
}

// StatusCount is how many objects of one kind are in one status in one mode.
type StatusCount struct {
	Kind   string // "invoice" (invoices, checkout sessions and payments) or "payout"
	Mode   asset.Mode
	Status string
	N      int64
}

// SettingsTx keeps small named values of the Gateway itself (such as the check value
// that tells a wrong master key at start).
type SettingsTx interface {
	// Setting returns the value stored under name, ok false if none is.
	Setting(ctx context.Context, name string) (value []byte, ok bool, err error)
	// SetSettingOnce stores value under name unless a value is there already; it
	// reports whether it stored it.
	SetSettingOnce(ctx context.Context, name string, value []byte) (bool, error)
}

// Runner adapts a store's Update or View to the transactions of a domain package: T
// is the small interface the package declares (invoice.Tx, payout.Tx, ...), which Tx
// implements, so services take only what they use.
func Runner[T any](run func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error) func(ctx context.Context, fn func(ctx context.Context, tx T) error) error {
	return func(ctx context.Context, fn func(ctx context.Context, tx T) error) error {
		return run(ctx, func(ctx context.Context, tx Tx) error {
			t, ok := any(tx).(T)
			if !ok {
				panic(fmt.Sprintf("storage: %T does not implement %T", tx, (*T)(nil)))
			}
			return fn(ctx, t)
		})
	}
}

// Listener is implemented by stores that several instances share (storage/postgres):
// it tells every instance, at once, what another committed that its running jobs must
// hear of: an address to watch, a transaction of ours to follow, a new event. Changes
// are delivered only for transactions that committed, in commit order.
type Listener interface {
	// Listen delivers the changes committed from now on, by any instance, until ctx
	// ends (then the channel is closed). A ChangeReset says that some may have been
	// missed (the connection was lost and is back): reload what depends on them.
	Listen(ctx context.Context) (<-chan Change, error)
	// Mark sends a marker through every Listen channel, after the changes of every
	// transaction that committed before Mark was called: a ChangeMark whose Value is
	// token (the caller's, unique). An instance that receives its mark has heard of
	// everything committed before it.
	Mark(ctx context.Context, token string) error
}

// ChangeKind is what a Change is about.
type ChangeKind string

const (
	ChangeWatch  ChangeKind = "watch"  // Network watches Value, an address
	ChangeFollow ChangeKind = "follow" // Network follows Value, a transaction of ours
	ChangeEvent  ChangeKind = "event"  // a new event is in the outbox
	ChangeReset  ChangeKind = "reset"  // changes may have been missed: reload
	ChangeMark   ChangeKind = "mark"   // Value is a token Mark returned
)

// Change is one committed change a Listener delivers.
type Change struct {
	Kind    ChangeKind
	Network chains.NetworkRef // for ChangeWatch and ChangeFollow
	Value   string
}

// RateLimiter is implemented by stores that several instances share: token buckets
// kept in the database, so a limit holds across every instance behind a load balancer.
type RateLimiter interface {
	// Take takes one token from bucket key, which holds at most burst tokens and gains
	// perHour an hour (a new bucket starts full), and says what it found.
	Take(ctx context.Context, key string, perHour, burst int) (Bucket, error)
}

// Bucket is what RateLimiter.Take found.
type Bucket struct {
	OK        bool          // a token was there and was taken
	Remaining int           // whole tokens left
	Retry     time.Duration // when refused, how long until a token is there
	Full      time.Duration // how long until the bucket is full again
}

// Store is a database.
type Store interface {
	// Update runs fn in a read-write transaction. It commits when fn returns nil and
	// rolls back when fn returns an error or panics; it returns fn's error unchanged, so
	// errors.Is works on it. Read-write transactions exclude each other where the Tx
	// methods say so (Lock* methods, lookups inside Update, counters): SQLite runs
	// them one at a time, PostgreSQL concurrently under row locks. A backend may run
	// fn again after a serialization failure or deadlock, so fn must have no effect
	// outside the transaction but its AfterCommit hooks, which run once, after the
	// commit that succeeded; and variables fn assigns outside itself must be reset at
	// its start (a rerun must not see what a failed run left). On SQLite concurrent
	// Updates share one commit (group commit), so an Update returns only once those
	// that joined its batch after it have run too: fn must not wait for anything
	// another Update's caller does after its Update returns.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent snapshot. Writes
	// inside it fail.
	View(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Close releases the database. Update and View fail afterwards.
	Close() error
}

// Errors a backend returns on open.
var (
	// ErrNewerSchema means the database was written by a newer Kassa: opening it with
	// this one could lose data, so it is refused.
	ErrNewerSchema = errors.New("database schema is newer than this version of Kassa understands")
	// ErrCorrupt means the file is not a readable database.
	ErrCorrupt = errors.New("database file is corrupt or not a database")
	// ErrForeignDatabase means the database belongs to another application.
	ErrForeignDatabase = errors.New("database belongs to another application (not a Kassa database)")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store is closed")
)
