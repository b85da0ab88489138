package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/keys"
)

// TestChain_ValidatesAddressesByTheRulesOfItsNetwork (issue 14.15): a sim chain took
// any printable string as an address, so test-mode payouts to "not-an-address" were
// accepted.
func TestChain_ValidatesAddressesByTheRulesOfItsNetwork(t *testing.T) {
	k, err := keys.FromMnemonic("legal winner thank year wave sausage worth useful legal winner thank yellow", "")
	if err != nil {
		t.Fatal(err)
	}
	addr := func(f asset.Family, m asset.Mode) string {
		a, err := k.Address(f, m, keys.Receive, 0)
		if err != nil {
			t.Fatal(err)
		}
		return a.Encoded
	}
	tb1, bc1 := addr(asset.FamilyBTC, asset.Test), addr(asset.FamilyBTC, asset.Live)
	eth, trx := addr(asset.FamilyEVM, asset.Test), addr(asset.FamilyTron, asset.Test)
	flip := func(s string) string { // the last character changed: a bad checksum
		if strings.HasSuffix(s, "q") {
			return s[:len(s)-1] + "p"
		}
		return s[:len(s)-1] + "q"
	}
	cases := []struct {
		net       asset.NetworkID
		mode      asset.Mode
		addr, out string // out "" means refused
	}{
		{asset.Bitcoin, asset.Test, tb1, tb1},
		{asset.Bitcoin, asset.Test, strings.ToUpper(tb1), tb1}, // BIP 173 upper case: one canonical spelling
		{asset.Bitcoin, asset.Test, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		{asset.Bitcoin, asset.Test, bc1, ""}, // mainnet address on the test network
		{asset.Bitcoin, asset.Test, flip(tb1), ""},
		{asset.Bitcoin, asset.Live, bc1, bc1},
		{asset.Bitcoin, asset.Test, "not-an-address", ""},
		{asset.Bitcoin, asset.Test, "", ""},
		{asset.Ethereum, asset.Test, eth, eth},
		{asset.Ethereum, asset.Test, strings.ToLower(eth), eth},
		{asset.Ethereum, asset.Test, "0x" + strings.ToUpper(eth[2:]), eth},
		{asset.Ethereum, asset.Test, eth[:10] + strings.ToUpper(eth[10:12]) + strings.ToLower(eth[12:]), ""}, // broken EIP-55 mix
		{asset.Ethereum, asset.Test, "0x0000000000000000000000000000000000000000", ""},
		{asset.BSC, asset.Test, "0x1234", ""},
		{asset.Tron, asset.Test, trx, trx},
		{asset.Tron, asset.Test, flip(trx), ""},
		{asset.Tron, asset.Test, tb1, ""},
		{asset.Tron, asset.Test, "not-an-address", ""},
	}
	for _, c := range cases {
		ch := sim.New(chains.NetworkRef{ID: c.net, Mode: c.mode})
		got, err := ch.CanonicalAddress(c.addr)
		switch {
		case c.out == "" && !errors.Is(err, chains.ErrInvalidAddress):
			t.Errorf("%s/%s %q: accepted as %q (%v)", c.net, c.mode, c.addr, got, err)
		case c.out != "" && (err != nil || got != c.out):
			t.Errorf("%s/%s %q: %q, %v; want %q", c.net, c.mode, c.addr, got, err, c.out)
		}
		if (ch.ValidateAddress(c.addr) == nil) != (c.out != "") {
			t.Errorf("%s/%s %q: ValidateAddress disagrees with CanonicalAddress", c.net, c.mode, c.addr)
		}
	}
}
