package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

// specReceiver is a webhook receiver written only from the Standard Webhooks
// specification: it checks the three headers and the HMAC itself.
type specReceiver struct {
	mu      sync.Mutex
	secrets []string // any of them may sign
	got     []map[string]any
	ids     map[string]int
	fail    int // answer 500 to this many requests first
	calls   int
	srv     *httptest.Server
	bad     []string
	// lastHeader and lastBody are the last accepted request, as received.
	lastHeader http.Header
	lastBody   []byte
}

func newReceiver(t *testing.T) *specReceiver {
	r := &specReceiver{ids: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func specSignature(secret, id, ts string, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (r *specReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail > 0 {
		r.fail--
		http.Error(w, "not today", http.StatusInternalServerError)
		return
	}
	id, ts, sigs := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), strings.Fields(req.Header.Get("webhook-signature"))
	ok := false
	for _, s := range r.secrets {
		for _, sig := range sigs {
			if hmac.Equal([]byte(sig), []byte(specSignature(s, id, ts, body))) {
				ok = true
			}
		}
	}
	if !ok || req.Header.Get("Content-Type") != "application/json" {
		r.bad = append(r.bad, id)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var env map[string]any
	json.Unmarshal(body, &env)
	r.got = append(r.got, env)
	r.ids[id]++
	r.lastHeader, r.lastBody = req.Header.Clone(), body
	w.WriteHeader(http.StatusNoContent)
}

func (r *specReceiver) count() (calls, ok int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, len(r.got)
}

func endpoint(t *testing.T, env *kassatest.Env, url string, events ...string) webhook.Endpoint {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	ep, err := env.Gateway.Webhooks().Create(context.Background(), asset.Test, webhook.CreateParams{URL: url, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestWebhook_DeliveredAndSignedPerSpec(t *testing.T) {
	env := kassatest.New(t)
	r := newReceiver(t)
	ep := endpoint(t, env, r.srv.URL, "invoice.created", "invoice.paid")
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("secret %q", ep.Secret)
	}
	r.secrets = []string{ep.Secret}
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("5"), Currency: "USDT_TRON", CustomerID: "cus_9", Metadata: []byte(`{"order":"A-1"}`)})
	env.Sync()
	if _, ok := r.count(); ok != 1 || len(r.bad) != 0 {
		t.Fatalf("deliveries %d, bad %v", ok, r.bad)
	}
	got := r.got[0]
	if got["type"] != "invoice.created" || got["livemode"] != false || !strings.HasPrefix(got["id"].(string), "evt_") {
		t.Fatalf("envelope %v", got)
	}
	if _, err := time.Parse(time.RFC3339, got["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	data := got["data"].(map[string]any)
	if data["id"] != inv.ID || data["customer_id"] != "cus_9" || data["metadata"].(map[string]any)["order"] != "A-1" {
		t.Fatalf("data %v", data)
	}
	// Filtered: confirming and payment_detected are not subscribed; paid is.
	env.Pay(inv, "USDT_TRON", "5")
	env.Mine(asset.Tron, 19)
	if _, ok := r.count(); ok != 2 || r.got[1]["type"] != "invoice.paid" {
		t.Fatalf("after paid: %d deliveries, last %v", ok, r.got[len(r.got)-1]["type"])
	}
	// Our own Verify agrees with the spec receiver (the fake clock is months from the
	// real one, hence the tolerance); a changed byte fails it.
	if err := webhook.Verify(ep.Secret, r.lastHeader, r.lastBody, 365*24*time.Hour); err != nil {
		t.Fatalf("webhook.Verify on a delivered message: %v", err)
	}
	tampered := append([]byte(nil), r.lastBody...)
	tampered[len(tampered)-2] ^= 1
	if err := webhook.Verify(ep.Secret, r.lastHeader, tampered, 365*24*time.Hour); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	detail, err := env.Gateway.Webhooks().Event(context.Background(), asset.Test, r.got[1]["id"].(string))
	if err != nil || len(detail.Deliveries) != 1 || detail.Deliveries[0].Status != webhook.DeliverySucceeded ||
		len(detail.Deliveries[0].AttemptLog) != 1 || detail.Deliveries[0].AttemptLog[0].StatusCode != 204 {
		t.Fatalf("event detail %+v, %v", detail, err)
	}
}

func TestWebhook_RetriesOnTheSchedule(t *testing.T) {
	env := kassatest.New(t)
	r := newReceiver(t)
	r.fail = 3
	ep := endpoint(t, env, r.srv.URL, "invoice.created")
	r.secrets = []string{ep.Secret}
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	env.Sync()
	steps := []struct {
		advance time.Duration
		calls   int
	}{
		{50 * time.Second, 1}, // 1 min -10% not yet reached
		{20 * time.Second, 2}, // 70 s: the 1 min retry
		{4 * time.Minute, 2},  // 5 min -10% not reached
		{2 * time.Minute, 3},  // the 5 min retry
		{12 * time.Minute, 3}, // 15 min -10% not reached
		{5 * time.Minute, 4},  // the 15 min retry succeeds
		{24 * time.Hour, 4},   // and nothing more
	}
	for i, s := range steps {
		env.Advance(s.advance)
		if calls, _ := r.count(); calls != s.calls {
			t.Fatalf("step %d: %d calls, want %d", i, calls, s.calls)
		}
	}
	if _, ok := r.count(); ok != 1 {
		t.Fatal("the retry did not deliver")
	}
}

func TestWebhook_AlwaysFailingEndsFailedThenRedelivered(t *testing.T) {
	env := kassatest.New(t)
	r := newReceiver(t)
	r.fail = 1 << 30
	ep := endpoint(t, env, r.srv.URL, "invoice.created")
	r.secrets = []string{ep.Secret}
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	env.Sync()
	for range 10 {
		env.Advance(7 * time.Hour)
	}
	evs := createdEvents(t, env)
	detail, _ := env.Gateway.Webhooks().Event(context.Background(), asset.Test, evs[0].ID)
	d := detail.Deliveries[0]
	if d.Status != webhook.DeliveryFailed || d.Attempts != 6 || len(d.AttemptLog) != 6 || d.LastError != "HTTP 500" {
		t.Fatalf("after the schedule: %+v", d.Delivery)
	}
	if calls, _ := r.count(); calls != 6 {
		t.Fatalf("%d calls, want 6 (1 + 5 retries)", calls)
	}
	r.mu.Lock()
	r.fail = 0
	r.mu.Unlock()
	if n, err := env.Gateway.Webhooks().Redeliver(context.Background(), asset.Test, evs[0].ID); err != nil || n != 1 {
		t.Fatalf("redeliver: %d, %v", n, err)
	}
	env.Sync()
	if _, ok := r.count(); ok != 1 {
		t.Fatal("redelivery did not arrive")
	}
	if _, err := env.Gateway.Webhooks().Redeliver(context.Background(), asset.Live, evs[0].ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("redeliver from the other mode: %v", err)
	}
}

// createdEvents returns the invoice.created events of test mode, newest first.
func createdEvents(t *testing.T, env *kassatest.Env) []event.Event {
	var evs []event.Event
	err := env.Store.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		evs, _, err = tx.ListEvents(ctx, asset.Test, string(event.InvoiceCreated), nil, 1, 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func webhookEvents(t *testing.T, env *kassatest.Env) ([]event.Event, int, error) {
	var evs []event.Event
	var total int
	err := env.Store.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		evs, total, err = tx.ListEvents(ctx, asset.Test, "", nil, 1, 100)
		return err
	})
	return evs, total, err
}

func TestWebhook_KilledBetweenCommitAndDelivery(t *testing.T) {
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	r := newReceiver(t)
	ep := endpoint(t, env, r.srv.URL)
	r.secrets = []string{ep.Secret}
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"}) // committed, not delivered
	env.Restart()                                                                 // Restart syncs: delivered now
	if _, ok := r.count(); ok != 1 {
		t.Fatalf("delivered %d after restart, want 1", ok)
	}
	// A dispatcher that claimed a delivery and died: the lease must expire first.
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("2"), Currency: "USD"})
	if _, err := env.Gateway.Webhooks().Fanout(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := env.Store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.ClaimDeliveries(ctx, env.Clock.Now(), env.Clock.Now().Add(5*time.Minute), 10)
		if len(got) != 1 {
			return fmt.Errorf("claimed %d", len(got))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Restart()
	if _, ok := r.count(); ok != 1 {
		t.Fatal("a leased delivery was sent before its lease expired")
	}
	env.Advance(6 * time.Minute)
	if _, ok := r.count(); ok != 2 {
		t.Fatal("the delivery of a dead dispatcher was never sent")
	}
}

func TestWebhook_RotationWindow(t *testing.T) {
	env := kassatest.New(t)
	r := newReceiver(t)
	ep := endpoint(t, env, r.srv.URL)
	old := ep.Secret
	rot, err := env.Gateway.Webhooks().RotateSecret(context.Background(), asset.Test, ep.ID)
	if err != nil || rot.Secret == old || !strings.HasPrefix(rot.Secret, "whsec_") {
		t.Fatalf("rotate: %v", err)
	}
	for _, secret := range []string{old, rot.Secret} { // a receiver on either secret accepts
		r.mu.Lock()
		r.secrets = []string{secret}
		r.mu.Unlock()
		env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
		env.Sync()
	}
	if _, ok := r.count(); ok != 2 || len(r.bad) != 0 {
		t.Fatalf("during the window: %d ok, bad %v", ok, r.bad)
	}
	env.Advance(25 * time.Hour)
	r.mu.Lock()
	r.secrets = []string{old}
	r.mu.Unlock()
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	env.Sync()
	if len(r.bad) != 1 {
		t.Fatal("the old secret still signs after the rotation window")
	}
	if got, _ := env.Gateway.Webhooks().Get(context.Background(), asset.Test, ep.ID); got.Secret != "" {
		t.Fatal("Get shows the secret")
	}
}

func TestWebhook_BadEndpointsAreRefused(t *testing.T) {
	env := kassatest.New(t, kassatest.WithWebhookOptions(webhook.Options{MaxEndpoints: 2}))
	ctx := context.Background()
	wh := env.Gateway.Webhooks()
	cases := []struct {
		p     webhook.CreateParams
		field string
		want  error
	}{
		{webhook.CreateParams{URL: "ftp://example.com/", Events: []string{"*"}}, "url", webhook.ErrBadURL},
		{webhook.CreateParams{URL: "not a url", Events: []string{"*"}}, "url", webhook.ErrBadURL},
		{webhook.CreateParams{URL: "https://user:pw@example.com/", Events: []string{"*"}}, "url", webhook.ErrBadURL},
		{webhook.CreateParams{URL: "https://example.com/", Events: []string{"invoice.teleported"}}, "events[0]", webhook.ErrUnknownEventType},
		{webhook.CreateParams{URL: "https://example.com/"}, "events", webhook.ErrNoEvents},
	}
	for _, c := range cases {
		_, err := wh.Create(ctx, asset.Test, c.p)
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields[c.field]) == 0 || !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v on %s", c.p, err, c.want, c.field)
		}
	}
	endpoint(t, env, "http://127.0.0.1:1/a")
	endpoint(t, env, "http://127.0.0.1:1/b")
	if _, err := wh.Create(ctx, asset.Test, webhook.CreateParams{URL: "http://127.0.0.1:1/c", Events: []string{"*"}}); !errors.Is(err, webhook.ErrTooManyEndpoints) {
		t.Fatalf("third endpoint: %v", err)
	}
	if eps, _ := wh.List(ctx, asset.Test); len(eps) != 2 {
		t.Fatalf("%d endpoints stored", len(eps))
	}
	if eps, _ := wh.List(ctx, asset.Live); len(eps) != 0 {
		t.Fatal("test endpoints visible in live mode")
	}
}

// TestWebhook_SSRFWithoutAllowPrivate uses a Gateway with the production setting.
func TestWebhook_SSRFWithoutAllowPrivate(t *testing.T) {
	g, _ := kassatest.Gateway(t, kassa.Config{})
	for _, u := range []string{"http://127.0.0.1:8080/", "http://localhost/hook", "http://10.0.0.7/", "http://169.254.169.254/latest/meta-data", "http://[::1]/"} {
		_, err := g.Webhooks().Create(context.Background(), asset.Test, webhook.CreateParams{URL: u, Events: []string{"*"}})
		if !errors.Is(err, webhook.ErrPrivateAddress) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if eps, _ := g.Webhooks().List(context.Background(), asset.Test); len(eps) != 0 {
		t.Fatal("a refused endpoint was stored")
	}
}

func TestWebhook_HostileReceivers(t *testing.T) {
	env := kassatest.New(t, kassatest.WithWebhookOptions(webhook.Options{Timeout: 300 * time.Millisecond}))
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	redirectTarget := newReceiver(t)
	servers := map[string]http.HandlerFunc{
		"hang": func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server notices when the client hangs up
			select {                    // hangs until the client gives up
			case <-hang:
			case <-r.Context().Done():
			}
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, redirectTarget.srv.URL, http.StatusFound)
		},
		"huge": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("x", 1<<16))
			for range 4096 { // 256 MiB if anyone read it all
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"500": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
	}
	ids := map[string]string{}
	for name, h := range servers {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		ids[name] = endpoint(t, env, srv.URL).ID
	}
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	start := time.Now()
	env.Sync()
	if time.Since(start) > 10*time.Second {
		t.Fatal("a hanging receiver held the dispatcher")
	}
	evs, _, _ := webhookEvents(t, env)
	detail, _ := env.Gateway.Webhooks().Event(context.Background(), asset.Test, evs[0].ID)
	byTarget := map[string]webhook.DeliveryDetail{}
	for _, d := range detail.Deliveries {
		byTarget[d.Target] = d
	}
	for _, name := range []string{"hang", "redirect", "500"} {
		d := byTarget[ids[name]]
		if d.Status != webhook.DeliveryPending || d.Attempts != 1 || d.LastError == "" {
			t.Errorf("%s: %+v (want a failed attempt and a retry)", name, d.Delivery)
		}
	}
	if calls, _ := redirectTarget.count(); calls != 0 {
		t.Error("a redirect was followed")
	}
	huge := byTarget[ids["huge"]]
	if huge.Status != webhook.DeliverySucceeded || len(huge.AttemptLog[0].Response) > 1024 {
		t.Errorf("huge body: %+v", huge.Delivery)
	}
}

func TestWebhook_CallbackURLGetsSignedEvents(t *testing.T) {
	env := kassatest.New(t)
	r := newReceiver(t)
	secret, err := env.Gateway.Webhooks().CallbackSecret(context.Background(), asset.Test)
	if err != nil {
		t.Fatal(err)
	}
	r.secrets = []string{secret}
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD", CallbackURL: r.srv.URL + "/order/77"})
	env.Sync()
	if _, ok := r.count(); ok != 1 || r.got[0]["type"] != "invoice.created" {
		t.Fatalf("callback deliveries %d, bad %v", ok, r.bad)
	}
}

func TestWebhook_FailingEndpointIsDisabled(t *testing.T) {
	env := kassatest.New(t, kassatest.WithWebhookOptions(webhook.Options{DisableAfter: 2 * time.Hour}))
	r := newReceiver(t)
	r.fail = 1 << 30
	ep := endpoint(t, env, r.srv.URL)
	env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
	env.Sync()
	for range 6 {
		env.Advance(45 * time.Minute)
		env.Create(invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "USD"})
		env.Sync()
	}
	got, _ := env.Gateway.Webhooks().Get(context.Background(), asset.Test, ep.ID)
	if got.Enabled || got.DisabledReason == "" {
		t.Fatalf("endpoint %+v", got)
	}
	found := false
	for _, e := range env.Events() {
		if e.Type == webhook.EndpointDisabled && e.ObjectID == ep.ID {
			found = true
		}
	}
	if !found {
		t.Fatal("no webhook_endpoint.disabled event")
	}
	enabled := true
	if got, err := env.Gateway.Webhooks().Update(context.Background(), asset.Test, ep.ID, webhook.UpdateParams{Enabled: &enabled}); err != nil || !got.Enabled || got.DisabledReason != "" {
		t.Fatalf("re-enable: %+v, %v", got, err)
	}
}

// TestWebhook_ThousandEventsThreeEndpoints checks none is lost and none duplicated.
func TestWebhook_ThousandEventsThreeEndpoints(t *testing.T) {
	env := kassatest.New(t)
	var rs []*specReceiver
	for range 3 {
		r := newReceiver(t)
		r.secrets = []string{endpoint(t, env, r.srv.URL).Secret}
		rs = append(rs, r)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 250 {
				err := env.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
					_, err := tx.InsertEvent(ctx, event.Event{ID: fmt.Sprintf("evt_load%d_%d", w, i), Type: event.InvoiceCreated,
						CreatedAt: env.Clock.Now(), Mode: asset.Test, ObjectID: "inv_" + strconv.Itoa(i), Data: []byte(`{}`)})
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	env.Sync()
	for i, r := range rs {
		r.mu.Lock()
		if len(r.ids) != 1000 || len(r.got) != 1000 || len(r.bad) != 0 {
			t.Errorf("receiver %d: %d distinct, %d received, %d bad", i, len(r.ids), len(r.got), len(r.bad))
		}
		for id, n := range r.ids {
			if n != 1 {
				t.Errorf("receiver %d got %s %d times", i, id, n)
			}
		}
		r.mu.Unlock()
	}
}
