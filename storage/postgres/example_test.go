package postgres_test

import (
	"context"
	"log"
	"os"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/storage/postgres"
)

// Every instance of a shop opens the same database and runs the Gateway's jobs: each
// job that must run once runs on one instance at a time, under a lease.
func ExampleOpen() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.Options{MaxConns: 10})
	if err != nil {
		log.Fatal(err)
	}
	hostname, _ := os.Hostname()
	g, err := kassa.New(kassa.Config{Store: store, Instance: hostname /* optional */, Mnemonic: os.Getenv("KASSA_MNEMONIC")})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	go g.Run(ctx)
}
