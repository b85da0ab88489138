package kassatest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/webhook"
)

// Receiver is a webhook endpoint inside a test: an HTTP server on 127.0.0.1 that the
// Env's Gateway delivers to, as it would to a shop's receiver. It checks every
// delivery the way a receiver must (webhook.ParseAt at the Env's clock, with a
// 5-minute tolerance), answers 200 to good ones and 400 to bad ones (failing the
// test), and keeps the events it accepted. Deliveries happen during the Env's syncs
// (Pay and Mine, PayInFull and Confirm, Sync), so Events is up to date when they
// return.
type Receiver struct {
	// Endpoint is the endpoint as created, Secret included.
	Endpoint webhook.Endpoint

	env    *Env
	mu     sync.Mutex
	events []event.Event
	fail   int
}

// WebhookReceiver starts a Receiver and registers it as a test-mode webhook endpoint
// for the event types given ("invoice.paid", ...; none means every type). It stops
// when the test ends.
func (e *Env) WebhookReceiver(types ...string) *Receiver {
	e.T.Helper()
	if len(types) == 0 {
		types = []string{"*"}
	}
	r := &Receiver{env: e}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	e.T.Cleanup(srv.Close)
	ep, err := e.Gateway.Webhooks().Create(context.Background(), asset.Test, webhook.CreateParams{
		URL: srv.URL + "/webhooks", Events: types, Description: "kassatest receiver"})
	if err != nil {
		e.T.Fatal(err)
	}
	r.Endpoint = ep
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ev, err := webhook.ParseAt(r.Endpoint.Secret, req.Header, body, 5*time.Minute, r.env.Clock.Now())
	if err != nil {
		r.env.T.Errorf("kassatest: a webhook delivery does not verify: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		http.Error(w, "kassatest: told to fail", http.StatusInternalServerError)
		return
	}
	r.events = append(r.events, ev)
}

// FailNext makes the next n deliveries answer 500, as a receiver that is down would:
// Kassa retries them later (advance the Env's clock past the retry delay and sync).
func (r *Receiver) FailNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// Events returns the events received and verified so far, in arrival order. Webhook
// deliveries are at least once and not ordered: a retried event may come twice, and
// after a later one.
func (r *Receiver) Events() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

// Types returns the types of Events, in arrival order.
func (r *Receiver) Types() []event.Type {
	var out []event.Type
	for _, ev := range r.Events() {
		out = append(out, ev.Type)
	}
	return out
}
