package asset

import (
	"fmt"
	"strings"
)

// Fiat is a pricing currency with its minor units (2 for USD cents, 0 for JPY).
type Fiat struct {
	Code       string
	MinorUnits int32
}

// fiats are the pricing currencies of the Crypto.com Pay list, with the smallest unit
// that list gives (which is why IDR and COP keep 2 here).
var fiats = []Fiat{
	{"USD", 2}, {"EUR", 2}, {"AUD", 2}, {"CAD", 2}, {"GBP", 2}, {"BGN", 2}, {"BRL", 2},
	{"CHF", 2}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"DKK", 2}, {"HKD", 2}, {"IDR", 2},
	{"INR", 2}, {"JPY", 0}, {"KRW", 0}, {"MDL", 2}, {"MOP", 2}, {"MXN", 2}, {"MYR", 2},
	{"NOK", 2}, {"PHP", 2}, {"RON", 2}, {"RUB", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2},
	{"THB", 2}, {"TRY", 2}, {"TWD", 2}, {"UAH", 2}, {"ZAR", 2},
}

// Fiats returns every supported fiat pricing currency.
func Fiats() []Fiat { return append([]Fiat(nil), fiats...) }

// ParseFiat returns the fiat currency with the ISO code (case-insensitive).
func ParseFiat(code string) (Fiat, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	for _, f := range fiats {
		if f.Code == c {
			return f, nil
		}
	}
	return Fiat{}, fmt.Errorf("%w: %q", ErrUnknownFiat, code)
}

// IsFiat reports whether code is a supported fiat pricing currency.
func IsFiat(code string) bool {
	_, err := ParseFiat(code)
	return err == nil
}
