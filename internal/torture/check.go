package torture

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

// deposit is a payment the harness made to one of Kassa's addresses.
type deposit struct {
	Asset   string // "BTC", "ETH", "USDT_ETHEREUM"
	Invoice string // the invoice it pays, or "" for a deposit to a customer wallet
	Wallet  string // the customer wallet it pays, or ""
	Address string
	TxID    string
	Units   *big.Int
	// Gone: the harness double-spent it away in a reorg; it must not stay credited.
	Gone bool
}

// payoutReq is a payout the harness asked for.
type payoutReq struct {
	Ref         string // the client's reference, in the payout's metadata
	Asset       string
	Destination string
	Wallet      string // the customer wallet it withdraws from, "" for the merchant's payouts
	ID          string // the payout's id once an answer named it
}

// refundReq is a refund the harness asked for.
type refundReq struct {
	Ref         string // the client's reference, in the refund's metadata
	Invoice     string
	Asset       string
	Destination string
	ID          string // the refund's id once an answer named it
}

// facts is what the harness did outside Kassa: the truth Kassa's records are checked
// against. It is safe for concurrent use.
type facts struct {
	mu       sync.Mutex
	deposits map[string]*deposit // by txid
	payouts  map[string]*payoutReq
	refunds  map[string]*refundReq
	events   map[string]int // event id -> deliveries the receiver accepted
	// settledSeq, once set, is the outbox position of the newest event at the check
	// that found everything settled: after the servers stop, an event past it (a
	// renewal or a sweep the last moments brought) may wait in the outbox for the next
	// start, while every event up to it must have reached the receiver.
	settledSeq int64
}

// settled records seq as the outbox position everything was delivered up to.
func (f *facts) settled(seq int64) {
	f.mu.Lock()
	f.settledSeq = seq
	f.mu.Unlock()
}

func newFacts() *facts {
	return &facts{deposits: map[string]*deposit{}, payouts: map[string]*payoutReq{}, refunds: map[string]*refundReq{}, events: map[string]int{}}
}

// snapshot copies the facts (deposits by value).
func (f *facts) snapshot() *facts {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := newFacts()
	for k, d := range f.deposits {
		cp := *d
		c.deposits[k] = &cp
	}
	for k, p := range f.payouts {
		cp := *p
		c.payouts[k] = &cp
	}
	for k, r := range f.refunds {
		cp := *r
		c.refunds[k] = &cp
	}
	for k, n := range f.events {
		c.events[k] = n
	}
	c.settledSeq = f.settledSeq
	return c
}

func (f *facts) addRefund(r *refundReq) {
	f.mu.Lock()
	f.refunds[r.Ref] = r
	f.mu.Unlock()
}

// answeredRefund records the refund the API answered request ref with.
func (f *facts) answeredRefund(ref, id string) {
	f.mu.Lock()
	f.refunds[ref].ID = id
	f.mu.Unlock()
}

func (f *facts) addDeposit(d *deposit) {
	f.mu.Lock()
	f.deposits[strings.ToLower(d.TxID)] = d
	f.mu.Unlock()
}

func (f *facts) addPayout(p *payoutReq) {
	f.mu.Lock()
	f.payouts[p.Ref] = p
	f.mu.Unlock()
}

// answered records the payout the API answered request ref with.
func (f *facts) answered(ref, id string) {
	f.mu.Lock()
	f.payouts[ref].ID = id
	f.mu.Unlock()
}

func (f *facts) delivered(id string) {
	f.mu.Lock()
	f.events[id]++
	f.mu.Unlock()
}

// onChain reports what a payout destination received on chain: how many transfers
// and their total, in base units.
type onChain func(code, dest string) (n int, total *big.Int, err error)

// report is what a check saw, for the summary line.
type report struct {
	Invoices, Transfers, Payouts, Events int
	Completed, Refunds                   int
	Sweeps                               int // completed sweeps of deposits to the hot wallet
	Wallets                              int // customer wallets
	Withdrawals                          int // completed withdrawals from them
	Subscriptions                        int
	MaxSeq                               int64 // the newest event's outbox position
	Renewals                             int   // periods after the first that were paid
	FromWallets                          int   // periods paid from customers' wallets
}

// checkStore checks Kassa's database at path against the facts. With final false it
// checks what must hold at any moment (after a crash); with final true, what must
// hold once everything is mined and settled.
func checkStore(ctx context.Context, path string, f *facts, chain onChain, final bool) (report, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return report{}, fmt.Errorf("open after crash: %w", err)
	}
	defer st.Close()
	return checkIn(ctx, st, f, chain, final)
}

// checkIn checks the store against the facts and the chains, in one consistent view.
func checkIn(ctx context.Context, st storage.Store, f *facts, chain onChain, final bool) (report, error) {
	var rep report
	err := st.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		rep, err = check(ctx, tx, f, chain, final)
		return err
	})
	return rep, err
}

func check(ctx context.Context, tx storage.Tx, live *facts, chain onChain, final bool) (report, error) {
	f := live.snapshot() // the receiver and the clients go on while this runs
	var rep report
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if err := ledger.Verify(ctx, tx); err != nil {
		bad("ledger: %v", err)
	}
	m := asset.Test

	// Every transfer Kassa recorded is one the harness made, once, for its amount, on
	// the invoice it paid.
	seen := map[string]bool{}
	invoiceOf := map[string]string{}                  // the client's reference -> the invoice made for it
	periodInvoices := map[string][]*invoice.Invoice{} // "sub/n" -> the invoices of that period
	for page := 1; ; page++ {
		invs, total, err := tx.ListInvoices(ctx, invoice.ListParams{Mode: m, Page: page, Limit: 100})
		if err != nil {
			return rep, err
		}
		for _, inv := range invs {
			rep.Invoices++
			if inv.SubscriptionID != "" {
				k := fmt.Sprintf("%s/%d", inv.SubscriptionID, *inv.SubscriptionPeriod)
				periodInvoices[k] = append(periodInvoices[k], inv)
			}
			if ref := metadataRef(inv.Metadata); ref != "" {
				if other, ok := invoiceOf[ref]; ok {
					bad("the client asked once for invoice %s; Kassa made two: %s and %s", ref, other, inv.ID)
				}
				invoiceOf[ref] = inv.ID
			}
			pays, err := tx.Payments(ctx, inv)
			if err != nil {
				return rep, err
			}
			for _, p := range pays {
				rep.Transfers++
				txid := strings.ToLower(p.TxID)
				if seen[txid] {
					bad("transfer %s recorded twice", p.Key())
				}
				seen[txid] = true
				d, ok := f.deposits[txid]
				switch {
				case !ok:
					bad("transfer %s (%s %s to %s) was never made by the harness", p.Key(), p.Amount, p.Asset, p.To)
					continue
				case d.Invoice != inv.ID:
					bad("transfer %s is on invoice %s, the harness paid %s", p.Key(), inv.ID, d.Invoice)
				case d.Units.Cmp(p.Amount) != 0 || d.Asset != p.Asset:
					bad("transfer %s recorded as %s %s, the harness paid %s %s", p.Key(), p.Amount, p.Asset, d.Units, d.Asset)
				}
				if final {
					switch {
					case d.Gone && (p.Status == chains.StatusConfirmed || p.Status == chains.StatusConfirming):
						bad("transfer %s was double-spent away but is %s", p.Key(), p.Status)
					case !d.Gone && p.Status != chains.StatusConfirmed:
						bad("transfer %s is %s after everything was mined", p.Key(), p.Status)
					}
				}
				if p.Status == chains.StatusConfirmed && p.Confirmations < p.Required && p.Required > 0 {
					bad("transfer %s confirmed with %d of %d confirmations", p.Key(), p.Confirmations, p.Required)
				}
			}
			if final {
				want := invoice.Compute(inv, pays, time.Now())
				if want.Status != inv.Status || !want.AmountPaid.Equal(inv.AmountPaid) {
					bad("invoice %s is stuck at %s (paid %s); its payments say %s (paid %s)", inv.ID, inv.Status, inv.AmountPaid, want.Status, want.AmountPaid)
				}
			}
		}
		if page*100 >= total {
			break
		}
	}
	// Customer wallets: every transfer to a wallet's address is one the harness made to
	// that wallet, once, for its amount; once everything is mined, each wallet holds
	// what came in less what its completed withdrawals took (the net amount, and the
	// fee when paid in the wallet's asset), nothing pending or held.
	withdrawn := map[string]*big.Int{} // wallet -> units its completed withdrawals took
	var wallets []wallet.Wallet
	for page := 1; ; page++ {
		ws, total, err := tx.ListWallets(ctx, wallet.ListParams{Mode: m, Page: page, Limit: 100})
		if err != nil {
			return rep, err
		}
		wallets = append(wallets, ws...)
		if page*100 >= total {
			break
		}
	}
	credited := map[string]*big.Int{} // wallet -> units of confirmed deposits
	for _, w := range wallets {
		rep.Wallets++
		credited[w.ID] = new(big.Int)
		recs, err := tx.TransfersTo(ctx, chains.NetworkRef{ID: asset.NetworkID(w.Network), Mode: m}, w.Address, 1_000_000)
		if err != nil {
			return rep, err
		}
		for _, r := range recs {
			if r.Out {
				continue
			}
			if own, err := tx.OwnTx(ctx, r.Network, r.TxID); err != nil {
				return rep, err
			} else if own {
				continue // a sweep's gas top-up
			}
			rep.Transfers++
			txid := strings.ToLower(r.TxID)
			if seen[txid] {
				bad("transfer %s recorded twice", r.Key())
			}
			seen[txid] = true
			d, ok := f.deposits[txid]
			switch {
			case !ok:
				bad("transfer %s (%s %s to wallet %s) was never made by the harness", r.Key(), r.Amount, r.Asset, w.ID)
				continue
			case d.Wallet != w.ID:
				bad("transfer %s is on wallet %s, the harness paid %s%s", r.Key(), w.ID, d.Wallet, d.Invoice)
			case d.Units.Cmp(r.Amount) != 0 || d.Asset != r.Asset:
				bad("transfer %s recorded as %s %s, the harness paid %s %s", r.Key(), r.Amount, r.Asset, d.Units, d.Asset)
			}
			switch {
			case final && d.Gone && (r.Status == chains.StatusConfirmed || r.Status == chains.StatusConfirming):
				bad("transfer %s to wallet %s was double-spent away but is %s", r.Key(), w.ID, r.Status)
			case final && !d.Gone && r.Status != chains.StatusConfirmed:
				bad("transfer %s to wallet %s is %s after everything was mined", r.Key(), w.ID, r.Status)
			}
			if r.Status == chains.StatusConfirmed && r.Confirmations < r.Required && r.Required > 0 {
				bad("transfer %s to wallet %s confirmed with %d of %d confirmations", r.Key(), w.ID, r.Confirmations, r.Required)
			}
			if r.Status == chains.StatusConfirmed {
				credited[w.ID].Add(credited[w.ID], r.Amount)
			}
		}
	}
	if final {
		for txid, d := range f.deposits {
			if !d.Gone && !seen[txid] {
				bad("the harness paid %s %s to %s (invoice %q, wallet %q) in %s; Kassa never recorded it", d.Units, d.Asset, d.Address, d.Invoice, d.Wallet, txid)
			}
		}
	}

	// Refunds: each the harness asked for exists at most once, pays what was asked
	// where it was asked, follows its payout, and the refunds of an invoice never add
	// up to more than was confirmed on it.
	refundOf := map[string]*refund.Refund{} // by payout id
	refundByRef := map[string]string{}
	refunded := map[string]decimal.Decimal{} // invoice -> active refunds
	for page := 1; ; page++ {
		rs, total, err := tx.ListRefunds(ctx, refund.ListParams{Mode: m, Page: page, Limit: 100})
		if err != nil {
			return rep, err
		}
		for _, r := range rs {
			rep.Refunds++
			ref := metadataRef(r.Metadata)
			if prev, ok := refundByRef[ref]; ok {
				bad("refund request %s made two refunds: %s and %s", ref, prev, r.ID)
			}
			refundByRef[ref] = r.ID
			req, ok := f.refunds[ref]
			switch {
			case !ok:
				bad("refund %s (ref %q) was never asked for", r.ID, ref)
				continue
			case req.Invoice != r.InvoiceID || req.Asset != r.Asset || r.Destination == nil || *r.Destination != req.Destination:
				bad("refund %s of %s pays %s to %v; request %s asked %s of %s to %s", r.ID, r.InvoiceID, r.Asset, r.Destination, ref, req.Asset, req.Invoice, req.Destination)
			case req.ID != "" && req.ID != r.ID:
				bad("request %s was answered with refund %s but is stored as %s", ref, req.ID, r.ID)
			}
			if r.PayoutID == nil {
				bad("refund %s with a destination has no payout", r.ID)
				continue
			}
			refundOf[*r.PayoutID] = r
			if r.Status != refund.StatusFailed && r.Status != refund.StatusCancelled {
				refunded[r.InvoiceID] = refunded[r.InvoiceID].Add(r.Amount)
			}
		}
		if page*100 >= total {
			break
		}
	}
	for id, sum := range refunded {
		inv, err := tx.GetInvoice(ctx, m, id)
		if err != nil {
			return rep, err
		}
		if sum.GreaterThan(inv.AmountConfirmed) {
			bad("invoice %s: refunds of %s, %s confirmed", id, sum, inv.AmountConfirmed)
		}
	}
	for ref, req := range f.refunds {
		if req.ID != "" && refundByRef[ref] == "" {
			bad("refund %s, answered to request %s, is not stored", req.ID, ref)
		}
	}

	// Payouts: each the harness asked for exists at most once; money left exactly once.
	sent := map[string]*big.Int{} // asset -> net units of completed payouts
	byRef := map[string]string{}
	for page := 1; ; page++ {
		pos, total, err := tx.ListPayouts(ctx, m, "", nil, page, 100)
		if err != nil {
			return rep, err
		}
		for _, p := range pos {
			rep.Payouts++
			ref := payoutRef(p)
			if r := refundOf[p.ID]; p.RefundID != "" || r != nil {
				// A refund's payout: checked against its refund.
				want := map[payout.Status]refund.Status{payout.StatusCompleted: refund.StatusSucceeded, payout.StatusFailed: refund.StatusFailed,
					payout.StatusCancelled: refund.StatusFailed, payout.StatusProcessing: refund.StatusProcessing,
					payout.StatusBroadcast: refund.StatusProcessing, payout.StatusPendingVerification: refund.StatusPendingVerification}
				switch {
				case r == nil || r.ID != p.RefundID:
					bad("payout %s pays refund %q, which does not name it", p.ID, p.RefundID)
				case *r.Destination != p.Destination || r.Asset != p.Asset:
					bad("payout %s of refund %s pays %s to %s", p.ID, r.ID, p.Asset, p.Destination)
				case want[p.Status] != r.Status:
					bad("refund %s is %s while its payout %s is %s", r.ID, r.Status, p.ID, p.Status)
				}
			} else {
				if prev, ok := byRef[ref]; ok && ref != "" {
					bad("payout request %s made two payouts: %s and %s", ref, prev, p.ID)
				}
				byRef[ref] = p.ID
			}
			switch req, ok := f.payouts[ref]; {
			case p.RefundID != "":
			case !ok:
				bad("payout %s (ref %q) was never asked for", p.ID, ref)
			case req.Asset != p.Asset || req.Destination != p.Destination:
				bad("payout %s pays %s to %s; request %s asked %s to %s", p.ID, p.Asset, p.Destination, ref, req.Asset, req.Destination)
			case req.ID != "" && req.ID != p.ID:
				bad("request %s was answered with payout %s but is stored as %s", ref, req.ID, p.ID)
			case req.Wallet != p.WalletID:
				bad("payout %s withdraws from wallet %q; request %s asked wallet %q", p.ID, p.WalletID, ref, req.Wallet)
			}
			a, err := unitsOf(p.Asset, p.NetAmount)
			if err != nil {
				return rep, err
			}
			n, got, err := chain(p.Asset, p.Destination)
			if err != nil {
				return rep, err
			}
			if n > 1 {
				bad("payout %s reached %s %d times (%s): signed twice", p.ID, p.Destination, n, got)
			}
			switch p.Status {
			case payout.StatusCompleted:
				rep.Completed++
				if sent[p.Asset] == nil {
					sent[p.Asset] = new(big.Int)
				}
				sent[p.Asset].Add(sent[p.Asset], a)
				if p.WalletID != "" {
					rep.Withdrawals++
					took := new(big.Int).Set(a)
					if p.FeeCurrency == p.Asset && p.Fee != nil {
						fee, err := unitsOf(p.Asset, *p.Fee)
						if err != nil {
							return rep, err
						}
						took.Add(took, fee)
					}
					if withdrawn[p.WalletID] == nil {
						withdrawn[p.WalletID] = new(big.Int)
					}
					withdrawn[p.WalletID].Add(withdrawn[p.WalletID], took)
				}
				if n != 1 || got.Cmp(a) != 0 {
					bad("payout %s completed for %s but its destination received %s in %d transfers", p.ID, a, got, n)
				}
			case payout.StatusFailed, payout.StatusCancelled:
				if n != 0 {
					bad("payout %s is %s but its destination received %s", p.ID, p.Status, got)
				}
			default:
				if final {
					bad("payout %s is stuck at %s", p.ID, p.Status)
				}
			}
		}
		if page*100 >= total {
			break
		}
	}

	collected, err := checkSubscriptions(ctx, tx, m, periodInvoices, &rep, bad)
	if err != nil {
		return rep, err
	}
	if final {
		for _, w := range wallets {
			want := new(big.Int).Set(credited[w.ID])
			if x := withdrawn[w.ID]; x != nil {
				want.Sub(want, x)
			}
			if x := collected[w.ID]; x != nil {
				want.Sub(want, x)
			}
			for name, v := range map[string]*big.Int{ledger.WalletAvailable(m, w.ID, w.Asset): want,
				ledger.WalletPending(m, w.ID, w.Asset): new(big.Int), ledger.WalletHeld(m, w.ID, w.Asset): new(big.Int)} {
				acct, err := tx.Account(ctx, name)
				if errors.Is(err, ledger.ErrAccountNotFound) {
					acct.Balance = new(big.Int)
				} else if err != nil {
					return rep, err
				}
				if acct.Balance.Cmp(v) != 0 {
					bad("%s holds %s; the harness's deposits less the completed withdrawals and the periods it paid say %s", name, acct.Balance, v)
				}
			}
		}
	}

	// A payout the API answered with must be stored: a kill never takes it back.
	for ref, req := range f.payouts {
		if req.ID != "" && byRef[ref] == "" {
			bad("payout %s, answered to request %s, is not stored", req.ID, ref)
		}
	}

	// The world account: what came in from deposits minus what left by payouts.
	paid := map[string]*big.Int{}
	for _, d := range f.deposits {
		if final && d.Gone {
			continue
		}
		if paid[d.Asset] == nil {
			paid[d.Asset] = new(big.Int)
		}
		paid[d.Asset].Add(paid[d.Asset], d.Units)
	}
	for code, in := range paid {
		w, err := tx.Account(ctx, ledger.World(m, code))
		if errors.Is(err, ledger.ErrAccountNotFound) {
			w.Balance = new(big.Int)
		} else if err != nil {
			return rep, err
		}
		out := sent[code]
		if out == nil {
			out = new(big.Int)
		}
		got := new(big.Int).Neg(w.Balance)
		got.Add(got, out)
		if final && got.Cmp(in) != 0 {
			bad("%s: deposits credited %s, the harness paid %s", code, got, in)
		}
		if !final && got.Cmp(in) > 0 {
			bad("%s: deposits credited %s, more than the harness paid (%s)", code, got, in)
		}
		if final {
			if p, err := tx.Account(ctx, ledger.MerchantPending(m, code)); err == nil && p.Balance.Sign() != 0 {
				bad("%s: %s still pending after everything was mined", code, p.Balance)
			}
		}
	}

	// Sweeps: no deposit is taken by two sweeps that did not fail; a completed sweep
	// knows its fee (booked by the wallet, which the ledger check above covers).
	sweeps, err := tx.ListSweeps(ctx, m, 1_000_000)
	if err != nil {
		return rep, err
	}
	takenBy := map[string]string{}
	for _, sw := range sweeps {
		if sw.Status == treasury.SweepFailed {
			continue
		}
		if final && sw.Status == treasury.SweepToppingUp {
			bad("sweep %s still between its top-up and its token transfer after everything was mined", sw.ID)
		}
		if sw.Status == treasury.SweepCompleted {
			rep.Sweeps++
			if sw.Fee == nil || !sw.Fee.IsPositive() {
				bad("sweep %s completed without its fee", sw.ID)
			}
		}
		for _, id := range sw.Transfers {
			if other, ok := takenBy[id]; ok {
				bad("deposit %s taken by two sweeps: %s and %s", id, other, sw.ID)
			}
			takenBy[id] = sw.ID
		}
	}

	// Events: every event reached the receiver (checked when final).
	for page := 1; ; page++ {
		evs, total, err := tx.ListEvents(ctx, m, "", nil, page, 100)
		if err != nil {
			return rep, err
		}
		for _, e := range evs {
			rep.Events++
			rep.MaxSeq = max(rep.MaxSeq, e.Seq)
			if final && f.events[e.ID] == 0 && (f.settledSeq == 0 || e.Seq <= f.settledSeq) {
				bad("event %s (%s) never reached the receiver", e.ID, e.Type)
			}
		}
		if page*100 >= total {
			break
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		return rep, fmt.Errorf("broken invariants:\n  %s", strings.Join(problems, "\n  "))
	}
	return rep, nil
}

// payoutRef is the harness's reference in a payout's metadata ({"ref": "..."}).
func payoutRef(p *payout.Payout) string { return metadataRef(p.Metadata) }

// metadataRef is the harness's reference in metadata ({"ref": "..."}).
func metadataRef(metadata []byte) string {
	s := string(metadata)
	i := strings.Index(s, `"ref":"`)
	if i < 0 {
		return ""
	}
	s = s[i+7:]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return ""
	}
	return s[:j]
}

var registry = asset.Default()

func unitsOf(code string, amt interface{ String() string }) (*big.Int, error) {
	a, err := registry.Get(code)
	if err != nil {
		return nil, err
	}
	d, err := asset.ParseAmount(amt.String())
	if err != nil {
		return nil, err
	}
	return a.ToBaseUnits(d)
}

// checkSubscriptions checks that every subscription's periods were billed once each:
// numbered 0, 1, 2... without a gap, each starting where the schedule says; a period
// paid from a wallet has its one ledger entry and no invoice; an invoiced one has as
// many invoices as attempts, all of it, and exactly one paid when it is paid (none
// when it is not). It returns what the periods took from each wallet, in base units.
func checkSubscriptions(ctx context.Context, tx storage.Tx, m asset.Mode, periodInvoices map[string][]*invoice.Invoice, rep *report,
	bad func(string, ...any)) (map[string]*big.Int, error) {
	collected := map[string]*big.Int{}
	for page := 1; ; page++ {
		subs, total, err := tx.ListSubscriptions(ctx, billing.ListParams{Mode: m, Page: page, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			rep.Subscriptions++
			periods, err := tx.ListPeriods(ctx, m, sub.ID)
			if err != nil {
				return nil, err
			}
			if len(periods) != sub.CurrentPeriod+1 {
				bad("subscription %s is at period %d with %d periods stored", sub.ID, sub.CurrentPeriod, len(periods))
			}
			for i, p := range periods {
				k := fmt.Sprintf("%s/%d", sub.ID, p.N)
				invs := periodInvoices[k]
				delete(periodInvoices, k)
				if p.N != i {
					bad("subscription %s: period %d stored as number %d", sub.ID, i, p.N)
				}
				if want := billing.PeriodStart(sub.BillingCycleAnchor, sub.Interval, sub.IntervalCount, p.N); !p.Start.Equal(want) {
					bad("subscription %s: period %d starts %s, the schedule says %s", sub.ID, p.N, p.Start, want)
				}
				paid := 0
				for _, inv := range invs {
					if inv.Status == invoice.StatusPaid {
						paid++
					}
				}
				switch {
				case p.Collection == billing.CollectWallet:
					if len(invs) != 0 || p.Status != billing.PeriodPaid {
						bad("subscription %s: period %d paid from wallet %s is %s with invoices %d", sub.ID, p.N, p.WalletID, p.Status, len(invs))
					}
					if _, ok, err := tx.EntryHash(ctx, fmt.Sprintf("subscription:%s:%d", sub.ID, p.N)); err != nil {
						return nil, err
					} else if !ok {
						bad("subscription %s: period %d paid from wallet %s has no ledger entry", sub.ID, p.N, p.WalletID)
					}
					units, err := unitsOf(sub.Currency, p.Amount)
					if err != nil {
						return nil, err
					}
					if collected[p.WalletID] == nil {
						collected[p.WalletID] = new(big.Int)
					}
					collected[p.WalletID].Add(collected[p.WalletID], units)
					rep.FromWallets++
				case len(invs) != p.Attempts:
					bad("subscription %s: period %d made %d invoices in %d attempts", sub.ID, p.N, len(invs), p.Attempts)
				case p.Status == billing.PeriodPaid && paid != 1, p.Status != billing.PeriodPaid && paid != 0:
					bad("subscription %s: period %d is %s with %d of its %d invoices paid", sub.ID, p.N, p.Status, paid, len(invs))
				}
				if p.Status == billing.PeriodPaid && p.N > 0 {
					rep.Renewals++
				}
			}
		}
		if page*100 >= total {
			break
		}
	}
	for k, invs := range periodInvoices {
		bad("%d invoices bill period %s, which was never recorded", len(invs), k)
	}
	return collected, nil
}
