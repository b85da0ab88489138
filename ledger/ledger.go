// Package ledger is Kassa's double-entry journal, in the spirit of TigerBeetle: every
// movement of money is an Entry whose Postings sum to zero per asset, written in the same
// storage transaction as the state change that caused it, with each account's balance
// materialised and updated in that transaction.
//
// Amounts are signed integers in the asset's base units (*big.Int: wei do not fit in
// int64). A positive posting increases an account's balance. Deposits from a chain are
// taken from the "world" account of that mode and asset, which may go negative: its
// balance is minus what the outside world has paid in, net of what was paid out. The
// merchant's deficit is the only other: what a reorg took back after it was spent.
//
// Booking functions (book.go) are how the rest of Kassa moves money: MoveDeposit for
// a chain transfer's money, PlaceHold, PostHold and VoidHold for payouts,
// BookNetworkFee for fees no payout covers, HoldConversion and PostConversion for
// conversions between a merchant's balances. Nothing outside this package calls Post.
//
// Accounts are named with colons (see MerchantAvailable and friends) and belong to one
// asset and one mode. An account created NonNegative can never be overdrawn: an entry
// that would take it below zero fails with ErrInsufficientFunds and writes nothing.
//
// Every entry carries an idempotency key that is unique forever. Posting the same key
// again with the same postings returns ErrDuplicate and writes nothing, so a credit
// keyed by (network, txid, output index) can never be applied twice, across retries,
// restarts and reorgs. The same key with other postings returns ErrKeyConflict.
//
// Holds are two-phase transfers: PlaceHold moves funds from an account to a holding
// account, then exactly one of PostHold (send them on, possibly less than held, with the
// remainder returned) or VoidHold (return them all) closes it.
//
// Verify recomputes every balance from the postings and checks every invariant; tests
// and operators run it, and it must always return nil.
//
// The package does no I/O of its own. Functions take a Tx, the storage operations the
// ledger needs inside one read-write transaction, which storage backends implement; the
// caller owns the transaction, so the ledger entry commits or rolls back with the change
// that caused it. Every function checks everything before its first write, so an error
// leaves the transaction as it was.
package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
)

// Errors of accounts and entries. Storage implementations return
// ErrAccountNotFound and ErrDuplicate as documented on Tx.
var (
	ErrAccountNotFound   = errors.New("ledger account not found")
	ErrAccountExists     = errors.New("ledger account exists with other settings")
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrUnbalanced        = errors.New("postings do not sum to zero per asset")
	ErrInvalidEntry      = errors.New("invalid ledger entry")
	ErrDuplicate         = errors.New("entry with this idempotency key is already posted")
	ErrKeyConflict       = errors.New("idempotency key was used for a different entry")
)

// Account is a ledger account.
type Account struct {
	Name  string
	Asset string // asset code, "USDT_TRON"
	Mode  asset.Mode
	// NonNegative accounts can never be overdrawn.
	NonNegative bool
	// Balance is the materialised balance in base units. It is filled by reads and
	// ignored by CreateAccount.
	Balance *big.Int
}

// Posting changes one account's balance by Amount (base units, signed, not zero).
type Posting struct {
	Account string
	Amount  *big.Int
}

// Entry is one balanced journal entry.
type Entry struct {
	// Key is the idempotency key, unique forever: "credit:bitcoin:<txid>:<vout>".
	Key         string
	Description string
	Postings    []Posting
	// At is the time of the entry; zero means now.
	At time.Time
}

// EntryRecord is an entry as the storage writes it.
type EntryRecord struct {
	Key         string
	Hash        []byte // SHA-256 of the canonical postings, to tell a replay from a conflict
	Description string
	At          time.Time
}

// HoldState is the state of a two-phase hold.
type HoldState string

const (
	HoldPending HoldState = "pending"
	HoldPosted  HoldState = "posted"
	HoldVoided  HoldState = "voided"
)

// Hold is a two-phase transfer.
type Hold struct {
	ID      string
	From    string // the account the funds came from and return to on void
	Holding string // the holding account
	Amount  *big.Int
	State   HoldState
	At      time.Time
}

// Reader is what Verify and balance queries need.
type Reader interface {
	// Account returns the account with its balance, or ErrAccountNotFound.
	Account(ctx context.Context, name string) (Account, error)
	// Accounts returns every account with its balance.
	Accounts(ctx context.Context) ([]Account, error)
	// ForEachPosting calls fn for every posting, grouped by entry (entries in the order
	// they were written).
	ForEachPosting(ctx context.Context, fn func(entry int64, p Posting) error) error
	// Holds returns every hold in state (all holds when state is empty).
	Holds(ctx context.Context, state HoldState) ([]Hold, error)
}

// Tx is the storage the ledger writes to, inside one read-write transaction owned by
// the caller.
type Tx interface {
	Reader
	// LockAccount returns the account with its balance and locks it until the end of the
	// transaction (a row lock on a shared database; SQLite's single writer already
	// serialises). It returns ErrAccountNotFound.
	LockAccount(ctx context.Context, name string) (Account, error)
	// CreateAccount creates an account with a zero balance.
	CreateAccount(ctx context.Context, a Account) error
	// EntryHash returns the hash of the entry with key, or ok false if there is none.
	EntryHash(ctx context.Context, key string) (hash []byte, ok bool, err error)
	// InsertEntry writes an entry and returns its id. If the key exists it writes
	// nothing and returns the stored hash with ErrDuplicate.
	InsertEntry(ctx context.Context, e EntryRecord) (id int64, storedHash []byte, err error)
	// InsertPosting writes one posting of entry (seq orders them within the entry).
	InsertPosting(ctx context.Context, entry int64, seq int, p Posting) error
	// SetBalance stores the new balance of a locked account.
	SetBalance(ctx context.Context, account string, balance *big.Int) error
	// InsertHold writes a new pending hold.
	InsertHold(ctx context.Context, h Hold) error
	// LockHold returns the hold and locks it, or ErrHoldNotFound.
	LockHold(ctx context.Context, id string) (Hold, error)
	// SetHoldState closes a hold.
	SetHoldState(ctx context.Context, id string, s HoldState, at time.Time) error
}

// Account names. Kassa's accounts are per mode and asset.

// MerchantAvailable is what the merchant can pay out.
func MerchantAvailable(m asset.Mode, code string) string {
	return name("merchant", m, code, "available")
}

// MerchantPending holds payments detected on chain but not yet confirmed.
func MerchantPending(m asset.Mode, code string) string { return name("merchant", m, code, "pending") }

// World is the outside world: deposits come from it and payouts go to it.
func World(m asset.Mode, code string) string { return name("world", m, code, "") }

// NetworkFees accumulates the network fees Kassa paid.
func NetworkFees(m asset.Mode, code string) string { return name("fees", m, code, "network") }

// MerchantDeficit is what the merchant owes: money a reorg or a double-spend took
// back after it had already left (paid out). Its balance is zero or negative; deposits
// cover it before they become available again.
func MerchantDeficit(m asset.Mode, code string) string { return name("merchant", m, code, "deficit") }

// Holds is the holding account for funds reserved by payouts being broadcast.
func Holds(m asset.Mode, code string) string { return name("holds", m, code, "") }

// WalletAvailable is a customer wallet's confirmed money, what its customer can
// withdraw. Wallet accounts are named wallet:{mode}:{wallet_id}:{asset}:{part}.
func WalletAvailable(m asset.Mode, wallet, code string) string {
	return walletName(m, wallet, code, "available")
}

// WalletPending is a customer wallet's detected, unconfirmed deposits.
func WalletPending(m asset.Mode, wallet, code string) string {
	return walletName(m, wallet, code, "pending")
}

// WalletDeficit is what a reorg took back from a customer wallet after it was
// withdrawn: zero or negative, covered first by the wallet's next deposits.
func WalletDeficit(m asset.Mode, wallet, code string) string {
	return walletName(m, wallet, code, "deficit")
}

// WalletHeld is the holding account of a customer wallet's withdrawals in flight
// (payouts held from WalletAvailable), apart from the merchant's Holds so that
// neither balance shows the other's.
func WalletHeld(m asset.Mode, wallet, code string) string {
	return walletName(m, wallet, code, "held")
}

// SubAvailable is what sub-merchant sub can pay out; "" is the operator's own scope
// (MerchantAvailable). A sub-merchant's accounts are named
// merchant:{mode}:{sub}:{asset}:{part}, and its holds holds:{mode}:{sub}:{asset}.
func SubAvailable(m asset.Mode, sub, code string) string { return subName(m, sub, code, "available") }

// SubPending is a sub-merchant's detected, unconfirmed payments.
func SubPending(m asset.Mode, sub, code string) string { return subName(m, sub, code, "pending") }

// SubDeficit is what a sub-merchant owes after a reorg took back spent money.
func SubDeficit(m asset.Mode, sub, code string) string { return subName(m, sub, code, "deficit") }

// SubHolds is the holding account of a sub-merchant's payouts in flight.
func SubHolds(m asset.Mode, sub, code string) string {
	if sub == "" {
		return Holds(m, code)
	}
	return "holds:" + string(m) + ":" + sub + ":" + code
}

func subName(m asset.Mode, sub, code, part string) string {
	if sub == "" {
		return name("merchant", m, code, part)
	}
	return "merchant:" + string(m) + ":" + sub + ":" + code + ":" + part
}

// EnsureSubAccounts creates sub-merchant sub's accounts of asset code in mode that are
// missing ("" is the operator's own scope: StandardAccounts).
func EnsureSubAccounts(ctx context.Context, tx Tx, m asset.Mode, sub, code string) error {
	if sub == "" {
		return EnsureStandardAccounts(ctx, tx, m, code)
	}
	for _, a := range []Account{
		{Name: SubAvailable(m, sub, code), Asset: code, Mode: m, NonNegative: true},
		{Name: SubPending(m, sub, code), Asset: code, Mode: m, NonNegative: true},
		{Name: SubDeficit(m, sub, code), Asset: code, Mode: m},
		{Name: SubHolds(m, sub, code), Asset: code, Mode: m, NonNegative: true},
	} {
		if err := EnsureAccount(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

func walletName(m asset.Mode, wallet, code, part string) string {
	return "wallet:" + string(m) + ":" + wallet + ":" + code + ":" + part
}

// EnsureWalletAccounts creates the accounts of customer wallet id's asset code in mode
// that are missing: available, pending and held never below zero, the deficit at
// most zero (it may go negative; nothing else may).
func EnsureWalletAccounts(ctx context.Context, tx Tx, m asset.Mode, id, code string) error {
	for _, a := range []Account{
		{Name: WalletAvailable(m, id, code), Asset: code, Mode: m, NonNegative: true},
		{Name: WalletPending(m, id, code), Asset: code, Mode: m, NonNegative: true},
		{Name: WalletDeficit(m, id, code), Asset: code, Mode: m},
		{Name: WalletHeld(m, id, code), Asset: code, Mode: m, NonNegative: true},
	} {
		if err := EnsureAccount(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

func name(kind string, m asset.Mode, code, sub string) string {
	s := kind + ":" + string(m) + ":" + code
	if sub != "" {
		s += ":" + sub
	}
	return s
}

// StandardAccounts are the accounts Kassa uses for an asset in a mode. Only world and
// the merchant's deficit may go negative.
func StandardAccounts(m asset.Mode, code string) []Account {
	return []Account{
		{Name: MerchantAvailable(m, code), Asset: code, Mode: m, NonNegative: true},
		{Name: MerchantPending(m, code), Asset: code, Mode: m, NonNegative: true},
		{Name: MerchantDeficit(m, code), Asset: code, Mode: m},
		{Name: World(m, code), Asset: code, Mode: m},
		{Name: NetworkFees(m, code), Asset: code, Mode: m, NonNegative: true},
		{Name: Holds(m, code), Asset: code, Mode: m, NonNegative: true},
	}
}

const maxNameLen, maxKeyLen = 200, 255

// EnsureAccount creates a if it does not exist. It returns ErrAccountExists when an
// account of that name exists with another asset, mode or NonNegative flag.
func EnsureAccount(ctx context.Context, tx Tx, a Account) error {
	if a.Name == "" || len(a.Name) > maxNameLen || a.Asset == "" || !a.Mode.Valid() {
		return fmt.Errorf("%w: account needs a name (up to %d bytes), an asset and a mode", ErrInvalidEntry, maxNameLen)
	}
	got, err := tx.LockAccount(ctx, a.Name)
	switch {
	case errors.Is(err, ErrAccountNotFound):
		return tx.CreateAccount(ctx, a)
	case err != nil:
		return err
	case got.Asset != a.Asset || got.Mode != a.Mode || got.NonNegative != a.NonNegative:
		return fmt.Errorf("%w: %s", ErrAccountExists, a.Name)
	}
	return nil
}

// EnsureStandardAccounts creates the StandardAccounts of code in mode that are missing.
func EnsureStandardAccounts(ctx context.Context, tx Tx, m asset.Mode, code string) error {
	for _, a := range StandardAccounts(m, code) {
		if err := EnsureAccount(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// Post writes a balanced entry and updates the balances of its accounts. It returns the
// entry id. Nothing is written when it fails: ErrInvalidEntry or ErrUnbalanced for a bad
// entry, ErrAccountNotFound, ErrInsufficientFunds when a NonNegative account would go
// below zero, ErrDuplicate when the key was posted already with the same postings, and
// ErrKeyConflict when it was posted with others.
func Post(ctx context.Context, tx Tx, e Entry) (int64, error) {
	if e.Key == "" || len(e.Key) > maxKeyLen {
		return 0, fmt.Errorf("%w: key must be 1..%d bytes", ErrInvalidEntry, maxKeyLen)
	}
	if len(e.Postings) < 2 {
		return 0, fmt.Errorf("%w: an entry needs at least two postings", ErrInvalidEntry)
	}
	hash := entryHash(e.Postings)
	// A replay is answered before anything else: it must not depend on today's balances.
	if stored, ok, err := tx.EntryHash(ctx, e.Key); err != nil {
		return 0, err
	} else if ok {
		return 0, duplicate(e.Key, hash, stored)
	}
	// Lock accounts in name order so two writers on a shared database cannot deadlock.
	deltas := map[string]*big.Int{}
	for i, p := range e.Postings {
		if p.Amount == nil || p.Amount.Sign() == 0 {
			return 0, fmt.Errorf("%w: posting %d has no amount", ErrInvalidEntry, i)
		}
		d, ok := deltas[p.Account]
		if !ok {
			d = new(big.Int)
			deltas[p.Account] = d
		}
		d.Add(d, p.Amount)
	}
	names := make([]string, 0, len(deltas))
	for n := range deltas {
		names = append(names, n)
	}
	sort.Strings(names)
	perAsset := map[string]*big.Int{}
	var mode asset.Mode
	newBalance := make(map[string]*big.Int, len(names))
	for _, n := range names {
		a, err := tx.LockAccount(ctx, n)
		if err != nil {
			return 0, fmt.Errorf("%w: %s", err, n)
		}
		if mode == "" {
			mode = a.Mode
		} else if a.Mode != mode {
			return 0, fmt.Errorf("%w: entry mixes live and test accounts", ErrInvalidEntry)
		}
		sum, ok := perAsset[a.Asset]
		if !ok {
			sum = new(big.Int)
			perAsset[a.Asset] = sum
		}
		sum.Add(sum, deltas[n])
		nb := new(big.Int).Add(a.Balance, deltas[n])
		if a.NonNegative && nb.Sign() < 0 {
			return 0, fmt.Errorf("%w: %s has %s, needs %s", ErrInsufficientFunds, n, a.Balance, new(big.Int).Neg(deltas[n]))
		}
		newBalance[n] = nb
	}
	for code, sum := range perAsset {
		if sum.Sign() != 0 {
			return 0, fmt.Errorf("%w: %s is off by %s", ErrUnbalanced, code, sum)
		}
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	id, stored, err := tx.InsertEntry(ctx, EntryRecord{Key: e.Key, Hash: hash, Description: e.Description, At: at.UTC()})
	if errors.Is(err, ErrDuplicate) {
		return 0, duplicate(e.Key, hash, stored)
	}
	if err != nil {
		return 0, err
	}
	for i, p := range e.Postings {
		if err := tx.InsertPosting(ctx, id, i, Posting{Account: p.Account, Amount: new(big.Int).Set(p.Amount)}); err != nil {
			return 0, err
		}
	}
	for _, n := range names {
		if err := tx.SetBalance(ctx, n, newBalance[n]); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func duplicate(key string, hash, stored []byte) error {
	if string(stored) != string(hash) {
		return fmt.Errorf("%w: %s", ErrKeyConflict, key)
	}
	return fmt.Errorf("%w: %s", ErrDuplicate, key)
}

// entryHash is the SHA-256 of the postings in their order: "account=amount\n"...
func entryHash(ps []Posting) []byte {
	h := sha256.New()
	for _, p := range ps {
		fmt.Fprintf(h, "%s=%s\n", p.Account, p.Amount)
	}
	return h.Sum(nil)
}

// Errors of holds (storage returns ErrHoldNotFound) and of Verify.
var (
	ErrHoldNotFound = errors.New("hold not found")
	ErrHoldClosed   = errors.New("hold is already posted or voided")
	ErrInvariant    = errors.New("ledger invariant violated")
)

// PlaceHold moves amount from the account from to the holding account and records a
// pending hold with id (the caller's id, such as a payout id, so that placing it again is
// ErrDuplicate). Both accounts must hold the same asset; the holding account must be
// NonNegative.
func PlaceHold(ctx context.Context, tx Tx, id, from, holding string, amount *big.Int) error {
	if id == "" || len(id) > 200 || strings.ContainsRune(id, ':') {
		return fmt.Errorf("%w: hold id must be 1..200 bytes without ':'", ErrInvalidEntry)
	}
	if amount == nil || amount.Sign() <= 0 {
		return fmt.Errorf("%w: hold amount must be positive", ErrInvalidEntry)
	}
	if from == holding {
		return fmt.Errorf("%w: hold from and to the same account", ErrInvalidEntry)
	}
	h, err := tx.LockAccount(ctx, holding)
	if err != nil {
		return fmt.Errorf("%w: %s", err, holding)
	}
	if !h.NonNegative {
		return fmt.Errorf("%w: holding account %s may go negative", ErrInvalidEntry, holding)
	}
	if _, err := Post(ctx, tx, Entry{
		Key:         "hold:" + id,
		Description: "hold " + id,
		Postings: []Posting{
			{Account: from, Amount: new(big.Int).Neg(amount)},
			{Account: holding, Amount: new(big.Int).Set(amount)},
		},
	}); err != nil {
		return err
	}
	return tx.InsertHold(ctx, Hold{ID: id, From: from, Holding: holding, Amount: new(big.Int).Set(amount), State: HoldPending, At: time.Now().UTC()})
}

// PostHold closes a pending hold by sending legs out of the holding account (each leg a
// positive amount to an account of the same asset, such as world and network fees).
// What the legs do not use returns to the account the hold came from. The legs may not
// add up to more than the hold.
func PostHold(ctx context.Context, tx Tx, id string, legs []Posting) error {
	h, err := tx.LockHold(ctx, id)
	if err != nil {
		return err
	}
	if h.State != HoldPending {
		return fmt.Errorf("%w: %s is %s", ErrHoldClosed, id, h.State)
	}
	if len(legs) == 0 {
		return fmt.Errorf("%w: posting a hold needs at least one leg", ErrInvalidEntry)
	}
	total := new(big.Int)
	postings := []Posting{{Account: h.Holding, Amount: new(big.Int).Neg(h.Amount)}}
	for i, l := range legs {
		if l.Amount == nil || l.Amount.Sign() <= 0 {
			return fmt.Errorf("%w: leg %d must be positive", ErrInvalidEntry, i)
		}
		total.Add(total, l.Amount)
		postings = append(postings, Posting{Account: l.Account, Amount: new(big.Int).Set(l.Amount)})
	}
	switch rest := new(big.Int).Sub(h.Amount, total); rest.Sign() {
	case -1:
		return fmt.Errorf("%w: legs total %s exceeds hold %s", ErrInsufficientFunds, total, h.Amount)
	case 1:
		postings = append(postings, Posting{Account: h.From, Amount: rest})
	}
	if _, err := Post(ctx, tx, Entry{Key: "hold:" + id + ":close", Description: "post hold " + id, Postings: postings}); err != nil {
		return err
	}
	return tx.SetHoldState(ctx, id, HoldPosted, time.Now().UTC())
}

// VoidHold closes a pending hold by returning all of it to the account it came from.
func VoidHold(ctx context.Context, tx Tx, id string) error {
	h, err := tx.LockHold(ctx, id)
	if err != nil {
		return err
	}
	if h.State != HoldPending {
		return fmt.Errorf("%w: %s is %s", ErrHoldClosed, id, h.State)
	}
	if _, err := Post(ctx, tx, Entry{Key: "hold:" + id + ":close", Description: "void hold " + id, Postings: []Posting{
		{Account: h.Holding, Amount: new(big.Int).Neg(h.Amount)},
		{Account: h.From, Amount: new(big.Int).Set(h.Amount)},
	}}); err != nil {
		return err
	}
	return tx.SetHoldState(ctx, id, HoldVoided, time.Now().UTC())
}

// Verify recomputes the ledger from its postings and checks that every entry balances
// per asset, that every materialised balance equals the sum of its postings, that no
// NonNegative account is below zero, and that every holding account holds exactly its
// pending holds. It returns nil or an error wrapping ErrInvariant that lists every
// violation.
func Verify(ctx context.Context, r Reader) error {
	accounts, err := r.Accounts(ctx)
	if err != nil {
		return err
	}
	byName := make(map[string]Account, len(accounts))
	for _, a := range accounts {
		byName[a.Name] = a
	}
	var problems []string
	sums := map[string]*big.Int{}
	cur, entrySum := int64(-1), map[string]*big.Int{}
	flush := func() {
		for code, s := range entrySum {
			if s.Sign() != 0 {
				problems = append(problems, fmt.Sprintf("entry %d: %s does not balance (off by %s)", cur, code, s))
			}
		}
		clear(entrySum)
	}
	err = r.ForEachPosting(ctx, func(entry int64, p Posting) error {
		if entry != cur {
			flush()
			cur = entry
		}
		a, ok := byName[p.Account]
		if !ok {
			problems = append(problems, fmt.Sprintf("entry %d: posting to unknown account %s", entry, p.Account))
			return nil
		}
		add(sums, p.Account, p.Amount)
		add(entrySum, a.Asset, p.Amount)
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	held, holding := map[string]*big.Int{}, map[string]bool{}
	holds, err := r.Holds(ctx, "")
	if err != nil {
		return err
	}
	for _, h := range holds {
		holding[h.Holding] = true
		if h.State == HoldPending {
			add(held, h.Holding, h.Amount)
		}
	}
	for _, a := range accounts {
		want := sums[a.Name]
		if want == nil {
			want = new(big.Int)
		}
		if a.Balance.Cmp(want) != 0 {
			problems = append(problems, fmt.Sprintf("%s: balance %s, postings sum to %s", a.Name, a.Balance, want))
		}
		if a.NonNegative && a.Balance.Sign() < 0 {
			problems = append(problems, fmt.Sprintf("%s: negative balance %s", a.Name, a.Balance))
		}
		if holding[a.Name] || strings.HasPrefix(a.Name, "holds:") {
			h := held[a.Name]
			if h == nil {
				h = new(big.Int)
			}
			if h.Cmp(a.Balance) != 0 {
				problems = append(problems, fmt.Sprintf("%s: balance %s, pending holds %s", a.Name, a.Balance, h))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%w:\n  %s", ErrInvariant, strings.Join(problems, "\n  "))
	}
	return nil
}

func add(m map[string]*big.Int, k string, v *big.Int) {
	s, ok := m[k]
	if !ok {
		s = new(big.Int)
		m[k] = s
	}
	s.Add(s, v)
}

// ReopenHold books that money a posted hold sent out never left: the transaction that
// paid it was double-spent away, so the payment is to be made again. The legs the
// hold was posted with come back from the accounts they went to into the holding
// account, as a new pending hold id of their sum from the same account; posted stays
// posted. What the first posting returned to the account (an over-reserved estimate)
// stays there.
func ReopenHold(ctx context.Context, tx Tx, posted, id string, legs []Posting) error {
	h, err := tx.LockHold(ctx, posted)
	if err != nil {
		return err
	}
	if h.State != HoldPosted {
		return fmt.Errorf("%w: %s is %s, not posted", ErrHoldClosed, posted, h.State)
	}
	total := new(big.Int)
	var postings []Posting
	for i, l := range legs {
		if l.Amount == nil || l.Amount.Sign() <= 0 {
			return fmt.Errorf("%w: leg %d must be positive", ErrInvalidEntry, i)
		}
		total.Add(total, l.Amount)
		postings = append(postings, Posting{Account: l.Account, Amount: new(big.Int).Neg(l.Amount)})
	}
	if total.Sign() == 0 || total.Cmp(h.Amount) > 0 {
		return fmt.Errorf("%w: legs total %s, hold %s was %s", ErrInvalidEntry, total, posted, h.Amount)
	}
	postings = append(postings, Posting{Account: h.Holding, Amount: total})
	if _, err := Post(ctx, tx, Entry{Key: "hold:" + id, Description: "reopen hold " + posted + " as " + id, Postings: postings}); err != nil {
		return err
	}
	return tx.InsertHold(ctx, Hold{ID: id, From: h.From, Holding: h.Holding, Amount: total, State: HoldPending, At: time.Now().UTC()})
}

// MoveHold closes the pending hold posted as voided and opens id with the same amount
// from the same account, in one transaction (the money never leaves the holding
// account's side: the void returns it, the new hold takes it again).
func MoveHold(ctx context.Context, tx Tx, from, id string) error {
	h, err := tx.LockHold(ctx, from)
	if err != nil {
		return err
	}
	if err := VoidHold(ctx, tx, from); err != nil {
		return err
	}
	return PlaceHold(ctx, tx, id, h.From, h.Holding, h.Amount)
}
