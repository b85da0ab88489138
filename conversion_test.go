package kassa_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/storage/storagetest"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// exchange is an operator's exchange for tests: it converts at a fixed rate, keeps a
// fee, is idempotent by Request.ID (a conversion it made is answered again, never
// made twice), and can be told to fail for good or to err without an answer.
type exchange struct {
	mu      sync.Mutex
	rate    decimal.Decimal
	fee     decimal.Decimal
	refuse  bool
	down    error // returned, without converting, while set
	made    map[string]conversion.Result
	calls   int
	convert int // conversions made (not answers given)
}

func (x *exchange) Convert(_ context.Context, r conversion.Request) (conversion.Result, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls++
	if res, ok := x.made[r.ID]; ok {
		return res, nil
	}
	if x.down != nil {
		return conversion.Result{}, x.down
	}
	if x.refuse {
		return conversion.Result{}, fmt.Errorf("%w: no liquidity for %s", conversion.ErrRefused, r.To)
	}
	gross := r.Amount.Mul(x.rate)
	res := conversion.Result{Status: conversion.StatusCompleted, Rate: x.rate, Received: conversion.RoundReceived(gross.Sub(x.fee), 6), Fee: x.fee}
	if x.made == nil {
		x.made = map[string]conversion.Result{}
	}
	x.made[r.ID] = res
	x.convert++
	return res, nil
}

func digest(t *testing.T, env *kassatest.Env) string {
	t.Helper()
	d, err := storagetest.Digest(context.Background(), env.Store)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func verify(t *testing.T, env *kassatest.Env) {
	t.Helper()
	if err := env.Gateway.VerifyLedger(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func hasEvent(env *kassatest.Env, id, typ string) bool {
	for _, e := range env.EventTypes(id) {
		if string(e) == typ {
			return true
		}
	}
	return false
}

// TestConversion_MovesExactlyBetweenBalances: BTC paid in on the sim chain converts
// at the built-in test exchanger's rate (65000 USD per BTC, USDT at par): the BTC
// balance falls by the amount to the satoshi, USDT_TRON rises by amount x rate
// rounded down to 6 decimals, nothing stays held, the ledger verifies, and
// conversion.completed is sent. The same request key answers the same conversion
// and converts nothing again.
func TestConversion_MovesExactlyBetweenBalances(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	env.Fund("BTC", "0.5")
	svc := env.Gateway.Conversions()
	c, err := svc.Create(ctx, asset.Test, conversion.CreateParams{From: "btc", To: "usdt-trc20", Amount: kassatest.Dec("0.12345679"), RequestKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	// 0.12345679 x 65000 = 8024.69135: exact at 6 decimals.
	if c.Status != conversion.StatusCompleted || c.From != "BTC" || c.To != "USDT_TRON" || !c.Rate.Equal(kassatest.Dec("65000")) ||
		!c.Received.Equal(kassatest.Dec("8024.69135")) || !c.Fee.IsZero() {
		t.Fatalf("conversion %+v", c)
	}
	btc, usdt := env.Balance("BTC"), env.Balance("USDT_TRON")
	if !btc.Available.Equal(kassatest.Dec("0.37654321")) || !btc.Held.IsZero() || !usdt.Available.Equal(kassatest.Dec("8024.69135")) {
		t.Fatalf("balances: BTC %+v, USDT_TRON %+v", btc, usdt)
	}
	verify(t, env)
	again, err := svc.Create(ctx, asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.12345679"), RequestKey: "k1"})
	if err != nil || again.ID != c.ID {
		t.Fatalf("the same request key: %v, %v; want %s", again, err, c.ID)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(btc.Available) {
		t.Fatalf("the same request key converted again: BTC %s", b.Available)
	}
	env.Sync()
	if !hasEvent(env, c.ID, string(conversion.EventCompleted)) {
		t.Errorf("events of %s: %v, want conversion.completed", c.ID, env.EventTypes(c.ID))
	}
	got, err := svc.Get(ctx, asset.Test, c.ID)
	if err != nil || got.Status != conversion.StatusCompleted || !got.Received.Equal(c.Received) {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	if _, err := svc.Get(ctx, asset.Live, c.ID); !errors.Is(err, conversion.ErrNotFound) {
		t.Fatalf("Get in live mode: %v, want ErrNotFound", err)
	}
	list, total, err := svc.List(ctx, conversion.ListParams{Mode: asset.Test})
	if err != nil || total != 1 || list[0].ID != c.ID {
		t.Fatalf("List: %v (total %d), %v", list, total, err)
	}
}

// TestConversion_RefusedInputChangesNothing: more than the available balance is
// insufficient_funds on amount; unknown or equal currencies, over-precise, zero and
// negative amounts are each named; a live conversion without an operator's exchange
// is unavailable. Nothing is written by any of them.
func TestConversion_RefusedInputChangesNothing(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	env.Fund("BTC", "0.1")
	before := digest(t, env)
	svc := env.Gateway.Conversions()
	_, err := svc.Create(ctx, asset.Test, conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("0.10000001")})
	var fe *kassa.FieldError
	if !errors.Is(err, conversion.ErrInsufficientFunds) || !errors.As(err, &fe) || fe.Field != "amount" {
		t.Fatalf("over the balance: %v, want ErrInsufficientFunds on amount", err)
	}
	for _, c := range []struct {
		p     conversion.CreateParams
		field string
		want  error
	}{
		{conversion.CreateParams{From: "DOGE", To: "ETH", Amount: kassatest.Dec("0.01")}, "from_currency", asset.ErrUnknownAsset},
		{conversion.CreateParams{From: "BTC", To: "USDT", Amount: kassatest.Dec("0.01")}, "to_currency", asset.ErrAmbiguousAsset},
		{conversion.CreateParams{From: "BTC", To: "btc", Amount: kassatest.Dec("0.01")}, "to_currency", conversion.ErrSameCurrency},
		{conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("0.000000001")}, "amount", asset.ErrTooPrecise},
		{conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("0")}, "amount", asset.ErrZeroAmount},
		{conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("-1")}, "amount", asset.ErrNegativeAmount},
		{conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("1e70")}, "amount", asset.ErrAmountTooLarge},
		{conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("0.01"), SubMerchantID: "sm_unknown"}, "sub_merchant_id", nil},
	} {
		_, err := svc.Create(ctx, asset.Test, c.p)
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.field] == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%+v: %v, want %v on %s", c.p, err, c.want, c.field)
		}
	}
	if _, err := svc.Create(ctx, asset.Live, conversion.CreateParams{From: "BTC", To: "ETH", Amount: kassatest.Dec("0.01")}); !errors.Is(err, conversion.ErrUnavailable) {
		t.Fatalf("live mode without an exchange: %v, want ErrUnavailable", err)
	}
	if after := digest(t, env); after != before {
		t.Fatalf("refused conversions changed the store:\nbefore %s\nafter  %s", before, after)
	}
	verify(t, env)
}

// TestConversion_RefusedByTheExchangeVoidsTheHold: an exchange that says no leaves
// the conversion failed with its reason, the hold void (the whole amount available
// again) and conversion.failed sent; the ledger verifies.
func TestConversion_RefusedByTheExchangeVoidsTheHold(t *testing.T) {
	x := &exchange{rate: kassatest.Dec("65000"), refuse: true}
	env := kassatest.New(t, kassatest.WithExchanger(x))
	ctx := context.Background()
	env.Fund("BTC", "0.2")
	c, err := env.Gateway.Conversions().Create(ctx, asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.15")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != conversion.StatusFailed || c.FailureReason == "" || !c.Received.IsZero() {
		t.Fatalf("conversion %+v, want failed with a reason", c)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.2")) || !b.Held.IsZero() {
		t.Fatalf("BTC after a refusal: %+v, want all of it available", b)
	}
	if b := env.Balance("USDT_TRON"); !b.Available.IsZero() {
		t.Fatalf("USDT_TRON after a refusal: %+v", b)
	}
	verify(t, env)
	env.Sync()
	if !hasEvent(env, c.ID, string(conversion.EventFailed)) {
		t.Errorf("events of %s: %v, want conversion.failed", c.ID, env.EventTypes(c.ID))
	}
}

// TestConversion_PendingAfterACrashCompletesOnce: the exchange does not answer (the
// create's context ended, the process died): the conversion stays pending with the
// amount held. The recovery pass leaves it alone until RetryAfter, then asks again
// with the same id, books the answer once (the operator's fee apart), and later
// passes change nothing; the exchange converted once.
func TestConversion_PendingAfterACrashCompletesOnce(t *testing.T) {
	x := &exchange{rate: kassatest.Dec("3000"), fee: kassatest.Dec("1.5"), down: context.Canceled}
	env := kassatest.New(t, kassatest.WithExchanger(x))
	ctx := context.Background()
	env.Fund("ETH", "2")
	c, err := env.Gateway.Conversions().Create(ctx, asset.Test, conversion.CreateParams{From: "ETH", To: "USDT_TRON", Amount: kassatest.Dec("1.25")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != conversion.StatusPending {
		t.Fatalf("conversion %+v, want pending", c)
	}
	if b := env.Balance("ETH"); !b.Available.Equal(kassatest.Dec("0.75")) || !b.Held.Equal(kassatest.Dec("1.25")) {
		t.Fatalf("ETH while pending: %+v, want 0.75 available and 1.25 held", b)
	}
	x.mu.Lock()
	x.down = nil // the exchange is back
	x.mu.Unlock()
	env.Sync() // too early: a create may still be waiting for its answer
	if got, _ := env.Gateway.Conversions().Get(ctx, asset.Test, c.ID); got.Status != conversion.StatusPending {
		t.Fatalf("the recovery pass asked before RetryAfter: %s", got.Status)
	}
	env.Clock.Advance(conversion.RetryAfter + time.Second)
	env.Sync()
	got, err := env.Gateway.Conversions().Get(ctx, asset.Test, c.ID)
	if err != nil || got.Status != conversion.StatusCompleted {
		t.Fatalf("after recovery: %+v, %v", got, err)
	}
	// 1.25 x 3000 = 3750, less the fee of 1.5.
	want := kassatest.Dec("3748.5")
	for range 3 {
		env.Clock.Advance(conversion.RetryAfter + time.Second)
		env.Sync()
	}
	if b := env.Balance("USDT_TRON"); !b.Available.Equal(want) {
		t.Fatalf("USDT_TRON %s, want %s once", b.Available, want)
	}
	if b := env.Balance("ETH"); !b.Available.Equal(kassatest.Dec("0.75")) || !b.Held.IsZero() {
		t.Fatalf("ETH after recovery: %+v", b)
	}
	verify(t, env)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.convert != 1 {
		t.Fatalf("the exchange converted %d times, want 1", x.convert)
	}
}

// TestEstimatePrice_RoundsDownToTheQuoteDecimals: an estimate is amount x rate,
// rounded down to the quote currency's decimals (EUR: 2; USDT on several networks:
// the fewest, 6), with the rate's source and time; each bad field is named.
func TestEstimatePrice_RoundsDownToTheQuoteDecimals(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	// 65000 / 1.08 = 60185.185185...; x 0.5 = 30092.5925925...: down to 30092.59.
	e, err := env.Gateway.EstimatePrice(ctx, asset.Test, "BTC", "EUR", kassatest.Dec("0.5"))
	if err != nil {
		t.Fatal(err)
	}
	if !e.EstimatedReceived.Equal(kassatest.Dec("30092.59")) || e.Source != "fixed" || !e.AsOf.Equal(env.Clock.Now()) {
		t.Fatalf("BTC in EUR: %+v", e)
	}
	// 1.000001 USDT at 8 TRX each: exact at TRX's 6 decimals.
	e, err = env.Gateway.EstimatePrice(ctx, asset.Test, "usdt_tron", "TRX", kassatest.Dec("1.000001"))
	if err != nil {
		t.Fatal(err)
	}
	if !e.Rate.Equal(kassatest.Dec("8")) || !e.EstimatedReceived.Equal(kassatest.Dec("8.000008")) || e.Base != "USDT" {
		t.Fatalf("USDT_TRON in TRX: %+v", e)
	}
	if e, err = env.Gateway.EstimatePrice(ctx, asset.Test, "TRX", "USDT", kassatest.Dec("0.000007")); err != nil || !e.EstimatedReceived.IsZero() {
		t.Fatalf("7 sun in USDT: %+v, %v; want 0 (0.000000875 rounded down)", e, err)
	}
	for _, c := range []struct {
		base, quote, amount string
		field               string
		want                error
	}{
		{"DOGE", "USD", "1", "base_currency", asset.ErrUnknownAsset},
		{"BTC", "XYZ", "1", "quote_currency", asset.ErrUnknownAsset},
		{"BTC", "btc", "1", "quote_currency", kassa.ErrSameCurrency},
		{"BTC", "USD", "0", "amount", asset.ErrZeroAmount},
		{"BTC", "USD", "-0.1", "amount", asset.ErrNegativeAmount},
		{"BTC", "USD", "0.000000001", "amount", asset.ErrTooPrecise},
		{"USD", "BTC", "0.001", "amount", asset.ErrTooPrecise},
		{"BTC", "USD", "1000.00000001", "amount", asset.ErrAmountTooLarge},
		{"EUR", "BTC", "1000000000001", "amount", asset.ErrAmountTooLarge},
	} {
		_, err := env.Gateway.EstimatePrice(ctx, asset.Test, c.base, c.quote, kassatest.Dec(c.amount))
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.field] == nil || !errors.Is(err, c.want) {
			t.Errorf("%s %s in %s: %v, want %v on %s", c.amount, c.base, c.quote, err, c.want, c.field)
		}
	}
}

// answering is an exchange that answers whatever result it is given, and counts the
// calls.
type answering struct {
	res   conversion.Result
	calls atomic.Int32
}

func (a *answering) Convert(context.Context, conversion.Request) (conversion.Result, error) {
	a.calls.Add(1)
	return a.res, nil
}

// TestConversion_TestMoneyNeverReachesTheLiveExchange: a Gateway with an operator's
// (live) exchange converts test money with the built-in test exchange: the live one
// is never asked.
func TestConversion_TestMoneyNeverReachesTheLiveExchange(t *testing.T) {
	live := &answering{res: conversion.Result{Status: conversion.StatusFailed, Reason: "live only"}}
	env := kassatest.New(t, kassatest.WithLiveExchanger(live))
	env.Fund("BTC", "0.1")
	c, err := env.Gateway.Conversions().Create(context.Background(), asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.01")})
	if err != nil || c.Status != conversion.StatusCompleted || !c.Received.Equal(kassatest.Dec("650")) {
		t.Fatalf("a test conversion: %+v %v", c, err)
	}
	if n := live.calls.Load(); n != 0 {
		t.Fatalf("the live exchange was asked %d times for test money", n)
	}
}

// TestConversion_AResultIsRoundedDownAndCheckedForSense: an exchange's result finer
// than the target's decimals is rounded down (the dust stays with the exchange); one
// whose amounts contradict its rate (base units answered for units) is not booked:
// the conversion stays pending with its amount held.
func TestConversion_AResultIsRoundedDownAndCheckedForSense(t *testing.T) {
	x := &answering{res: conversion.Result{Status: conversion.StatusCompleted, Rate: kassatest.Dec("65000"),
		Received: kassatest.Dec("649.99999999"), Fee: kassatest.Dec("0.00000001")}}
	env := kassatest.New(t, kassatest.WithExchanger(x))
	ctx := context.Background()
	env.Fund("BTC", "0.1")
	c, err := env.Gateway.Conversions().Create(ctx, asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.01")})
	if err != nil || c.Status != conversion.StatusCompleted || !c.Received.Equal(kassatest.Dec("649.999999")) || !c.Fee.IsZero() {
		t.Fatalf("an over-precise result: %+v %v", c, err)
	}
	if got := env.Balance("USDT_TRON").Available; !got.Equal(kassatest.Dec("649.999999")) {
		t.Fatalf("USDT_TRON available %s", got)
	}
	x.res.Received = kassatest.Dec("650000000") // 650 USDT in base units
	c, err = env.Gateway.Conversions().Create(ctx, asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.01")})
	if err != nil || c.Status != conversion.StatusPending {
		t.Fatalf("a result that contradicts its rate: %+v %v", c, err)
	}
	if b := env.Balance("BTC"); !b.Held.Equal(kassatest.Dec("0.01")) || !env.Balance("USDT_TRON").Available.Equal(kassatest.Dec("649.999999")) {
		t.Fatalf("after a contradictory result: BTC %+v", b)
	}
	verify(t, env)
}

// TestConversion_ToAnAssetNotEnabledIsRefused: converting into an asset no chain
// backend runs for (its balance could be neither paid out nor swept) is refused,
// naming to_currency, and nothing is written.
func TestConversion_ToAnAssetNotEnabledIsRefused(t *testing.T) {
	chain := kassatest.SimChain(asset.Bitcoin, asset.Test)
	env := kassatest.New(t, kassatest.WithBackends(chain))
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.1"), Currency: "BTC"})
	chain.Pay(env.Method(inv, "BTC").Address, "BTC", env.Units("BTC", "0.1"))
	chain.Mine(6)
	env.Sync()
	if got := env.Balance("BTC").Available; !got.Equal(kassatest.Dec("0.1")) {
		t.Fatalf("funded %s", got)
	}
	before := digest(t, env)
	_, err := env.Gateway.Conversions().Create(context.Background(), asset.Test, conversion.CreateParams{From: "BTC", To: "USDT_TRON", Amount: kassatest.Dec("0.01")})
	var ve *validation.Error
	if !errors.As(err, &ve) || ve.Fields["to_currency"] == nil || !errors.Is(err, asset.ErrNotEnabled) {
		t.Fatalf("a conversion into an asset not enabled: %v", err)
	}
	if digest(t, env) != before {
		t.Fatal("a refused conversion wrote something")
	}
}
