package kassa_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
)

// fleet is several Gateways running on one PostgreSQL database and the same sim
// chains, as instances of one application behind a load balancer would.
type fleet struct {
	t      *testing.T
	url    string
	chains []chains.Backend
	gs     []*kassa.Gateway
	stops  []context.CancelFunc
	events chan kassa.Event
}

func newFleet(t *testing.T, n int, backends ...chains.Backend) *fleet {
	f := &fleet{t: t, url: pgtest.URL(t), chains: backends, events: make(chan kassa.Event, 1<<16)}
	for i := range n {
		f.start(i)
	}
	return f
}

// start starts instance i: its own store (pool), its own Gateway, Run in the
// background, and a subscriber (whose deliveries only wake until).
func (f *fleet) start(i int) {
	t := f.t
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := postgres.Open(t.Context(), f.url, postgres.Options{MaxConns: 6, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	big := kassatest.Dec("100000000")
	g, _ := kassatest.Gateway(t, kassa.Config{Store: store, Chains: f.chains, Instance: fmt.Sprintf("g%d", i),
		LeaseTTL: 600 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		Payouts: kassa.PayoutOptions{ApprovalUSD: big, WindowUSD: big}})
	if err := g.Subscribe("test", func(_ context.Context, e kassa.Event) error {
		f.events <- e
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("instance %d: Run: %v", i, err)
		}
	})
	t.Cleanup(stop)
	f.gs = append(f.gs, g)
	f.stops = append(f.stops, stop)
}

// holder returns the instance that holds lease name ("" if none).
func (f *fleet) holder(name string) string {
	f.t.Helper()
	conn, err := pgx.Connect(f.t.Context(), f.url)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var h string
	err = conn.QueryRow(f.t.Context(), `SELECT holder FROM leases WHERE name = $1 AND expires_at > now()`, name).Scan(&h)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		f.t.Fatal(err)
	}
	return h
}

// until mines a block on every chain, waits for an event or a short while, and
// repeats until done says so (or the test's bound passes).
func (f *fleet) until(what string, done func() bool, mine ...*sim.Chain) {
	f.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a bound on a broken build, not a wait for time
	for !done() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not reached in 2 minutes", what)
		}
		for _, c := range mine {
			c.Mine(1)
		}
		select {
		case <-f.events: // something happened: look again
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestInstances_ThreeGatewaysOnOnePostgresCreditAndPayOnce runs three Gateways on one
// PostgreSQL database and the same chains, with many goroutines creating and paying
// invoices and asking for payouts through random instances (retries of one order or
// one payout request through two instances at once), and stops the instance that
// watches Bitcoin halfway: another takes the watcher over, every invoice is paid
// once, every payout is created and sent once, the ledger balances, the balance is
// exact, and no event is in the outbox twice.
func TestInstances_ThreeGatewaysOnOnePostgresCreditAndPayOnce(t *testing.T) {
	btc := kassatest.SimChain(asset.Bitcoin, asset.Test)
	f := newFleet(t, 3, btc)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	ctx := t.Context()
	reg := asset.Default()
	a, err := reg.Get("BTC")
	if err != nil {
		t.Fatal(err)
	}

	const workers, perWorker = 6, 20
	var (
		mu      sync.Mutex
		invs    = map[string]*invoice.Invoice{}
		paidSum = new(big.Int)
		wg      sync.WaitGroup
		errs    = make(chan error, workers*perWorker*2)
	)
	alive := func() []*kassa.Gateway { mu.Lock(); defer mu.Unlock(); return append([]*kassa.Gateway(nil), f.gs...) }
	for w := range workers {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for i := range perWorker {
				gs := alive()
				order := fmt.Sprintf("order-%d-%d", w, i)
				p := invoice.CreateParams{Amount: kassatest.Dec(fmt.Sprintf("0.00%d1", 1+rng.IntN(9))), Currency: "BTC", OrderID: order}
				var first, second *invoice.Invoice
				var err1, err2 error
				if i%3 == 0 { // the same order through two instances at once
					var two sync.WaitGroup
					g1, g2 := gs[rng.IntN(len(gs))], gs[rng.IntN(len(gs))]
					two.Go(func() { first, err1 = g1.Invoices().Create(ctx, asset.Test, p) })
					two.Go(func() { second, err2 = g2.Invoices().Create(ctx, asset.Test, p) })
					two.Wait()
				} else {
					first, err1 = gs[rng.IntN(len(gs))].Invoices().Create(ctx, asset.Test, p)
					second = first
				}
				if err := errors.Join(err1, err2); err != nil {
					errs <- fmt.Errorf("%s: %w", order, err)
					return
				}
				if first.ID != second.ID {
					errs <- fmt.Errorf("%s made two invoices: %s and %s", order, first.ID, second.ID)
					return
				}
				m := first.Methods[0]
				units, err := a.ToBaseUnits(m.AmountDue)
				if err != nil {
					errs <- err
					return
				}
				btc.Pay(m.Address, "BTC", units)
				mu.Lock()
				invs[first.ID] = first
				paidSum.Add(paidSum, units)
				mu.Unlock()
			}
		})
	}

	// Halfway, the instance that watches Bitcoin stops (as a process would die: it
	// no longer renews its leases; its rows expire).
	lease := "watch:bitcoin:test"
	f.until("a watcher lease is held", func() bool { return f.holder(lease) != "" })
	f.until("half the invoices are created", func() bool {
		select {
		case err := <-errs: // a worker stopped: say why rather than wait out the bound
			t.Fatal(err)
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		return len(invs) >= workers*perWorker/2
	}, btc)
	holder := f.holder(lease)
	victim := -1
	for i := range f.gs {
		if strings.HasPrefix(holder, fmt.Sprintf("g%d-", i)) {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("lease %s held by %q, none of the instances", lease, holder)
	}
	f.stops[victim]()
	mu.Lock()
	f.gs = append(f.gs[:victim:victim], f.gs[victim+1:]...)
	mu.Unlock()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	g := f.gs[0]
	paid := func() bool {
		for id := range invs {
			inv, err := g.Invoices().Get(ctx, asset.Test, id)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != invoice.StatusPaid {
				return false
			}
			delete(invs, id) // paid stays paid: no need to read it again
		}
		return true
	}
	total := len(invs)
	f.until("every invoice is paid", paid, btc)
	if h := f.holder(lease); h == holder || h == "" {
		t.Fatalf("the watcher lease is held by %q after its holder %q stopped", h, holder)
	}
	want := a.FromBaseUnits(paidSum)
	if b, err := g.Balance(ctx, asset.Test, "BTC"); err != nil || !b.Available.Equal(want) {
		t.Fatalf("balance %+v (%v); %d invoices paid %s", b, err, total, want)
	}

	// Payouts: each request key through two instances at once makes one payout.
	recipients, err := keys.FromMnemonic(kassatest.RecipientMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	net, err := reg.Network(asset.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	const payouts = 24
	dests := map[string]bool{}
	ids := make([]string, payouts)
	var pwg sync.WaitGroup
	perrs := make(chan error, payouts)
	for i := range payouts {
		addr, err := recipients.Address(net.Family, asset.Test, keys.Receive, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		dests[addr.Encoded] = true
		p := payout.CreateParams{RequestKey: fmt.Sprintf("po-%d", i), Amount: kassatest.Dec("0.0005"), Currency: "BTC", Destination: addr.Encoded}
		pwg.Go(func() {
			var one, two *payout.Payout
			var err1, err2 error
			var both sync.WaitGroup
			both.Go(func() { one, err1 = f.gs[0].Payouts().Create(ctx, asset.Test, p) })
			both.Go(func() { two, err2 = f.gs[1].Payouts().Create(ctx, asset.Test, p) })
			both.Wait()
			switch {
			case err1 != nil || err2 != nil:
				perrs <- errors.Join(err1, err2)
			case one.ID != two.ID:
				perrs <- fmt.Errorf("request %s made payouts %s and %s", p.RequestKey, one.ID, two.ID)
			default:
				ids[i] = one.ID
			}
		})
	}
	pwg.Wait()
	close(perrs)
	for err := range perrs {
		t.Fatal(err)
	}
	f.until("every payout is completed", func() bool {
		for _, id := range ids {
			p, err := g.Payouts().Get(ctx, asset.Test, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != payout.StatusCompleted {
				return false
			}
		}
		return true
	}, btc)
	list, n, err := g.Payouts().List(ctx, asset.Test, "", nil, 1, 100)
	if err != nil || n != payouts || len(list) != payouts {
		t.Fatalf("%d payouts stored (%v), want %d", n, err, payouts)
	}

	// On the chain: each destination received exactly once, exactly its amount.
	got := map[string]*big.Int{}
	count := map[string]int{}
	set := addressSet(dests)
	for h := uint64(1); h <= btc.Height(); h++ {
		b, err := btc.Scan(ctx, h, set)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range b.Transfers {
			if tr.Out || !dests[tr.To] {
				continue
			}
			if got[tr.To] == nil {
				got[tr.To] = new(big.Int)
			}
			got[tr.To].Add(got[tr.To], tr.Amount)
			count[tr.To]++
		}
	}
	for _, p := range list {
		net, err := a.ToBaseUnits(p.NetAmount)
		if err != nil {
			t.Fatal(err)
		}
		if d := p.Destination; count[d] != 1 || got[d].Cmp(net) != 0 {
			t.Fatalf("destination %s received %v in %d transfers, want %s once", d, got[d], count[d], net)
		}
	}
	if err := g.VerifyLedger(ctx); err != nil {
		t.Fatal(err)
	}

	// The outbox holds each invoice's paid event once.
	events, _, err := g.Events(ctx, asset.Test, "invoice.paid", nil, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	perInvoice := map[string]int{}
	for _, e := range events {
		perInvoice[e.ObjectID]++
		if perInvoice[e.ObjectID] > 1 {
			t.Fatalf("invoice %s has two invoice.paid events", e.ObjectID)
		}
	}
	if len(perInvoice) != total {
		t.Fatalf("%d invoice.paid events for %d paid invoices", len(perInvoice), total)
	}
}

// addressSet is a chains.AddressSet of a map.
type addressSet map[string]bool

func (s addressSet) Contains(a string) bool { return s[a] }
func (s addressSet) Len() int               { return len(s) }

// deafStore is a PostgreSQL store whose Listener hears nothing but what the test
// sends: a gap in the notifications, as while a listener reconnects.
type deafStore struct {
	*postgres.Store
	ch chan storage.Change
}

// Mark is heard (the listener is connected); only the changes are lost.
func (d deafStore) Mark(ctx context.Context, token string) error {
	select {
	case d.ch <- storage.Change{Kind: storage.ChangeMark, Value: token}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d deafStore) Listen(ctx context.Context) (<-chan storage.Change, error) {
	out := make(chan storage.Change)
	go func() {
		defer close(out) // as a real Listener's channel, closed when ctx ends
		for {
			select {
			case <-ctx.Done():
				return
			case c := <-d.ch:
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// TestInstances_AGapInNotificationsIsCaughtUpOnReset: instance B hands out an address
// and it is paid while the watcher's instance A hears nothing (its listener is
// reconnecting), so A's watcher steps past the payment's block without the address
// in its set. The reset the listener delivers once it is back makes A reload and
// read its last blocks again: the payment is credited. (Reloading alone left it
// uncredited.)
func TestInstances_AGapInNotificationsIsCaughtUpOnReset(t *testing.T) {
	var deaf deafStore
	p := newPair(t, func(s *postgres.Store) storage.Store {
		deaf = deafStore{Store: s, ch: make(chan storage.Change, 16)}
		return deaf
	})
	p.btc.Mine(1)
	waitFor(t, "A's watcher runs", func() bool { return p.cursor() >= p.btc.Height() })
	inv := p.payOnB()
	waitFor(t, "A's watcher steps past the payment", func() bool { return p.cursor() >= p.btc.Height() })
	if s := p.status(inv); s != invoice.StatusPending {
		t.Fatalf("the invoice is %s before the reset; the test needs the watcher not to know its address", s)
	}
	deaf.ch <- storage.Change{Kind: storage.ChangeReset}
	waitFor(t, "the payment credited after the reset", func() bool { return p.status(inv) == invoice.StatusPaid })
}

// pair is two instances on one PostgreSQL database and one sim chain: A runs (its
// store wrapped by the test), B does not (it only hands out invoices).
type pair struct {
	t    *testing.T
	a, b *kassa.Gateway
	aDB  storage.Store
	btc  *sim.Chain
}

func newPair(t *testing.T, wrap func(*postgres.Store) storage.Store) *pair {
	url := pgtest.URL(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	openStore := func() *postgres.Store {
		s, err := postgres.Open(t.Context(), url, postgres.Options{MaxConns: 4, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	p := &pair{t: t, btc: kassatest.SimChain(asset.Bitcoin, asset.Test)}
	p.aDB = wrap(openStore())
	p.a, _ = kassatest.Gateway(t, kassa.Config{Store: p.aDB, Chains: []chains.Backend{p.btc}, Instance: "a",
		LeaseTTL: 600 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	p.b, _ = kassatest.Gateway(t, kassa.Config{Store: openStore(), Chains: []chains.Backend{p.btc}, Instance: "b"})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	return p
}

// cursor is the height A's Bitcoin watcher has processed.
func (p *pair) cursor() uint64 {
	var h uint64
	n := chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test}
	if err := p.aDB.View(p.t.Context(), func(ctx context.Context, tx storage.Tx) error {
		c, _, err := tx.Cursor(ctx, n)
		h = c.Height
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
	return h
}

// payOnB creates a BTC invoice on B, pays it exactly and mines it 6 deep.
func (p *pair) payOnB() *invoice.Invoice {
	inv, err := p.b.Invoices().Create(p.t.Context(), asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"})
	if err != nil {
		p.t.Fatal(err)
	}
	a, err := asset.Default().Get("BTC")
	if err != nil {
		p.t.Fatal(err)
	}
	due, err := a.ToBaseUnits(inv.Methods[0].AmountDue)
	if err != nil {
		p.t.Fatal(err)
	}
	p.btc.Pay(inv.Methods[0].Address, "BTC", due)
	p.btc.Mine(6)
	return inv
}

// status is the invoice's status as A reads it.
func (p *pair) status(inv *invoice.Invoice) invoice.Status {
	got, err := p.a.Invoices().Get(p.t.Context(), asset.Test, inv.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return got.Status
}

// waitFor polls cond until it holds, failing the test after a minute (a bound on a
// broken build, not a wait for time).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInstances_ALostLeaseStopsItsRunningPass: a subscriber's delivery runs under its
// lease; when another instance holds the lease (here written into the database, as
// after this one stalled past its TTL), the delivery's context ends at once instead
// of the pass going on beside the new holder.
func TestInstances_ALostLeaseStopsItsRunningPass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kassa.db")
	g, _ := kassatest.Gateway(t, kassa.Config{DatabasePath: path, Chains: []chains.Backend{kassatest.SimChain(asset.Bitcoin, asset.Test)},
		LeaseTTL: 600 * time.Millisecond})
	started, ended := make(chan struct{}), make(chan error, 1)
	var once sync.Once
	if err := g.Subscribe("slow", func(ctx context.Context, _ kassa.Event) error {
		once.Do(func() { close(started) })
		<-ctx.Done() // a pass that would go on for as long as it is let
		select {
		case ended <- ctx.Err():
		default:
		}
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	if _, err := g.Invoices().Create(t.Context(), asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second): // a bound on a broken build
		t.Fatal("the subscriber never got the event")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE leases SET holder = 'another-instance', expires_at = ? WHERE name = 'subscriber:slow'`,
		time.Now().Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the pass ended with %v", err)
		}
	case <-time.After(30 * time.Second): // a bound on a broken build
		t.Fatal("the pass went on after its lease was lost")
	}
	if err := ctx.Err(); err != nil {
		t.Fatal("Run itself stopped")
	}
}

// gatedStore delivers its real notifications in order, but holds them back while its
// gate is shut: a listener that lags (a busy instance, a slow network).
type gatedStore struct {
	*postgres.Store
	gate *atomic.Pointer[chan struct{}] // closed channel: notifications flow
}

func (g gatedStore) Listen(ctx context.Context) (<-chan storage.Change, error) {
	in, err := g.Store.Listen(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan storage.Change)
	go func() {
		defer close(out)
		for c := range in {
			select {
			case <-*g.gate.Load():
			case <-ctx.Done():
				return
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// TestInstances_AWatcherNeverStepsAheadOfItsNotifications: instance B hands out an
// address and it is paid and mined while the watcher's instance A has not yet heard
// of it (its notifications lag). A's watcher must not scan that block with a set
// that lacks the address: before each step it waits until it hears its own mark,
// sent after everything committed before. (Without the mark, the watcher polled past
// the block and the payment was never credited.)
func TestInstances_AWatcherNeverStepsAheadOfItsNotifications(t *testing.T) {
	flowing := make(chan struct{})
	close(flowing)
	var gate atomic.Pointer[chan struct{}]
	gate.Store(&flowing)
	p := newPair(t, func(s *postgres.Store) storage.Store { return gatedStore{Store: s, gate: &gate} })
	p.btc.Mine(1)
	waitFor(t, "A's watcher runs", func() bool { return p.cursor() >= p.btc.Height() })

	shut := make(chan struct{}) // A's notifications lag from now on
	gate.Store(&shut)
	inv := p.payOnB()
	time.Sleep(time.Second) // many poll intervals with the notification held back
	close(shut)
	waitFor(t, "the payment credited", func() bool { return p.status(inv) == invoice.StatusPaid })
}
