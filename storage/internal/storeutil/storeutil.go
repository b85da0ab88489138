// Package storeutil holds the few pieces both SQL backends share above their dialects:
// how a payout document is stored, how two id lists merge.
package storeutil

import (
	"encoding/json"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/payout"
)

// MergeIDs returns the ids of a, then those of b not in a, at most limit in all.
func MergeIDs(a, b []string, limit int) []string {
	seen := make(map[string]bool, len(a))
	for _, id := range a {
		seen[id] = true
	}
	for _, id := range b {
		if len(a) >= limit {
			break
		}
		if !seen[id] {
			seen[id] = true
			a = append(a, id)
		}
	}
	return a
}

// EncodePayout is how both backends store a payout: its JSON form with the mode,
// which the API form leaves out.
func EncodePayout(p *payout.Payout) ([]byte, error) {
	return json.Marshal(storedPayout{Payout: p, Mode: p.Mode})
}

// DecodePayout reads what EncodePayout stored.
func DecodePayout(body []byte) (*payout.Payout, error) {
	sp := storedPayout{Payout: &payout.Payout{}}
	if err := json.Unmarshal(body, &sp); err != nil {
		return nil, fmt.Errorf("stored payout: %w", err)
	}
	sp.Payout.Mode = sp.Mode
	return sp.Payout, nil
}

type storedPayout struct {
	*payout.Payout
	Mode asset.Mode `json:"mode"`
}
