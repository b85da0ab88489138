package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

var journalTests = []test{
	{"Journal_AppendAndReplay", testJournal},
}

// testJournal checks AppendJournal and JournalEntries: each network and mode's own
// entries, oldest first, byte for byte (binary entries included), none from a
// rolled-back transaction.
func testJournal(t *testing.T, s storage.Store) {
	entries := func(n chains.NetworkRef) [][]byte {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([][]byte, error) { return tx.JournalEntries(ctx, n) })
	}
	if got := entries(btcTest); len(got) != 0 {
		t.Fatalf("JournalEntries of a fresh store: %q", got)
	}
	binary := []byte{0x00, 0xff, 0x00, 'k', 0x80, 0x0a}
	want := [][]byte{[]byte(`{"op":"mine","height":1}`), binary, []byte(`{"op":"pay","to":"tb1qa0","amount":"50000"}`)}
	for i, e := range want {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			if err := tx.AppendJournal(ctx, btcTest, e); err != nil {
				return err
			}
			if i == 1 { // other journals in between
				if err := tx.AppendJournal(ctx, btcLive, []byte("live")); err != nil {
					return err
				}
				return tx.AppendJournal(ctx, ethTest, []byte("eth"))
			}
			return nil
		})
	}
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.AppendJournal(ctx, btcTest, []byte("rolled back")); err != nil {
			return err
		}
		return errors.New("crash before commit")
	})
	sameJSON(t, "JournalEntries(bitcoin/test)", entries(btcTest), want)
	sameJSON(t, "JournalEntries(bitcoin/live)", entries(btcLive), [][]byte{[]byte("live")})
	sameJSON(t, "JournalEntries(ethereum/test)", entries(ethTest), [][]byte{[]byte("eth")})
}
