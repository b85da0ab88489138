// Command server is Kassa's standalone server: the HTTP API v1 and the hosted pages on
// one address, for shops not written in Go and for operators.
//
//	go run ./examples/server                          serve until SIGINT/SIGTERM
//	go run ./examples/server keys create --mode test  print a new secret key (last line); --label L, --sub-merchant sm_... (a key bound to one sub-merchant)
//	go run ./examples/server keys list [--mode test|live]  id, prefix, mode, created, revoked,
//	                                                  allowed IPs and label of each key (never a secret)
//	go run ./examples/server keys revoke <id>         the key authenticates nothing from then on
//	go run ./examples/server keys allowlist <id> <cidr,...>  the client addresses the key is
//	                                                  accepted from ("" accepts any again)
//	go run ./examples/server backup <file>            a consistent copy of KASSA_DB while it serves
//	                                                  (VACUUM INTO a new file; PostgreSQL: use pg_dump)
//	go run ./examples/server mnemonic                 print a new 24-word BIP39 mnemonic (for KASSA_MNEMONIC_FILE)
//
// Besides the API and the hosted pages, KASSA_ADDR serves /healthz (liveness) and
// /readyz (200 when the database answers and every chain watcher is current, 503
// with each network's state when not). Every log line is JSON on stderr; those of a
// request carry its request_id (X-Request-Id).
//
// The key commands act on the database at once, a running server included.
//
// Every variable is checked before anything starts: a wrong value stops the server with
// a message naming the variable, before any node is dialled or database opened. What
// only the library or a node can judge (a webhook lease shorter than two timeouts, a
// node on another chain) stops it next, and what was opened is closed.
//
// Configuration is by environment variable:
//
//	KASSA_ADDR                  listen address (default 127.0.0.1:8080)
//	KASSA_DB                    SQLite file (default ./kassa.db)
//	KASSA_DATABASE_URL          PostgreSQL instead (postgres://user:pass@host/db); several
//	                            instances may then share it (docs/several-instances.md)
//	KASSA_DATABASE_MAX_CONNS    pooled PostgreSQL connections (default 10; one more listens)
//	KASSA_INSTANCE              this instance's name among those sharing the database
//	                            (default host-pid); with a random suffix, the holder of its jobs' leases
//	KASSA_MASTER_KEY            64 hex characters, required (seals stored secrets)
//	KASSA_MNEMONIC_FILE         file with the BIP39 words; without it only test mode runs,
//	                            on the public test mnemonic (never for real money)
//	KASSA_PUBLIC_URL            base of hosted_url (default http://KASSA_ADDR)
//	KASSA_STORE_NAME            the store's name on the hosted checkout page (default none)
//	KASSA_LOGO_FILE             the store's logo on it: a PNG, JPEG, GIF, WebP or SVG file of at most 256 KiB
//	KASSA_TEST_CHAINS=sim       test-mode networks with no node run on sim chains
//
// Bitcoin: a node (Bitcoin Core, btcd) or an Esplora API, not both.
//
//	KASSA_BTC_RPC_URL           the node's JSON-RPC, http(s)://host:port
//	KASSA_BTC_RPC_USER, KASSA_BTC_RPC_PASS  its credentials
//	KASSA_BTC_RPC_COOKIE        or the node's cookie file (one line user:password, such as
//	                            ~/.bitcoin/.cookie) instead, read at start: restart after
//	                            the node does, which writes a new one
//	KASSA_BTC_ESPLORA_URL       an Esplora API instead of a node, e.g.
//	                            https://mempool.space/api (payments seen at one confirmation)
//	KASSA_BTC_RPC_HEADERS       extra HTTP headers for the node (its websocket too) or the
//	                            Esplora API, "Name: value; Name2: value2" (a provider's API key)
//	KASSA_BTC_NETWORK           mainnet (live mode, the default) | testnet | testnet4 | signet
//	                            | regtest (test mode)
//	KASSA_BTC_WS                btcd's websocket host:port for pushed blocks and mempool
//	                            transactions: on by default (the RPC URL's host:port when it is
//	                            http://, plain ws; none for https://); "off" to poll only. A
//	                            node without one (Bitcoin Core) refuses it and is polled
//	KASSA_BTC_MEMPOOL_PUSH=0    take pushed blocks only (each pushed transaction reads
//	                            the node's mempool, at most every 100 ms)
//
// Litecoin: the same settings, KASSA_LTC_RPC_URL, KASSA_LTC_RPC_USER, KASSA_LTC_RPC_PASS,
// KASSA_LTC_RPC_COOKIE, KASSA_LTC_ESPLORA_URL, KASSA_LTC_RPC_HEADERS, KASSA_LTC_WS and
// KASSA_LTC_MEMPOOL_PUSH; KASSA_LTC_NETWORK is mainnet (live mode, the default) | testnet |
// regtest (test mode).
//
// EVM networks (ethereum, bsc, polygon, base):
//
//	KASSA_EVM_RPC_<NETWORK>     live-mode EVM node, e.g. KASSA_EVM_RPC_ETHEREUM
//	KASSA_TEST_EVM_RPC_<NETWORK> test-mode EVM node (any chain id)
//	KASSA_EVM_WS_<NETWORK>, KASSA_TEST_EVM_WS_<NETWORK>  the node's websocket for pushed
//	                            blocks (newHeads) when its RPC URL is http(s) (default: the
//	                            RPC URL with the ws scheme; "off" to poll only; a ws:// RPC
//	                            URL pushes by itself)
//	KASSA_EVM_RPC_HEADERS_<NETWORK>, KASSA_TEST_EVM_RPC_HEADERS_<NETWORK>  extra HTTP
//	                            headers for the node and its websocket, "Name: value; Name2: value2"
//	KASSA_TEST_TOKEN_<CURRENCY>_<NETWORK>  test-mode token contract, e.g. ..._USDT_ETHEREUM
//
// Tron:
//
//	KASSA_TRON_URL              live-mode full node's HTTP API (https://api.trongrid.io)
//	KASSA_TEST_TRON_URL         test-mode one (https://nile.trongrid.io); its USDT is
//	                            KASSA_TEST_TOKEN_USDT_TRON=TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf
//	KASSA_TRON_API_KEY, KASSA_TEST_TRON_API_KEY  sent as TRON-PRO-API-KEY (TronGrid)
//	KASSA_TRON_TIMEOUT, KASSA_TEST_TRON_TIMEOUT  bound of one request (default 20s)
//
// The rest:
//
//	KASSA_CONFIRMATIONS_<NETWORK>          confirmations of every asset of a network
//	KASSA_FIXED_RATES           e.g. BTC:USD=65000,ETH:USD=3000 (else the real sources)
//	KASSA_ALLOW_PRIVATE_WEBHOOKS=1  webhook endpoints on loopback/private addresses
//	KASSA_WEBHOOK_TIMEOUT       bound of one webhook POST (Go duration, default 10s)
//	KASSA_WEBHOOK_LEASE         a claimed delivery is sent again after this if its process
//	                            died (default 2×timeout + 1m)
//	KASSA_RATE_LIMIT, KASSA_RATE_BURST  default per-key limit: requests per hour (6000)
//	                            and burst (200); a client polling an invoice every 2 s
//	                            makes 1,800 an hour
//	KASSA_FAILED_AUTH_LIMIT     requests with a missing or wrong key per hour per client
//	                            address before 429 (100)
//	KASSA_PUBLIC_RATE_LIMIT     requests per hour per client address to the hosted pages
//	                            and their status (7200)
//	KASSA_METRICS_ADDR          serve Prometheus metrics at /metrics on this host:port (default
//	                            none; keep it private: counts of invoices and payouts)
//	KASSA_IDEMPOTENCY_LEASE     an Idempotency-Key still held after this belongs to a
//	                            request whose process died; a retry runs (default 1m)
//	KASSA_POLL_INTERVAL         how often nodes that do not push are polled (default 10s)
//	KASSA_PAYOUT_APPROVAL_USD   payouts at or above this wait for a one-time code (default 5000)
//	KASSA_PAYOUT_WINDOW_USD     what may leave without a code within KASSA_PAYOUT_WINDOW (default: the approval threshold)
//	KASSA_PAYOUT_WINDOW         the rolling window of KASSA_PAYOUT_WINDOW_USD (default 24h)
//	KASSA_PAYOUT_BUMP_AFTER     replace a payout's transaction left unmined this long by
//	                            one paying a higher fee (default: only on request)
//	KASSA_REBOUNDS              modes in which overpayments, late payments and expired
//	                            underpayments are given back on their own: test, live or
//	                            test,live (default none)
//	KASSA_REFUND_CLAIM_TTL      how long a refund's claim link works (default 720h)
//	KASSA_SWEEP                 0 turns off the sweeps of confirmed EVM and Tron deposits to the
//	                            hot wallet, where payouts leave from (default 1)
//	KASSA_SWEEP_THRESHOLDS      CODE=amount pairs: sweep an address's balance from this
//	                            amount (default: each asset's minimum payout)
//	KASSA_SWEEP_MAX_FEE_PERCENT the most a native-coin sweep may cost, in % of it (default 5)
//	KASSA_SMTP_ADDR, KASSA_SMTP_FROM, KASSA_OWNER_EMAIL  mail payout codes to the owner
//	                            (KASSA_SMTP_USER/KASSA_SMTP_PASS for PLAIN auth); without
//	                            them test-mode codes are logged at WARN with the payout id
//	                            (local use) and live payouts that need a code are refused
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kassapay/kassa/httphandler"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// testMnemonic is the public BIP39 test mnemonic: anyone can spend what it receives.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "kassa:", err)
		os.Exit(1)
	}
}

// run is main with its dependencies given; ready, if not nil, receives the listen
// address once the server accepts connections. Every setting is checked before
// anything starts.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	// Every log line of a request (the handler's and the Gateway's) carries its request_id.
	log := slog.New(httphandler.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if len(args) > 0 && args[0] == "backup" {
		return backup(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "mnemonic" {
		return mnemonic(args[1:], stdout)
	}
	var cmd command
	if len(args) > 0 {
		var err error
		if cmd, err = parseCommand(args, stdout); err != nil {
			return err
		}
	}
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	g, cleanup, err := s.gateway(ctx, log)
	if err != nil {
		return err
	}
	defer cleanup()
	if cmd != nil {
		return cmd(ctx, g)
	}
	opts := s.http
	opts.Logger = log
	h, err := httphandler.New(g, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return &settingError{Var: "KASSA_ADDR", Err: err}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	var metricsSrv *http.Server
	if s.metrics != nil {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			ln.Close()
			return &settingError{Var: "KASSA_METRICS_ADDR", Err: err}
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go metricsSrv.Serve(mln)
		defer metricsSrv.Close()
		log.Info("kassa: metrics", "addr", mln.Addr().String(), "path", "/metrics")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { g.Run(runCtx); close(done) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("kassa: serving", "addr", ln.Addr().String(), "public_url", s.public)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		cancel()
		<-done
		return err
	}
	log.Info("kassa: shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer scancel()
	serr := srv.Shutdown(sctx)
	cancel()
	<-done
	log.Info("kassa: stopped")
	return serr
}
