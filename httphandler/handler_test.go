package httphandler_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

type api struct {
	t    *testing.T
	env  *kassatest.Env
	opts httphandler.Options
	h    atomic.Pointer[httphandler.Handler]
	srv  *httptest.Server
	key  string // secret key used by do
	skew time.Duration
	// lastTS keeps every request's timestamp distinct: a client retrying a request signs
	// it again at a later millisecond, while the same signature twice is a replay.
	lastTS int64
}

func newAPI(t *testing.T, opts httphandler.Options, envOpts ...kassatest.Option) *api {
	return newAPIOn(t, opts, kassatest.New(t, envOpts...))
}

// newAPIOn serves the handler over env's Gateway (a node env's, say).
func newAPIOn(t *testing.T, opts httphandler.Options, env *kassatest.Env) *api {
	opts.PublicURL = "https://shop.example/pay"
	a := &api{t: t, env: env, opts: opts}
	a.mount()
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.h.Load().ServeHTTP(w, r)
	})))
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	a.key = a.newKey(apikey.CreateParams{Mode: asset.Test})
	return a
}

// mount builds a new handler on the Env's current Gateway.
func (a *api) mount() {
	h, err := httphandler.New(a.env.Gateway, a.opts)
	if err != nil {
		a.t.Fatal(err)
	}
	a.h.Store(h)
}

// restart restarts the Gateway on its database (kassatest.WithDatabase) and serves a
// new handler on it, as a restarted server would.
func (a *api) restart() {
	a.t.Helper()
	a.env.Restart()
	a.mount()
}

// keyID is the id of the API key do signs with.
func (a *api) keyID() string {
	k, err := a.env.Gateway.Keys().Authenticate(context.Background(), a.key)
	if err != nil {
		a.t.Fatal(err)
	}
	return k.ID
}

func (a *api) newKey(p apikey.CreateParams) string {
	k, err := a.env.Gateway.Keys().Create(context.Background(), p)
	if err != nil {
		a.t.Fatal(err)
	}
	return k.Secret
}

type resp struct {
	code   int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r resp) data() map[string]any { d, _ := r.body["data"].(map[string]any); return d }
func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// do sends a request under /pay, signed unless unsigned is set.
func (a *api) do(method, path string, body any, hdr map[string]string) resp {
	a.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	full := "/pay" + path
	req, _ := http.NewRequest(method, a.srv.URL+full, bytes.NewReader(raw))
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
		ms := time.Now().Add(a.skew).UnixMilli()
		if a.skew == 0 {
			ms = max(ms, a.lastTS+1)
			a.lastTS = ms
		}
		ts := strconv.FormatInt(ms, 10)
		req.Header.Set("X-Kassa-Timestamp", ts)
		req.Header.Set("X-Kassa-Signature", sign(a.key, ts, method, full, raw))
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return a.exec(req)
}

// exec sends req and reads the answer.
func (a *api) exec(req *http.Request) resp {
	a.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	out := resp{code: res.StatusCode, header: res.Header}
	out.raw, _ = io.ReadAll(res.Body)
	json.Unmarshal(out.raw, &out.body)
	a.checkAnswer(res, out.raw)
	return out
}

func want(t *testing.T, r resp, code int, errCode string) {
	t.Helper()
	if r.code != code || (errCode != "" && r.errCode() != errCode) {
		t.Fatalf("HTTP %d %s, want %d %s: %s", r.code, r.errCode(), code, errCode, r.raw)
	}
}

func TestAPI_FullFlowInTestMode(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	var mu sync.Mutex
	var hooks []map[string]any
	var secret string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header, body, 365*24*time.Hour); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e map[string]any
		json.Unmarshal(body, &e)
		hooks = append(hooks, e)
	}))
	defer recv.Close()
	ep := a.do("POST", "/v1/webhook-endpoints", map[string]any{"url": recv.URL, "events": []string{"invoice.paid"}}, nil)
	want(t, ep, 201, "")
	mu.Lock()
	secret = ep.data()["secret"].(string)
	mu.Unlock()

	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "10", "currency": "USD", "to_currency": "USDT", "network": "TRC20",
		"order_id": "ORD-500", "customer_id": "user_1", "metadata": map[string]any{"order_id": "ORD-500"}, "description": "Premium"}, nil)
	want(t, inv, 201, "")
	d := inv.data()
	id := d["id"].(string)
	pm := d["payment_methods"].([]any)[0].(map[string]any)
	if d["status"] != "pending" || d["exception"] != nil || d["livemode"] != false || pm["code"] != "USDT_TRON" ||
		pm["amount_due"] != "10" || pm["payment_uri"] != "" /* no test-mode USDT contract on Tron */ || d["hosted_url"] != "https://shop.example/pay/checkout/"+id {
		t.Fatalf("invoice %s", inv.raw)
	}
	pay := a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "10", "confirmations": 19}, nil)
	want(t, pay, 200, "")
	if pay.data()["status"] != "paid" {
		t.Fatalf("after test pay: %s", pay.raw)
	}
	got := a.do("GET", "/v1/invoices/"+id, nil, nil)
	if got.data()["status"] != "paid" || got.data()["amount_confirmed"] != "10" {
		t.Fatalf("get: %s", got.raw)
	}
	mu.Lock()
	if len(hooks) != 1 || hooks[0]["type"] != "invoice.paid" || hooks[0]["data"].(map[string]any)["id"] != id {
		t.Fatalf("webhooks %v", hooks)
	}
	mu.Unlock()
	bal := a.do("GET", "/v1/balance", nil, nil)
	b := bal.data()["balances"].(map[string]any)["USDT_TRON"].(map[string]any)
	if b["available"] != "10" || bal.data()["total_usd"] != "10.00" {
		t.Fatalf("balance %s", bal.raw)
	}
	txs := a.do("GET", "/v1/invoices/"+id+"/transactions", nil, nil)
	if list := txs.body["data"].([]any); len(list) != 1 || list[0].(map[string]any)["status"] != "confirmed" {
		t.Fatalf("transactions %s", txs.raw)
	}
	// The same order id with the same parameters returns the same invoice (200); with
	// other parameters it is a conflict naming order_id (issue 14.21: it answered 201
	// with the old invoice).
	first := map[string]any{"amount": "10", "currency": "USD", "to_currency": "USDT", "network": "TRC20",
		"order_id": "ORD-500", "customer_id": "user_1", "metadata": map[string]any{"order_id": "ORD-500"}, "description": "Premium"}
	again := a.do("POST", "/v1/invoices", first, nil)
	if again.code != 200 || again.data()["id"] != id {
		t.Fatalf("order id not idempotent: %d %s", again.code, again.raw)
	}
	other := a.do("POST", "/v1/invoices", map[string]any{"amount": "10", "currency": "USD", "order_id": "ORD-500"}, nil)
	want(t, other, 409, "conflict")
	if d, _ := other.body["error"].(map[string]any)["details"].(map[string]any); d["order_id"] == nil {
		t.Fatalf("the conflict does not name order_id: %s", other.raw)
	}
	// The public status page shows no metadata or customer data.
	pub := a.do("GET", "/checkout/"+id+"/status", nil, map[string]string{"Authorization": "", "X-Kassa-Signature": "", "X-Kassa-Timestamp": ""})
	want(t, pub, 200, "")
	if strings.Contains(string(pub.raw), "user_1") || strings.Contains(string(pub.raw), "ORD-500") || pub.data()["status"] != "paid" {
		t.Fatalf("public status leaks or is wrong: %s", pub.raw)
	}
}

func TestAPI_AuthenticationAndModes(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": 5, "currency": "USDT_TRON"}, nil)
	want(t, inv, 201, "")
	id := inv.data()["id"].(string)
	test := a.key

	want(t, a.do("GET", "/v1/invoices/"+id, nil, map[string]string{"Authorization": ""}), 401, "unauthorized")
	want(t, a.do("GET", "/v1/invoices/"+id, nil, map[string]string{"Authorization": "Bearer sk_test_nope"}), 401, "unauthorized")
	basic := "Basic " + b64(test+":")
	want(t, a.do("GET", "/v1/invoices/"+id, nil, map[string]string{"Authorization": basic, "X-Kassa-Signature": "", "X-Kassa-Timestamp": ""}), 200, "")
	want(t, a.do("GET", "/v1/invoices/"+id, nil, map[string]string{"Authorization": "Basic " + b64(test+":password")}), 401, "unauthorized")

	a.key = a.newKey(apikey.CreateParams{Mode: asset.Live})
	want(t, a.do("GET", "/v1/invoices/"+id, nil, nil), 404, "not_found") // never 403: that would say it exists
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "5"}, nil), 403, "forbidden")
	if l := a.do("GET", "/v1/invoices", nil, nil); l.body["pagination"].(map[string]any)["total"].(float64) != 0 {
		t.Fatalf("live key lists test invoices: %s", l.raw)
	}
	want(t, a.do("GET", "/v1/nothing-here", nil, nil), 404, "not_found")
}

func b64(s string) string { return base64Std(s) }

func TestAPI_Signatures(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	body := map[string]any{"amount": "1", "currency": "USD"}
	want(t, a.do("POST", "/v1/invoices", body, map[string]string{"X-Kassa-Signature": ""}), 401, "invalid_signature")
	want(t, a.do("POST", "/v1/invoices", body, map[string]string{"X-Kassa-Signature": strings.Repeat("ab", 32)}), 401, "invalid_signature")
	a.skew = -6 * time.Minute
	want(t, a.do("POST", "/v1/invoices", body, nil), 401, "stale_timestamp")
	a.skew = 0
	// A GET may be unsigned, but a signed GET must verify.
	want(t, a.do("GET", "/v1/invoices?limit=5", nil, map[string]string{"X-Kassa-Signature": "", "X-Kassa-Timestamp": ""}), 200, "")
	want(t, a.do("GET", "/v1/invoices?limit=5", nil, map[string]string{"X-Kassa-Signature": "00"}), 401, "invalid_signature")
	// The path signed includes the mount prefix and the query: signing without them fails.
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	want(t, a.do("GET", "/v1/invoices?limit=5", nil, map[string]string{"X-Kassa-Timestamp": ts,
		"X-Kassa-Signature": sign(a.key, ts, "GET", "/v1/invoices?limit=5", nil)}), 401, "invalid_signature")
	// Replay: the same signed request twice.
	raw, _ := json.Marshal(body)
	ts = strconv.FormatInt(time.Now().UnixMilli(), 10)
	h := map[string]string{"X-Kassa-Timestamp": ts, "X-Kassa-Signature": sign(a.key, ts, "POST", "/pay/v1/invoices", raw)}
	want(t, a.do("POST", "/v1/invoices", raw, h), 201, "")
	want(t, a.do("POST", "/v1/invoices", raw, h), 401, "replayed_request")
	// The signing docs/http-api.md shows (sign) computes the same signature.
	if got := httphandler.Sign(a.key, ts, "POST", "/pay/v1/invoices", raw); got != h["X-Kassa-Signature"] {
		t.Fatal("httphandler.Sign disagrees with API.md")
	}
}

func TestAPI_IPAllowlistAndRateLimit(t *testing.T) {
	a := newAPI(t, httphandler.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	a.key = a.newKey(apikey.CreateParams{Mode: asset.Test, AllowedIPs: []string{"198.51.100.0/24"}, RateLimit: 3})
	r := a.do("GET", "/v1/balance", nil, map[string]string{"X-Forwarded-For": "203.0.113.42"})
	want(t, r, 403, "ip_not_allowed")
	if !strings.Contains(r.errMessage(), "203.0.113.42") {
		t.Fatalf("message %q", r.errMessage())
	}
	for i := range 3 {
		r := a.do("GET", "/v1/balance", nil, map[string]string{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})
		want(t, r, 200, "")
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("rate headers %v", r.header)
		}
	}
	r = a.do("GET", "/v1/balance", nil, map[string]string{"X-Forwarded-For": "198.51.100.7"})
	want(t, r, 429, "rate_limited")
	if s, _ := strconv.Atoi(r.header.Get("Retry-After")); s < 1 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

func (r resp) errMessage() string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestAPI_Idempotency(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	body := map[string]any{"amount": "3", "currency": "USD"}
	first := a.do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": "k-1"})
	want(t, first, 201, "")
	again := a.do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": "k-1"})
	if again.code != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.data()["id"] != first.data()["id"] {
		t.Fatalf("replay: %d %v %s", again.code, again.header, again.raw)
	}
	want(t, a.do("POST", "/v1/invoices", map[string]any{"amount": "4", "currency": "USD"}, map[string]string{"Idempotency-Key": "k-1"}), 422, "idempotency_key_reused")
	// Another mode's key does not share the record.
	keyID := a.keyID()
	a.env.Store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		now := a.env.Clock.Now() // the Gateway's clock keeps Idempotency-Key records
		_, _, _, err := tx.BeginIdempotent(ctx, keyID, "k-running", idemHash("POST", "/v1/invoices", body), now, now.Add(-time.Hour), now.Add(-time.Hour))
		return err
	})
	want(t, a.do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": "k-running"}), 409, "idempotency_in_progress")
	// A key held longer than the lease belongs to a request whose process died: a
	// retry runs (with an order_id, the invoice service returns the first invoice).
	ordered := map[string]any{"amount": "3", "currency": "USD", "order_id": "o-crash"}
	made := a.do("POST", "/v1/invoices", ordered, nil)
	want(t, made, 201, "")
	a.env.Store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		began := a.env.Clock.Now().Add(-2 * time.Minute)
		_, _, _, err := tx.BeginIdempotent(ctx, keyID, "k-dead", idemHash("POST", "/v1/invoices", ordered), began, began.Add(-time.Hour), began.Add(-time.Hour))
		return err
	})
	retry := a.do("POST", "/v1/invoices", ordered, map[string]string{"Idempotency-Key": "k-dead"})
	// The invoice of that order id exists with these parameters: it is answered (200).
	if retry.code != 200 || retry.data()["id"] != made.data()["id"] || retry.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry of a dead request's key: %d %s (first %s)", retry.code, retry.raw, made.data()["id"])
	}
	want(t, a.do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}), 422, "validation_error")
}

// TestAPI_IdempotencyKeyLostWithItsProcess: a create without order_id whose process
// died after its commit, before storing its answer, is run again by the retry and
// finds the first invoice (or payout) by its request key; the same key reused after
// the 24 hours for another request makes a new one.
func TestAPI_IdempotencyKeyLostWithItsProcess(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	a.fundBTC()
	// expire rewrites key's record as held since began by a request that died.
	keyID := a.keyID()
	expire := func(key string, body any, path string, began time.Time) {
		t.Helper()
		err := a.env.Store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
			future := a.env.Clock.Now().Add(time.Hour) // everything older is gone: overwrite
			_, _, _, err := tx.BeginIdempotent(ctx, keyID, key, idemHash("POST", path, body), began, future, future)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path, idField string
		body, other   map[string]any
	}{
		{"/v1/invoices", "id", map[string]any{"amount": "3", "currency": "USD"}, map[string]any{"amount": "4", "currency": "USD"}},
		{"/v1/checkout/sessions", "id", map[string]any{"amount": "3", "currency": "USD"}, map[string]any{"amount": "4", "currency": "USD"}},
		{"/v1/payments", "payment_id", map[string]any{"amount": "3", "fiat_currency": "USD"}, map[string]any{"amount": "4", "fiat_currency": "USD"}},
		{"/v1/payouts", "payout_id", map[string]any{"amount": "0.01", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 1)},
			map[string]any{"amount": "0.02", "currency": "BTC", "destination_address": a.env.Recipient(asset.Bitcoin, 2)}},
	} {
		key := "lost" + c.path
		first := a.do("POST", c.path, c.body, map[string]string{"Idempotency-Key": key})
		want(t, first, 201, "")
		id := first.data()[c.idField]
		// The process died before the answer was stored: the key is held, past the lease.
		expire(key, c.body, c.path, a.env.Clock.Now().Add(-2*time.Minute))
		retry := a.do("POST", c.path, c.body, map[string]string{"Idempotency-Key": key})
		if retry.code != 201 || retry.data()[c.idField] != id || retry.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("%s: retry after the lease %d %s, want %v made again by the service", c.path, retry.code, retry.raw, id)
		}
		// 25 hours later the shop reuses the key for another request: a new object.
		expire(key, c.body, c.path, a.env.Clock.Now().Add(-25*time.Hour))
		later := a.do("POST", c.path, c.other, map[string]string{"Idempotency-Key": key})
		want(t, later, 201, "")
		if later.data()[c.idField] == id {
			t.Fatalf("%s: a reused key for another request answered the old %v", c.path, id)
		}
	}
	invs, _, err := a.env.Gateway.Invoices().List(context.Background(), listAll())
	if err != nil || len(invs) != 1+3*2 { // fundBTC's, then two of each kind
		t.Fatalf("%d invoices (%v), want 7", len(invs), err)
	}
	if l := a.do("GET", "/v1/payouts", nil, nil); len(l.body["data"].([]any)) != 2 {
		t.Fatalf("payouts: %s", l.raw)
	}
}

func idemHash(method, path string, body any) []byte {
	raw, _ := json.Marshal(body)
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(raw)
	return h.Sum(nil)
}

func TestAPI_BadInput(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		code    int
		errCode string
		field   string
	}{
		{"malformed json", "POST", "/v1/invoices", `{"amount": `, 400, "bad_request", ""},
		{"wrong type", "POST", "/v1/invoices", `{"amount": "1", "currency": 5}`, 400, "bad_request", ""},
		{"trailing data", "POST", "/v1/invoices", `{"amount": "1", "currency": "USD"} {}`, 400, "bad_request", ""},
		{"unknown field", "POST", "/v1/invoices", `{"amount": "1", "currency": "USD", "colour": "red"}`, 422, "validation_error", "colour"},
		{"missing amount", "POST", "/v1/invoices", `{"currency": "USD"}`, 422, "validation_error", "amount"},
		{"bad amount", "POST", "/v1/invoices", `{"amount": "1e999", "currency": "USD"}`, 422, "amount_too_large", "amount"},
		{"NaN amount", "POST", "/v1/invoices", `{"amount": "NaN", "currency": "USD"}`, 422, "validation_error", "amount"},
		{"negative", "POST", "/v1/invoices", `{"amount": -1, "currency": "USD"}`, 422, "validation_error", "amount"},
		{"too small", "POST", "/v1/invoices", `{"amount": "0.1", "currency": "USDT_TRON"}`, 422, "amount_too_small", "amount"},
		{"unknown asset", "POST", "/v1/invoices", `{"amount": "1", "currency": "DOGE"}`, 422, "unsupported_asset", "currency"},
		{"lifetime", "POST", "/v1/invoices", `{"amount": "1", "currency": "USD", "lifetime": 10}`, 422, "validation_error", "lifetime"},
		{"metadata array", "POST", "/v1/invoices", `{"amount": "1", "currency": "USD", "metadata": [1]}`, 422, "validation_error", "metadata"},
		{"huge body", "POST", "/v1/invoices", `{"description": "` + strings.Repeat("x", 1<<20) + `"}`, 400, "bad_request", ""},
		{"bad page", "GET", "/v1/invoices?limit=1000", nil, 422, "validation_error", "limit"},
		{"not found", "GET", "/v1/invoices/inv_doesnotexist", nil, 404, "not_found", ""},
		{"bad webhook url", "POST", "/v1/webhook-endpoints", `{"url": "ftp://x", "events": ["*"]}`, 422, "validation_error", "url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do(c.method, c.path, c.body, nil)
			want(t, r, c.code, c.errCode)
			if c.field != "" {
				details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
				if details[c.field] == nil {
					t.Fatalf("details %v lack %s", details, c.field)
				}
			}
			if strings.Contains(string(r.raw), "sql") || strings.Contains(string(r.raw), "goroutine") {
				t.Fatalf("internals leaked: %s", r.raw)
			}
		})
	}
	if n, _, _ := a.env.Gateway.Invoices().List(context.Background(), listAll()); n != nil {
		t.Fatalf("bad input created %d invoices", len(n))
	}
	// invalid_state: cancel a confirming invoice.
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "5", "currency": "USDT_TRON"}, nil)
	id := inv.data()["id"].(string)
	want(t, a.do("POST", "/v1/test/invoices/"+id+"/pay", map[string]any{"currency": "USDT_TRON", "amount": "5", "confirmations": 0}, nil), 200, "")
	want(t, a.do("POST", "/v1/invoices/"+id+"/cancel", nil, nil), 409, "invalid_state")
}

func TestAPI_OpenAPIMatchesRoutes(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	doc := a.do("GET", "/openapi.json", nil, nil)
	want(t, doc, 200, "")
	if doc.body["openapi"] != "3.1.0" {
		t.Fatalf("doc %s", doc.raw[:100])
	}
	paths := doc.body["paths"].(map[string]any)
	n := 0
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			n++
			p := strings.NewReplacer("{id}", "inv_nonexistent").Replace(path)
			r := a.do(strings.ToUpper(method), p, "{}", nil)
			if r.code == 404 && r.errMessage() == "No such endpoint." || r.code == 405 {
				t.Errorf("%s %s is documented but not routed (%d)", method, path, r.code)
			}
		}
	}
	if n < 34 {
		t.Fatalf("only %d operations documented", n)
	}
	// A route that is not documented does not exist.
	if r := a.do("GET", "/v1/staking", nil, nil); r.code != 404 {
		t.Fatalf("undocumented route answered %d", r.code)
	}
}

// TestAPI_ContentTypeAndFilters: a body declared as a form, text or XML is 415 (not
// parsed as JSON, nothing created); no Content-Type and +json types are JSON; an
// unknown status filter is a validation error naming "status", not an empty list.
func TestAPI_ContentTypeAndFilters(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	body := map[string]any{"amount": "3", "currency": "USD"}
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/xml", "nonsense/"} {
		want(t, a.do("POST", "/v1/invoices", body, map[string]string{"Content-Type": ct}), 415, "unsupported_media_type")
	}
	if l := a.do("GET", "/v1/invoices", nil, nil); l.body["pagination"].(map[string]any)["total"] != float64(0) {
		t.Fatalf("a refused body created an invoice: %s", l.raw)
	}
	for _, ct := range []string{"", "application/json; charset=utf-8", "application/merge-patch+json"} {
		want(t, a.do("POST", "/v1/invoices", body, map[string]string{"Content-Type": ct}), 201, "")
	}
	for _, path := range []string{"/v1/invoices?status=paid'%20OR%201=1--", "/v1/payouts?status=done"} {
		r := a.do("GET", path, nil, nil)
		want(t, r, 422, "validation_error")
		if d, _ := r.body["error"].(map[string]any)["details"].(map[string]any); d["status"] == nil {
			t.Fatalf("%s: no details for status: %s", path, r.raw)
		}
	}
	want(t, a.do("GET", "/v1/invoices?status=paid", nil, nil), 200, "")
	want(t, a.do("GET", "/v1/payouts?status=completed", nil, nil), 200, "")
}
