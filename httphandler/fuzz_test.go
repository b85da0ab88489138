package httphandler

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kassapay/kassa/validation"
)

// FuzzDecode feeds arbitrary bodies to the create request decoder: it must never
// panic, and every failure must be an API error or a validation error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"amount":"1","currency":"USD"}`, `{"amount":1e5}`, `{"metadata":{"a":[1,{"b":null}]}}`,
		`{"lifetime":-1}`, `[]`, `{"amount":"NaN"}`, `{"is_payment_multiple":"yes"}`, "\x00", `{"amount":` + "9" + "99999999999999999999999999999999999999999999999999999999999999999999999999999999" + `}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/invoices", bytes.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
		var req createRequest
		err := decode(r, &req)
		if err == nil {
			return
		}
		var ae *apiError
		var ve *validation.Error
		if !errors.As(err, &ae) && !errors.As(err, &ve) {
			t.Fatalf("%q: untyped error %v", body, err)
		}
	})
}
