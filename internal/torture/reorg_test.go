package torture

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestReorg_DeeperThanKeptHistory replays, on btcd, the reorg campaign run that found
// a lost payment: right after a fresh start at the tip, a 6-block reorg reached below
// the first block the watcher had seen, and the payments the new branch mined down
// there were never scanned (orphaned for good, never credited). The watcher now
// rescans below its history; the campaign's per-step check (available BTC equals the
// 3-confirmation payments on the best chain) holds.
func TestReorg_DeeperThanKeptHistory(t *testing.T) {
	line, err := Reorg(context.Background(), t.TempDir(), 1, 1795251896397148692, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "depth 1..6: [0 0 0 0 0 1]") {
		t.Fatalf("the seed no longer makes a 6-block reorg first: %s", line)
	}
}
