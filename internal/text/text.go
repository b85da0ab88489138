// Package text holds the checks Kassa makes of the free text merchants give it (names,
// labels, descriptions) and the one way it keeps the JSON objects they attach
// (metadata, business settings), shared by the packages that take them.
package text

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9_.:@+\-]{1,128}$`)

// IDRule says what ID accepts, for the error that refuses one.
const IDRule = "want 1 to 128 of A-Z a-z 0-9 _ . : @ + -"

// ID reports whether s is an id a merchant gives Kassa for its own records (a
// customer's or a sub-merchant's external_id, a wallet's customer_id): 1 to 128 of
// A-Z a-z 0-9 _ . : @ + -.
func ID(s string) bool { return idRE.MatchString(s) }

// Control reports the characters a line of text may not hold: C0 controls (newline
// and tab among them), DEL, C1 controls, and the bidirectional overrides and isolates
// that make text read other than it is stored.
func Control(r rune) bool {
	return r < 0x20 || MultiLineControl(r)
}

// MultiLineControl is Control for text of several lines: newline and tab are
// allowed.
func MultiLineControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Line reports whether s is valid UTF-8 of at most most bytes without Control
// characters.
func Line(s string, most int) bool {
	return len(s) <= most && utf8.ValidString(s) && !strings.ContainsFunc(s, Control)
}

// CompactJSON is how a JSON object a merchant attached is stored: nil for none (empty
// or null), else without insignificant space (b as it is if it is not JSON: the
// caller has refused it).
func CompactJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}
