package invoice

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestCheckMetadata_UnicodeOnly: metadata is kept as sent and returned verbatim, so it
// must be text every JSON parser reads the same: valid UTF-8, and no \u escape of a
// UTF-16 surrogate that is not half of a pair.
func TestCheckMetadata_UnicodeOnly(t *testing.T) {
	for name, c := range map[string]struct {
		meta string
		want error // nil: accepted
	}{
		"absent":                 {"", nil},
		"object":                 {`{"a":[1,"x",{"b":null}],"é":"ü"}`, nil},
		"surrogate pair":         {`{"smile":"\ud83d\ude00","upper":"\uD83D\uDE00"}`, nil},
		"escaped backslash":      {`{"path":"C:\\ud800\\udc00"}`, nil},
		"escaped quote then u":   {`{"q":"\"\u0041"}`, nil},
		"other escapes":          {`{"e":"\n\t\/\b\f\r\u0000\uffff\ue000\ud7ff"}`, nil},
		"invalid byte":           {"{\"note\":\"caf\xe9\"}", ErrNotUnicode},
		"invalid byte in a key":  {"{\"caf\xe9\":1}", ErrNotUnicode},
		"truncated sequence":     {"{\"n\":\"\xe2\x82\"}", ErrNotUnicode},
		"overlong encoding":      {"{\"n\":\"\xc0\xaf\"}", ErrNotUnicode},
		"UTF-8 surrogate":        {"{\"n\":\"\xed\xa0\x80\"}", ErrNotUnicode},
		"lone high":              {`{"n":"\ud800"}`, ErrNotUnicode},
		"lone high at the end":   {`{"n":"x\uDBFF"}`, ErrNotUnicode},
		"lone low":               {`{"n":"\udc00x"}`, ErrNotUnicode},
		"high then low escaped":  {`{"n":"\ud800\\udc00"}`, ErrNotUnicode},
		"high then a letter":     {`{"n":"\ud83d\u0041"}`, ErrNotUnicode},
		"two highs":              {`{"n":"\ud83d\ud83d\ude00"}`, ErrNotUnicode},
		"surrogate in a key":     {`{"\udfff":1}`, ErrNotUnicode},
		"not an object":          {`[1]`, ErrNotObject},
		"null":                   {`null`, ErrNotObject},
		"too large":              {`{"a":"` + strings.Repeat("x", MaxMetadata) + `"}`, ErrTooLarge},
		"too large and invalid":  {"{\"a\":\"\xff" + strings.Repeat("x", MaxMetadata) + `"}`, ErrTooLarge},
		"invalid and not object": {"[\"\xff\"]", ErrNotObject},
	} {
		err := CheckMetadata(json.RawMessage(c.meta))
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
