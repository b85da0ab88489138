// Package kassa is an embeddable crypto-payments gateway for Go applications.
//
// A Gateway is built with New on the application's own database (a storage.Store, or a
// SQLite file path), the merchant's own keys (a BIP39 mnemonic, or watch-only account
// xpubs) and its chain backends. It creates invoices with a unique HD-derived deposit
// address per payment method, watches the chains (confirmations, reorgs,
// double-spends), keeps a double-entry ledger of balances, pays out (Payouts), delivers
// every event to subscribers at least once and to webhook endpoints (Webhooks); package
// httphandler serves all of it as the HTTP API.
//
// Layout (each package's doc says what it is for):
//
//	asset/       networks, assets, fiat currencies; exact amount conversion
//	keys/        BIP39/BIP32 keyring: deposit and change addresses, signing keys
//	rates/       exchange-rate sources and a cache with a stale limit
//	ledger/      double-entry journal with holds and Verify
//	chains/      the backend seam and the watcher engine (cursors, confirmations, reorgs)
//	  sim/       a deterministic in-memory chain for tests and sandboxes
//	event/       the transactional outbox
//	invoice/     invoices, quotes, the state machine, matching transfers
//	payout/      single and mass payouts, approval codes, holds, rollback
//	webhook/     signed webhook deliveries with retries
//	apikey/      API keys, request signatures, idempotency
//	httphandler/ the REST API and hosted pages as one http.Handler
//	kassatest/   a whole Gateway for users' tests: in-memory SQLite, sim chains, fake clock
//	storage/     the storage contract and its conformance suite (storagetest)
//	  sqlite/    the embedded SQLite backend (modernc.org/sqlite, pure Go)
//	validation/  the typed field errors every package returns
//
// Errors: bad input returns a *ValidationError (an alias of validation.Error) naming
// each wrong field, wrapping package sentinels that errors.Is can test; nothing is
// written when a call fails.
package kassa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/rates"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/lease"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// ValidationError lists every wrong input field of a call.
type ValidationError = validation.Error

// FieldError says one input field is wrong and why.
type FieldError = validation.FieldError

// Config configures a Gateway. Exactly one source of keys (Mnemonic, XPubs or Keyring)
// and exactly one database (Store or DatabasePath) must be given.
type Config struct {
	// Store is the database, owned by the caller: Close does not close it.
	Store storage.Store
	// DatabasePath is a SQLite file the Gateway opens (creating it if needed) and closes
	// on Close. ":memory:" gives a private in-memory database for tests.
	DatabasePath string

	// Mnemonic is the merchant's BIP39 English mnemonic; with it the Gateway can receive
	// and sign. It is used to derive keys in memory and is never stored.
	Mnemonic string
	// Passphrase is the optional BIP39 passphrase of Mnemonic.
	Passphrase string
	// XPubs are account extended public keys for a watch-only Gateway, which can receive
	// but not pay out.
	XPubs []keys.XPub
	// Keyring is a keyring built by the caller, instead of Mnemonic or XPubs.
	Keyring *keys.Keyring

	// Chains are the chain backends, one per network and mode (chains/bitcoin,
	// chains/evm, or chains/sim for tests and sandboxes). An asset can be invoiced in a
	// mode only if a backend serves its network in that mode.
	Chains []chains.Backend
	// Rates prices fiat invoices in crypto (a *rates.Cache). Without it, only invoices
	// priced in a crypto asset can be created, and price estimates
	// (Gateway.EstimatePrice) are refused.
	Rates invoice.Rater
	// Exchanger is the operator's exchange, which converts between a merchant's live
	// balances (Conversions; see package conversion): live mode converts only through
	// it, and without one live conversions are refused with conversion.ErrUnavailable.
	// It is never asked to convert test money. Its Convert must be idempotent by
	// Request.ID. Default: none.
	Exchanger conversion.Exchanger
	// TestExchanger converts test-mode balances (a sandbox exchange, or a test's
	// fake). Default: conversion.Rated, which converts at the rates of Rates with no
	// fee, so that sandboxes can convert.
	TestExchanger conversion.Exchanger
	// MonitoringWindow is how long after expiry late payments still count (default 24 h).
	MonitoringWindow time.Duration
	// Billing configures subscriptions' invoices and their retries.
	Billing BillingOptions
	// InvoiceRefreshes is how often one invoice that expired unpaid may be made
	// pending again (Invoices().Refresh; default 1; negative: never).
	InvoiceRefreshes int
	// RefundClaimTTL is how long a refund's claim link works before the refund is
	// cancelled unclaimed (default 30 days; see package refund).
	RefundClaimTTL time.Duration
	// Rebounds turns rebounds on per mode: Kassa then gives back on its own the
	// overpaid part of a paid invoice, and the whole of a late payment or of an
	// underpayment when the invoice expired, each behind a claim link the checkout
	// page shows (see package refund). Default: off in both modes.
	Rebounds map[asset.Mode]bool
	// PollInterval is how often watchers poll nodes that do not push (default 10 s).
	PollInterval time.Duration
	// Now is the clock (default time.Now). Tests use a fake one (see kassatest).
	Now func() time.Time

	// MasterKey (32 bytes, e.g. from a secrets manager) encrypts the secrets Kassa
	// stores: API keys, webhook signing secrets, Idempotency-Key responses. Without it
	// webhooks and API keys are unavailable (Webhooks and Keys return nil) and
	// httphandler.New refuses the Gateway: only the Go API runs. Keep it out of the
	// database; a Gateway started with another key than before is refused.
	MasterKey []byte
	// Webhooks tunes webhook delivery (see webhook.Options; the zero value is the
	// production default).
	Webhooks webhook.Options

	// Payouts tunes payouts: approval threshold, service fee, where one-time codes go.
	Payouts PayoutOptions
	// Treasury tunes the treasury pass: sweeps of EVM deposits to the hot wallet.
	Treasury TreasuryOptions
	// Wallets pay out on networks whose backend is not a chains.Payer, or replace
	// the wallet of one that is (each network and mode must have a backend in
	// Chains). Backends that are Payers (chains/bitcoin, chains/evm, chains/sim) make
	// their own.
	Wallets map[chains.NetworkRef]chains.Wallet

	// Instance names this process among the instances that share the database (its
	// leases carry it with a random suffix of each process's own; default: host name
	// and process id).
	Instance string
	// LeaseTTL is how long a job's lease lasts without renewal (default 3 s): when the
	// instance running a job dies, another takes the job over within LeaseTTL and one
	// renewal interval (LeaseTTL/3). See Run.
	LeaseTTL time.Duration

	// Assets is the asset registry. Default: asset.Default().
	Assets *asset.Registry
	// Logger receives the Gateway's structured logs. Default: slog.Default().
	Logger *slog.Logger
	// Metrics, if set, receives the Gateway's Prometheus metrics: invoices and
	// payouts by mode and status, each chain watcher's height, tip, lag and health,
	// how fast deposits are detected and confirmed, webhook deliveries by outcome
	// and their latency. Serve them with promhttp (the standalone server does at
	// /metrics). Default: none.
	Metrics prometheus.Registerer
}

// BillingOptions tune subscriptions (package billing).
type BillingOptions struct {
	// Retries are the delays after a period's invoice expires unpaid before the next
	// invoice for the period is sent; when the last one expires too the subscription
	// is cancelled. Default billing.DefaultRetries: 1, 3 and 5 days.
	Retries []time.Duration
	// InvoiceLifetime is the lifetime of a period's invoice (default 12 hours, the
	// longest an invoice may have).
	InvoiceLifetime time.Duration
	// Clock is billing's own clock: when periods start and retries fall due (default
	// Config.Now). Test harnesses run it faster than the rest, to see renewals in
	// minutes; periods' invoices expire by Config.Now.
	Clock func() time.Time
}

// PayoutOptions tune payouts (see package payout).
type PayoutOptions struct {
	// ApprovalUSD: payouts worth this much or more wait for a one-time code sent to
	// the owner (default 5,000 USD); so does a mass payout whose total is.
	ApprovalUSD decimal.Decimal
	// WindowUSD bounds what leaves without a code within Window (default 24 h): a
	// payout that would bring the mode's payouts sent without a code in the window to
	// WindowUSD or more waits for a code too (default ApprovalUSD). Splitting a large
	// payout into small ones, or into several batches, therefore gains nothing.
	WindowUSD decimal.Decimal
	Window    time.Duration
	// FundsWait is how long a payout the ledger covers waits for the chain wallet's
	// coins to become spendable (a Bitcoin wallet whose only coins are the change of
	// its own payouts, deeper than bitcoin.MaxUnconfirmedDepth or not yet accepted by
	// the node) before it fails with its hold released (default 1 h).
	FundsWait time.Duration
	// BumpAfter, if set, is how long a payout's transaction may wait unmined before
	// the payout job replaces it by one paying a higher fee (RBF on Bitcoin, raised
	// tips on EVM), and again after as long, up to payout.MaxAutoBumps times; 0 (the
	// default) bumps only on request (Payouts().Bump, POST /v1/payouts/{id}/bump).
	BumpAfter time.Duration
	// ServiceFeePercent is kept from each payout for the operator (default 0).
	ServiceFeePercent decimal.Decimal
	// Notifier sends one-time codes (payout.SMTPNotifier). Without one, test-mode
	// codes are logged at WARN level (local use only) and live payouts that need a
	// code are refused (payout.ErrNoNotifier).
	Notifier payout.Notifier
	// Approver, if set, can ask for a code on any payout (manual review rules).
	Approver func(ctx context.Context, p *payout.Payout) bool
	// Confirmations is how many confirmations a payout's transaction needs before the
	// payout is completed, per network (default: what a deposit of the network's coin
	// needs, asset.Asset.Confirmations). The chain watcher follows payouts through
	// reorgs like deposits: one taken out of the chain goes back to broadcast and its
	// signed transaction is sent again.
	Confirmations map[asset.NetworkID]int
	// FollowFor is how long a completed payout's transaction is still followed, in
	// case a reorg deeper than its confirmations takes it away (default 24 h).
	FollowFor time.Duration
}

// Gateway is a running Kassa instance. It is safe for concurrent use.
type Gateway struct {
	store     storage.Store
	ownsStore bool
	keys      *keys.Keyring
	assets    *asset.Registry
	log       *slog.Logger
	now       func() time.Time
	invoices  *invoice.Service
	webhooks  *webhook.Service
	apiKeys   *apikey.Service
	payouts   *payout.Service
	refunds   *refund.Service
	customers *customer.Service
	sellers   *submerchant.Service
	accounts  *wallet.Service // customer wallets (g.wallets are the chains' hot wallets)
	billing   *billing.Service
	converts  *conversion.Service
	rater     invoice.Rater     // Config.Rates, or noRates
	treasury  *treasury.Service // nil with Config.Treasury.NoSweep
	wallets   map[chains.NetworkRef]chains.Wallet
	watchers  map[chains.NetworkRef]*chains.Watcher
	backends  map[chains.NetworkRef]chains.Backend
	enabled   map[asset.Mode]map[string]bool
	chainIDs  map[chains.NetworkRef]uint64 // EVM chain ids the backends verified with their nodes
	kick      chan struct{}                // wakes the event dispatcher
	leases    *lease.Manager               // the jobs this instance runs (Run)

	subMu sync.Mutex
	subs  map[string]*subscriber

	// closing is cancelled by Close, which then waits for every Run to return.
	closing context.Context
	close   context.CancelFunc
	runMu   sync.Mutex
	closed  bool
	runs    sync.WaitGroup
	running atomic.Int32 // Runs running: Sync then runs only the jobs this instance holds
	// listening counts running listen loops; marks are the tokens this instance's
	// watchers wait to hear back (current); rescans are the rescans after a reset.
	listening atomic.Int32
	marksMu   sync.Mutex
	marks     map[string]chan struct{}
	rescans   sync.WaitGroup

	metrics      *metrics      // nil without Config.Metrics
	pollInterval time.Duration // Config.PollInterval with its default
}

// observer is the watchers' chains.Observer: the metrics, or none.
func (g *Gateway) observer() chains.Observer {
	if g.metrics == nil {
		return nil
	}
	return g.metrics
}

// Errors of the Gateway.
var (
	ErrNoKeys     = errors.New("give exactly one of Mnemonic, XPubs or Keyring")
	ErrNoDatabase = errors.New("give exactly one of Store or DatabasePath")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("the Gateway is closed")
)

// New checks cfg, opens the database (migrating it, with progress logged) and derives
// the keyring. On error nothing is left open.
func New(cfg Config) (*Gateway, error) {
	ctx := context.Background()
	var v ValidationError
	sources := 0
	for _, set := range []bool{cfg.Mnemonic != "", len(cfg.XPubs) > 0, cfg.Keyring != nil} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		v.Add("Mnemonic", ErrNoKeys)
	}
	if (cfg.Store == nil) == (cfg.DatabasePath == "") {
		v.Add("DatabasePath", ErrNoDatabase)
	}
	if cfg.MasterKey != nil && len(cfg.MasterKey) != 32 {
		v.Add("MasterKey", errors.New("must be 32 bytes"))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	g := &Gateway{marks: map[string]chan struct{}{}, assets: cfg.Assets, log: cfg.Logger, keys: cfg.Keyring, now: cfg.Now,
		kick: make(chan struct{}, 1), subs: map[string]*subscriber{},
		enabled:  map[asset.Mode]map[string]bool{asset.Live: {}, asset.Test: {}},
		chainIDs: map[chains.NetworkRef]uint64{}}
	g.closing, g.close = context.WithCancel(context.Background())
	if g.assets == nil {
		g.assets = asset.Default()
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	seen := map[chains.NetworkRef]bool{}
	for i, b := range cfg.Chains {
		n := b.Network()
		if _, err := g.assets.Network(n.ID); err != nil || !n.Mode.Valid() {
			v.Add(fmt.Sprintf("Chains[%d]", i), fmt.Errorf("unknown network %s", n))
		} else if seen[n] {
			v.Add(fmt.Sprintf("Chains[%d]", i), fmt.Errorf("a second backend for %s", n))
		}
		seen[n] = true
		served := g.assets.AssetsOn(n.ID)
		if as, ok := b.(chains.AssetServer); ok {
			served = served[:0:0]
			for _, code := range as.ServedAssets() {
				if a, err := g.assets.Get(code); err == nil {
					served = append(served, a)
				}
			}
		}
		for _, a := range served {
			g.enabled[n.Mode][a.Code] = true
		}
		if c, ok := b.(interface{ ChainID() *big.Int }); ok && c.ChainID().IsUint64() {
			g.chainIDs[n] = c.ChainID().Uint64()
		}
	}
	var err error
	switch {
	case cfg.Mnemonic != "":
		g.keys, err = keys.FromMnemonic(cfg.Mnemonic, cfg.Passphrase)
		if err != nil {
			v.Add("Mnemonic", err)
		}
	case len(cfg.XPubs) > 0:
		g.keys, err = keys.FromXPubs(cfg.XPubs)
		if err != nil {
			v.Add("XPubs", err)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if cfg.Store != nil {
		g.store = cfg.Store
	} else {
		s, err := sqlite.Open(ctx, cfg.DatabasePath, sqlite.Options{Logger: g.log})
		if err != nil {
			return nil, fmt.Errorf("kassa: %w", err)
		}
		g.store, g.ownsStore = s, true
	}
	g.rater = cfg.Rates
	if g.rater == nil {
		g.rater = noRates{}
	}
	rater := g.rater
	g.watchers = map[chains.NetworkRef]*chains.Watcher{}
	g.pollInterval = cfg.PollInterval
	if g.pollInterval <= 0 {
		g.pollInterval = chains.DefaultPollInterval
	}
	if cfg.Metrics != nil {
		g.metrics = newMetrics(g) // registered once the Gateway is whole (below): a scrape reads its watchers
	}
	g.sellers, err = submerchant.New(submerchant.Runner(storage.Runner[submerchant.Tx](g.store.Update)),
		submerchant.Runner(storage.Runner[submerchant.Tx](g.store.View)), g.now)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.customers, err = customer.New(customer.Config{Update: customer.Runner(storage.Runner[customer.Tx](g.store.Update)),
		View: customer.Runner(storage.Runner[customer.Tx](g.store.View)), Now: g.now, Logger: g.log})
	if err != nil {
		g.Close()
		return nil, err
	}
	g.invoices, err = invoice.New(invoice.Config{Assets: g.assets, Keys: g.keys, Rates: rater, CheckCustomer: g.customers.Resolve,
		CheckSubMerchant: g.sellers.Check,
		Update:           storage.Runner[invoice.Tx](g.store.Update), View: storage.Runner[invoice.Tx](g.store.View),
		Watch: g.Watch, Unwatch: g.unwatch, Rescan: g.rescan,
		Enabled: func(m asset.Mode) map[string]bool { return g.enabled[m] }, MonitoringWindow: cfg.MonitoringWindow,
		MaxRefreshes: cfg.InvoiceRefreshes, Now: g.now, Logger: g.log, Resolver: cfg.Webhooks.Resolver, AllowPrivate: cfg.Webhooks.AllowPrivate,
		Changed: func(ctx context.Context, tx invoice.Tx, inv *invoice.Invoice, watching bool) error {
			if err := g.refunds.InvoiceChanged(ctx, tx.(refund.Tx), inv, watching); err != nil {
				return err
			}
			return g.billing.OnInvoice(ctx, tx, inv)
		},
		Refreshable: func(ctx context.Context, tx invoice.Tx, inv *invoice.Invoice) error {
			return g.billing.Refreshable(ctx, tx, inv)
		}})
	if err != nil {
		g.Close()
		return nil, err
	}
	if cfg.MasterKey != nil {
		wc := webhook.Config{MasterKey: cfg.MasterKey, CheckSubMerchant: g.sellers.Check, Update: webhook.Runner(storage.Runner[webhook.Tx](g.store.Update)),
			View: webhook.Runner(storage.Runner[webhook.Tx](g.store.View)), Options: cfg.Webhooks, Now: g.now, Logger: g.log}
		if g.metrics != nil {
			wc.Observe = g.metrics.delivered
		}
		g.webhooks, err = webhook.New(wc)
		if err != nil {
			g.Close()
			return nil, err
		}
		if g.apiKeys, err = apikey.New(cfg.MasterKey, storage.Runner[apikey.Tx](g.store.Update), storage.Runner[apikey.Tx](g.store.View), g.now); err != nil {
			g.Close()
			return nil, err
		}
		g.apiKeys.CheckSubMerchants(g.sellers.Check)
		if err := g.checkMasterKey(ctx, cfg.MasterKey); err != nil {
			g.Close()
			return nil, err
		}
	}
	g.backends = map[chains.NetworkRef]chains.Backend{}
	for _, b := range cfg.Chains {
		if j, ok := b.(chains.Journaled); ok {
			if err := g.journal(ctx, b.Network(), j); err != nil {
				g.Close()
				return nil, err
			}
		}
		w, err := chains.NewWatcher(chains.WatcherConfig{
			Backend: b, Assets: g.assets, Update: storage.Runner[chains.Tx](g.store.Update),
			View: storage.Runner[chains.Tx](g.store.View), Sink: sink{g},
			SendConfirmations: cfg.Payouts.Confirmations[b.Network().ID], PollInterval: cfg.PollInterval, Now: g.now, Logger: g.log, OnCommit: g.wake,
			Current: g.current, Observer: g.observer(),
		})
		if err != nil {
			g.Close()
			return nil, err
		}
		if err := w.Reload(ctx); err != nil {
			g.Close()
			return nil, fmt.Errorf("kassa: load watched addresses of %s: %w", b.Network(), err)
		}
		g.watchers[b.Network()] = w
		g.backends[b.Network()] = b
	}
	if err := g.newWallets(cfg); err != nil {
		g.Close()
		return nil, err
	}
	// A watch-only keyring gets the service too: its creates fail with ErrWatchOnly.
	g.payouts, err = payout.New(payout.Config{Assets: g.assets, Keys: g.keys, CheckCustomer: g.customers.Resolve,
		CheckSubMerchant: g.sellers.CheckExists, Update: storage.Runner[payout.Tx](g.store.Update),
		View: storage.Runner[payout.Tx](g.store.View), Wallets: g.wallet, Rates: cfg.Rates, ApprovalUSD: cfg.Payouts.ApprovalUSD,
		WindowUSD: cfg.Payouts.WindowUSD, Window: cfg.Payouts.Window, FundsWait: cfg.Payouts.FundsWait, BumpAfter: cfg.Payouts.BumpAfter, ServiceFeePercent: cfg.Payouts.ServiceFeePercent, Notifier: cfg.Payouts.Notifier,
		Approver: cfg.Payouts.Approver, Follow: g.follow, FollowFor: cfg.Payouts.FollowFor, Now: g.now, Logger: g.log,
		Changed: func(ctx context.Context, tx payout.Tx, p *payout.Payout) error {
			return g.refunds.PayoutChanged(ctx, tx.(refund.Tx), p)
		}, FundsShort: fundsShort(cfg)})
	if err != nil {
		g.Close()
		return nil, err
	}
	g.refunds, err = refund.New(refund.Config{Assets: g.assets, Keys: g.keys, Payouts: g.payouts, Rates: cfg.Rates,
		Update: storage.Runner[refund.Tx](g.store.Update), View: storage.Runner[refund.Tx](g.store.View),
		ClaimTTL: cfg.RefundClaimTTL, Rebounds: cfg.Rebounds, Now: g.now, Logger: g.log})
	if err != nil {
		g.Close()
		return nil, err
	}
	g.accounts, err = wallet.New(wallet.Config{Assets: g.assets, Keys: g.keys, Payouts: g.payouts, Rates: cfg.Rates,
		Update: wallet.Runner(storage.Runner[wallet.Tx](g.store.Update)), View: wallet.Runner(storage.Runner[wallet.Tx](g.store.View)),
		Enabled: func(m asset.Mode) map[string]bool { return g.enabled[m] }, CheckCustomer: g.customers.Resolve,
		CheckSubMerchant: g.sellers.Check, Watch: g.Watch, Rescan: g.rescan, Now: g.now, Logger: g.log})
	if err != nil {
		g.Close()
		return nil, err
	}
	billingClock := g.now
	if cfg.Billing.Clock != nil {
		billingClock = cfg.Billing.Clock
	}
	g.billing, err = billing.New(billing.Config{Assets: g.assets, Invoices: g.invoices,
		Update: billing.Runner(storage.Runner[billing.Tx](g.store.Update)), View: billing.Runner(storage.Runner[billing.Tx](g.store.View)),
		CheckCustomer: g.customers.Resolve, CheckSubMerchant: g.sellers.Check, Retries: cfg.Billing.Retries,
		InvoiceLifetime: cfg.Billing.InvoiceLifetime, Now: billingClock, Logger: g.log})
	if err != nil {
		g.Close()
		return nil, err
	}
	if err := g.newTreasury(cfg); err != nil {
		g.Close()
		return nil, err
	}
	g.converts, err = conversion.New(conversion.Config{Assets: g.assets, Exchanger: exchangers(cfg.Exchanger, cfg.TestExchanger, g.rater, g.assets),
		Enabled:          func(m asset.Mode) map[string]bool { return g.enabled[m] },
		CheckSubMerchant: g.sellers.Check, Update: conversion.Runner(storage.Runner[conversion.Tx](g.store.Update)),
		View: conversion.Runner(storage.Runner[conversion.Tx](g.store.View)), Now: g.now, Logger: g.log})
	if err != nil {
		g.Close()
		return nil, err
	}
	if cfg.Payouts.Notifier == nil {
		for n := range g.wallets {
			if n.Mode == asset.Live {
				g.log.ErrorContext(ctx, "kassa: live payouts that need approval are refused: no PayoutOptions.Notifier sends their one-time codes",
					"approval_usd", cfg.Payouts.ApprovalUSD, "network", n)
				break
			}
		}
	}
	if g.leases, err = lease.New(lease.Runner(storage.Runner[lease.Tx](g.store.Update)), instanceName(cfg.Instance), cfg.LeaseTTL, g.log); err != nil {
		g.Close()
		return nil, err
	}
	for n := range g.watchers {
		g.leases.Add(watchLease(n))
	}
	g.leases.Add(leaseExpiry, leasePayouts, leasePurge, leaseFanout, leaseBilling, leaseConversions)
	if g.metrics != nil {
		if err := g.metrics.register(cfg.Metrics); err != nil {
			g.Close()
			return nil, fmt.Errorf("kassa: Metrics: %w", err)
		}
	}
	g.log.InfoContext(ctx, "kassa: gateway ready", "keys", g.keys, "chains", len(g.watchers), "instance", g.leases.Holder())
	return g, nil
}

// journal connects a backend that keeps its state in the database (a sim chain): it
// replays what is stored, and every later change is appended.
func (g *Gateway) journal(ctx context.Context, n chains.NetworkRef, j chains.Journaled) error {
	var stored [][]byte
	if err := g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		stored, err = tx.JournalEntries(ctx, n)
		return err
	}); err != nil {
		return fmt.Errorf("kassa: journal of %s: %w", n, err)
	}
	if len(stored) > 0 {
		g.log.InfoContext(ctx, "kassa: replaying the stored state of a test chain", "network", n, "entries", len(stored))
	}
	record := func(entry []byte) error {
		err := g.store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
			return tx.AppendJournal(ctx, n, entry)
		})
		if err != nil {
			g.log.Error("kassa: storing a change of a test chain failed; it is lost at the next restart", "network", n, "err", err)
		}
		return err
	}
	if err := j.Journal(stored, record); err != nil {
		return fmt.Errorf("kassa: %w", err)
	}
	return nil
}

// Close stops Run (if it runs) and waits for its jobs to return, then releases what
// New opened. It does not close a Store given in Config. Calling it again does
// nothing.
func (g *Gateway) Close() error {
	g.runMu.Lock()
	already := g.closed
	g.closed = true
	g.runMu.Unlock()
	if already {
		return nil
	}
	g.close()
	g.runs.Wait()
	if g.metrics != nil {
		g.metrics.unregister()
	}
	if g.ownsStore && g.store != nil {
		return g.store.Close()
	}
	return nil
}

// Invoices returns the invoice service: invoices, payments and checkout sessions.
func (g *Gateway) Invoices() *invoice.Service { return g.invoices }

// Webhooks returns the webhook service (endpoints, events, redelivery), or nil when
// the Gateway has no MasterKey.
func (g *Gateway) Webhooks() *webhook.Service { return g.webhooks }

// Customers returns the customer service (create, get, update, delete, list; Resolve
// checks a customer_id another object names).
func (g *Gateway) Customers() *customer.Service { return g.customers }

// SubMerchants returns the sub-merchant service (create, get, update, list; Check
// checks a sub_merchant_id another object names).
func (g *Gateway) SubMerchants() *submerchant.Service { return g.sellers }

// Billing returns the recurring billing service: products, pricing plans and
// subscriptions (package billing). Run bills the periods as they come.
func (g *Gateway) Billing() *billing.Service { return g.billing }

// Wallets returns the customer wallet service (create, get, lookup, list, aggregated
// balance, transactions, deposit checks, withdrawals).
func (g *Gateway) Wallets() *wallet.Service { return g.accounts }

// Keys returns the API key service (create, list, revoke, authenticate; request
// signatures and idempotency), or nil when the Gateway has no MasterKey.
func (g *Gateway) Keys() *apikey.Service { return g.apiKeys }

// Assets returns the Gateway's asset registry.
func (g *Gateway) Assets() *asset.Registry { return g.assets }

// Keyring returns the Gateway's keyring.
func (g *Gateway) Keyring() *keys.Keyring { return g.keys }

// VerifyLedger checks every invariant of the ledger (ledger.Verify): every entry
// balances, every balance equals the sum of its postings, no account that may not go
// negative is, and every open hold is held.
func (g *Gateway) VerifyLedger(ctx context.Context) error {
	return g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error { return ledger.Verify(ctx, tx) })
}

// Balance is the merchant's balance of one asset in one mode.
type Balance struct {
	Asset string
	// Available is confirmed money that can be paid out, less any Deficit: negative
	// when a reorg took back more than is left.
	Available decimal.Decimal
	Pending   decimal.Decimal // detected, awaiting confirmations
	Held      decimal.Decimal // reserved by payouts in flight
	// Deficit is what a reorg or a double-spend took back after it had been paid out
	// (zero or positive): payouts of the asset are refused until deposits cover it.
	Deficit decimal.Decimal
}

// Balance returns the merchant's balance of asset code in mode. An asset never used
// has a zero balance.
func (g *Gateway) Balance(ctx context.Context, m asset.Mode, code string) (Balance, error) {
	return g.SubBalance(ctx, m, "", code)
}

// SubBalance returns sub-merchant sub's balance of asset code in mode ("" the
// operator's own, as Balance).
func (g *Gateway) SubBalance(ctx context.Context, m asset.Mode, sub, code string) (Balance, error) {
	var v ValidationError
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	a, err := g.assets.Parse(code, "")
	if err != nil {
		v.Add("currency", err)
	}
	if err := v.Err(); err != nil {
		return Balance{}, err
	}
	var mb ledger.MerchantBalances
	err = g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		mb, err = ledger.Balances(ctx, tx, ledger.Owner{Sub: sub}, m, a.Code)
		return err
	})
	if err != nil {
		return Balance{}, err
	}
	return Balance{Asset: a.Code, Available: a.FromBaseUnits(new(big.Int).Add(mb.Available, mb.Deficit)),
		Pending: a.FromBaseUnits(mb.Pending), Held: a.FromBaseUnits(mb.Held), Deficit: a.FromBaseUnits(new(big.Int).Neg(mb.Deficit))}, nil
}

// noRates is the Rater of a Gateway configured without rates.
type noRates struct{}

func (noRates) Rate(ctx context.Context, base, quote string) (rates.Rate, error) {
	return rates.Rate{}, fmt.Errorf("%w: the Gateway has no rate source (Config.Rates)", rates.ErrNoRate)
}

// PaymentURI returns the URI a wallet opens to pay method m of inv with what is still
// due on it (invoice.PaymentURI), EVM URIs naming the chain id the network's backend
// verified with its node. It returns "" when none can be built.
func (g *Gateway) PaymentURI(inv *invoice.Invoice, m invoice.Method) string {
	return invoice.PaymentURI(g.assets, inv.Mode, m, g.chainIDs[chains.NetworkRef{ID: m.Network, Mode: inv.Mode}])
}

// Now is the Gateway's clock (Config.Now): expiries and hosted pages count with it.
func (g *Gateway) Now() time.Time { return g.now() }
