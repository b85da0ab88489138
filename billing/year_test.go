package billing_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

var dec = kassatest.Dec

// behaviour is what one subscription of the year test does.
type behaviour int

const (
	walletYear   behaviour = iota // collection wallet, funded for the whole year
	walletHalf                    // collection wallet, funded for 5 periods: then invoices, paid
	invoicePayer                  // collection invoice, every invoice paid
	invoiceLate                   // period 3's first invoice expires unpaid (past due), its retry is paid
	cancelAtEnd                   // cancelled at the end of period 2
	cancelNow                     // cancelled in period 4 while its invoice is open
	autoEnd                       // auto_end_at after 6 periods
	stopsPaying                   // pays period 0 only: past due, retried 3 times, cancelled unpaid
)

// paidPeriods, final status and how the periods are paid, per behaviour, over a year
// of 12 monthly periods.
var outcome = map[behaviour]struct {
	paid, byWallet int
	status         billing.Status
	reason         string
}{
	walletYear:   {12, 12, billing.StatusActive, ""},
	walletHalf:   {12, 5, billing.StatusActive, ""},
	invoicePayer: {12, 0, billing.StatusActive, ""},
	invoiceLate:  {12, 0, billing.StatusActive, ""},
	cancelAtEnd:  {3, 0, billing.StatusCancelled, "requested"},
	cancelNow:    {4, 0, billing.StatusCancelled, "requested"},
	autoEnd:      {6, 0, billing.StatusExpired, ""},
	stopsPaying:  {1, 0, billing.StatusCancelled, "unpaid"},
}

func behaviourOf(i int) behaviour {
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		return walletYear
	case 8, 9:
		return walletHalf
	case 10, 11, 12, 13:
		return invoicePayer
	case 14, 15:
		return invoiceLate
	case 16:
		return cancelAtEnd
	case 17:
		return cancelNow
	case 18:
		return autoEnd
	}
	return stopsPaying
}

// TestSubscriptions_AYearOfMonthlyRenewals runs 1,000 monthly subscriptions (100
// with -short) for a year on the fake clock, anchored on 31 January so that every
// month-end rule is used: periods paid from customers' wallets, from invoices paid on
// the sim chain, a wallet that runs dry and falls back to invoices, a period paid on
// its retry after being past due, cancellations at a period's end and at once, an
// auto-end, and a customer who stops paying (retried, then cancelled). Every period
// is billed exactly once: each subscription's periods are exactly the expected ones,
// an invoice-paid period has exactly one paid invoice and one invoice per attempt, a
// wallet-paid period none; the merchant's balance is exactly the price times the
// periods paid, each wallet exactly its deposits less its periods, and the ledger
// verifies.
func TestSubscriptions_AYearOfMonthlyRenewals(t *testing.T) {
	subs := 1000
	if testing.Short() {
		subs = 100
	}
	start := time.Date(2027, time.January, 31, 9, 0, 0, 0, time.UTC)
	clock := kassatest.NewClock(start)
	e := kassatest.New(t, kassatest.WithClock(clock))
	ctx := t.Context()
	b := e.Gateway.Billing()
	price := dec("0.0001")
	prod, err := b.CreateProduct(ctx, asset.Test, billing.ProductParams{Name: "Pro", PricingPlans: []billing.PlanParams{
		{Amount: price, Currency: "BTC", Interval: billing.Month}}})
	if err != nil {
		t.Fatal(err)
	}
	plan := prod.PricingPlans[0].ID
	chain := e.Chain(asset.Bitcoin)

	// Wallets first: a wallet-collected first period is paid at creation.
	funded := map[string]decimal.Decimal{} // wallet id -> deposited
	walletOf := map[int]string{}
	for i := range subs {
		k := behaviourOf(i)
		if k != walletYear && k != walletHalf {
			continue
		}
		w, _, err := e.Gateway.Wallets().Create(ctx, asset.Test, wallet.CreateParams{CustomerID: fmt.Sprintf("cust-%d", i), Currency: "BTC"})
		if err != nil {
			t.Fatal(err)
		}
		periods := int64(12)
		if k == walletHalf {
			periods = 5
		}
		amount := price.Mul(decimal.NewFromInt(periods))
		chain.Pay(w.Address, "BTC", e.Units("BTC", amount.String()))
		funded[w.ID], walletOf[i] = amount, w.ID
	}
	e.Mine(asset.Bitcoin, 6)

	kind := map[string]behaviour{}
	index := map[string]int{}
	for i := range subs {
		k := behaviourOf(i)
		p := billing.CreateParams{CustomerID: fmt.Sprintf("cust-%d", i), PlanID: plan, Collection: billing.CollectInvoice}
		if k == walletYear || k == walletHalf {
			p.Collection = billing.CollectWallet
		}
		if k == autoEnd {
			end := billing.PeriodStart(start, billing.Month, 1, 6)
			p.AutoEndAt = &end
		}
		s, err := b.Create(ctx, asset.Test, p)
		if err != nil {
			t.Fatal(err)
		}
		kind[s.ID], index[s.ID] = k, i
	}

	// A year of the clock, moved from one moment that matters to the next: each
	// period's start, its invoices' expiries (12 hours, the default lifetime) and
	// retries (1, 3 and 5 days after an expiry), and the merchant's cancellations. The
	// customers pay the invoices as they come (each as its behaviour says), the way a
	// payer would: on the chain.
	var moments []time.Time
	for n := range 12 {
		at := billing.PeriodStart(start, billing.Month, 1, n)
		moments = append(moments, at, at.Add(time.Hour))
		for _, retry := range billing.DefaultRetries {
			at = at.Add(invoice.MaxLifetime + time.Minute) // expired
			moments = append(moments, at)
			at = at.Add(retry) // the next invoice
			moments = append(moments, at)
		}
		moments = append(moments, at.Add(invoice.MaxLifetime+time.Minute))
	}
	cancelAtEndOn := billing.PeriodStart(start, billing.Month, 1, 2).Add(2 * time.Hour)
	cancelNowOn := billing.PeriodStart(start, billing.Month, 1, 4).Add(2 * time.Hour)
	moments = append(moments, cancelAtEndOn, cancelNowOn)
	slices.SortFunc(moments, time.Time.Compare)
	moments = slices.Compact(moments)
	end := billing.PeriodStart(start, billing.Month, 1, 12)
	invoicesOf := map[string]map[int][]string{} // subscription -> period -> its invoices, in order
	paidInvoices := map[string]bool{}
	seen := 0
	for _, at := range moments {
		if !at.Before(end) {
			break
		}
		if d := at.Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
		// Cancellations, by the merchant, on their days.
		for id, k := range kind {
			switch {
			case k == cancelAtEnd && at.Equal(cancelAtEndOn):
				if _, err := b.Cancel(ctx, asset.Test, id, true); err != nil {
					t.Fatal(err)
				}
			case k == cancelNow && at.Equal(cancelNowOn):
				if _, err := b.Cancel(ctx, asset.Test, id, false); err != nil {
					t.Fatal(err)
				}
			}
		}
		for paying := true; paying; {
			e.Sync()
			evs := e.Events()
			paying = false
			for _, ev := range evs[seen:] {
				if ev.Type != "invoice.created" {
					continue
				}
				var inv invoice.Invoice
				if err := json.Unmarshal(ev.Data, &inv); err != nil {
					t.Fatal(err)
				}
				if inv.SubscriptionID == "" {
					continue
				}
				n := *inv.SubscriptionPeriod
				if invoicesOf[inv.SubscriptionID] == nil {
					invoicesOf[inv.SubscriptionID] = map[int][]string{}
				}
				invoicesOf[inv.SubscriptionID][n] = append(invoicesOf[inv.SubscriptionID][n], inv.ID)
				attempt := len(invoicesOf[inv.SubscriptionID][n])
				k := kind[inv.SubscriptionID]
				switch {
				case k == invoiceLate && n == 3 && attempt == 1, k == cancelNow && n == 4, k == stopsPaying && n >= 1:
				default:
					full := e.Invoice(inv.ID)
					e.PayAmount(full, "BTC", e.Method(full, "BTC").AmountDue)
					paidInvoices[inv.ID], paying = true, true
				}
			}
			seen = len(evs)
			if paying {
				e.Mine(asset.Bitcoin, 6) // the payments may end periods: look again before the clock moves
			}
		}
	}

	var total int64
	for id, k := range kind {
		want := outcome[k]
		s, err := b.Get(ctx, asset.Test, id)
		if err != nil {
			t.Fatal(err)
		}
		periods, err := b.Periods(ctx, asset.Test, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != want.status || s.CancellationReason != want.reason || s.PeriodsPaid != want.paid {
			t.Fatalf("%s (%d, behaviour %d): %s/%q with %d periods paid, want %s/%q with %d", id, index[id], k, s.Status, s.CancellationReason,
				s.PeriodsPaid, want.status, want.reason, want.paid)
		}
		byWallet := 0
		for n, p := range periods {
			if p.N != n || !p.Start.Equal(billing.PeriodStart(start, billing.Month, 1, n)) || !p.Amount.Equal(price) {
				t.Fatalf("%s: period %d is %+v", id, n, p)
			}
			invs := invoicesOf[id][n]
			paidHere := 0
			for _, inv := range invs {
				if paidInvoices[inv] {
					paidHere++
					e.WantStatus(inv, invoice.StatusPaid, "")
				}
			}
			switch {
			case p.Status == billing.PeriodPaid && p.Collection == billing.CollectWallet:
				byWallet++
				if len(invs) != 0 || p.WalletID != walletOf[index[id]] {
					t.Fatalf("%s: period %d paid from wallet %s has invoices %v", id, n, p.WalletID, invs)
				}
			case p.Status == billing.PeriodPaid:
				if paidHere != 1 || len(invs) != p.Attempts || p.InvoiceID != invs[len(invs)-1] {
					t.Fatalf("%s: period %d paid by invoice: %d paid of %v, %d attempts, invoice %s", id, n, paidHere, invs, p.Attempts, p.InvoiceID)
				}
			default:
				if paidHere != 0 || len(invs) != p.Attempts {
					t.Fatalf("%s: period %d is %s with %d paid of %v, %d attempts", id, n, p.Status, paidHere, invs, p.Attempts)
				}
			}
		}
		if byWallet != want.byWallet {
			t.Fatalf("%s: %d periods paid from the wallet, want %d", id, byWallet, want.byWallet)
		}
		wantPeriods := want.paid
		switch k {
		case cancelNow, stopsPaying:
			wantPeriods++ // the last one, void or unpaid
		}
		if len(periods) != wantPeriods {
			t.Fatalf("%s (behaviour %d): %d periods, want %d", id, k, len(periods), wantPeriods)
		}
		if k == stopsPaying && (periods[1].Status != billing.PeriodUnpaid || periods[1].Attempts != 1+len(billing.DefaultRetries)) {
			t.Fatalf("%s: the unpaid period is %+v", id, periods[1])
		}
		if k == cancelNow && periods[4].Status != billing.PeriodVoid {
			t.Fatalf("%s: the cancelled period is %+v", id, periods[4])
		}
		total += int64(want.paid)
		if wid := walletOf[index[id]]; wid != "" {
			w, err := e.Gateway.Wallets().Get(ctx, asset.Test, wid)
			if err != nil {
				t.Fatal(err)
			}
			if left := funded[wid].Sub(price.Mul(decimal.NewFromInt(int64(want.byWallet)))); !w.Balance.Equal(left) {
				t.Fatalf("wallet %s: %s, want %s", wid, w.Balance, left)
			}
		}
	}
	if got, want := e.Balance("BTC").Available, price.Mul(decimal.NewFromInt(total)); !got.Equal(want) {
		t.Fatalf("the merchant's BTC: %s, want %s (%d periods)", got, want, total)
	}
	e.Verify()
	t.Logf("%d subscriptions, %d periods paid, %d invoices", subs, total, len(paidInvoices))
}
