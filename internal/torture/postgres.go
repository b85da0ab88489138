package torture

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"

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

// leases returns the leases held now (unexpired), name to holder, on the database's
// clock.
func (t pgTarget) leases(ctx context.Context) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, t.url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT name, holder FROM leases WHERE expires_at > now()`)
	if err != nil {
		return nil, err
	}
	held := map[string]string{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			return nil, err
		}
		held[name] = holder
	}
	return held, rows.Err()
}

// cursors returns each watcher's processed height, keyed by its lease's name
// (watch:network:mode).
func (t pgTarget) cursors(ctx context.Context) (map[string]uint64, error) {
	conn, err := pgx.Connect(ctx, t.url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT network, mode, height FROM chain_cursors`)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for rows.Next() {
		var network, mode string
		var h uint64
		if err := rows.Scan(&network, &mode, &h); err != nil {
			return nil, err
		}
		out["watch:"+network+":"+mode] = h
	}
	return out, rows.Err()
}
