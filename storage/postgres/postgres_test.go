package postgres_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/storage/storagetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// open opens a fresh database of its own on the test server, closed when t ends.
func open(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.URL(t), postgres.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return open(t) })
}
