// Package storagetest is the conformance suite for storage.Store implementations: the
// contract a new backend is written against. A backend's tests call Run with a
// constructor of fresh, empty stores, and the suite checks every method of storage.Tx
// directly against the doc comments of the interfaces that make it up, one file per
// interface:
//
//	tx.go              Update and View: commit, rollback (nothing left behind), panics,
//	                   View rejecting every write, AfterCommit hooks
//	keys.go            keys.IndexAllocator and keys.AddressBook
//	ledger.go          ledger.Tx directly, and the whole ledger contract through
//	                   ledger.Post and the holds, with a randomised concurrent test
//	events.go          event.Tx: the outbox's order, paging and subscriber cursors, and
//	                   a reader following concurrent writers that must miss nothing
//	invoice.go         invoice.Tx's own methods: lookups, unique order ids and request
//	                   keys, lists, payments, due invoices, watched addresses, bookings
//	chains.go          chains.Tx: cursors, block hashes, transfer records, followed txs
//	journal.go         chains.JournalTx
//	wallet_utxo.go     chains.UTXOTx
//	wallet_account.go  chains.AccountTx
//	webhook.go         webhook.Tx: endpoints, deliveries, leases, attempts, events
//	apikey.go          apikey.Tx: keys, Idempotency-Key records, request signatures
//	payout.go          payout.Tx's own methods
//	refund.go          refund.Tx's own methods
//	treasury.go        treasury.Tx's own methods
//	conversion.go      conversion.Tx's own methods
//	settings.go        storage.SettingsTx
//
// Across them it checks mode isolation (an object of test mode is never found in
// live mode, and ErrNotFound is returned for it), ordering and paging of lists,
// idempotent upserts, unique constraints, and the time bounds of time-filtered
// queries. Where a doc comment is silent and callers rely on what storage/sqlite does,
// the test says so in a comment. Tests of concurrent transactions (index and nonce
// allocation, balance updates, delivery claims, an outbox reader following writers)
// pass trivially on a store that serialises everything, and are there for backends
// that do not, such as PostgreSQL.
//
// Every transaction the suite opens is wrapped in a recording proxy, and the last
// subtest, Suite_ExercisesEveryTxMethod, fails when a method of storage.Tx was never
// called directly by the suite (not only through a domain function such as
// ledger.Post) with success: a method added to storage.Tx without a conformance test
// fails the suite. It is skipped when only part of the suite ran (go test -run) or the
// suite failed. The proxy is generated: run go generate after adding a method to
// storage.Tx (the package does not compile until then).
//
// Times given to a store have microsecond precision, the finest both SQL backends
// keep, and must come back as the same instants in UTC: API answers carry them as they
// are read. JSON documents (metadata, event data) are compared compacted; the suite's
// have their keys in the order PostgreSQL's jsonb keeps (shorter keys first).
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

// NewStore returns a fresh, empty store; the suite closes it.
type NewStore func(t *testing.T) storage.Store

// test is one subtest of the suite, on a fresh store.
type test struct {
	name string
	fn   func(*testing.T, storage.Store)
}

// tests returns the whole suite, each interface's tests from its file.
func tests() []test {
	return slices.Concat(txTests, keysTests, ledgerTests, eventTests, invoiceTests, chainTests, journalTests,
		utxoTests, accountTests, webhookTests, apikeyTests, payoutTests, refundTests, treasuryTests, leaseTests, customerTests, walletTests,
		subMerchantTests, billingTests, conversionTests, settingsTests, sharedTests)
}

// Run runs the whole suite, then checks that it exercised every method of storage.Tx.
func Run(t *testing.T, newStore NewStore) {
	cov := newCoverage()
	all := tests()
	ran, skipped, passed := 0, 0, true
	for _, tc := range all {
		passed = t.Run(tc.name, func(t *testing.T) {
			ran++
			defer func() {
				if t.Skipped() {
					skipped++
				}
			}()
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, recordingStore{Store: s, cov: cov})
		}) && passed
	}
	t.Run("Suite_ExercisesEveryTxMethod", func(t *testing.T) {
		switch {
		case ran < len(all):
			t.Skipf("only %d of the suite's %d tests ran", ran, len(all))
		case skipped == ran:
			t.Skip("every test of the suite skipped (no database to run on)")
		case !passed:
			t.Skip("the suite failed: a failed test may not have reached the methods it exercises")
		}
		if missing := cov.missing(); len(missing) > 0 {
			t.Errorf("%d methods of storage.Tx are not exercised by the suite (called directly, with success): %s",
				len(missing), strings.Join(missing, ", "))
		}
	})
}

func update(t *testing.T, s storage.Store, fn func(context.Context, storage.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), fn)
}

func mustUpdate(t *testing.T, s storage.Store, fn func(context.Context, storage.Tx) error) {
	t.Helper()
	if err := update(t, s, fn); err != nil {
		t.Fatal(err)
	}
}

func mustView(t *testing.T, s storage.Store, fn func(context.Context, storage.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}

// get returns what fn reads in a View, failing the test on an error.
func get[T any](t *testing.T, s storage.Store, fn func(context.Context, storage.Tx) (T, error)) T {
	t.Helper()
	var v T
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		v, err = fn(ctx, tx)
		return err
	})
	return v
}

// find returns what fn reads in a View with whether it was found, failing the test on
// an error.
func find[T any](t *testing.T, s storage.Store, fn func(context.Context, storage.Tx) (T, bool, error)) (T, bool) {
	t.Helper()
	var v T
	var ok bool
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		v, ok, err = fn(ctx, tx)
		return err
	})
	return v, ok
}

// t0 is the suite's clock.
var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// at is t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// sameJSON fails the test when got and want differ in their JSON forms: decimals
// compare by value, times by instant and zone (the suite's are UTC, and so must be
// what a store returns).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// Networks the suite uses.
var (
	btcTest  = chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	btcLive  = chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Live}
	ethTest  = chains.NetworkRef{ID: asset.Ethereum, Mode: asset.Test}
	bscTest  = chains.NetworkRef{ID: asset.BSC, Mode: asset.Test}
	tronTest = chains.NetworkRef{ID: asset.Tron, Mode: asset.Test}
)

// Digest summarises everything stored that an API request could change, in both
// modes: invoices, payouts, refunds, events, webhook endpoints, customers (the latest
// 100, each field), conversions (the latest 100), API keys, every ledger balance and hold. Tests compare it before and after a request that must change nothing.
func Digest(ctx context.Context, st storage.Store) (string, error) {
	var b strings.Builder
	err := st.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		for _, m := range []asset.Mode{asset.Test, asset.Live} {
			_, invs, err := tx.ListInvoices(ctx, invoice.ListParams{Mode: m, Page: 1, Limit: 1})
			if err != nil {
				return err
			}
			_, pos, err := tx.ListPayouts(ctx, m, "", nil, 1, 1)
			if err != nil {
				return err
			}
			_, evs, err := tx.ListEvents(ctx, m, "", nil, 1, 1)
			if err != nil {
				return err
			}
			eps, err := tx.ListEndpoints(ctx, m)
			if err != nil {
				return err
			}
			_, res, err := tx.ListRefunds(ctx, refund.ListParams{Mode: m, Page: 1, Limit: 1})
			if err != nil {
				return err
			}
			cus, ncus, err := tx.ListCustomers(ctx, customer.ListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s: invoices %d payouts %d events %d endpoints %d refunds %d customers %d", m, invs, pos, evs, len(eps), res, ncus)
			for _, c := range cus {
				whole, err := json.Marshal(c) // every field: a PUT that changes one shows
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, " %s:%x", c.ID, sha256.Sum256(whole))
			}
			ws, nws, err := tx.ListWallets(ctx, wallet.ListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			sms, nsms, err := tx.ListSubMerchants(ctx, submerchant.ListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " sub-merchants %d", nsms)
			for _, sm := range sms {
				whole, err := json.Marshal(sm)
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, " %s:%x", sm.ID, sha256.Sum256(whole))
			}
			prods, nprods, err := tx.ListProducts(ctx, billing.ProductListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			subs, nsubs, err := tx.ListSubscriptions(ctx, billing.ListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " products %d subscriptions %d", nprods, nsubs)
			for _, v := range []any{prods, subs} {
				whole, err := json.Marshal(v) // every field of every one
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, " %x", sha256.Sum256(whole))
			}
			cvs, ncvs, err := tx.ListConversions(ctx, conversion.ListParams{Mode: m, Page: 1, Limit: 100})
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " conversions %d", ncvs)
			for _, c := range cvs {
				fmt.Fprintf(&b, " %s:%s:%s:%s", c.ID, c.Status, c.Amount, c.Received)
			}
			fmt.Fprintf(&b, " wallets %d", nws)
			for _, w := range ws {
				fmt.Fprintf(&b, " %s:%s:%s:%s", w.ID, w.CustomerID, w.Asset, w.Address)
			}
			b.WriteString("; ")
		}
		keys, err := tx.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "keys %d;", len(keys))
		accts, err := tx.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range accts {
			fmt.Fprintf(&b, " %s=%s", a.Name, a.Balance)
		}
		holds, err := tx.Holds(ctx, "")
		fmt.Fprintf(&b, "; holds %d", len(holds))
		return err
	})
	return b.String(), err
}
