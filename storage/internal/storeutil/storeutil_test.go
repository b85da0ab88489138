package storeutil

import (
	"slices"
	"testing"
)

func TestMergeIDs(t *testing.T) {
	for _, c := range []struct {
		a, b  []string
		limit int
		want  []string
	}{
		{[]string{"x", "y"}, []string{"y", "z"}, 10, []string{"x", "y", "z"}},
		{[]string{"x"}, []string{"y", "z"}, 2, []string{"x", "y"}},
		{nil, []string{"z", "z"}, 5, []string{"z"}},
		{[]string{"x", "y"}, []string{"z"}, 2, []string{"x", "y"}},
	} {
		if got := MergeIDs(slices.Clone(c.a), c.b, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("MergeIDs(%v, %v, %d) = %v, want %v", c.a, c.b, c.limit, got, c.want)
		}
	}
}
