package ledger_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

// book is a ledger on a real SQLite database (in memory), driven through the
// ledger's own functions; the storage contract itself is storagetest's.
type book struct {
	t *testing.T
	s storage.Store
}

func newBook(t *testing.T) *book {
	t.Helper()
	s, err := sqlite.Open(context.Background(), ":memory:", sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b := &book{t: t, s: s}
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "BTC")
	})
	return b
}

// do runs fn in one read-write transaction and fails the test on an error.
func (b *book) do(fn func(ctx context.Context, tx ledger.Tx) error) {
	b.t.Helper()
	if err := b.try(fn); err != nil {
		b.t.Fatal(err)
	}
}

// try runs fn in one read-write transaction and returns its error (rolled back).
func (b *book) try(fn func(ctx context.Context, tx ledger.Tx) error) error {
	return b.s.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error { return fn(ctx, tx) })
}

// balances returns the merchant's BTC balances, and checks the ledger's invariants.
func (b *book) balances() ledger.MerchantBalances {
	b.t.Helper()
	var m ledger.MerchantBalances
	err := b.s.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		if err := ledger.Verify(ctx, tx); err != nil {
			return err
		}
		var err error
		m, err = ledger.Merchant(ctx, tx, asset.Test, "BTC")
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

func (b *book) account(name string) *big.Int {
	b.t.Helper()
	var a ledger.Account
	err := b.s.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		a, err = tx.Account(ctx, name)
		return err
	})
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return new(big.Int)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return a.Balance
}

// deposit books amount as seen (pending), then confirmed (available).
func (b *book) deposit(key string, amount int64) {
	b.t.Helper()
	b.move(key+":seen", ledger.InWorld, ledger.InPending, amount)
	b.move(key+":confirmed", ledger.InPending, ledger.InAvailable, amount)
}

func (b *book) move(key string, from, to ledger.Place, amount int64) *big.Int {
	b.t.Helper()
	var short *big.Int
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		var err error
		short, err = ledger.MoveDeposit(ctx, tx, ledger.Owner{}, asset.Test, "BTC", key, key, from, to, big.NewInt(amount))
		return err
	})
	return short
}

func want(t *testing.T, what string, got *big.Int, v int64) {
	t.Helper()
	if got.Cmp(big.NewInt(v)) != 0 {
		t.Fatalf("%s = %s, want %d", what, got, v)
	}
}

// TestMoveDeposit_ReversalBeyondAvailableIsADeficitCoveredByLaterDeposits: a reorg
// taking back 800 when 300 are left (500 were paid out) books all 800: 300 from
// available, 500 as the deficit, reported as the shortfall; the next deposit covers
// the deficit before anything becomes available. A used key is never booked twice.
func TestMoveDeposit_ReversalBeyondAvailableIsADeficitCoveredByLaterDeposits(t *testing.T) {
	b := newBook(t)
	b.deposit("d1", 800)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "po1", ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC"), big.NewInt(500))
	})
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostHold(ctx, tx, "po1", []ledger.Posting{{Account: ledger.World(asset.Test, "BTC"), Amount: big.NewInt(500)}})
	})
	short := b.move("d1:reorged", ledger.InAvailable, ledger.InWorld, 800)
	want(t, "shortfall", short, 500)
	m := b.balances()
	want(t, "available", m.Available, 0)
	want(t, "deficit", m.Deficit, -500)
	// The same key again, now that the balances differ: refused, never booked twice.
	err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		_, err := ledger.MoveDeposit(ctx, tx, ledger.Owner{}, asset.Test, "BTC", "d1:reorged", "again", ledger.InAvailable, ledger.InWorld, big.NewInt(800))
		return err
	})
	if !errors.Is(err, ledger.ErrKeyConflict) {
		t.Fatalf("a used key with other postings: %v", err)
	}
	want(t, "deficit after a replay", b.balances().Deficit, -500)

	b.deposit("d2", 300)
	m = b.balances()
	want(t, "available after 300 more", m.Available, 0)
	want(t, "deficit after 300 more", m.Deficit, -200)
	b.deposit("d3", 1000)
	m = b.balances()
	want(t, "available after 1000 more", m.Available, 800)
	want(t, "deficit after 1000 more", m.Deficit, 0)
}

// TestBookNetworkFee_FromAvailableElseTheWorldOnce: a fee the merchant's available
// balance covers comes from it; one it does not (coin the operator put in the wallet
// by hand) comes from the world; the same key books once.
func TestBookNetworkFee_FromAvailableElseTheWorldOnce(t *testing.T) {
	b := newBook(t)
	b.deposit("d", 100)
	fee := func(key string, v int64) {
		b.do(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.BookNetworkFee(ctx, tx, asset.Test, "BTC", big.NewInt(v), key, "fee "+key)
		})
	}
	fee("f1", 30)
	fee("f1", 30)
	want(t, "available", b.balances().Available, 70)
	fee("f2", 500)
	want(t, "available after a fee it cannot cover", b.balances().Available, 70)
	want(t, "world", b.account(ledger.World(asset.Test, "BTC")), -100-500)
	want(t, "fees", b.account(ledger.NetworkFees(asset.Test, "BTC")), 530)
	fee("zero", 0) // nothing to book
	b.balances()
}

// TestBookOwedFee_FromAvailableThenTheDeficitCoveredByThePayment: a fee the merchant
// owes before its money arrives (a CPFP child's) takes what available holds and puts
// the rest on the deficit, never on the world; the payment it hurried, once
// available, covers the deficit first; the same key books once.
func TestBookOwedFee_FromAvailableThenTheDeficitCoveredByThePayment(t *testing.T) {
	b := newBook(t)
	b.deposit("d", 100)
	fee := func(key string, v int64) {
		b.do(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.BookOwedFee(ctx, tx, asset.Test, "BTC", big.NewInt(v), key, "child "+key)
		})
	}
	fee("c1", 30)
	fee("c1", 30)
	want(t, "available", b.balances().Available, 70)
	fee("c2", 250)
	m := b.balances()
	want(t, "available after a fee beyond it", m.Available, 0)
	want(t, "deficit", m.Deficit, -180)
	want(t, "world", b.account(ledger.World(asset.Test, "BTC")), -100)
	want(t, "fees", b.account(ledger.NetworkFees(asset.Test, "BTC")), 280)
	b.deposit("hurried", 1000)
	m = b.balances()
	want(t, "available once the payment confirms", m.Available, 820)
	want(t, "deficit once covered", m.Deficit, 0)
	fee("zero", 0)
}

// TestReopenHold_APaymentThatNeverHappenedIsHeldAgain: a posted hold's legs come back
// from the world and fees into a new pending hold; posting or voiding that one works
// like any hold, and the old one cannot be reopened twice under the same new id.
func TestReopenHold_APaymentThatNeverHappenedIsHeldAgain(t *testing.T) {
	b := newBook(t)
	b.deposit("d", 1000)
	avail, holds := ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC")
	world, fees := ledger.World(asset.Test, "BTC"), ledger.NetworkFees(asset.Test, "BTC")
	legs := []ledger.Posting{{Account: world, Amount: big.NewInt(590)}, {Account: fees, Amount: big.NewInt(7)}}
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "po", avail, holds, big.NewInt(600))
	})
	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.PostHold(ctx, tx, "po", legs) })
	want(t, "available after the payout", b.balances().Available, 403)

	// Only a posted hold can be reopened, with legs it could have posted.
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "open", avail, holds, big.NewInt(1))
	})
	if err := b.try(func(ctx context.Context, tx ledger.Tx) error { return ledger.ReopenHold(ctx, tx, "open", "x", legs) }); !errors.Is(err, ledger.ErrHoldClosed) {
		t.Fatalf("reopening a pending hold: %v", err)
	}
	tooMuch := []ledger.Posting{{Account: world, Amount: big.NewInt(601)}}
	if err := b.try(func(ctx context.Context, tx ledger.Tx) error { return ledger.ReopenHold(ctx, tx, "po", "x", tooMuch) }); !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("reopening with more than was held: %v", err)
	}

	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.ReopenHold(ctx, tx, "po", "po#1", legs) })
	m := b.balances()
	want(t, "available after reopening", m.Available, 402) // 1 held by "open"
	want(t, "held after reopening", m.Held, 597+1)
	want(t, "world after reopening", b.account(world), -1000)
	want(t, "fees after reopening", b.account(fees), 0)
	if err := b.try(func(ctx context.Context, tx ledger.Tx) error { return ledger.ReopenHold(ctx, tx, "po", "po#1", legs) }); err == nil {
		t.Fatal("the same hold reopened twice under one id")
	}
	// The new attempt pays a higher fee (9): the reopened hold covers 7 of it.
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostHold(ctx, tx, "po#1", []ledger.Posting{{Account: world, Amount: big.NewInt(590)}, {Account: fees, Amount: big.NewInt(7)}})
	})
	want(t, "available after the new attempt", b.balances().Available, 402)
}

// TestMoveHold_MovesAPendingHoldWhole: the old hold is voided and the new one holds
// the same amount from the same account, even when available is empty.
func TestMoveHold_MovesAPendingHoldWhole(t *testing.T) {
	b := newBook(t)
	b.deposit("d", 250)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "po", ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC"), big.NewInt(250))
	})
	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.MoveHold(ctx, tx, "po", "po#1") })
	m := b.balances()
	want(t, "available", m.Available, 0)
	want(t, "held", m.Held, 250)
	if err := b.try(func(ctx context.Context, tx ledger.Tx) error { return ledger.MoveHold(ctx, tx, "po", "po#2") }); !errors.Is(err, ledger.ErrHoldClosed) {
		t.Fatalf("moving a voided hold: %v", err)
	}
	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.VoidHold(ctx, tx, "po#1") })
	want(t, "available after voiding the moved hold", b.balances().Available, 250)
}

// TestMoveDeposit_AWalletsMoneyIsItsOwn: a deposit booked for a customer wallet moves
// through the wallet's pending and available accounts and never the merchant's; a
// reorg after the wallet was withdrawn from puts the shortfall on the wallet's deficit
// (not the merchant's), and the wallet's next deposit covers it first.
func TestMoveDeposit_AWalletsMoneyIsItsOwn(t *testing.T) {
	b := newBook(t)
	o := ledger.Owner{Wallet: "wal_a"}
	move := func(key string, from, to ledger.Place, amount int64) *big.Int {
		var short *big.Int
		b.do(func(ctx context.Context, tx ledger.Tx) error {
			var err error
			short, err = ledger.MoveDeposit(ctx, tx, o, asset.Test, "BTC", key, key, from, to, big.NewInt(amount))
			return err
		})
		return short
	}
	move("w1:seen", ledger.InWorld, ledger.InPending, 700)
	want(t, "wallet pending", b.account(ledger.WalletPending(asset.Test, "wal_a", "BTC")), 700)
	move("w1:confirmed", ledger.InPending, ledger.InAvailable, 700)
	want(t, "wallet available", b.account(ledger.WalletAvailable(asset.Test, "wal_a", "BTC")), 700)
	m := b.balances()
	want(t, "merchant available", m.Available, 0)
	want(t, "merchant pending", m.Pending, 0)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "wd1", ledger.WalletAvailable(asset.Test, "wal_a", "BTC"), ledger.Holds(asset.Test, "BTC"), big.NewInt(600))
	})
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostHold(ctx, tx, "wd1", []ledger.Posting{{Account: ledger.World(asset.Test, "BTC"), Amount: big.NewInt(600)}})
	})
	want(t, "shortfall", move("w1:reorged", ledger.InAvailable, ledger.InWorld, 700), 600)
	want(t, "wallet deficit", b.account(ledger.WalletDeficit(asset.Test, "wal_a", "BTC")), -600)
	want(t, "merchant deficit", b.balances().Deficit, 0)
	move("w2:confirmed", ledger.InWorld, ledger.InAvailable, 1000)
	want(t, "wallet available after the next deposit", b.account(ledger.WalletAvailable(asset.Test, "wal_a", "BTC")), 400)
	want(t, "wallet deficit after the next deposit", b.account(ledger.WalletDeficit(asset.Test, "wal_a", "BTC")), 0)
}

// TestBookFee_FromTheOwnersAvailableThenItsOwnDeficit: a sub-merchant's fee overrun
// comes from its own available balance, what that lacks goes on its own deficit (never
// the operator's balance or the world's), and its next money covers the deficit
// first; the operator's own fee keeps BookNetworkFee's rule; a key books once.
func TestBookFee_FromTheOwnersAvailableThenItsOwnDeficit(t *testing.T) {
	b := newBook(t)
	sub := ledger.Owner{Sub: "sm_a"}
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		_, err := ledger.MoveDeposit(ctx, tx, sub, asset.Test, "BTC", "s1", "s1", ledger.InWorld, ledger.InAvailable, big.NewInt(100))
		return err
	})
	b.deposit("op", 1000) // the operator's own money, which a sub-merchant's fee never touches
	for range 2 {
		b.do(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.BookFee(ctx, tx, sub, asset.Test, "BTC", big.NewInt(130), "fee-1", "overrun")
		})
	}
	want(t, "A's available", b.account(ledger.SubAvailable(asset.Test, "sm_a", "BTC")), 0)
	want(t, "A's deficit", b.account(ledger.SubDeficit(asset.Test, "sm_a", "BTC")), -30)
	m := b.balances()
	want(t, "the operator's available", m.Available, 1000)
	want(t, "the operator's deficit", m.Deficit, 0)
	want(t, "the world", b.account(ledger.World(asset.Test, "BTC")), -1100)
	want(t, "fees", b.account(ledger.NetworkFees(asset.Test, "BTC")), 130)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		_, err := ledger.MoveDeposit(ctx, tx, sub, asset.Test, "BTC", "s2", "s2", ledger.InWorld, ledger.InAvailable, big.NewInt(50))
		return err
	})
	want(t, "A's available after 50 more", b.account(ledger.SubAvailable(asset.Test, "sm_a", "BTC")), 20)
	want(t, "A's deficit after 50 more", b.account(ledger.SubDeficit(asset.Test, "sm_a", "BTC")), 0)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.BookFee(ctx, tx, ledger.Owner{}, asset.Test, "BTC", big.NewInt(5000), "fee-op", "the operator's")
	})
	want(t, "the operator's available after a fee it cannot cover", b.balances().Available, 1000) // from the world, as before
}

func TestCollect_FromAWalletToItsMerchantOnceCoveringADeficitFirst(t *testing.T) {
	b := newBook(t)
	w := ledger.Owner{Wallet: "wal_1"}
	sub := ledger.Owner{Sub: "sm_a"}
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		_, err := ledger.MoveDeposit(ctx, tx, w, asset.Test, "BTC", "w1", "w1", ledger.InWorld, ledger.InAvailable, big.NewInt(100))
		return err
	})
	// A's deficit of 30, from a fee it could not pay.
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.BookFee(ctx, tx, sub, asset.Test, "BTC", big.NewInt(30), "fee-a", "overrun")
	})
	for range 2 { // the same period twice is collected once
		b.do(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.Collect(ctx, tx, "wal_1", sub, asset.Test, "BTC", big.NewInt(70), "period-1", "period 1")
		})
	}
	want(t, "the wallet", b.account(ledger.WalletAvailable(asset.Test, "wal_1", "BTC")), 30)
	want(t, "A's available", b.account(ledger.SubAvailable(asset.Test, "sm_a", "BTC")), 40)
	want(t, "A's deficit", b.account(ledger.SubDeficit(asset.Test, "sm_a", "BTC")), 0)
	err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.Collect(ctx, tx, "wal_1", sub, asset.Test, "BTC", big.NewInt(31), "period-2", "period 2")
	})
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("collecting 31 of 30: %v, want ErrInsufficientFunds", err)
	}
	want(t, "the wallet after a refused collection", b.account(ledger.WalletAvailable(asset.Test, "wal_1", "BTC")), 30)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.Collect(ctx, tx, "wal_1", ledger.Owner{}, asset.Test, "BTC", big.NewInt(30), "period-3", "period 3")
	})
	want(t, "the operator's available", b.balances().Available, 30)
	for _, bad := range []error{
		b.try(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.Collect(ctx, tx, "wal_1", ledger.Owner{Wallet: "wal_2"}, asset.Test, "BTC", big.NewInt(1), "bad-1", "")
		}),
		b.try(func(ctx context.Context, tx ledger.Tx) error {
			return ledger.Collect(ctx, tx, "wal_1", sub, asset.Test, "BTC", big.NewInt(0), "bad-2", "")
		}),
	} {
		if !errors.Is(bad, ledger.ErrInvalidEntry) {
			t.Fatalf("a collection to a wallet or of zero: %v, want ErrInvalidEntry", bad)
		}
	}
}
