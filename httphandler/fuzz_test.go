package httphandler

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kassapay/kassa/validation"
)

// FuzzDecode feeds arbitrary bodies to the create request decoder: it must never
// panic, every failure must be an API error or a validation error, and a body it
// accepts has no key twice in any object and, at the top, only keys spelled exactly as
// the request's fields (checked here without the decoder's own key walk).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"amount":"1","currency":"USD"}`, `{"amount":1e5}`, `{"metadata":{"a":[1,{"b":null}]}}`,
		`{"lifetime":-1}`, `[]`, `{"amount":"NaN"}`, `{"is_payment_multiple":"yes"}`, "\x00", `{"amount":` + "9" + "99999999999999999999999999999999999999999999999999999999999999999999999999999999" + `}`,
		`{"Amount":"5","amount":"0.001","currency":"BTC"}`, `{"amo\u0075nt":"5","amount":"0.001"}`, `{"metadata":{"a":1,"a":2}}`,
		`{"metadata":{"k":[{"x":1,"\u0078":2}]}}`, `{"lifetime":36028797018967568}`, `{"metadata":{"n":"\ud800"}}`, `null`} {
		f.Add([]byte(s))
	}
	// Every field of createRequest, as encoding/json writes them (none is omitempty).
	names, err := json.Marshal(createRequest{})
	if err != nil {
		f.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(names, &fields); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/invoices", bytes.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
		var req createRequest
		err := decode(r, &req)
		if err == nil {
			if len(bytes.TrimSpace(body)) == 0 {
				return
			}
			if dup, ok := duplicateKey(body); !ok || dup != "" {
				t.Fatalf("%q accepted with the key %q twice (walked: %t)", body, dup, ok)
			}
			var top map[string]json.RawMessage
			json.Unmarshal(body, &top)
			for k := range top {
				if _, ok := fields[k]; !ok {
					t.Fatalf("%q accepted with the unknown key %q", body, k)
				}
			}
			return
		}
		var ae *apiError
		var ve *validation.Error
		if !errors.As(err, &ae) && !errors.As(err, &ve) {
			t.Fatalf("%q: untyped error %v", body, err)
		}
	})
}

// duplicateKey returns a key that appears twice in one object of the JSON value
// raw, or ""; ok is false when raw is not one valid JSON value. It decodes each
// member into a json.RawMessage and recurses, a slower but independent walk.
func duplicateKey(raw []byte) (dup string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return "", true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		if raw[0] == '{' {
			k, err := dec.Token()
			if err != nil {
				return "", false
			}
			if seen[k.(string)] {
				return k.(string), true
			}
			seen[k.(string)] = true
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", false
		}
		if d, ok := duplicateKey(v); !ok || d != "" {
			return d, ok
		}
	}
	return "", true
}
