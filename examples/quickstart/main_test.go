package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
)

// TestQuickstart runs the demo twice on one file: both runs succeed, the second gets new
// addresses and the balance accumulates (25.50 per run, never doubled by the replay).
func TestQuickstart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 2 {
		if err := run(t.Context(), db, log); err != nil {
			t.Fatal(err)
		}
	}
	g, err := kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: db, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	b, err := g.Balance(t.Context(), asset.Test, "USDT_BSC")
	if err != nil || b.Available.String() != "51" {
		t.Fatalf("balance after two runs: %+v, %v (want 51)", b, err)
	}
	a, err := g.NewDepositAddress(t.Context(), asset.Test, "BTC")
	if err != nil || a.Index != 2 {
		t.Fatalf("next BTC index %d, %v (want 2)", a.Index, err)
	}
}
