// Package ids makes Kassa's object ids: a type prefix and 20 random base32 characters
// (100 bits from crypto/rand), "inv_k3n5...".
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 20 random characters.
func New(prefix string) string {
	var b [13]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on a broken system source)
	return prefix + "_" + enc.EncodeToString(b[:])[:20]
}

// Valid reports whether id has the prefix and the shape New gives.
func Valid(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != 20 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
