package ledger_test

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
)

// moveUSDT books a USDT_TRON transfer of the owner o (test mode) from one place to
// another.
func (b *book) moveUSDT(o ledger.Owner, key string, from, to ledger.Place, amount int64) {
	b.t.Helper()
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		_, err := ledger.MoveDeposit(ctx, tx, o, asset.Test, "USDT_TRON", key, key, from, to, big.NewInt(amount))
		return err
	})
}

// TestConversion_BothLegsInOneEntryOnce: a conversion holds the from amount (refused,
// writing nothing, beyond what is available), then books both legs in one entry:
// the hold to the exchange of BTC, the received amount from the exchange of USDT to
// the merchant (its deficit covered first), the fee to the conversion fees; posting it
// again is ErrHoldClosed and changes nothing; a void gives the hold back whole.
func TestConversion_BothLegsInOneEntryOnce(t *testing.T) {
	b := newBook(t)
	b.deposit("d1", 1000)
	// A USDT deficit of 200: 100 arrived, then a reorg took back 300.
	b.moveUSDT(ledger.Owner{}, "u1:seen", ledger.InWorld, ledger.InPending, 100)
	b.moveUSDT(ledger.Owner{}, "u1:confirmed", ledger.InPending, ledger.InAvailable, 100)
	b.moveUSDT(ledger.Owner{}, "u1:reorg", ledger.InAvailable, ledger.InWorld, 300)
	want(t, "USDT deficit", b.account(ledger.MerchantDeficit(asset.Test, "USDT_TRON")), -200)

	err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_big", "BTC", big.NewInt(1001))
	})
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("holding 1001 of 1000: %v, want ErrInsufficientFunds", err)
	}
	want(t, "available after a refused hold", b.balances().Available, 1000)

	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_1", "BTC", big.NewInt(400))
	})
	if m := b.balances(); m.Available.Int64() != 600 || m.Held.Int64() != 400 {
		t.Fatalf("after the hold: available %s held %s, want 600 and 400", m.Available, m.Held)
	}
	post := func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_1", "USDT_TRON", big.NewInt(500), big.NewInt(7))
	}
	b.do(post)
	if err := b.try(post); !errors.Is(err, ledger.ErrHoldClosed) {
		t.Fatalf("posting the conversion again: %v, want ErrHoldClosed", err)
	}
	m := b.balances() // Verify holds
	want(t, "BTC available", m.Available, 600)
	want(t, "BTC held", m.Held, 0)
	want(t, "exchange BTC", b.account(ledger.Exchange(asset.Test, "BTC")), 400)
	want(t, "exchange USDT", b.account(ledger.Exchange(asset.Test, "USDT_TRON")), -507)
	want(t, "conversion fees USDT", b.account(ledger.ConversionFees(asset.Test, "USDT_TRON")), 7)
	want(t, "USDT deficit", b.account(ledger.MerchantDeficit(asset.Test, "USDT_TRON")), 0)
	want(t, "USDT available", b.account(ledger.MerchantAvailable(asset.Test, "USDT_TRON")), 300)

	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_2", "BTC", big.NewInt(250))
	})
	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.VoidHold(ctx, tx, "cv_2") })
	if m := b.balances(); m.Available.Int64() != 600 || m.Held.Int64() != 0 {
		t.Fatalf("after a void: available %s held %s, want 600 and 0", m.Available, m.Held)
	}
}

// TestConversion_ASubMerchantsOwnBalance: a sub-merchant's conversion is held from
// and paid to its own accounts; finishing it as the operator's is refused.
func TestConversion_ASubMerchantsOwnBalance(t *testing.T) {
	b := newBook(t)
	sub := ledger.Owner{Sub: "sm_a"}
	b.moveUSDT(sub, "s1:seen", ledger.InWorld, ledger.InPending, 900)
	b.moveUSDT(sub, "s1:confirmed", ledger.InPending, ledger.InAvailable, 900)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, sub, asset.Test, "cv_s", "USDT_TRON", big.NewInt(900))
	})
	err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_s", "BTC", big.NewInt(3), big.NewInt(0))
	})
	if !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("finishing a sub-merchant's conversion as the operator's: %v, want ErrInvalidEntry", err)
	}
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PostConversion(ctx, tx, sub, asset.Test, "cv_s", "BTC", big.NewInt(3), big.NewInt(0))
	})
	b.balances() // Verify holds
	want(t, "sub BTC available", b.account(ledger.SubAvailable(asset.Test, "sm_a", "BTC")), 3)
	want(t, "sub USDT available", b.account(ledger.SubAvailable(asset.Test, "sm_a", "USDT_TRON")), 0)
	want(t, "operator BTC available", b.account(ledger.MerchantAvailable(asset.Test, "BTC")), 0)
	if err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, ledger.Owner{Wallet: "wal_x"}, asset.Test, "cv_w", "BTC", big.NewInt(1))
	}); !errors.Is(err, ledger.ErrInvalidEntry) {
		t.Fatalf("a wallet's conversion: %v, want ErrInvalidEntry", err)
	}
}

// TestHoldConversion_ADeficitIsOwedFirst: 1,000 arrive and are held for a payout; a
// reorg takes 500 back (a deficit of 500, the money spent); the payout's hold is void,
// so 1,000 are available again. The deficit is owed first: a conversion of any of it
// is refused, as a payout would be, and nothing is written.
func TestHoldConversion_ADeficitIsOwedFirst(t *testing.T) {
	b := newBook(t)
	b.deposit("d1", 1000)
	b.do(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.PlaceHold(ctx, tx, "po_1", ledger.MerchantAvailable(asset.Test, "BTC"), ledger.Holds(asset.Test, "BTC"), big.NewInt(1000))
	})
	b.move("d1:reorg", ledger.InAvailable, ledger.InWorld, 500)
	b.do(func(ctx context.Context, tx ledger.Tx) error { return ledger.VoidHold(ctx, tx, "po_1") })
	m := b.balances()
	want(t, "available after the void", m.Available, 1000)
	want(t, "deficit", m.Deficit, -500)
	err := b.try(func(ctx context.Context, tx ledger.Tx) error {
		return ledger.HoldConversion(ctx, tx, ledger.Owner{}, asset.Test, "cv_1", "BTC", big.NewInt(100))
	})
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		t.Fatalf("a conversion while a deficit is owed: %v, want ErrInsufficientFunds", err)
	}
	want(t, "available after the refusal", b.balances().Available, 1000)
}
