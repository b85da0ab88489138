package text

import (
	"encoding/json"
	"testing"
)

// TestLineAndControl: a line refuses every C0 control (newline and tab too), DEL, C1
// controls, bidirectional overrides and isolates, invalid UTF-8 and over-long text;
// text of several lines allows newline and tab only.
func TestLineAndControl(t *testing.T) {
	for _, c := range []struct {
		s    string
		line bool
	}{{"Ada's Teas ☕", true}, {"a\nb", false}, {"a\tb", false}, {"a\x00b", false}, {"a\x7fb", false}, {"a\u0085b", false},
		{"a\u202eb", false}, {"a\u2066b", false}, {"\xff", false}, {"", true}} {
		if got := Line(c.s, 20); got != c.line {
			t.Errorf("Line(%q) = %v, want %v", c.s, got, c.line)
		}
	}
	if Line("abc", 2) {
		t.Error("Line of 3 bytes within 2")
	}
	if MultiLineControl('\n') || MultiLineControl('\t') || !MultiLineControl('\r') || !MultiLineControl('\u202e') {
		t.Error("MultiLineControl: newline and tab only are allowed")
	}
}

// TestCompactJSON: none is nil, null is nil, an object loses its insignificant space
// and keeps its order, and what is not JSON comes back as it was.
func TestCompactJSON(t *testing.T) {
	for in, want := range map[string]string{"": "", "null": "", `{ "z": 1,  "a" : [1, 2] }`: `{"z":1,"a":[1,2]}`, "{nope": "{nope"} {
		if got := string(CompactJSON(json.RawMessage(in))); got != want {
			t.Errorf("CompactJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestID: a merchant's own id is 1 to 128 of A-Z a-z 0-9 _ . : @ + -, nothing else.
func TestID(t *testing.T) {
	for s, want := range map[string]bool{"crm-4711": true, "a.b:c@d+e_f": true, "": false, "a b": false, "a\nb": false,
		"1' OR '1'='1": false, "é": false, string(make([]byte, 129)): false} {
		if got := ID(s); got != want {
			t.Errorf("ID(%q) = %v, want %v", s, got, want)
		}
	}
	long := ""
	for range 128 {
		long += "a"
	}
	if !ID(long) || ID(long+"a") {
		t.Error("ID: 128 characters are the most")
	}
}
