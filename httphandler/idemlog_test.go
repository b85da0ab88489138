package httphandler_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/webhook"
)

// failingFinish is a store whose transactions cannot store an Idempotency-Key's answer.
type failingFinish struct{ storage.Store }

type finishFails struct{ storage.Tx }

func (finishFails) FinishIdempotent(context.Context, string, string, int, []byte) error {
	return errors.New("disk full")
}

func (s failingFinish) Update(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	return s.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error { return fn(ctx, finishFails{tx}) })
}

// lockedBuffer is a log sink safe for the handler's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAPI_IdempotencyStoreFailuresAreLogged (issue 14.8): the idempotency middleware
// dropped the errors of its storage updates. A failure to store the answer is now
// logged at ERROR: the key stays held until the lease ends, and the operator knows why.
func TestAPI_IdempotencyStoreFailuresAreLogged(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:", sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	g, err := kassa.New(kassa.Config{Mnemonic: kassatest.Mnemonic, Store: failingFinish{db}, MasterKey: kassatest.MasterKey, Logger: log,
		Webhooks: webhook.Options{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h, err := httphandler.New(g, httphandler.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	k, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test})
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, srv: srv, key: k.Secret}
	r := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": "https://hooks.shop.example/x", "events": []string{"*"}},
		map[string]string{"Idempotency-Key": "k-1"})
	want(t, r, 201, "")
	if out := logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "Idempotency-Key") || !strings.Contains(out, "disk full") {
		t.Fatalf("the failure to store the answer was not logged:\n%s", out)
	}
}
