// Package kassatest runs a whole Kassa Gateway inside a test: SQLite (in memory by
// default), a sim chain per network in test mode, fixed exchange rates and a fake clock,
// so an application can test its payment flow end to end in milliseconds.
//
//	env := kassatest.New(t)
//	inv, _ := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: d("10"), Currency: "USD"})
//	env.Pay(inv, "USDT_TRON", "10")
//	env.Mine(asset.Tron, 19)
//	env.Invoice(inv.ID).Status // "paid"
//
// Payouts run on the sim chains too; one-time approval codes are kept by the Env (Code)
// instead of being mailed, and WithPayoutOptions sets the threshold and service fee.
//
// The Gateway is not started with Run: every helper moves it forward with
// Gateway.Sync, so nothing depends on timing. Events are collected by a subscriber and
// returned by Events.
package kassatest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// Mnemonic is the test mnemonic kassatest derives addresses from.
const Mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// Networks are the networks kassatest runs a sim chain for (test mode).
var Networks = []asset.NetworkID{asset.Bitcoin, asset.Litecoin, asset.Ethereum, asset.BSC, asset.Polygon, asset.Base, asset.Tron}

// DefaultRates are the fixed USD prices kassatest quotes with.
func DefaultRates() rates.Fixed {
	d := decimal.RequireFromString
	return rates.Fixed{
		"BTC": d("65000"), "LTC": d("80"), "ETH": d("3000"), "BNB": d("600"), "POL": d("0.5"),
		"TRX": d("0.125"), "LINK": d("15"), "EUR": d("1.08"), "GBP": d("1.25"), "JPY": d("0.0067"),
	}
}

// Clock is a fake clock; it only moves when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a fake clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Env is a Gateway with its sim chains, clock and collected events.
type Env struct {
	T       testing.TB
	Gateway *kassa.Gateway
	// Store is the Gateway's database (a SQLite file with WithDatabase, else in
	// memory), for tests that look into it.
	Store  storage.Store
	Clock  *Clock
	Chains map[asset.NetworkID]*sim.Chain
	Assets *asset.Registry

	opts   options
	mu     sync.Mutex
	events []kassa.Event
	codes  map[string]string
	// recipients is someone else's keyring (Recipient).
	recipients *keys.Keyring
}

type options struct {
	webhooks webhook.Options
	db       string
	rates    rates.Fixed
	window   time.Duration
	logger   *slog.Logger
	registry *asset.Registry
	payouts  kassa.PayoutOptions
	backends []chains.Backend
	keyring  *keys.Keyring
	clock    *Clock
	poll     time.Duration
	noSync   bool
	open     func(ctx context.Context) (storage.Store, error)
	metrics  prometheus.Registerer
	rebounds map[asset.Mode]bool
	treasury *kassa.TreasuryOptions
	exchange conversion.Exchanger
	// liveExchange is WithLiveExchanger's.
	liveExchange conversion.Exchanger
	sources      []rates.Source
}

// Option configures New.
type Option func(*options)

// WithRebounds turns rebounds on in the test mode (kassa.Config.Rebounds).
func WithRebounds() Option {
	return func(o *options) { o.rebounds = map[asset.Mode]bool{asset.Test: true} }
}

// WithTreasury tunes the treasury pass (kassa.Config.Treasury). Without it a test
// Gateway does not sweep (tests fund the hot wallet themselves and count its wei);
// WithTreasury(kassa.TreasuryOptions{}) sweeps EVM deposits to the hot wallet, as a
// Gateway does by default.
func WithTreasury(t kassa.TreasuryOptions) Option { return func(o *options) { o.treasury = &t } }

// treasuryOptions are the Env's treasury options: none but WithTreasury's sweep.
func (e *Env) treasuryOptions() kassa.TreasuryOptions {
	if e.opts.treasury == nil {
		return kassa.TreasuryOptions{NoSweep: true}
	}
	return *e.opts.treasury
}

// WithExchanger gives the Gateway an exchange for test-mode conversions
// (kassa.Config.TestExchanger) instead of the built-in one, which converts test money
// at the fixed rates.
func WithExchanger(x conversion.Exchanger) Option { return func(o *options) { o.exchange = x } }

// WithLiveExchanger gives the Gateway an operator's exchange for live money
// (kassa.Config.Exchanger), which test money must never reach.
func WithLiveExchanger(x conversion.Exchanger) Option { return func(o *options) { o.liveExchange = x } }

// WithStore runs the Env on the databases open returns (one per start: New, Restart
// and RestartProcess close the previous one), instead of SQLite: a PostgreSQL
// database of storage/postgres, say. WithDatabase is then ignored.
func WithStore(open func(ctx context.Context) (storage.Store, error)) Option {
	return func(o *options) { o.open = open }
}

// WithPayoutOptions tunes payouts. Its Notifier is replaced: one-time codes are kept
// by the Env (see Code).
func WithPayoutOptions(p kassa.PayoutOptions) Option { return func(o *options) { o.payouts = p } }

// WithDatabase uses a SQLite file instead of memory (needed to test restarts).
func WithDatabase(path string) Option { return func(o *options) { o.db = path } }

// WithRateSources prices with these sources instead of the fixed rates (a source
// that fails, to see rates grow stale as the clock moves).
func WithRateSources(s ...rates.Source) Option { return func(o *options) { o.sources = s } }

// WithRates replaces DefaultRates.
func WithRates(r rates.Fixed) Option { return func(o *options) { o.rates = r } }

// WithMonitoringWindow sets the Gateway's monitoring window.
func WithMonitoringWindow(d time.Duration) Option { return func(o *options) { o.window = d } }

// WithLogger sends the Gateway's logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithWebhookOptions tunes webhook delivery (AllowPrivate is always on in kassatest:
// test receivers listen on 127.0.0.1).
func WithWebhookOptions(o webhook.Options) Option { return func(opt *options) { opt.webhooks = o } }

// MasterKey is the fixed master key kassatest gives its Gateway.
var MasterKey = []byte("kassatest master key, 32 bytes!!")

// WithAssets uses a registry of the test's own (for example with fewer confirmations).
func WithAssets(r *asset.Registry) Option { return func(o *options) { o.registry = r } }

// WithBackends runs the Gateway on these chain backends (real nodes: btcd, the
// go-ethereum node) instead of kassatest's sim chains; Chain returns nil for their
// networks.
func WithBackends(bs ...chains.Backend) Option {
	return func(o *options) { o.backends = append(o.backends, bs...) }
}

// WithKeyring uses k instead of a keyring from Mnemonic (for example with regtest's
// Bitcoin parameters).
func WithKeyring(k *keys.Keyring) Option { return func(o *options) { o.keyring = k } }

// WithClock uses c as the Gateway's clock (real nodes' blocks carry real times).
func WithClock(c *Clock) Option { return func(o *options) { o.clock = c } }

// WithPollInterval sets how often Run polls nodes that do not push.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithMetrics gives the Gateway a Prometheus registerer (kassa.Config.Metrics).
func WithMetrics(r prometheus.Registerer) Option { return func(o *options) { o.metrics = r } }

// WithoutSync leaves the first Sync to the test (a deployment whose node is down at
// its start, say).
func WithoutSync() Option { return func(o *options) { o.noSync = true } }

// New starts an Env; it is closed when the test ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{db: ":memory:", rates: DefaultRates(), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	if o.registry == nil {
		o.registry = asset.Default()
	}
	if o.clock == nil {
		o.clock = NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	}
	e := &Env{T: t, opts: o, codes: map[string]string{}, Assets: o.registry, Chains: map[asset.NetworkID]*sim.Chain{},
		Clock: o.clock}
	e.newSims()
	e.start()
	return e
}

// newSims makes a sim chain for every network of Networks, unless the Env runs on
// real backends.
func (e *Env) newSims() {
	if len(e.opts.backends) > 0 {
		return
	}
	for _, n := range Networks {
		e.Chains[n] = sim.New(chains.NetworkRef{ID: n, Mode: asset.Test})
	}
}

func (e *Env) start() {
	e.T.Helper()
	sources := e.opts.sources
	if len(sources) == 0 {
		sources = []rates.Source{e.opts.rates}
	}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: sources, Now: e.Clock.Now, Logger: e.opts.logger})
	if err != nil {
		e.T.Fatal(err)
	}
	backends := e.opts.backends
	if len(backends) == 0 {
		for _, n := range Networks {
			backends = append(backends, e.Chains[n])
		}
	}
	var store storage.Store
	if e.opts.open != nil {
		store, err = e.opts.open(context.Background())
	} else {
		store, err = sqlite.Open(context.Background(), e.opts.db, sqlite.Options{Logger: e.opts.logger})
	}
	if err != nil {
		e.T.Fatal(err)
	}
	e.Store = store
	e.T.Cleanup(func() { store.Close() })
	cfg := kassa.Config{Mnemonic: Mnemonic, Keyring: e.opts.keyring}
	if cfg.Keyring != nil {
		cfg.Mnemonic = ""
	}
	g, err := kassa.New(kassa.Config{
		Mnemonic: cfg.Mnemonic, Keyring: cfg.Keyring, Store: store, Chains: backends, Rates: cache, PollInterval: e.opts.poll,
		MonitoringWindow: e.opts.window, Now: e.Clock.Now, Assets: e.opts.registry, Logger: e.opts.logger,
		MasterKey: MasterKey, Webhooks: webhookOptions(e.opts.webhooks), Payouts: e.payoutOptions(), Metrics: e.opts.metrics,
		Rebounds: e.opts.rebounds, Treasury: e.treasuryOptions(), TestExchanger: e.opts.exchange, Exchanger: e.opts.liveExchange,
	})
	if err != nil {
		e.T.Fatal(err)
	}
	e.Gateway = g
	e.T.Cleanup(func() { g.Close() })
	if err := g.Subscribe("kassatest", func(_ context.Context, ev kassa.Event) error {
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
		return nil
	}); err != nil {
		e.T.Fatal(err)
	}
	if !e.opts.noSync {
		e.Sync()
	}
}

// Restart closes the Gateway and opens a new one on the same database and chains, as a
// process restart would (use WithDatabase: an in-memory database does not survive).
func (e *Env) Restart() {
	e.T.Helper()
	e.close()
	e.start()
}

// close closes the Gateway and its database.
func (e *Env) close() {
	e.T.Helper()
	if err := errors.Join(e.Gateway.Close(), e.Store.Close()); err != nil {
		e.T.Fatal(err)
	}
}

// RestartProcess is Restart as a new process sees it: the sim chains are new values
// too, rebuilt by the Gateway from the journal it keeps of them in the database (use
// WithDatabase). Chains returned by Chain before are stale afterwards.
func (e *Env) RestartProcess() {
	e.T.Helper()
	e.close()
	e.newSims()
	e.start()
}

// Sync runs one pass of the Gateway's jobs and fails the test on error.
func (e *Env) Sync() {
	e.T.Helper()
	if err := e.Gateway.Sync(context.Background()); err != nil {
		e.T.Fatal(err)
	}
}

// DatabasePath is the Env's database: ":memory:" unless WithDatabase gave a file.
func (e *Env) DatabasePath() string { return e.opts.db }

// Chain returns the sim chain of network n.
func (e *Env) Chain(n asset.NetworkID) *sim.Chain { return e.Chains[n] }

// Pay sends amount of the method with asset code to the invoice's address for it, into
// the mempool of its sim chain, and returns the transaction id. It does not sync.
func (e *Env) Pay(inv *invoice.Invoice, code, amount string) string {
	e.T.Helper()
	for _, m := range inv.Methods {
		if m.Asset == code {
			return e.Chains[m.Network].Pay(m.Address, m.Asset, e.Units(code, amount))
		}
	}
	e.T.Fatalf("kassatest: invoice %s has no %s method", inv.ID, code)
	return ""
}

// PayAmount is Pay with the amount as a decimal, as invoices give them
// (Method.AmountDue, a part of it): an amount finer than the asset's precision fails
// the test.
func (e *Env) PayAmount(inv *invoice.Invoice, code string, amount decimal.Decimal) string {
	e.T.Helper()
	m := e.Method(inv, code)
	a, err := e.Assets.Get(code)
	if err != nil {
		e.T.Fatal(err)
	}
	units, err := a.ToBaseUnits(amount)
	if err != nil {
		e.T.Fatalf("kassatest: paying %s %s: %v", amount, code, err)
	}
	return e.Chains[m.Network].Pay(m.Address, m.Asset, units)
}

// RecipientMnemonic is the seed of Recipient's addresses: someone else's wallet.
const RecipientMnemonic = "legal winner thank year wave sausage worth useful legal winner thank yellow"

// Recipient returns the i-th receive address, in test mode, of someone else's wallet
// (RecipientMnemonic) on network n: a valid payout destination that is none of the
// Gateway's own addresses.
func (e *Env) Recipient(n asset.NetworkID, i uint32) string {
	e.T.Helper()
	net, err := e.Assets.Network(n)
	if err != nil {
		e.T.Fatal(err)
	}
	e.mu.Lock()
	if e.recipients == nil {
		e.recipients, err = keys.FromMnemonic(RecipientMnemonic, "")
	}
	k := e.recipients
	e.mu.Unlock()
	if err != nil {
		e.T.Fatal(err)
	}
	a, err := k.Address(net.Family, asset.Test, keys.Receive, i)
	if err != nil {
		e.T.Fatal(err)
	}
	return a.Encoded
}

// Units converts an amount of asset code into base units, failing the test if it cannot.
func (e *Env) Units(code, amount string) *big.Int {
	e.T.Helper()
	a, err := e.Assets.Get(code)
	if err != nil {
		e.T.Fatal(err)
	}
	v, err := asset.ParseAmount(amount)
	if err != nil {
		e.T.Fatal(err)
	}
	u, err := a.ToBaseUnits(v)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Mine mines blocks on network n and syncs.
func (e *Env) Mine(n asset.NetworkID, blocks int) {
	e.T.Helper()
	e.Chains[n].Mine(blocks)
	e.Sync()
}

// Advance moves the clock forward and syncs (expiries happen).
func (e *Env) Advance(d time.Duration) {
	e.T.Helper()
	e.Clock.Advance(d)
	e.Sync()
}

// Invoice returns the stored invoice.
func (e *Env) Invoice(id string) *invoice.Invoice {
	e.T.Helper()
	inv, err := e.Gateway.Invoices().Get(context.Background(), asset.Test, id)
	if err != nil {
		e.T.Fatal(err)
	}
	return inv
}

// Events returns the events delivered so far, in order.
func (e *Env) Events() []kassa.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]kassa.Event(nil), e.events...)
}

// Verify checks the ledger's invariants and fails the test if any is broken.
func (e *Env) Verify() {
	e.T.Helper()
	if err := e.Gateway.VerifyLedger(context.Background()); err != nil {
		e.T.Fatal(err)
	}
}

func (e *Env) payoutOptions() kassa.PayoutOptions {
	p := e.opts.payouts
	p.Notifier = payout.NotifierFunc(func(_ context.Context, po *payout.Payout, code string) error {
		e.mu.Lock()
		e.codes[po.ID] = code
		if po.BatchID != "" {
			e.codes[po.BatchID] = code // one code approves the batch's waiting payouts
		}
		e.mu.Unlock()
		return nil
	})
	return p
}

// Code returns the last one-time code sent for a payout, or for a batch by its id
// ("" if none). A batch that waits as a whole gets one code, sent naming its first
// payout; Verify with any of its payouts releases all of them.
func (e *Env) Code(payoutID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.codes[payoutID]
}

func webhookOptions(o webhook.Options) webhook.Options {
	o.AllowPrivate = true
	return o
}
