package invoice_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
)

type seenIndexes map[asset.Family]map[uint32]string

// check records inv's addresses and fails on an index handed out twice or an address
// that is not the keyring's at its index.
func (s seenIndexes) check(t *testing.T, k *keys.Keyring, inv *invoice.Invoice) {
	t.Helper()
	for _, m := range inv.Methods {
		want, err := k.Address(m.Family, inv.Mode, keys.Receive, m.Index)
		if err != nil || want.Encoded != m.Address {
			t.Fatalf("%s %s: %s at index %d, the keyring derives %s (%v)", inv.ID, m.Asset, m.Address, m.Index, want.Encoded, err)
		}
		if s[m.Family] == nil {
			s[m.Family] = map[uint32]string{}
		}
		if other, ok := s[m.Family][m.Index]; ok && other != inv.ID {
			t.Fatalf("%s index %d handed out to %s and %s", m.Family, m.Index, other, inv.ID)
		}
		s[m.Family][m.Index] = inv.ID
	}
}

// Two Gateways on one database (two processes, or one restarted while the other still
// runs) each reserve blocks of indexes and derive addresses outside their
// transactions: no index is ever handed out twice, and every address is the keyring's
// at its index.
func TestCreate_ReservedIndexesAreNeverHandedOutTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	a := kassatest.New(t, kassatest.WithDatabase(path))
	b := kassatest.New(t, kassatest.WithDatabase(path))
	k, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := seenIndexes{}
	for round := range 6 {
		for _, env := range []*kassatest.Env{a, b} {
			// Back to back, so the blocks grow (1, 2, 4, ...) and both hold unused ones.
			for i := range 1 << round {
				inv, err := env.Gateway.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{
					Amount: kassatest.Dec("10"), Currency: "USD", OrderID: fmt.Sprintf("%p-%d-%d", env, round, i)})
				if err != nil {
					t.Fatal(err)
				}
				seen.check(t, k, inv)
			}
		}
	}
	if n := len(seen[asset.FamilyEVM]); n != 2*63 {
		t.Fatalf("%d EVM indexes for %d invoices", n, 2*63)
	}
}

// A create answered by an existing invoice (the same order_id) gives its reserved
// indexes back: the next invoice takes them, so repeated requests leave no gaps.
func TestCreate_AnExistingInvoiceLeavesNoGap(t *testing.T) {
	env := kassatest.New(t)
	create := func(order string) *invoice.Invoice {
		t.Helper()
		inv, err := env.Gateway.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{
			Amount: kassatest.Dec("10"), Currency: "BTC", OrderID: order})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	first := create("order-a")
	for range 5 {
		if again := create("order-a"); again.ID != first.ID {
			t.Fatalf("order-a made %s and %s", first.ID, again.ID)
		}
	}
	if next := create("order-b"); next.Methods[0].Index != first.Methods[0].Index+1 {
		t.Fatalf("the invoice after five repeated requests got index %d, want %d", next.Methods[0].Index, first.Methods[0].Index+1)
	}
}
