package asset

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"

	"github.com/shopspring/decimal"
)

// Amount errors. Each reads as a sentence after a field name.
var (
	ErrInvalidAmount  = errors.New("is not a decimal number")
	ErrNegativeAmount = errors.New("must not be negative")
	ErrZeroAmount     = errors.New("must be greater than 0")
	ErrTooPrecise     = errors.New("has more decimal places than the asset allows")
	ErrAmountTooLarge = errors.New("is too large")
)

// maxAmountLen bounds the text of an amount: 78 digits hold any int256, plus sign,
// point and exponent.
const maxAmountLen = 100

// amountSyntax is the only form ParseAmount accepts: an optional minus sign, digits, an
// optional fraction and an optional exponent of at most three digits (JSON numbers may
// use one). No "+", no spaces, no hex, no NaN or Infinity, no leading or trailing point.
var amountSyntax = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$`)

// maxInt256 is 2^255 - 1, the largest base-unit amount Kassa accepts (EVM uint256
// values beyond it are not money anyone holds).
var maxInt256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))

// ParseAmount parses a decimal amount written as text or as a JSON number. It never goes
// through float64. The result is not yet checked against an asset's decimals: use
// ToBaseUnits or Asset.ParseAmount for that.
func ParseAmount(s string) (decimal.Decimal, error) {
	if len(s) == 0 || len(s) > maxAmountLen || !amountSyntax.MatchString(s) {
		return decimal.Decimal{}, ErrInvalidAmount
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, ErrInvalidAmount
	}
	// 10^80 is beyond any int256 amount of any asset: refuse before anyone multiplies
	// it. (The syntax bounds the exponent to three digits, so this Cmp is cheap.)
	if v.Abs().Cmp(decimal.New(1, 80)) >= 0 {
		return decimal.Decimal{}, ErrAmountTooLarge
	}
	return v, nil
}

// ToBaseUnits converts amount into integer base units of an asset with decimals,
// exactly. It returns ErrTooPrecise when amount has more significant fractional digits
// than decimals (it never rounds) and ErrAmountTooLarge when the result does not fit in
// a signed 256-bit integer. Negative amounts convert to negative base units.
func ToBaseUnits(amount decimal.Decimal, decimals int32) (*big.Int, error) {
	if decimals < 0 || decimals > 30 {
		return nil, fmt.Errorf("asset decimals %d out of range", decimals)
	}
	coef := amount.Coefficient()
	if coef.Sign() == 0 {
		return new(big.Int), nil
	}
	// Work on coefficient and exponent so that neither a huge nor a tiny exponent can
	// make us allocate 10^exponent: an amount of 10^80 or more is refused first, and a
	// fraction finer than the coefficient has digits cannot be whole base units.
	digits := int64(len(new(big.Int).Abs(coef).String()))
	if digits+int64(amount.Exponent()) > 80 {
		return nil, ErrAmountTooLarge
	}
	exp := int64(amount.Exponent()) + int64(decimals)
	b := new(big.Int)
	if exp >= 0 {
		b.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
	} else {
		if -exp > digits {
			return nil, ErrTooPrecise
		}
		var rem big.Int
		b.QuoRem(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp), nil), &rem)
		if rem.Sign() != 0 {
			return nil, ErrTooPrecise
		}
	}
	if b.CmpAbs(maxInt256) > 0 {
		return nil, ErrAmountTooLarge
	}
	return b, nil
}

// FromBaseUnits converts integer base units into a decimal amount of an asset with
// decimals. It is exact and never fails.
func FromBaseUnits(units *big.Int, decimals int32) decimal.Decimal {
	return decimal.NewFromBigInt(units, -decimals)
}

// RoundUp rounds amount toward positive infinity at decimals places. It is the one
// rounding rule for quotes: a price converted into a crypto amount due is rounded up, so
// the merchant never receives less than the price at the locked rate.
func RoundUp(amount decimal.Decimal, decimals int32) decimal.Decimal {
	return amount.RoundCeil(decimals)
}

// ToBaseUnits converts amount into this asset's base units (see the package function).
func (a Asset) ToBaseUnits(amount decimal.Decimal) (*big.Int, error) {
	return ToBaseUnits(amount, a.Decimals)
}

// FromBaseUnits converts base units of this asset into a decimal amount.
func (a Asset) FromBaseUnits(units *big.Int) decimal.Decimal {
	return FromBaseUnits(units, a.Decimals)
}

// ParsePositive parses s as an amount of this asset that must be greater than zero and
// fit the asset's decimals; it returns the amount and its base units.
func (a Asset) ParsePositive(s string) (decimal.Decimal, *big.Int, error) {
	v, err := ParseAmount(s)
	if err != nil {
		return decimal.Decimal{}, nil, err
	}
	return a.CheckPositive(v)
}

// CheckPositive checks that v is greater than zero and fits the asset's decimals, and
// returns it with its base units.
func (a Asset) CheckPositive(v decimal.Decimal) (decimal.Decimal, *big.Int, error) {
	switch v.Sign() {
	case -1:
		return decimal.Decimal{}, nil, ErrNegativeAmount
	case 0:
		return decimal.Decimal{}, nil, ErrZeroAmount
	}
	units, err := a.ToBaseUnits(v)
	if err != nil {
		return decimal.Decimal{}, nil, err
	}
	return a.FromBaseUnits(units), units, nil
}

// DivRoundUp returns a / b rounded toward positive infinity at decimals places, exactly:
// the quotient is computed on the integer coefficients, so no intermediate rounding can
// make the result one unit too small. b must not be zero. It is how a price becomes a
// crypto amount due: price / rate, rounded up.
func DivRoundUp(a, b decimal.Decimal, decimals int32) decimal.Decimal {
	if b.IsZero() {
		panic("asset.DivRoundUp: division by zero")
	}
	return divExact(a, b, decimals, true)
}

// DivRoundDown returns a / b rounded toward negative infinity at decimals places,
// exactly like DivRoundUp: no intermediate rounding can make it one unit too large. b
// must not be zero. It is how a refund becomes crypto: never more than owed.
func DivRoundDown(a, b decimal.Decimal, decimals int32) decimal.Decimal {
	if b.IsZero() {
		panic("asset.DivRoundDown: division by zero")
	}
	return divExact(a, b, decimals, false)
}

// divExact is a / b at decimals places, rounded up or down, on the integer
// coefficients.
func divExact(a, b decimal.Decimal, decimals int32, up bool) decimal.Decimal {
	// a/b * 10^d = ca*10^ea / (cb*10^eb) * 10^d = ca * 10^(ea+d-eb) / cb
	num, den := new(big.Int).Set(a.Coefficient()), new(big.Int).Set(b.Coefficient())
	k := int64(a.Exponent()) + int64(decimals) - int64(b.Exponent())
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(k)), nil)
	if k >= 0 {
		num.Mul(num, pow)
	} else {
		den.Mul(den, pow)
	}
	if den.Sign() < 0 {
		num.Neg(num)
		den.Neg(den)
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated toward zero
	switch {
	case up && r.Sign() > 0: // the true quotient is above q
		q.Add(q, big.NewInt(1))
	case !up && r.Sign() < 0: // the true quotient is below q
		q.Sub(q, big.NewInt(1))
	}
	return decimal.NewFromBigInt(q, -decimals)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
