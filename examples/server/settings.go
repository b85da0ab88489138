package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/shopspring/decimal"
)

// The server's defaults that differ from the library's: a client polling an invoice
// every 2 s (1,800 requests an hour) and creating invoices stays well inside them.
const (
	defaultRateLimit = 6000 // requests per hour per API key
	defaultRateBurst = 200
)

// settingError is a setting refused at start: Var names the environment variable.
type settingError struct {
	Var string
	Err error
}

func (e *settingError) Error() string { return e.Var + ": " + e.Err.Error() }
func (e *settingError) Unwrap() error { return e.Err }

func bad(name, format string, args ...any) error {
	return &settingError{Var: name, Err: fmt.Errorf(format, args...)}
}

// settings is the whole configuration, read from the environment and checked before
// anything starts: no node is dialled and no database opened while a setting is wrong.
type settings struct {
	master         []byte
	reg            *asset.Registry
	btc, ltc       *nodeSettings // nil: not configured
	evm            []evmSettings
	tron           []tronSettings
	sim            bool
	keyring        *keys.Keyring
	publicMnemonic bool // the keyring is the public test mnemonic's
	fixedRates     rates.Fixed
	payouts        kassa.PayoutOptions
	rebounds       map[asset.Mode]bool   // KASSA_REBOUNDS
	treasury       kassa.TreasuryOptions // KASSA_SWEEP, KASSA_SWEEP_*
	claimTTL       time.Duration         // KASSA_REFUND_CLAIM_TTL
	billingClock   func() time.Time      // KASSA_TEST_BILLING_CLOCK
	webhookTimeout time.Duration
	webhookLease   time.Duration
	poll           time.Duration
	allowPrivate   bool
	instance       string
	dbURL, dbPath  string
	dbConns        int
	addr, public   string
	http           httphandler.Options // without its Logger
	// metricsAddr serves /metrics (KASSA_METRICS_ADDR; "" for none) from metrics.
	metricsAddr string
	metrics     *prometheus.Registry
}

// nodeSettings are a Bitcoin-like network's: a node's JSON-RPC or an Esplora API.
type nodeSettings struct {
	prefix     string // KASSA_BTC or KASSA_LTC
	network    asset.NetworkID
	netName    string // mainnet, testnet, ...
	mode       asset.Mode
	params     *chaincfg.Params
	rpcURL     string
	user, pass string
	esplora    string
	headers    http.Header
	ws         string // btcd's websocket host:port; "" polls
	blocksOnly bool
}

// evmSettings are one EVM node's.
type evmSettings struct {
	name      string // its variable, KASSA_EVM_RPC_ETHEREUM
	network   asset.NetworkID
	mode      asset.Mode
	url, push string
	headers   http.Header
}

// tronSettings are one Tron full node's (java-tron's HTTP API, or TronGrid).
type tronSettings struct {
	name    string // its variable, KASSA_TRON_URL
	mode    asset.Mode
	url     string
	apiKey  string
	timeout time.Duration
}

type utxoNetwork struct {
	mode   asset.Mode
	params *chaincfg.Params
}

// The networks KASSA_BTC_NETWORK and KASSA_LTC_NETWORK name. btcd's chaincfg has
// testnet4 and signet; Litecoin's parameters are keys.LitecoinParams.
var (
	btcNetworks = map[string]utxoNetwork{
		"mainnet":  {asset.Live, &chaincfg.MainNetParams},
		"testnet":  {asset.Test, &chaincfg.TestNet3Params},
		"testnet4": {asset.Test, &chaincfg.TestNet4Params},
		"signet":   {asset.Test, &chaincfg.SigNetParams},
		"regtest":  {asset.Test, &chaincfg.RegressionNetParams},
	}
	ltcNetworks = map[string]utxoNetwork{
		"mainnet": {asset.Live, keys.LitecoinParams(asset.Live, false)},
		"testnet": {asset.Test, keys.LitecoinParams(asset.Test, false)},
		"regtest": {asset.Test, keys.LitecoinParams(asset.Test, true)},
	}
)

var evmNetworks = []asset.NetworkID{asset.Ethereum, asset.BSC, asset.Polygon, asset.Base}

// loadSettings reads and checks every KASSA_* variable. It reads the files they name
// (cookie, mnemonic, logo) and nothing else.
func loadSettings(getenv func(string) string) (*settings, error) {
	s := &settings{reg: asset.Default()}
	var err error
	if s.master, err = hex.DecodeString(getenv("KASSA_MASTER_KEY")); err != nil || len(s.master) != 32 {
		return nil, bad("KASSA_MASTER_KEY", "must be 64 hex characters (32 bytes)")
	}
	for _, a := range s.reg.Assets() {
		name := "KASSA_TEST_TOKEN_" + a.Currency + "_" + strings.ToUpper(string(a.Network))
		if c := getenv(name); c != "" && !a.Native {
			if err := s.reg.SetContract(a.Code, asset.Test, c); err != nil {
				return nil, &settingError{Var: name, Err: err}
			}
		}
	}
	for _, n := range s.reg.Networks() {
		name := "KASSA_CONFIRMATIONS_" + strings.ToUpper(string(n.ID))
		v := getenv(name)
		if v == "" {
			continue
		}
		c, err := strconv.Atoi(v)
		if err != nil {
			return nil, bad(name, "want a whole number of confirmations, got %q", v)
		}
		for _, a := range s.reg.AssetsOn(n.ID) {
			if err := s.reg.SetConfirmations(a.Code, c); err != nil {
				return nil, &settingError{Var: name, Err: err}
			}
		}
	}
	if s.btc, err = nodeFromEnv(getenv, "KASSA_BTC", asset.Bitcoin, btcNetworks,
		"mainnet (live mode), or testnet, testnet4, signet or regtest (test mode)"); err != nil {
		return nil, err
	}
	if s.ltc, err = nodeFromEnv(getenv, "KASSA_LTC", asset.Litecoin, ltcNetworks,
		"mainnet (live mode), or testnet or regtest (test mode)"); err != nil {
		return nil, err
	}
	for _, n := range evmNetworks {
		for _, m := range []asset.Mode{asset.Live, asset.Test} {
			name := "KASSA_EVM_RPC_" + strings.ToUpper(string(n))
			if m == asset.Test {
				name = "KASSA_TEST_EVM_RPC_" + strings.ToUpper(string(n))
			}
			e, err := evmFromEnv(getenv, name, n, m)
			if err != nil {
				return nil, err
			}
			if e != nil {
				s.evm = append(s.evm, *e)
			}
		}
	}
	for _, m := range []asset.Mode{asset.Live, asset.Test} {
		tr, err := tronFromEnv(getenv, m)
		if err != nil {
			return nil, err
		}
		if tr != nil {
			s.tron = append(s.tron, *tr)
		}
	}
	switch v := getenv("KASSA_TEST_CHAINS"); v {
	case "":
	case "sim":
		s.sim = true
	default:
		return nil, bad("KASSA_TEST_CHAINS", "want sim or nothing, got %q", v)
	}
	if err := s.loadKeyring(getenv); err != nil {
		return nil, err
	}
	if fr := getenv("KASSA_FIXED_RATES"); fr != "" {
		if s.fixedRates, err = parseFixedRates(fr); err != nil {
			return nil, &settingError{Var: "KASSA_FIXED_RATES", Err: err}
		}
	}
	if s.payouts, err = payoutOptions(getenv); err != nil {
		return nil, err
	}
	if v := getenv("KASSA_TEST_BILLING_CLOCK"); v != "" {
		if s.billingClock, err = s.fastClock(v); err != nil {
			return nil, &settingError{Var: "KASSA_TEST_BILLING_CLOCK", Err: err}
		}
	}
	if v := getenv("KASSA_REBOUNDS"); v != "" {
		s.rebounds = map[asset.Mode]bool{}
		for _, m := range strings.Split(v, ",") {
			mode := asset.Mode(strings.TrimSpace(m))
			if mode != asset.Test && mode != asset.Live {
				return nil, bad("KASSA_REBOUNDS", "want the modes to give back overpayments in, such as test,live; got %q", v)
			}
			s.rebounds[mode] = true
		}
	}
	if s.treasury, err = treasuryOptions(getenv); err != nil {
		return nil, err
	}
	durs := []*time.Duration{&s.webhookTimeout, &s.webhookLease, &s.poll, &s.http.IdempotencyLease, &s.claimTTL}
	for i, name := range []string{"KASSA_WEBHOOK_TIMEOUT", "KASSA_WEBHOOK_LEASE", "KASSA_POLL_INTERVAL", "KASSA_IDEMPOTENCY_LEASE", "KASSA_REFUND_CLAIM_TTL"} {
		if v := getenv(name); v != "" {
			if *durs[i], err = time.ParseDuration(v); err != nil || *durs[i] <= 0 {
				return nil, bad(name, "want a positive Go duration like 2s, got %q", v)
			}
		}
	}
	if s.http.IdempotencyLease == 0 {
		s.http.IdempotencyLease = time.Minute
	}
	s.allowPrivate = getenv("KASSA_ALLOW_PRIVATE_WEBHOOKS") == "1"
	s.instance = getenv("KASSA_INSTANCE")
	if s.dbURL = getenv("KASSA_DATABASE_URL"); s.dbURL != "" {
		if v := getenv("KASSA_DATABASE_MAX_CONNS"); v != "" {
			if s.dbConns, err = strconv.Atoi(v); err != nil || s.dbConns <= 0 {
				return nil, bad("KASSA_DATABASE_MAX_CONNS", "want a positive number, got %q", v)
			}
		}
	} else {
		s.dbPath = env(getenv, "KASSA_DB", "./kassa.db")
	}
	s.addr = env(getenv, "KASSA_ADDR", "127.0.0.1:8080")
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return nil, bad("KASSA_ADDR", "want host:port such as 127.0.0.1:8080, got %q", s.addr)
	}
	if s.metricsAddr = getenv("KASSA_METRICS_ADDR"); s.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(s.metricsAddr); err != nil {
			return nil, bad("KASSA_METRICS_ADDR", "want host:port such as 127.0.0.1:9090, got %q", s.metricsAddr)
		}
		s.metrics = prometheus.NewRegistry()
		s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		s.http.Metrics = s.metrics
	}
	s.public = env(getenv, "KASSA_PUBLIC_URL", "http://"+s.addr)
	s.http.PublicURL, s.http.StoreName = s.public, getenv("KASSA_STORE_NAME")
	if f := getenv("KASSA_LOGO_FILE"); f != "" {
		if s.http.Logo, err = os.ReadFile(f); err != nil {
			return nil, &settingError{Var: "KASSA_LOGO_FILE", Err: err}
		}
	}
	s.http.RateLimit, s.http.Burst = defaultRateLimit, defaultRateBurst
	limits := []*int{&s.http.RateLimit, &s.http.Burst, &s.http.FailedAuthLimit, &s.http.PublicRateLimit}
	for i, name := range []string{"KASSA_RATE_LIMIT", "KASSA_RATE_BURST", "KASSA_FAILED_AUTH_LIMIT", "KASSA_PUBLIC_RATE_LIMIT"} {
		if v := getenv(name); v != "" {
			if *limits[i], err = strconv.Atoi(v); err != nil || *limits[i] <= 0 {
				return nil, bad(name, "want a positive integer, got %q", v)
			}
		}
	}
	return s, nil
}

// nodeFromEnv reads prefix's settings (KASSA_BTC_...): nil when neither a node nor an
// Esplora API is given.
func nodeFromEnv(getenv func(string) string, prefix string, n asset.NetworkID, nets map[string]utxoNetwork, want string) (*nodeSettings, error) {
	s := &nodeSettings{prefix: prefix, network: n, netName: cmp.Or(getenv(prefix+"_NETWORK"), "mainnet")}
	nw, ok := nets[s.netName]
	if !ok {
		return nil, bad(prefix+"_NETWORK", "want %s, got %q", want, s.netName)
	}
	s.mode, s.params = nw.mode, nw.params
	urlVar, espVar := prefix+"_RPC_URL", prefix+"_ESPLORA_URL"
	s.rpcURL, s.esplora = getenv(urlVar), getenv(espVar)
	nodeOnly := []string{"_RPC_USER", "_RPC_PASS", "_RPC_COOKIE", "_WS", "_MEMPOOL_PUSH"}
	switch {
	case s.rpcURL != "" && s.esplora != "":
		return nil, bad(urlVar, "is set with %s: give a node or an Esplora API, not both", espVar)
	case s.rpcURL == "" && s.esplora == "":
		for _, v := range append(nodeOnly, "_RPC_HEADERS", "_NETWORK") {
			if getenv(prefix+v) != "" {
				return nil, bad(prefix+v, "is set, but neither %s nor %s is", urlVar, espVar)
			}
		}
		return nil, nil
	case s.esplora != "":
		for _, v := range nodeOnly {
			if getenv(prefix+v) != "" {
				return nil, bad(prefix+v, "is for a node (%s), not an Esplora API (%s); an API key goes in %s_RPC_HEADERS",
					urlVar, espVar, prefix)
			}
		}
		if _, err := httpURL(espVar, s.esplora, "https://mempool.space/api"); err != nil {
			return nil, err
		}
	default:
		u, err := httpURL(urlVar, s.rpcURL, "http://127.0.0.1:8332")
		if err != nil {
			return nil, err
		}
		if err := s.credentials(getenv); err != nil {
			return nil, err
		}
		switch ws := getenv(prefix + "_WS"); ws {
		case "off":
		case "":
			// btcd serves its websocket on the RPC port, plain ws (its rpcclient here
			// does not take TLS): default on for an http:// RPC URL. A node without
			// one (Bitcoin Core, Litecoin Core) refuses it and the watcher polls.
			if u.Scheme == "http" {
				s.ws = u.Host
			}
		default:
			if host, port, err := net.SplitHostPort(ws); err != nil || host == "" || strings.Contains(ws, "/") {
				return nil, bad(prefix+"_WS", "want host:port (btcd's RPC listener) or off, got %q", ws)
			} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return nil, bad(prefix+"_WS", "want host:port (btcd's RPC listener) or off, got %q", ws)
			}
			s.ws = ws
		}
		switch v := getenv(prefix + "_MEMPOOL_PUSH"); v {
		case "", "1":
		case "0":
			s.blocksOnly = true
		default:
			return nil, bad(prefix+"_MEMPOOL_PUSH", "want 0 (pushed blocks only) or 1 (the default), got %q", v)
		}
	}
	var err error
	if s.headers, err = parseHeaders(prefix+"_RPC_HEADERS", getenv(prefix+"_RPC_HEADERS")); err != nil {
		return nil, err
	}
	if _, auth := s.headers["Authorization"]; auth && (s.user != "" || s.pass != "") {
		return nil, bad(prefix+"_RPC_HEADERS", "sets Authorization, as %s_RPC_USER and _PASS or _COOKIE do: give one", prefix)
	}
	return s, nil
}

// credentials reads the RPC user and password: _RPC_USER and _RPC_PASS, or the node's
// cookie file (bitcoind -rpccookiefile: one line "user:password", read once here; the
// node writes a new one each time it starts, so restart the server after it).
func (s *nodeSettings) credentials(getenv func(string) string) error {
	cookie := s.prefix + "_RPC_COOKIE"
	s.user, s.pass = getenv(s.prefix+"_RPC_USER"), getenv(s.prefix+"_RPC_PASS")
	path := getenv(cookie)
	if path == "" {
		return nil
	}
	if s.user != "" || s.pass != "" {
		return bad(cookie, "is set with %s_RPC_USER or %s_RPC_PASS: give the cookie file or a user and password, not both", s.prefix, s.prefix)
	}
	f, err := os.Open(path)
	if err != nil {
		return &settingError{Var: cookie, Err: err}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1025))
	if err != nil {
		return &settingError{Var: cookie, Err: err}
	}
	line := strings.TrimRight(string(raw), "\r\n")
	user, pass, ok := strings.Cut(line, ":")
	// The content is a secret: the error names the file, never what it holds.
	if !ok || user == "" || pass == "" || len(raw) > 1024 || strings.ContainsFunc(line, isCtl) {
		return bad(cookie, "%s is not a node's cookie file (one line user:password)", path)
	}
	s.user, s.pass = user, pass
	return nil
}

// evmFromEnv reads one EVM node's settings (name is its RPC variable): nil when it is
// not set.
func evmFromEnv(getenv func(string) string, name string, n asset.NetworkID, m asset.Mode) (*evmSettings, error) {
	wsVar, headersVar := strings.Replace(name, "_RPC_", "_WS_", 1), strings.Replace(name, "_RPC_", "_RPC_HEADERS_", 1)
	e := &evmSettings{name: name, network: n, mode: m, url: getenv(name), push: getenv(wsVar)}
	if e.url == "" {
		for _, v := range []string{wsVar, headersVar} {
			if getenv(v) != "" {
				return nil, bad(v, "is set, but %s is not", name)
			}
		}
		return nil, nil
	}
	if u, err := url.Parse(e.url); err != nil || u.Host == "" || !slices.Contains([]string{"http", "https", "ws", "wss"}, u.Scheme) {
		return nil, bad(name, "want an http(s) or ws(s) URL, got %s", redact(e.url))
	}
	if e.push != "" && e.push != "off" {
		if u, err := url.Parse(e.push); err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss") {
			return nil, bad(wsVar, "want a ws:// or wss:// URL, or off, got %s", redact(e.push))
		}
	}
	var err error
	if e.headers, err = parseHeaders(headersVar, getenv(headersVar)); err != nil {
		return nil, err
	}
	return e, nil
}

// tronFromEnv reads a Tron node's settings for mode m: KASSA_TRON_URL (live) or
// KASSA_TEST_TRON_URL (test: Nile or Shasta), with the mode's _API_KEY (TronGrid's
// TRON-PRO-API-KEY) and _TIMEOUT; nil when no URL is set.
func tronFromEnv(getenv func(string) string, m asset.Mode) (*tronSettings, error) {
	prefix := "KASSA_TRON"
	if m == asset.Test {
		prefix = "KASSA_TEST_TRON"
	}
	t := &tronSettings{name: prefix + "_URL", mode: m, url: getenv(prefix + "_URL"), apiKey: getenv(prefix + "_API_KEY")}
	timeout := getenv(prefix + "_TIMEOUT")
	if t.url == "" {
		for _, v := range []string{prefix + "_API_KEY", prefix + "_TIMEOUT"} {
			if getenv(v) != "" {
				return nil, bad(v, "is set, but %s is not", t.name)
			}
		}
		return nil, nil
	}
	if u, err := url.Parse(t.url); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, bad(t.name, "want the node's http(s) API base such as https://api.trongrid.io, got %s", redact(t.url))
	}
	if timeout != "" {
		d, err := time.ParseDuration(timeout)
		if err != nil || d <= 0 {
			return nil, bad(prefix+"_TIMEOUT", "want a positive duration such as 20s, got %q", timeout)
		}
		t.timeout = d
	}
	return t, nil
}

// loadKeyring reads KASSA_MNEMONIC_FILE, with the address formats of the configured
// test networks; without it, test mode runs on the public test mnemonic.
func (s *settings) loadKeyring(getenv func(string) string) error {
	btcTest := &chaincfg.TestNet3Params
	if s.btc != nil && s.btc.mode == asset.Test {
		btcTest = s.btc.params
	}
	opts := []keys.Option{keys.WithBitcoinTestParams(btcTest)}
	if s.ltc != nil && s.ltc.netName == "regtest" {
		opts = append(opts, keys.WithLitecoinRegtest())
	}
	f := getenv("KASSA_MNEMONIC_FILE")
	if f == "" {
		var live []string
		for _, n := range []*nodeSettings{s.btc, s.ltc} {
			if n != nil && n.mode == asset.Live {
				live = append(live, n.prefix+"_NETWORK="+n.netName)
			}
		}
		for _, e := range s.evm {
			if e.mode == asset.Live {
				live = append(live, e.name)
			}
		}
		for _, t := range s.tron {
			if t.mode == asset.Live {
				live = append(live, t.name)
			}
		}
		if len(live) > 0 {
			return bad("KASSA_MNEMONIC_FILE", "is required with a live-mode chain (%s)", strings.Join(live, ", "))
		}
		s.publicMnemonic = true
		s.keyring, _ = keys.FromMnemonic(testMnemonic, "", opts...)
		return nil
	}
	words, err := os.ReadFile(f)
	if err != nil {
		return &settingError{Var: "KASSA_MNEMONIC_FILE", Err: err}
	}
	if s.keyring, err = keys.FromMnemonic(string(words), "", opts...); err != nil {
		return &settingError{Var: "KASSA_MNEMONIC_FILE", Err: err}
	}
	return nil
}

// httpURL checks that raw is an http(s) URL with a host.
func httpURL(name, raw, example string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, bad(name, "want an http(s) URL such as %s, got %s", example, redact(raw))
	}
	return u, nil
}

// redact shows a URL for an error message without what may be a secret in it (user,
// password, path or query: API keys).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "a value with no scheme://host"
	}
	return u.Scheme + "://" + u.Host + "/..."
}

// The headers a client sets itself: a list must not replace them.
var reservedHeaders = []string{"Connection", "Content-Length", "Content-Type", "Host", "Keep-Alive", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade"}

// parseHeaders reads extra HTTP headers for a node, "Name: value; Name2: value2" (a
// value cannot hold a ";"). Values are usually API keys: errors never show them.
func parseHeaders(name, list string) (http.Header, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	h := http.Header{}
	for i, entry := range strings.Split(list, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue // "A: 1;" and "A: 1; ; B: 2" are fine
		}
		k, v, ok := strings.Cut(entry, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, bad(name, "entry %d is not \"Name: value\" (entries are separated by \";\")", i+1)
		case !validHeaderName(k):
			return nil, bad(name, "entry %d: the part before \":\" is not a header name", i+1)
		case v == "":
			return nil, bad(name, "header %s has no value", http.CanonicalHeaderKey(k))
		case strings.ContainsFunc(v, func(r rune) bool { return r != '\t' && isCtl(r) }):
			return nil, bad(name, "header %s: its value holds a control character", http.CanonicalHeaderKey(k))
		}
		k = http.CanonicalHeaderKey(k)
		if slices.Contains(reservedHeaders, k) {
			return nil, bad(name, "header %s is the HTTP client's own; it cannot be set", k)
		}
		if _, dup := h[k]; dup {
			return nil, bad(name, "header %s is given twice", k)
		}
		h[k] = []string{v}
	}
	if len(h) == 0 {
		return nil, bad(name, "holds no \"Name: value\" entry")
	}
	return h, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }

// headerTransport sends fixed headers with every request (a node provider's API key),
// replacing any of the same name. It never changes the caller's request.
type headerTransport struct {
	base    http.RoundTripper // nil: http.DefaultTransport
	headers http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.headers {
		r.Header[k] = slices.Clone(v)
	}
	if t.base == nil {
		return http.DefaultTransport.RoundTrip(r)
	}
	return t.base.RoundTrip(r)
}

// backend returns the network's backend: the node's or the Esplora API's.
func (n *nodeSettings) backend(log *slog.Logger) (chains.Backend, error) {
	var transport http.RoundTripper
	if len(n.headers) > 0 {
		transport = headerTransport{headers: n.headers}
	}
	if n.esplora != "" {
		b, err := bitcoin.NewEsplora(bitcoin.EsploraConfig{BaseURL: n.esplora, Network: n.network, Mode: n.mode, Params: n.params,
			Client: &http.Client{Timeout: 30 * time.Second, Transport: transport}, Logger: log})
		if err != nil {
			return nil, &settingError{Var: n.prefix + "_ESPLORA_URL", Err: err}
		}
		return b, nil
	}
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: n.rpcURL, User: n.user, Pass: n.pass, Transport: transport})
	if err != nil {
		return nil, &settingError{Var: n.prefix + "_RPC_URL", Err: err}
	}
	b, err := bitcoin.New(bitcoin.Config{Network: n.network, Mode: n.mode, Params: n.params, RPC: rpc, Logger: log,
		User: n.user, Pass: n.pass, WebsocketHost: n.ws, WebsocketHeaders: n.headers, BlocksOnly: n.blocksOnly})
	if err != nil {
		return nil, &settingError{Var: n.prefix + "_RPC_URL", Err: err}
	}
	return b, nil
}

// gateway builds the Gateway: it dials the EVM nodes and opens the database. On an
// error everything it opened is closed again.
func (s *settings) gateway(ctx context.Context, log *slog.Logger) (*kassa.Gateway, func(), error) {
	var backends []chains.Backend
	var closers []func()
	closeAll := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	fail := func(err error) (*kassa.Gateway, func(), error) {
		closeAll()
		return nil, nil, err
	}
	served := map[chains.NetworkRef]bool{}
	for _, n := range []*nodeSettings{s.btc, s.ltc} {
		if n == nil {
			continue
		}
		b, err := n.backend(log)
		if err != nil {
			return fail(err)
		}
		backends = append(backends, b)
		served[b.Network()] = true
	}
	for _, e := range s.evm {
		b, err := evm.New(ctx, evm.Config{Network: e.network, Mode: e.mode, URL: e.url, PushURL: e.push, HTTPHeaders: e.headers,
			Assets: s.reg, AnyChainID: e.mode == asset.Test, Logger: log})
		if err != nil {
			return fail(&settingError{Var: e.name, Err: err})
		}
		backends = append(backends, b)
		closers = append(closers, b.Close)
		served[b.Network()] = true
	}
	for _, t := range s.tron {
		b, err := tron.New(ctx, tron.Config{Mode: t.mode, URL: t.url, APIKey: t.apiKey, Timeout: t.timeout, Assets: s.reg, Logger: log})
		if err != nil {
			return fail(&settingError{Var: t.name, Err: err})
		}
		backends = append(backends, b)
		served[b.Network()] = true
	}
	if s.sim {
		for _, n := range []asset.NetworkID{asset.Bitcoin, asset.Litecoin, asset.Ethereum, asset.BSC, asset.Polygon, asset.Base, asset.Tron} {
			ref := chains.NetworkRef{ID: n, Mode: asset.Test}
			if !served[ref] {
				backends = append(backends, sim.New(ref))
			}
		}
	}
	if s.publicMnemonic {
		log.Warn("kassa: no KASSA_MNEMONIC_FILE: test mode on the PUBLIC test mnemonic; never send real money")
	}
	sources := []rates.Source{rates.CoinGecko{}, rates.Kraken{}, rates.Coinbase{}, rates.Binance{}}
	if s.fixedRates != nil {
		sources = []rates.Source{s.fixedRates}
	}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: sources, Logger: log})
	if err != nil {
		return fail(err)
	}
	cfg := kassa.Config{Keyring: s.keyring, Chains: backends, Instance: s.instance,
		Rates: cache, MasterKey: s.master, Assets: s.reg, Logger: log, Payouts: s.payouts, PollInterval: s.poll,
		Rebounds: s.rebounds, RefundClaimTTL: s.claimTTL, Treasury: s.treasury, Billing: kassa.BillingOptions{Clock: s.billingClock},
		Webhooks: webhook.Options{AllowPrivate: s.allowPrivate, Timeout: s.webhookTimeout, Lease: s.webhookLease}}
	if s.metrics != nil {
		cfg.Metrics = s.metrics
	}
	if s.dbURL != "" {
		store, err := postgres.Open(ctx, s.dbURL, postgres.Options{MaxConns: s.dbConns, Logger: log})
		if err != nil {
			return fail(&settingError{Var: "KASSA_DATABASE_URL", Err: err})
		}
		closers = append(closers, func() { store.Close() })
		cfg.Store = store
	} else {
		cfg.DatabasePath = s.dbPath
	}
	g, err := kassa.New(cfg)
	if err != nil {
		return fail(err)
	}
	return g, func() {
		g.Close()
		closeAll()
	}, nil
}

// treasuryOptions reads the sweep settings: KASSA_SWEEP=0 turns sweeps off (they are
// on by default), KASSA_SWEEP_THRESHOLDS ("USDT_ETHEREUM=50,ETH=0.05") and KASSA_SWEEP_MAX_FEE_PERCENT
// tune them.
func treasuryOptions(getenv func(string) string) (kassa.TreasuryOptions, error) {
	var t kassa.TreasuryOptions
	switch v := getenv("KASSA_SWEEP"); v {
	case "", "1":
	case "0":
		t.NoSweep = true
	default:
		return t, bad("KASSA_SWEEP", "want 1 (sweep EVM and Tron deposits to the hot wallet) or 0, got %q", v)
	}
	if v := getenv("KASSA_SWEEP_THRESHOLDS"); v != "" {
		t.Thresholds = map[string]decimal.Decimal{}
		for _, part := range strings.Split(v, ",") {
			code, amount, ok := strings.Cut(strings.TrimSpace(part), "=")
			d, err := decimal.NewFromString(amount)
			if !ok || code == "" || err != nil || d.IsNegative() {
				return t, bad("KASSA_SWEEP_THRESHOLDS", "want CODE=amount pairs such as USDT_ETHEREUM=50,ETH=0.05, got %q", v)
			}
			t.Thresholds[strings.ToUpper(code)] = d
		}
	}
	if v := getenv("KASSA_SWEEP_MAX_FEE_PERCENT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 100 {
			return t, bad("KASSA_SWEEP_MAX_FEE_PERCENT", "want a percentage from 1 to 100, got %q", v)
		}
		t.MaxFeePercent = n
	}
	return t, nil
}

// payoutOptions reads the approval threshold and the SMTP settings for payout codes.
func payoutOptions(getenv func(string) string) (kassa.PayoutOptions, error) {
	var po kassa.PayoutOptions
	if s := getenv("KASSA_PAYOUT_APPROVAL_USD"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || !d.IsPositive() {
			return po, bad("KASSA_PAYOUT_APPROVAL_USD", "want a positive amount, got %q", s)
		}
		po.ApprovalUSD = d
	}
	if s := getenv("KASSA_PAYOUT_WINDOW_USD"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || !d.IsPositive() {
			return po, bad("KASSA_PAYOUT_WINDOW_USD", "want a positive amount, got %q", s)
		}
		po.WindowUSD = d
	}
	if s := getenv("KASSA_PAYOUT_WINDOW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return po, bad("KASSA_PAYOUT_WINDOW", "want a positive duration such as 24h, got %q", s)
		}
		po.Window = d
	}
	if s := getenv("KASSA_PAYOUT_BUMP_AFTER"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return po, bad("KASSA_PAYOUT_BUMP_AFTER", "want a positive duration such as 30m, got %q", s)
		}
		po.BumpAfter = d
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

func env(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// fastClock reads KASSA_TEST_BILLING_CLOCK, "<speed>x@<RFC 3339 time>": billing's
// clock runs speed times as fast as the wall clock from that instant on (the same
// instant for every instance and after every restart, so it never runs back). It is
// for test harnesses that want renewals in minutes, and is refused with a live-mode
// chain.
func (s *settings) fastClock(v string) (func() time.Time, error) {
	for _, n := range []*nodeSettings{s.btc, s.ltc} {
		if n != nil && n.mode == asset.Live {
			return nil, errors.New("refused with a live-mode chain")
		}
	}
	for _, e := range s.evm {
		if e.mode == asset.Live {
			return nil, errors.New("refused with a live-mode chain")
		}
	}
	for _, t := range s.tron {
		if t.mode == asset.Live {
			return nil, errors.New("refused with a live-mode chain")
		}
	}
	speedText, epochText, ok := strings.Cut(v, "x@")
	speed, err := strconv.Atoi(speedText)
	if !ok || err != nil || speed < 1 || speed > 100_000 {
		return nil, fmt.Errorf("want <speed 1..100000>x@<RFC 3339 time>, such as 3600x@2026-11-26T21:00:00Z; got %q", v)
	}
	epoch, err := time.Parse(time.RFC3339, epochText)
	if err != nil {
		return nil, fmt.Errorf("the time after x@ is not an RFC 3339 time such as 2026-11-26T21:00:00Z: %q", epochText)
	}
	most := time.Duration(math.MaxInt64) / time.Duration(speed) // about 290 years of the fast clock
	return func() time.Time { return epoch.Add(min(time.Since(epoch), most) * time.Duration(speed)) }, nil
}
