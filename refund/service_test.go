package refund_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/pgtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/postgres"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

var ctx = context.Background()

// paid is a 1,000 USD invoice paid in full in code and confirmed.
func paid(t *testing.T, env *kassatest.Env, code string) *invoice.Invoice {
	t.Helper()
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "USD", AcceptedAssets: []string{code}})
	env.PayInFull(inv, code)
	env.Confirm(inv, code)
	return env.WantStatus(inv.ID, invoice.StatusPaid, invoice.ExceptionNone)
}

func create(t *testing.T, env *kassatest.Env, p refund.CreateParams) *refund.Refund {
	t.Helper()
	r, err := env.Gateway.Refunds().Create(ctx, asset.Test, p)
	if err != nil {
		t.Fatalf("refund %+v: %v", p, err)
	}
	return r
}

func get(t *testing.T, env *kassatest.Env, id string) *refund.Refund {
	t.Helper()
	r, err := env.Gateway.Refunds().Get(ctx, asset.Test, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// field reports whether err is a validation error naming field.
var field = validation.HasField

func units(t *testing.T, env *kassatest.Env, code string, d decimal.Decimal) *big.Int {
	t.Helper()
	a, _ := env.Assets.Get(code)
	u, err := a.ToBaseUnits(d)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRefund_TwoPartialsAndTheRestReachThePayerExactly: 250 USD, 250 USD, then the
// rest of a 1,000 USD BTC invoice. Each is a payout that confirms; together they give back
// exactly the crypto the payer sent, the payer's address receives each less the
// network fee (the customer pays it), the merchant's balance ends at zero, the invoice
// says refunded, and the events say so once each.
func TestRefund_TwoPartialsAndTheRestReachThePayerExactly(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "BTC")
	sent := env.Method(inv, "BTC").AmountConfirmed
	payer := env.Recipient(asset.Bitcoin, 7)
	var rs []*refund.Refund
	for _, amount := range []string{"250", "250", ""} {
		p := refund.CreateParams{InvoiceID: inv.ID, Destination: payer, Reason: "requested_by_customer"}
		if amount != "" {
			p.Amount = kassatest.Dec(amount)
		}
		r := create(t, env, p)
		if r.Status != refund.StatusProcessing || r.PayoutID == nil || r.TxHash == nil || r.Asset != "BTC" {
			t.Fatalf("refund after create: %+v", r)
		}
		env.Mine(asset.Bitcoin, 1)
		rs = append(rs, get(t, env, r.ID))
	}
	// 250 USD of 1,000 at the invoice's quote, rounded down to the satoshi; the last one
	// takes the rest, whole.
	want25 := sent.Div(kassatest.Dec("4")).RoundFloor(8)
	if !rs[0].RefundAmount.Equal(want25) || !rs[1].RefundAmount.Equal(want25) || !rs[2].Amount.Equal(kassatest.Dec("500")) {
		t.Fatalf("refund amounts %s %s %s (%s), sent %s", rs[0].RefundAmount, rs[1].RefundAmount, rs[2].RefundAmount, rs[2].Amount, sent)
	}
	total, received := decimal.Zero, decimal.Zero
	for _, r := range rs {
		if r.Status != refund.StatusSucceeded || r.SucceededAt == nil || r.NetworkFee == nil || r.AmountReceived == nil ||
			!r.AmountReceived.Equal(r.RefundAmount.Sub(*r.EstimatedFee)) || !r.NetworkFee.Equal(*r.EstimatedFee) {
			t.Fatalf("refund after mining: %+v", r)
		}
		total, received = total.Add(r.RefundAmount), received.Add(*r.AmountReceived)
	}
	if !total.Equal(sent) {
		t.Fatalf("refunds add up to %s, the payer sent %s", total, sent)
	}
	if got := env.Chain(asset.Bitcoin).Received(payer, "BTC"); got.Cmp(units(t, env, "BTC", received)) != 0 {
		t.Fatalf("payer's address received %s sat, want %s BTC", got, received)
	}
	if b := env.Balance("BTC"); !b.Available.IsZero() || !b.Held.IsZero() {
		t.Fatalf("merchant's balance after refunding everything: %+v", b)
	}
	got := env.Invoice(inv.ID)
	if !got.AmountRefunded.Equal(kassatest.Dec("1000")) || !got.Refunded {
		t.Fatalf("invoice after the refunds: refunded %s %v", got.AmountRefunded, got.Refunded)
	}
	if n := count(env.EventTypes(inv.ID), event.InvoiceRefunded); n != 1 {
		t.Fatalf("invoice.refunded emitted %d times", n)
	}
	for _, r := range rs {
		if ev := env.EventTypes(r.ID); count(ev, refund.EventCreated) != 1 || count(ev, refund.EventSucceeded) != 1 {
			t.Fatalf("events of %s: %v", r.ID, ev)
		}
	}
	// Nothing is left to refund.
	_, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("0.01"), Destination: payer})
	if !errors.Is(err, refund.ErrExceedsPayment) || !field(err, "amount") {
		t.Fatalf("a refund beyond the payment: %v", err)
	}
	env.Verify()
}

func count(ts []event.Type, t event.Type) int {
	n := 0
	for _, x := range ts {
		if x == t {
			n++
		}
	}
	return n
}

// TestRefund_MerchantPaysTheFee: with fee_payer merchant the payer receives the whole
// refund and the merchant's balance gives up the fee beside it.
func TestRefund_MerchantPaysTheFee(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "BTC")
	env.Fund("BTC", "0.001") // the merchant's own, for the fee
	before := env.Balance("BTC").Available
	payer := env.Recipient(asset.Bitcoin, 8)
	r := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("500"), FeePayer: refund.FeeMerchant, Destination: payer})
	env.Mine(asset.Bitcoin, 1)
	r = get(t, env, r.ID)
	if r.Status != refund.StatusSucceeded || !r.AmountReceived.Equal(r.RefundAmount) || r.NetworkFee == nil || !r.NetworkFee.IsPositive() {
		t.Fatalf("refund: %+v", r)
	}
	if got := env.Chain(asset.Bitcoin).Received(payer, "BTC"); got.Cmp(units(t, env, "BTC", r.RefundAmount)) != 0 {
		t.Fatalf("payer received %s sat, want %s", got, r.RefundAmount)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(before.Sub(r.RefundAmount).Sub(*r.NetworkFee)) {
		t.Fatalf("available %s, want %s - %s - %s", b.Available, before, r.RefundAmount, *r.NetworkFee)
	}
	env.Verify()
}

// TestRefund_TokenRefundTakesTheGasValueFromTheCustomer: a USDT invoice refunded in
// USDT; the gas is paid in ETH from the merchant's balance and, with the customer
// paying the fee, its value at today's rate (rounded up) is taken from the refund.
func TestRefund_TokenRefundTakesTheGasValueFromTheCustomer(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "USDT_ETHEREUM")
	env.Fund("ETH", "0.01")
	r := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("400"), Destination: env.Recipient(asset.Ethereum, 3)})
	po := env.Payout(*r.PayoutID)
	gasUSD := po.EstimatedFee.Mul(kassatest.Dec("3000")).RoundCeil(6)
	if po.FeeCurrency != "ETH" || !po.Amount.Equal(kassatest.Dec("400").Sub(gasUSD)) || !r.AmountReceived.Equal(po.Amount) || !r.RefundAmount.Equal(kassatest.Dec("400")) {
		t.Fatalf("token refund: payout %+v, refund %+v (gas worth %s)", po, r, gasUSD)
	}
	env.Mine(asset.Ethereum, 12)
	if r = get(t, env, r.ID); r.Status != refund.StatusSucceeded {
		t.Fatalf("refund: %+v", r)
	}
	// The customer's share of the gas stays with the merchant.
	if b := env.Balance("USDT_ETHEREUM"); !b.Available.Equal(kassatest.Dec("600").Add(gasUSD)) {
		t.Fatalf("USDT available %s", b.Available)
	}
	env.Verify()
}

// TestRefund_ConcurrentRefundsNeverExceedThePayment: two refunds of 600 USD of a 1,000
// USD invoice asked for at once: exactly one passes, on SQLite and on PostgreSQL.
func TestRefund_ConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	run := func(t *testing.T, env *kassatest.Env) {
		inv := paid(t, env, "BTC")
		env.Fund("BTC", "0.1") // the balance alone would cover both
		const n = 2
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("600"),
					Destination: env.Recipient(asset.Bitcoin, uint32(20+i))})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, refund.ErrExceedsPayment):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		rs, err := env.Gateway.Refunds().ForInvoice(ctx, asset.Test, inv.ID)
		if ok != 1 || err != nil || len(rs) != 1 {
			t.Fatalf("%d of 2 concurrent refunds passed, %d stored (%v)", ok, len(rs), err)
		}
		env.Mine(asset.Bitcoin, 1)
		env.Verify()
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, kassatest.New(t, kassatest.WithDatabase(t.TempDir()+"/kassa.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		run(t, kassatest.New(t, kassatest.WithStore(func(ctx context.Context) (storage.Store, error) {
			return postgres.Open(ctx, url, postgres.Options{MaxConns: 8, Logger: quiet})
		})))
	})
}

// TestRefund_BadInputIsTypedAndStoresNothing: every bad request names its field (or
// is the invoice's not found) and leaves no refund, no payout and the balance as it
// was.
func TestRefund_BadInputIsTypedAndStoresNothing(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "BTC")
	unpaid := env.Create(invoice.CreateParams{Amount: kassatest.Dec("100"), Currency: "USD", AcceptedAssets: []string{"BTC"}})
	other := env.Create(invoice.CreateParams{Amount: kassatest.Dec("100"), Currency: "USD", AcceptedAssets: []string{"ETH"}})
	own := other.Methods[0].Address
	ownBTC := unpaid.Methods[0].Address
	good := env.Recipient(asset.Bitcoin, 9)
	before := env.Balance("BTC")
	cases := []struct {
		name  string
		p     refund.CreateParams
		field string
		is    error
	}{
		{"negative", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("-1"), Destination: good}, "amount", asset.ErrNegativeAmount},
		{"over-precise", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100.001"), Destination: good}, "amount", nil},
		{"huge", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("1e40"), Destination: good}, "amount", asset.ErrAmountTooLarge},
		{"more than paid", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("1000.01"), Destination: good}, "amount", refund.ErrExceedsPayment},
		{"tiny", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("0.01"), Destination: good}, "amount", payout.ErrBelowMinimum},
		{"another currency", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100"), Currency: "EUR", Destination: good}, "currency", nil},
		{"wrong network address", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100"), Destination: own}, "destination_address", nil},
		{"bad checksum", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100"), Destination: good[:len(good)-1] + flip(good[len(good)-1])}, "destination_address", nil},
		{"our own address", refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100"), Destination: ownBTC}, "destination_address", payout.ErrOwnAddress},
		{"unpaid invoice", refund.CreateParams{InvoiceID: unpaid.ID, Destination: good}, "invoice_id", refund.ErrNothingPaid},
		{"no invoice", refund.CreateParams{Destination: good}, "invoice_id", nil},
		{"bad rate", refund.CreateParams{InvoiceID: inv.ID, Rate: "yesterday", Destination: good}, "rate", refund.ErrBadValue},
		{"bad fee payer", refund.CreateParams{InvoiceID: inv.ID, FeePayer: "nobody", Destination: good}, "fee_payer", refund.ErrBadValue},
		{"bad reason", refund.CreateParams{InvoiceID: inv.ID, Reason: "because", Destination: good}, "reason", refund.ErrBadValue},
		{"bad metadata", refund.CreateParams{InvoiceID: inv.ID, Metadata: []byte(`[1]`), Destination: good}, "metadata", nil},
	}
	for _, c := range cases {
		_, err := env.Gateway.Refunds().Create(ctx, asset.Test, c.p)
		if !field(err, c.field) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
	// Another mode's invoice, an unknown one: not found.
	for _, m := range []asset.Mode{asset.Live} {
		if _, err := env.Gateway.Refunds().Create(ctx, m, refund.CreateParams{InvoiceID: inv.ID, Destination: good}); !errors.Is(err, invoice.ErrNotFound) {
			t.Errorf("the test invoice from %s mode: %v", m, err)
		}
	}
	if _, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: "inv_nope", Destination: good}); !errors.Is(err, invoice.ErrNotFound) {
		t.Errorf("unknown invoice: %v", err)
	}
	rs, total, err := env.Gateway.Refunds().List(ctx, refund.ListParams{Mode: asset.Test})
	ps, _, perr := env.Gateway.Payouts().List(ctx, asset.Test, "", nil, 1, 100)
	if err != nil || perr != nil || total != 0 || len(rs) != 0 || len(ps) != 0 {
		t.Fatalf("after bad input: %d refunds, %d payouts (%v %v)", total, len(ps), err, perr)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(before.Available) || !b.Held.IsZero() {
		t.Fatalf("balance after bad input: %+v, before %+v", b, before)
	}
	env.Verify()
}

func flip(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}

// TestRefund_RefusedBroadcastRollsBackTheHold: the node refuses the refund's
// transaction: the refund fails with the payout's hold released, and its amount can be
// refunded again.
func TestRefund_RefusedBroadcastRollsBackTheHold(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "BTC")
	before := env.Balance("BTC")
	env.Chain(asset.Bitcoin).RejectSends("min relay fee not met")
	r, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Destination: env.Recipient(asset.Bitcoin, 10)})
	var be *payout.BroadcastError
	if !errors.As(err, &be) || r == nil || r.Status != refund.StatusFailed || r.FailureReason == "" {
		t.Fatalf("refund refused by the node: %+v, %v", r, err)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(before.Available) || !b.Held.IsZero() {
		t.Fatalf("balance after the refusal: %+v", b)
	}
	env.Sync()
	if ev := env.EventTypes(r.ID); !slices.Equal(ev, []event.Type{refund.EventCreated, refund.EventFailed}) {
		t.Fatalf("events: %v", ev)
	}
	env.Chain(asset.Bitcoin).RejectSends("")
	again := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Destination: env.Recipient(asset.Bitcoin, 10)})
	env.Mine(asset.Bitcoin, 1)
	if got := get(t, env, again.ID); got.Status != refund.StatusSucceeded || !got.Amount.Equal(kassatest.Dec("1000")) {
		t.Fatalf("second refund: %+v", got)
	}
	env.Verify()
}

// TestRefund_ClaimLink: without a destination the refund waits for the payer's
// address; the claim checks it (a wrong network, our own address: refused, nothing
// changes), then sends the payout once; the link cannot be used again; an unused
// link expires into a cancelled refund; a waiting refund can be cancelled.
func TestRefund_ClaimLink(t *testing.T) {
	env := kassatest.New(t)
	svc := env.Gateway.Refunds()
	inv := paid(t, env, "BTC")
	r := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("300")})
	if r.Status != refund.StatusAwaitingAddress || len(r.ClaimToken) != 22 || r.ClaimPath != "/refunds/"+r.ClaimToken || r.ClaimExpiresAt == nil || r.PayoutID != nil {
		t.Fatalf("refund awaiting its address: %+v", r)
	}
	// Its money is set aside while it waits: a payout cannot take it meanwhile.
	if b := env.Balance("BTC"); !b.Held.Equal(r.RefundAmount) {
		t.Fatalf("a refund awaiting its address holds %s, want %s", b.Held, r.RefundAmount)
	}
	if _, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: env.Balance("BTC").Available.Add(kassatest.Dec("0.00000001")),
		Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 19)}); !errors.Is(err, payout.ErrInsufficientFunds) {
		t.Fatalf("a payout of more than what is not set aside: %v", err)
	}
	tok := r.ClaimToken
	if _, err := svc.Claim(ctx, tok, env.Recipient(asset.Ethereum, 1), ""); !field(err, "address") {
		t.Fatalf("an Ethereum address for a BTC refund: %v", err)
	}
	if _, err := svc.Claim(ctx, tok, inv.Methods[0].Address, ""); !field(err, "address") || !errors.Is(err, payout.ErrOwnAddress) {
		t.Fatalf("our own deposit address: %v", err)
	}
	if _, err := svc.Claim(ctx, tok, env.Recipient(asset.Bitcoin, 11), "not-an-email"); !field(err, "email") {
		t.Fatalf("bad email: %v", err)
	}
	if _, err := svc.Claim(ctx, tok+"x", env.Recipient(asset.Bitcoin, 11), ""); !errors.Is(err, refund.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	if got := get(t, env, r.ID); got.Status != refund.StatusAwaitingAddress {
		t.Fatalf("refund after refused claims: %+v", got)
	}
	c, err := svc.Claim(ctx, tok, env.Recipient(asset.Bitcoin, 11), "payer@example.com")
	if err != nil || c.Status != refund.StatusProcessing || c.Email != "payer@example.com" || c.ClaimPath != "" || c.TxHash == nil {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	if _, err := svc.Claim(ctx, tok, env.Recipient(asset.Bitcoin, 12), ""); !errors.Is(err, refund.ErrInvalidState) {
		t.Fatalf("the link used again: %v", err)
	}
	env.Mine(asset.Bitcoin, 1)
	if got := get(t, env, r.ID); got.Status != refund.StatusSucceeded || !got.Amount.Equal(kassatest.Dec("300")) {
		t.Fatalf("claimed refund: %+v", got)
	}

	// Cancelled while waiting: refundable again.
	w := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("700")})
	if _, err := svc.Cancel(ctx, asset.Live, w.ID); !errors.Is(err, refund.ErrNotFound) {
		t.Fatalf("cancel from the other mode: %v", err)
	}
	held := env.Balance("BTC").Held
	if got, err := svc.Cancel(ctx, asset.Test, w.ID); err != nil || got.Status != refund.StatusCancelled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	if b := env.Balance("BTC"); !b.Held.Equal(held.Sub(w.RefundAmount)) {
		t.Fatalf("held %s after the cancel, %s before", b.Held, held)
	}
	if _, err := svc.Claim(ctx, w.ClaimToken, env.Recipient(asset.Bitcoin, 12), ""); !errors.Is(err, refund.ErrInvalidState) {
		t.Fatalf("claim of a cancelled refund: %v", err)
	}
	if _, err := svc.Cancel(ctx, asset.Test, r.ID); !errors.Is(err, refund.ErrInvalidState) {
		t.Fatalf("cancel of a succeeded refund: %v", err)
	}

	// Expired unused: cancelled by the payout pass, with its event.
	e := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("700")})
	env.Clock.Advance(31 * 24 * time.Hour)
	if _, err := svc.Claim(ctx, e.ClaimToken, env.Recipient(asset.Bitcoin, 12), ""); !errors.Is(err, refund.ErrClaimExpired) {
		t.Fatalf("claim after expiry: %v", err)
	}
	env.Sync()
	if got := get(t, env, e.ID); got.Status != refund.StatusCancelled || got.FailureReason == "" {
		t.Fatalf("expired refund: %+v", got)
	}
	if b := env.Balance("BTC"); !b.Held.IsZero() {
		t.Fatalf("held %s once every refund is paid or cancelled", b.Held)
	}
	if ev := env.EventTypes(e.ID); !slices.Contains(ev, refund.EventCancelled) {
		t.Fatalf("events of the expired refund: %v", ev)
	}
	env.Verify()
}

// TestRefund_RequestKeyAndApproval: a retried create returns the first refund; a
// refund above the approval threshold waits for the payout's code.
func TestRefund_RequestKeyAndApproval(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("500")}))
	inv := paid(t, env, "BTC")
	p := refund.CreateParams{RequestKey: "k1", InvoiceID: inv.ID, Amount: kassatest.Dec("600"), Destination: env.Recipient(asset.Bitcoin, 13)}
	r := create(t, env, p)
	if again := create(t, env, p); again.ID != r.ID {
		t.Fatalf("retry made %s after %s", again.ID, r.ID)
	}
	if r.Status != refund.StatusPendingVerification {
		t.Fatalf("refund above the threshold: %+v", r)
	}
	if _, err := env.Gateway.Payouts().Verify(ctx, asset.Test, *r.PayoutID, env.Code(*r.PayoutID)); err != nil {
		t.Fatal(err)
	}
	if got := get(t, env, r.ID); got.Status != refund.StatusProcessing {
		t.Fatalf("refund after its code: %+v", got)
	}
	env.Mine(asset.Bitcoin, 1)
	if got := get(t, env, r.ID); got.Status != refund.StatusSucceeded {
		t.Fatalf("refund: %+v", got)
	}
	if got := env.Invoice(inv.ID); !got.AmountRefunded.Equal(kassatest.Dec("600")) || got.Refunded {
		t.Fatalf("invoice after a partial refund: %s %v", got.AmountRefunded, got.Refunded)
	}
	env.Verify()
}

// TestRefund_RateCurrent converts the price amount at today's rate, rounded down, and
// never gives back more crypto than the payer sent: after BTC fell from 65,000 to
// 20,000 USD, 600 USD of a 1,000 USD invoice is more BTC than was paid and is refused;
// 200 USD (0.01 BTC) passes.
func TestRefund_RateCurrent(t *testing.T) {
	fixed := kassatest.DefaultRates()
	env := kassatest.New(t, kassatest.WithRates(fixed))
	inv := paid(t, env, "ETH")
	r := create(t, env, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("100"), Rate: refund.RateCurrent, Destination: env.Recipient(asset.Ethereum, 2)})
	if want := kassatest.Dec("100").DivRound(kassatest.Dec("3000"), 26).RoundFloor(18); !r.RefundAmount.Equal(want) || r.Rate != refund.RateCurrent {
		t.Fatalf("refund at the current rate: %s, want %s", r.RefundAmount, want)
	}
	env.Mine(asset.Ethereum, 12)

	btc := paid(t, env, "BTC")
	fixed["BTC"] = kassatest.Dec("20000") // read by the rate cache when it next refreshes
	env.Advance(time.Hour)
	_, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: btc.ID, Amount: kassatest.Dec("600"), Rate: refund.RateCurrent,
		Destination: env.Recipient(asset.Bitcoin, 2)})
	if !errors.Is(err, refund.ErrExceedsPayment) || !field(err, "amount") {
		t.Fatalf("more BTC than the payer sent: %v", err)
	}
	r = create(t, env, refund.CreateParams{InvoiceID: btc.ID, Amount: kassatest.Dec("200"), Rate: refund.RateCurrent, Destination: env.Recipient(asset.Bitcoin, 2)})
	if !r.RefundAmount.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("200 USD at 20,000: %s BTC", r.RefundAmount)
	}
	env.Mine(asset.Bitcoin, 1)
	env.Verify()
}

// TestRefund_ClaimLinkBelowTheMinimumIsRefused: a refund waiting for an address is
// checked as its payout will be: below the minimum payout it is refused at once,
// nothing stored, rather than a link that can never pay.
func TestRefund_ClaimLinkBelowTheMinimumIsRefused(t *testing.T) {
	env := kassatest.New(t)
	inv := paid(t, env, "BTC")
	_, err := env.Gateway.Refunds().Create(ctx, asset.Test, refund.CreateParams{InvoiceID: inv.ID, Amount: kassatest.Dec("5")})
	if !errors.Is(err, payout.ErrBelowMinimum) || !field(err, "amount") {
		t.Fatalf("a 5 USD claim link: %v", err)
	}
	if rs, _ := env.Gateway.Refunds().ForInvoice(ctx, asset.Test, inv.ID); len(rs) != 0 {
		t.Fatalf("stored: %+v", rs)
	}
	if b := env.Balance("BTC"); !b.Held.IsZero() {
		t.Fatalf("held %s", b.Held)
	}
}
