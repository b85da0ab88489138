package conversion

import (
	"context"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

// Rater prices one currency in another (a *rates.Cache).
type Rater interface {
	Rate(ctx context.Context, base, quote string) (rates.Rate, error)
}

// Rated is the Exchanger of test mode when the operator configures none: it converts
// at the Gateway's rates (Rater: the Rates cache, kassatest's fixed prices), keeps no
// fee, and completes at once, so sandboxes can convert. It moves no coins anywhere:
// the test balances change in the ledger only. Received is Amount times the rate,
// rounded down (toward zero) to To's decimals: the merchant never gets more than the
// rate gives. A conversion it cannot price (no rate, a stale one, or an amount worth
// less than one base unit of To) is refused (ErrRefused): it fails, the hold void.
//
// It is idempotent by Request.ID in the only way that matters for it: it keeps no
// state, and asked again later it answers at the rate of then.
type Rated struct {
	Rates  Rater
	Assets *asset.Registry
}

// Convert implements Exchanger.
func (x Rated) Convert(ctx context.Context, r Request) (Result, error) {
	from, err := x.Assets.Get(r.From)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	to, err := x.Assets.Get(r.To)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	rate, err := x.Rates.Rate(ctx, from.Currency, to.Currency)
	if err != nil {
		return Result{}, fmt.Errorf("%w: no rate for %s/%s: %v", ErrRefused, from.Currency, to.Currency, err)
	}
	received := RoundReceived(r.Amount.Mul(rate.Value), to.Decimals)
	if !received.IsPositive() {
		return Result{}, fmt.Errorf("%w: %s %s is worth less than the smallest unit of %s", ErrRefused, r.Amount, r.From, r.To)
	}
	return Result{Status: StatusCompleted, Rate: rate.Value, Received: received, Fee: decimal.Zero}, nil
}

// RoundReceived is the one rounding rule of what a conversion or a price estimate
// gives: amount rounded down (toward zero) at decimals places, so no one is promised
// or credited more than the rate gives.
func RoundReceived(amount decimal.Decimal, decimals int32) decimal.Decimal {
	return amount.RoundDown(decimals)
}
