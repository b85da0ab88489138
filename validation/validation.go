// Package validation holds the typed errors that every Kassa package returns for bad
// input: a FieldError names the field that is wrong and wraps a sentinel that says why,
// and an Error collects every FieldError of one call, so a caller can show all of them at
// once and still test each cause with errors.Is.
//
// It is a leaf package (it imports nothing from Kassa) so that the lowest layers, such
// as asset and keys, can return the same error type that the HTTP handler maps to
// 422 validation_error. The root package re-exports both types as kassa.FieldError and
// kassa.ValidationError.
package validation

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// FieldError says that one input field is wrong and why.
type FieldError struct {
	// Field is the name of the input field as the caller wrote it ("amount",
	// "metadata.order_id", "destinations[3].address").
	Field string
	// Err is the reason, usually a sentinel of the package that checked the field, so
	// errors.Is(err, asset.ErrTooPrecise) works through the wrapper.
	Err error
}

// Field returns a *FieldError for field, or nil when err is nil.
func Field(field string, err error) error {
	if err == nil {
		return nil
	}
	return &FieldError{Field: field, Err: err}
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Error is a set of field errors from one call, re-exported as
// kassa.ValidationError: Fields maps each wrong field to its messages, the shape of the
// API's error "details".
type Error struct {
	Fields map[string][]string
	causes []error
}

// Add records that field is wrong because of err. A nil err is ignored. If err is
// itself a *FieldError or *Error, its fields are merged under their own names, prefixed
// by field when field is not empty.
func (e *Error) Add(field string, err error) {
	if err == nil {
		return
	}
	var ve *Error
	if errors.As(err, &ve) {
		for _, c := range ve.causes {
			var fe *FieldError
			if errors.As(c, &fe) {
				e.Add(join(field, fe.Field), fe.Err)
			} else {
				e.Add(field, c)
			}
		}
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		field, err = join(field, fe.Field), fe.Err
	}
	if e.Fields == nil {
		e.Fields = make(map[string][]string)
	}
	e.Fields[field] = append(e.Fields[field], err.Error())
	e.causes = append(e.causes, &FieldError{Field: field, Err: err})
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	default:
		return prefix + "." + field
	}
}

// Err returns e when at least one field is wrong, and nil otherwise, so a validator can
// end with "return v.Err()".
func (e *Error) Err() error {
	if e == nil || len(e.causes) == 0 {
		return nil
	}
	return e
}

// Error lists the wrong fields in a stable order: "amount: must be greater than 0; ...".
func (e *Error) Error() string {
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, f := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		if f != "" {
			b.WriteString(f)
			b.WriteString(": ")
		}
		b.WriteString(strings.Join(e.Fields[f], ", "))
	}
	return b.String()
}

// Unwrap returns every cause, each a *FieldError, so errors.Is and errors.As see them.
func (e *Error) Unwrap() []error { return e.causes }

// Rename returns the errors of e with field from named to instead (the others as they
// are), their causes kept for errors.Is: a caller that passed its input on under
// another name reports it under its own.
func (e *Error) Rename(from, to string) *Error {
	var out Error
	for _, c := range e.causes {
		var fe *FieldError
		if errors.As(c, &fe) && fe.Field == from {
			out.Add(to, fe.Err)
		} else {
			out.Add("", c)
		}
	}
	return &out
}

// HasField reports whether err is (or wraps) a validation error naming field: an
// *Error with it among its Fields, or a *FieldError for it.
func HasField(err error, field string) bool {
	var v *Error
	if errors.As(err, &v) {
		return v.Fields[field] != nil
	}
	var fe *FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// Paging limits of the lists every service offers.
const (
	MaxPage      = 1_000_000
	DefaultLimit = 20
	MaxLimit     = 100
)

// Paging defaults a list's page (1) and limit (DefaultLimit) when they are zero, and
// adds to v, wrapping bad (the calling package's sentinel), a page outside 1..MaxPage
// or a limit outside 1..MaxLimit.
func Paging(v *Error, page, limit *int, bad error) {
	if *page == 0 {
		*page = 1
	}
	if *limit == 0 {
		*limit = DefaultLimit
	}
	if *page < 1 || *page > MaxPage {
		v.Add("page", fmt.Errorf("%w: want 1 or more", bad))
	}
	if *limit < 1 || *limit > MaxLimit {
		v.Add("limit", fmt.Errorf("%w: want 1 to %d", bad, MaxLimit))
	}
}
