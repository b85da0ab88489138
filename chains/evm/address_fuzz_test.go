package evm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
)

// FuzzValidateAddress: payout destinations come from outside. Whatever the string,
// ValidateAddress returns nil or an ErrInvalidAddress; an address it accepts is 0x and
// 40 hex digits, not zero, and its EIP-55 form and lower-case form are accepted too
// and name the same 20 bytes; a mixed-case string that is not the EIP-55 form is refused.
func FuzzValidateAddress(f *testing.F) {
	for _, s := range []string{"0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7",
		"0x52908400098527886E0F7030069857D2E4169Ee7", "0x0000000000000000000000000000000000000000", "52908400098527886E0F7030069857D2E4169EE7",
		"0X52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886E0F7030069857D2E4169EE", "", "0x", "0xgg08400098527886E0F7030069857D2E4169EE7",
		"T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := evm.ValidateAddress(s)
		if err != nil {
			if !errors.Is(err, chains.ErrInvalidAddress) {
				t.Fatalf("%q: %v is not an ErrInvalidAddress", s, err)
			}
			return
		}
		a := common.HexToAddress(s)
		if len(s) != 42 || !strings.HasPrefix(s, "0x") || a == (common.Address{}) {
			t.Fatalf("accepted %q", s)
		}
		for _, form := range []string{a.Hex(), "0x" + strings.ToLower(s[2:])} {
			if err := evm.ValidateAddress(form); err != nil || common.HexToAddress(form) != a {
				t.Fatalf("%q accepted but its form %q: %v", s, form, err)
			}
		}
		body := s[2:]
		if body != strings.ToLower(body) && body != strings.ToUpper(body) && s != a.Hex() {
			t.Fatalf("accepted %q, a mixed case that is not EIP-55 (%s)", s, a.Hex())
		}
	})
}
