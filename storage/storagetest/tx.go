package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

var txTests = []test{
	{"Tx_CommitAndRollback", testCommitAndRollback},
	{"Tx_ViewIsReadOnly", testViewIsReadOnly},
	{"Tx_ViewRejectsEveryWrite", testViewRejectsEveryWrite},
	{"Tx_RollbackLeavesNothing", testRollbackLeavesNothing},
	{"Tx_AfterCommit", testAfterCommit},
}

func testCommitAndRollback(t *testing.T, s storage.Store) {
	acct := ledger.Account{Name: "a", Asset: "BTC", Mode: mode, NonNegative: true}
	boom := errors.New("boom")
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	err = s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.Account(ctx, "a")
		return err
	})
	if !errors.Is(err, ledger.ErrAccountNotFound) {
		t.Fatalf("rolled-back account visible: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic inside Update was swallowed")
			}
		}()
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
			_ = tx.CreateAccount(ctx, acct)
			panic("crash between two steps")
		})
	}()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateAccount(ctx, acct) })
	if b := balance(t, s, "a"); b.Sign() != 0 {
		t.Fatalf("new account balance %s", b)
	}
}

func testViewIsReadOnly(t *testing.T, s storage.Store) {
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccount(ctx, ledger.Account{Name: "x", Asset: "BTC", Mode: mode})
	})
	if err == nil {
		t.Fatal("write inside View succeeded")
	}
	err = s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.Account(ctx, "x")
		return err
	})
	if !errors.Is(err, ledger.ErrAccountNotFound) {
		t.Fatalf("write inside View left a row: %v", err)
	}
}

// The seed: one of everything a transaction can write, so that the store-level tests
// can check that a rollback or a View leaves every kind of record alone.
const (
	seedAddr   = "tb1qseed0"
	seedChange = "tb1qseedc0"
	seedSig    = "v1,seed-signature"
	seedHold   = "po_seed_hold"
)

func seedInvoice() *invoice.Invoice {
	inv := newInvoice("inv_seed", asset.Test, t0, btcMethod(seedAddr, 0))
	inv.OrderID, inv.RequestKey = "ORD-SEED", "req-seed"
	return inv
}

// seed writes one of everything in tx.
func seed(ctx context.Context, tx storage.Tx) error {
	steps := []func() error{
		func() error { return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC") },
		func() error { _, err := ledger.Post(ctx, tx, credit("seed:credit", "BTC", n(100_000))); return err },
		func() error {
			return ledger.PlaceHold(ctx, tx, seedHold, ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC"), n(1000))
		},
		func() error { _, err := tx.AllocateIndex(ctx, asset.FamilyBTC, asset.Test); return err },
		func() error { return tx.RecordAddress(ctx, btcAddress(asset.Test, keys.Receive, 0, seedAddr)) },
		func() error { return tx.RecordAddress(ctx, btcAddress(asset.Test, keys.Change, 0, seedChange)) },
		func() error {
			seq, err := tx.InsertEvent(ctx, newEvent("evt_seed", event.InvoiceCreated, asset.Test, "inv_seed", t0))
			if err != nil {
				return err
			}
			return tx.SetSubscriberCursor(ctx, "seed", seq)
		},
		func() error { return tx.InsertInvoice(ctx, seedInvoice()) },
		func() error {
			inv := seedInvoice()
			inv.Status = invoice.StatusPartiallyPaid
			return tx.UpdateInvoice(ctx, inv, true)
		},
		func() error { return tx.WatchAddress(ctx, btcTest, seedAddr, "inv_seed") },
		func() error { return tx.SetCursor(ctx, btcTest, blockRef(100, "aa")) },
		func() error {
			return tx.SaveTransfer(ctx, record(btcTest, "BTC", seedAddr, "seed-dep", 0, n(50_000), chains.StatusConfirmed, 100, t0))
		},
		func() error { return tx.SetBooking(ctx, btcTest, "seed-dep", 0, invoice.BookedAvailable, 1) },
		func() error {
			return tx.FollowTx(ctx, btcTest, chains.Sent{TxID: "seed-tx", Inputs: []chains.OutPoint{{TxID: "seed-dep", Index: 0}}})
		},
		func() error { return tx.UnfollowTx(ctx, btcTest, "seed-tx", at(time.Hour)) },
		func() error { return tx.AppendJournal(ctx, btcTest, []byte("seed")) },
		func() error {
			send := utxoSend(btcTest, "seed-send", "seed-tx", chains.SendSigned, t0)
			send.Change, send.ChangeIndex, send.ChangeAmount = seedChange, 1, 20_000
			return tx.InsertSend(ctx, send)
		},
		func() error {
			return tx.MarkSpent(ctx, btcTest, []chains.OutPoint{{TxID: "seed-dep", Index: 0}}, "seed-tx")
		},
		func() error { return tx.SetSendStatus(ctx, btcTest, "seed-send", chains.SendBroadcast) },
		func() error { _, err := tx.NextNonce(ctx, ethTest, hotWallet, 0); return err },
		func() error {
			return tx.InsertAccountSend(ctx, accountSend(ethTest, "seed-evm", 0, 0, "0xseed", chains.SendSigned, t0))
		},
		func() error { return tx.SetAccountSendStatus(ctx, ethTest, "seed-evm", 0, chains.SendBroadcast, nil) },
		func() error { return tx.InsertEndpoint(ctx, endpoint("we_seed", asset.Test, t0)) },
		func() error {
			return tx.InsertDelivery(ctx, delivery("whd_seed", "evt_seed", "we_seed", asset.Test, t0))
		},
		func() error { _, err := tx.ClaimDeliveries(ctx, t0, at(time.Minute), 10); return err },
		func() error {
			d := delivery("whd_seed", "evt_seed", "we_seed", asset.Test, at(5*time.Minute))
			d.Attempts, d.LastError = 1, "HTTP 502"
			return tx.FinishAttempt(ctx, d, webhook.Attempt{DeliveryID: "whd_seed", N: 1, At: t0, StatusCode: 502})
		},
		func() error { return tx.SetCallbackSecret(ctx, asset.Test, []byte("sealed seed")) },
		func() error { return tx.InsertAPIKey(ctx, apiKey("key_seed", asset.Test, testSecret, t0)) },
		func() error { return beginIdem(ctx, tx, "seed-req") },
		func() error { return tx.FinishIdempotent(ctx, "key_seed", "seed-req", 201, []byte("answer")) },
		func() error { return beginIdem(ctx, tx, "seed-running") },
		func() error {
			_, err := tx.RememberSignature(ctx, "key_seed", hash(seedSig), at(5*time.Minute), t0)
			return err
		},
		func() error {
			p := newPayout("po_seed", asset.Test, t0)
			p.Status, p.RequestKey = payout.StatusPendingVerification, "req-seed"
			return tx.InsertPayout(ctx, p)
		},
		func() error { return tx.SetPayoutCode(ctx, "po_seed", hash("po_seed:123456"), at(10*time.Minute)) },
		func() error { return tx.SetPayoutCodeAttempts(ctx, "po_seed", 1) },
		func() error { _, err := tx.SetSettingOnce(ctx, "seed", []byte("v")); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("seed step %d: %w", i, err)
		}
	}
	return nil
}

// beginIdem holds Idempotency-Key key of the seed's API key at t0.
func beginIdem(ctx context.Context, tx storage.Tx, key string) error {
	st, _, _, err := tx.BeginIdempotent(ctx, "key_seed", key, hash(key), t0, at(-apikey.IdempotencyTTL), at(-time.Minute))
	if err == nil && st != apikey.IdempotencyNew {
		err = fmt.Errorf("BeginIdempotent(%s) = state %d, want new", key, st)
	}
	return err
}

// fingerprint reads everything the seed wrote that a read method can see, in a form
// that two reads of unchanged data give alike.
func fingerprint(ctx context.Context, tx storage.Tx) (string, error) {
	out := map[string]any{}
	var errs []error
	add := func(name string, v any, err error) {
		errs = append(errs, err)
		out[name] = v
	}
	// unordered returns the JSON of each element of a slice, sorted: the order of
	// these lists is unspecified.
	unordered := func(v any) []string {
		b, _ := json.Marshal(v)
		var elems []json.RawMessage
		_ = json.Unmarshal(b, &elems)
		var ss []string
		for _, e := range elems {
			ss = append(ss, string(e))
		}
		sort.Strings(ss)
		return ss
	}
	accts, err := tx.Accounts(ctx)
	add("accounts", unordered(accts), err)
	holds, err := tx.Holds(ctx, "")
	add("holds", unordered(holds), err)
	postings := 0
	add("postings", &postings, tx.ForEachPosting(ctx, func(int64, ledger.Posting) error { postings++; return nil }))
	for _, key := range []string{"seed:credit", "view"} {
		h, ok, err := tx.EntryHash(ctx, key)
		add("entry "+key, []any{h, ok}, err)
	}
	for _, addr := range []string{seedAddr, "tb1qview5"} {
		a, ok, err := tx.LookupAddress(ctx, asset.FamilyBTC, asset.Test, addr)
		add("address "+addr, []any{a, ok}, err)
	}
	evs, err := tx.EventsAfter(ctx, 0, 100)
	add("events", evs, err)
	cur, err := tx.SubscriberCursor(ctx, "seed")
	add("subscriber", cur, err)
	invs, total, err := tx.ListInvoices(ctx, invoice.ListParams{Mode: asset.Test, Page: 1, Limit: 100})
	add("invoices", []any{invs, total}, err)
	watched, err := tx.WatchedAddresses(ctx, btcTest)
	add("watched", unordered(watched), err)
	c, ok, err := tx.Cursor(ctx, btcTest)
	add("cursor", []any{c, ok}, err)
	var hashes []string
	for _, height := range []uint64{99, 100, 101} {
		h, _, err := tx.BlockHash(ctx, btcTest, height)
		errs = append(errs, err)
		hashes = append(hashes, h)
	}
	add("blocks", hashes, nil)
	r, ok, err := tx.Transfer(ctx, btcTest, "seed-dep", 0)
	add("transfer", []any{r, ok}, err)
	b, seq, err := tx.Booking(ctx, btcTest, "seed-dep", 0)
	add("booking", []any{b, seq}, err)
	followed, err := tx.FollowedTxs(ctx, btcTest, t0)
	add("followed", unordered(followed), err)
	journal, err := tx.JournalEntries(ctx, btcTest)
	add("journal", journal, err)
	spendable, err := tx.SpendableOutputs(ctx, btcTest, asset.FamilyBTC)
	add("spendable", unordered(spendable), err)
	change, err := tx.UnconfirmedChange(ctx, btcTest, asset.FamilyBTC)
	add("change", unordered(change), err)
	send, ok, err := tx.SendByID(ctx, btcTest, "seed-send")
	add("send", []any{send, ok}, err)
	pending, err := tx.PendingSends(ctx, btcTest)
	add("pending sends", pending, err)
	evm, ok, err := tx.LatestAccountSend(ctx, ethTest, "seed-evm")
	add("account send", []any{evm, ok}, err)
	open, err := tx.OpenAccountSends(ctx, ethTest)
	add("open account sends", open, err)
	eps, err := tx.ListEndpoints(ctx, asset.Test)
	add("endpoints", unordered(eps), err)
	ds, err := tx.Deliveries(ctx, "evt_seed")
	var leases []time.Time
	for _, d := range ds {
		leases = append(leases, d.ClaimedUntil)
	}
	add("deliveries", []any{unordered(ds), leases}, err)
	attempts, err := tx.Attempts(ctx, "whd_seed")
	add("attempts", attempts, err)
	cb, ok, err := tx.CallbackSecret(ctx, asset.Test)
	add("callback secret", []any{cb, ok}, err)
	keys, err := tx.ListAPIKeys(ctx)
	add("api keys", unordered(keys), err)
	pos, total, err := tx.ListPayouts(ctx, asset.Test, "", nil, 1, 100)
	add("payouts", []any{pos, total}, err)
	code, exp, tries, err := tx.PayoutCode(ctx, "po_seed")
	add("payout code", []any{code, exp, tries, err != nil}, nil)
	for _, name := range []string{"seed", "view"} {
		v, ok, err := tx.Setting(ctx, name)
		add("setting "+name, []any{v, ok}, err)
	}
	fp, err := json.Marshal(out)
	errs = append(errs, err)
	return string(fp), errors.Join(errs...)
}

func mustFingerprint(t *testing.T, s storage.Store) string {
	t.Helper()
	return get(t, s, fingerprint)
}

// testRollbackLeavesNothing writes one of everything in a transaction that fails:
// afterwards every read finds the store as empty as before, and every sequence
// (address indexes, nonces) and remembered request (Idempotency-Key records, request
// signatures) is as if the transaction had never run.
func testRollbackLeavesNothing(t *testing.T, s storage.Store) {
	empty := mustFingerprint(t, s)
	boom := errors.New("validation failed after the writes")
	hookRan := false
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		tx.AfterCommit(func() { hookRan = true })
		if err := seed(ctx, tx); err != nil {
			return err
		}
		// What the seed wrote is visible inside its own transaction.
		if inv, err := tx.GetInvoice(ctx, asset.Test, "inv_seed"); err != nil || inv.Status != invoice.StatusPartiallyPaid {
			return fmt.Errorf("the transaction does not see its own invoice: %+v, %v", inv, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if hookRan {
		t.Error("an AfterCommit hook ran for a rolled-back transaction")
	}
	if got := mustFingerprint(t, s); got != empty {
		t.Errorf("a rolled-back transaction left data behind:\n got %s\nwant %s", got, empty)
	}
	checkSequencesUnused(t, s, 0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := beginIdem(ctx, tx, "seed-req"); err != nil {
			return fmt.Errorf("the rolled-back Idempotency-Key record: %w", err)
		}
		if first, err := tx.RememberSignature(ctx, "key_seed", hash(seedSig), at(5*time.Minute), t0); err != nil || !first {
			return fmt.Errorf("the rolled-back signature is remembered: %v, %v", first, err)
		}
		return nil
	})
}

// checkSequencesUnused checks that the next address index and nonce are next, and
// that the requests remembered by a transaction that did not commit are free.
func checkSequencesUnused(t *testing.T, s storage.Store, next uint64) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if i, err := tx.AllocateIndex(ctx, asset.FamilyBTC, asset.Test); err != nil || uint64(i) != next {
			return fmt.Errorf("AllocateIndex = %d, %v; want %d", i, err, next)
		}
		if nonce, err := tx.NextNonce(ctx, ethTest, hotWallet, 0); err != nil || nonce != next {
			return fmt.Errorf("NextNonce = %d, %v; want %d", nonce, err, next)
		}
		if err := beginIdem(ctx, tx, "view-req"); err != nil {
			return err
		}
		first, err := tx.RememberSignature(ctx, "key_seed", hash("v1,view-signature"), at(5*time.Minute), t0)
		if err != nil || !first {
			return fmt.Errorf("RememberSignature of a signature never committed = %v, %v; want true", first, err)
		}
		return nil
	})
}

// testViewRejectsEveryWrite seeds a store, then tries every write method inside a
// View, each on records that exist where it changes or deletes: each must fail, and
// the store must read as before.
func testViewRejectsEveryWrite(t *testing.T, s storage.Store) {
	mustUpdate(t, s, seed)
	before := mustFingerprint(t, s)
	newInv := newInvoice("inv_view", asset.Test, t0, btcMethod("tb1qview0", 1))
	paid := seedInvoice()
	paid.Status = invoice.StatusPaid
	ep := endpoint("we_seed", asset.Test, t0)
	ep.URL = "https://attacker.example.com/"
	po := newPayout("po_seed", asset.Test, t0)
	po.Status = payout.StatusFailed
	finished := delivery("whd_seed", "evt_seed", "we_seed", asset.Test, t0)
	finished.Status, finished.Attempts = webhook.DeliverySucceeded, 2
	writes := []struct {
		name string
		fn   func(ctx context.Context, tx storage.Tx) error
	}{
		{"CreateAccount", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateAccount(ctx, ledger.Account{Name: "merchant:test:ETH:available", Asset: "ETH", Mode: asset.Test})
		}},
		{"SetBalance", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetBalance(ctx, ledger.MerchantAvailable(asset.Test, "BTC"), n(1))
		}},
		{"InsertEntry", func(ctx context.Context, tx storage.Tx) error {
			_, _, err := tx.InsertEntry(ctx, ledger.EntryRecord{Key: "view", Hash: []byte("h"), At: t0})
			return err
		}},
		{"InsertPosting", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertPosting(ctx, 1, 9, pp(ledger.World(asset.Test, "BTC"), n(1)))
		}},
		{"InsertHold", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertHold(ctx, ledger.Hold{ID: "po_view", From: ledger.MerchantAvailable(asset.Test, "BTC"),
				Holding: ledger.Holds(asset.Test, "BTC"), Amount: n(1), State: ledger.HoldPending, At: t0})
		}},
		{"SetHoldState", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetHoldState(ctx, seedHold, ledger.HoldVoided, t0)
		}},
		{"AllocateIndex", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.AllocateIndex(ctx, asset.FamilyBTC, asset.Test)
			return err
		}},
		{"RecordAddress", func(ctx context.Context, tx storage.Tx) error {
			return tx.RecordAddress(ctx, btcAddress(asset.Test, keys.Receive, 5, "tb1qview5"))
		}},
		{"InsertEvent", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.InsertEvent(ctx, newEvent("evt_view", event.InvoicePaid, asset.Test, "inv_seed", t0))
			return err
		}},
		{"SetSubscriberCursor", func(ctx context.Context, tx storage.Tx) error { return tx.SetSubscriberCursor(ctx, "seed", 999) }},
		{"InsertInvoice", func(ctx context.Context, tx storage.Tx) error { return tx.InsertInvoice(ctx, newInv) }},
		{"UpdateInvoice", func(ctx context.Context, tx storage.Tx) error { return tx.UpdateInvoice(ctx, paid, false) }},
		{"WatchAddress", func(ctx context.Context, tx storage.Tx) error {
			return tx.WatchAddress(ctx, btcTest, "tb1qview0", "inv_seed")
		}},
		{"UnwatchInvoice", func(ctx context.Context, tx storage.Tx) error { return tx.UnwatchInvoice(ctx, "inv_seed") }},
		{"SetCursor", func(ctx context.Context, tx storage.Tx) error { return tx.SetCursor(ctx, btcTest, blockRef(101, "aa")) }},
		{"ForgetBlocksAbove", func(ctx context.Context, tx storage.Tx) error { return tx.ForgetBlocksAbove(ctx, btcTest, 0) }},
		{"ForgetBlocksBelow", func(ctx context.Context, tx storage.Tx) error { return tx.ForgetBlocksBelow(ctx, btcTest, 1000) }},
		{"SaveTransfer", func(ctx context.Context, tx storage.Tx) error {
			return tx.SaveTransfer(ctx, record(btcTest, "BTC", seedAddr, "seed-dep", 0, n(50_000), chains.StatusOrphaned, 0, t0))
		}},
		{"SetBooking", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetBooking(ctx, btcTest, "seed-dep", 0, invoice.BookedNone, 2)
		}},
		{"FollowTx", func(ctx context.Context, tx storage.Tx) error {
			return tx.FollowTx(ctx, btcTest, chains.Sent{TxID: "view-tx"})
		}},
		{"UnfollowTx", func(ctx context.Context, tx storage.Tx) error {
			return tx.UnfollowTx(ctx, btcTest, "seed-tx", at(-time.Hour))
		}},
		{"AppendJournal", func(ctx context.Context, tx storage.Tx) error { return tx.AppendJournal(ctx, btcTest, []byte("view")) }},
		{"MarkSpent", func(ctx context.Context, tx storage.Tx) error {
			return tx.MarkSpent(ctx, btcTest, []chains.OutPoint{{TxID: "seed-tx", Index: 1}}, "view-tx")
		}},
		{"ReleaseSpends", func(ctx context.Context, tx storage.Tx) error { return tx.ReleaseSpends(ctx, btcTest, "seed-tx") }},
		{"InsertSend", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertSend(ctx, utxoSend(btcTest, "view-send", "view-tx", chains.SendSigned, t0))
		}},
		{"SetSendStatus", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetSendStatus(ctx, btcTest, "seed-send", chains.SendFailed)
		}},
		{"NextNonce", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.NextNonce(ctx, ethTest, hotWallet, 0)
			return err
		}},
		{"InsertAccountSend", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertAccountSend(ctx, accountSend(ethTest, "seed-evm", 1, 0, "0xview", chains.SendSigned, t0))
		}},
		{"SetAccountSendStatus", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetAccountSendStatus(ctx, ethTest, "seed-evm", 0, chains.SendConfirmed, n(21_000))
		}},
		{"InsertEndpoint", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertEndpoint(ctx, endpoint("we_view", asset.Test, t0))
		}},
		{"UpdateEndpoint", func(ctx context.Context, tx storage.Tx) error { return tx.UpdateEndpoint(ctx, ep) }},
		{"DeleteEndpoint", func(ctx context.Context, tx storage.Tx) error { return tx.DeleteEndpoint(ctx, asset.Test, "we_seed") }},
		{"InsertDelivery", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertDelivery(ctx, delivery("whd_view", "evt_seed", webhook.CallbackTarget, asset.Test, t0))
		}},
		{"ClaimDeliveries", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.ClaimDeliveries(ctx, at(10*time.Minute), at(20*time.Minute), 10)
			return err
		}},
		{"FinishAttempt", func(ctx context.Context, tx storage.Tx) error {
			return tx.FinishAttempt(ctx, finished, webhook.Attempt{DeliveryID: "whd_seed", N: 2, At: t0, StatusCode: 200})
		}},
		{"ResetDeliveries", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.ResetDeliveries(ctx, "evt_seed", at(time.Hour))
			return err
		}},
		{"SetCallbackSecret", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetCallbackSecret(ctx, asset.Test, []byte("view"))
		}},
		{"InsertAPIKey", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertAPIKey(ctx, apiKey("key_view", asset.Live, liveSecret, t0))
		}},
		{"RevokeAPIKey", func(ctx context.Context, tx storage.Tx) error { return tx.RevokeAPIKey(ctx, "key_seed", t0) }},
		{"SetAPIKeyAllowedIPs", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetAPIKeyAllowedIPs(ctx, "key_seed", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")})
		}},
		{"BeginIdempotent", func(ctx context.Context, tx storage.Tx) error { return beginIdem(ctx, tx, "view-req") }},
		{"FinishIdempotent", func(ctx context.Context, tx storage.Tx) error {
			return tx.FinishIdempotent(ctx, "key_seed", "seed-running", 200, []byte("view"))
		}},
		{"AbandonIdempotent", func(ctx context.Context, tx storage.Tx) error {
			return tx.AbandonIdempotent(ctx, "key_seed", "seed-running")
		}},
		{"PurgeIdempotent", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.PurgeIdempotent(ctx, at(48*time.Hour))
			return err
		}},
		{"RememberSignature", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.RememberSignature(ctx, "key_seed", hash("v1,view-signature"), at(5*time.Minute), t0)
			return err
		}},
		{"PurgeSignatures", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.PurgeSignatures(ctx, at(48*time.Hour))
			return err
		}},
		{"InsertPayout", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertPayout(ctx, newPayout("po_view", asset.Test, t0))
		}},
		{"UpdatePayout", func(ctx context.Context, tx storage.Tx) error { return tx.UpdatePayout(ctx, po) }},
		{"SetPayoutCode", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetPayoutCode(ctx, "po_seed", hash("po_seed:000000"), at(time.Hour))
		}},
		{"SetPayoutCodeAttempts", func(ctx context.Context, tx storage.Tx) error {
			return tx.SetPayoutCodeAttempts(ctx, "po_seed", 5)
		}},
		{"SetSettingOnce", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.SetSettingOnce(ctx, "view", []byte("x"))
			return err
		}},
	}
	for _, w := range writes {
		if err := s.View(t.Context(), w.fn); err == nil {
			t.Errorf("%s inside View succeeded", w.name)
		}
	}
	if after := mustFingerprint(t, s); after != before {
		t.Errorf("writes inside View changed the store:\n got %s\nwant %s", after, before)
	}
	// The seed took index 0 and nonce 0; the View's attempts took nothing.
	checkSequencesUnused(t, s, 1)
	// The seed's running Idempotency-Key record is still held, its signature still
	// remembered.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		st, _, _, err := tx.BeginIdempotent(ctx, "key_seed", "seed-running", hash("seed-running"), at(time.Second), at(-apikey.IdempotencyTTL), at(-time.Minute))
		if err == nil && st != apikey.IdempotencyRunning {
			err = fmt.Errorf("the seed's running request is in state %d after the View", st)
		}
		if err != nil {
			return err
		}
		if first, err := tx.RememberSignature(ctx, "key_seed", hash(seedSig), at(5*time.Minute), at(time.Minute)); err != nil || first {
			return fmt.Errorf("the seed's signature after the View: first %v, %v; want a replay", first, err)
		}
		return nil
	})
}

// testAfterCommit checks AfterCommit: hooks run once each after the transaction
// committed (a hook reading the store sees what it wrote), and never for a
// transaction that rolls back or panics. They have run when Update returns: the doc
// is silent, storage/sqlite runs them before returning, and callers rely on it (an
// invoice's addresses are watched when its creation returns).
func testAfterCommit(t *testing.T, s storage.Store) {
	var mu sync.Mutex // hooks may run on another goroutine
	ran := map[string]int{}
	hook := func(name string) func() {
		return func() {
			mu.Lock()
			ran[name]++
			mu.Unlock()
		}
	}
	count := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return ran[name]
	}
	sawCommit, returned := false, false
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		tx.AfterCommit(hook("first"))
		if _, err := tx.SetSettingOnce(ctx, "hooked", []byte("v")); err != nil {
			return err
		}
		tx.AfterCommit(func() {
			mu.Lock()
			early := !returned
			mu.Unlock()
			if early {
				return // counted below; a View now could wait for this very transaction
			}
			// The transaction has committed: another one sees its write.
			err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				_, ok, err := tx.Setting(ctx, "hooked")
				mu.Lock()
				sawCommit = ok
				mu.Unlock()
				return err
			})
			if err != nil {
				t.Errorf("View inside an AfterCommit hook: %v", err)
			}
		})
		tx.AfterCommit(hook("second"))
		if count("first")+count("second") != 0 {
			return errors.New("an AfterCommit hook ran before the transaction ended")
		}
		mu.Lock()
		returned = true
		mu.Unlock()
		return nil
	})
	if count("first") != 1 || count("second") != 1 {
		t.Errorf("hooks ran %v, want each once", ran)
	}
	mu.Lock()
	if !sawCommit {
		t.Error("an AfterCommit hook ran before the write was committed")
	}
	mu.Unlock()

	boom := errors.New("boom")
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		tx.AfterCommit(hook("rolled back"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
			tx.AfterCommit(hook("panicked"))
			panic("crash between two steps")
		})
	}()
	// The next transaction runs only its own hooks.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		tx.AfterCommit(hook("next"))
		return nil
	})
	if count("rolled back") != 0 || count("panicked") != 0 || count("next") != 1 || count("first") != 1 {
		mu.Lock()
		t.Errorf("hooks ran %v: want none of a rolled-back or panicked transaction, the next one's once", ran)
		mu.Unlock()
	}
}
