package validation_test

import (
	"errors"
	"testing"

	"github.com/kassapay/kassa/validation"
)

func TestPaging_DefaultsAndRanges(t *testing.T) {
	bad := errors.New("invalid format")
	for _, c := range []struct {
		page, limit         int
		wantPage, wantLimit int
		fields              []string
	}{
		{0, 0, 1, validation.DefaultLimit, nil},
		{3, 100, 3, 100, nil},
		{-1, 101, -1, 101, []string{"page", "limit"}},
		{validation.MaxPage + 1, -5, validation.MaxPage + 1, -5, []string{"page", "limit"}},
	} {
		var v validation.Error
		page, limit := c.page, c.limit
		validation.Paging(&v, &page, &limit, bad)
		if page != c.wantPage || limit != c.wantLimit {
			t.Errorf("%d/%d became %d/%d, want %d/%d", c.page, c.limit, page, limit, c.wantPage, c.wantLimit)
		}
		err := v.Err()
		if (err != nil) != (len(c.fields) > 0) || err != nil && !errors.Is(err, bad) {
			t.Errorf("%d/%d: %v", c.page, c.limit, err)
		}
		for _, f := range c.fields {
			if _, ok := v.Fields[f]; !ok {
				t.Errorf("%d/%d: %s not named in %v", c.page, c.limit, f, err)
			}
		}
	}
}
