package httphandler_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestProbes: /healthz answers while the process does; /readyz answers 200 with the
// watchers' state, and 503 when a node has been down for three polls, with states
// only (a node's error may carry a provider's key in its URL: never shown to an
// unauthenticated client); neither is rate limited like the public pages.
func TestProbes(t *testing.T) {
	a := newAPI(t, httphandler.Options{PublicRateLimit: 1})
	want(t, a.do("GET", "/healthz", nil, nil), 200, "")
	r := a.do("GET", "/readyz", nil, nil)
	want(t, r, 200, "")
	if r.body["ready"] != true || len(r.body["networks"].([]any)) == 0 {
		t.Fatalf("readyz: %s", r.raw)
	}
	a.env.Chain(asset.Bitcoin).SetOffline(true)
	a.env.Clock.Advance(2 * time.Minute)
	if err := a.env.Gateway.Sync(t.Context()); err == nil { // the bitcoin step fails, three polls after the last success
		t.Fatal("a sync with the node down succeeded")
	}
	r = a.do("GET", "/readyz", nil, nil)
	if r.code != http.StatusServiceUnavailable || r.body["ready"] != false || !strings.Contains(string(r.raw), `"state":"failing"`) {
		t.Fatalf("readyz with a node down: %d %s", r.code, r.raw)
	}
	if strings.Contains(string(r.raw), "offline") || strings.Contains(string(r.raw), "error") {
		t.Fatalf("readyz shows the node's error to anyone: %s", r.raw)
	}
	for range 50 { // PublicRateLimit 1 an hour: a checkout page would be refused by now
		want(t, a.do("GET", "/healthz", nil, nil), 200, "")
	}
}

// TestRequestIDs: every answer has an X-Request-Id (the client's when sane, else a
// new one), and the handler's logs of a request carry it.
func TestRequestIDs(t *testing.T) {
	logs := &lockedBuffer{}
	a := newAPI(t, httphandler.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	r := a.do("GET", "/v1/balance", nil, map[string]string{"X-Request-Id": "shop-7f3a"})
	if got := r.header.Get("X-Request-Id"); got != "shop-7f3a" {
		t.Fatalf("kept the client's id? %q", got)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 65), "<script>", "ünïcode"} {
		r := a.do("GET", "/v1/balance", nil, map[string]string{"X-Request-Id": bad})
		if got := r.header.Get("X-Request-Id"); got == bad || !strings.HasPrefix(got, "req_") {
			t.Errorf("client id %q: answered %q", bad, got)
		}
	}
	first, second := a.do("GET", "/healthz", nil, nil).header.Get("X-Request-Id"), a.do("GET", "/healthz", nil, nil).header.Get("X-Request-Id")
	if first == "" || first == second {
		t.Fatalf("request ids %q, %q", first, second)
	}
	// An internal error (the test chain is down under a test payment) is logged with
	// its request's id.
	inv := a.do("POST", "/v1/invoices", map[string]any{"amount": "0.001", "currency": "BTC"}, nil)
	a.env.Chain(asset.Bitcoin).SetOffline(true)
	r = a.do("POST", "/v1/test/invoices/"+inv.data()["id"].(string)+"/pay", map[string]any{"currency": "BTC", "amount": "0.001"},
		map[string]string{"X-Request-Id": "probe-2"})
	if r.code < 500 {
		t.Fatalf("a test payment on a chain that is down: %d %s", r.code, r.raw)
	}
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["request_id"] == "probe-2" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no log line of request probe-2 carries its id:\n%s", logs.String())
	}
}

// TestHTTPMetrics: requests are counted by route template, method and code, and
// timed; a second handler on the same registry counts into the same series.
func TestHTTPMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newAPI(t, httphandler.Options{Metrics: reg})
	a.do("GET", "/v1/balance", nil, nil)
	a.do("GET", "/v1/invoices/inv_nothing", nil, nil)
	a.do("GET", "/v1/invoices/inv_other", nil, nil)
	a.do("GET", "/v1/nothing-here", nil, nil)
	if _, err := httphandler.New(a.env.Gateway, httphandler.Options{Metrics: reg}); err != nil {
		t.Fatalf("a second handler on the registry: %v", err)
	}
	count := func(route, method, code string) float64 {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "kassa_http_requests_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				got := map[string]string{}
				for _, l := range m.GetLabel() {
					got[l.GetName()] = l.GetValue()
				}
				if got["route"] == route && got["method"] == method && got["code"] == code {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	if n := count("/v1/balance", "GET", "200"); n != 1 {
		t.Errorf("balance: %v", n)
	}
	if n := count("/v1/invoices/{id}", "GET", "404"); n != 2 {
		t.Errorf("two invoices not found under one route template: %v", n)
	}
	if n := count("other", "any", "404"); n != 1 {
		t.Errorf("unknown route: %v", n)
	}
	if n := testutil.CollectAndCount(reg, "kassa_http_request_duration_seconds"); n < 3 {
		t.Errorf("%d duration series", n)
	}
	// A registry where the name is another kind of metric: refused, not a panic.
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kassa_http_requests_total", Help: "x"}, []string{"a"}))
	if _, err := httphandler.New(a.env.Gateway, httphandler.Options{Metrics: clash}); err == nil {
		t.Error("a registry with a clashing metric was taken")
	}
}
