// Package httphandler serves Kassa's HTTP API v1 (described by its own GET
// /openapi.json) and the public checkout pages as one http.Handler that a host mounts
// under any prefix (the Gateway needs a Config.MasterKey: API keys and webhook secrets
// are sealed under it):
//
//	h, err := httphandler.New(gw, httphandler.Options{PublicURL: "https://shop.example/pay"})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/pay/", http.StripPrefix("/pay", h))
//
// It uses the standard library router. Authentication (Bearer or Basic with the secret
// key), HMAC request signing with a 5-minute window and replay rejection, per-key IP
// allowlists with trusted proxies, per-key rate limits, Idempotency-Key (with a lease
// after which a key held by a request that died with its process runs again), a 1 MiB
// body limit, strict JSON (unknown fields are a validation error; a body declared as
// anything but JSON is 415 unsupported_media_type) and security headers are
// middleware inside it. Errors map to the API's error codes in one table (errors.go); an
// internal error never shows its cause.
//
// The route table (routes.go) drives both the router and GET /openapi.json, so the
// document cannot name a route that does not exist or miss one that does; the
// document's schemas are made from the Go types each route decodes and encodes
// (schema.go). GET /healthz and /readyz are the probes (not rate limited; /readyz
// shows states, never errors); Options.Metrics counts requests by route; every
// answer carries X-Request-Id, and the handler's logs its request_id.
package httphandler

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure the handler.
type Options struct {
	// PublicURL is the base of hosted_url and checkout_url ("https://shop.example/pay").
	PublicURL string
	// StoreName is shown on the hosted checkout page, above what is bought, and in its
	// title, so the payer sees whom they pay (default: none).
	StoreName string
	// Logo is the store's logo, shown above StoreName on the checkout page: a PNG,
	// JPEG, GIF, WebP or SVG image of at most 256 KiB, served by the handler itself
	// (/static/logo) so the page loads nothing from elsewhere. Default: none.
	Logo []byte
	// TxURL links a transaction on the checkout page's receipt to a block explorer:
	// it returns an http(s) URL for the transaction, or "" for no link. Default:
	// DefaultTxURL (public explorers in live mode, no links in test mode).
	TxURL func(network asset.NetworkID, mode asset.Mode, txid string) string
	// RateLimit is the default per-key limit in requests per hour (default 1000);
	// Burst is how many may come at once (default 100).
	RateLimit, Burst int
	// FailedAuthLimit is how many requests with a missing or wrong API key a client
	// address may make per hour (default 100, bursts of 20) before it gets 429.
	FailedAuthLimit int
	// PublicRateLimit is how many requests a client address may make per hour to the
	// routes that take no key: the hosted checkout page, its status (polled every 2
	// s by an open page), its test-payment button and static files (default 7200,
	// bursts of 120).
	PublicRateLimit int
	// IdempotencyLease is how long a request holds its Idempotency-Key (default 1 min).
	// A key still held after it belongs to a request whose process died (a crash, a
	// kill): a retry runs again. Every create is safe to run again: invoices,
	// sessions, payments and payouts store the request's key (a digest of the
	// Idempotency-Key and the request) and the retry finds what the first run made.
	// Keep it above the longest a request may take (the server's write timeout).
	IdempotencyLease time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Now is the clock of the signature window (default time.Now).
	Now func() time.Time
	// Logger receives the handler's logs, each with the request's request_id
	// (default slog.Default()).
	Logger *slog.Logger
	// Metrics, if set, receives request metrics: kassa_http_requests_total by route
	// (the path template), method and status code, and
	// kassa_http_request_duration_seconds by route and method. Default: none.
	Metrics prometheus.Registerer
}

// Handler is the API.
type Handler struct {
	gw   *kassa.Gateway
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	// limits are the token buckets of every rate limit (per key, per client address).
	limits limiter
	// logoType is the Content-Type of Options.Logo ("" without a logo).
	logoType string
}

// New returns the handler. The Gateway must have a MasterKey (API keys and webhook
// secrets are sealed under it).
func New(gw *kassa.Gateway, opts Options) (*Handler, error) {
	if gw == nil || gw.Keys() == nil {
		return nil, errors.New("httphandler: the Gateway needs a MasterKey")
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 1000
	}
	if opts.Burst <= 0 {
		opts.Burst = 100
	}
	if opts.FailedAuthLimit <= 0 {
		opts.FailedAuthLimit = 100
	}
	if opts.PublicRateLimit <= 0 {
		opts.PublicRateLimit = 7200
	}
	if opts.IdempotencyLease <= 0 {
		opts.IdempotencyLease = time.Minute
	}
	if opts.TxURL == nil {
		opts.TxURL = DefaultTxURL
	}
	logoType, err := logoContentType(opts.Logo)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	h := &Handler{gw: gw, opts: opts, log: opts.Logger, mux: http.NewServeMux(), logoType: logoType}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = slog.New(LogHandler(h.log.Handler()))
	var metrics *httpMetrics
	if opts.Metrics != nil {
		if metrics, err = newHTTPMetrics(opts.Metrics); err != nil {
			return nil, fmt.Errorf("httphandler: Options.Metrics: %w", err)
		}
	}
	if rl := gw.SharedLimiter(); rl != nil {
		h.limits = sharedLimits{rl: rl, log: h.log}
	} else {
		h.limits = newMemoryLimits()
	}
	for _, rt := range h.routes() {
		var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := rt.h(w, r); err != nil {
				writeError(w, toAPIError(r.Context(), err, h.log))
			}
		})
		switch {
		case rt.path == "/healthz" || rt.path == "/readyz":
			// Probes are not rate limited: a load balancer behind one address polls
			// them beside every customer's checkout page.
		case rt.public:
			next = h.public(next)
		default:
			next = h.authenticate(h.scoped(rt, h.idempotent(next)))
		}
		h.mux.Handle(rt.method+" "+rt.path, metrics.instrument(rt.method, rt.path, h.secure(next)))
	}
	// Burn-and-mint wrapping is a bridge operator's service (API.md, "Not provided"):
	// every route under /v1/smart-contract/, any method, says so.
	burnAndMint := metrics.instrument("any", "/v1/smart-contract/*", h.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errBurnAndMint)
	})))
	h.mux.Handle("/v1/smart-contract", burnAndMint)
	h.mux.Handle("/v1/smart-contract/", burnAndMint)
	h.mux.Handle("/", metrics.instrument("any", "other", h.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errMethodNotFound)
	}))))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }
