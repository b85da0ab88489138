package invoice

import (
	"cmp"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/shopspring/decimal"
)

// State is what Compute decides.
type State struct {
	Status          Status
	Exception       Exception
	AmountPaid      decimal.Decimal   // detected, price currency
	AmountConfirmed decimal.Decimal   // confirmed, price currency
	MethodPaid      []decimal.Decimal // detected per method, in its asset
	MethodConfirmed []decimal.Decimal
	// Counted are the payments that count toward the invoice.
	Counted []Payment
	// PaidAt is when the confirmed amount first became enough (zero if not).
	PaidAt time.Time
}

// counts reports whether a transfer's money is there (in the mempool or a block).
func counts(s chains.Status) bool {
	return s == chains.StatusMempool || s == chains.StatusConfirming || s == chains.StatusConfirmed
}

// Compute decides an invoice's state from its terms, its payments and the time. It is
// pure: the same inputs always give the same State.
//
// A payment counts if its transfer is in the mempool or a block and it was first seen
// before MonitorUntil. Payments in several methods add up by their share of each
// method's amount due, expressed in the price currency. "Enough" means at least
// AmountDue x (1 - AccuracyPercent/100), or short of AmountDue by no more than
// UnderpaymentThreshold. Without PaymentMultiple only the first payment counts.
func Compute(inv *Invoice, pays []Payment, now time.Time) State {
	st := State{
		MethodPaid:      make([]decimal.Decimal, len(inv.Methods)),
		MethodConfirmed: make([]decimal.Decimal, len(inv.Methods)),
	}
	var enoughAt time.Time // when the detected amount became enough
	sorted := slices.Clone(pays)
	slices.SortFunc(sorted, func(a, b Payment) int {
		if c := a.SeenAt.Compare(b.SeenAt); c != 0 {
			return c
		}
		if c := cmp.Compare(height(a), height(b)); c != 0 {
			return c // seen together: the one mined first came first
		}
		if c := strings.Compare(a.TxID, b.TxID); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
	for _, p := range sorted {
		if p.Method < 0 || p.Method >= len(inv.Methods) || !counts(p.Status) || !p.SeenAt.Before(inv.MonitorUntil) {
			continue
		}
		if !inv.PaymentMultiple && len(st.Counted) == 1 {
			break
		}
		if inv.Status == StatusCancelled && !p.SeenAt.Before(*inv.CancelledAt) {
			continue
		}
		m := inv.Methods[p.Method]
		a := asset.FromBaseUnits(p.Amount, m.Decimals)
		wasEnough := enough(inv, value(inv, st.MethodPaid))
		st.MethodPaid[p.Method] = st.MethodPaid[p.Method].Add(a)
		if p.Status == chains.StatusConfirmed {
			st.MethodConfirmed[p.Method] = st.MethodConfirmed[p.Method].Add(a)
		}
		st.Counted = append(st.Counted, p)
		if !wasEnough && enough(inv, value(inv, st.MethodPaid)) {
			enoughAt = p.SeenAt
		}
	}
	paidValue, confirmedValue := value(inv, st.MethodPaid), value(inv, st.MethodConfirmed)
	st.AmountPaid, st.AmountConfirmed = toDecimal(paidValue), toDecimal(confirmedValue)
	if inv.Status == StatusCancelled {
		st.Status = StatusCancelled
		return st
	}
	paidEnough, confirmedEnough := enough(inv, paidValue), enough(inv, confirmedValue)
	expired := !now.Before(inv.ExpiresAt)
	switch {
	case confirmedEnough:
		st.Status = StatusPaid
		st.PaidAt = now
	case paidEnough:
		st.Status = StatusConfirming
	case expired:
		st.Status = StatusExpired
	case st.AmountPaid.IsPositive():
		st.Status = StatusPartiallyPaid
	default:
		st.Status = StatusPending
	}
	switch {
	case paidEnough && !enoughAt.Before(inv.ExpiresAt):
		st.Exception = ExceptionPaidLate
	case paidEnough && paidValue.Cmp(inv.AmountDue.Rat()) > 0:
		st.Exception = ExceptionOverpaid
	case paidEnough && paidValue.Cmp(inv.AmountDue.Rat()) < 0:
		st.Exception = ExceptionUnderpaid
	case st.Status == StatusExpired && st.AmountPaid.IsPositive():
		st.Exception = ExceptionUnderpaid
	}
	return st
}

// value expresses per-method amounts in the price currency, exactly: each method's
// share of its amount due, times the invoice's amount due. An exact method payment is
// worth exactly AmountDue.
func value(inv *Invoice, perMethod []decimal.Decimal) *big.Rat {
	total := new(big.Rat)
	for i, paid := range perMethod {
		due := inv.Methods[i].AmountDue
		if paid.IsZero() || !due.IsPositive() {
			continue
		}
		share := new(big.Rat).Quo(paid.Rat(), due.Rat())
		total.Add(total, share.Mul(share, inv.AmountDue.Rat()))
	}
	return total
}

// toDecimal shows an exact price-currency value with 18 decimal places at most
// (rounded down, so a payment is never shown as more than it is).
func toDecimal(r *big.Rat) decimal.Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	return decimal.NewFromBigInt(num.Quo(num, r.Denom()), -18)
}

// enough reports whether paid settles the invoice within its tolerance, comparing
// exact fractions (no division is rounded).
func enough(inv *Invoice, paid *big.Rat) bool {
	if paid.Sign() <= 0 {
		return false
	}
	due := inv.AmountDue.Rat()
	if paid.Cmp(due) >= 0 {
		return true
	}
	// paid >= due * (100 - accuracy) / 100  <=>  paid * 100 >= due * (100 - accuracy)
	hundred := big.NewRat(100, 1)
	lhs := new(big.Rat).Mul(paid, hundred)
	rhs := new(big.Rat).Mul(due, decimal.NewFromInt(100).Sub(inv.AccuracyPercent).Rat())
	if lhs.Cmp(rhs) >= 0 {
		return true
	}
	short := new(big.Rat).Sub(due, paid)
	return inv.UnderpaymentThreshold.IsPositive() && short.Cmp(inv.UnderpaymentThreshold.Rat()) <= 0
}

// height orders payments seen at the same moment: mined ones by block, unmined last.
func height(p Payment) uint64 {
	if p.Block.Hash == "" {
		return ^uint64(0)
	}
	return p.Block.Height
}
