package kassa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func create(t *testing.T, env *kassatest.Env, p invoice.CreateParams) *invoice.Invoice {
	t.Helper()
	inv, err := env.Gateway.CreateInvoice(context.Background(), asset.Test, p)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func method(t *testing.T, inv *invoice.Invoice, code string) invoice.Method {
	t.Helper()
	for _, m := range inv.Methods {
		if m.Asset == code {
			return m
		}
	}
	t.Fatalf("no %s method", code)
	return invoice.Method{}
}

func wantStatus(t *testing.T, env *kassatest.Env, id string, s invoice.Status, ex invoice.Exception) *invoice.Invoice {
	t.Helper()
	inv := env.Invoice(id)
	if inv.Status != s || inv.Exception != ex {
		t.Fatalf("invoice %s is %s/%q, want %s/%q (paid %s, confirmed %s)", id, inv.Status, inv.Exception, s, ex, inv.AmountPaid, inv.AmountConfirmed)
	}
	return inv
}

func eventTypes(env *kassatest.Env, id string) []event.Type {
	var out []event.Type
	for _, e := range env.Events() {
		if e.ObjectID == id {
			out = append(out, e.Type)
		}
	}
	return out
}

func TestInvoice_FiatQuotesEveryEnabledAsset(t *testing.T) {
	env := kassatest.New(t)
	inv := create(t, env, invoice.CreateParams{Amount: dec("100"), Currency: "usd", OrderID: "ORD-1"})
	if inv.Status != invoice.StatusPending || inv.Currency != "USD" {
		t.Fatalf("%+v", inv)
	}
	cases := map[string]string{
		"BTC":           "0.00153847", // 100/65000 = 0.0015384615..., rounded up
		"ETH":           "0.033333333333333334",
		"USDT_TRON":     "100",
		"USDT_BSC":      "100",
		"USDC_ETHEREUM": "100",
		"TRX":           "800",
	}
	for code, want := range cases {
		if m := method(t, inv, code); !m.AmountDue.Equal(dec(want)) {
			t.Errorf("%s due %s, want %s", code, m.AmountDue, want)
		}
	}
	eth, bsc, tron := method(t, inv, "ETH"), method(t, inv, "USDT_BSC"), method(t, inv, "USDT_TRON")
	if eth.Address != bsc.Address || eth.Address == tron.Address {
		t.Fatalf("EVM methods must share one address: %s %s", eth.Address, bsc.Address)
	}
	if m := method(t, inv, "BTC"); m.Address != "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl" {
		t.Fatalf("first BTC test address %s", m.Address)
	}
}

func TestInvoice_PaidAfterConfirmations(t *testing.T) {
	env := kassatest.New(t)
	inv := create(t, env, invoice.CreateParams{Amount: dec("10"), Currency: "USD", ToCurrency: "USDT", Network: "TRC20"})
	if len(inv.Methods) != 1 || inv.Methods[0].Asset != "USDT_TRON" || inv.Methods[0].Confirmations != 19 {
		t.Fatalf("methods %+v", inv.Methods)
	}
	env.Pay(inv, "USDT_TRON", "10")
	env.Sync()
	wantStatus(t, env, inv.ID, invoice.StatusConfirming, "")
	bal, _ := env.Gateway.Balance(context.Background(), asset.Test, "USDT_TRON")
	if !bal.Pending.Equal(dec("10")) || !bal.Available.IsZero() {
		t.Fatalf("balance while confirming: %+v", bal)
	}
	env.Mine(asset.Tron, 18)
	wantStatus(t, env, inv.ID, invoice.StatusConfirming, "")
	env.Mine(asset.Tron, 1)
	got := wantStatus(t, env, inv.ID, invoice.StatusPaid, "")
	if got.PaidAt == nil || !got.AmountConfirmed.Equal(dec("10")) {
		t.Fatalf("paid invoice: %+v", got)
	}
	bal, _ = env.Gateway.Balance(context.Background(), asset.Test, "USDT_TRON")
	if !bal.Available.Equal(dec("10")) || !bal.Pending.IsZero() {
		t.Fatalf("balance after paid: %+v", bal)
	}
	want := []event.Type{event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoiceConfirming, event.InvoicePaid}
	if got := eventTypes(env, inv.ID); !equalTypes(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	env.Verify()
}

func equalTypes(a, b []event.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var _ = errors.Is
var _ = time.Second
