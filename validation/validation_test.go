package validation_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kassapay/kassa/validation"
)

var (
	errNegative = errors.New("must be greater than 0")
	errUnknown  = errors.New("unknown asset")
)

func TestError_CollectsFieldsAndUnwraps(t *testing.T) {
	var v validation.Error
	if v.Err() != nil {
		t.Fatal("empty Error must be nil")
	}
	v.Add("amount", errNegative)
	v.Add("currency", errUnknown)
	v.Add("ignored", nil)
	err := v.Err()
	if err == nil {
		t.Fatal("Err() = nil with two fields")
	}
	if !errors.Is(err, errNegative) || !errors.Is(err, errUnknown) {
		t.Fatalf("errors.Is does not see the causes: %v", err)
	}
	var fe *validation.FieldError
	if !errors.As(err, &fe) || fe.Field != "amount" {
		t.Fatalf("errors.As FieldError = %+v", fe)
	}
	if got, want := err.Error(), "amount: must be greater than 0; currency: unknown asset"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if _, ok := v.Fields["ignored"]; ok {
		t.Fatal("a nil error was recorded")
	}
}

func TestError_MergesNestedWithPrefix(t *testing.T) {
	var inner validation.Error
	inner.Add("address", errUnknown)
	var outer validation.Error
	outer.Add("destinations[2]", inner.Err())
	outer.Add("", validation.Field("amount", errNegative))
	if got := outer.Fields["destinations[2].address"]; len(got) != 1 || got[0] != "unknown asset" {
		t.Fatalf("nested field = %v (all: %v)", got, outer.Fields)
	}
	if got := outer.Fields["amount"]; len(got) != 1 {
		t.Fatalf("FieldError not merged under its own name: %v", outer.Fields)
	}
	if !errors.Is(outer.Err(), errUnknown) {
		t.Fatal("nested cause lost")
	}
}

func TestField_NilIsNil(t *testing.T) {
	if validation.Field("x", nil) != nil {
		t.Fatal("Field(x, nil) != nil")
	}
}

// TestRenameAndHasField: Rename moves one field's errors under another name, keeping
// their causes for errors.Is and the other fields as they are; HasField finds a field
// in an *Error or a *FieldError, wrapped or not.
func TestRenameAndHasField(t *testing.T) {
	cause := errors.New("bad checksum")
	var v validation.Error
	v.Add("destination_address", cause)
	v.Add("amount", errors.New("too small"))
	r := v.Rename("destination_address", "address")
	if !validation.HasField(r, "address") || validation.HasField(r, "destination_address") || !validation.HasField(r, "amount") {
		t.Fatalf("renamed fields: %v", r.Fields)
	}
	if !errors.Is(r, cause) {
		t.Fatal("the cause was lost in the rename")
	}
	if !validation.HasField(fmt.Errorf("wrapped: %w", validation.Field("email", cause)), "email") || validation.HasField(cause, "email") ||
		validation.HasField(nil, "email") {
		t.Fatal("HasField on a FieldError, a plain error, nil")
	}
}
