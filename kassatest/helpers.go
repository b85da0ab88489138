package kassatest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/shopspring/decimal"
)

// Dec parses a decimal literal, panicking on a malformed one (test input).
func Dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// Create creates a test-mode invoice, failing the test on an error.
func (e *Env) Create(p invoice.CreateParams) *invoice.Invoice {
	e.T.Helper()
	inv, err := e.Gateway.Invoices().Create(context.Background(), asset.Test, p)
	if err != nil {
		e.T.Fatal(err)
	}
	return inv
}

// WantStatus fails the test unless invoice id is in status s with exception ex, and
// returns it.
func (e *Env) WantStatus(id string, s invoice.Status, ex invoice.Exception) *invoice.Invoice {
	e.T.Helper()
	inv := e.Invoice(id)
	if inv.Status != s || inv.Exception != ex {
		e.T.Fatalf("invoice %s is %s/%q, want %s/%q (paid %s, confirmed %s)", id, inv.Status, inv.Exception, s, ex, inv.AmountPaid, inv.AmountConfirmed)
	}
	return inv
}

// Balance returns the merchant's test-mode balance of asset code.
func (e *Env) Balance(code string) kassa.Balance {
	e.T.Helper()
	b, err := e.Gateway.Balance(context.Background(), asset.Test, code)
	if err != nil {
		e.T.Fatal(err)
	}
	return b
}

// Fund credits amount of asset code to the merchant through a real invoice: paid on
// its sim chain and mined to its confirmations. The available balance must grow by
// exactly amount.
func (e *Env) Fund(code, amount string) {
	e.T.Helper()
	a, err := e.Assets.Get(code)
	if err != nil {
		e.T.Fatal(err)
	}
	before := e.Balance(code).Available
	inv := e.Create(invoice.CreateParams{Amount: Dec(amount), Currency: code})
	e.Pay(inv, code, amount)
	e.Mine(a.Network, a.Confirmations)
	if got := e.Balance(code).Available; !got.Equal(before.Add(Dec(amount))) {
		e.T.Fatalf("kassatest: funding %s %s: available %s", amount, code, got)
	}
}

// NewPayout creates a test-mode payout, failing the test on an error.
func (e *Env) NewPayout(c payout.CreateParams) *payout.Payout {
	e.T.Helper()
	p, err := e.Gateway.Payouts().Create(context.Background(), asset.Test, c)
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// Payout returns the stored test-mode payout.
func (e *Env) Payout(id string) *payout.Payout {
	e.T.Helper()
	p, err := e.Gateway.Payouts().Get(context.Background(), asset.Test, id)
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// Gateway builds a Gateway from cfg for a test that needs one kassatest.New does not
// make (its own chains, a live-mode network, ...), filling in what cfg leaves out:
// the test mnemonic, a database (in memory, or the SQLite file of cfg.DatabasePath),
// the fixed rates, the test master key and a silent logger. The Gateway and its
// database are closed when the test ends; the database is returned too.
func Gateway(t testing.TB, cfg kassa.Config) (*kassa.Gateway, storage.Store) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Mnemonic == "" && cfg.Keyring == nil && len(cfg.XPubs) == 0 {
		cfg.Mnemonic = Mnemonic
	}
	if cfg.Store == nil {
		path := cfg.DatabasePath
		if path == "" {
			path = ":memory:"
		}
		s, err := sqlite.Open(context.Background(), path, sqlite.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		cfg.Store, cfg.DatabasePath = s, ""
	}
	if cfg.Rates == nil {
		cache, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{DefaultRates()}, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Rates = cache
	}
	if cfg.MasterKey == nil {
		cfg.MasterKey = MasterKey
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	g, err := kassa.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, cfg.Store
}

// SimChain is a sim chain standing in for network n in mode m.
func SimChain(n asset.NetworkID, m asset.Mode) *sim.Chain {
	return sim.New(chains.NetworkRef{ID: n, Mode: m})
}

// EventTypes returns the types of the events delivered so far about object id (an
// invoice, a payout), in order.
func (e *Env) EventTypes(id string) []event.Type {
	var out []event.Type
	for _, ev := range e.Events() {
		if ev.ObjectID == id {
			out = append(out, ev.Type)
		}
	}
	return out
}

// Method returns inv's payment method in asset code, failing the test if it has none.
func (e *Env) Method(inv *invoice.Invoice, code string) invoice.Method {
	e.T.Helper()
	for _, m := range inv.Methods {
		if m.Asset == code {
			return m
		}
	}
	e.T.Fatalf("kassatest: invoice %s has no %s method", inv.ID, code)
	return invoice.Method{}
}

// PayInFull pays what inv's method in asset code asks (its AmountDue, to its address)
// into the mempool of the method's sim chain, syncs, and returns the transaction id:
// the invoice is then confirming. Confirm mines it to paid.
func (e *Env) PayInFull(inv *invoice.Invoice, code string) string {
	e.T.Helper()
	txid := e.PayAmount(inv, code, e.Method(inv, code).AmountDue)
	e.Sync()
	return txid
}

// Confirm mines, on the network of inv's method in asset code, as many blocks as a
// payment of its amount needs (the asset's confirmations, or its tier's), and syncs.
func (e *Env) Confirm(inv *invoice.Invoice, code string) {
	e.T.Helper()
	m := e.Method(inv, code)
	a, err := e.Assets.Get(code)
	if err != nil {
		e.T.Fatal(err)
	}
	e.Mine(m.Network, a.ConfirmationsFor(m.AmountDue))
}
