package torture

import (
	"context"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

// TestCheck_CatchesEachBrokenInvariant builds a real state (a paid invoice, a
// completed payout, their events) on a SQLite file, checks that the harness's checker
// accepts it, then breaks one thing at a time, in the facts, the chain view or the
// database itself, and checks that the checker names what broke.
func TestCheck_CatchesEachBrokenInvariant(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kassa.db")
	env := kassatest.New(t, kassatest.WithDatabase(db))
	ctx := context.Background()
	inv, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.01"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	txid := env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, 6)
	dest := env.Recipient(asset.Bitcoin, 1)
	po, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: decimal.RequireFromString("0.004"), Currency: "BTC",
		Destination: dest, Metadata: []byte(`{"ref":"r1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	env.Mine(asset.Bitcoin, 1)
	env.Sync()
	net, _ := unitsOf("BTC", getNet(t, env, po.ID))

	good := func() (*facts, onChain) {
		f := newFacts()
		f.addDeposit(&deposit{Asset: "BTC", Invoice: inv.ID, Address: inv.Methods[0].Address, TxID: txid, Units: big.NewInt(1_000_000)})
		f.addPayout(&payoutReq{Ref: "r1", Asset: "BTC", Destination: dest, ID: po.ID})
		evs, _, err := env.Gateway.Events(ctx, asset.Test, "", nil, 1, 100)
		if err != nil || len(evs) == 0 {
			t.Fatalf("events: %v, %d", err, len(evs))
		}
		for _, e := range evs {
			f.delivered(e.ID)
		}
		return f, func(code, dest string) (int, *big.Int, error) {
			if dest == po.Destination {
				return 1, new(big.Int).Set(net), nil
			}
			return 0, new(big.Int), nil
		}
	}
	f, chain := good()
	rep, err := checkStore(ctx, db, f, chain, true)
	if err != nil {
		t.Fatalf("a sound state: %v", err)
	}
	if rep.Invoices != 1 || rep.Transfers != 1 || rep.Payouts != 1 || rep.Completed != 1 || rep.Events == 0 {
		t.Fatalf("report %+v", rep)
	}

	cases := []struct {
		name   string
		break_ func(f *facts, chain *onChain)
		want   string
	}{
		{"amount differs", func(f *facts, _ *onChain) { f.deposits[txid].Units = big.NewInt(999_999) }, "recorded as"},
		{"transfer never made", func(f *facts, _ *onChain) { delete(f.deposits, txid) }, "never made by the harness"},
		{"payment never recorded", func(f *facts, _ *onChain) {
			f.addDeposit(&deposit{Asset: "BTC", Invoice: inv.ID, TxID: "ab", Units: big.NewInt(5)})
		}, "never recorded"},
		{"payout signed twice", func(_ *facts, c *onChain) {
			*c = func(string, string) (int, *big.Int, error) { return 2, new(big.Int).Mul(net, big.NewInt(2)), nil }
		}, "signed twice"},
		{"completed but nothing arrived", func(_ *facts, c *onChain) {
			*c = func(string, string) (int, *big.Int, error) { return 0, new(big.Int), nil }
		}, "its destination received 0"},
		{"payout nobody asked for", func(f *facts, _ *onChain) { delete(f.payouts, "r1") }, "never asked for"},
		{"payout to another destination", func(f *facts, _ *onChain) { f.payouts["r1"].Destination = "dest-2" }, "request r1 asked"},
		{"acknowledged payout lost", func(f *facts, _ *onChain) {
			f.addPayout(&payoutReq{Ref: "r2", Asset: "BTC", Destination: "dest-3", ID: "po_answered"})
		}, "is not stored"},
		{"event lost", func(f *facts, _ *onChain) {
			for id := range f.events {
				delete(f.events, id)
				break
			}
		}, "never reached the receiver"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, chain := good()
			c.break_(f, &chain)
			if _, err := checkStore(ctx, db, f, chain, true); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}

	// A credit nobody paid for, written into the ledger behind Kassa's back: the ledger
	// still balances, the world account does not add up.
	if err := env.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Entry{Key: "forged", Postings: []ledger.Posting{
			{Account: ledger.World(asset.Test, "BTC"), Amount: big.NewInt(-7)},
			{Account: ledger.MerchantAvailable(asset.Test, "BTC"), Amount: big.NewInt(7)}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f, chain = good()
	if _, err := checkStore(ctx, db, f, chain, true); err == nil || !strings.Contains(err.Error(), "deposits credited") {
		t.Fatalf("a forged credit: %v", err)
	}
	if _, err := checkStore(ctx, db, f, chain, false); err == nil || !strings.Contains(err.Error(), "more than the harness paid") {
		t.Fatalf("a forged credit, mid-run: %v", err)
	}

	// One client request, two invoices (as a retry without order_id or request key
	// would make): the checker names the reference.
	for range 2 {
		if _, err := env.Gateway.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: decimal.RequireFromString("0.01"),
			Currency: "BTC", Metadata: []byte(`{"ref":"c1-o1"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := checkStore(ctx, db, f, chain, false); err == nil || !strings.Contains(err.Error(), "asked once for invoice c1-o1") {
		t.Fatalf("an invoice made twice: %v", err)
	}
}

func getNet(t *testing.T, env *kassatest.Env, id string) decimal.Decimal {
	t.Helper()
	p, err := env.Gateway.Payouts().Get(context.Background(), asset.Test, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payout.StatusCompleted {
		t.Fatalf("payout %s is %s", id, p.Status)
	}
	return p.NetAmount
}
