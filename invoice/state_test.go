package invoice_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/shopspring/decimal"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// twoMethods is a 100 USD invoice payable in BTC (0.002 due) or USDT on tron (100 due).
func twoMethods() *invoice.Invoice {
	return &invoice.Invoice{
		Status: invoice.StatusPending, AmountDue: dec("100"), PaymentMultiple: true,
		ExpiresAt: t0.Add(time.Hour), MonitorUntil: t0.Add(25 * time.Hour),
		Methods: []invoice.Method{
			{Asset: "BTC", Decimals: 8, AmountDue: dec("0.002")},
			{Asset: "USDT_TRON", Decimals: 6, AmountDue: dec("100")},
		},
	}
}

func pay(method int, units int64, status chains.Status, seen time.Time, txid string) invoice.Payment {
	return invoice.Payment{Method: method, Record: chains.Record{
		Transfer: chains.Transfer{Amount: big.NewInt(units), TxID: txid}, Status: status, SeenAt: seen}}
}

func TestCompute_Transitions(t *testing.T) {
	cases := []struct {
		name      string
		pays      []invoice.Payment
		now       time.Time
		status    invoice.Status
		exception invoice.Exception
		paid      string
	}{
		{"nothing yet", nil, t0, invoice.StatusPending, "", "0"},
		{"nothing, expired", nil, t0.Add(time.Hour), invoice.StatusExpired, "", "0"},
		{"mempool full", []invoice.Payment{pay(0, 200_000, chains.StatusMempool, t0, "a")}, t0, invoice.StatusConfirming, "", "100"},
		{"confirmed full", []invoice.Payment{pay(0, 200_000, chains.StatusConfirmed, t0, "a")}, t0, invoice.StatusPaid, "", "100"},
		{"half", []invoice.Payment{pay(1, 50_000_000, chains.StatusConfirmed, t0, "a")}, t0, invoice.StatusPartiallyPaid, "", "50"},
		{"half, expired", []invoice.Payment{pay(1, 50_000_000, chains.StatusConfirmed, t0, "a")}, t0.Add(2 * time.Hour), invoice.StatusExpired, invoice.ExceptionUnderpaid, "50"},
		{"half BTC + half USDT", []invoice.Payment{
			pay(0, 100_000, chains.StatusConfirmed, t0, "a"), pay(1, 50_000_000, chains.StatusConfirmed, t0, "b")},
			t0, invoice.StatusPaid, "", "100"},
		{"orphaned does not count", []invoice.Payment{pay(0, 200_000, chains.StatusOrphaned, t0, "a")}, t0, invoice.StatusPending, "", "0"},
		{"dropped does not count", []invoice.Payment{pay(0, 200_000, chains.StatusDropped, t0, "a")}, t0, invoice.StatusPending, "", "0"},
		{"overpaid", []invoice.Payment{pay(0, 300_000, chains.StatusConfirmed, t0, "a")}, t0, invoice.StatusPaid, invoice.ExceptionOverpaid, "150"},
		{"late", []invoice.Payment{pay(0, 200_000, chains.StatusConfirmed, t0.Add(2*time.Hour), "a")}, t0.Add(3 * time.Hour), invoice.StatusPaid, invoice.ExceptionPaidLate, "100"},
		{"after monitoring window", []invoice.Payment{pay(0, 200_000, chains.StatusConfirmed, t0.Add(26*time.Hour), "a")}, t0.Add(27 * time.Hour), invoice.StatusExpired, "", "0"},
		{"half in time, rest late", []invoice.Payment{
			pay(1, 50_000_000, chains.StatusConfirmed, t0, "a"), pay(1, 50_000_000, chains.StatusConfirmed, t0.Add(90*time.Minute), "b")},
			t0.Add(2 * time.Hour), invoice.StatusPaid, invoice.ExceptionPaidLate, "100"},
	}
	for _, c := range cases {
		st := invoice.Compute(twoMethods(), c.pays, c.now)
		if st.Status != c.status || st.Exception != c.exception || !st.AmountPaid.Equal(dec(c.paid)) {
			t.Errorf("%s: %s/%q paid %s, want %s/%q paid %s", c.name, st.Status, st.Exception, st.AmountPaid, c.status, c.exception, c.paid)
		}
	}
}

func TestCompute_SinglePaymentOnly(t *testing.T) {
	inv := twoMethods()
	inv.PaymentMultiple = false
	st := invoice.Compute(inv, []invoice.Payment{
		pay(1, 40_000_000, chains.StatusConfirmed, t0, "a"),
		pay(1, 60_000_000, chains.StatusConfirmed, t0.Add(time.Minute), "b"),
	}, t0.Add(2*time.Minute))
	if st.Status != invoice.StatusPartiallyPaid || !st.AmountPaid.Equal(dec("40")) || len(st.Counted) != 1 {
		t.Fatalf("without top-ups only the first payment counts: %s paid %s", st.Status, st.AmountPaid)
	}
}

func TestCompute_IsPureAndOrderIndependent(t *testing.T) {
	a := pay(0, 100_000, chains.StatusConfirmed, t0, "a")
	b := pay(1, 50_000_000, chains.StatusMempool, t0.Add(time.Second), "b")
	x := invoice.Compute(twoMethods(), []invoice.Payment{a, b}, t0)
	y := invoice.Compute(twoMethods(), []invoice.Payment{b, a}, t0)
	if x.Status != y.Status || !x.AmountPaid.Equal(y.AmountPaid) || !x.AmountConfirmed.Equal(y.AmountConfirmed) {
		t.Fatalf("order changed the result: %+v vs %+v", x, y)
	}
	if x.Status != invoice.StatusConfirming || !x.AmountConfirmed.Equal(dec("50")) {
		t.Fatalf("%s confirmed %s", x.Status, x.AmountConfirmed)
	}
}

// An 18-decimal amount must be compared exactly: decimal.Div would round at 16 places
// and call one wei less "paid" or an exact payment "overpaid".
func TestCompute_EighteenDecimalsAreExact(t *testing.T) {
	due := dec("12.000000000000000001")
	inv := &invoice.Invoice{Status: invoice.StatusPending, AmountDue: due, PaymentMultiple: true,
		ExpiresAt: t0.Add(time.Hour), MonitorUntil: t0.Add(25 * time.Hour),
		Methods: []invoice.Method{{Asset: "LINK_ETHEREUM", Decimals: 18, AmountDue: due}}}
	exact, _ := new(big.Int).SetString("12000000000000000001", 10)
	st := invoice.Compute(inv, []invoice.Payment{{Method: 0, Record: chains.Record{Transfer: chains.Transfer{Amount: exact, TxID: "a"},
		Status: chains.StatusConfirmed, SeenAt: t0}}}, t0)
	if st.Status != invoice.StatusPaid || st.Exception != "" || !st.AmountPaid.Equal(due) {
		t.Fatalf("exact 18-decimal payment: %s/%q paid %s", st.Status, st.Exception, st.AmountPaid)
	}
	short := new(big.Int).Sub(exact, big.NewInt(1))
	st = invoice.Compute(inv, []invoice.Payment{{Method: 0, Record: chains.Record{Transfer: chains.Transfer{Amount: short, TxID: "a"},
		Status: chains.StatusConfirmed, SeenAt: t0}}}, t0)
	if st.Status != invoice.StatusPartiallyPaid {
		t.Fatalf("one wei short: %s", st.Status)
	}
}

func TestPaymentURI(t *testing.T) {
	reg := asset.Default()
	cases := []struct {
		m       invoice.Method
		mode    asset.Mode
		chainID uint64
		want    string
	}{
		{invoice.Method{Asset: "BTC", Network: asset.Bitcoin, Address: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", AmountDue: dec("0.0015")}, asset.Live, 0,
			"bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.0015"},
		{invoice.Method{Asset: "ETH", Network: asset.Ethereum, Address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", AmountDue: dec("0.01")}, asset.Live, 0,
			"ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@1?value=10000000000000000"},
		{invoice.Method{Asset: "USDT_BSC", Network: asset.BSC, Address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", AmountDue: dec("100.5")}, asset.Live, 0,
			"ethereum:0x55d398326f99059fF775485246999027B3197955@56/transfer?address=0x9858EfFD232B4033E47d90003D41EC34EcaEda94&uint256=100500000000000000000"},
		{invoice.Method{Asset: "USDT_TRON", Network: asset.Tron, Address: "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", AmountDue: dec("100.5")}, asset.Live, 0,
			"tron:TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH?amount=100.5&token=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
		// A partly paid method asks for what is left.
		{invoice.Method{Asset: "BTC", Network: asset.Bitcoin, Address: "bc1q", AmountDue: dec("0.01"), AmountPaid: dec("0.004")}, asset.Live, 0,
			"bitcoin:bc1q?amount=0.006"},
		// Issue 14.11: the chain id the backend verified with its node, not the registry's
		// (a devnet on 1337 in test mode, not Sepolia's 11155111).
		{invoice.Method{Asset: "ETH", Network: asset.Ethereum, Address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", AmountDue: dec("0.01")}, asset.Test, 1337,
			"ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@1337?value=10000000000000000"},
		// A token with no contract in the mode has no URI (never "ethereum:@11155111/...").
		{invoice.Method{Asset: "USDT_ETHEREUM", Network: asset.Ethereum, Address: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", AmountDue: dec("1")}, asset.Test, 0, ""},
		{invoice.Method{Asset: "USDT_TRON", Network: asset.Tron, Address: "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", AmountDue: dec("1")}, asset.Test, 0, ""},
	}
	for _, c := range cases {
		if got := invoice.PaymentURI(reg, c.mode, c.m, c.chainID); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.m.Asset, got, c.want)
		}
	}
}
