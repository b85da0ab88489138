package submerchant_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
)

var dec = kassatest.Dec

// hooks records the webhook bodies each path received.
type hooks struct {
	mu  sync.Mutex
	got map[string][]map[string]any
	srv *httptest.Server
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{got: map[string][]map[string]any{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env map[string]any
		json.Unmarshal(b, &env)
		h.mu.Lock()
		h.got[r.URL.Path] = append(h.got[r.URL.Path], env)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// TestSubMerchants_EachScopeHasItsOwnMoneyAndEvents: two sub-merchants and the operator
// each sell, pay out and refund on the sim chain. Each payment is booked on its own
// scope's balance (the operator's balance never holds a sub-merchant's money), each
// payout and refund is held from its own, a webhook endpoint of a sub-merchant hears
// only its events while the operator's hears all, the same order id and the same
// customer's wallet may exist once per scope, an inactive sub-merchant gets nothing
// new (its invoices go on), an unknown or other mode's one is refused under
// sub_merchant_id, and the ledger balances.
func TestSubMerchants_EachScopeHasItsOwnMoneyAndEvents(t *testing.T) {
	e := kassatest.New(t)
	ctx := context.Background()
	g := e.Gateway
	subs := g.SubMerchants()
	a, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-a", Name: "Ada's Teas", LogoURL: "https://cdn.example.com/a.png"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "seller-b", Name: "Bob's Beans"})
	if err != nil {
		t.Fatal(err)
	}
	h := newHooks(t)
	for _, ep := range []struct{ path, sub string }{{"/a", a.ID}, {"/own", ""}, {"/all", webhook.AllScopes}} {
		if _, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: h.srv.URL + ep.path, Events: []string{"*"}, SubMerchantID: ep.sub}); err != nil {
			t.Fatal(err)
		}
	}
	sell := func(sub, amount string) *invoice.Invoice {
		inv := e.Create(invoice.CreateParams{Amount: dec(amount), Currency: "BTC", OrderID: "order-1", SubMerchantID: sub})
		if inv.SubMerchantID != sub {
			t.Fatalf("invoice for %q is %q's", sub, inv.SubMerchantID)
		}
		e.PayInFull(inv, "BTC")
		e.Confirm(inv, "BTC")
		return inv
	}
	invA, invB, invOwn := sell(a.ID, "0.03"), sell(b.ID, "0.05"), sell("", "0.07")
	if invA.ID == invB.ID || invB.ID == invOwn.ID {
		t.Fatal("the same order id in two scopes made one invoice")
	}
	balance := func(sub string) (avail, held string) {
		t.Helper()
		bl, err := g.SubBalance(ctx, asset.Test, sub, "BTC")
		if err != nil {
			t.Fatal(err)
		}
		return bl.Available.String(), bl.Held.String()
	}
	for sub, want := range map[string]string{a.ID: "0.03", b.ID: "0.05", "": "0.07"} {
		if got, _ := balance(sub); got != want {
			t.Errorf("scope %q available %s, want %s", sub, got, want)
		}
	}

	po, err := g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: dec("0.01"), Currency: "BTC", Destination: e.Recipient(asset.Bitcoin, 1),
		SubMerchantID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if av, held := balance(a.ID); av != "0.02" || held != "0.01" {
		t.Fatalf("A after its payout: available %s held %s", av, held)
	}
	if _, err := g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: dec("0.04"), Currency: "BTC", Destination: e.Recipient(asset.Bitcoin, 1),
		SubMerchantID: a.ID}); !errors.Is(err, payout.ErrInsufficientFunds) {
		t.Fatalf("A paying out more than its own 0.02 (the operator has 0.07): %v", err)
	}
	rf, err := g.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: invB.ID, Amount: dec("0.01"), Destination: e.Recipient(asset.Bitcoin, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if rf.SubMerchantID != b.ID {
		t.Fatalf("B's refund is in scope %q", rf.SubMerchantID)
	}
	e.Mine(asset.Bitcoin, 1)
	if p := e.Payout(po.ID); p.Status != payout.StatusCompleted || p.SubMerchantID != a.ID {
		t.Fatalf("A's payout: %s %q", p.Status, p.SubMerchantID)
	}
	if av, _ := balance(b.ID); av != "0.04" {
		t.Errorf("B after its refund: %s", av)
	}
	if av, held := balance(""); av != "0.07" || held != "0" {
		t.Errorf("the operator's own balance moved with A's and B's: %s held %s", av, held)
	}

	for _, sub := range []string{"", a.ID} {
		if _, _, err := g.Wallets().Create(ctx, asset.Test, wallet.CreateParams{CustomerID: "user-1", Currency: "BTC", SubMerchantID: sub}); err != nil {
			t.Fatalf("user-1's BTC wallet in scope %q: %v", sub, err)
		}
	}

	for _, c := range []struct {
		name string
		sub  string
	}{{"unknown", "sm_aaaaaaaaaaaaaaaaaaaa"}, {"not an id", "seller-a"}} {
		_, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("1"), Currency: "USD", SubMerchantID: c.sub})
		if !validation.HasField(err, "sub_merchant_id") {
			t.Errorf("an invoice of an %s sub-merchant: %v", c.name, err)
		}
		_, err = g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: dec("0.001"), Currency: "BTC", Destination: e.Recipient(asset.Bitcoin, 1), SubMerchantID: c.sub})
		if !validation.HasField(err, "sub_merchant_id") {
			t.Errorf("a payout of an %s sub-merchant: %v", c.name, err)
		}
	}
	if _, err := g.Invoices().Create(ctx, asset.Live, invoice.CreateParams{Amount: dec("1"), Currency: "USD", SubMerchantID: a.ID}); !validation.HasField(err, "sub_merchant_id") {
		t.Errorf("a test sub-merchant's invoice in live mode: %v", err)
	}
	off := false
	if _, err := subs.Update(ctx, asset.Test, b.ID, submerchant.UpdateParams{Active: &off}); err != nil {
		t.Fatal(err)
	}
	_, err = g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("1"), Currency: "USD", SubMerchantID: b.ID})
	if !errors.Is(err, submerchant.ErrInactive) || !validation.HasField(err, "sub_merchant_id") {
		t.Errorf("an invoice of an inactive sub-merchant: %v", err)
	}
	// Its money is still its own: an inactive sub-merchant's payouts go on.
	if _, err := g.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: dec("0.002"), Currency: "BTC", Destination: e.Recipient(asset.Bitcoin, 4),
		SubMerchantID: b.ID}); err != nil {
		t.Errorf("a payout of an inactive sub-merchant's balance: %v", err)
	}
	// url_callback is signed with the mode's one secret: not for a sub-merchant's invoice.
	_, err = g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("1"), Currency: "USD", SubMerchantID: a.ID,
		CallbackURL: "https://shop.example.com/cb"})
	if !errors.Is(err, invoice.ErrSubMerchantCallback) || !validation.HasField(err, "url_callback") {
		t.Errorf("a sub-merchant's invoice with url_callback: %v", err)
	}

	// Webhooks: A's endpoint heard A's events only, the operator's own endpoint the
	// operator's own only, and the endpoint of every scope all of them.
	e.Sync()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, env := range h.got["/a"] {
		if env["sub_merchant_id"] != a.ID {
			t.Errorf("A's endpoint got an event of scope %v: %v", env["sub_merchant_id"], env["type"])
		}
	}
	for _, env := range h.got["/own"] {
		if env["sub_merchant_id"] != nil {
			t.Errorf("the operator's own endpoint got an event of scope %v: %v", env["sub_merchant_id"], env["type"])
		}
	}
	if len(h.got["/own"]) == 0 {
		t.Error("the operator's own endpoint got nothing")
	}
	scopes := map[any]int{}
	for _, env := range h.got["/all"] {
		scopes[env["sub_merchant_id"]]++
	}
	if len(h.got["/a"]) == 0 || scopes[a.ID] != len(h.got["/a"]) || scopes[b.ID] == 0 || scopes[nil] == 0 {
		t.Errorf("A's endpoint got %d events; the operator's by scope: %v", len(h.got["/a"]), scopes)
	}
	e.Verify()
}

// TestSubMerchants_BadInputIsNamed: every wrong field of a create or update is named,
// with nothing stored; ids of another mode or of the wrong shape are not found.
func TestSubMerchants_BadInputIsNamed(t *testing.T) {
	e := kassatest.New(t)
	ctx := context.Background()
	subs := e.Gateway.SubMerchants()
	for _, c := range []struct {
		name  string
		p     submerchant.CreateParams
		field string
	}{
		{"no external_id", submerchant.CreateParams{Name: "x"}, "external_id"},
		{"an external_id with spaces", submerchant.CreateParams{ExternalID: "a b", Name: "x"}, "external_id"},
		{"no name", submerchant.CreateParams{ExternalID: "s1"}, "name"},
		{"a blank name", submerchant.CreateParams{ExternalID: "s1", Name: "   "}, "name"},
		{"a name with a bidi override", submerchant.CreateParams{ExternalID: "s1", Name: "a\u202eb"}, "name"},
		{"a bad email", submerchant.CreateParams{ExternalID: "s1", Name: "x", SupportEmail: "nope"}, "support_email"},
		{"an http logo", submerchant.CreateParams{ExternalID: "s1", Name: "x", LogoURL: "http://cdn.example.com/a.png"}, "logo_url"},
		{"a javascript logo", submerchant.CreateParams{ExternalID: "s1", Name: "x", LogoURL: "javascript:alert(1)"}, "logo_url"},
		{"a logo host with a ;", submerchant.CreateParams{ExternalID: "s1", Name: "x", LogoURL: "https://a;script-src*/x.png"}, "logo_url"},
		{"a logo with user info", submerchant.CreateParams{ExternalID: "s1", Name: "x", LogoURL: "https://u:p@cdn.example.com/a.png"}, "logo_url"},
		{"settings not an object", submerchant.CreateParams{ExternalID: "s1", Name: "x", BusinessSettings: json.RawMessage(`[1]`)}, "business_settings"},
	} {
		if _, err := subs.Create(ctx, asset.Test, c.p); !validation.HasField(err, c.field) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.field)
		}
	}
	if _, total, err := subs.List(ctx, submerchant.ListParams{Mode: asset.Test, Page: 1, Limit: 10}); err != nil || total != 0 {
		t.Fatalf("after the refusals: %d sub-merchants, %v", total, err)
	}
	sm, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "s1", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := subs.Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "s1", Name: "Again"}); !errors.Is(err, submerchant.ErrExternalIDTaken) {
		t.Errorf("a second s1: %v", err)
	}
	if _, err := subs.Create(ctx, asset.Live, submerchant.CreateParams{ExternalID: "s1", Name: "Live Ada"}); err != nil {
		t.Errorf("s1 in the other mode: %v", err)
	}
	bad := "javascript:alert(1)"
	if _, err := subs.Update(ctx, asset.Test, sm.ID, submerchant.UpdateParams{LogoURL: &bad}); !validation.HasField(err, "logo_url") {
		t.Errorf("an update to a bad logo: %v", err)
	}
	if got, _ := subs.Get(ctx, asset.Test, sm.ID); got.LogoURL != "" {
		t.Errorf("a refused update stored %q", got.LogoURL)
	}
	for _, id := range []string{"sm_nope", "x", sm.ID} {
		m := asset.Test
		if id == sm.ID {
			m = asset.Live
		}
		if _, err := subs.Get(ctx, m, id); !errors.Is(err, submerchant.ErrNotFound) {
			t.Errorf("Get(%s, %s): %v", m, id, err)
		}
	}
}

// TestSubMerchants_EndpointLimitIsPerScope: a sub-merchant filling its webhook
// endpoints up to the limit refuses its own next one and leaves the operator's and
// other sub-merchants' room as it was.
func TestSubMerchants_EndpointLimitIsPerScope(t *testing.T) {
	e := kassatest.New(t, kassatest.WithWebhookOptions(webhook.Options{MaxEndpoints: 3}))
	ctx := context.Background()
	g := e.Gateway
	a, _ := g.SubMerchants().Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "a", Name: "A"})
	b, _ := g.SubMerchants().Create(ctx, asset.Test, submerchant.CreateParams{ExternalID: "b", Name: "B"})
	mk := func(sub string) error {
		_, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: "http://127.0.0.1:9/h", Events: []string{"*"}, SubMerchantID: sub})
		return err
	}
	for range 3 {
		if err := mk(a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := mk(a.ID); !errors.Is(err, webhook.ErrTooManyEndpoints) {
		t.Fatalf("A's fourth endpoint: %v", err)
	}
	for _, sub := range []string{"", b.ID, webhook.AllScopes} {
		if err := mk(sub); err != nil {
			t.Errorf("scope %q's first endpoint after A's three: %v", sub, err)
		}
	}
}
