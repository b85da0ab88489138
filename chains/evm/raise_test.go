package evm

import (
	"math/big"
	"testing"
)

// TestRaiseFee_UpAtLeastOneWei: a replacement's tip and fee cap rise by 12.5%, rounded
// up, and by at least one wei (geth refuses a replacement whose caps did not rise).
func TestRaiseFee_UpAtLeastOneWei(t *testing.T) {
	for v, want := range map[int64]int64{0: 1, 1: 2, 7: 8, 8: 9, 9: 11, 1000: 1125, 1001: 1127, 2_000_000_000: 2_250_000_000} {
		if got := raiseFee(big.NewInt(v)); got.Int64() != want {
			t.Errorf("raiseFee(%d) = %s, want %d", v, got, want)
		}
	}
}
