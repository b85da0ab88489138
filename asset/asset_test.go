package asset_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
)

func TestDefault_ListsEveryAssetOfTheSeeds(t *testing.T) {
	r := asset.Default()
	want := []string{
		"BTC", "LTC", "ETH", "LINK_ETHEREUM", "USDT_ETHEREUM", "USDC_ETHEREUM",
		"BNB", "USDT_BSC", "USDC_BSC", "POL", "USDT_POLYGON", "USDC_POLYGON",
		"ETH_BASE", "USDC_BASE", "TRX", "USDT_TRON", "USDC_TRON", "SOL", "STX", "DOT", "CRO",
	}
	var got []string
	for _, a := range r.Assets() {
		got = append(got, a.Code)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("assets = %v\nwant     %v", got, want)
	}
}

func TestDefault_DecimalsAndContracts(t *testing.T) {
	r := asset.Default()
	cases := []struct {
		code     string
		decimals int32
		contract string
		family   asset.Family
	}{
		{"USDT_BSC", 18, "0x55d398326f99059fF775485246999027B3197955", asset.FamilyEVM},
		{"USDC_BSC", 18, "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", asset.FamilyEVM},
		{"USDT_ETHEREUM", 6, "0xdAC17F958D2ee523a2206206994597C13D831ec7", asset.FamilyEVM},
		{"USDT_TRON", 6, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", asset.FamilyTron},
		{"USDT_POLYGON", 6, "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", asset.FamilyEVM},
		{"USDC_BASE", 6, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", asset.FamilyEVM},
		{"BTC", 8, "", asset.FamilyBTC},
		{"ETH", 18, "", asset.FamilyEVM},
		{"TRX", 6, "", asset.FamilyTron},
	}
	for _, c := range cases {
		a, err := r.Get(c.code)
		if err != nil {
			t.Fatalf("Get(%s): %v", c.code, err)
		}
		if a.Decimals != c.decimals || a.ContractFor(asset.Live) != c.contract {
			t.Errorf("%s: decimals %d contract %q, want %d %q", c.code, a.Decimals, a.ContractFor(asset.Live), c.decimals, c.contract)
		}
		n, _ := r.Network(a.Network)
		if n.Family != c.family {
			t.Errorf("%s: family %s, want %s", c.code, n.Family, c.family)
		}
		if a.Confirmations <= 0 || !a.MinInvoice.IsPositive() || !a.MinPayout.IsPositive() {
			t.Errorf("%s: confirmations/minimums not set: %+v", c.code, a)
		}
	}
}

func TestParse_CodesAndAliases(t *testing.T) {
	r := asset.Default()
	cases := []struct{ currency, network, want string }{
		{"USDT_BSC", "", "USDT_BSC"},
		{"usdt_bsc", "", "USDT_BSC"},
		{"USDT", "BEP20", "USDT_BSC"},
		{"USDT", "BNB Chain", "USDT_BSC"},
		{"usdt", "bnb smart chain", "USDT_BSC"},
		{"USDT", "TRC20", "USDT_TRON"},
		{"USDT-TRC20", "", "USDT_TRON"},
		{"USDT-BEP20", "", "USDT_BSC"},
		{"USDT", "ERC20", "USDT_ETHEREUM"},
		{"BTC", "", "BTC"},
		{"BTC", "Bitcoin", "BTC"},
		{"eth", "", "ETH"},
		{"ETH", "base", "ETH_BASE"},
		{"MATIC", "", "POL"},
		{"MATIC", "polygon", "POL"},
		{"USDC", "Polygon", "USDC_POLYGON"},
		{" TRX ", "", "TRX"},
	}
	for _, c := range cases {
		a, err := r.Parse(c.currency, c.network)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", c.currency, c.network, err)
			continue
		}
		if a.Code != c.want {
			t.Errorf("Parse(%q, %q) = %s, want %s", c.currency, c.network, a.Code, c.want)
		}
	}
}

func TestParse_RejectsUnknownAndAmbiguous(t *testing.T) {
	r := asset.Default()
	cases := []struct {
		currency, network string
		want              error
	}{
		{"DOGE", "", asset.ErrUnknownAsset},
		{"", "", asset.ErrUnknownAsset},
		{"USDT_", "", asset.ErrUnknownAsset},
		{"USDT", "", asset.ErrAmbiguousAsset},
		{"USDC", "", asset.ErrAmbiguousAsset},
		{"USDT", "dogechain", asset.ErrUnknownNetwork},
		{"USDT_FOO", "", asset.ErrUnknownNetwork},
		{"USDT", "base", asset.ErrUnknownAsset}, // no official USDT on Base
		{"LINK", "tron", asset.ErrUnknownAsset},
		{strings.Repeat("A", 1000), "", asset.ErrUnknownAsset},
		{"USDT", strings.Repeat("b", 1000), asset.ErrUnknownNetwork},
	}
	for _, c := range cases {
		_, err := r.Parse(c.currency, c.network)
		if !errors.Is(err, c.want) {
			t.Errorf("Parse(%.20q, %.20q) = %v, want %v", c.currency, c.network, err, c.want)
		}
	}
	_, err := r.Parse("USDT", "")
	if err == nil || !strings.Contains(err.Error(), "USDT_TRON") {
		t.Errorf("ambiguous error should list the choices: %v", err)
	}
}

func TestRegistry_IsACopy(t *testing.T) {
	a, b := asset.Default(), asset.Default()
	if err := a.SetContract("USDT_ETHEREUM", asset.Test, "0x0000000000000000000000000000000000000001"); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Get("USDT_ETHEREUM")
	if got.ContractFor(asset.Test) != "" {
		t.Fatal("SetContract on one registry changed another")
	}
	x, _ := a.Get("USDT_ETHEREUM")
	x.Contract[asset.Test] = "mutated"
	y, _ := a.Get("USDT_ETHEREUM")
	if y.ContractFor(asset.Test) == "mutated" {
		t.Fatal("Get returned a shared map")
	}
	if err := a.SetContract("BTC", asset.Test, "x"); err == nil {
		t.Fatal("SetContract on a native coin succeeded")
	}
	if err := a.SetConfirmations("BTC", -1); err == nil {
		t.Fatal("negative confirmations accepted")
	}
}

func TestConfirmationsFor_Tiers(t *testing.T) {
	btc, _ := asset.Default().Get("BTC")
	for _, c := range []struct {
		amount string
		want   int
	}{{"0.5", 1}, {"1", 1}, {"1.00000001", 3}, {"10.5", 6}} {
		v, _ := asset.ParseAmount(c.amount)
		if got := btc.ConfirmationsFor(v); got != c.want {
			t.Errorf("ConfirmationsFor(%s) = %d, want %d", c.amount, got, c.want)
		}
	}
}

func TestFiat_MinorUnits(t *testing.T) {
	for code, units := range map[string]int32{"USD": 2, "eur": 2, "JPY": 0, "KRW": 0, "CLP": 0, "GBP": 2} {
		f, err := asset.ParseFiat(code)
		if err != nil || f.MinorUnits != units {
			t.Errorf("ParseFiat(%s) = %+v, %v; want %d minor units", code, f, err, units)
		}
	}
	if _, err := asset.ParseFiat("XYZ"); !errors.Is(err, asset.ErrUnknownFiat) {
		t.Errorf("ParseFiat(XYZ) = %v", err)
	}
	if asset.IsFiat("BTC") {
		t.Error("BTC is not fiat")
	}
}

func TestParseMode(t *testing.T) {
	if m, err := asset.ParseMode("LIVE"); err != nil || m != asset.Live {
		t.Fatalf("ParseMode(LIVE) = %v, %v", m, err)
	}
	if _, err := asset.ParseMode("prod"); !errors.Is(err, asset.ErrUnknownMode) {
		t.Fatalf("ParseMode(prod) = %v", err)
	}
}
