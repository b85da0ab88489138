package httphandler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Amount is a decimal in a request: a JSON string or number, never through float64.
type Amount struct {
	Value decimal.Decimal
	Set   bool
}

// UnmarshalJSON accepts "100.50" and 100.50.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = str
	}
	v, err := asset.ParseAmount(s)
	if err != nil {
		return &amountError{err}
	}
	a.Value, a.Set = v, true
	return nil
}

// amountError is a well-formed JSON value that is not an amount: a validation error of
// its field, not malformed JSON.
type amountError struct{ err error }

func (e *amountError) Error() string { return e.err.Error() }
func (e *amountError) Unwrap() error { return e.err }

// readBody reads the whole body: errTooLarge over the limit, bad_request when it
// cannot be read.
func readBody(r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errTooLarge
		}
		return nil, errf(http.StatusBadRequest, "bad_request", "The request body could not be read.")
	}
	return body, nil
}

// jsonContent refuses a body declared as anything but JSON (a form, multipart, text):
// 415, rather than guessing. No Content-Type at all is read as JSON.
func jsonContent(ct string) *apiError {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return errUnsupportedMedia
}

// decode reads a JSON object into v strictly: at most maxBody bytes (the body limit is
// enforced by middleware too), no unknown fields (a validation error naming them),
// numbers as json.Number, and nothing after the object.
func decode(r *http.Request, v any) error {
	body, aerr := readBody(r)
	if aerr != nil {
		return aerr
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if e := jsonContent(r.Header.Get("Content-Type")); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		var ae *amountError
		switch {
		case errors.As(err, &ae):
			var ve validation.Error
			ve.Add(fieldOfAmountError(err), ae.err)
			return &ve
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			var ve validation.Error
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			ve.Add(name, errors.New("is not a known field"))
			return &ve
		case errors.As(err, &ute):
			return errf(http.StatusBadRequest, "bad_request", fmt.Sprintf("Field %s must be a %s.", ute.Field, ute.Type))
		}
		return errf(http.StatusBadRequest, "bad_request", "The request body is not valid JSON.")
	}
	if dec.More() {
		return errf(http.StatusBadRequest, "bad_request", "The request body has data after the JSON object.")
	}
	return nil
}

// fieldOfAmountError finds the field name json reports for a failed UnmarshalJSON.
func fieldOfAmountError(err error) string {
	// encoding/json wraps errors of UnmarshalJSON with the field path since Go 1.24:
	// "json: cannot unmarshal ... into Go struct field T.amount of type ...".
	msg := err.Error()
	if i := strings.Index(msg, "struct field "); i >= 0 {
		rest := msg[i+len("struct field "):]
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			rest = rest[:j]
		}
		if k := strings.LastIndexByte(rest, '.'); k >= 0 {
			rest = rest[k+1:]
		}
		return rest
	}
	return "amount"
}

// queryInt reads an integer query parameter in [lo, hi], def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int, v *validation.Error) int {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		v.Add(name, fmt.Errorf("must be an integer from %d to %d", lo, hi))
		return def
	}
	return n
}

// queryEnum reads an optional query parameter that must be one of allowed; anything
// else is a validation error naming the parameter (an unknown filter value is a
// mistake to report, not an empty list to return).
func queryEnum[S ~string](r *http.Request, name string, v *validation.Error, allowed ...S) S {
	s := r.URL.Query().Get(name)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if string(a) == s {
			return a
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	v.Add(name, fmt.Errorf("must be one of %s", strings.Join(names, ", ")))
	return ""
}
