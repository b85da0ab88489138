package torture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// reorgConfirmations is what BTC payments need in the reorg campaign: reorgs of depth
// 1..6 reach both unconfirmed and confirmed payments.
const reorgConfirmations = 3

// Reorg runs the reorg campaign: a Gateway on SQLite watching btcd in regtest, payments
// made while n reorgs of random depth 1..6 replace the top of the chain (some of them
// double-spending a payment away). The Gateway is moved with Sync; after every step it
// must have credited as available exactly the payments with 3 confirmations on btcd's
// best chain, never one before. At the end, the crash campaign's final invariants.
func Reorg(ctx context.Context, dir string, n int, seed uint64, log *slog.Logger) (string, error) {
	began := time.Now()
	tb := newTB(dir)
	defer tb.close()
	rng := rand.New(rand.NewPCG(seed, 2))
	var node *btcdtest.Node
	if err := catch(func() { node = btcdtest.Start(tb); node.Generate(100) }); err != nil {
		return "", err
	}
	reg := asset.Default()
	reg.SetConfirmations("BTC", reorgConfirmations)
	kr, err := keys.FromMnemonic(testMnemonic, "", keys.WithBitcoinTestParams(&chaincfg.RegressionNetParams))
	if err != nil {
		return "", err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: &chaincfg.RegressionNetParams, RPC: node.RPC, Logger: quiet})
	if err != nil {
		return "", err
	}
	cache, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Fixed{"BTC": decimal.NewFromInt(65000)}}, Logger: quiet})
	if err != nil {
		return "", err
	}
	g, err := kassa.New(kassa.Config{Keyring: kr, DatabasePath: filepath.Join(dir, "kassa.db"), Chains: []chains.Backend{b},
		Rates: cache, Assets: reg, Logger: quiet, MasterKey: masterKeyBytes(), Webhooks: webhook.Options{AllowPrivate: true}})
	if err != nil {
		return "", err
	}
	defer g.Close()
	f := newFacts()
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
	r := &reorger{g: g, node: node, f: f, rng: rng, deep: map[string]string{}}
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
			log.Info("reorg: progress", "reorgs", i, "of", n, "payments", len(f.deposits), "double-spent", r.gone)
		}
	}
	// Settle: everything left in the mempool is mined and confirmed.
	if err := r.mine(ctx, reorgConfirmations+1); err != nil {
		return "", err
	}
	if err := r.sync(ctx); err != nil {
		return "", err
	}
	var rep report
	err = g.Store().View(ctx, func(ctx context.Context, tx storage.Tx) error {
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
	return fmt.Sprintf("reorg: %d reorgs on btcd regtest (depth 1..6: %v), %d payments to %d invoices, %d double-spent away; credited exactly at %d confirmations after each of %d steps; %d events delivered; %s",
		n, depthList(depths), len(f.deposits), rep.Invoices, r.gone, reorgConfirmations, r.checks, rep.Events, time.Since(began).Round(time.Second)), nil
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
	g      *kassa.Gateway
	node   *btcdtest.Node
	f      *facts
	rng    *rand.Rand
	gone   int
	checks int
	seq    int
	deep   map[string]string // txid -> the block it was seen 3 deep in
}

func (r *reorger) sync(ctx context.Context) error {
	if err := r.g.Sync(ctx); err != nil {
		return err
	}
	return r.checkCredit(ctx)
}

func (r *reorger) mine(ctx context.Context, blocks int) error {
	if err := catch(func() { r.node.Generate(blocks) }); err != nil {
		return err
	}
	return r.sync(ctx)
}

// pay creates an invoice and pays all or half of it.
func (r *reorger) pay(ctx context.Context) error {
	r.seq++
	inv, err := r.g.CreateInvoice(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.01"), Currency: "BTC",
		OrderID: fmt.Sprintf("reorg-%d", r.seq), Lifetime: time.Hour})
	if err != nil {
		return err
	}
	units := big.NewInt(1_000_000)
	if r.rng.IntN(4) == 0 {
		units = big.NewInt(500_000)
	}
	var txid string
	if err := catch(func() {
		txid = r.node.Payer().Pay(btcdtest.Output{Script: scriptOf(inv.Methods[0].Address), Sats: units.Int64()})
	}); err != nil {
		return err
	}
	r.f.addDeposit(&deposit{Asset: "BTC", Invoice: inv.ID, Address: inv.Methods[0].Address, TxID: txid, Units: units})
	return nil
}

// reorg replaces the top depth blocks with depth+1 new ones; the disconnected
// payments go back to the mempool, and sometimes one is double-spent away first.
func (r *reorger) reorg(ctx context.Context, depth int) error {
	return catch(func() {
		tip := r.node.Height()
		var hash string
		if err := r.node.RPC.Call(ctx, "getblockhash", &hash, tip-int64(depth)+1); err != nil {
			panic(fatal{err.Error()})
		}
		r.node.Invalidate(hash)
		if r.rng.IntN(2) == 0 { // Kassa sees the shorter chain before the new branch
			if err := r.sync(ctx); err != nil {
				panic(fatal{err.Error()})
			}
		}
		if r.rng.IntN(3) == 0 {
			pool := map[string]bool{}
			for _, id := range r.node.Mempool() {
				pool[id] = true
			}
			for txid, d := range r.f.deposits {
				if pool[txid] && !d.Gone {
					r.node.Payer().Replace(txid)
					d.Gone = true
					r.gone++
					break
				}
			}
		}
		r.node.Generate(depth + 1)
		if err := r.sync(ctx); err != nil {
			panic(fatal{err.Error()})
		}
	})
}

// checkCredit compares the merchant's available BTC with the payments that have the
// required confirmations on btcd's best chain: equal, or something was credited too
// early, twice, or not taken back after a reorg.
func (r *reorger) checkCredit(ctx context.Context) error {
	r.checks++
	heights := map[string]int64{}
	blocks := map[string]string{}
	pool := map[string]bool{}
	tip := int64(0)
	if err := catch(func() {
		for _, id := range r.node.Mempool() {
			pool[id] = true
		}
		tip = r.node.Height()
		for h := tip; h > tip-40 && h > 0; h-- {
			var hash string
			if err := r.node.RPC.Call(ctx, "getblockhash", &hash, h); err != nil {
				panic(fatal{err.Error()})
			}
			for _, tx := range r.node.Block(hash).Transactions {
				heights[tx.TxHash().String()] = h
				blocks[tx.TxHash().String()] = hash
			}
		}
	}); err != nil {
		return err
	}
	want, early := new(big.Int), 0
	for txid, d := range r.f.deposits {
		h, ok := heights[txid]
		switch {
		case !ok && (pool[txid] || d.Gone):
			if pool[txid] {
				early++
			}
		case !ok: // mined deeper than the window, deeper than any reorg
			want.Add(want, d.Units)
		case tip-h+1 >= reorgConfirmations:
			want.Add(want, d.Units)
			r.deep[txid] = blocks[txid]
		case r.deep[txid] == blocks[txid]:
			// Its block was 3 deep and is still in the best chain; only blocks above
			// it were replaced, by fewer (btcd's tip went down): it was credited
			// with its confirmations and stays credited.
			want.Add(want, d.Units)
		default:
			early++
		}
	}
	var got *big.Int
	err := r.g.Store().View(ctx, func(ctx context.Context, tx storage.Tx) error {
		a, err := tx.Account(ctx, ledger.MerchantAvailable(asset.Test, "BTC"))
		if errors.Is(err, ledger.ErrAccountNotFound) {
			got = new(big.Int)
			return nil
		}
		got = a.Balance
		return err
	})
	if err != nil {
		return err
	}
	if got.Cmp(want) != 0 {
		// Name the payments whose state differs.
		var detail []string
		r.g.Store().View(ctx, func(ctx context.Context, tx storage.Tx) error {
			for txid, d := range r.f.deposits {
				confs := int64(0)
				if h, ok := heights[txid]; ok {
					confs = tip - h + 1
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
					if p.TxID == txid && (p.Status == chains.StatusConfirmed) != (confs >= reorgConfirmations) {
						detail = append(detail, fmt.Sprintf("%s: %d confirmations on btcd (mempool %v, gone %v); Kassa: %s, %d confirmations in block %d %s",
							txid, confs, pool[txid], d.Gone, p.Status, p.Confirmations, p.Block.Height, p.Block.Hash))
					}
				}
			}
			return nil
		})
		return fmt.Errorf("available BTC is %s sat; payments with %d confirmations on the best chain sum to %s (%d more are younger): %v (tip %d)", got, reorgConfirmations, want, early, detail, tip)
	}
	return nil
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
