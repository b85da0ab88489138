package httphandler

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/kassapay/kassa/validation"
)

// decodeBody runs decode on body as a request with the body limit of the middleware.
func decodeBody(body string, v any) error {
	r := httptest.NewRequest(http.MethodPost, "/v1/invoices", strings.NewReader(body))
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
	return decode(r, v)
}

// TestDecode_KeysAreExactAndUnique: a key matches a field only when it is spelled
// exactly as the field's JSON name, and a key twice in one object (compared after
// unescaping), at any depth, refuses the whole body.
func TestDecode_KeysAreExactAndUnique(t *testing.T) {
	cases := []struct {
		name string
		body string
		mass bool // decode into massRequest (the mass payout's body: structs in a slice) instead of createRequest
		// want: "" accepted; "dup:KEY" a 400 bad_request naming KEY; "field:NAME" a
		// validation error on NAME.
		want string
	}{
		{name: "plain", body: `{"amount":"0.001","currency":"BTC","metadata":{"amount":1,"a":{"x":1},"b":{"x":1}}}`},
		{name: "same key in sibling objects", body: `{"destinations":[{"amount":"1"},{"amount":"2","metadata":{"k":[{"k":1},{"k":2}]}}]}`, mass: true},
		{name: "case variant beside the field", body: `{"Amount":"5","amount":"0.001","currency":"BTC"}`, want: "field:Amount"},
		{name: "case variant alone", body: `{"AMOUNT":"5","currency":"BTC"}`, want: "field:AMOUNT"},
		{name: "Kelvin sign folds to k", body: `{"amount":"1","currency":"BTC","networ\u212a":"x"}`, want: "field:networ\u212a"},
		{name: "case variant in a slice element", body: `{"destinations":[{"amount":"1"},{"Amount":"2"}]}`, mass: true, want: "field:destinations[1].Amount"},
		{name: "escaped duplicate", body: `{"amo\u0075nt":"5","amount":"0.001","currency":"BTC"}`, want: "dup:amount"},
		{name: "plain duplicate", body: `{"currency":"BTC","amount":"1","amount":"1"}`, want: "dup:amount"},
		{name: "duplicate null", body: `{"metadata":null,"metadata":{"a":1}}`, want: "dup:metadata"},
		{name: "duplicate in metadata", body: `{"amount":"1","metadata":{"a":{"b":1,"c":2,"b":3}}}`, want: "dup:b"},
		{name: "escaped duplicate in metadata", body: `{"amount":"1","metadata":{"k":1,"\u006b":2}}`, want: "dup:k"},
		{name: "duplicate in an array in metadata", body: `{"metadata":{"l":[{"x":1},{"x":1,"x":2}]}}`, want: "dup:x"},
		{name: "duplicate after many keys", body: `{"metadata":{` + manyKeys(100) + `,"k7":0}}`, want: "dup:k7"},
		{name: "duplicate in a slice element", body: `{"destinations":[{"amount":"1","currency":"BTC","currency":"ETH"}]}`, mass: true, want: "dup:currency"},
		{name: "duplicate at the top of a mass payout", body: `{"batch_reference":"a","destinations":[],"batch_reference":"b"}`, mass: true, want: "dup:batch_reference"},
		{name: "unknown field", body: `{"amount":"1","colour":"red"}`, want: "field:colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.mass {
				err = decodeBody(c.body, new(massRequest))
			} else {
				err = decodeBody(c.body, new(createRequest))
			}
			var ae *apiError
			var ve *validation.Error
			switch kind, name, _ := strings.Cut(c.want, ":"); kind {
			case "":
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			case "dup":
				if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.code != "bad_request" || !strings.Contains(ae.message, `"`+name+`"`) {
					t.Fatalf("got %v, want a 400 bad_request naming %q", err, name)
				}
			case "field":
				if !errors.As(err, &ve) || ve.Fields[name] == nil {
					t.Fatalf("got %v, want a validation error on %q", err, name)
				}
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	return b.String()
}

// TestDecode_HostileShapesStayRefused: the key check keeps the limits of decode: deep
// nesting is a 400 (not a crash or a stack of 1 MiB of frames), over 1 MiB is a 400, and a
// large body of distinct keys or many small objects is accepted.
func TestDecode_HostileShapesStayRefused(t *testing.T) {
	deepObj := `{"amount":"1","metadata":` + strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000) + `}`
	deepArr := strings.Repeat("[", 50000) + strings.Repeat("]", 50000)
	deepMass := `{"destinations":[{"metadata":` + strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000) + `}]}`
	for name, c := range map[string]struct {
		body string
		into any
	}{
		"deep object":             {deepObj, new(createRequest)},
		"deep array":              {deepArr, new(createRequest)},
		"deep in a slice element": {deepMass, new(massRequest)},
		"over 1 MiB":              {`{"description":"` + strings.Repeat("x", maxBody) + `"}`, new(createRequest)},
	} {
		var ae *apiError
		if err := decodeBody(c.body, c.into); !errors.As(err, &ae) || ae.status != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", name, err)
		}
	}
	var b strings.Builder
	b.WriteString(`{"amount":"1","metadata":{`)
	for i := 0; b.Len() < maxBody-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":[{},{"a":{}}]`)
	}
	b.WriteString(`}}`)
	if err := decodeBody(b.String(), new(createRequest)); err != nil {
		t.Fatalf("large body of distinct keys: %v", err)
	}
}

type embeddedKeys struct {
	X int `json:"x"`
}

type keyShapes struct {
	embeddedKeys
	//lint:ignore U1000 never set: the embedded cycle is what the walk must not loop on
	*keyShapes        // a cycle: must not loop
	Skip       int    `json:"-"`
	Plain      string // no tag: the Go name, exactly
	Named      string `json:"named,omitempty"`
}

// TestDecode_FieldNamesAsEncodingJSON: the exact names are the ones encoding/json
// decodes: tag names, Go names of untagged fields, promoted fields of embedded structs;
// "-" fields are not settable from JSON.
func TestDecode_FieldNamesAsEncodingJSON(t *testing.T) {
	if err := decodeBody(`{"x":1,"Plain":"a","named":"b"}`, new(keyShapes)); err != nil {
		t.Fatal(err)
	}
	for body, field := range map[string]string{`{"plain":"a"}`: "plain", `{"Skip":1}`: "Skip", `{"X":1}`: "X", `{"Named":""}`: "Named"} {
		var ve *validation.Error
		if err := decodeBody(body, new(keyShapes)); !errors.As(err, &ve) || ve.Fields[field] == nil {
			t.Errorf("%s: %v, want a validation error on %s", body, err, field)
		}
	}
}
