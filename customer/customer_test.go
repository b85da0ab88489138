package customer_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
)

// TestCreate_RefusesEachBadFieldByName: every bad field is named, all at once, and
// nothing is stored.
func TestCreate_RefusesEachBadFieldByName(t *testing.T) {
	env := kassatest.New(t)
	svc, ctx := env.Gateway.Customers(), context.Background()
	_, err := svc.Create(ctx, asset.Test, customer.CreateParams{ExternalID: "has space", Name: "a\u202eb", Email: "Ada <ada@example.com>",
		Phone: "12", Description: strings.Repeat("d", 1001), Metadata: json.RawMessage(`"text"`)})
	var ve *kassa.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Create: %v, want a ValidationError", err)
	}
	for _, f := range []string{"external_id", "name", "email", "phone", "description", "metadata"} {
		if ve.Fields[f] == nil {
			t.Errorf("%s not named: %v", f, ve.Fields)
		}
	}
	if _, err := svc.Create(ctx, "staging", customer.CreateParams{}); !errors.Is(err, asset.ErrUnknownMode) {
		t.Errorf("an unknown mode: %v", err)
	}
	if _, total, err := svc.List(ctx, customer.ListParams{Mode: asset.Test}); err != nil || total != 0 {
		t.Fatalf("refused creates stored %d customers (%v)", total, err)
	}
}

// TestUpdate_ChangesOnlyWhatIsGiven: nil fields stay, "" clears one, JSON null
// clears the metadata; an external_id another customer has is refused by name and
// changes nothing; a refused update leaves every field as it was.
func TestUpdate_ChangesOnlyWhatIsGiven(t *testing.T) {
	env := kassatest.New(t)
	svc, ctx := env.Gateway.Customers(), context.Background()
	a, err := svc.Create(ctx, asset.Test, customer.CreateParams{ExternalID: "a-1", Name: "Ada", Email: "ada@example.com",
		Metadata: json.RawMessage(`{ "k" : 1 }`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Metadata) != `{"k":1}` {
		t.Fatalf("metadata stored as %s, want it compact", a.Metadata)
	}
	if _, err := svc.Create(ctx, asset.Test, customer.CreateParams{ExternalID: "b-1"}); err != nil {
		t.Fatal(err)
	}
	taken := "b-1"
	var fe *kassa.FieldError
	if _, err := svc.Update(ctx, asset.Test, a.ID, customer.UpdateParams{ExternalID: &taken}); !errors.Is(err, customer.ErrExternalIDTaken) ||
		!errors.As(err, &fe) || fe.Field != "external_id" {
		t.Fatalf("taking b-1: %v", err)
	}
	bad, name := "not an email", "Changed"
	var ve *kassa.ValidationError
	if _, err := svc.Update(ctx, asset.Test, a.ID, customer.UpdateParams{Email: &bad, Name: &name}); !errors.As(err, &ve) || ve.Fields["email"] == nil {
		t.Fatalf("a bad email: %v", err)
	}
	if kept, _ := svc.Get(ctx, asset.Test, a.ID); kept.Name != "Ada" || kept.ExternalID != "a-1" || kept.Email != "ada@example.com" {
		t.Fatalf("refused updates changed the customer: %+v", kept)
	}
	if kept, err := svc.Update(ctx, asset.Test, a.ID, customer.UpdateParams{Name: &name}); err != nil || string(kept.Metadata) != `{"k":1}` {
		t.Fatalf("an update without metadata: %+v, %v; want the metadata kept", kept, err)
	}
	empty, null := "", json.RawMessage("null")
	got, err := svc.Update(ctx, asset.Test, a.ID, customer.UpdateParams{Name: &empty, Metadata: &null})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "" || got.Metadata != nil || got.Email != "ada@example.com" || got.ExternalID != "a-1" {
		t.Fatalf("after the update: %+v", got)
	}
	if again, _ := svc.Get(ctx, asset.Test, a.ID); again.Email != "ada@example.com" || again.Metadata != nil {
		t.Fatalf("stored: %+v", again)
	}
	if _, err := svc.Update(ctx, asset.Live, a.ID, customer.UpdateParams{Name: &empty}); !errors.Is(err, customer.ErrNotFound) {
		t.Fatalf("an update in the other mode: %v", err)
	}
}

// TestCustomerID_OfKassasShapeMustNameACustomer: an invoice or payout's customer_id
// that is a cus_ id must name a customer of the mode (an unknown one, or one of the
// other mode, is refused by name); any other text is the merchant's own id, taken as
// it was before customers existed.
func TestCustomerID_OfKassasShapeMustNameACustomer(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	c, err := env.Gateway.Customers().Create(ctx, asset.Test, customer.CreateParams{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	live, err := env.Gateway.Customers().Create(ctx, asset.Live, customer.CreateParams{Name: "Live Ada"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{c.ID, "user-17", "cus", "cus_NffrFeUfNV2Hib"} { // the last a Stripe id: the merchant's own
		if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", CustomerID: id}); err != nil {
			t.Errorf("invoice for customer %q: %v", id, err)
		}
	}
	for _, id := range []string{"cus_aaaaaaaaaaaaaaaaaaaa", live.ID} {
		_, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", CustomerID: id})
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || ve.Fields["customer_id"] == nil || !errors.Is(err, invoice.ErrUnknownCustomer) {
			t.Errorf("invoice for customer %q: %v, want customer_id refused", id, err)
		}
	}
	env.Fund("BTC", "1")
	_, err = env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC",
		Destination: env.Recipient(asset.Bitcoin, 0), CustomerID: "cus_aaaaaaaaaaaaaaaaaaaa"})
	if !errors.Is(err, invoice.ErrUnknownCustomer) {
		t.Errorf("payout for an unknown customer: %v", err)
	}
	p, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC",
		Destination: env.Recipient(asset.Bitcoin, 0), CustomerID: c.ID})
	if err != nil || p.CustomerID != c.ID {
		t.Errorf("payout for %s: %+v, %v", c.ID, p, err)
	}
}

// TestDeletedCustomer_RetryOfAnInvoiceAnswersIt: an invoice created for a customer
// that was deleted since is answered again to a retry of its create (same order id),
// not refused; a new invoice for the deleted customer is.
func TestDeletedCustomer_RetryOfAnInvoiceAnswersIt(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	c, err := env.Gateway.Customers().Create(ctx, asset.Test, customer.CreateParams{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	params := invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", CustomerID: c.ID, OrderID: "ORD-1"}
	first, err := env.Gateway.Invoices().Create(ctx, asset.Test, params)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Gateway.Customers().Delete(ctx, asset.Test, c.ID); err != nil {
		t.Fatal(err)
	}
	again, err := env.Gateway.Invoices().Create(ctx, asset.Test, params)
	if err != nil || again.ID != first.ID {
		t.Fatalf("the retry: %v, %v; want invoice %s", again, err, first.ID)
	}
	params.OrderID = "ORD-2"
	if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, params); !errors.Is(err, invoice.ErrUnknownCustomer) {
		t.Fatalf("a new invoice for the deleted customer: %v", err)
	}
}
