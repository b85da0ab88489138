package torture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// reorgConfirmations is what payments need in the reorg campaign: reorgs of depth
// 1..6 reach both unconfirmed and confirmed payments.
const reorgConfirmations = 3

// Reorg runs the reorg campaign on btcd in regtest, then on the go-ethereum node: a
// Gateway on SQLite watching the chain, payments made while n reorgs of random depth
// 1..6 replace the top of the chain (some taking payments away: double-spent with RBF
// on Bitcoin; on EVM the pool is cleared, and the payer's next transactions take
// their nonces). The Gateway is moved with Sync; after every step it must have
// credited as available exactly the payments with 3 confirmations on the node's best
// chain, never one before. At the end, the crash campaign's final invariants.
func Reorg(ctx context.Context, dir string, n int, seed uint64, log *slog.Logger) (string, error) {
	var lines []string
	for i, net := range []reorgNet{&btcNet{}, &evmNet{}} {
		d := filepath.Join(dir, strings.Fields(net.label())[0])
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		line, err := reorgOn(ctx, d, net, n, seed+uint64(i), log)
		if err != nil {
			return "", fmt.Errorf("%s: %w", net.label(), err)
		}
		lines = append(lines, line)
	}
	return "reorg: " + strings.Join(lines, "; "), nil
}

// reorgNet is a chain the reorg campaign runs on.
type reorgNet interface {
	label() string
	// start starts the node and returns Kassa's backend for it and the assets paid.
	start(tb *harnessTB, reg *asset.Registry, log *slog.Logger) (chains.Backend, []string)
	pay(code, addr string, units *big.Int) (txid string)
	mine(blocks int)
	// shorten takes the top depth blocks off the best chain (their transactions go
	// back to the pool).
	shorten(ctx context.Context, depth int)
	// drop takes payments in the pool away before they are mined again (which went
	// is known from the chain at the end; Bitcoin marks its double-spends Gone, which
	// its view needs to tell them from payments mined deeper than it looks).
	drop(f *facts)
	view(ctx context.Context, f *facts) chainView
}

// chainView is where the payments are on the node's best chain.
type chainView struct {
	tip   int64
	block map[string]blockAt // txid -> its block; height 0: deeper than looked at
	pool  map[string]bool
}

type blockAt struct {
	height int64
	hash   string
}

func reorgOn(ctx context.Context, dir string, net reorgNet, n int, seed uint64, log *slog.Logger) (string, error) {
	began := time.Now()
	tb := newTB(dir)
	defer tb.close()
	rng := rand.New(rand.NewPCG(seed, 2))
	reg := asset.Default()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var b chains.Backend
	var codes []string
	if err := catch(func() { b, codes = net.start(tb, reg, quiet) }); err != nil {
		return "", err
	}
	if c, ok := b.(interface{ Close() }); ok {
		defer c.Close()
	}
	for _, c := range codes {
		reg.SetConfirmations(c, reorgConfirmations)
	}
	kr, err := keys.FromMnemonic(testMnemonic, "", keys.WithBitcoinTestParams(&chaincfg.RegressionNetParams))
	if err != nil {
		return "", err
	}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Fixed{"BTC": decimal.NewFromInt(65000),
		"ETH": decimal.NewFromInt(3000), "USDT": decimal.NewFromInt(1)}}, Logger: quiet})
	if err != nil {
		return "", err
	}
	// No sweeps: this campaign holds every deposit's credit against the chain; the
	// crash campaign is the one that sweeps while it kills.
	cfg := kassa.Config{Keyring: kr, Chains: []chains.Backend{b}, Treasury: kassa.TreasuryOptions{NoSweep: true},
		Rates: cache, Assets: reg, Logger: quiet, MasterKey: masterKeyBytes(), Webhooks: webhook.Options{AllowPrivate: true}}
	r := &reorger{cfg: cfg, db: filepath.Join(dir, "kassa.db"), net: net, codes: codes, reg: reg, f: newFacts(), rng: rng,
		restarts: rand.New(rand.NewPCG(seed, 3)), deep: map[string]string{}}
	if err := r.open(ctx); err != nil {
		return "", err
	}
	defer r.close()
	g, f := r.g, r.f
	rcv, err := startReceiver(f, log)
	if err != nil {
		return "", err
	}
	defer rcv.close()
	ep, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: rcv.url, Events: []string{"*"}})
	if err != nil {
		return "", err
	}
	rcv.secret.Store(ep.Secret)
	if err := r.sync(ctx); err != nil {
		return "", err
	}
	depths := map[int]int{}
	for i := 1; i <= n && ctx.Err() == nil; i++ {
		for range 1 + rng.IntN(3) {
			if err := r.pay(ctx); err != nil {
				return "", err
			}
		}
		if err := r.mine(ctx, 1+rng.IntN(3)); err != nil {
			return "", err
		}
		d := 1 + rng.IntN(6)
		depths[d]++
		if err := r.reorg(ctx, d); err != nil {
			return "", fmt.Errorf("reorg %d (depth %d): %w", i, d, err)
		}
		if i%10 == 0 {
			log.Info("reorg: progress", "chain", net.label(), "reorgs", i, "of", n, "payments", len(f.deposits))
		}
	}
	// Settle: everything left in the pool is mined and confirmed; what is nowhere was
	// taken away.
	if err := r.mine(ctx, reorgConfirmations+1); err != nil {
		return "", err
	}
	var v chainView
	if err := catch(func() { v = net.view(ctx, f) }); err != nil {
		return "", err
	}
	gone := 0
	for txid, d := range f.deposits {
		if _, ok := v.block[txid]; !ok && !v.pool[txid] {
			d.Gone = true
		}
		if d.Gone {
			gone++
		}
	}
	var rep report
	err = r.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		rep, err = check(ctx, tx, f, func(string, string) (int, *big.Int, error) { return 0, new(big.Int), nil }, true)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("at the end: %w", err)
	}
	if b := rcv.bad.Load(); b > 0 {
		return "", fmt.Errorf("the receiver refused %d deliveries", b)
	}
	return fmt.Sprintf("%s: %d reorgs (depth 1..6: %v, %d of them while Kassa was down), %d payments (%s) to %d invoices, %d taken away; credited exactly at %d confirmations after each of %d steps; %d events delivered; %s",
		net.label(), n, depthList(depths), r.down, len(f.deposits), strings.Join(codes, ", "), rep.Invoices, gone, reorgConfirmations,
		r.checks, rep.Events, time.Since(began).Round(time.Second)), nil
}

func depthList(m map[int]int) []int {
	out := make([]int, 6)
	for d, c := range m {
		out[d-1] = c
	}
	return out
}

// reorger drives one reorg campaign.
type reorger struct {
	g        *kassa.Gateway
	store    *sqlite.Store
	db       string // the database file
	cfg      kassa.Config
	restarts *rand.Rand
	down     int // reorgs that happened while the Gateway was closed
	net      reorgNet
	codes    []string
	reg      *asset.Registry
	f        *facts
	rng      *rand.Rand
	checks   int
	seq      int
	deep     map[string]string // txid -> the block it was seen 3 deep in
}

// open opens the database and a Gateway on it, as a process starting would; close
// closes both. Restarts draw from their own stream (restarts), so seeds replay the
// reorgs they did before.
func (r *reorger) open(ctx context.Context) error {
	s, err := sqlite.Open(ctx, r.db, sqlite.Options{Logger: r.cfg.Logger})
	if err != nil {
		return err
	}
	cfg := r.cfg
	cfg.Store = s
	g, err := kassa.New(cfg)
	if err != nil {
		s.Close()
		return err
	}
	r.g, r.store = g, s
	return nil
}

func (r *reorger) close() error { return errors.Join(r.g.Close(), r.store.Close()) }

func (r *reorger) sync(ctx context.Context) error {
	if err := r.g.Sync(ctx); err != nil {
		return err
	}
	return r.checkCredit(ctx)
}

func (r *reorger) mine(ctx context.Context, blocks int) error {
	if err := catch(func() { r.net.mine(blocks) }); err != nil {
		return err
	}
	return r.sync(ctx)
}

// reorgPrices are the invoice amounts of the campaign, in the asset itself.
var reorgPrices = map[string]string{"BTC": "0.01", "ETH": "0.01", "USDT_ETHEREUM": "10"}

// pay creates an invoice in one of the chain's assets and pays all or half of it.
func (r *reorger) pay(ctx context.Context) error {
	r.seq++
	code := r.codes[0]
	if len(r.codes) > 1 { // one chain's seeds replay as they did before EVM was added
		code = r.codes[r.rng.IntN(len(r.codes))]
	}
	inv, err := r.g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString(reorgPrices[code]), Currency: code,
		OrderID: fmt.Sprintf("reorg-%d", r.seq), Lifetime: time.Hour})
	if err != nil {
		return err
	}
	a, err := r.reg.Get(code)
	if err != nil {
		return err
	}
	units, err := a.ToBaseUnits(inv.Methods[0].AmountDue)
	if err != nil {
		return err
	}
	if r.rng.IntN(4) == 0 {
		units.Div(units, big.NewInt(2))
	}
	var txid string
	if err := catch(func() { txid = r.net.pay(code, inv.Methods[0].Address, units) }); err != nil {
		return err
	}
	r.f.addDeposit(&deposit{Asset: code, Invoice: inv.ID, Address: inv.Methods[0].Address, TxID: strings.ToLower(txid), Units: units})
	return nil
}

// reorg replaces the top depth blocks with depth+1 new ones; the disconnected
// payments go back to the pool, and sometimes some are taken away first.
func (r *reorger) reorg(ctx context.Context, depth int) error {
	return catch(func() {
		r.net.shorten(ctx, depth)
		if r.rng.IntN(2) == 0 { // Kassa sees the shorter chain before the new branch
			if err := r.sync(ctx); err != nil {
				panic(fatal{err.Error()})
			}
		}
		if r.rng.IntN(3) == 0 {
			r.net.drop(r.f)
		}
		// A quarter of the time Kassa is down while the new branch is mined: the
		// next process finds the reorg from what the last one stored.
		down := r.restarts.IntN(4) == 0
		if down {
			if err := r.close(); err != nil {
				panic(fatal{err.Error()})
			}
		}
		r.net.mine(depth + 1)
		if down {
			if err := r.open(ctx); err != nil {
				panic(fatal{err.Error()})
			}
			r.down++
		}
		if err := r.sync(ctx); err != nil {
			panic(fatal{err.Error()})
		}
	})
}

// checkCredit compares the merchant's available balance of each asset with the
// payments that have the required confirmations on the node's best chain: equal, or
// something was credited too early, twice, or not taken back after a reorg.
func (r *reorger) checkCredit(ctx context.Context) error {
	r.checks++
	var v chainView
	if err := catch(func() { v = r.net.view(ctx, r.f) }); err != nil {
		return err
	}
	want := map[string]*big.Int{}
	for _, c := range r.codes {
		want[c] = new(big.Int)
	}
	early := 0
	for txid, d := range r.f.deposits {
		b, ok := v.block[txid]
		switch {
		case !ok:
			if v.pool[txid] {
				early++
			}
		case b.height == 0 || v.tip-b.height+1 >= reorgConfirmations:
			want[d.Asset].Add(want[d.Asset], d.Units)
			if b.height != 0 {
				r.deep[txid] = b.hash
			}
		case r.deep[txid] == b.hash:
			// Its block was 3 deep and is still in the best chain; only blocks above
			// it were replaced, by fewer (the tip went down): it was credited with its
			// confirmations and stays credited.
			want[d.Asset].Add(want[d.Asset], d.Units)
		default:
			early++
		}
	}
	var problems []string
	err := r.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		for _, code := range r.codes {
			got := new(big.Int)
			a, err := tx.Account(ctx, ledger.MerchantAvailable(asset.Test, code))
			switch {
			case errors.Is(err, ledger.ErrAccountNotFound):
			case err != nil:
				return err
			default:
				got = a.Balance
			}
			if got.Cmp(want[code]) != 0 {
				problems = append(problems, fmt.Sprintf("available %s is %s units; payments with %d confirmations on the best chain sum to %s",
					code, got, reorgConfirmations, want[code]))
			}
		}
		if len(problems) == 0 {
			return nil
		}
		// Name the payments whose state differs.
		for txid, d := range r.f.deposits {
			confs := int64(0)
			if b, ok := v.block[txid]; ok && b.height > 0 {
				confs = v.tip - b.height + 1
			}
			inv, err := tx.GetInvoice(ctx, asset.Test, d.Invoice)
			if err != nil {
				return err
			}
			pays, err := tx.Payments(ctx, inv)
			if err != nil {
				return err
			}
			for _, p := range pays {
				if strings.EqualFold(p.TxID, txid) && (p.Status == chains.StatusConfirmed) != (confs >= reorgConfirmations) {
					problems = append(problems, fmt.Sprintf("%s %s: %d confirmations on the node (pool %v, gone %v); Kassa: %s, %d confirmations in block %d %s",
						d.Asset, txid, confs, v.pool[txid], d.Gone, p.Status, p.Confirmations, p.Block.Height, p.Block.Hash))
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d payments younger; tip %d: %s", early, v.tip, strings.Join(problems, "; "))
	}
	return nil
}

// btcNet is btcd in regtest.
type btcNet struct{ node *btcdtest.Node }

func (b *btcNet) label() string { return "btcd regtest" }

func (b *btcNet) start(tb *harnessTB, _ *asset.Registry, log *slog.Logger) (chains.Backend, []string) {
	b.node = btcdtest.Start(tb)
	b.node.Generate(100)
	be, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: &chaincfg.RegressionNetParams, RPC: b.node.RPC, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	return be, []string{"BTC"}
}

func (b *btcNet) pay(_, addr string, units *big.Int) string {
	return b.node.Payer().Pay(btcdtest.Output{Script: scriptOf(addr), Sats: units.Int64()})
}

func (b *btcNet) mine(blocks int) { b.node.Generate(blocks) }

func (b *btcNet) shorten(ctx context.Context, depth int) {
	var hash string
	if err := b.node.RPC.Call(ctx, "getblockhash", &hash, b.node.Height()-int64(depth)+1); err != nil {
		panic(fatal{err.Error()})
	}
	b.node.Invalidate(hash)
}

// drop double-spends one payment in the mempool with RBF.
func (b *btcNet) drop(f *facts) {
	pool := map[string]bool{}
	for _, id := range b.node.Mempool() {
		pool[id] = true
	}
	for txid, d := range f.deposits {
		if pool[txid] && !d.Gone {
			b.node.Payer().Replace(txid)
			d.Gone = true
			return
		}
	}
}

// view looks at the top 40 blocks; a payment neither there, in the mempool nor
// double-spent is deeper than any reorg.
func (b *btcNet) view(ctx context.Context, f *facts) chainView {
	v := chainView{tip: b.node.Height(), block: map[string]blockAt{}, pool: map[string]bool{}}
	for _, id := range b.node.Mempool() {
		v.pool[id] = true
	}
	for h := v.tip; h > v.tip-40 && h > 0; h-- {
		var hash string
		if err := b.node.RPC.Call(ctx, "getblockhash", &hash, h); err != nil {
			panic(fatal{err.Error()})
		}
		for _, tx := range b.node.Block(hash).Transactions {
			v.block[tx.TxHash().String()] = blockAt{h, hash}
		}
	}
	for txid, d := range f.deposits {
		if _, ok := v.block[txid]; !ok && !v.pool[txid] && !d.Gone {
			v.block[txid] = blockAt{}
		}
	}
	return v
}

// evmNet is go-ethereum's simulated node, paid in ETH and a 6-decimal USDT.
type evmNet struct{ node *evmdevnet.Node }

func (e *evmNet) label() string { return "go-ethereum" }

func (e *evmNet) start(tb *harnessTB, reg *asset.Registry, log *slog.Logger) (chains.Backend, []string) {
	e.node = evmdevnet.Start(tb, nil)
	e.node.Mine(20) // room below the first reorg
	if err := reg.SetContract("USDT_ETHEREUM", asset.Test, evmdevnet.USDT.Hex()); err != nil {
		tb.Fatal(err)
	}
	be, err := evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: e.node.URL,
		ChainID: evmdevnet.ChainID, Assets: reg, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	return be, []string{"ETH", "USDT_ETHEREUM"}
}

func (e *evmNet) pay(code, addr string, units *big.Int) string {
	if code == "ETH" {
		return e.node.PayETH(addr, units).Hex()
	}
	return e.node.PayToken(evmdevnet.USDT, addr, units).Hex()
}

func (e *evmNet) mine(blocks int) { e.node.Mine(blocks) }

// shorten makes the block depth+1 below the tip the head; geth puts the orphaned
// blocks' transactions back into its pool.
func (e *evmNet) shorten(ctx context.Context, depth int) {
	for try := 0; ; try++ {
		head, err := e.node.Client.HeaderByNumber(ctx, nil)
		if err != nil {
			panic(fatal{err.Error()})
		}
		parent, err := e.node.Client.HeaderByNumber(ctx, big.NewInt(head.Number.Int64()-int64(depth)))
		if err != nil {
			panic(fatal{err.Error()})
		}
		err = e.node.Fork(parent.Hash())
		if err == nil {
			return
		}
		// geth puts transactions of an earlier reorg back into its pool in the
		// background; one may arrive after the blocks that should have mined it.
		if try < 3 && strings.Contains(err.Error(), "pending block dirty") {
			e.node.Commit()
			continue
		}
		panic(fatal{err.Error()})
	}
}

// drop clears the pool: the orphaned payments are not mined again, and the payer's
// next transactions take their nonces. Which went is known from the chain later.
func (e *evmNet) drop(*facts) { e.node.Rollback() }

// view asks the node for each payment's receipt (geth keeps receipts of the best
// chain only) or its place in the pool.
func (e *evmNet) view(ctx context.Context, f *facts) chainView {
	head, err := e.node.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		panic(fatal{err.Error()})
	}
	v := chainView{tip: head.Number.Int64(), block: map[string]blockAt{}, pool: map[string]bool{}}
	for txid := range f.deposits {
		h := common.HexToHash(txid)
		rc, err := e.node.Client.TransactionReceipt(ctx, h)
		if err == nil {
			v.block[txid] = blockAt{rc.BlockNumber.Int64(), strings.ToLower(rc.BlockHash.Hex())}
			continue
		}
		if !errors.Is(err, ethereum.NotFound) {
			panic(fatal{err.Error()})
		}
		if _, pending, err := e.node.Client.TransactionByHash(ctx, h); err == nil && pending {
			v.pool[txid] = true
		} else if err != nil && !errors.Is(err, ethereum.NotFound) {
			panic(fatal{err.Error()})
		}
	}
	return v
}

// scriptOf is the output script of a regtest address (Kassa's own decoder, which
// refuses other networks); a bad address ends the campaign.
func scriptOf(addr string) []byte {
	s, err := bitcoin.AddressScript(addr, &chaincfg.RegressionNetParams)
	if err != nil {
		panic(fatal{err.Error()})
	}
	return s
}
