package payout_test

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/validation"
)

func accountBalance(t *testing.T, env *kassatest.Env, name string) string {
	t.Helper()
	var s string
	err := env.Store.Update(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		acc, err := tx.LockAccount(ctx, name)
		if err != nil {
			return err
		}
		s = acc.Balance.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hasField reports whether err is a validation error naming field.
var hasField = validation.HasField

func TestPayout_BTCIsBroadcastMinedAndBookedExactly(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ServiceFeePercent: kassatest.Dec("1")}))
	env.Fund("BTC", "0.1")
	p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.05"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 1)})
	// 1% service fee and the sim's flat 1000 sat network fee come out of the amount.
	if p.Status != payout.StatusBroadcast || p.TxHash == "" || !p.ServiceFee.Equal(kassatest.Dec("0.0005")) ||
		!p.EstimatedFee.Equal(kassatest.Dec("0.00001")) || !p.NetAmount.Equal(kassatest.Dec("0.04949")) || p.FeeCurrency != "BTC" {
		t.Fatalf("payout after create: %+v", p)
	}
	if conf, failed, known := env.Chain(asset.Bitcoin).TxStatus(p.TxHash); !known || failed || conf != 0 {
		t.Fatalf("tx %s on chain: conf %d failed %v known %v", p.TxHash, conf, failed, known)
	}
	b := env.Balance("BTC")
	if !b.Available.Equal(kassatest.Dec("0.05")) || !b.Held.Equal(kassatest.Dec("0.05")) {
		t.Fatalf("balance while broadcast: %+v", b)
	}
	env.Sync() // not mined yet: nothing changes
	if got := env.Payout(p.ID); got.Status != payout.StatusBroadcast {
		t.Fatalf("unmined payout is %s", got.Status)
	}
	env.Mine(asset.Bitcoin, 1)
	got := env.Payout(p.ID)
	if got.Status != payout.StatusCompleted || got.Fee == nil || !got.Fee.Equal(kassatest.Dec("0.00001")) || got.CompletedAt == nil {
		t.Fatalf("payout after mining: %+v", got)
	}
	b = env.Balance("BTC")
	if !b.Available.Equal(kassatest.Dec("0.05")) || !b.Held.IsZero() {
		t.Fatalf("balance after completion: %+v", b)
	}
	if s := accountBalance(t, env, payout.OperatorAccount(asset.Test, "BTC")); s != "50000" {
		t.Fatalf("operator service fee account holds %s sat, want 50000", s)
	}
	if s := accountBalance(t, env, ledger.NetworkFees(asset.Test, "BTC")); s != "1000" {
		t.Fatalf("network fee account holds %s sat, want 1000", s)
	}
	env.Verify()
	types := env.EventTypes(p.ID)
	if !slices.Equal(types, []event.Type{payout.EventCreated, payout.EventBroadcast, payout.EventCompleted}) {
		t.Fatalf("events %v", types)
	}
	// A second pass neither books again nor sends again.
	env.Mine(asset.Bitcoin, 1)
	env.Verify()
	if s := accountBalance(t, env, ledger.NetworkFees(asset.Test, "BTC")); s != "1000" {
		t.Fatalf("fee booked twice: %s", s)
	}
}

func TestPayout_NodeRefusalRollsBackTheHold(t *testing.T) {
	env := kassatest.New(t)
	env.Fund("BTC", "0.1")
	env.Chain(asset.Bitcoin).RejectSends("min relay fee not met")
	_, err := env.Gateway.Payouts().Create(context.Background(), asset.Test,
		payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 2)})
	var be *payout.BroadcastError
	if !errors.As(err, &be) {
		t.Fatalf("create with a refusing node: %v", err)
	}
	p := env.Payout(be.PayoutID)
	if p.Status != payout.StatusFailed || p.FailureReason == "" {
		t.Fatalf("refused payout: %+v", p)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.1")) || !b.Held.IsZero() {
		t.Fatalf("balance after refusal: %+v", b)
	}
	env.Chain(asset.Bitcoin).RejectSends("")
	env.Sync() // a failed payout is never retried
	if got := env.Payout(p.ID); got.Status != payout.StatusFailed || got.TxHash != "" {
		t.Fatalf("failed payout moved: %+v", got)
	}
	env.Verify()
}

func TestPayout_NodeDownLeavesItProcessingThenBroadcastsOnce(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("100")}))
	env.Fund("BTC", "0.1")
	chain := env.Chain(asset.Bitcoin)
	p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 3)})
	// The code is right but the node is down: the payout stays processing, still held.
	chain.SetOffline(true)
	got, err := env.Gateway.Payouts().Verify(context.Background(), asset.Test, p.ID, env.Code(p.ID))
	if err != nil || got.Status != payout.StatusProcessing {
		t.Fatalf("verify with the node down: %+v, %v", got, err)
	}
	if err := env.Gateway.Sync(context.Background()); err == nil {
		t.Fatal("sync with the node down reported no error")
	}
	if b := env.Balance("BTC"); !b.Held.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("deferred payout not held: %+v", b)
	}
	chain.SetOffline(false)
	env.Sync() // the background pass broadcasts it
	got = env.Payout(p.ID)
	if got.Status != payout.StatusBroadcast || got.TxHash == "" {
		t.Fatalf("after the node is back: %+v", got)
	}
	env.Sync() // and never twice
	if again := env.Payout(p.ID); again.TxHash != got.TxHash {
		t.Fatalf("sent twice: %s then %s", got.TxHash, again.TxHash)
	}
	env.Mine(asset.Bitcoin, 1)
	if got := env.Payout(p.ID); got.Status != payout.StatusCompleted {
		t.Fatalf("payout is %s", got.Status)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.09")) || !b.Held.IsZero() {
		t.Fatalf("balance: %+v", b)
	}
	env.Verify()
}

func TestPayout_BadInputIsRejectedWithTheFieldAndHoldsNothing(t *testing.T) {
	env := kassatest.New(t)
	env.Fund("BTC", "0.1")
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	own := env.Method(inv, "BTC").Address
	ownETH := env.Method(env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "ETH"}), "ETH").Address
	cases := []struct {
		name  string
		mode  asset.Mode
		c     payout.CreateParams
		field string
		is    error
	}{
		{"zero", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", nil},
		{"negative", asset.Test, payout.CreateParams{Amount: kassatest.Dec("-1"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", nil},
		{"over-precise", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.011111111"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", nil},
		{"below minimum", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.0001"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", payout.ErrBelowMinimum},
		{"more than available", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.2"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", payout.ErrInsufficientFunds},
		{"huge", asset.Test, payout.CreateParams{Amount: kassatest.Dec("1e40"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "amount", nil},
		{"unknown asset", asset.Test, payout.CreateParams{Amount: kassatest.Dec("1"), Currency: "DOGE", Destination: env.Recipient(asset.Bitcoin, 4)}, "currency", nil},
		{"bad address", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "two words"}, "destination_address", chains.ErrInvalidAddress},
		{"empty address", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"}, "destination_address", chains.ErrInvalidAddress},
		{"own deposit address", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: own}, "destination_address", payout.ErrOwnAddress},
		// Issue 14.5: compared by what they pay to, not by their spelling.
		{"own deposit address in upper case", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: strings.ToUpper(own)}, "destination_address", payout.ErrOwnAddress},
		{"own EVM deposit address in lower case", asset.Test, payout.CreateParams{Amount: kassatest.Dec("1"), Currency: "USDT", Network: "ethereum", Destination: strings.ToLower(ownETH)}, "destination_address", payout.ErrOwnAddress},
		// Issue 14.15: the sim chain checks addresses as the network it stands in for.
		{"not an address", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "not-an-address"}, "destination_address", chains.ErrInvalidAddress},
		{"mainnet address in test mode", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}, "destination_address", chains.ErrInvalidAddress},
		{"live mode without a live chain", asset.Live, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}, "network", payout.ErrNoSender},
		{"metadata not an object", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4), Metadata: []byte(`[1]`)}, "metadata", invoice.ErrNotObject},
		{"metadata not JSON", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4), Metadata: []byte(`{"a":`)}, "metadata", invoice.ErrNotObject},
		{"customer id too long", asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4), CustomerID: strings.Repeat("c", 129)}, "customer_id", invoice.ErrTooLarge},
		{"token without gas", asset.Test, payout.CreateParams{Amount: kassatest.Dec("10"), Currency: "USDT", Network: "ethereum", Destination: env.Recipient(asset.Ethereum, 1)}, "amount", nil},
	}
	env.Fund("USDT_ETHEREUM", "20")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Gateway.Payouts().Create(context.Background(), tc.mode, tc.c)
			if !hasField(err, tc.field) {
				t.Fatalf("error %v, want one on field %q", err, tc.field)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
		})
	}
	ps, total, err := env.Gateway.Payouts().List(context.Background(), asset.Test, "", nil, 1, 50)
	if err != nil || total != 0 || len(ps) != 0 {
		t.Fatalf("bad input created payouts: %d, %v", total, err)
	}
	for _, code := range []string{"BTC", "USDT_ETHEREUM", "ETH"} {
		if b := env.Balance(code); !b.Held.IsZero() {
			t.Fatalf("bad input held %s: %+v", code, b)
		}
	}
	env.Verify()
}

func TestPayout_TokenHoldsGasInTheNativeCoin(t *testing.T) {
	env := kassatest.New(t)
	env.Fund("USDT_ETHEREUM", "50")
	env.Fund("ETH", "0.01")
	p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("20"), Currency: "USDT", Network: "ethereum", Destination: env.Recipient(asset.Ethereum, 1)})
	if p.Status != payout.StatusBroadcast || !p.NetAmount.Equal(kassatest.Dec("20")) || p.FeeCurrency != "ETH" {
		t.Fatalf("token payout: %+v", p)
	}
	if b := env.Balance("ETH"); !b.Held.Equal(p.EstimatedFee) {
		t.Fatalf("gas hold %s, want %s", b.Held, p.EstimatedFee)
	}
	env.Mine(asset.Ethereum, 12) // ETH payouts complete at 12 confirmations
	got := env.Payout(p.ID)
	if got.Status != payout.StatusCompleted {
		t.Fatalf("token payout is %s", got.Status)
	}
	if b := env.Balance("USDT_ETHEREUM"); !b.Available.Equal(kassatest.Dec("30")) || !b.Held.IsZero() {
		t.Fatalf("USDT after payout: %+v", b)
	}
	if b := env.Balance("ETH"); !b.Available.Equal(kassatest.Dec("0.01").Sub(*got.Fee)) || !b.Held.IsZero() {
		t.Fatalf("ETH after payout (fee %s): %+v", got.Fee, b)
	}
	env.Verify()
}

func TestPayout_AboveThresholdWaitsForTheCode(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("1000")}))
	env.Fund("BTC", "0.2")
	ctx := context.Background()
	svc := env.Gateway.Payouts()
	small := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}) // 650 USD
	if small.Status != payout.StatusBroadcast {
		t.Fatalf("small payout is %s", small.Status)
	}
	big := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.05"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)}) // 3250 USD
	code := env.Code(big.ID)
	if big.Status != payout.StatusPendingVerification || big.TxHash != "" || len(code) != 6 {
		t.Fatalf("big payout: %+v, code %q", big, code)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := svc.Verify(ctx, asset.Test, big.ID, wrong); !errors.Is(err, payout.ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := svc.Verify(ctx, asset.Live, big.ID, code); !errors.Is(err, payout.ErrNotFound) {
		t.Fatalf("verify in the other mode: %v", err)
	}
	p, err := svc.Verify(ctx, asset.Test, big.ID, code)
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("right code: %+v, %v", p, err)
	}
	if _, err := svc.Verify(ctx, asset.Test, big.ID, code); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("code replayed: %v", err)
	}
	env.Mine(asset.Bitcoin, 1)
	env.Verify()
}

func TestPayout_FiveWrongCodesOrExpiryCancelAndRelease(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("100")}))
	env.Fund("BTC", "0.1")
	ctx := context.Background()
	svc := env.Gateway.Payouts()
	a := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)})
	code := env.Code(a.ID)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		if _, err := svc.Verify(ctx, asset.Test, a.ID, wrong); !errors.Is(err, payout.ErrBadCode) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	if got := env.Payout(a.ID); got.Status != payout.StatusCancelled {
		t.Fatalf("after five wrong codes: %s", got.Status)
	}
	if _, err := svc.Verify(ctx, asset.Test, a.ID, code); !errors.Is(err, payout.ErrInvalidState) {
		t.Fatalf("right code after cancel: %v", err)
	}
	b := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.03"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 4)})
	env.Advance(11 * time.Minute) // syncs: the expired code cancels the payout
	if got := env.Payout(b.ID); got.Status != payout.StatusCancelled {
		t.Fatalf("after expiry: %s", got.Status)
	}
	if bal := env.Balance("BTC"); !bal.Available.Equal(kassatest.Dec("0.1")) || !bal.Held.IsZero() {
		t.Fatalf("balance after cancels: %+v", bal)
	}
	env.Verify()
}

func TestPayout_MassIsAllOrNothing(t *testing.T) {
	env := kassatest.New(t)
	env.Fund("BTC", "0.1")
	ctx := context.Background()
	svc := env.Gateway.Payouts()
	dests := []payout.CreateParams{
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 5)},
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "b c"},
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 6)},
	}
	_, _, err := svc.CreateMass(ctx, asset.Test, payout.MassParams{Destinations: dests})
	if !hasField(err, "destinations[1].destination_address") {
		t.Fatalf("mass with a bad address: %v", err)
	}
	dests[1].Destination = env.Recipient(asset.Bitcoin, 7)
	dests[2].Amount = kassatest.Dec("0.09") // together more than available
	_, _, err = svc.CreateMass(ctx, asset.Test, payout.MassParams{Destinations: dests})
	if !errors.Is(err, payout.ErrInsufficientFunds) {
		t.Fatalf("mass above the balance: %v", err)
	}
	if b := env.Balance("BTC"); !b.Held.IsZero() {
		t.Fatalf("refused mass held money: %+v", b)
	}
	if _, _, err := svc.CreateMass(ctx, asset.Test, payout.MassParams{}); !errors.Is(err, payout.ErrTooManyDest) {
		t.Fatalf("empty mass: %v", err)
	}
	dests[2].Amount = kassatest.Dec("0.02")
	batch, ps, err := svc.CreateMass(ctx, asset.Test, payout.MassParams{BatchReference: "june", Destinations: dests})
	if err != nil || len(ps) != 3 || batch == "" {
		t.Fatalf("mass: %v, %d payouts", err, len(ps))
	}
	env.Mine(asset.Bitcoin, 1)
	for _, p := range ps {
		if got := env.Payout(p.ID); got.Status != payout.StatusCompleted || got.BatchID != batch || got.BatchRef != "june" {
			t.Fatalf("batch payout: %+v", got)
		}
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.06")) || !b.Held.IsZero() {
		t.Fatalf("balance after mass: %+v", b)
	}
	env.Verify()
}

func TestPayout_WatchOnlyGatewayCannotPayOut(t *testing.T) {
	full, err := keys.FromMnemonic(kassatest.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := full.AccountXPub(asset.FamilyEVM, asset.Test)
	if err != nil {
		t.Fatal(err)
	}
	c := sim.New(chains.NetworkRef{ID: asset.Ethereum, Mode: asset.Test})
	g, _ := kassatest.Gateway(t, kassa.Config{XPubs: []keys.XPub{{Family: asset.FamilyEVM, Mode: asset.Test, Key: xpub}},
		Chains: []chains.Backend{c}})
	_, err = g.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{Amount: kassatest.Dec("1"), Currency: "ETH", Destination: "x"})
	if !errors.Is(err, payout.ErrWatchOnly) || !hasField(err, "currency") {
		t.Fatalf("payout from a watch-only gateway: %v", err)
	}
	_, _, err = g.Payouts().CreateMass(context.Background(), asset.Test, payout.MassParams{Destinations: []payout.CreateParams{
		{Amount: kassatest.Dec("1"), Currency: "ETH", Destination: "x"}}})
	if !errors.Is(err, payout.ErrWatchOnly) {
		t.Fatalf("mass payout from a watch-only gateway: %v", err)
	}
}

func TestPayout_ConcurrentPayoutsNeverOverdraw(t *testing.T) {
	// The rolling approval limit is set out of the way: this test is about the ledger.
	env := kassatest.New(t, kassatest.WithDatabase(t.TempDir()+"/kassa.db"),
		kassatest.WithPayoutOptions(kassa.PayoutOptions{WindowUSD: kassatest.Dec("1000000")}))
	env.Fund("BTC", "0.1")
	const n = 12 // 12 x 0.01 > 0.1: at most 10 can be accepted
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = env.Gateway.Payouts().Create(context.Background(), asset.Test,
				payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, uint32(100+i))})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, payout.ErrInsufficientFunds):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 10 {
		t.Fatalf("%d payouts accepted from a balance for 10", ok)
	}
	env.Mine(asset.Bitcoin, 1)
	if b := env.Balance("BTC"); !b.Available.IsZero() || !b.Held.IsZero() {
		t.Fatalf("balance after concurrent payouts: %+v", b)
	}
	env.Verify()
}

// TestPayout_RequestKeyMakesCreateIdempotentAcrossRestarts: the API's Idempotency-Key
// reaches the service, which stores it with the payout in the payout's transaction. A
// retry after a crash (the response lost, the Idempotency-Key record still running)
// finds the first payout or batch instead of paying twice; another mode does not.
func TestPayout_RequestKeyMakesCreateIdempotentAcrossRestarts(t *testing.T) {
	env := kassatest.New(t, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	env.Fund("BTC", "0.1")
	ctx := context.Background()
	c := payout.CreateParams{RequestKey: "req-1", Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 5)}
	first := env.NewPayout(c)
	env.Restart()
	again, err := env.Gateway.Payouts().Create(ctx, asset.Test, c)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry after restart: %v, %+v (first %s)", err, again, first.ID)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.09")) || !b.Held.Equal(kassatest.Dec("0.01")) {
		t.Fatalf("one payout of 0.01 from 0.1, balance %+v", b)
	}
	if _, err := env.Gateway.Payouts().Create(ctx, asset.Test, payout.CreateParams{RequestKey: strings.Repeat("k", 256),
		Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 5)}); !hasField(err, "request_key") {
		t.Fatalf("a 256-character key: %v", err)
	}
	mp := payout.MassParams{RequestKey: "req-2", Destinations: []payout.CreateParams{
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 7)}, {Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 8)}}}
	batch, ps, err := env.Gateway.Payouts().CreateMass(ctx, asset.Test, mp)
	if err != nil || len(ps) != 2 {
		t.Fatalf("mass: %v", err)
	}
	batch2, ps2, err := env.Gateway.Payouts().CreateMass(ctx, asset.Test, mp)
	if err != nil || batch2 != batch || len(ps2) != 2 || ps2[0].ID != ps[0].ID {
		t.Fatalf("mass retry: %v, %s vs %s", err, batch2, batch)
	}
	env.Mine(asset.Bitcoin, 1)
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.06")) || !b.Held.IsZero() {
		t.Fatalf("balance after one payout and one batch: %+v", b)
	}
	env.Verify()
}

// TestPayout_StepReachesEveryOpenPayout: the background pass pages through every open
// payout. With more than a page (500) broadcast and waiting for a block, a newer one
// left processing by a node outage is still broadcast when the node is back (the pass
// used to read only the oldest 500, which starved it).
func TestPayout_StepReachesEveryOpenPayout(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("100"), WindowUSD: kassatest.Dec("1000000")}))
	env.Fund("BTC", "1")
	for i := range 501 {
		env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, uint32(1000+i))})
	}
	chain := env.Chain(asset.Bitcoin)
	last := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 9)}) // above 100 USD: a code
	chain.SetOffline(true)
	if p, err := env.Gateway.Payouts().Verify(context.Background(), asset.Test, last.ID, env.Code(last.ID)); err != nil || p.Status != payout.StatusProcessing {
		t.Fatalf("verify with the node down: %+v, %v", p, err)
	}
	chain.SetOffline(false)
	env.Sync()
	if p := env.Payout(last.ID); p.Status != payout.StatusBroadcast {
		t.Fatalf("the 502nd open payout is %s after a pass", p.Status)
	}
	env.Mine(asset.Bitcoin, 1)
	if ps, total, err := env.Gateway.Payouts().List(context.Background(), asset.Test, payout.StatusCompleted, nil, 1, 1); err != nil || total != 502 || len(ps) != 1 {
		t.Fatalf("completed: %d, %v", total, err)
	}
	env.Verify()
}

// TestPayout_UnminedTransactionIsSentAgain: a node that drops a payout's transaction
// from its mempool gets the same stored transaction again after RebroadcastAfter (not
// before, and never a second signature); it is then mined and the payout completes,
// paid once.
func TestPayout_UnminedTransactionIsSentAgain(t *testing.T) {
	env := kassatest.New(t)
	env.Fund("BTC", "0.1")
	chain := env.Chain(asset.Bitcoin)
	p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 10)})
	if !chain.Drop(p.TxHash) {
		t.Fatalf("payout tx %s not in the mempool", p.TxHash)
	}
	env.Mine(asset.Bitcoin, 1)
	if _, _, known := chain.TxStatus(p.TxHash); known {
		t.Fatal("sent again before RebroadcastAfter")
	}
	env.Advance(payout.RebroadcastAfter + time.Second)
	env.Sync()
	if c, _, known := chain.TxStatus(p.TxHash); !known || c != 0 {
		t.Fatalf("after RebroadcastAfter: known %v, %d confirmations", known, c)
	}
	env.Mine(asset.Bitcoin, 1)
	got := env.Payout(p.ID)
	if got.Status != payout.StatusCompleted || got.TxHash != p.TxHash {
		t.Fatalf("payout %s, tx %s (first %s)", got.Status, got.TxHash, p.TxHash)
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.09")) || !b.Held.IsZero() {
		t.Fatalf("balance %+v: paid once", b)
	}
	env.Verify()
}

// A mass payout whose total reaches the approval threshold waits for one code as a
// whole, although each destination is far below it (issue 14.1: 14 x 0.07 BTC went
// out without a code).
func TestPayout_MassWhoseTotalReachesTheThresholdWaitsForOneCode(t *testing.T) {
	env := kassatest.New(t) // approval at the default 5,000 USD; BTC at 65,000 USD
	env.Fund("BTC", "0.5")
	ctx := context.Background()
	svc := env.Gateway.Payouts()
	var dests []payout.CreateParams
	for i := range 14 {
		dests = append(dests, payout.CreateParams{Amount: kassatest.Dec("0.007"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, uint32(i))})
	}
	// 14 x 0.007 BTC = 0.098 BTC = 6,370 USD: each 455 USD, the batch over 5,000.
	batch, ps, err := svc.CreateMass(ctx, asset.Test, payout.MassParams{BatchReference: "split", Destinations: dests})
	if err != nil || len(ps) != 14 {
		t.Fatalf("mass: %v, %d payouts", err, len(ps))
	}
	code := env.Code(batch)
	if len(code) != 6 {
		t.Fatalf("batch code %q", code)
	}
	for _, p := range ps {
		if p.Status != payout.StatusPendingVerification || p.TxHash != "" || p.Approval != payout.ApprovalCode {
			t.Fatalf("batch payout went out without a code: %+v", p)
		}
	}
	if b := env.Balance("BTC"); !b.Held.Equal(kassatest.Dec("0.098")) {
		t.Fatalf("held while waiting: %+v", b)
	}
	// The code, given with any payout of the batch, releases all of them.
	p, err := svc.Verify(ctx, asset.Test, ps[5].ID, code)
	if err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("verify the batch: %+v, %v", p, err)
	}
	for _, q := range ps {
		if got := env.Payout(q.ID); got.Status != payout.StatusBroadcast || got.TxHash == "" {
			t.Fatalf("after the batch code, %s is %s", q.ID, got.Status)
		}
	}
	env.Mine(asset.Bitcoin, 1)
	for _, q := range ps {
		if got := env.Payout(q.ID); got.Status != payout.StatusCompleted {
			t.Fatalf("after mining, %s is %s", q.ID, got.Status)
		}
	}
	env.Verify()
}

// Five wrong codes for a batch that waits as a whole cancel all of it.
func TestPayout_WrongCodesCancelAWaitingBatchWhole(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{ApprovalUSD: kassatest.Dec("1000")}))
	env.Fund("BTC", "0.1")
	ctx := context.Background()
	svc := env.Gateway.Payouts()
	dests := []payout.CreateParams{
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 1)},
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 2)},
	} // 650 USD each, 1,300 together
	batch, ps, err := svc.CreateMass(ctx, asset.Test, payout.MassParams{Destinations: dests})
	if err != nil || len(ps) != 2 || ps[0].Status != payout.StatusPendingVerification || ps[1].Status != payout.StatusPendingVerification {
		t.Fatalf("mass over the threshold: %v %+v", err, ps)
	}
	wrong := "000000"
	if env.Code(batch) == wrong {
		wrong = "111111"
	}
	for range 5 {
		if _, err := svc.Verify(ctx, asset.Test, ps[0].ID, wrong); !errors.Is(err, payout.ErrBadCode) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	for _, p := range ps {
		if got := env.Payout(p.ID); got.Status != payout.StatusCancelled {
			t.Fatalf("after five wrong codes %s is %s", p.ID, got.Status)
		}
	}
	if b := env.Balance("BTC"); !b.Available.Equal(kassatest.Dec("0.1")) || !b.Held.IsZero() {
		t.Fatalf("balance after the batch was cancelled: %+v", b)
	}
	env.Verify()
}

// Single payouts under the threshold stop going out without a code once the rolling
// window's sum reaches the limit (issue 14.1: several single payouts under the
// threshold bypassed it). Payouts that failed do not count; the window slides.
func TestPayout_SplitSinglePayoutsReachTheRollingLimit(t *testing.T) {
	env := kassatest.New(t) // 5,000 USD in 24 h by default
	env.Fund("BTC", "0.5")
	pay := func(i uint32) *payout.Payout { // 0.02 BTC = 1,300 USD
		return env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, i)})
	}
	for i := range uint32(3) {
		if p := pay(i); p.Status != payout.StatusBroadcast || p.Approval != payout.ApprovalAutomatic || !p.ValueUSD.Equal(kassatest.Dec("1300")) {
			t.Fatalf("payout %d of 3,900 USD so far: %+v", i, p)
		}
	}
	env.Mine(asset.Bitcoin, 1)
	// 3,900 + 1,300 reaches 5,000: this one waits.
	held := pay(3)
	if held.Status != payout.StatusPendingVerification || held.Approval != payout.ApprovalCode || env.Code(held.ID) == "" {
		t.Fatalf("payout over the rolling limit: %+v", held)
	}
	// A payout the node refused gave nothing away: it does not count.
	env.Chain(asset.Bitcoin).RejectSends("fee too low")
	env.Advance(11 * time.Minute) // the held payout's code expires
	_, err := env.Gateway.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 9)})
	var be *payout.BroadcastError
	if !errors.As(err, &be) {
		t.Fatalf("refused payout: %v", err)
	}
	env.Chain(asset.Bitcoin).RejectSends("")
	if p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.0015"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 10)}); p.Status != payout.StatusBroadcast {
		t.Fatalf("97.50 USD on top of 3,900 (the refused one not counted): %+v", p)
	}
	// A day after the first three, they leave the window.
	env.Advance(24 * time.Hour)
	if p := pay(4); p.Status != payout.StatusBroadcast {
		t.Fatalf("after the window slid: %+v", p)
	}
	env.Mine(asset.Bitcoin, 1)
	env.Verify()
}

// The window and its limit are configurable, and concurrent creates cannot both slip
// under the limit: the sum is read in the transaction that stores the payout.
func TestPayout_RollingLimitIsConfigurableAndHoldsUnderConcurrency(t *testing.T) {
	env := kassatest.New(t, kassatest.WithPayoutOptions(kassa.PayoutOptions{
		ApprovalUSD: kassatest.Dec("1000"), WindowUSD: kassatest.Dec("2000"), Window: time.Hour}))
	env.Fund("BTC", "1")
	var wg sync.WaitGroup
	results := make([]*payout.Payout, 8)
	for i := range 8 { // 0.01 BTC = 650 USD each: at most three fit under 2,000
		wg.Go(func() {
			p, err := env.Gateway.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{
				Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, uint32(i))})
			if err != nil {
				t.Error(err)
			}
			results[i] = p
		})
	}
	wg.Wait()
	auto := 0
	for _, p := range results {
		if p != nil && p.Approval == payout.ApprovalAutomatic {
			auto++
		}
	}
	if auto != 3 {
		t.Fatalf("%d payouts of 650 USD went out without a code under a 2,000 USD window, want 3", auto)
	}
	env.Advance(61 * time.Minute)
	if p := env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 20)}); p.Approval != payout.ApprovalAutomatic {
		t.Fatalf("after the one-hour window: %+v", p)
	}
	env.Verify()
}

// A live payout that needs a code is refused when no Notifier would send it (the code
// would only be logged), and holds nothing.
func TestPayout_LiveApprovalWithoutNotifierIsRefused(t *testing.T) {
	chain := kassatest.SimChain(asset.Bitcoin, asset.Live)
	g, _ := kassatest.Gateway(t, kassa.Config{Chains: []chains.Backend{chain}})
	ctx := context.Background()
	inv, err := g.Invoices().Create(ctx, asset.Live, invoice.CreateParams{Amount: kassatest.Dec("1"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	chain.Pay(inv.Methods[0].Address, "BTC", big.NewInt(100_000_000))
	chain.Mine(6)
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	const dest = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	_, err = g.Payouts().Create(ctx, asset.Live, payout.CreateParams{Amount: kassatest.Dec("0.5"), Currency: "BTC", Destination: dest})
	if !errors.Is(err, payout.ErrNoNotifier) || !hasField(err, "amount") {
		t.Fatalf("live payout of 32,500 USD without a notifier: %v", err)
	}
	if b, err := g.Balance(ctx, asset.Live, "BTC"); err != nil || !b.Held.IsZero() || !b.Available.Equal(kassatest.Dec("1")) {
		t.Fatalf("balance after the refusal: %+v, %v", b, err)
	}
	// Small payouts still go out.
	if p, err := g.Payouts().Create(ctx, asset.Live, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: dest}); err != nil || p.Status != payout.StatusBroadcast {
		t.Fatalf("small live payout: %+v, %v", p, err)
	}
}
