package refund

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Config configures a Service.
type Config struct {
	Assets  *asset.Registry
	Keys    *keys.Keyring
	Payouts *payout.Service
	Update  chains.Runner[Tx] // read-write transactions
	View    chains.Runner[Tx] // read-only transactions
	// Rates prices RateCurrent refunds and a token's gas taken from the refund.
	Rates invoice.Rater
	// ClaimTTL is how long a claim link works (default 30 days).
	ClaimTTL time.Duration
	// Rebounds turns rebounds on per mode (see InvoiceChanged).
	Rebounds map[asset.Mode]bool
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service manages refunds.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Assets == nil || cfg.Keys == nil || cfg.Payouts == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("refund: Assets, Keys, Payouts, Update and View are required")
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// CreateParams ask for a refund.
type CreateParams struct {
	// RequestKey makes the create idempotent, as payout.CreateParams.RequestKey.
	RequestKey string
	InvoiceID  string
	// Amount in the invoice's price currency; zero: everything still refundable.
	Amount decimal.Decimal
	// Currency, if given, must be the invoice's price currency.
	Currency    string
	Rate        Rate     // default RateInvoice
	FeePayer    FeePayer // default FeeCustomer
	Reason      string   // "", duplicate, fraudulent, requested_by_customer
	Description string
	// Destination, if given, sends the refund at once; without it the refund waits
	// for the payer's address (Claim).
	Destination string
	Metadata    json.RawMessage
}

// quote is what a refund of an invoice comes to.
type quote struct {
	inv    *invoice.Invoice
	a      asset.Asset
	amount decimal.Decimal // price currency
	units  *big.Int        // crypto, base units
}

// Create validates a refund, checks it against what is left to refund of the invoice
// and, with a destination, holds and sends its payout, all in one storage
// transaction for the check and the hold. Bad input is a *validation.Error with
// nothing stored; more than is left is ErrExceedsPayment on "amount"; a node refusal
// returns the refund (failed, hold released) with a *payout.BroadcastError.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*Refund, error) {
	if m != asset.Test && m != asset.Live {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	if r, err := s.byRequestKey(ctx, m, p.RequestKey); r != nil || err != nil {
		return r, err
	}
	var v validation.Error
	if s.cfg.Keys.WatchOnly() {
		v.Add("invoice_id", payout.ErrWatchOnly)
		return nil, v.Err()
	}
	if p.InvoiceID == "" {
		v.Add("invoice_id", errors.New("is required"))
	}
	if p.Rate == "" {
		p.Rate = RateInvoice
	}
	if p.Rate != RateInvoice && p.Rate != RateCurrent {
		v.Add("rate", fmt.Errorf("%w: invoice, current", ErrBadValue))
	}
	if p.FeePayer == "" {
		p.FeePayer = FeeCustomer
	}
	if p.FeePayer != FeeCustomer && p.FeePayer != FeeMerchant {
		v.Add("fee_payer", fmt.Errorf("%w: customer, merchant", ErrBadValue))
	}
	if !reasons[p.Reason] {
		v.Add("reason", fmt.Errorf("%w: duplicate, fraudulent, requested_by_customer", ErrBadValue))
	}
	if len(p.Description) > 500 {
		v.Add("description", fmt.Errorf("%w: at most 500 bytes", invoice.ErrTooLarge))
	}
	if len(p.RequestKey) > 255 {
		v.Add("request_key", invoice.ErrTooLarge)
	}
	v.Add("metadata", invoice.CheckMetadata(p.Metadata))
	switch {
	case p.Amount.Sign() < 0:
		v.Add("amount", asset.ErrNegativeAmount)
	case p.Amount.Abs().GreaterThan(decimal.New(1, 30)):
		v.Add("amount", asset.ErrAmountTooLarge)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var inv *invoice.Invoice
	var prior []*Refund
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if inv, err = tx.GetInvoice(ctx, m, p.InvoiceID); err != nil {
			return err
		}
		prior, err = tx.InvoiceRefunds(ctx, m, p.InvoiceID)
		return err
	}); err != nil {
		return nil, err
	}
	q, err := s.quote(ctx, inv, prior, p)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	r := &Refund{ID: ids.New("re"), Object: ObjectRefund, Mode: m, Livemode: m == asset.Live, InvoiceID: inv.ID, SubMerchantID: inv.SubMerchantID,
		Status: StatusAwaitingAddress, Amount: q.amount, Currency: inv.Currency, Rate: p.Rate, FeePayer: p.FeePayer,
		Asset: q.a.Code, RefundCurrency: q.a.Currency, RefundNetwork: q.a.Network, RefundAmount: q.a.FromBaseUnits(q.units),
		Reason: p.Reason, Description: p.Description, Metadata: p.Metadata, CreatedAt: now, UpdatedAt: now, RequestKey: p.RequestKey}
	var pp *payout.Prepared
	if p.Destination != "" {
		if pp, err = s.prepare(ctx, r, inv, p.Destination); err != nil {
			return nil, err
		}
	} else {
		if err := s.checkSender(ctx, r); err != nil {
			return nil, err
		}
		tok, err := newToken()
		if err != nil {
			return nil, err
		}
		exp := now.Add(s.cfg.ClaimTTL)
		r.ClaimToken, r.ClaimPath, r.ClaimExpiresAt = tok, "/refunds/"+tok, &exp
	}
	var first *Refund
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		first = nil
		if r.RequestKey != "" {
			// Checked again inside the transaction: two concurrent retries make one.
			if f, err := tx.RefundByRequestKey(ctx, m, r.RequestKey); err == nil {
				first = f
				return nil
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		inv, err := tx.GetInvoice(ctx, m, r.InvoiceID) // locks the invoice: one refund at a time
		if err != nil {
			return err
		}
		prior, err := tx.InvoiceRefunds(ctx, m, r.InvoiceID)
		if err != nil {
			return err
		}
		if err := checkLimit(inv, prior, r); err != nil {
			return err
		}
		if pp != nil {
			if err := s.cfg.Payouts.Hold(ctx, tx, pp); err != nil {
				return err
			}
			s.follow(r, pp.Payout())
		} else if err := s.reserve(ctx, tx, r); err != nil {
			return err
		}
		if err := tx.InsertRefund(ctx, r); err != nil {
			return err
		}
		return s.emit(ctx, tx, r, EventCreated)
	})
	if err != nil {
		return nil, err
	}
	if first != nil {
		return first, nil
	}
	if pp == nil {
		return r, nil
	}
	return s.release(ctx, r, pp)
}

// prepare validates the payout of refund r to dest (the address checked for the
// network, never one of ours) and fills in what it will send.
func (s *Service) prepare(ctx context.Context, r *Refund, inv *invoice.Invoice, dest string) (*payout.Prepared, error) {
	a, _ := s.cfg.Assets.Get(r.Asset)
	units, _ := a.ToBaseUnits(r.RefundAmount)
	c := payout.CreateParams{Amount: r.RefundAmount, Currency: a.Currency, Network: string(a.Network), Destination: dest,
		CustomerID: inv.CustomerID, RefundID: r.ID, SubMerchantID: inv.SubMerchantID, FeeOnTop: r.FeePayer == FeeMerchant}
	pp, err := s.cfg.Payouts.Prepare(ctx, r.Mode, c)
	if err != nil {
		return nil, err
	}
	if po := pp.Payout(); r.FeePayer == FeeCustomer && po.FeeCurrency != po.Asset {
		// A token: its gas is paid in the network's coin; the customer pays its value.
		fee, err := s.gasValue(ctx, a, po)
		if err != nil {
			return nil, err
		}
		rest := new(big.Int).Sub(units, fee)
		if rest.Sign() <= 0 {
			return nil, validation.Field("amount", fmt.Errorf("%w: it does not cover the network fee (%s %s)", payout.ErrBelowMinimum, a.FromBaseUnits(fee), a.Code))
		}
		c.Amount = a.FromBaseUnits(rest)
		if pp, err = s.cfg.Payouts.Prepare(ctx, r.Mode, c); err != nil {
			return nil, err
		}
	}
	return pp, nil
}

// gasValue is a token payout's estimated gas valued in the token at today's rate,
// rounded up to its base unit.
func (s *Service) gasValue(ctx context.Context, a asset.Asset, po *payout.Payout) (*big.Int, error) {
	fa, _ := s.cfg.Assets.Get(po.FeeCurrency)
	quoteCur := a.Currency
	if a.Stable {
		quoteCur = "USD"
	}
	if s.cfg.Rates == nil {
		return nil, validation.Field("fee_payer", fmt.Errorf("no rate to take the network fee (%s) from a %s refund: use fee_payer merchant", fa.Code, a.Code))
	}
	rt, err := s.cfg.Rates.Rate(ctx, fa.Currency, quoteCur)
	if err != nil {
		return nil, validation.Field("fee_payer", fmt.Errorf("no rate to take the network fee (%s) from a %s refund (%v): use fee_payer merchant", fa.Code, a.Code, err))
	}
	v := po.EstimatedFee.Mul(rt.Value).RoundCeil(a.Decimals)
	u, err := a.ToBaseUnits(v)
	if err != nil {
		return nil, validation.Field("amount", err)
	}
	return u, nil
}

// checkSender refuses a refund waiting for an address that could never be paid: no
// wallet on its network, below the asset's minimum payout, or not more than the network
// fee the customer would pay. (A refund with a destination is checked by its payout.)
func (s *Service) checkSender(ctx context.Context, r *Refund) error {
	a, _ := s.cfg.Assets.Get(r.Asset)
	if r.RefundAmount.LessThan(a.MinPayout) {
		return validation.Field("amount", fmt.Errorf("%w (%s %s): it is %s %s", payout.ErrBelowMinimum, a.MinPayout, a.Code, r.RefundAmount, a.Code))
	}
	e, err := s.cfg.Payouts.EstimateFee(ctx, r.Mode, r.RefundCurrency, string(r.RefundNetwork), r.RefundAmount)
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) && ve.Fields["network"] != nil {
			return ve.Rename("network", "invoice_id")
		}
		return nil // a node that is down now: the claim waits anyway
	}
	if r.FeePayer == FeeCustomer && e.FeeCurrency == a.Code && !r.RefundAmount.GreaterThan(e.NetworkFee) {
		return validation.Field("amount", fmt.Errorf("%w: it does not cover the network fee (about %s %s)", payout.ErrBelowMinimum, e.NetworkFee, a.Code))
	}
	return nil
}

// release sends r's held payout (or its code) and returns r as stored afterwards.
func (s *Service) release(ctx context.Context, r *Refund, pp *payout.Prepared) (*Refund, error) {
	_, err := s.cfg.Payouts.Release(ctx, pp)
	cur, gerr := s.Get(ctx, r.Mode, r.ID)
	if gerr != nil {
		return r, errors.Join(err, gerr)
	}
	return cur, err
}

// follow copies what r shows of its payout p.
func (s *Service) follow(r *Refund, p *payout.Payout) {
	id := p.ID
	r.PayoutID = &id
	net := p.NetAmount
	r.AmountReceived = &net
	est := p.EstimatedFee
	r.EstimatedFee = &est
	r.FeeCurrency = p.FeeCurrency
	r.NetworkFee, r.TxHash = nil, nil // as the payout says: a new attempt has neither yet
	if p.Fee != nil {
		f := *p.Fee
		r.NetworkFee = &f
	}
	if p.TxHash != "" {
		h := p.TxHash
		r.TxHash = &h
	}
	if p.Destination != "" {
		d := p.Destination
		r.Destination = &d
	}
	switch p.Status {
	case payout.StatusPendingVerification:
		r.Status = StatusPendingVerification
	case payout.StatusProcessing, payout.StatusBroadcast:
		r.Status = StatusProcessing
	case payout.StatusCompleted:
		r.Status = StatusSucceeded
	case payout.StatusFailed, payout.StatusCancelled:
		r.Status = StatusFailed
		r.FailureReason = p.FailureReason
	}
}

// priceDecimals is the precision of a price currency (fiat minor units or an asset's
// decimals).
func (s *Service) priceDecimals(currency string) int32 {
	if f, err := asset.ParseFiat(currency); err == nil {
		return f.MinorUnits
	}
	if a, err := s.cfg.Assets.Get(currency); err == nil {
		return a.Decimals
	}
	return 18
}

// left is what is still refundable of inv: in the price currency overall, and in
// crypto per method (index), given its refunds so far.
func left(inv *invoice.Invoice, prior []*Refund) (price decimal.Decimal, crypto []decimal.Decimal) {
	price = inv.AmountConfirmed
	crypto = make([]decimal.Decimal, len(inv.Methods))
	for i, m := range inv.Methods {
		crypto[i] = m.AmountConfirmed
	}
	for _, r := range prior {
		if !r.Status.active() {
			continue
		}
		price = price.Sub(r.Amount)
		for i, m := range inv.Methods {
			if m.Asset == r.Asset {
				crypto[i] = crypto[i].Sub(r.RefundAmount)
			}
		}
	}
	return price, crypto
}

// methodValue is crypto of method i in the invoice's price currency at its locked
// quote, rounded down to d places.
func methodValue(inv *invoice.Invoice, i int, crypto decimal.Decimal, d int32) decimal.Decimal {
	due := inv.Methods[i].AmountDue
	if !due.IsPositive() {
		return decimal.Zero
	}
	return asset.DivRoundDown(crypto.Mul(inv.AmountDue), due, d)
}

// quote decides a refund's asset, price amount and crypto amount (checked again,
// with the invoice locked, by checkLimit).
func (s *Service) quote(ctx context.Context, inv *invoice.Invoice, prior []*Refund, p CreateParams) (*quote, error) {
	var v validation.Error
	if p.Currency != "" && !strings.EqualFold(p.Currency, inv.Currency) {
		v.Add("currency", fmt.Errorf("must be the invoice's price currency, %s", inv.Currency))
	}
	d := s.priceDecimals(inv.Currency)
	if _, err := asset.ToBaseUnits(p.Amount, d); err != nil {
		v.Add("amount", err)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !inv.AmountConfirmed.IsPositive() {
		return nil, validation.Field("invoice_id", ErrNothingPaid)
	}
	price, crypto := left(inv, prior)
	price = price.RoundFloor(d)
	// The method with the most confirmed value left to refund pays.
	best, bestValue := -1, decimal.Zero
	for i := range inv.Methods {
		if val := methodValue(inv, i, crypto[i], d); crypto[i].IsPositive() && (best < 0 || val.GreaterThan(bestValue)) {
			best, bestValue = i, val
		}
	}
	if best < 0 || !price.IsPositive() {
		return nil, validation.Field("amount", fmt.Errorf("%w: everything confirmed was refunded already", ErrExceedsPayment))
	}
	m := inv.Methods[best]
	a, err := s.cfg.Assets.Get(m.Asset)
	if err != nil {
		return nil, validation.Field("invoice_id", err)
	}
	most := decimal.Min(price, bestValue)
	amount := p.Amount
	if amount.IsZero() {
		amount = most
	}
	if amount.GreaterThan(most) {
		return nil, validation.Field("amount", fmt.Errorf("%w: at most %s %s", ErrExceedsPayment, most, inv.Currency))
	}
	q := &quote{inv: inv, a: a, amount: amount}
	var cr decimal.Decimal
	switch {
	case p.Rate == RateCurrent:
		rate := decimal.NewFromInt(1)
		if !strings.EqualFold(inv.Currency, a.Code) && !strings.EqualFold(inv.Currency, a.Currency) {
			if s.cfg.Rates == nil {
				return nil, validation.Field("rate", invoice.ErrNoRate)
			}
			rt, err := s.cfg.Rates.Rate(ctx, a.Currency, inv.Currency)
			if err != nil {
				return nil, validation.Field("rate", fmt.Errorf("%w: %v", invoice.ErrNoRate, err))
			}
			rate = rt.Value
		}
		if !rate.IsPositive() {
			return nil, validation.Field("rate", invoice.ErrNoRate)
		}
		cr = asset.DivRoundDown(amount, rate, a.Decimals)
		if cr.GreaterThan(crypto[best]) {
			// Never more than the payer sent: a refund worth more in crypto today is a
			// payout of the merchant's own.
			return nil, validation.Field("amount", fmt.Errorf("%w: at today's rate %s %s is %s %s, more than the %s %s left of what the payer sent",
				ErrExceedsPayment, amount, inv.Currency, cr, a.Code, crypto[best], a.Code))
		}
	case amount.Equal(bestValue):
		cr = crypto[best] // the rest of the method, whole
	default:
		cr = asset.DivRoundDown(amount.Mul(m.AmountDue), inv.AmountDue, a.Decimals)
		cr = decimal.Min(cr, crypto[best])
	}
	if q.units, err = a.ToBaseUnits(cr); err != nil || q.units.Sign() <= 0 {
		return nil, validation.Field("amount", fmt.Errorf("%w: it is less than one base unit of %s", asset.ErrZeroAmount, a.Code))
	}
	return q, nil
}

// checkLimit is the limit, checked with the invoice locked: r and the active refunds
// before it add up to no more than was confirmed, in the price currency and in r's
// asset (what the payer sent in it), whatever their rates.
func checkLimit(inv *invoice.Invoice, prior []*Refund, r *Refund) error {
	price, crypto := left(inv, prior)
	if r.Amount.GreaterThan(price) {
		return validation.Field("amount", fmt.Errorf("%w: %s %s left", ErrExceedsPayment, decimal.Max(price, decimal.Zero), inv.Currency))
	}
	for i, m := range inv.Methods {
		if m.Asset == r.Asset && r.RefundAmount.GreaterThan(crypto[i]) {
			return validation.Field("amount", fmt.Errorf("%w: %s %s left", ErrExceedsPayment, decimal.Max(crypto[i], decimal.Zero), m.Asset))
		}
	}
	return nil
}

// reserveID names the hold that sets a refund waiting for an address aside.
func reserveID(r *Refund) string { return "refund-reserve-" + r.ID }

// reserve sets what r will pay aside from its merchant's available balance while it
// waits for the payer's address (a hold, released when the payout takes the money
// over, or when r is cancelled). Not enough available: payout.ErrInsufficientFunds on
// "amount".
func (s *Service) reserve(ctx context.Context, tx Tx, r *Refund) error {
	a, _ := s.cfg.Assets.Get(r.Asset)
	units, err := a.ToBaseUnits(r.RefundAmount)
	if err != nil {
		return err
	}
	if err := ledger.EnsureSubAccounts(ctx, tx, r.Mode, r.SubMerchantID, a.Code); err != nil {
		return err
	}
	o := ledger.Owner{Sub: r.SubMerchantID} // the invoice's merchant: the operator, or its sub-merchant
	err = ledger.PlaceHold(ctx, tx, reserveID(r), o.Available(r.Mode, a.Code), o.Holds(r.Mode, a.Code), units)
	if errors.Is(err, ledger.ErrInsufficientFunds) {
		return validation.Field("amount", payout.ErrInsufficientFunds)
	}
	return err
}

// unreserve releases r's reserve (none, or released already: nothing to do).
func unreserve(ctx context.Context, tx Tx, r *Refund) error {
	err := ledger.VoidHold(ctx, tx, reserveID(r))
	if errors.Is(err, ledger.ErrHoldNotFound) || errors.Is(err, ledger.ErrHoldClosed) {
		return nil
	}
	return err
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// byRequestKey returns the refund made with key (nil when key is "" or unused).
func (s *Service) byRequestKey(ctx context.Context, m asset.Mode, key string) (*Refund, error) {
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 {
		return nil, validation.Field("request_key", invoice.ErrTooLarge)
	}
	var r *Refund
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		r, err = tx.RefundByRequestKey(ctx, m, key)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// Get returns a refund of mode m.
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Refund, error) {
	var r *Refund
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		r, err = tx.GetRefund(ctx, m, id)
		return err
	})
	return r, err
}

// List returns refunds, newest first, and how many match.
func (s *Service) List(ctx context.Context, p ListParams) ([]*Refund, int, error) {
	if p.Limit <= 0 || p.Limit > 100 {
		p.Limit = 100
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if p.Object == "" {
		p.Object = ObjectRefund
	}
	var out []*Refund
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListRefunds(ctx, p)
		return err
	})
	return out, total, err
}

// ForInvoice returns the refunds of an invoice of mode m, oldest first
// (invoice.ErrNotFound for an unknown one).
func (s *Service) ForInvoice(ctx context.Context, m asset.Mode, invoiceID string) ([]*Refund, error) {
	var out []*Refund
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.GetInvoice(ctx, m, invoiceID); err != nil {
			return err
		}
		var err error
		out, err = tx.InvoiceRefunds(ctx, m, invoiceID)
		return err
	})
	return out, err
}

// Cancel cancels a refund still awaiting its address (ErrInvalidState otherwise): its
// amount is refundable again and the claim link stops working.
func (s *Service) Cancel(ctx context.Context, m asset.Mode, id string) (*Refund, error) {
	var out *Refund
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		r, err := tx.GetRefund(ctx, m, id)
		if err != nil {
			return err
		}
		if r.Status != StatusAwaitingAddress {
			return fmt.Errorf("%w: it is %s", ErrInvalidState, r.Status)
		}
		out = r
		return s.cancel(ctx, tx, r, "cancelled by the merchant")
	})
	return out, err
}

func (s *Service) cancel(ctx context.Context, tx Tx, r *Refund, reason string) error {
	if err := unreserve(ctx, tx, r); err != nil {
		return err
	}
	r.Status, r.FailureReason, r.UpdatedAt = StatusCancelled, reason, s.cfg.Now().UTC()
	r.ClaimPath = ""
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return err
	}
	return s.emit(ctx, tx, r, EventCancelled)
}

// ByToken is what the claim page shows: the refund behind a token, in any mode.
// ErrNotFound for an unknown token.
func (s *Service) ByToken(ctx context.Context, token string) (*Refund, error) {
	if token == "" || len(token) > 64 {
		return nil, ErrNotFound
	}
	var r *Refund
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		r, err = tx.RefundByToken(ctx, token)
		return err
	})
	return r, err
}

// Claim takes the payer's address (and optional email) for the refund behind token:
// the address is checked for the refund's network (a wrong network, a bad checksum or
// one of our own deposit addresses is a *validation.Error on "address"), the payout
// is held and sent, and the link stops working. A used link is ErrInvalidState, an
// expired one ErrClaimExpired.
func (s *Service) Claim(ctx context.Context, token, address, email string) (*Refund, error) {
	r, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := s.claimable(r); err != nil {
		return r, err
	}
	var v validation.Error
	address = strings.TrimSpace(address)
	if address == "" {
		v.Add("address", errors.New("is required"))
	}
	email = strings.TrimSpace(email)
	if len(email) > 254 || (email != "" && !strings.Contains(email, "@")) {
		v.Add("email", errors.New("is not an email address"))
	}
	if err := v.Err(); err != nil {
		return r, err
	}
	var inv *invoice.Invoice
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		inv, err = tx.GetInvoice(ctx, r.Mode, r.InvoiceID)
		return err
	}); err != nil {
		return r, err
	}
	pp, err := s.prepare(ctx, r, inv, address)
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			return r, ve.Rename("destination_address", "address")
		}
		return r, err
	}
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := tx.RefundByToken(ctx, token)
		if err != nil {
			return err
		}
		if err := s.claimable(cur); err != nil {
			return err
		}
		// The reserve's money goes over to the payout's hold.
		if err := unreserve(ctx, tx, cur); err != nil {
			return err
		}
		if err := s.cfg.Payouts.Hold(ctx, tx, pp); err != nil {
			return err
		}
		cur.Email, cur.ClaimPath, cur.UpdatedAt = email, "", s.cfg.Now().UTC()
		s.follow(cur, pp.Payout())
		r = cur
		return tx.UpdateRefund(ctx, cur)
	})
	if err != nil {
		return r, err
	}
	return s.release(ctx, r, pp)
}

// claimable reports why r's claim link cannot be used now, if it cannot.
func (s *Service) claimable(r *Refund) error {
	if r.Status != StatusAwaitingAddress {
		return fmt.Errorf("%w: it is %s", ErrInvalidState, r.Status)
	}
	if r.ClaimExpiresAt != nil && !s.cfg.Now().Before(*r.ClaimExpiresAt) {
		return ErrClaimExpired
	}
	return nil
}

// PayoutChanged follows a refund's payout p, in the transaction that changed it
// (payout.Config.Changed): the refund takes its status, transaction and fee; on
// success the invoice's AmountRefunded and Refunded are brought up to date, with
// refund.succeeded (once) and invoice.refunded when all was given back; on failure
// refund.failed, and the amount is refundable again.
func (s *Service) PayoutChanged(ctx context.Context, tx Tx, p *payout.Payout) error {
	r, err := tx.RefundByPayout(ctx, p.ID)
	if errors.Is(err, ErrNotFound) {
		return nil // not a refund's (Hold stores a refund's payout before the refund, without calling here)
	}
	if err != nil {
		return err
	}
	before := *r
	s.follow(r, p)
	now := s.cfg.Now().UTC()
	r.UpdatedAt = now
	var ev event.Type
	switch {
	case r.Status == StatusSucceeded && r.SucceededAt == nil:
		r.SucceededAt, ev = &now, EventSucceeded
	case r.Status == StatusFailed && before.Status != StatusFailed:
		ev = EventFailed
	}
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return err
	}
	if ev != "" {
		if err := s.emit(ctx, tx, r, ev); err != nil {
			return err
		}
	}
	if ev != "" {
		return s.bookInvoice(ctx, tx, r)
	}
	return nil
}

// bookInvoice sets the invoice's AmountRefunded from its refunds that succeeded (a
// reorg that sends one back to processing does not take it out: its payout stays
// booked as paid and is sent again), and Refunded when they and the succeeded
// rebounds cover what was confirmed; invoice.refunded is emitted when it first does.
func (s *Service) bookInvoice(ctx context.Context, tx Tx, r *Refund) error {
	inv, err := tx.GetInvoice(ctx, r.Mode, r.InvoiceID)
	if err != nil {
		return err
	}
	all, err := tx.InvoiceRefunds(ctx, r.Mode, r.InvoiceID)
	if err != nil {
		return err
	}
	refunded, back := decimal.Zero, decimal.Zero
	for _, q := range all {
		if q.ID == r.ID {
			q = r
		}
		if q.SucceededAt == nil || q.Status == StatusFailed {
			continue
		}
		back = back.Add(q.Amount)
		if q.Object != ObjectRebound {
			refunded = refunded.Add(q.Amount)
		}
	}
	full := inv.AmountConfirmed.IsPositive() && back.GreaterThanOrEqual(inv.AmountConfirmed.RoundFloor(s.priceDecimals(inv.Currency)))
	if refunded.Equal(inv.AmountRefunded) && full == inv.Refunded {
		return nil
	}
	if err := tx.SetInvoiceRefunded(ctx, r.Mode, inv.ID, refunded, full); err != nil {
		return err
	}
	if full && !inv.Refunded {
		inv.AmountRefunded, inv.Refunded = refunded, true
		data, err := json.Marshal(inv)
		if err != nil {
			return err
		}
		_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: event.InvoiceRefunded, CreatedAt: s.cfg.Now().UTC(),
			Mode: inv.Mode, Livemode: inv.Livemode(), ObjectID: inv.ID, Data: data, SubMerchantID: inv.SubMerchantID})
		return err
	}
	return nil
}

// Step cancels refunds whose claim link expired unused (refund.cancelled). The
// Gateway's payout job runs it.
func (s *Service) Step(ctx context.Context) error {
	for {
		var n int
		err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
			rs, err := tx.ClaimsExpiring(ctx, s.cfg.Now(), 100)
			n = len(rs)
			for _, r := range rs {
				if err := s.cancel(ctx, tx, r, "the claim link expired unused"); err != nil {
					return err
				}
			}
			return err
		})
		if err != nil || n < 100 {
			return err
		}
	}
}

func (s *Service) emit(ctx context.Context, tx Tx, r *Refund, t event.Type) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: eventOf(r, t), CreatedAt: s.cfg.Now().UTC(), Mode: r.Mode,
		Livemode: r.Livemode, ObjectID: r.ID, Data: data, SubMerchantID: r.SubMerchantID})
	return err
}
