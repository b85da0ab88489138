package asset_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/shopspring/decimal"
)

// decCase is an amount, a number of decimals and the expected result.
type decCase struct {
	amount   string
	decimals int32
	want     string
}

func TestToBaseUnits_Exact(t *testing.T) {
	cases := []decCase{
		{"1", 8, "100000000"},
		{"0.00000001", 8, "1"},
		{"21000000", 8, "2100000000000000"},
		{"100.50", 6, "100500000"},
		{"1.5", 18, "1500000000000000000"},
		{"0.000000000000000001", 18, "1"},
		{"1.10000000000000000000000", 2, "110"}, // trailing zeros are not precision
		{"-2.5", 6, "-2500000"},
		{"0", 18, "0"},
		{"1e2", 0, "100"},
		{"12e-2", 2, "12"},
		{"10000", 0, "10000"},
	}
	for _, c := range cases {
		v, err := asset.ParseAmount(c.amount)
		if err != nil {
			t.Fatalf("ParseAmount(%s): %v", c.amount, err)
		}
		got, err := asset.ToBaseUnits(v, c.decimals)
		if err != nil {
			t.Fatalf("ToBaseUnits(%s, %d): %v", c.amount, c.decimals, err)
		}
		if got.String() != c.want {
			t.Errorf("ToBaseUnits(%s, %d) = %s, want %s", c.amount, c.decimals, got, c.want)
		}
		back := asset.FromBaseUnits(got, c.decimals)
		if !back.Equal(v) {
			t.Errorf("FromBaseUnits(%s) = %s, want %s", got, back, v)
		}
	}
}

func TestToBaseUnits_RejectsOverPreciseAndHuge(t *testing.T) {
	cases := []struct {
		amount   decimal.Decimal
		decimals int32
		want     error
	}{
		{decimal.RequireFromString("0.000000001"), 8, asset.ErrTooPrecise},
		{decimal.RequireFromString("100.505"), 2, asset.ErrTooPrecise},
		{decimal.RequireFromString("1.0000001"), 6, asset.ErrTooPrecise},
		{decimal.New(1, -1_000_000), 18, asset.ErrTooPrecise}, // tiny exponent: no 10^1e6 allocated
		{decimal.New(1, 1_000_000), 18, asset.ErrAmountTooLarge},
		{decimal.New(1, 60), 18, asset.ErrAmountTooLarge}, // 10^78 base units > 2^255
		{decimal.New(-1, 60), 18, asset.ErrAmountTooLarge},
	}
	for _, c := range cases {
		if _, err := asset.ToBaseUnits(c.amount, c.decimals); !errors.Is(err, c.want) {
			t.Errorf("ToBaseUnits(%s, %d) = %v, want %v", c.amount.String()[:min(20, len(c.amount.String()))], c.decimals, err, c.want)
		}
	}
	// The largest int256 converts; one more does not.
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	if _, err := asset.ToBaseUnits(decimal.NewFromBigInt(max, 0), 0); err != nil {
		t.Fatalf("2^255-1: %v", err)
	}
	if _, err := asset.ToBaseUnits(decimal.NewFromBigInt(new(big.Int).Add(max, big.NewInt(1)), 0), 0); !errors.Is(err, asset.ErrAmountTooLarge) {
		t.Fatalf("2^255: %v", err)
	}
}

func TestParseAmount_RejectsNonNumbers(t *testing.T) {
	for _, s := range []string{
		"", " 1", "1 ", "+1", "NaN", "nan", "Inf", "-Infinity", "0x10", "1,5", "1.", ".5",
		"1e", "1e1234", "--1", "1..2", "١٢", "1_000", "1e+", "0.1.2",
		"1" + string(make([]byte, 200)),
	} {
		if _, err := asset.ParseAmount(s); !errors.Is(err, asset.ErrInvalidAmount) {
			t.Errorf("ParseAmount(%q) = %v, want ErrInvalidAmount", s, err)
		}
	}
	if _, err := asset.ParseAmount("1e99"); !errors.Is(err, asset.ErrAmountTooLarge) {
		t.Errorf("ParseAmount(1e99) = %v", err)
	}
}

func TestCheckPositive(t *testing.T) {
	usdt, _ := asset.Default().Get("USDT_TRON")
	cases := []struct {
		in   string
		want error
	}{
		{"0", asset.ErrZeroAmount}, {"0.000", asset.ErrZeroAmount}, {"-1", asset.ErrNegativeAmount},
		{"1.0000001", asset.ErrTooPrecise}, {"abc", asset.ErrInvalidAmount},
	}
	for _, c := range cases {
		if _, _, err := usdt.ParsePositive(c.in); !errors.Is(err, c.want) {
			t.Errorf("ParsePositive(%s) = %v, want %v", c.in, err, c.want)
		}
	}
	v, units, err := usdt.ParsePositive("100.50")
	if err != nil || units.String() != "100500000" || v.String() != "100.5" {
		t.Fatalf("ParsePositive(100.50) = %s %s %v", v, units, err)
	}
}

func TestRoundUp(t *testing.T) {
	cases := []decCase{
		{"0.000012341", 8, "0.00001235"},
		{"0.00001234", 8, "0.00001234"},
		{"1.0000000000000000001", 18, "1.000000000000000001"},
		{"100.5", 6, "100.5"},
		{"33.3333333", 2, "33.34"},
		{"-1.005", 2, "-1"}, // toward +inf: never below the exact value
	}
	for _, c := range cases {
		got := asset.RoundUp(decimal.RequireFromString(c.amount), c.decimals)
		if !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("RoundUp(%s, %d) = %s, want %s", c.amount, c.decimals, got, c.want)
		}
		if got.LessThan(decimal.RequireFromString(c.amount)) {
			t.Errorf("RoundUp(%s) went down", c.amount)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "0.00000001", "-5", "1e3", "1e-3", "99999999999999999999", "NaN", "1.2.3", "1e999"} {
		f.Add(s, int32(8))
	}
	f.Fuzz(func(t *testing.T, s string, decimals int32) {
		decimals = ((decimals % 31) + 31) % 31
		v, err := asset.ParseAmount(s)
		if err != nil {
			return
		}
		units, err := asset.ToBaseUnits(v, decimals)
		if err != nil {
			if !errors.Is(err, asset.ErrTooPrecise) && !errors.Is(err, asset.ErrAmountTooLarge) {
				t.Fatalf("ToBaseUnits(%s): unexpected error %v", s, err)
			}
			return
		}
		if back := asset.FromBaseUnits(units, decimals); !back.Equal(v) {
			t.Fatalf("round trip %q -> %s -> %s", s, units, back)
		}
	})
}

func TestDivRoundUp_Exact(t *testing.T) {
	cases := []struct {
		a, b     string
		decimals int32
		want     string
	}{
		{"100", "65000", 8, "0.00153847"}, // 0.0015384615... up
		{"100.50", "1", 6, "100.5"},       // stablecoin at par: exact
		{"65000", "65000", 8, "1"},        // exact, no extra unit
		{"1", "3", 2, "0.34"},             // 0.333... up
		{"10", "0.1234", 6, "81.037278"},  // 81.0372771... up
		{"0.000000000000000001", "7", 18, "0.000000000000000001"},
		{"-1", "3", 2, "-0.33"},                             // toward +inf
		{"12345.67", "3456.78", 18, "3.571436423492383085"}, // 3.57143642349238308484...
	}
	for _, c := range cases {
		got := asset.DivRoundUp(decimal.RequireFromString(c.a), decimal.RequireFromString(c.b), c.decimals)
		if !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("DivRoundUp(%s, %s, %d) = %s, want %s", c.a, c.b, c.decimals, got, c.want)
		}
		// got*b >= a always; (got - one unit)*b < a for positive a.
		a, b := decimal.RequireFromString(c.a), decimal.RequireFromString(c.b)
		if got.Mul(b).LessThan(a) {
			t.Errorf("DivRoundUp(%s, %s) = %s is below the exact quotient", c.a, c.b, got)
		}
		if a.IsPositive() && got.Sub(decimal.New(1, -c.decimals)).Mul(b).GreaterThanOrEqual(a) {
			t.Errorf("DivRoundUp(%s, %s) = %s is more than one unit above", c.a, c.b, got)
		}
	}
}

// TestDivRoundDown_Exact: a / b rounded toward negative infinity at the precision,
// on the integer coefficients: got*b <= a < (got + one unit)*b. The case that a
// rounding division at a few more places gets wrong (1.99999999999 to 2.00) is here.
func TestDivRoundDown_Exact(t *testing.T) {
	cases := []struct {
		a, b     string
		decimals int32
		want     string
	}{
		{"100", "65000", 8, "0.00153846"},           // 0.0015384615... down
		{"1.99999999999", "1", 2, "1.99"},           // never rounded up on the way
		{"199999999999", "100000000000", 2, "1.99"}, // the same as a quotient
		{"65000", "65000", 8, "1"},                  // exact
		{"1", "3", 2, "0.33"},
		{"-1", "3", 2, "-0.34"}, // toward -inf
		{"250", "1000", 8, "0.25"},
	}
	for _, c := range cases {
		a, b := decimal.RequireFromString(c.a), decimal.RequireFromString(c.b)
		got := asset.DivRoundDown(a, b, c.decimals)
		if !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("DivRoundDown(%s, %s, %d) = %s, want %s", c.a, c.b, c.decimals, got, c.want)
		}
		if got.Mul(b).GreaterThan(a) || got.Add(decimal.New(1, -c.decimals)).Mul(b).LessThanOrEqual(a) {
			t.Errorf("DivRoundDown(%s, %s) = %s is not the floor", c.a, c.b, got)
		}
	}
}
