package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
)

// TestQuickstart runs the demo and checks what it claims: the invoice is paid once,
// the balance is exactly 25 USDT, nothing is pending.
func TestQuickstart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run(t.Context(), db, log); err != nil {
		t.Fatal(err)
	}
	g, err := kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: db, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	b, err := g.Balance(t.Context(), asset.Test, "USDT_TRON")
	if err != nil || b.Available.String() != "25" || !b.Pending.IsZero() {
		t.Fatalf("balance: %+v, %v (want 25 available)", b, err)
	}
	_, total, err := g.ListInvoices(t.Context(), invoice.ListParams{Mode: asset.Test, Status: invoice.StatusPaid})
	if err != nil || total != 1 {
		t.Fatalf("paid invoices: %d, %v", total, err)
	}
}
