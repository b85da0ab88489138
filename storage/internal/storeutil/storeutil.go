// Package storeutil holds the few pieces of logic both SQL backends share above their
// dialects.
package storeutil

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
