package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
)

// BookNetworkFee books a network fee that no payout's hold covers (the gas of a sweep,
// a gas top-up or a reverted payout): from the merchant's available coin, or, when
// that is short (coin the operator put into the hot wallet by hand, which the ledger
// never saw), from the world. key makes it idempotent: a fee booked again is booked
// once.
func BookNetworkFee(ctx context.Context, tx Tx, m asset.Mode, code string, amount *big.Int, key, description string) error {
	if amount == nil || amount.Sign() <= 0 {
		return nil
	}
	if err := EnsureStandardAccounts(ctx, tx, m, code); err != nil {
		return err
	}
	entry := func(from string) Entry {
		return Entry{Key: key, Description: description, Postings: []Posting{
			{Account: from, Amount: new(big.Int).Neg(amount)},
			{Account: NetworkFees(m, code), Amount: new(big.Int).Set(amount)},
		}}
	}
	_, err := Post(ctx, tx, entry(MerchantAvailable(m, code)))
	if errors.Is(err, ErrInsufficientFunds) {
		_, err = Post(ctx, tx, entry(World(m, code)))
	}
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}

// BookFee books a network fee o owes (a payout's fee above its estimate, the gas of
// its reverted transaction). The operator's own (the zero Owner) is BookNetworkFee's:
// from available, else from the world. A sub-merchant or a customer wallet pays from
// its own available balance, and what that lacks goes on its own deficit, which its
// next money covers first: never on the operator's balance or the world's. Booking
// key twice books it once.
func BookFee(ctx context.Context, tx Tx, o Owner, m asset.Mode, code string, amount *big.Int, key, description string) error {
	if o == (Owner{}) {
		return BookNetworkFee(ctx, tx, m, code, amount, key, description)
	}
	if amount == nil || amount.Sign() <= 0 {
		return nil
	}
	if _, done, err := tx.EntryHash(ctx, key); err != nil || done {
		return err // booked already (with the balances of then)
	}
	if err := o.ensure(ctx, tx, m, code); err != nil {
		return err
	}
	avail, err := tx.LockAccount(ctx, o.Available(m, code))
	if err != nil {
		return err
	}
	take := new(big.Int).Set(amount)
	if avail.Balance.Cmp(take) < 0 {
		take.Set(avail.Balance)
	}
	_, err = Post(ctx, tx, Entry{Key: key, Description: description, Postings: nonZero([]Posting{
		{Account: o.Available(m, code), Amount: new(big.Int).Neg(take)},
		{Account: o.Deficit(m, code), Amount: new(big.Int).Sub(take, amount)},
		{Account: NetworkFees(m, code), Amount: new(big.Int).Set(amount)},
	})})
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}

// BookOwedFee books a network fee the merchant owes even before it has the money:
// what available holds pays it, the rest goes on the merchant's deficit, which the
// next money to become available covers first (MoveDeposit). A CPFP child is paid
// from the payment it hurries, which is not available yet. Booking key twice books it
// once.
func BookOwedFee(ctx context.Context, tx Tx, m asset.Mode, code string, amount *big.Int, key, description string) error {
	if amount == nil || amount.Sign() <= 0 {
		return nil
	}
	if err := EnsureStandardAccounts(ctx, tx, m, code); err != nil {
		return err
	}
	avail, err := tx.LockAccount(ctx, MerchantAvailable(m, code))
	if err != nil {
		return err
	}
	take := new(big.Int).Set(amount)
	if avail.Balance.Cmp(take) < 0 {
		take.Set(avail.Balance)
	}
	short := new(big.Int).Sub(amount, take)
	_, err = Post(ctx, tx, Entry{Key: key, Description: description, Postings: nonZero([]Posting{
		{Account: MerchantAvailable(m, code), Amount: new(big.Int).Neg(take)},
		{Account: MerchantDeficit(m, code), Amount: new(big.Int).Neg(short)},
		{Account: NetworkFees(m, code), Amount: new(big.Int).Set(amount)},
	})})
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}

// Place is where a chain transfer's money is booked.
type Place string

const (
	InWorld     Place = "none"      // not the merchant's (not seen, or taken back)
	InPending   Place = "pending"   // seen, not confirmed enough
	InAvailable Place = "available" // confirmed
)

func (p Place) account(o Owner, m asset.Mode, code string) string {
	switch p {
	case InPending:
		return o.Pending(m, code)
	case InAvailable:
		return o.Available(m, code)
	}
	return World(m, code)
}

// Owner is whose balance a chain transfer's money is booked on: the operator's own
// (the zero Owner), a sub-merchant's (package submerchant), or one customer wallet's
// (package wallet), each with its own accounts. A wallet's accounts are its own
// whichever sub-merchant it belongs to.
type Owner struct {
	Wallet string // a wallet id; "" for a merchant
	Sub    string // a sub-merchant id; "" for the operator's own scope
}

// Available is the owner's account of confirmed money.
func (o Owner) Available(m asset.Mode, code string) string {
	if o.Wallet != "" {
		return WalletAvailable(m, o.Wallet, code)
	}
	return SubAvailable(m, o.Sub, code)
}

// Pending is the owner's account of detected, unconfirmed money.
func (o Owner) Pending(m asset.Mode, code string) string {
	if o.Wallet != "" {
		return WalletPending(m, o.Wallet, code)
	}
	return SubPending(m, o.Sub, code)
}

// Deficit is the owner's account of money a reorg took back after it was spent.
func (o Owner) Deficit(m asset.Mode, code string) string {
	if o.Wallet != "" {
		return WalletDeficit(m, o.Wallet, code)
	}
	return SubDeficit(m, o.Sub, code)
}

// Holds is the holding account of o's payouts in flight.
func (o Owner) Holds(m asset.Mode, code string) string {
	if o.Wallet != "" {
		return WalletHeld(m, o.Wallet, code)
	}
	return SubHolds(m, o.Sub, code)
}

// ensure creates the accounts MoveDeposit books on for o.
func (o Owner) ensure(ctx context.Context, tx Tx, m asset.Mode, code string) error {
	if err := EnsureStandardAccounts(ctx, tx, m, code); err != nil {
		return err
	}
	if o.Wallet != "" {
		return EnsureWalletAccounts(ctx, tx, m, o.Wallet, code)
	}
	return EnsureSubAccounts(ctx, tx, m, o.Sub, code)
}

// MoveDeposit moves amount of a chain transfer's money from where it was booked to
// where it now belongs, in one entry keyed by key (unique per move: the caller counts
// the moves of each transfer). Money taken back from available that is no longer
// there (a reorg or a double-spend after it was paid out) is booked anyway: what is
// missing goes on the merchant's deficit, and the shortfall is returned (zero
// otherwise), so the ledger always says what the chain says. Money that becomes
// available covers a deficit first. The money is o's: the merchant's, or a customer
// wallet's, each with its own available, pending and deficit accounts.
func MoveDeposit(ctx context.Context, tx Tx, o Owner, m asset.Mode, code, key, description string, from, to Place, amount *big.Int) (*big.Int, error) {
	short := new(big.Int)
	if from == to || amount.Sign() <= 0 {
		return short, nil
	}
	if err := o.ensure(ctx, tx, m, code); err != nil {
		return nil, err
	}
	postings := []Posting{{Account: to.account(o, m, code), Amount: new(big.Int).Set(amount)}}
	take := new(big.Int).Set(amount)
	if from == InAvailable {
		avail, err := tx.LockAccount(ctx, o.Available(m, code))
		if err != nil {
			return nil, err
		}
		if avail.Balance.Cmp(amount) < 0 {
			take = new(big.Int).Set(avail.Balance)
			short.Sub(amount, take)
			postings = append(postings, Posting{Account: o.Deficit(m, code), Amount: new(big.Int).Neg(short)})
		}
	}
	if take.Sign() > 0 {
		postings = append(postings, Posting{Account: from.account(o, m, code), Amount: new(big.Int).Neg(take)})
	}
	if to == InAvailable {
		// Cover a deficit first: the merchant owes it.
		def, err := tx.LockAccount(ctx, o.Deficit(m, code))
		if err != nil {
			return nil, err
		}
		if def.Balance.Sign() < 0 {
			cover := new(big.Int).Neg(def.Balance)
			if cover.Cmp(amount) > 0 {
				cover.Set(amount)
			}
			postings[0].Amount.Sub(postings[0].Amount, cover)
			postings = append(postings, Posting{Account: o.Deficit(m, code), Amount: cover})
		}
	}
	_, err := Post(ctx, tx, Entry{Key: key, Description: description, Postings: nonZero(postings)})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return nil, err
	}
	return short, nil
}

// nonZero drops postings of zero (an entry may not have them).
func nonZero(ps []Posting) []Posting {
	out := ps[:0]
	for _, p := range ps {
		if p.Amount.Sign() != 0 {
			out = append(out, p)
		}
	}
	return out
}

// MerchantBalances are the merchant's balances of one asset in one mode, in base units.
type MerchantBalances struct {
	Available *big.Int // confirmed, can be paid out
	Pending   *big.Int // detected, awaiting confirmations
	Held      *big.Int // reserved by payouts in flight
	// Deficit is what a reorg took back after it was spent: zero or negative.
	Deficit *big.Int
}

// Merchant reads the operator's own balances of asset code in mode; accounts never
// used read as zero.
func Merchant(ctx context.Context, r Reader, m asset.Mode, code string) (MerchantBalances, error) {
	return Balances(ctx, r, Owner{}, m, code)
}

// Balances reads o's balances of asset code in mode; accounts never used read as zero.
func Balances(ctx context.Context, r Reader, o Owner, m asset.Mode, code string) (MerchantBalances, error) {
	b := MerchantBalances{}
	for name, dst := range map[string]**big.Int{
		o.Available(m, code): &b.Available,
		o.Pending(m, code):   &b.Pending,
		o.Holds(m, code):     &b.Held,
		o.Deficit(m, code):   &b.Deficit,
	} {
		acct, err := r.Account(ctx, name)
		switch {
		case errors.Is(err, ErrAccountNotFound):
			*dst = new(big.Int)
		case err != nil:
			return MerchantBalances{}, err
		default:
			*dst = acct.Balance
		}
	}
	return b, nil
}

// Exchange is the account of the operator's exchange in asset code: a conversion
// (package conversion) sends the from asset to it and takes the to asset from it. It
// may go negative, like World: its balance is what the exchange was given, net of
// what it gave back.
func Exchange(m asset.Mode, code string) string { return name("exchange", m, code, "") }

// ConversionFees accumulates the fees exchanges reported on conversions, in the asset
// converted to.
func ConversionFees(m asset.Mode, code string) string { return name("fees", m, code, "conversion") }

// ensureExchange creates the exchange and conversion fee accounts of code in mode.
func ensureExchange(ctx context.Context, tx Tx, m asset.Mode, code string) error {
	if err := EnsureAccount(ctx, tx, Account{Name: Exchange(m, code), Asset: code, Mode: m}); err != nil {
		return err
	}
	return EnsureAccount(ctx, tx, Account{Name: ConversionFees(m, code), Asset: code, Mode: m, NonNegative: true})
}

// HoldConversion places the hold of a conversion: amount of asset from, taken from o's
// available money into o's holding account, as pending hold id (the conversion's id).
// It fails with ErrInsufficientFunds, writing nothing, when o owes a deficit of from
// (a reorg took back money it had spent: payouts wait too), or when o's available balance does
// not cover amount, and with ErrDuplicate when the hold was placed already.
func HoldConversion(ctx context.Context, tx Tx, o Owner, m asset.Mode, id, from string, amount *big.Int) error {
	if o.Wallet != "" {
		return fmt.Errorf("%w: a conversion is a merchant's, not a wallet's", ErrInvalidEntry)
	}
	if err := o.ensure(ctx, tx, m, from); err != nil {
		return err
	}
	// A deficit (a reorg took back money already spent) is owed first: what is
	// available is not the merchant's to convert while it is there, as payouts wait.
	def, err := tx.LockAccount(ctx, o.Deficit(m, from))
	if err != nil {
		return err
	}
	if def.Balance.Sign() < 0 {
		return fmt.Errorf("%w: a deficit of %s is owed first", ErrInsufficientFunds, new(big.Int).Neg(def.Balance))
	}
	return PlaceHold(ctx, tx, id, o.Available(m, from), o.Holds(m, from), amount)
}

// PostConversion closes the pending hold id of a conversion by booking both of its
// legs in one entry (keyed "hold:<id>:close", as PostHold's): all of the hold goes to
// the exchange account of its asset, and received of asset to comes from the exchange
// account of to into o's available money (covering o's deficit of to first, as
// MoveDeposit does), with fee (what the exchange reported it kept, in to; zero for
// none) to the conversion fee account. received must be positive and fee not
// negative. A hold closed already returns ErrHoldClosed and writes nothing, so a
// conversion is booked once however often it is finished.
func PostConversion(ctx context.Context, tx Tx, o Owner, m asset.Mode, id, to string, received, fee *big.Int) error {
	if received == nil || received.Sign() <= 0 || fee == nil || fee.Sign() < 0 {
		return fmt.Errorf("%w: a conversion receives a positive amount and a fee of zero or more", ErrInvalidEntry)
	}
	h, err := tx.LockHold(ctx, id)
	if err != nil {
		return err
	}
	if h.State != HoldPending {
		return fmt.Errorf("%w: %s is %s", ErrHoldClosed, id, h.State)
	}
	held, err := tx.LockAccount(ctx, h.Holding)
	if err != nil {
		return err
	}
	from := held.Asset
	if h.Holding != o.Holds(m, from) {
		return fmt.Errorf("%w: hold %s is not %s's", ErrInvalidEntry, id, o.Holds(m, from))
	}
	if from == to {
		return fmt.Errorf("%w: a conversion from %s to itself", ErrInvalidEntry, to)
	}
	if held.Mode != m {
		return fmt.Errorf("%w: hold %s is of %s mode", ErrInvalidEntry, id, held.Mode)
	}
	for _, code := range []string{from, to} {
		if err := ensureExchange(ctx, tx, m, code); err != nil {
			return err
		}
	}
	if err := o.ensure(ctx, tx, m, to); err != nil {
		return err
	}
	gross := new(big.Int).Add(received, fee)
	credit := new(big.Int).Set(received)
	postings := []Posting{
		{Account: h.Holding, Amount: new(big.Int).Neg(h.Amount)},
		{Account: Exchange(m, from), Amount: new(big.Int).Set(h.Amount)},
		{Account: Exchange(m, to), Amount: new(big.Int).Neg(gross)},
	}
	def, err := tx.LockAccount(ctx, o.Deficit(m, to))
	if err != nil {
		return err
	}
	if def.Balance.Sign() < 0 {
		cover := new(big.Int).Neg(def.Balance)
		if cover.Cmp(credit) > 0 {
			cover.Set(credit)
		}
		credit.Sub(credit, cover)
		postings = append(postings, Posting{Account: o.Deficit(m, to), Amount: cover})
	}
	postings = append(postings, Posting{Account: o.Available(m, to), Amount: credit},
		Posting{Account: ConversionFees(m, to), Amount: new(big.Int).Set(fee)})
	if _, err := Post(ctx, tx, Entry{Key: "hold:" + id + ":close", Description: "conversion " + id, Postings: nonZero(postings)}); err != nil {
		return err
	}
	return tx.SetHoldState(ctx, id, HoldPosted, time.Now().UTC())
}

// Collect moves amount of asset code from customer wallet wallet's available balance
// to owner o's (a merchant's: the operator's own or a sub-merchant's), in one entry
// keyed by key: a subscription period paid from the customer's wallet. Money that
// reaches o covers o's deficit first, as a deposit's does. A wallet that lacks amount
// returns ErrInsufficientFunds and nothing is written; posting key again is a no-op
// (ErrDuplicate is not returned), so a retried period is collected once.
func Collect(ctx context.Context, tx Tx, wallet string, o Owner, m asset.Mode, code string, amount *big.Int, key, description string) error {
	if wallet == "" || o.Wallet != "" {
		return fmt.Errorf("%w: collect from a wallet to a merchant", ErrInvalidEntry)
	}
	if amount == nil || amount.Sign() <= 0 {
		return fmt.Errorf("%w: collect a positive amount", ErrInvalidEntry)
	}
	// Collected already: what a deficit took may differ now, the entry may not.
	if _, done, err := tx.EntryHash(ctx, key); err != nil || done {
		return err
	}
	if err := (Owner{Wallet: wallet}).ensure(ctx, tx, m, code); err != nil {
		return err
	}
	if err := o.ensure(ctx, tx, m, code); err != nil {
		return err
	}
	postings := []Posting{
		{Account: WalletAvailable(m, wallet, code), Amount: new(big.Int).Neg(amount)},
		{Account: o.Available(m, code), Amount: new(big.Int).Set(amount)},
	}
	def, err := tx.LockAccount(ctx, o.Deficit(m, code))
	if err != nil {
		return err
	}
	if def.Balance.Sign() < 0 {
		cover := new(big.Int).Neg(def.Balance)
		if cover.Cmp(amount) > 0 {
			cover.Set(amount)
		}
		postings[1].Amount.Sub(postings[1].Amount, cover)
		postings = append(postings, Posting{Account: o.Deficit(m, code), Amount: cover})
	}
	_, err = Post(ctx, tx, Entry{Key: key, Description: description, Postings: nonZero(postings)})
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}
