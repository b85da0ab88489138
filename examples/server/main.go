// Command server is Kassa's standalone server: the HTTP API v1 and the hosted pages on
// one address, for shops not written in Go and for operators.
//
//	go run ./examples/server                        serve until SIGINT/SIGTERM
//	go run ./examples/server keys create --mode test print a new secret key (last line)
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
//	KASSA_BTC_RPC_URL, KASSA_BTC_RPC_USER, KASSA_BTC_RPC_PASS
//	KASSA_BTC_NETWORK           mainnet (live mode) | testnet | regtest (test mode)
//	KASSA_BTC_WS                btcd's websocket host:port for pushed blocks and mempool
//	                            transactions (default: the RPC URL's; "off" to poll only)
//	KASSA_BTC_MEMPOOL_PUSH=0    take pushed blocks only (each pushed transaction reads
//	                            the node's mempool, at most every 100 ms)
//	KASSA_EVM_RPC_<NETWORK>     live-mode EVM node, e.g. KASSA_EVM_RPC_ETHEREUM
//	KASSA_TEST_EVM_RPC_<NETWORK> test-mode EVM node (any chain id)
//	KASSA_EVM_WS_<NETWORK>, KASSA_TEST_EVM_WS_<NETWORK>  the node's websocket for pushed
//	                            blocks (newHeads) when its RPC URL is http(s) (default: the
//	                            RPC URL with the ws scheme; "off" to poll only; a ws:// RPC
//	                            URL pushes by itself)
//	KASSA_TEST_TOKEN_<CURRENCY>_<NETWORK>  test-mode token contract, e.g. ..._USDT_ETHEREUM
//	KASSA_CONFIRMATIONS_<NETWORK>          confirmations of every asset of a network
//	KASSA_FIXED_RATES           e.g. BTC:USD=65000,ETH:USD=3000 (else the real sources)
//	KASSA_ALLOW_PRIVATE_WEBHOOKS=1  webhook endpoints on loopback/private addresses
//	KASSA_WEBHOOK_TIMEOUT       bound of one webhook POST (Go duration, default 10s)
//	KASSA_WEBHOOK_LEASE         a claimed delivery is sent again after this if its process
//	                            died (default 2×timeout + 1m)
//	KASSA_RATE_LIMIT, KASSA_RATE_BURST  default per-key limit: requests per hour (1000)
//	                            and burst (100)
//	KASSA_FAILED_AUTH_LIMIT     requests with a missing or wrong key per hour per client
//	                            address before 429 (100)
//	KASSA_PUBLIC_RATE_LIMIT     requests per hour per client address to the hosted pages
//	                            and their status (7200)
//	KASSA_IDEMPOTENCY_LEASE     an Idempotency-Key still held after this belongs to a
//	                            request whose process died; a retry runs (default 1m)
//	KASSA_POLL_INTERVAL         how often nodes that do not push are polled (default 10s)
//	KASSA_PAYOUT_APPROVAL_USD   payouts at or above this wait for a one-time code (default 5000)
//	KASSA_PAYOUT_WINDOW_USD     what may leave without a code within KASSA_PAYOUT_WINDOW (default: the approval threshold)
//	KASSA_PAYOUT_WINDOW         the rolling window of KASSA_PAYOUT_WINDOW_USD (default 24h)
//	KASSA_SMTP_ADDR, KASSA_SMTP_FROM, KASSA_OWNER_EMAIL  mail payout codes to the owner
//	                            (KASSA_SMTP_USER/KASSA_SMTP_PASS for PLAIN auth); without
//	                            them test-mode codes are logged at WARN with the payout id
//	                            (local use) and live payouts that need a code are refused
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
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
// address once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g, cleanup, err := gateway(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer cleanup()
	if len(args) > 0 {
		return command(ctx, g, args, stdout)
	}
	addr := env(getenv, "KASSA_ADDR", "127.0.0.1:8080")
	public := env(getenv, "KASSA_PUBLIC_URL", "http://"+addr)
	var limits [4]int
	for i, name := range []string{"KASSA_RATE_LIMIT", "KASSA_RATE_BURST", "KASSA_FAILED_AUTH_LIMIT", "KASSA_PUBLIC_RATE_LIMIT"} {
		if v := getenv(name); v != "" {
			if limits[i], err = strconv.Atoi(v); err != nil || limits[i] <= 0 {
				return fmt.Errorf("%s: want a positive integer, got %q", name, v)
			}
		}
	}
	lease := time.Minute
	if v := getenv("KASSA_IDEMPOTENCY_LEASE"); v != "" {
		if lease, err = time.ParseDuration(v); err != nil || lease <= 0 {
			return fmt.Errorf("KASSA_IDEMPOTENCY_LEASE: want a positive Go duration, got %q", v)
		}
	}
	var logo []byte
	if f := getenv("KASSA_LOGO_FILE"); f != "" {
		if logo, err = os.ReadFile(f); err != nil {
			return fmt.Errorf("KASSA_LOGO_FILE: %w", err)
		}
	}
	h, err := httphandler.New(g, httphandler.Options{PublicURL: public, StoreName: getenv("KASSA_STORE_NAME"), Logo: logo, Logger: log,
		RateLimit: limits[0], Burst: limits[1], FailedAuthLimit: limits[2], PublicRateLimit: limits[3], IdempotencyLease: lease})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { g.Run(runCtx); close(done) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("kassa: serving", "addr", ln.Addr().String(), "public_url", public)
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

// command runs a subcommand: keys create --mode test|live [--label L].
func command(ctx context.Context, g *kassa.Gateway, args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "keys" || args[1] != "create" {
		return errors.New("usage: server [keys create --mode test|live [--label L]]")
	}
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	mode := fs.String("mode", "test", "test or live")
	label := fs.String("label", "", "a label to recognise the key")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	m, err := asset.ParseMode(*mode)
	if err != nil {
		return err
	}
	k, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: m, Label: *label})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s key %s (%s); the secret is shown once:\n%s\n", m, k.ID, k.Prefix, k.Secret)
	return nil
}

func env(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

var evmNetworks = []asset.NetworkID{asset.Ethereum, asset.BSC, asset.Polygon, asset.Base}

// gateway builds the Gateway from the environment.
func gateway(ctx context.Context, getenv func(string) string, log *slog.Logger) (*kassa.Gateway, func(), error) {
	master, err := hex.DecodeString(getenv("KASSA_MASTER_KEY"))
	if err != nil || len(master) != 32 {
		return nil, nil, errors.New("KASSA_MASTER_KEY must be 64 hex characters (32 bytes)")
	}
	reg := asset.Default()
	for _, a := range reg.Assets() {
		if c := getenv("KASSA_TEST_TOKEN_" + a.Currency + "_" + strings.ToUpper(string(a.Network))); c != "" && !a.Native {
			if err := reg.SetContract(a.Code, asset.Test, c); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, n := range reg.Networks() {
		if v := getenv("KASSA_CONFIRMATIONS_" + strings.ToUpper(string(n.ID))); v != "" {
			c, err := strconv.Atoi(v)
			if err != nil {
				return nil, nil, fmt.Errorf("KASSA_CONFIRMATIONS_%s: %v", strings.ToUpper(string(n.ID)), err)
			}
			for _, a := range reg.AssetsOn(n.ID) {
				if err := reg.SetConfirmations(a.Code, c); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	var backends []chains.Backend
	var closers []func()
	served := map[chains.NetworkRef]bool{}
	btcTest := &chaincfg.TestNet3Params
	if u := getenv("KASSA_BTC_RPC_URL"); u != "" {
		mode, params := asset.Live, &chaincfg.MainNetParams
		switch getenv("KASSA_BTC_NETWORK") {
		case "", "mainnet":
		case "testnet":
			mode, params = asset.Test, &chaincfg.TestNet3Params
		case "regtest":
			mode, params = asset.Test, &chaincfg.RegressionNetParams
		default:
			return nil, nil, errors.New("KASSA_BTC_NETWORK must be mainnet, testnet or regtest")
		}
		if mode == asset.Test {
			btcTest = params
		}
		rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: u, User: getenv("KASSA_BTC_RPC_USER"), Pass: getenv("KASSA_BTC_RPC_PASS")})
		if err != nil {
			return nil, nil, err
		}
		bc := bitcoin.Config{Network: asset.Bitcoin, Mode: mode, Params: params, RPC: rpc, Logger: log,
			User: getenv("KASSA_BTC_RPC_USER"), Pass: getenv("KASSA_BTC_RPC_PASS"), BlocksOnly: getenv("KASSA_BTC_MEMPOOL_PUSH") == "0"}
		switch ws := getenv("KASSA_BTC_WS"); ws {
		case "off":
		case "":
			// btcd serves its websocket on the RPC port; a node without one (Bitcoin
			// Core) refuses it and the watcher polls.
			if pu, perr := url.Parse(u); perr == nil && pu.Host != "" {
				bc.WebsocketHost = pu.Host
			}
		default:
			bc.WebsocketHost = ws
		}
		b, err := bitcoin.New(bc)
		if err != nil {
			return nil, nil, err
		}
		backends = append(backends, b)
		served[b.Network()] = true
	}
	for _, n := range evmNetworks {
		for _, m := range []asset.Mode{asset.Live, asset.Test} {
			name := "KASSA_EVM_RPC_" + strings.ToUpper(string(n))
			if m == asset.Test {
				name = "KASSA_TEST_EVM_RPC_" + strings.ToUpper(string(n))
			}
			u := getenv(name)
			if u == "" {
				continue
			}
			push := getenv(strings.Replace(name, "_RPC_", "_WS_", 1))
			b, err := evm.New(ctx, evm.Config{Network: n, Mode: m, URL: u, PushURL: push, Assets: reg, AnyChainID: m == asset.Test, Logger: log})
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
			backends = append(backends, b)
			closers = append(closers, b.Close)
			served[b.Network()] = true
		}
	}
	if getenv("KASSA_TEST_CHAINS") == "sim" {
		for _, n := range []asset.NetworkID{asset.Bitcoin, asset.Litecoin, asset.Ethereum, asset.BSC, asset.Polygon, asset.Base, asset.Tron} {
			ref := chains.NetworkRef{ID: n, Mode: asset.Test}
			if !served[ref] {
				backends = append(backends, sim.New(ref))
			}
		}
	}
	var kr *keys.Keyring
	if f := getenv("KASSA_MNEMONIC_FILE"); f != "" {
		words, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("KASSA_MNEMONIC_FILE: %w", err)
		}
		if kr, err = keys.FromMnemonic(string(words), "", keys.WithBitcoinTestParams(btcTest)); err != nil {
			return nil, nil, fmt.Errorf("KASSA_MNEMONIC_FILE: %w", err)
		}
	} else {
		for _, b := range backends {
			if b.Network().Mode == asset.Live {
				return nil, nil, errors.New("KASSA_MNEMONIC_FILE is required when a live-mode chain is configured")
			}
		}
		log.Warn("kassa: no KASSA_MNEMONIC_FILE: test mode on the PUBLIC test mnemonic; never send real money")
		kr, _ = keys.FromMnemonic(testMnemonic, "", keys.WithBitcoinTestParams(btcTest))
	}
	var src rates.Source
	if fr := getenv("KASSA_FIXED_RATES"); fr != "" {
		fixed, err := parseFixedRates(fr)
		if err != nil {
			return nil, nil, fmt.Errorf("KASSA_FIXED_RATES: %w", err)
		}
		src = fixed
	}
	sources := []rates.Source{rates.CoinGecko{}, rates.Kraken{}, rates.Coinbase{}, rates.Binance{}}
	if src != nil {
		sources = []rates.Source{src}
	}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: sources, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	po, err := payoutOptions(getenv)
	if err != nil {
		for _, c := range closers {
			c()
		}
		return nil, nil, err
	}
	var durs [3]time.Duration
	for i, name := range []string{"KASSA_WEBHOOK_TIMEOUT", "KASSA_WEBHOOK_LEASE", "KASSA_POLL_INTERVAL"} {
		if v := getenv(name); v != "" {
			if durs[i], err = time.ParseDuration(v); err != nil || durs[i] <= 0 {
				for _, c := range closers {
					c()
				}
				return nil, nil, fmt.Errorf("%s: want a positive Go duration like 2s, got %q", name, v)
			}
		}
	}
	cfg := kassa.Config{Keyring: kr, Chains: backends, Instance: getenv("KASSA_INSTANCE"),
		Rates: cache, MasterKey: master, Assets: reg, Logger: log, Payouts: po, PollInterval: durs[2],
		Webhooks: webhook.Options{AllowPrivate: getenv("KASSA_ALLOW_PRIVATE_WEBHOOKS") == "1", Timeout: durs[0], Lease: durs[1]}}
	if url := getenv("KASSA_DATABASE_URL"); url != "" {
		conns := 0
		if v := getenv("KASSA_DATABASE_MAX_CONNS"); v != "" {
			if conns, err = strconv.Atoi(v); err != nil || conns <= 0 {
				err = fmt.Errorf("KASSA_DATABASE_MAX_CONNS: want a positive number, got %q", v)
			}
		}
		if err == nil {
			var store *postgres.Store
			if store, err = postgres.Open(ctx, url, postgres.Options{MaxConns: conns, Logger: log}); err == nil {
				closers = append(closers, func() { store.Close() })
				cfg.Store = store
			} else {
				err = fmt.Errorf("KASSA_DATABASE_URL: %w", err)
			}
		}
	} else {
		cfg.DatabasePath = env(getenv, "KASSA_DB", "./kassa.db")
	}
	var g *kassa.Gateway
	if err == nil {
		g, err = kassa.New(cfg)
	}
	if err != nil {
		for _, c := range closers {
			c()
		}
		return nil, nil, err
	}
	return g, func() {
		g.Close()
		for _, c := range closers {
			c()
		}
	}, nil
}

// payoutOptions reads the approval threshold and the SMTP settings for payout codes.
func payoutOptions(getenv func(string) string) (kassa.PayoutOptions, error) {
	var po kassa.PayoutOptions
	if s := getenv("KASSA_PAYOUT_APPROVAL_USD"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || !d.IsPositive() {
			return po, fmt.Errorf("KASSA_PAYOUT_APPROVAL_USD: want a positive amount, got %q", s)
		}
		po.ApprovalUSD = d
	}
	if s := getenv("KASSA_PAYOUT_WINDOW_USD"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || !d.IsPositive() {
			return po, fmt.Errorf("KASSA_PAYOUT_WINDOW_USD: want a positive amount, got %q", s)
		}
		po.WindowUSD = d
	}
	if s := getenv("KASSA_PAYOUT_WINDOW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return po, fmt.Errorf("KASSA_PAYOUT_WINDOW: want a positive duration such as 24h, got %q", s)
		}
		po.Window = d
	}
	addr, from, to := getenv("KASSA_SMTP_ADDR"), getenv("KASSA_SMTP_FROM"), getenv("KASSA_OWNER_EMAIL")
	switch {
	case addr != "" && from != "" && to != "":
		n := payout.SMTPNotifier{Addr: addr, From: from, To: to}
		if u := getenv("KASSA_SMTP_USER"); u != "" {
			host, _, _ := net.SplitHostPort(addr)
			n.Auth = smtp.PlainAuth("", u, getenv("KASSA_SMTP_PASS"), host)
		}
		po.Notifier = n
	case addr != "" || from != "" || to != "":
		return po, errors.New("payout codes by mail need all of KASSA_SMTP_ADDR, KASSA_SMTP_FROM and KASSA_OWNER_EMAIL")
	}
	return po, nil
}

// parseFixedRates reads "BTC:USD=65000,ETH:USD=3000" (USD quotes only).
func parseFixedRates(s string) (rates.Fixed, error) {
	out := rates.Fixed{}
	for _, part := range strings.Split(s, ",") {
		pair, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		base, quote, ok2 := strings.Cut(pair, ":")
		if !ok || !ok2 || !strings.EqualFold(quote, "USD") {
			return nil, fmt.Errorf("%q: want CODE:USD=price", part)
		}
		v, err := decimal.NewFromString(val)
		if err != nil || !v.IsPositive() {
			return nil, fmt.Errorf("%q: price must be a positive decimal", part)
		}
		out[strings.ToUpper(base)] = v
	}
	return out, nil
}
