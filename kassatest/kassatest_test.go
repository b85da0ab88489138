package kassatest_test

import (
	"testing"

	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
)

// A customer pays: three lines after the invoice, in any asset it offers, whatever its
// confirmations.
func TestCustomerPays(t *testing.T) {
	env := kassatest.New(t)
	for _, code := range []string{"BTC", "ETH", "USDT_TRON"} {
		inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("25.00"), Currency: "USD"})
		env.PayInFull(inv, code)
		env.WantStatus(inv.ID, invoice.StatusConfirming, "")
		env.Confirm(inv, code)
		env.WantStatus(inv.ID, invoice.StatusPaid, "")
	}
}
