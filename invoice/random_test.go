package invoice_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

// TestRandomised_PaymentsReorgsExpiriesRestarts interleaves invoice creation, partial
// and full payments, mining, reorgs with and without double-spends, clock jumps and
// Gateway restarts. After every restart and at the end it checks the ledger's
// invariants; at the end, after everything has confirmed, that each asset's available
// balance is exactly the sum of the confirmed transfers (each credited once), that
// nothing is left pending, and that every invoice's stored state is what Compute says.
func TestRandomised_PaymentsReorgsExpiriesRestarts(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { randomRun(t, seed) })
	}
}

func randomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")),
		kassatest.WithAssets(threeConfs(t)), kassatest.WithMonitoringWindow(2*time.Hour))
	ctx := context.Background()
	type spec struct {
		code string
		net  asset.NetworkID
		amt  string
	}
	specs := []spec{{"BTC", asset.Bitcoin, "0.01"}, {"USDT_TRON", asset.Tron, "20"}, {"ETH", asset.Ethereum, "0.05"}}
	var invs []*invoice.Invoice
	var mempool []struct {
		net  asset.NetworkID
		txid string
	}
	for step := range 250 {
		switch op := rng.IntN(100); {
		case op < 15:
			s := specs[rng.IntN(len(specs))]
			invs = append(invs, env.Create(invoice.CreateParams{Amount: kassatest.Dec(s.amt), Currency: s.code, Lifetime: 20 * time.Minute}))
		case op < 45 && len(invs) > 0:
			inv := invs[rng.IntN(len(invs))]
			m := inv.Methods[0]
			share := kassatest.Dec(fmt.Sprint(rng.IntN(9) + 3)).Div(kassatest.Dec("10")) // 0.3 .. 1.1 of the amount due
			amt := m.AmountDue.Mul(share).Truncate(m.Decimals)
			if !amt.IsPositive() {
				continue
			}
			txid := env.Pay(inv, m.Asset, amt.String())
			mempool = append(mempool, struct {
				net  asset.NetworkID
				txid string
			}{m.Network, txid})
		case op < 70:
			s := specs[rng.IntN(len(specs))]
			env.Chain(s.net).Mine(rng.IntN(3) + 1)
		case op < 80:
			s := specs[rng.IntN(len(specs))]
			c := env.Chain(s.net)
			depth := rng.IntN(3) + 1
			if uint64(depth) < c.Height() {
				c.Disconnect(depth)
				if len(mempool) > 0 && rng.IntN(2) == 0 { // double-spend one payment
					p := mempool[rng.IntN(len(mempool))]
					env.Chain(p.net).Drop(p.txid)
				}
				c.Mine(depth + rng.IntN(2))
			}
		case op < 92:
			env.Clock.Advance(time.Duration(rng.IntN(15)+1) * time.Minute)
		case op < 96:
			env.Restart()
			env.Verify()
		default:
			if len(mempool) > 0 { // an unconfirmed payment replaced elsewhere
				p := mempool[rng.IntN(len(mempool))]
				env.Chain(p.net).Drop(p.txid)
			}
		}
		if err := env.Gateway.Sync(ctx); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	// Let everything still in a mempool confirm.
	for _, s := range specs {
		env.Chain(s.net).Mine(20)
	}
	env.Sync()
	env.Verify()

	confirmed := map[string]*big.Int{}
	seen := map[string]bool{}
	for _, inv := range invs {
		pays, err := env.Gateway.Invoices().Payments(ctx, asset.Test, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pays {
			key := string(p.Network.ID) + ":" + p.Key()
			if seen[key] {
				t.Fatalf("transfer %s matched twice", key)
			}
			seen[key] = true
			switch p.Status {
			case chains.StatusConfirmed:
				if confirmed[p.Asset] == nil {
					confirmed[p.Asset] = new(big.Int)
				}
				confirmed[p.Asset].Add(confirmed[p.Asset], p.Amount)
			case chains.StatusMempool, chains.StatusConfirming:
				t.Fatalf("transfer %s still %s after 20 blocks", key, p.Status)
			}
		}
		stored := env.Invoice(inv.ID)
		want := invoice.Compute(stored, pays, env.Clock.Now())
		if want.Status != stored.Status || want.Exception != stored.Exception || !want.AmountPaid.Equal(stored.AmountPaid) {
			t.Fatalf("invoice %s stored %s/%s/%s, Compute says %s/%s/%s", inv.ID, stored.Status, stored.Exception,
				stored.AmountPaid, want.Status, want.Exception, want.AmountPaid)
		}
	}
	for _, s := range specs {
		a, _ := env.Assets.Get(s.code)
		b := env.Balance(s.code)
		want := confirmed[s.code]
		if want == nil {
			want = new(big.Int)
		}
		if !b.Available.Equal(a.FromBaseUnits(want)) || !b.Pending.IsZero() {
			t.Fatalf("%s: balance %+v, confirmed transfers sum to %s", s.code, b, a.FromBaseUnits(want))
		}
	}
	t.Logf("seed %d: %d invoices, %d transfers", seed, len(invs), len(seen))
}

// TestConcurrent_ThousandInvoicesPaid creates 1,000 invoices from 8 goroutines, pays
// each, and checks every one is paid once and the balance is exact.
func TestConcurrent_ThousandInvoicesPaid(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	const n, workers = 1000, 8
	invs := make([]*invoice.Invoice, n)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{
					Amount: kassatest.Dec("1.5"), Currency: "USDT_TRON", OrderID: fmt.Sprintf("order-%d", i)})
				if err != nil {
					errs <- err
					return
				}
				invs[i] = inv
				env.Pay(inv, "USDT_TRON", "1.5")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	addrs := map[string]bool{}
	for _, inv := range invs {
		if addrs[inv.Methods[0].Address] {
			t.Fatalf("address %s given to two invoices", inv.Methods[0].Address)
		}
		addrs[inv.Methods[0].Address] = true
	}
	env.Mine(asset.Tron, 19)
	for _, inv := range invs {
		env.WantStatus(inv.ID, invoice.StatusPaid, "")
	}
	if b := env.Balance("USDT_TRON"); !b.Available.Equal(kassatest.Dec("1500")) {
		t.Fatalf("balance %+v, want 1500", b)
	}
	env.Verify()
}
