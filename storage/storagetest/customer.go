package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/storage"
)

var customerTests = []test{
	{"Customer_InsertGetUpdateDelete", testCustomers},
	{"Customer_ListFiltersAndPages", testListCustomers},
	{"Customer_ExternalIDUniqueConcurrent", testCustomerExternalIDConcurrent},
}

// cust returns a customer with every field set as the service stores it.
func cust(id string, m asset.Mode, ext string, created time.Time) customer.Customer {
	return customer.Customer{ID: id, Mode: m, ExternalID: ext, Name: "Ada Lovelace ☕", Email: id + "@example.com", Phone: "+44 20 7946 0958",
		Description: "line one\nline two", Metadata: json.RawMessage(`{"tier":"gold","z":1,"a":[1,2]}`), CreatedAt: created, UpdatedAt: created}
}

func getCustomer(t *testing.T, s storage.Store, m asset.Mode, id string) (customer.Customer, bool) {
	t.Helper()
	var c customer.Customer
	var ok bool
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		c, ok, err = tx.GetCustomer(ctx, m, id)
		return err
	})
	return c, ok
}

// testCustomers checks InsertCustomer and GetCustomer (every field back, metadata byte
// for byte; nothing for an unknown id or one of the other mode), ErrExternalIDTaken on
// insert and update (an external_id is unique in its mode, and may repeat across
// modes; "" never clashes), UpdateCustomer and DeleteCustomer (neither reaching the
// other mode).
func testCustomers(t *testing.T, s storage.Store) {
	a, b := cust("cus_a", asset.Test, "crm-1", t0), cust("cus_b", asset.Test, "", at(time.Minute))
	b.Metadata, b.Phone = nil, ""
	l := cust("cus_l", asset.Live, "crm-1", t0) // the same external_id in the other mode
	n := cust("cus_n", asset.Test, "", at(2*time.Minute))
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, c := range []customer.Customer{a, b, l, n} {
			if err := tx.InsertCustomer(ctx, c); err != nil {
				return fmt.Errorf("%s: %w", c.ID, err)
			}
		}
		return nil
	})
	for _, want := range []customer.Customer{a, b, l, n} {
		got, ok := getCustomer(t, s, want.Mode, want.ID)
		if !ok {
			t.Fatalf("GetCustomer(%s): none", want.ID)
		}
		sameJSON(t, "GetCustomer "+want.ID, got, want)
		if string(got.Metadata) != string(want.Metadata) {
			t.Errorf("%s: metadata %s, want %s byte for byte", want.ID, got.Metadata, want.Metadata)
		}
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "cus_a"}, {asset.Test, "cus_l"}, {asset.Test, "cus_unknown"}} {
		if got, ok := getCustomer(t, s, c.m, c.id); ok {
			t.Errorf("GetCustomer(%s, %s) = %+v, want none", c.m, c.id, got)
		}
	}
	dup := cust("cus_dup", asset.Test, "crm-1", at(time.Hour))
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.InsertCustomer(ctx, dup) }); !errors.Is(err, customer.ErrExternalIDTaken) {
		t.Errorf("a second customer with external_id crm-1: %v, want ErrExternalIDTaken", err)
	}
	if _, ok := getCustomer(t, s, asset.Test, "cus_dup"); ok {
		t.Error("the refused customer was stored")
	}
	clash := b
	clash.ExternalID = "crm-1"
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateCustomer(ctx, clash) }); !errors.Is(err, customer.ErrExternalIDTaken) {
		t.Errorf("an update taking crm-1: %v, want ErrExternalIDTaken", err)
	}
	upd := a
	upd.ExternalID, upd.Name, upd.Email, upd.Phone, upd.Description = "crm-1b", "", "", "", ""
	upd.Metadata, upd.UpdatedAt = nil, at(3*time.Hour)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateCustomer(ctx, upd) })
	if got, _ := getCustomer(t, s, asset.Test, "cus_a"); got.ExternalID != "crm-1b" || got.Name != "" || got.Metadata != nil || !got.UpdatedAt.Equal(upd.UpdatedAt) {
		t.Errorf("after UpdateCustomer: %+v", got)
	}
	// Neither an update nor a delete in the other mode reaches a customer.
	other := l
	other.Mode, other.Name = asset.Test, "attacker"
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateCustomer(ctx, other) })
	var deleted bool
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		deleted, err = tx.DeleteCustomer(ctx, asset.Test, "cus_l")
		return err
	})
	if got, ok := getCustomer(t, s, asset.Live, "cus_l"); deleted || !ok || got.Name != l.Name {
		t.Errorf("the live customer after an update and a delete in test mode: %+v, %v (deleted %v)", got, ok, deleted)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		deleted, err = tx.DeleteCustomer(ctx, asset.Test, "cus_b")
		return err
	})
	if _, ok := getCustomer(t, s, asset.Test, "cus_b"); !deleted || ok {
		t.Errorf("DeleteCustomer(cus_b): deleted %v, still there %v", deleted, ok)
	}
}

// testListCustomers checks ListCustomers: one mode, newest first, the email and
// external_id filters, pages and the total.
func testListCustomers(t *testing.T, s storage.Store) {
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 7 {
			c := cust(fmt.Sprintf("cus_%02d", i), asset.Test, fmt.Sprintf("ext-%d", i), at(time.Duration(i)*time.Minute))
			if i%2 == 0 {
				c.Email = "even@example.com"
			}
			if err := tx.InsertCustomer(ctx, c); err != nil {
				return err
			}
		}
		return tx.InsertCustomer(ctx, cust("cus_live", asset.Live, "ext-1", t0))
	})
	list := func(p customer.ListParams) ([]string, int) {
		t.Helper()
		var cs []customer.Customer
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			cs, total, err = tx.ListCustomers(ctx, p)
			return err
		})
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids, total
	}
	for _, c := range []struct {
		p     customer.ListParams
		ids   string
		total int
	}{
		{customer.ListParams{Mode: asset.Test, Page: 1, Limit: 3}, "[cus_06 cus_05 cus_04]", 7},
		{customer.ListParams{Mode: asset.Test, Page: 3, Limit: 3}, "[cus_00]", 7},
		{customer.ListParams{Mode: asset.Test, Page: 4, Limit: 3}, "[]", 7},
		{customer.ListParams{Mode: asset.Test, Email: "even@example.com", Page: 1, Limit: 10}, "[cus_06 cus_04 cus_02 cus_00]", 4},
		{customer.ListParams{Mode: asset.Test, ExternalID: "ext-1", Page: 1, Limit: 10}, "[cus_01]", 1},
		{customer.ListParams{Mode: asset.Test, Email: "even@example.com", ExternalID: "ext-1", Page: 1, Limit: 10}, "[]", 0},
		{customer.ListParams{Mode: asset.Live, Page: 1, Limit: 10}, "[cus_live]", 1},
	} {
		ids, total := list(c.p)
		if got := fmt.Sprint(ids); (got != c.ids && !(c.ids == "[]" && ids == nil)) || total != c.total {
			t.Errorf("ListCustomers(%+v) = %s of %d, want %s of %d", c.p, got, total, c.ids, c.total)
		}
	}
}

// testCustomerExternalIDConcurrent: eight transactions insert customers with one
// external_id at once; exactly one is stored, the others get ErrExternalIDTaken.
func testCustomerExternalIDConcurrent(t *testing.T, s storage.Store) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				return tx.InsertCustomer(ctx, cust(fmt.Sprintf("cus_race%d", i), asset.Test, "same", t0))
			})
		}()
	}
	wg.Wait()
	var stored int
	for i, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, customer.ErrExternalIDTaken):
			t.Errorf("insert %d: %v, want nil or ErrExternalIDTaken", i, err)
		}
	}
	if stored != 1 {
		t.Errorf("%d customers stored with one external_id, want 1", stored)
	}
}
