package ledger

import (
	"context"
	"errors"
	"math/big"

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

// MerchantBalances are the merchant's balances of one asset in one mode, in base units.
type MerchantBalances struct {
	Available *big.Int // confirmed, can be paid out
	Pending   *big.Int // detected, awaiting confirmations
	Held      *big.Int // reserved by payouts in flight
}

// Merchant reads the merchant's balances of asset code in mode; accounts never used
// read as zero.
func Merchant(ctx context.Context, r Reader, m asset.Mode, code string) (MerchantBalances, error) {
	b := MerchantBalances{}
	for name, dst := range map[string]**big.Int{
		MerchantAvailable(m, code): &b.Available,
		MerchantPending(m, code):   &b.Pending,
		Holds(m, code):             &b.Held,
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
