// Package storeutil holds the few pieces both SQL backends share above their dialects:
// how a payout document is stored, how two id lists merge.
package storeutil

import (
	"encoding/json"
	"fmt"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/treasury"
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

// SweepKind is what a sweep is stored as: treasury.KindSweep unless it says
// treasury.KindCold.
func SweepKind(s *treasury.Sweep) string {
	if s.Kind == treasury.KindCold {
		return treasury.KindCold
	}
	return treasury.KindSweep
}

// RefundObject is what a refund is stored as: refund.ObjectRefund unless it says
// refund.ObjectRebound.
func RefundObject(r *refund.Refund) string {
	if r.Object == refund.ObjectRebound {
		return refund.ObjectRebound
	}
	return refund.ObjectRefund
}

// ListObject is what a list of refunds is of: refunds unless it asks for rebounds.
func ListObject(p refund.ListParams) string {
	if p.Object == refund.ObjectRebound {
		return refund.ObjectRebound
	}
	return refund.ObjectRefund
}
