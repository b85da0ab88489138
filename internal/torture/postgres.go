package torture

import (
	"context"
	"errors"

	"github.com/kassapay/kassa/storage"
)

// newPostgresTarget makes a fresh database on the PostgreSQL server at url.
func newPostgresTarget(ctx context.Context, url string) (target, error) {
	return nil, errors.New("torture: storage/postgres is not built yet")
}

var _ = storage.Store(nil)
