package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

var ledgerTests = []test{
	{"Ledger_PostUpdatesBalances", testPost},
	{"Ledger_RejectsBadEntriesAndWritesNothing", testPostRejects},
	{"Ledger_DuplicateKey", testDuplicate},
	{"Ledger_EnsureAccount", testEnsureAccount},
	{"Ledger_Holds", testHolds},
	{"Ledger_BigAmounts", testBigAmounts},
	{"Ledger_RandomisedConcurrent", testRandomised},
	{"Ledger_AccountsAndBalances", testAccountsAndBalances},
	{"Ledger_LockAccountSerialisesWriters", testLockAccountSerialises},
	{"Ledger_EntriesAndPostings", testEntriesAndPostings},
	{"Ledger_HoldRecords", testHoldRecords},
}

func balance(t *testing.T, s storage.Store, name string) *big.Int {
	t.Helper()
	var b *big.Int
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		a, err := tx.Account(ctx, name)
		b = a.Balance
		return err
	})
	if err != nil {
		t.Fatalf("balance %s: %v", name, err)
	}
	return b
}

func verify(t *testing.T, s storage.Store) {
	t.Helper()
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) })
	if err != nil {
		t.Fatal(err)
	}
}

func postingCount(t *testing.T, s storage.Store) int {
	t.Helper()
	n := 0
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		return tx.ForEachPosting(ctx, func(int64, ledger.Posting) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func n(v int64) *big.Int { return big.NewInt(v) }

func pp(account string, amount *big.Int) ledger.Posting {
	return ledger.Posting{Account: account, Amount: amount}
}

const mode = asset.Test

func setupAccounts(t *testing.T, s storage.Store, codes ...string) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, c := range codes {
			if err := ledger.EnsureStandardAccounts(ctx, tx, mode, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func credit(key, code string, amount *big.Int) ledger.Entry {
	return ledger.Entry{Key: key, Description: "deposit", Postings: []ledger.Posting{
		{Account: ledger.World(mode, code), Amount: new(big.Int).Neg(amount)},
		{Account: ledger.MerchantAvailable(mode, code), Amount: new(big.Int).Set(amount)},
	}}
}

func post(ctx context.Context, tx storage.Tx, e ledger.Entry) error {
	_, err := ledger.Post(ctx, tx, e)
	return err
}

func testPost(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "BTC")
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return post(ctx, tx, credit("credit:bitcoin:aa:0", "BTC", n(150_000)))
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return post(ctx, tx, ledger.Entry{Key: "payout:1", Postings: []ledger.Posting{
			{Account: ledger.MerchantAvailable(mode, "BTC"), Amount: n(-100_000)},
			{Account: ledger.World(mode, "BTC"), Amount: n(99_000)},
			{Account: ledger.NetworkFees(mode, "BTC"), Amount: n(1_000)},
		}})
	})
	for name, want := range map[string]int64{
		ledger.MerchantAvailable(mode, "BTC"): 50_000,
		ledger.World(mode, "BTC"):             -51_000,
		ledger.NetworkFees(mode, "BTC"):       1_000,
	} {
		if got := balance(t, s, name); got.Cmp(n(want)) != 0 {
			t.Errorf("%s = %s, want %d", name, got, want)
		}
	}
	verify(t, s)
}

func testPostRejects(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "BTC", "ETH")
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return post(ctx, tx, credit("c1", "BTC", n(1000)))
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := ledger.EnsureStandardAccounts(ctx, tx, asset.Live, "BTC"); err != nil {
			return err
		}
		return nil
	})
	before := postingCount(t, s)
	avail, world := ledger.MerchantAvailable(mode, "BTC"), ledger.World(mode, "BTC")
	cases := []struct {
		name string
		e    ledger.Entry
		want error
	}{
		{"unbalanced", ledger.Entry{Key: "u", Postings: []ledger.Posting{pp(avail, n(5)), pp(world, n(-4))}}, ledger.ErrUnbalanced},
		{"cross-asset", ledger.Entry{Key: "x", Postings: []ledger.Posting{pp(avail, n(5)), pp(ledger.World(mode, "ETH"), n(-5))}}, ledger.ErrUnbalanced},
		{"one posting", ledger.Entry{Key: "o", Postings: []ledger.Posting{pp(avail, n(5))}}, ledger.ErrInvalidEntry},
		{"zero amount", ledger.Entry{Key: "z", Postings: []ledger.Posting{pp(avail, n(0)), pp(world, n(0))}}, ledger.ErrInvalidEntry},
		{"nil amount", ledger.Entry{Key: "nil", Postings: []ledger.Posting{pp(avail, nil), pp(world, n(1))}}, ledger.ErrInvalidEntry},
		{"no key", ledger.Entry{Postings: []ledger.Posting{pp(avail, n(5)), pp(world, n(-5))}}, ledger.ErrInvalidEntry},
		{"unknown account", ledger.Entry{Key: "ua", Postings: []ledger.Posting{pp("merchant:test:DOGE:available", n(5)), pp(world, n(-5))}}, ledger.ErrAccountNotFound},
		{"overdraft", ledger.Entry{Key: "od", Postings: []ledger.Posting{pp(avail, n(-1001)), pp(world, n(1001))}}, ledger.ErrInsufficientFunds},
		{"mixed modes", ledger.Entry{Key: "mm", Postings: []ledger.Posting{pp(avail, n(-1)), pp(ledger.World(asset.Live, "BTC"), n(1))}}, ledger.ErrInvalidEntry},
	}
	for _, c := range cases {
		err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, c.e) })
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if got := postingCount(t, s); got != before {
		t.Fatalf("rejected entries wrote postings: %d -> %d", before, got)
	}
	if got := balance(t, s, avail); got.Cmp(n(1000)) != 0 {
		t.Fatalf("balance changed by rejected entries: %s", got)
	}
	// The same overdraft inside a transaction that goes on: the error left nothing behind.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		err := post(ctx, tx, ledger.Entry{Key: "od2", Postings: []ledger.Posting{pp(avail, n(-5000)), pp(world, n(5000))}})
		if !errors.Is(err, ledger.ErrInsufficientFunds) {
			return fmt.Errorf("want ErrInsufficientFunds, got %v", err)
		}
		return post(ctx, tx, ledger.Entry{Key: "od2", Postings: []ledger.Posting{pp(avail, n(-500)), pp(world, n(500))}})
	})
	if got := balance(t, s, avail); got.Cmp(n(500)) != 0 {
		t.Fatalf("balance %s, want 500", got)
	}
	verify(t, s)
}

func testDuplicate(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "BTC")
	e := credit("credit:bitcoin:bb:1", "BTC", n(777))
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, e) })
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, e) })
	if !errors.Is(err, ledger.ErrDuplicate) {
		t.Fatalf("second post: %v, want ErrDuplicate", err)
	}
	other := credit("credit:bitcoin:bb:1", "BTC", n(778))
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, other) })
	if !errors.Is(err, ledger.ErrKeyConflict) {
		t.Fatalf("same key, other postings: %v, want ErrKeyConflict", err)
	}
	// A duplicate inside a transaction that continues leaves the transaction usable.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := post(ctx, tx, e); !errors.Is(err, ledger.ErrDuplicate) {
			return fmt.Errorf("want ErrDuplicate, got %v", err)
		}
		return post(ctx, tx, credit("credit:bitcoin:bb:2", "BTC", n(3)))
	})
	if got := balance(t, s, ledger.MerchantAvailable(mode, "BTC")); got.Cmp(n(780)) != 0 {
		t.Fatalf("balance %s, want 780 (777 once + 3)", got)
	}
	verify(t, s)
}

func testEnsureAccount(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "BTC")
	setupAccounts(t, s, "BTC") // idempotent
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureAccount(ctx, tx, ledger.Account{Name: ledger.World(mode, "BTC"), Asset: "BTC", Mode: mode, NonNegative: true})
	})
	if !errors.Is(err, ledger.ErrAccountExists) {
		t.Fatalf("flag mismatch: %v", err)
	}
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return ledger.EnsureAccount(ctx, tx, ledger.Account{Name: "", Asset: "BTC", Mode: mode})
	})
	if !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("empty name: %v", err)
	}
}

func testHolds(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "USDT_TRON")
	code := "USDT_TRON"
	avail, holds := ledger.MerchantAvailable(mode, code), ledger.Holds(mode, code)
	world, fees := ledger.World(mode, code), ledger.NetworkFees(mode, code)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, credit("c", code, n(10_000_000))) })

	hold := func(id string, amt int64) error {
		return update(t, s, func(ctx context.Context, tx storage.Tx) error {
			return ledger.PlaceHold(ctx, tx, id, avail, holds, n(amt))
		})
	}
	if err := hold("po_1", 6_000_000); err != nil {
		t.Fatal(err)
	}
	if err := hold("po_1", 6_000_000); !errors.Is(err, ledger.ErrDuplicate) {
		t.Fatalf("same hold twice: %v", err)
	}
	if err := hold("po_2", 5_000_000); !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("hold beyond available: %v", err)
	}
	if err := hold("po:bad", 1); !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("bad id: %v", err)
	}
	if err := hold("po_3", 0); !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("zero hold: %v", err)
	}
	if err := hold("po_2", 1_000_000); err != nil {
		t.Fatal(err)
	}
	verify(t, s)
	if got := balance(t, s, holds); got.Cmp(n(7_000_000)) != 0 {
		t.Fatalf("holds = %s", got)
	}
	// Post po_1 for less than held: 5 USDT out, 0.5 fee, 0.5 back to available.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return ledger.PostHold(ctx, tx, "po_1", []ledger.Posting{pp(world, n(5_000_000)), pp(fees, n(500_000))})
	})
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return ledger.VoidHold(ctx, tx, "po_2") })
	for _, id := range []string{"po_1", "po_2"} {
		err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return ledger.VoidHold(ctx, tx, id) })
		if !errors.Is(err, ledger.ErrHoldClosed) {
			t.Fatalf("void closed %s: %v", id, err)
		}
		err = update(t, s, func(ctx context.Context, tx storage.Tx) error {
			return ledger.PostHold(ctx, tx, id, []ledger.Posting{pp(world, n(1))})
		})
		if !errors.Is(err, ledger.ErrHoldClosed) {
			t.Fatalf("post closed %s: %v", id, err)
		}
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return ledger.PlaceHold(ctx, tx, "po_4", avail, holds, n(100))
	})
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return ledger.PostHold(ctx, tx, "po_4", []ledger.Posting{pp(world, n(101))})
	})
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("post more than held: %v", err)
	}
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error { return ledger.VoidHold(ctx, tx, "po_404") })
	if !errors.Is(err, ledger.ErrHoldNotFound) {
		t.Fatalf("void unknown: %v", err)
	}
	want := map[string]int64{avail: 10_000_000 - 5_500_000 - 100, holds: 100, world: -10_000_000 + 5_000_000, fees: 500_000}
	for name, w := range want {
		if got := balance(t, s, name); got.Cmp(n(w)) != 0 {
			t.Errorf("%s = %s, want %d", name, got, w)
		}
	}
	verify(t, s)
}

func testBigAmounts(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "USDT_BSC")
	// 10^30 wei-like base units: far beyond int64, as 10^12 USDT on an 18-decimal chain.
	big30, _ := new(big.Int).SetString("1000000000000000000000000000000", 10)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, credit("c1", "USDT_BSC", big30)) })
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return post(ctx, tx, credit("c2", "USDT_BSC", big30)) })
	want := new(big.Int).Mul(big30, n(2))
	if got := balance(t, s, ledger.MerchantAvailable(mode, "USDT_BSC")); got.Cmp(want) != 0 {
		t.Fatalf("balance %s, want %s", got, want)
	}
	verify(t, s)
}

// testRandomised drives thousands of credits (with replays), payouts, holds, posts and
// voids from many goroutines. Every operation's outcome is recorded; at the end the
// balances must equal exactly the sum of the successful operations, every credit key
// must have applied once, no hold may close twice, and Verify must pass.
func testRandomised(t *testing.T, s storage.Store) {
	codes := []string{"BTC", "USDT_BSC"}
	setupAccounts(t, s, codes...)
	const workers, opsPerWorker, creditKeys = 8, 300, 400
	big18, _ := new(big.Int).SetString("1000000000000000000", 10)
	unit := map[string]*big.Int{"BTC": n(1000), "USDT_BSC": big18}
	creditAmount := func(k int) *big.Int { return new(big.Int).Mul(unit[codes[k%2]], n(int64(k%7+1))) }

	var mu sync.Mutex
	expected := map[string]*big.Int{}
	addExp := func(acct string, v *big.Int) {
		if expected[acct] == nil {
			expected[acct] = new(big.Int)
		}
		expected[acct].Add(expected[acct], v)
	}
	creditOK := map[int]int{}
	creditTried := map[int]bool{}
	type holdRec struct {
		code   string
		amount *big.Int
	}
	holds := map[string]holdRec{}
	var holdIDs []string
	closed := map[string]int{}
	var wg sync.WaitGroup
	errCh := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range opsPerWorker {
				if err := randomOp(t, s, rng, w, i, codes, unit, creditKeys, creditAmount,
					&mu, addExp, creditOK, creditTried, &holdIDs, closed,
					func(id, code string, amt *big.Int) { holds[id] = holdRec{code, amt} },
					func(id string) (string, *big.Int, bool) { h, ok := holds[id]; return h.code, h.amount, ok },
				); err != nil {
					errCh <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		t.Fatal(err)
	}
	for k := range creditTried {
		if creditOK[k] != 1 {
			t.Errorf("credit key %d applied %d times", k, creditOK[k])
		}
	}
	for id, c := range closed {
		if c > 1 {
			t.Errorf("hold %s closed %d times", id, c)
		}
	}
	verify(t, s)
	names := make([]string, 0, len(expected))
	for k := range expected {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if got := balance(t, s, name); got.Cmp(expected[name]) != 0 {
			t.Errorf("%s = %s, want %s", name, got, expected[name])
		}
	}
	var pending []ledger.Hold
	_ = s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		pending, err = tx.Holds(ctx, ledger.HoldPending)
		return err
	})
	if want := len(holds) - len(closed); len(pending) != want {
		t.Errorf("%d pending holds, want %d", len(pending), want)
	}
	t.Logf("randomised: %d credits applied, %d holds placed, %d closed", len(creditOK), len(holds), len(closed))
}

func randomOp(t *testing.T, s storage.Store, rng *rand.Rand, w, i int, codes []string, unit map[string]*big.Int,
	creditKeys int, creditAmount func(int) *big.Int, mu *sync.Mutex, addExp func(string, *big.Int),
	creditOK map[int]int, creditTried map[int]bool, holdIDs *[]string, closed map[string]int,
	recordHold func(id, code string, amt *big.Int), lookupHold func(id string) (string, *big.Int, bool),
) error {
	ctx := t.Context()
	pickHold := func() (string, string, *big.Int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(*holdIDs) == 0 {
			return "", "", nil, false
		}
		id := (*holdIDs)[rng.IntN(len(*holdIDs))]
		code, amt, ok := lookupHold(id)
		return id, code, amt, ok
	}
	switch op := rng.IntN(10); {
	case op < 4: // credit from the chain, keys drawn from a small pool so replays happen
		k := rng.IntN(creditKeys)
		code := codes[k%2]
		amt := creditAmount(k)
		err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			return post(ctx, tx, credit(fmt.Sprintf("credit:%d", k), code, amt))
		})
		mu.Lock()
		defer mu.Unlock()
		creditTried[k] = true
		switch {
		case err == nil:
			creditOK[k]++
			addExp(ledger.MerchantAvailable(mode, code), amt)
			addExp(ledger.World(mode, code), new(big.Int).Neg(amt))
		case !errors.Is(err, ledger.ErrDuplicate):
			return fmt.Errorf("credit: %w", err)
		}
	case op < 6: // direct payout with a fee; may overdraw
		code := codes[rng.IntN(2)]
		amt := new(big.Int).Mul(unit[code], n(int64(rng.IntN(6)+1)))
		fee := new(big.Int).Div(unit[code], n(10))
		err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			return post(ctx, tx, ledger.Entry{Key: fmt.Sprintf("payout:%d:%d", w, i), Postings: []ledger.Posting{
				{Account: ledger.MerchantAvailable(mode, code), Amount: new(big.Int).Neg(new(big.Int).Add(amt, fee))},
				{Account: ledger.World(mode, code), Amount: amt},
				{Account: ledger.NetworkFees(mode, code), Amount: fee},
			}})
		})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			addExp(ledger.MerchantAvailable(mode, code), new(big.Int).Neg(new(big.Int).Add(amt, fee)))
			addExp(ledger.World(mode, code), amt)
			addExp(ledger.NetworkFees(mode, code), fee)
		case !errors.Is(err, ledger.ErrInsufficientFunds):
			return fmt.Errorf("payout: %w", err)
		}
	case op < 8: // place a hold
		code := codes[rng.IntN(2)]
		amt := new(big.Int).Mul(unit[code], n(int64(rng.IntN(4)+1)))
		id := fmt.Sprintf("h%d-%d", w, i)
		err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			return ledger.PlaceHold(ctx, tx, id, ledger.MerchantAvailable(mode, code), ledger.Holds(mode, code), amt)
		})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			recordHold(id, code, amt)
			*holdIDs = append(*holdIDs, id)
			addExp(ledger.MerchantAvailable(mode, code), new(big.Int).Neg(amt))
			addExp(ledger.Holds(mode, code), amt)
		case !errors.Is(err, ledger.ErrInsufficientFunds):
			return fmt.Errorf("hold: %w", err)
		}
	case op < 9: // post a random hold, partially, with a fee; it may be closed already
		id, code, amt, ok := pickHold()
		if !ok {
			return nil
		}
		out := new(big.Int).Div(new(big.Int).Mul(amt, n(int64(rng.IntN(10)+1))), n(12))
		fee := new(big.Int).Div(amt, n(12))
		err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
			return ledger.PostHold(ctx, tx, id, []ledger.Posting{
				{Account: ledger.World(mode, code), Amount: out},
				{Account: ledger.NetworkFees(mode, code), Amount: fee},
			})
		})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			closed[id]++
			rest := new(big.Int).Sub(amt, new(big.Int).Add(out, fee))
			addExp(ledger.Holds(mode, code), new(big.Int).Neg(amt))
			addExp(ledger.World(mode, code), out)
			addExp(ledger.NetworkFees(mode, code), fee)
			addExp(ledger.MerchantAvailable(mode, code), rest)
		case !errors.Is(err, ledger.ErrHoldClosed):
			return fmt.Errorf("post hold: %w", err)
		}
	default: // void a random hold; it may be closed already
		id, code, amt, ok := pickHold()
		if !ok {
			return nil
		}
		err := s.Update(ctx, func(ctx context.Context, tx storage.Tx) error { return ledger.VoidHold(ctx, tx, id) })
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			closed[id]++
			addExp(ledger.Holds(mode, code), new(big.Int).Neg(amt))
			addExp(ledger.MerchantAvailable(mode, code), amt)
		case !errors.Is(err, ledger.ErrHoldClosed):
			return fmt.Errorf("void hold: %w", err)
		}
	}
	return nil
}

// big30 is 10^30 base units: far beyond int64 (10^12 USDT on an 18-decimal chain).
func big30() *big.Int {
	v, _ := new(big.Int).SetString("1000000000000000000000000000000", 10)
	return v
}

// testAccountsAndBalances checks the ledger's account methods directly: what
// CreateAccount stores, what Account, LockAccount and Accounts read back, and that
// SetBalance keeps any integer (negative, beyond 64 bits).
func testAccountsAndBalances(t *testing.T, s storage.Store) {
	accts := []ledger.Account{
		{Name: ledger.MerchantAvailable(asset.Test, "BTC"), Asset: "BTC", Mode: asset.Test, NonNegative: true},
		{Name: ledger.World(asset.Test, "BTC"), Asset: "BTC", Mode: asset.Test},
		{Name: ledger.MerchantAvailable(asset.Live, "USDT_BSC"), Asset: "USDT_BSC", Mode: asset.Live, NonNegative: true},
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, a := range accts {
			a.Balance = n(99) // ignored by CreateAccount
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range accts {
		want.Balance = n(0)
		got := get(t, s, func(ctx context.Context, tx storage.Tx) (ledger.Account, error) { return tx.Account(ctx, want.Name) })
		sameJSON(t, "Account "+want.Name, got, want)
	}
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.Account(ctx, "merchant:test:DOGE:available")
		return err
	})
	if !errors.Is(err, ledger.ErrAccountNotFound) {
		t.Fatalf("Account of an unknown name: %v, want ErrAccountNotFound", err)
	}

	negative := n(-5)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		a, err := tx.LockAccount(ctx, accts[0].Name)
		if err != nil {
			return err
		}
		if a.Name != accts[0].Name || a.Balance.Sign() != 0 || !a.NonNegative {
			return fmt.Errorf("LockAccount returned %+v", a)
		}
		if _, err := tx.LockAccount(ctx, "nope"); !errors.Is(err, ledger.ErrAccountNotFound) {
			return fmt.Errorf("LockAccount of an unknown name: %v, want ErrAccountNotFound", err)
		}
		if err := tx.SetBalance(ctx, accts[0].Name, big30()); err != nil {
			return err
		}
		if _, err := tx.LockAccount(ctx, accts[1].Name); err != nil {
			return err
		}
		if err := tx.SetBalance(ctx, accts[1].Name, negative); err != nil {
			return err
		}
		// The new balance is visible inside the transaction that set it.
		if a, err := tx.LockAccount(ctx, accts[0].Name); err != nil || a.Balance.Cmp(big30()) != 0 {
			return fmt.Errorf("balance inside the transaction: %v, %v", a.Balance, err)
		}
		return nil
	})
	// SetBalance of an account that does not exist must fail, not be lost: the doc is
	// silent on the error (storage/sqlite returns ErrAccountNotFound).
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.SetBalance(ctx, "merchant:test:DOGE:available", n(1))
	}); err == nil {
		t.Error("SetBalance of an unknown account succeeded")
	}
	got := get(t, s, func(ctx context.Context, tx storage.Tx) ([]ledger.Account, error) { return tx.Accounts(ctx) })
	want := map[string]*big.Int{accts[0].Name: big30(), accts[1].Name: negative, accts[2].Name: n(0)}
	if len(got) != len(want) {
		t.Fatalf("Accounts returned %d accounts, want %d: %+v", len(got), len(want), got)
	}
	for _, a := range got {
		if w, ok := want[a.Name]; !ok || a.Balance == nil || a.Balance.Cmp(w) != 0 {
			t.Errorf("Accounts: %s = %v, want %v", a.Name, a.Balance, w)
		}
		if a.Name == accts[2].Name && (a.Mode != asset.Live || a.Asset != "USDT_BSC" || !a.NonNegative) {
			t.Errorf("Accounts: %+v", a)
		}
	}

	// Creating an account that exists fails and leaves its balance alone (an upsert
	// that reset it would lose money).
	err = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccount(ctx, ledger.Account{Name: accts[0].Name, Asset: "BTC", Mode: asset.Test, NonNegative: true})
	})
	if err == nil {
		t.Error("CreateAccount of an existing account succeeded")
	}
	if b := balance(t, s, accts[0].Name); b.Cmp(big30()) != 0 {
		t.Errorf("balance after a second CreateAccount: %s, want %s", b, big30())
	}
}

// testLockAccountSerialisesWriters runs concurrent read-modify-write transactions on
// one balance: LockAccount must make each see the previous one's result (a row lock
// on a shared database), so no increment is lost.
func testLockAccountSerialises(t *testing.T, s storage.Store) {
	name := ledger.MerchantAvailable(mode, "BTC")
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccount(ctx, ledger.Account{Name: name, Asset: "BTC", Mode: mode, NonNegative: true})
	})
	const workers, each = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
					a, err := tx.LockAccount(ctx, name)
					if err != nil {
						return err
					}
					return tx.SetBalance(ctx, name, new(big.Int).Add(a.Balance, n(1000)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := balance(t, s, name); got.Cmp(n(workers*each*1000)) != 0 {
		t.Fatalf("balance %s after %d increments of 1000: updates were lost", got, workers*each)
	}
}

// testEntriesAndPostings checks the journal methods directly: EntryHash, InsertEntry
// (ErrDuplicate with the stored hash, the first entry kept),
// InsertPosting and ForEachPosting's order (entries in the order written, postings by
// seq within an entry, whatever order they were inserted in).
func testEntriesAndPostings(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "ETH")
	avail, world := ledger.MerchantAvailable(mode, "ETH"), ledger.World(mode, "ETH")
	hashA, hashB := []byte("hash-of-entry-a-0123456789abcdef"), []byte("hash-of-entry-b-0123456789abcdef")
	var idA, idB int64
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if h, ok, err := tx.EntryHash(ctx, "credit:ethereum:0xaa:0"); err != nil || ok || h != nil {
			return fmt.Errorf("EntryHash of an unknown key: %x, %v, %v", h, ok, err)
		}
		var err error
		if idA, _, err = tx.InsertEntry(ctx, ledger.EntryRecord{Key: "credit:ethereum:0xaa:0", Hash: hashA, Description: "deposit", At: t0}); err != nil {
			return err
		}
		if idB, _, err = tx.InsertEntry(ctx, ledger.EntryRecord{Key: "credit:ethereum:0xbb:0", Hash: hashB, Description: "deposit", At: at(time.Second)}); err != nil {
			return err
		}
		// B's postings first, and each entry's in reverse seq order.
		b30 := big30()
		for _, p := range []struct {
			entry int64
			seq   int
			p     ledger.Posting
		}{
			{idB, 1, pp(avail, b30)}, {idB, 0, pp(world, new(big.Int).Neg(b30))},
			{idA, 1, pp(avail, n(7))}, {idA, 0, pp(world, n(-7))},
		} {
			if err := tx.InsertPosting(ctx, p.entry, p.seq, p.p); err != nil {
				return err
			}
		}
		return nil
	})
	type posting struct {
		Entry   int64
		Account string
		Amount  *big.Int
	}
	var got []posting
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.ForEachPosting(ctx, func(e int64, p ledger.Posting) error {
			got = append(got, posting{e, p.Account, p.Amount})
			return nil
		})
	})
	want := []posting{{idA, world, n(-7)}, {idA, avail, n(7)}, {idB, world, new(big.Int).Neg(big30())}, {idB, avail, big30()}}
	sameJSON(t, "ForEachPosting", got, want)

	// A second entry with a used key writes nothing and answers with the stored hash.
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		id, stored, err := tx.InsertEntry(ctx, ledger.EntryRecord{Key: "credit:ethereum:0xaa:0", Hash: []byte("another hash"), Description: "replay", At: t0})
		if !errors.Is(err, ledger.ErrDuplicate) {
			return fmt.Errorf("InsertEntry of a used key: id %d, %v; want ErrDuplicate", id, err)
		}
		if !bytes.Equal(stored, hashA) {
			return fmt.Errorf("InsertEntry of a used key returned stored hash %q, want %q", stored, hashA)
		}
		return nil
	})
	for key, want := range map[string][]byte{"credit:ethereum:0xaa:0": hashA, "credit:ethereum:0xbb:0": hashB} {
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			h, ok, err := tx.EntryHash(ctx, key)
			if err != nil || !ok || !bytes.Equal(h, want) {
				t.Errorf("EntryHash(%s) = %q, %v, %v; want %q", key, h, ok, err, want)
			}
			return nil
		})
	}
}

// testHoldRecords checks the hold methods directly: InsertHold, LockHold (and
// ErrHoldNotFound), SetHoldState, and Holds with and without a state.
func testHoldRecords(t *testing.T, s storage.Store) {
	setupAccounts(t, s, "USDT_BSC")
	avail, holds := ledger.MerchantAvailable(mode, "USDT_BSC"), ledger.Holds(mode, "USDT_BSC")
	h1 := ledger.Hold{ID: "po_hold1", From: avail, Holding: holds, Amount: big30(), State: ledger.HoldPending, At: t0}
	h2 := ledger.Hold{ID: "po_hold2", From: avail, Holding: holds, Amount: n(5_000_000), State: ledger.HoldPending, At: at(time.Minute)}
	h3 := ledger.Hold{ID: "po_hold3", From: avail, Holding: holds, Amount: n(1), State: ledger.HoldPending, At: at(2 * time.Minute)}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, h := range []ledger.Hold{h1, h2, h3} {
			if err := tx.InsertHold(ctx, h); err != nil {
				return err
			}
		}
		got, err := tx.LockHold(ctx, h1.ID)
		if err != nil {
			return err
		}
		sameJSON(t, "LockHold", got, h1)
		if _, err := tx.LockHold(ctx, "po_nope"); !errors.Is(err, ledger.ErrHoldNotFound) {
			return fmt.Errorf("LockHold of an unknown id: %v, want ErrHoldNotFound", err)
		}
		return nil
	})
	byID := func(state ledger.HoldState) map[string]ledger.Hold {
		hs := get(t, s, func(ctx context.Context, tx storage.Tx) ([]ledger.Hold, error) { return tx.Holds(ctx, state) })
		m := map[string]ledger.Hold{}
		for _, h := range hs {
			m[h.ID] = h
		}
		if len(m) != len(hs) {
			t.Errorf("Holds(%q) returned a hold twice: %+v", state, hs)
		}
		return m
	}
	all := byID("")
	if len(all) != 3 {
		t.Fatalf("Holds(\"\") = %d holds, want 3", len(all))
	}
	sameJSON(t, "Holds(\"\")[po_hold2]", all[h2.ID], h2)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.SetHoldState(ctx, h1.ID, ledger.HoldPosted, at(time.Hour)); err != nil {
			return err
		}
		return tx.SetHoldState(ctx, h2.ID, ledger.HoldVoided, at(time.Hour))
	})
	for state, ids := range map[ledger.HoldState][]string{
		ledger.HoldPending: {h3.ID}, ledger.HoldPosted: {h1.ID}, ledger.HoldVoided: {h2.ID}, "": {h1.ID, h2.ID, h3.ID},
	} {
		got := byID(state)
		if len(got) != len(ids) {
			t.Errorf("Holds(%q) = %v, want %v", state, got, ids)
		}
		for _, id := range ids {
			if _, ok := got[id]; !ok {
				t.Errorf("Holds(%q) lacks %s", state, id)
			}
		}
	}
	// A closed hold keeps its accounts and amount; only its state changed.
	got := byID(ledger.HoldPosted)[h1.ID]
	if got.From != h1.From || got.Holding != h1.Holding || got.Amount == nil || got.Amount.Cmp(h1.Amount) != 0 {
		t.Errorf("posted hold: %+v, want %+v posted", got, h1)
	}
}
