package torture

import (
	"context"
	"fmt"
	"net/url"

	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
)

// pgTarget is a fresh database on a PostgreSQL server, dropped at the end.
type pgTarget struct {
	url    string
	dropDB func() error
}

// newPostgresTarget makes a fresh database on the PostgreSQL server at url.
func newPostgresTarget(ctx context.Context, url string) (target, error) {
	db, drop, err := pgtest.Create(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("torture: %w", err)
	}
	return pgTarget{url: db, dropDB: drop}, nil
}

func (t pgTarget) name() string {
	if u, err := url.Parse(t.url); err == nil {
		return "postgres:" + u.Redacted()
	}
	return "postgres"
}

func (t pgTarget) env(vars map[string]string) map[string]string {
	vars["KASSA_DATABASE_URL"] = t.url
	return vars
}

func (t pgTarget) open(ctx context.Context) (storage.Store, error) {
	return postgres.Open(ctx, t.url, postgres.Options{MaxConns: 2})
}

func (t pgTarget) drop() { _ = t.dropDB() }
