package httphandler

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

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
// enforced by middleware too), keys spelled exactly as v's fields (any other key, also
// one differing only in case, is a validation error naming it), no key twice in one
// object at any depth (a 400 naming it), numbers as json.Number, and nothing after the
// object.
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
	// encoding/json matches keys case-insensitively and lets the last of two equal keys
	// win, so {"Amount":"5","amount":"0.001"} would read as 5: checkKeys refuses both
	// before anything is decoded.
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // checkKeys has refused them; this stays as a second line
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		var ae *amountError
		switch {
		case errors.As(err, &ae):
			var ve validation.Error
			ve.Add(fieldOfAmountError(err), ae.err)
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

// maxDepth is the deepest nesting of objects and arrays checkKeys follows, the limit of
// encoding/json itself: a deeper body is refused, not walked.
const maxDepth = 10000

var errUnknownField = errors.New("is not a known field")

// checkKeys walks the JSON text body token by token beside t, the type it will be
// decoded into, in one pass: every object, at any depth, must not have a key twice
// (compared after unescaping: a 400 naming the key), and where the value goes into a
// struct each key must be exactly the JSON name of one of its fields (a validation
// error naming the key's path, as "destinations[1].Amount"). Values decoded by their
// own UnmarshalJSON, json.RawMessage, interfaces and map keys are checked for
// duplicates only. Malformed JSON and nesting deeper than maxDepth are a 400.
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // a number token is not parsed into a float64 (1e999 stays a token)
	var stack []frame
	next := t // the type of the value the next token starts
	for {
		tok, err := dec.Token()
		if err != nil {
			return errf(http.StatusBadRequest, "bad_request", "The request body is not valid JSON.")
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
			} else {
				key := tok.(string) // Token returns only strings or '}' where a key goes
				if top.has(key) {
					return errf(http.StatusBadRequest, "bad_request",
						fmt.Sprintf("The request body has the key %q twice in one object (at %s).", key, keyPath(stack, key)))
				}
				top.add(key)
				top.key, top.wantKey = key, false
				next = top.elem
				if top.fields != nil {
					ft, ok := top.fields[key]
					if !ok {
						var ve validation.Error
						ve.Add(keyPath(stack, key), errUnknownField)
						return &ve
					}
					next = ft
				}
				continue
			}
		} else {
			switch tok {
			case json.Delim('{'), json.Delim('['):
				if len(stack) >= maxDepth {
					return errf(http.StatusBadRequest, "bad_request", fmt.Sprintf("The request body nests objects and arrays over %d deep.", maxDepth))
				}
				stack = push(stack, tok == json.Delim('{'), next)
				next = stack[len(stack)-1].elem
				continue
			case json.Delim(']'):
				stack = stack[:len(stack)-1]
			}
		}
		// A value ended: a scalar, or the object or array just popped.
		if len(stack) == 0 {
			return nil
		}
		top = &stack[len(stack)-1]
		if top.obj {
			top.wantKey = true
		} else {
			top.index++
			next = top.elem
		}
	}
}

// frame is one object or array that checkKeys is inside.
type frame struct {
	obj     bool
	wantKey bool
	fields  map[string]reflect.Type // a struct's fields by exact JSON name; nil for any key
	elem    reflect.Type            // the type of every value (array, map), or nil
	key     string                  // the key of the value being read (object)
	index   int                     // the index of the value being read (array)
	seen    []string                // the keys so far, while few
	seenMap map[string]struct{}     // the keys so far, once many
}

// push adds a frame for an object (obj) or an array that decodes into t, reusing the
// key buffer of the frame that last stood at that depth.
func push(stack []frame, obj bool, t reflect.Type) []frame {
	f := frame{obj: obj, wantKey: obj}
	switch t = target(t); {
	case t == nil:
	case obj && t.Kind() == reflect.Struct:
		f.fields = structFields(t)
	case obj && t.Kind() == reflect.Map, !obj && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		f.elem = t.Elem()
	}
	if len(stack) < cap(stack) {
		stack = stack[:len(stack)+1]
		f.seen = stack[len(stack)-1].seen[:0]
		stack[len(stack)-1] = f
		return stack
	}
	return append(stack, f)
}

const fewKeys = 16

func (f *frame) has(key string) bool {
	if f.seenMap != nil {
		_, ok := f.seenMap[key]
		return ok
	}
	return slices.Contains(f.seen, key)
}

func (f *frame) add(key string) {
	switch {
	case f.seenMap != nil:
		f.seenMap[key] = struct{}{}
	case len(f.seen) < fewKeys:
		f.seen = append(f.seen, key)
	default:
		f.seenMap = make(map[string]struct{}, 2*fewKeys)
		for _, k := range f.seen {
			f.seenMap[k] = struct{}{}
		}
		f.seenMap[key] = struct{}{}
	}
}

// keyPath names key of the innermost frame by its path: "metadata.a", "destinations[1].amount".
func keyPath(stack []frame, key string) string {
	var b strings.Builder
	for _, f := range stack[:len(stack)-1] {
		if f.obj {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(key)
	return b.String()
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type whose shape checkKeys follows for a value decoded into t: t
// without pointers, or nil when t decodes itself (UnmarshalJSON, UnmarshalText, such
// as Amount, decimal.Decimal and json.RawMessage) or is an interface.
func target(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if p := reflect.PointerTo(t); p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// structFields returns the JSON names of t's fields as encoding/json sees them (tag
// name or field name; "-" skipped; fields of untagged embedded structs promoted, the
// outer ones first) with the type each decodes into.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := fieldsOf(t, map[reflect.Type]bool{})
	fieldCache.Store(t, m)
	return m
}

// fieldsOf is structFields without the cache; visiting stops a struct that embeds a
// pointer to itself.
func fieldsOf(t reflect.Type, visiting map[reflect.Type]bool) map[string]reflect.Type {
	visiting[t] = true
	m := map[string]reflect.Type{}
	var embedded []reflect.Type
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	for _, e := range embedded {
		if visiting[e] {
			continue
		}
		for name, ft := range fieldsOf(e, visiting) {
			if _, ok := m[name]; !ok {
				m[name] = ft
			}
		}
	}
	return m
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
// queryBool reads an optional true/false query parameter: nil when absent, and a
// validation error on v naming it for anything else.
func queryBool(r *http.Request, name string, v *validation.Error) *bool {
	switch r.URL.Query().Get(name) {
	case "":
		return nil
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	v.Add(name, errors.New("want true or false"))
	return nil
}

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
