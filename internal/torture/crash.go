package torture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/treasury"
	"github.com/shopspring/decimal"
)

// CrashConfig sizes the crash campaign.
type CrashConfig struct {
	Kills     int           // SIGKILLs (each followed by a check and a restart)
	Clients   int           // concurrent API clients
	MaxUptime time.Duration // the server is killed after a random uptime up to this
	Race      bool          // build the server with the race detector
	Seed      uint64
	// Instances is how many servers share the database (default 1). With more than
	// one, DatabaseURL names the PostgreSQL server they share (a fresh database is
	// made on it), each kill takes down one random instance while the others go on,
	// and the clients spread their requests over the instances that answer.
	Instances   int
	DatabaseURL string
}

// crashStats counts what the clients did.
type crashStats struct {
	invoices, payments, payouts, refunds, refused, unknown atomic.Int64
	walletDeposits, withdrawals                            atomic.Int64
	subscriptions, renewalPayments                         atomic.Int64
	retries, heldKeys, staleKeys                           atomic.Int64
}

// what a client may buy, and pay out.
var crashAssets = []struct {
	code, currency, network string
	price, payout           string
}{
	{"BTC", "BTC", "bitcoin", "0.01", "0.002"},
	{"ETH", "ETH", "ethereum", "0.05", "0.006"}, // payouts at least the assets' minimums
	{"USDT_ETHEREUM", "USDT", "ethereum", "100", "21"},
}

// Crash runs the crash campaign: the standalone server on SQLite against btcd and the
// EVM node (sweeping EVM deposits to its hot wallet), concurrent clients creating
// invoices, paying them and asking for payouts and for refunds of what they paid,
// and the server killed with SIGKILL cfg.Kills times at random moments. After every
// kill the database is checked before the restart; at the end, once everything is
// mined, the final invariants are checked. It returns the summary line.
func Crash(ctx context.Context, dir string, cfg CrashConfig, log *slog.Logger) (string, error) {
	began := time.Now()
	tb := newTB(dir)
	defer tb.close()
	log.Info("crash: starting btcd and the EVM node")
	n, err := startNodes(tb)
	if err != nil {
		return "", err
	}
	db, err := newTarget(ctx, dir, cfg.DatabaseURL)
	if err != nil {
		return "", err
	}
	defer db.drop()
	instances := max(cfg.Instances, 1)
	log.Info("crash: building the server", "race", cfg.Race, "instances", instances, "database", db.name())
	fl, key, err := launchFleet(ctx, dir, db.env(n.serverEnv()), cfg.Race, instances)
	if err != nil {
		return "", err
	}
	defer fl.kill()
	f := newFacts()
	rcv, err := startReceiver(f, log)
	if err != nil {
		return "", err
	}
	defer rcv.close()
	api := fl.client(key)
	if err := rcv.register(ctx, api.first()); err != nil {
		return "", err
	}
	// One daily plan priced in USDT: customers subscribe, collected from their
	// wallets or invoiced; billing's clock makes a day 6 s (billingSpeed).
	var prod struct {
		Plans []struct {
			ID string `json:"id"`
		} `json:"pricing_plans"`
	}
	if err := api.first().do(ctx, "POST", "/v1/products", map[string]any{"name": "Crash club", "pricing_plans": []any{
		map[string]any{"amount": subscriptionPrice, "currency": "USDT_ETHEREUM", "interval": "day"}}}, "", &prod); err != nil || len(prod.Plans) != 1 {
		return "", fmt.Errorf("create the product: %v (%+v)", err, prod)
	}

	// Blocks keep coming on both chains, as they do, whether the server is up or not.
	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	var failed atomic.Value
	fail := func(err error) {
		if failed.CompareAndSwap(nil, err) {
			stopAll()
		}
	}
	var bg sync.WaitGroup
	bg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if err := n.mine(); err != nil {
					fail(fmt.Errorf("mining: %w", err))
					return
				}
			}
		}
	})

	var st crashStats
	clientCtx, stopClients := context.WithCancel(runCtx)
	var clients sync.WaitGroup
	for i := range cfg.Clients {
		clients.Go(func() {
			c := &crashClient{id: i, api: api, n: n, f: f, st: &st, log: log, plan: prod.Plans[0].ID,
				rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))}
			if err := c.run(clientCtx); err != nil && clientCtx.Err() == nil {
				fail(fmt.Errorf("client %d: %w", i, err))
			}
		})
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, 1<<32))
	checks := 0
	var failovers []time.Duration
	topUpKills := 0
	for k := 1; k <= cfg.Kills && runCtx.Err() == nil; k++ {
		up := time.Duration(rng.Int64N(int64(cfg.MaxUptime-cfg.MaxUptime/10))) + cfg.MaxUptime/10
		// Every third kill aims between a token sweep's gas top-up and its token
		// transfer, when one is under way within the uptime; the others come at random.
		aimed := false
		if k%3 == 0 {
			began := time.Now()
			select { // up a while first: the sweep found is one the running server works on
			case <-runCtx.Done():
			case <-time.After(up / 3):
			}
			if aimed, err = waitTopUp(runCtx, db, up-up/3); err != nil && runCtx.Err() == nil {
				fail(err)
				break
			}
			up = time.Since(began)
		} else {
			select {
			case <-runCtx.Done():
			case <-time.After(up):
			}
		}
		if runCtx.Err() != nil {
			break
		}
		victim := rng.IntN(len(fl.servers))
		var held map[string]string // the victim's leases, on a shared database
		if lr, ok := db.(leaseReader); ok && instances > 1 {
			if aimed { // the instance running the payout job, which sweeps
				all, err := lr.leases(ctx)
				if err != nil {
					fail(err)
					break
				}
				for i := range instances {
					if strings.HasPrefix(all["payouts"], "instance-"+strconv.Itoa(i)+"-") {
						victim = i
					}
				}
			} else if k%2 == 0 { // every other kill takes the instance running the most jobs
				if victim, err = busiest(ctx, lr, instances); err != nil {
					fail(err)
					break
				}
			}
			if held, err = victimLeases(ctx, lr, victim); err != nil {
				fail(err)
				break
			}
		}
		fl.servers[victim].kill()
		killed := time.Now()
		type failover struct {
			d   time.Duration
			err error
		}
		var over chan failover
		if len(held) > 0 { // measured beside the check, from the kill on
			over = make(chan failover, 1)
			go func() {
				d, err := takeover(ctx, db.(leaseReader), held, killed)
				over <- failover{d, err}
			}()
		}
		rep, err := checkView(ctx, db, f, n, false)
		checks++
		if err != nil {
			fail(fmt.Errorf("after kill %d (instance %d): %w", k, victim, err))
			break
		}
		if aimed {
			topUpKills++
		}
		log.Info("crash: killed and checked", "kill", k, "of", cfg.Kills, "instance", victim, "uptime", up.Round(time.Millisecond), "between_top_up_and_token_sweep", aimed,
			"invoices", rep.Invoices, "transfers", rep.Transfers, "payouts", rep.Payouts)
		if over != nil {
			// Before the victim comes back: how long until the others run its jobs.
			r := <-over
			if r.err != nil {
				fail(fmt.Errorf("after kill %d (instance %d): %w", k, victim, r.err))
				break
			}
			failovers = append(failovers, r.d)
			log.Info("crash: the other instances took the victim's jobs over and processed a block", "jobs", len(held), "after", r.d.Round(time.Millisecond))
		}
		if err := fl.servers[victim].start(ctx); err != nil {
			fail(fmt.Errorf("restart %d (instance %d): %w", k, victim, err))
			break
		}
	}
	stopClients()
	clients.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return "", err
	}

	// Settle: blocks keep coming until every payment is confirmed, every payout
	// settled and every event delivered, or the deadline passes.
	log.Info("crash: settling (mining until every invariant holds)")
	deadline := time.Now().Add(3 * time.Minute)
	var rep report
	for {
		rep, err = checkView(ctx, db, f, n, true)
		if err == nil || time.Now().After(deadline) || runCtx.Err() != nil {
			break
		}
		select {
		case <-runCtx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	if err != nil {
		return "", fmt.Errorf("after settling: %w", err)
	}
	f.settled(rep.MaxSeq)
	if st.subscriptions.Load() > 0 && rep.Renewals == 0 {
		return "", fmt.Errorf("%d subscriptions and no renewal paid: the campaign did not try renewals", st.subscriptions.Load())
	}
	stopAll()
	bg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return "", err
	}
	if err := fl.stop(); err != nil {
		return "", fmt.Errorf("graceful stop: %w", err)
	}
	if rep, err = checkView(ctx, db, f, n, true); err != nil {
		return "", fmt.Errorf("after the last stop: %w", err)
	}
	checks++
	if err := scanLogs(dir); err != nil {
		return "", err
	}
	if b := rcv.bad.Load(); b > 0 {
		return "", fmt.Errorf("the receiver refused %d deliveries (bad signature or body)", b)
	}
	where := "SQLite"
	if instances > 1 || cfg.DatabaseURL != "" {
		where = fmt.Sprintf("%d instances on PostgreSQL", instances)
	}
	if len(failovers) > 0 {
		slices.Sort(failovers)
		where += fmt.Sprintf("; a killed instance's jobs taken over and a block processed by another in %s (median) to %s (max) after %d of the kills",
			failovers[len(failovers)/2].Round(time.Millisecond), failovers[len(failovers)-1].Round(time.Millisecond), len(failovers))
	}
	return fmt.Sprintf("crash (%s): %d SIGKILLs, %d clients; %d invoices, %d payments, %d payouts and %d refunds asked; %d deposits to %d customer wallets and %d withdrawals asked (%d payouts completed, %d of them withdrawals, %d refunds stored, %d refused for funds, %d unknown after a kill); %d deposits swept to the hot wallet (%d kills aimed while a token sweep was between its top-up and its transfer); %d subscriptions (%d renewals paid, %d periods from wallets, %d period invoices paid by the clients); %d events delivered (%d deliveries); %d retries, %d keys held by a killed request (%d recovered by hand); invariants held at %d checks; %s",
		where, cfg.Kills, cfg.Clients, st.invoices.Load(), st.payments.Load(), st.payouts.Load(), st.refunds.Load(),
		st.walletDeposits.Load(), rep.Wallets, st.withdrawals.Load(), rep.Completed, rep.Withdrawals, rep.Refunds, st.refused.Load(), st.unknown.Load(), rep.Sweeps, topUpKills,
		rep.Subscriptions, rep.Renewals, rep.FromWallets, st.renewalPayments.Load(), rep.Events, rcv.accepted.Load(), st.retries.Load(), st.heldKeys.Load(), st.staleKeys.Load(), checks, time.Since(began).Round(time.Second)), nil
}

// scanLogs fails on a panic or a data race in any server log.
func scanLogs(dir string) error {
	logs, _ := filepath.Glob(filepath.Join(dir, "server-*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		s := string(b)
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
			if strings.Contains(s, bad) {
				return fmt.Errorf("%s in %s", strings.TrimSuffix(bad, ":"), l)
			}
		}
	}
	return nil
}

// crashClient is one shop: it creates invoices and pays them, asks for payouts, and
// refunds some of what it was paid.
type crashClient struct {
	id  int
	api caller
	n   *nodes
	f   *facts
	st  *crashStats
	log *slog.Logger
	rng *rand.Rand
	seq int
	// paid are the invoices this client paid (in full), which it may refund.
	paid []paidInvoice
	// wallets are its customer's wallets, by asset code.
	wallets map[string]string
	// plan is the daily plan; sub its customer's subscription to it, once made;
	// renewalsPaid the subscription's invoices it paid.
	plan, sub    string
	renewalsPaid map[string]bool
}

// subscriptionPrice is the daily plan's price, in USDT.
const subscriptionPrice = "5"

// paidInvoice is an invoice a client paid.
type paidInvoice struct{ id, code string }

func (c *crashClient) run(ctx context.Context) error {
	for ctx.Err() == nil {
		c.seq++
		var err error
		switch r := c.rng.IntN(26); {
		case r < 12:
			err = c.buy(ctx)
		case r < 17 || r < 20 && len(c.paid) == 0:
			err = c.payout(ctx)
		case r < 20:
			err = c.refund(ctx)
		case r < 22 || len(c.wallets) == 0:
			err = c.deposit(ctx)
		case r < 24:
			err = c.withdraw(ctx)
		default:
			err = c.subscription(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// call retries a request until it has an answer: with the same Idempotency-Key while
// the server is down, and with a new one when the key stays held by a request the
// kill interrupted (then dedup, if any, is the caller's: order_id, a payout's ref).
func (c *crashClient) call(ctx context.Context, method, path string, body any, idem string, out any, newKey func() string) error {
	wait := 20 * time.Millisecond
	held := 0
	for {
		err := c.api.do(ctx, method, path, body, idem, out)
		if err == nil || !retryable(err) {
			return err
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == "idempotency_in_progress" {
			if held == 0 {
				c.st.heldKeys.Add(1)
			}
			// Held by a request a kill interrupted: after the lease (2 s here) the
			// server runs the retry. If it still says held, the client recovers.
			if held++; held == 30 && newKey != nil {
				c.st.staleKeys.Add(1)
				idem = newKey()
				if idem == "" {
					return err
				}
			}
		}
		c.st.retries.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait): // backoff while the server restarts
		}
		wait = min(wait*2, 300*time.Millisecond)
	}
}

func (c *crashClient) buy(ctx context.Context) error {
	a := crashAssets[c.rng.IntN(len(crashAssets))]
	payments := 1
	if c.rng.IntN(5) == 0 {
		payments = 2 // partially paid, then paid
	}
	if a.code == "BTC" && !c.n.canPayBTC(payments) {
		a = crashAssets[1]
	}
	order := fmt.Sprintf("c%d-o%d", c.id, c.seq)
	// Every invoice carries the client's reference in its metadata (the checker
	// counts invoices per reference). Two thirds have it as order_id too; the rest
	// rely on the Idempotency-Key alone: its key is never replaced, since only the
	// server's request key tells a retry from a new invoice.
	body := map[string]any{"amount": a.price, "currency": a.code, "lifetime": 3600, "metadata": map[string]string{"ref": order}}
	keys := 0
	newKey := func() string { keys++; return fmt.Sprintf("%s-%d", order, keys) }
	if c.rng.IntN(3) == 0 {
		newKey = nil
	} else {
		body["order_id"] = order
	}
	var inv invoiceAnswer
	if err := c.call(ctx, "POST", "/v1/invoices", body, order, &inv, newKey); err != nil {
		return fmt.Errorf("create invoice %s: %w", order, err)
	}
	c.st.invoices.Add(1)
	if len(inv.Methods) != 1 || inv.Methods[0].Code != a.code {
		return fmt.Errorf("invoice %s: methods %+v, want one %s", inv.ID, inv.Methods, a.code)
	}
	m := inv.Methods[0]
	as, err := registry.Get(a.code)
	if err != nil {
		return err
	}
	due, err := as.ToBaseUnits(m.AmountDue)
	if err != nil {
		return err
	}
	parts := []*big.Int{due}
	if payments == 2 {
		half := new(big.Int).Div(due, big.NewInt(2))
		parts = []*big.Int{half, new(big.Int).Sub(due, half)}
	}
	for _, units := range parts {
		txid, err := c.n.pay(a.code, m.Address, units)
		if err != nil {
			return err
		}
		c.f.addDeposit(&deposit{Asset: a.code, Invoice: inv.ID, Address: m.Address, TxID: txid, Units: units})
		c.st.payments.Add(1)
	}
	c.paid = append(c.paid, paidInvoice{inv.ID, a.code})
	return nil
}

// refund asks for a refund of part of an invoice the client paid, to a new address of
// the payer's. Refused when the payment is not confirmed yet, when earlier refunds
// took what there was, or when the balance went to payouts.
func (c *crashClient) refund(ctx context.Context) error {
	p := c.paid[c.rng.IntN(len(c.paid))]
	var a = crashAssets[0]
	for _, x := range crashAssets {
		if x.code == p.code {
			a = x
		}
	}
	ref := fmt.Sprintf("c%d-r%d", c.id, c.seq)
	dest := newDestination(a.code)
	c.f.addRefund(&refundReq{Ref: ref, Invoice: p.id, Asset: a.code, Destination: dest})
	c.st.refunds.Add(1)
	body := map[string]any{"invoice_id": p.id, "amount": a.payout, "destination_address": dest, "reason": "requested_by_customer",
		"metadata": map[string]string{"ref": ref}}
	var r refundAnswer
	adopted := ""
	newKey := c.rekey(ref, func() string { return c.findRefund(ctx, ref) }, func(id string) { adopted = id; c.f.answeredRefund(ref, id) })
	err := c.call(ctx, "POST", "/v1/refunds", body, ref, &r, newKey)
	var ae *apiError
	switch {
	case err == nil:
		c.f.answeredRefund(ref, r.ID)
		if r.Destination == nil || *r.Destination != dest || r.InvoiceID != p.id {
			return fmt.Errorf("refund %s: %+v, asked %s of %s", r.ID, r, dest, p.id)
		}
	case adopted != "":
	case errors.As(err, &ae) && ae.Status == 422 && (ae.Code == "refund_exceeds_payment" || ae.Code == "insufficient_funds" ||
		ae.Code == "amount_too_small" || ae.Code == "validation_error"):
		c.st.refused.Add(1)
		c.log.Debug("crash: refund refused", "invoice", p.id, "code", ae.Code, "message", ae.Message)
	default:
		return fmt.Errorf("refund %s: %w", ref, err)
	}
	return nil
}

// findRefund looks for the refund with ref in its metadata.
func (c *crashClient) findRefund(ctx context.Context, ref string) string {
	return findByRef(ctx, c.api, "/v1/refunds", ref, func(r refundAnswer) (string, []byte) { return r.ID, r.Metadata })
}

// rekey is a request's newKey for call: the key is held by a request a kill
// interrupted. If that request made the object, find finds it by the request's ref:
// adopt is told of it and no new key is made. Otherwise it never happened, and a new
// key asks again.
func (c *crashClient) rekey(ref string, find func() string, adopt func(id string)) func() string {
	keys := 0
	return func() string {
		if id := find(); id != "" {
			adopt(id)
			c.st.unknown.Add(1)
			return ""
		}
		keys++
		return fmt.Sprintf("%s-%d", ref, keys)
	}
}

// findByRef pages through the list at path for the object with ref in its metadata
// and returns its id ("" if none).
func findByRef[T any](ctx context.Context, api caller, path, ref string, fields func(T) (id string, metadata []byte)) string {
	for page := 1; ; page++ {
		var list []T
		if err := api.do(ctx, "GET", fmt.Sprintf("%s?page=%d&limit=100", path, page), nil, "", &list); err != nil {
			return ""
		}
		for _, x := range list {
			if id, md := fields(x); metadataRef(md) == ref {
				return id
			}
		}
		if len(list) < 100 {
			return ""
		}
	}
}

func (c *crashClient) payout(ctx context.Context) error {
	a := crashAssets[c.rng.IntN(len(crashAssets))]
	ref := fmt.Sprintf("c%d-p%d", c.id, c.seq)
	dest := newDestination(a.code)
	c.f.addPayout(&payoutReq{Ref: ref, Asset: a.code, Destination: dest})
	c.st.payouts.Add(1)
	body := map[string]any{"amount": a.payout, "currency": a.currency, "network": a.network,
		"destination_address": dest, "metadata": map[string]string{"ref": ref}}
	var p payoutAnswer
	adopted := ""
	newKey := c.rekey(ref, func() string { return c.findPayout(ctx, ref) }, func(id string) { adopted = id; c.f.answered(ref, id) })
	err := c.call(ctx, "POST", "/v1/payouts", body, ref, &p, newKey)
	var ae *apiError
	switch {
	case err == nil:
		c.f.answered(ref, p.ID)
		if p.Destination != dest {
			return fmt.Errorf("payout %s: destination %s, asked %s", p.ID, p.Destination, dest)
		}
	case adopted != "":
	case errors.As(err, &ae) && ae.Status == 422 && (ae.Code == "insufficient_funds" || ae.Code == "amount_too_small"):
		c.st.refused.Add(1)
		c.log.Debug("crash: payout refused", "asset", a.code, "code", ae.Code, "message", ae.Message)
	default:
		return fmt.Errorf("payout %s: %w", ref, err)
	}
	return nil
}

// deposit pays into the client's customer's wallet of a random asset, made (or found:
// one per customer and asset, so a retry after a kill answers the same wallet) first.
func (c *crashClient) deposit(ctx context.Context) error {
	a := crashAssets[c.rng.IntN(len(crashAssets))]
	if a.code == "BTC" && !c.n.canPayBTC(1) {
		a = crashAssets[1]
	}
	customer := fmt.Sprintf("crash-customer-%d", c.id)
	var w struct {
		ID      string `json:"wallet_id"`
		Address string `json:"deposit_address"`
		Asset   string `json:"asset"`
	}
	body := map[string]any{"customer_id": customer, "currency": a.currency, "network": a.network}
	if err := c.call(ctx, "POST", "/v1/wallets", body, fmt.Sprintf("c%d-w%d", c.id, c.seq), &w, func() string {
		return fmt.Sprintf("c%d-w%d-%d", c.id, c.seq, c.rng.Int())
	}); err != nil {
		return fmt.Errorf("wallet of %s in %s: %w", customer, a.code, err)
	}
	if w.Asset != a.code || w.Address == "" {
		return fmt.Errorf("wallet %s: %+v, asked %s", w.ID, w, a.code)
	}
	if prev, ok := c.wallets[a.code]; ok && prev != w.ID {
		return fmt.Errorf("the customer's %s wallet was %s, now %s: one per customer and asset", a.code, prev, w.ID)
	}
	if c.wallets == nil {
		c.wallets = map[string]string{}
	}
	c.wallets[a.code] = w.ID
	as, err := registry.Get(a.code)
	if err != nil {
		return err
	}
	units, err := as.ToBaseUnits(decimal.RequireFromString(a.price))
	if err != nil {
		return err
	}
	txid, err := c.n.pay(a.code, w.Address, units)
	if err != nil {
		return err
	}
	c.f.addDeposit(&deposit{Asset: a.code, Wallet: w.ID, Address: w.Address, TxID: txid, Units: units})
	c.st.walletDeposits.Add(1)
	return nil
}

// subscriptionAnswer is what the client reads of its subscription.
type subscriptionAnswer struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	CurrentPeriodPaid bool   `json:"current_period_paid"`
	LatestInvoiceID   string `json:"latest_invoice_id"`
}

// subscription subscribes the client's customer to the daily plan, once (even-numbered
// clients from their USDT wallet, the others by invoice), and afterwards pays the
// invoice of its open period, if any, on the chain.
func (c *crashClient) subscription(ctx context.Context) error {
	if c.sub == "" {
		collection := "invoice"
		if c.id%2 == 0 {
			collection = "wallet"
		}
		var s subscriptionAnswer
		body := map[string]any{"customer_id": fmt.Sprintf("crash-customer-%d", c.id), "plan_id": c.plan, "collection": collection}
		if err := c.call(ctx, "POST", "/v1/subscriptions", body, fmt.Sprintf("c%d-subscribe", c.id), &s, nil); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		c.sub, c.renewalsPaid = s.ID, map[string]bool{}
		c.st.subscriptions.Add(1)
		return nil
	}
	var s subscriptionAnswer
	if err := c.call(ctx, "GET", "/v1/subscriptions/"+c.sub, nil, "", &s, nil); err != nil {
		return fmt.Errorf("subscription %s: %w", c.sub, err)
	}
	if s.Status == "cancelled" || s.Status == "expired" || s.CurrentPeriodPaid || s.LatestInvoiceID == "" || c.renewalsPaid[s.LatestInvoiceID] {
		return nil
	}
	var inv invoiceAnswer
	if err := c.call(ctx, "GET", "/v1/invoices/"+s.LatestInvoiceID, nil, "", &inv, nil); err != nil {
		return fmt.Errorf("invoice %s of %s: %w", s.LatestInvoiceID, c.sub, err)
	}
	if inv.Status != "pending" || len(inv.Methods) != 1 || inv.Methods[0].Code != "USDT_ETHEREUM" {
		return nil
	}
	units, err := unitsOf("USDT_ETHEREUM", inv.Methods[0].AmountDue)
	if err != nil {
		return err
	}
	txid, err := c.n.pay("USDT_ETHEREUM", inv.Methods[0].Address, units)
	if err != nil {
		return err
	}
	c.f.addDeposit(&deposit{Asset: "USDT_ETHEREUM", Invoice: inv.ID, Address: inv.Methods[0].Address, TxID: txid, Units: units})
	c.renewalsPaid[inv.ID] = true
	c.st.renewalPayments.Add(1)
	return nil
}

// withdraw withdraws from one of the client's wallets to a new address: a payout
// from the wallet's balance, refused while its deposits are unconfirmed or spent.
func (c *crashClient) withdraw(ctx context.Context) error {
	codes := make([]string, 0, len(c.wallets))
	for code := range c.wallets {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	code := codes[c.rng.IntN(len(codes))]
	a := crashAssets[0]
	for _, x := range crashAssets {
		if x.code == code {
			a = x
		}
	}
	id := c.wallets[code]
	ref := fmt.Sprintf("c%d-x%d", c.id, c.seq)
	dest := newDestination(code)
	c.f.addPayout(&payoutReq{Ref: ref, Asset: code, Destination: dest, Wallet: id})
	c.st.withdrawals.Add(1)
	body := map[string]any{"amount": a.payout, "recipient_address": dest, "metadata": map[string]string{"ref": ref}}
	var p payoutAnswer
	adopted := ""
	newKey := c.rekey(ref, func() string { return c.findPayout(ctx, ref) }, func(id string) { adopted = id; c.f.answered(ref, id) })
	err := c.call(ctx, "POST", "/v1/wallets/"+id+"/withdraw", body, ref, &p, newKey)
	var ae *apiError
	switch {
	case err == nil:
		c.f.answered(ref, p.ID)
		if p.Destination != dest {
			return fmt.Errorf("withdrawal %s: destination %s, asked %s", p.ID, p.Destination, dest)
		}
	case adopted != "":
	case errors.As(err, &ae) && ae.Status == 422 && (ae.Code == "insufficient_funds" || ae.Code == "amount_too_small"):
		c.st.refused.Add(1)
		c.log.Debug("crash: withdrawal refused", "wallet", id, "code", ae.Code, "message", ae.Message)
	default:
		return fmt.Errorf("withdrawal %s: %w", ref, err)
	}
	return nil
}

// findPayout looks for the payout with ref in its metadata.
func (c *crashClient) findPayout(ctx context.Context, ref string) string {
	type listed struct {
		ID       string          `json:"payout_id"`
		Metadata json.RawMessage `json:"metadata"`
	}
	return findByRef(ctx, c.api, "/v1/payouts", ref, func(p listed) (string, []byte) { return p.ID, p.Metadata })
}

// checkView checks the database against the facts and a fresh view of the chains.
func checkView(ctx context.Context, db target, f *facts, n *nodes, final bool) (report, error) {
	chain, err := n.view()
	if err != nil {
		return report{}, err
	}
	st, err := db.open(ctx)
	if err != nil {
		return report{}, fmt.Errorf("open after crash: %w", err)
	}
	defer st.Close()
	return checkIn(ctx, st, f, chain, final)
}

// waitTopUp waits up to d for a token sweep that has sent its gas top-up and not yet
// its tokens (treasury.SweepToppingUp), and reports whether one came.
func waitTopUp(ctx context.Context, db target, d time.Duration) (bool, error) {
	st, err := db.open(ctx)
	if err != nil {
		return false, err
	}
	defer st.Close()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		found := false
		if err := st.View(ctx, func(ctx context.Context, tx storage.Tx) error {
			sw, err := tx.ListSweeps(ctx, asset.Test, 50)
			for _, x := range sw {
				found = found || x.Status == treasury.SweepToppingUp
			}
			return err
		}); err != nil {
			return false, err
		}
		if found {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false, nil
}

// leaseReader reads the leases of a shared database (pgTarget).
type leaseReader interface {
	leases(ctx context.Context) (map[string]string, error)
	cursors(ctx context.Context) (map[string]uint64, error)
}

// victimLeases returns the leases instance i holds, name to holder (its holder names
// start with its KASSA_INSTANCE, instance-i).
func victimLeases(ctx context.Context, lr leaseReader, i int) (map[string]string, error) {
	all, err := lr.leases(ctx)
	if err != nil {
		return nil, err
	}
	mine := map[string]string{}
	prefix := "instance-" + strconv.Itoa(i) + "-"
	for name, holder := range all {
		if strings.HasPrefix(holder, prefix) {
			mine[name] = holder
		}
	}
	return mine, nil
}

// busiest returns the instance that holds the most leases.
func busiest(ctx context.Context, lr leaseReader, instances int) (int, error) {
	best, most := 0, -1
	for i := range instances {
		held, err := victimLeases(ctx, lr, i)
		if err != nil {
			return 0, err
		}
		if len(held) > most {
			best, most = i, len(held)
		}
	}
	return best, nil
}

// takeover waits until every lease of held is held by another holder and every
// watcher among them has processed a block past where the killed one left it (blocks
// come every 250 ms in the campaign), and returns how long after killed that was.
// The bound is generous: a lease expires within its TTL (3 s) and is taken at the
// next renewal round (1 s).
func takeover(ctx context.Context, lr leaseReader, held map[string]string, killed time.Time) (time.Duration, error) {
	deadline := killed.Add(30 * time.Second)
	start, err := lr.cursors(ctx)
	if err != nil {
		return 0, err
	}
	for {
		now, err := lr.leases(ctx)
		if err != nil {
			return 0, err
		}
		cur, err := lr.cursors(ctx)
		if err != nil {
			return 0, err
		}
		done := true
		for name, old := range held {
			if h, ok := now[name]; !ok || h == old {
				done = false
			}
			if strings.HasPrefix(name, "watch:") && cur[name] <= start[name] {
				done = false
			}
		}
		if done {
			return time.Since(killed), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the killed instance's jobs %v were not taken over within 30 s", held)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}
