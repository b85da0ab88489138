package invoice_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	_ "modernc.org/sqlite"
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

// A create answered by an existing invoice (the same order_id), or refused inside its
// transaction (the same order_id with other parameters), gives its reserved indexes
// back: the next invoice takes them, so repeated requests leave no gaps.
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
	for range 3 { // the same order id with another amount: refused, its transaction rolled back
		_, err := env.Gateway.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{
			Amount: kassatest.Dec("11"), Currency: "BTC", OrderID: "order-a"})
		if !errors.Is(err, invoice.ErrOrderConflict) {
			t.Fatalf("a conflicting order: %v", err)
		}
	}
	if next := create("order-b"); next.Methods[0].Index != first.Methods[0].Index+1 {
		t.Fatalf("the invoice after repeated and conflicting requests got index %d, want %d", next.Methods[0].Index, first.Methods[0].Index+1)
	}
}

// The last indexes of a family are all used, one at a time once a block would pass
// the end (the refused block taken in a transaction of its own), and then creates fail
// with keys.ErrIndexExhausted.
func TestCreate_TheLastIndexesAreAllUsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	env := kassatest.New(t, kassatest.WithDatabase(path))
	create := func(i int) error {
		_, err := env.Gateway.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{
			Amount: kassatest.Dec("0.001"), Currency: "BTC", OrderID: fmt.Sprint("last-", i)})
		return err
	}
	if err := create(0); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Five indexes left: MaxIndex-4 .. MaxIndex.
	if _, err := db.Exec(`UPDATE key_indexes SET next_index = ? WHERE family = 'btc' AND mode = 'test'`, int64(keys.MaxIndex)-4); err != nil {
		t.Fatal(err)
	}
	made := 0
	for i := 1; ; i++ {
		err := create(i)
		if errors.Is(err, keys.ErrIndexExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		made++
	}
	if made != 5 {
		t.Fatalf("%d invoices on the last five indexes", made)
	}
}
