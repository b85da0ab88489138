package main

import (
	"bytes"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
)

// TestQuickstartSmoke runs the demo shop as CI does (-smoke): two purchases through
// HTTP, paid with test funds on the go-ethereum devnet and on the Tron devnet, heard by
// the shop's webhook receiver. Then it checks the books: two paid invoices, exactly 25
// USDT available on each network.
func TestQuickstartSmoke(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	if err := run(t.Context(), config{addr: "127.0.0.1:0", db: db, smoke: true, out: &out, log: log}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"open http://127.0.0.1:", "webhook invoice.paid (signature verified)", "invoice paid on the go-ethereum devnet is paid",
		"invoice paid on the Tron devnet is paid", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	g, err := kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: db, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, code := range []string{"USDT_ETHEREUM", "USDT_TRON"} {
		b, err := g.Balance(t.Context(), asset.Test, code)
		if err != nil || b.Available.String() != "25" || !b.Pending.IsZero() {
			t.Fatalf("%s balance: %+v, %v (want 25 available)", code, b, err)
		}
	}
	_, total, err := g.Invoices().List(t.Context(), invoice.ListParams{Mode: asset.Test, Status: invoice.StatusPaid})
	if err != nil || total != 2 {
		t.Fatalf("paid invoices: %d, %v", total, err)
	}
}
