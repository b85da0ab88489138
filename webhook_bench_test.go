package kassa_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

// BenchmarkWebhookDelivery measures signed deliveries per second to a local receiver
// (fan-out, lease, sign, POST, attempt log; SQLite file, 8 workers), against a bare
// http.Client POST loop of the same body with the same concurrency, in the same run.
func BenchmarkWebhookDelivery(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	env := kassatest.New(b, kassatest.WithDatabase(filepath.Join(b.TempDir(), "kassa.db")),
		kassatest.WithWebhookOptions(webhook.Options{Workers: 8}))
	ctx := context.Background()
	if _, err := env.Gateway.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: recv.URL, Events: []string{"*"}}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1500) // about an invoice event's size
	b.Run("baseline=bare-post-8-goroutines", func(b *testing.B) {
		client := &http.Client{Timeout: 10 * time.Second}
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range jobs {
					resp, err := client.Post(recv.URL, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		for b.Loop() {
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
	})
	b.Run("kassa-delivery", func(b *testing.B) { benchDeliveries(b, env, body) })
}

// benchDeliveries measures the delivery of b.N events of body's size to the Env's
// endpoints: the events are written outside the timer, then fanned out and
// dispatched.
func benchDeliveries(b *testing.B, env *kassatest.Env, body []byte) {
	ctx := context.Background()
	b.StopTimer()
	drain(b, env) // what earlier work left (invoice.created events) is not counted
	n := b.N
	run := time.Now().UnixNano()
	err := env.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		for i := range n {
			if _, err := tx.InsertEvent(ctx, event.Event{ID: fmt.Sprintf("evt_b%d_%d", run, i), Type: event.InvoiceCreated,
				CreatedAt: env.Clock.Now(), Mode: asset.Test, ObjectID: "inv_b", Data: []byte(`{"body":"` + string(body) + `"}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	if got := drain(b, env); got != n {
		b.Fatalf("dispatched %d of %d", got, n)
	}
}

// drain fans out every pending event and dispatches every due delivery, and returns
// how many it dispatched.
func drain(b *testing.B, env *kassatest.Env) int {
	ctx := context.Background()
	for {
		k, err := env.Gateway.Webhooks().Fanout(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			break
		}
	}
	got, err := env.Gateway.Webhooks().Dispatch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return got
}
