package httphandler

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// Every language has every text, and the formats name what was received and what was
// due, each once.
func TestLanguages_AreComplete(t *testing.T) {
	for code, tx := range languages {
		if tx.Lang != code {
			t.Errorf("%s: Lang is %q", code, tx.Lang)
		}
		v := reflect.ValueOf(tx)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", code, v.Type().Field(i).Name)
			}
		}
		for _, f := range []string{tx.ExpiredPartial, tx.Overpaid} {
			if strings.Count(f, "%[1]s") != 1 || strings.Count(f, "%[2]s") != 1 || strings.Count(f, "%") != 2 {
				t.Errorf("%s: format %q", code, f)
			}
		}
		if got := language(code + ";q=0.8, xx"); got.Lang != code {
			t.Errorf("Accept-Language %s chose %s", code, got.Lang)
		}
	}
	if len(languages) < 4 {
		t.Errorf("%d languages", len(languages))
	}
}

// Amounts on the page are padded to the fiat currency's minor units and never rounded:
// a received 24.995 USD is not shown as 25.00 (it would hide an underpayment), a rate
// keeps its digits.
func TestDigits_PadButNeverRound(t *testing.T) {
	for _, c := range []struct{ amount, currency, want string }{
		{"25", "USD", "25.00"}, {"25.5", "EUR", "25.50"}, {"3000", "JPY", "3000"},
		{"24.995", "USD", "24.995"}, {"65000.123456", "USD", "65000.123456"}, {"2999.5", "JPY", "2999.5"},
		{"0.0015", "BTC", "0.0015"}, {"15", "USDT", "15"},
	} {
		if got := digits(decimal.RequireFromString(c.amount), c.currency); got != c.want {
			t.Errorf("digits(%s %s) = %s, want %s", c.amount, c.currency, got, c.want)
		}
	}
}
