// Package pgtest gives tests a fresh, empty PostgreSQL database on the server named by
// the environment variable KASSA_TEST_DATABASE_URL (a postgres:// URL of a role that
// may create databases). Each call creates a database of its own and drops it when the
// test ends, so tests run in parallel and leave nothing behind.
//
// Without the variable the tests skip, unless KASSA_POSTGRES=required (CI sets it):
// then they fail, so a CI run without its database is red, not quietly green.
// `.ci/run` installs PostgreSQL from Debian's packages when it is missing and starts a
// throwaway cluster on loopback; README says how to do the same by hand.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that names the server.
const Env = "KASSA_TEST_DATABASE_URL"

// URL returns the URL of a new, empty database, dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("KASSA_POSTGRES") == "required" {
			t.Fatalf("pgtest: %s is not set and KASSA_POSTGRES=required", Env)
		}
		t.Skipf("pgtest: %s is not set (see README: Developing Kassa)", Env)
	}
	name, drop, err := Create(context.Background(), base)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return name
}

// Create creates a new, empty database on the server at base (a postgres:// URL)
// and returns its URL and a function that drops it (closing its connections).
func Create(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", Env, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "kassa_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return fmt.Errorf("connect to drop %s: %w", name, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
