package invoice_test

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

func TestInvoice_FiatQuotesEveryEnabledAsset(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("100"), Currency: "usd", OrderID: "ORD-1"})
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
		if m := env.Method(inv, code); !m.AmountDue.Equal(kassatest.Dec(want)) {
			t.Errorf("%s due %s, want %s", code, m.AmountDue, want)
		}
	}
	eth, bsc, tron := env.Method(inv, "ETH"), env.Method(inv, "USDT_BSC"), env.Method(inv, "USDT_TRON")
	if eth.Address != bsc.Address || eth.Address == tron.Address {
		t.Fatalf("EVM methods must share one address: %s %s", eth.Address, bsc.Address)
	}
	if m := env.Method(inv, "BTC"); m.Address != "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl" {
		t.Fatalf("first BTC test address %s", m.Address)
	}
}

func TestInvoice_PaidAfterConfirmations(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", ToCurrency: "USDT", Network: "TRC20"})
	if len(inv.Methods) != 1 || inv.Methods[0].Asset != "USDT_TRON" || inv.Methods[0].Confirmations != 19 {
		t.Fatalf("methods %+v", inv.Methods)
	}
	env.Pay(inv, "USDT_TRON", "10")
	env.Sync()
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	bal, _ := env.Gateway.Balance(context.Background(), asset.Test, "USDT_TRON")
	if !bal.Pending.Equal(kassatest.Dec("10")) || !bal.Available.IsZero() {
		t.Fatalf("balance while confirming: %+v", bal)
	}
	env.Mine(asset.Tron, 18)
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	env.Mine(asset.Tron, 1)
	got := env.WantStatus(inv.ID, invoice.StatusPaid, "")
	if got.PaidAt == nil || !got.AmountConfirmed.Equal(kassatest.Dec("10")) {
		t.Fatalf("paid invoice: %+v", got)
	}
	bal, _ = env.Gateway.Balance(context.Background(), asset.Test, "USDT_TRON")
	if !bal.Available.Equal(kassatest.Dec("10")) || !bal.Pending.IsZero() {
		t.Fatalf("balance after paid: %+v", bal)
	}
	want := []event.Type{event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoiceConfirming, event.InvoicePaid}
	if got := env.EventTypes(inv.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	env.Verify()
}

func TestInvoice_PartialThenTopUp(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("50"), Currency: "USDT_BSC"})
	env.Pay(inv, "USDT_BSC", "20")
	env.Mine(asset.BSC, 1)
	got := env.WantStatus(inv.ID, invoice.StatusPartiallyPaid, "")
	if !got.AmountPaid.Equal(kassatest.Dec("20")) {
		t.Fatalf("paid %s", got.AmountPaid)
	}
	env.Pay(inv, "USDT_BSC", "30")
	env.Mine(asset.BSC, 1)
	env.WantStatus(inv.ID, invoice.StatusConfirming, "")
	env.Mine(asset.BSC, 14)
	env.WantStatus(inv.ID, invoice.StatusPaid, "")
	want := []event.Type{event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoicePartiallyPaid,
		event.InvoicePaymentDetected, event.InvoiceConfirming, event.InvoicePaid}
	if got := env.EventTypes(inv.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	env.Verify()
}

func TestInvoice_Tolerance(t *testing.T) {
	cases := []struct {
		name      string
		params    invoice.CreateParams
		pay       string
		status    invoice.Status
		exception invoice.Exception
	}{
		{"exact", invoice.CreateParams{Amount: kassatest.Dec("100")}, "100", invoice.StatusPaid, ""},
		{"overpaid", invoice.CreateParams{Amount: kassatest.Dec("100")}, "100.5", invoice.StatusPaid, invoice.ExceptionOverpaid},
		{"under within percent", invoice.CreateParams{Amount: kassatest.Dec("100"), AccuracyPercent: kassatest.Dec("2")}, "98", invoice.StatusPaid, invoice.ExceptionUnderpaid},
		{"under beyond percent", invoice.CreateParams{Amount: kassatest.Dec("100"), AccuracyPercent: kassatest.Dec("2")}, "97.99", invoice.StatusPartiallyPaid, ""},
		{"under within absolute", invoice.CreateParams{Amount: kassatest.Dec("100"), UnderpaymentThreshold: kassatest.Dec("0.5")}, "99.5", invoice.StatusPaid, invoice.ExceptionUnderpaid},
		{"under beyond absolute", invoice.CreateParams{Amount: kassatest.Dec("100"), UnderpaymentThreshold: kassatest.Dec("0.5")}, "99.49", invoice.StatusPartiallyPaid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := kassatest.New(t)
			p := c.params
			p.Currency = "USDT_POLYGON"
			inv := env.Create(p)
			env.Pay(inv, "USDT_POLYGON", c.pay)
			env.Mine(asset.Polygon, 128)
			env.WantStatus(inv.ID, c.status, c.exception)
			env.Verify()
		})
	}
}

func TestInvoice_ExpiresAndLatePayment(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Lifetime: 15 * time.Minute})
	env.Advance(15*time.Minute - time.Second)
	env.WantStatus(inv.ID, invoice.StatusPending, "")
	env.Advance(time.Second)
	env.WantStatus(inv.ID, invoice.StatusExpired, "")
	// Paid late but inside the 24 h monitoring window: it counts, marked paid_late.
	env.Advance(time.Hour)
	env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, 1)
	env.WantStatus(inv.ID, invoice.StatusPaid, invoice.ExceptionPaidLate)
	want := []event.Type{event.InvoiceCreated, event.InvoiceExpired, event.InvoicePaymentDetected, event.InvoicePaid}
	if got := env.EventTypes(inv.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestInvoice_PartialThenExpiresUnderpaid(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	env.Pay(inv, "BTC", "0.004")
	env.Mine(asset.Bitcoin, 1)
	env.WantStatus(inv.ID, invoice.StatusPartiallyPaid, "")
	env.Advance(time.Hour)
	env.WantStatus(inv.ID, invoice.StatusExpired, invoice.ExceptionUnderpaid)
	bal, _ := env.Gateway.Balance(context.Background(), asset.Test, "BTC")
	if !bal.Available.Equal(kassatest.Dec("0.004")) {
		t.Fatalf("the partial payment is the merchant's money: %+v", bal)
	}
}

func TestInvoice_AfterMonitoringWindowNotWatched(t *testing.T) {
	env := kassatest.New(t, kassatest.WithMonitoringWindow(time.Hour))
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	env.Advance(3 * time.Hour)
	env.WantStatus(inv.ID, invoice.StatusExpired, "")
	env.Pay(inv, "BTC", "0.01")
	env.Mine(asset.Bitcoin, 1)
	env.WantStatus(inv.ID, invoice.StatusExpired, "")
}

func TestInvoice_Cancel(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("5"), Currency: "USD"})
	got, err := env.Gateway.Invoices().Cancel(ctx, asset.Test, inv.ID)
	if err != nil || got.Status != invoice.StatusCancelled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if _, err := env.Gateway.Invoices().Cancel(ctx, asset.Test, inv.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("cancel twice: %v", err)
	}
	paid := env.Create(invoice.CreateParams{Amount: kassatest.Dec("5"), Currency: "USDT_TRON"})
	env.Pay(paid, "USDT_TRON", "5")
	env.Sync()
	if _, err := env.Gateway.Invoices().Cancel(ctx, asset.Test, paid.ID); !errors.Is(err, invoice.ErrInvalidState) {
		t.Fatalf("cancel confirming: %v", err)
	}
	if _, err := env.Gateway.Invoices().Cancel(ctx, asset.Live, inv.ID); !errors.Is(err, invoice.ErrNotFound) {
		t.Fatalf("cancel from the other mode: %v", err)
	}
	// A payment to a cancelled invoice is still the merchant's money.
	env.Pay(got, "USDT_TRON", "5")
	env.Mine(asset.Tron, 19)
	env.WantStatus(inv.ID, invoice.StatusCancelled, "")
	bal, _ := env.Gateway.Balance(ctx, asset.Test, "USDT_TRON")
	if !bal.Available.Equal(kassatest.Dec("10")) {
		t.Fatalf("balance %+v", bal)
	}
	env.Verify()
}

func TestInvoice_TwoInvoicesOneTransaction(t *testing.T) {
	env := kassatest.New(t)
	a := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	b := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC"})
	env.Chain(asset.Bitcoin).PayMany(
		simOut(a, "BTC", env.Units("BTC", "0.01")), simOut(b, "BTC", env.Units("BTC", "0.02")))
	env.Mine(asset.Bitcoin, 1)
	env.WantStatus(a.ID, invoice.StatusPaid, "")
	env.WantStatus(b.ID, invoice.StatusPaid, "")
	bal, _ := env.Gateway.Balance(context.Background(), asset.Test, "BTC")
	if !bal.Available.Equal(kassatest.Dec("0.03")) {
		t.Fatalf("balance %+v", bal)
	}
	env.Verify()
}

func TestInvoice_FailedTransferNeverCredits(t *testing.T) {
	env := kassatest.New(t)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("5"), Currency: "USDC_BASE"})
	m := env.Method(inv, "USDC_BASE")
	env.Chain(asset.Base).PayFailed(m.Address, "USDC_BASE", env.Units("USDC_BASE", "5"))
	env.Mine(asset.Base, 20)
	env.WantStatus(inv.ID, invoice.StatusPending, "")
}

func simOut(inv *invoice.Invoice, code string, amount *big.Int) sim.Output {
	for _, m := range inv.Methods {
		if m.Asset == code {
			return sim.Output{Asset: code, To: m.Address, Amount: amount}
		}
	}
	panic("no method " + code)
}

func simOutTo(addr, code string, amount *big.Int) sim.Output {
	return sim.Output{Asset: code, To: addr, Amount: amount}
}

func TestQuote_DiscountSubtractAndYen(t *testing.T) {
	env := kassatest.New(t)
	// 100.50 USD with 3% off = 97.485, rounded up to the cent: 97.49. Paid in USDT at par.
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("100.50"), Currency: "USD", ToCurrency: "USDT_TRON", DiscountPercent: kassatest.Dec("3")})
	if !inv.AmountDue.Equal(kassatest.Dec("97.49")) || !inv.Methods[0].AmountDue.Equal(kassatest.Dec("97.49")) {
		t.Fatalf("discount: due %s / %s", inv.AmountDue, inv.Methods[0].AmountDue)
	}
	// subtract 50: the payer also pays half of USDT_TRON's 1 USDT fee estimate.
	inv = env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USD", ToCurrency: "USDT_TRON", SubtractPercent: kassatest.Dec("50")})
	if !inv.Methods[0].AmountDue.Equal(kassatest.Dec("10.5")) {
		t.Fatalf("subtract: due %s, want 10.5", inv.Methods[0].AmountDue)
	}
	// 1000 JPY at 0.0067 USD/JPY = 6.7 USD; in BTC at 65000: 0.000103076923... up.
	inv = env.Create(invoice.CreateParams{Amount: kassatest.Dec("1000"), Currency: "JPY", ToCurrency: "BTC"})
	m := inv.Methods[0]
	if !m.AmountDue.Equal(kassatest.Dec("0.00010308")) || !m.Rate.Equal(kassatest.Dec("9701492.537313432835820896")) {
		t.Fatalf("JPY->BTC: due %s at rate %s", m.AmountDue, m.Rate)
	}
	// Without top-ups, a short first payment is all that counts.
	single := false
	inv = env.Create(invoice.CreateParams{Amount: kassatest.Dec("10"), Currency: "USDT_TRON", PaymentMultiple: &single})
	env.Pay(inv, "USDT_TRON", "4")
	env.Mine(asset.Tron, 1)
	env.Pay(inv, "USDT_TRON", "6")
	env.Mine(asset.Tron, 19)
	got := env.WantStatus(inv.ID, invoice.StatusPartiallyPaid, "")
	if !got.AmountPaid.Equal(kassatest.Dec("4")) {
		t.Fatalf("paid %s, want 4", got.AmountPaid)
	}
	if b, _ := env.Gateway.Balance(context.Background(), asset.Test, "USDT_TRON"); !b.Available.Equal(kassatest.Dec("10")) {
		t.Fatalf("both payments are the merchant's money: %+v", b)
	}
}
