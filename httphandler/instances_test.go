package httphandler_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage/postgres"
)

// TestAPI_InstancesOnPostgresShareReplaysIdempotencyAndLimits: two servers, each its
// own Gateway and handler on one PostgreSQL database, as behind a load balancer. A
// signed request replayed to the other instance is refused; an Idempotency-Key
// retried on the other instance gets the first answer; the per-key rate limit is one
// bucket for both (in memory, each would allow the whole burst).
func TestAPI_InstancesOnPostgresShareReplaysIdempotencyAndLimits(t *testing.T) {
	url := pgtest.URL(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	btc := kassatest.SimChain(asset.Bitcoin, asset.Test)
	var gs []*kassa.Gateway
	serve := func() *httptest.Server {
		store, err := postgres.Open(t.Context(), url, postgres.Options{MaxConns: 4, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		g, _ := kassatest.Gateway(t, kassa.Config{Store: store, Chains: []chains.Backend{btc}})
		gs = append(gs, g)
		h, err := httphandler.New(g, httphandler.Options{PublicURL: "https://shop.example/pay", RateLimit: 6, Burst: 6}) // a token each 10 minutes: none comes back during the test
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/pay/", http.StripPrefix("/pay", h))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return srv
	}
	one, two := serve(), serve()
	k, err := gs[0].Keys().Create(context.Background(), apikey.CreateParams{Mode: asset.Test})
	if err != nil {
		t.Fatal(err)
	}
	c := &api{t: t, key: k.Secret} // one client, its requests sent to either instance
	on := func(srv *httptest.Server) *api { c.srv = srv; return c }

	// A signed request, replayed byte for byte to the other instance.
	req := c.signed("POST", "/v1/invoices", `{"amount":"3","currency":"USD"}`)
	want(t, on(one).send(req), 201, "")
	want(t, on(two).send(req), 401, "replayed_request")

	// An Idempotency-Key retried on the other instance.
	body := map[string]any{"amount": "4", "currency": "USD"}
	first := on(one).do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": "k-1"})
	want(t, first, 201, "")
	again := on(two).do("POST", "/v1/invoices", body, map[string]string{"Idempotency-Key": "k-1"})
	if again.code != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.data()["id"] != first.data()["id"] {
		t.Fatalf("retry on the other instance: %d %v %s (first %s)", again.code, again.header, again.raw, first.data()["id"])
	}
	if l := on(two).do("GET", "/v1/invoices", nil, nil); len(l.body["data"].([]any)) != 2 {
		t.Fatalf("invoices after a replay and a retry: %s", l.raw)
	}

	// The burst of 6 is shared: 5 requests have taken from it, 6 if the refused replay
	// did, so the first or the second request from now on is refused, on either
	// instance. Two buckets in memory would let 3 or more through on each.
	refusedAt := 0
	for i := 1; i <= 8 && refusedAt == 0; i++ {
		srv := one
		if i%2 == 0 {
			srv = two
		}
		if r := on(srv).do("GET", "/v1/invoices", nil, nil); r.code == http.StatusTooManyRequests {
			refusedAt = i
		} else {
			want(t, r, 200, "")
		}
	}
	if refusedAt == 0 || refusedAt > 2 {
		t.Fatalf("first 429 at request %d after the burst was spent on two instances, want at most 2", refusedAt)
	}
	want(t, on(one).do("GET", "/v1/invoices", nil, nil), 429, "")
	want(t, on(two).do("GET", "/v1/invoices", nil, nil), 429, "")
}
