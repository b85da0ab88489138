// Package refund gives a payer's money back: refunds, partial or full, of any invoice,
// payment or checkout session, paid out through the payout engine (package payout),
// and the claim links a payer uses to say where the money goes.
//
// A refund is asked for in the invoice's price currency. Rate says what that means in
// crypto: RateInvoice (the default) gives back the crypto the payer sent, pro rata at
// the invoice's locked quote, rounded down to the asset's base unit (what is still
// refundable of a method is given back whole by the refund that takes the rest);
// RateCurrent converts the amount at today's rate, rounded down too, and no further
// than what is left of what the payer sent in that asset. It is paid in the
// asset the invoice was paid in: the method with the most confirmed value left to
// refund. FeePayer says who pays the network fee: FeeCustomer (the default) takes it
// from the refund; FeeMerchant adds it to what the merchant's balance gives up. A
// token's gas is paid in the network's coin from the merchant's balance either way;
// with FeeCustomer its value at today's rate (rounded up) is taken from the refund.
//
// Money: a refund is a payout with a cause (payout.CreateParams.RefundID). Its payout
// holds the merchant's available balance in the same storage transaction that
// creates the refund and checks the invoice's limit, so the refunds of one invoice
// never add up to more than was confirmed on it (ErrExceedsPayment), even when two
// are asked for at once on several instances (the invoice's row is locked). The
// payout is then signed once, stored before broadcast and followed by the one
// confirmation engine; the refund follows its payout in the same commits
// (Service.PayoutChanged):
//
//	awaiting_address --address claimed--> processing | pending_verification
//	pending_verification --code--> processing --confirmed--> succeeded
//	processing --refused, reverted--> failed (holds released)
//	pending_verification --code failed--> failed
//	awaiting_address --cancelled, or the claim link expired--> cancelled
//
// A refund without a destination sets its amount aside at once (a hold on the
// merchant's available balance, handed over to the payout's hold when the payer
// claims it, released when it is cancelled or its link expires) and waits in
// awaiting_address with a claim link
// (ClaimToken, 128 random bits; ClaimPath is "/refunds/<token>" under the hosted
// pages): the payer enters an address, checked for the network (Claim), and the payout
// goes out. The link works once and expires (Config.ClaimTTL). A reorg that takes a
// succeeded refund's transaction away sends it back to processing with its payout;
// the same signed transaction is sent again and it succeeds again, booked once.
//
// The invoice shows AmountRefunded (the refunds that succeeded; a reorg that sends one
// back to processing does not take it out, its payout staying booked as paid) and
// Refunded (they and the succeeded rebounds cover all that was confirmed);
// invoice.refunded is emitted when it becomes so.
package refund

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/shopspring/decimal"
)

// Status is a refund's state.
type Status string

// Statuses.
const (
	StatusAwaitingAddress     Status = "awaiting_address"
	StatusPendingVerification Status = "pending_verification"
	StatusProcessing          Status = "processing"
	StatusSucceeded           Status = "succeeded"
	StatusFailed              Status = "failed"
	StatusCancelled           Status = "cancelled"
	// StatusRejected: a rebound Kassa did not make (below the asset's minimum payout);
	// FailureReason says why.
	StatusRejected Status = "rejected"
)

// active reports whether a refund in st counts against its invoice's limit.
func (st Status) active() bool {
	return st != StatusFailed && st != StatusCancelled && st != StatusRejected
}

// Objects: what a record is.
const (
	ObjectRefund  = "refund"  // asked for by the merchant
	ObjectRebound = "rebound" // made by Kassa (Config.Rebounds)
)

// Rebound reasons (Refund.Reason of a rebound).
const (
	ReboundOverpaid  = "overpaid"  // the part paid beyond the price
	ReboundUnderpaid = "underpaid" // the whole of a payment too small, the invoice expired
	ReboundPaidLate  = "paid_late" // the whole of a payment that came after the invoice expired
)

// Rate says how a refund's price amount becomes crypto.
type Rate string

// Rates.
const (
	RateInvoice Rate = "invoice" // the crypto the payer sent, pro rata
	RateCurrent Rate = "current" // the amount at today's rate
)

// FeePayer says who pays the network fee.
type FeePayer string

// Fee payers.
const (
	FeeCustomer FeePayer = "customer" // taken from the refund
	FeeMerchant FeePayer = "merchant" // added to what the merchant gives up
)

// Reasons a merchant may give.
var reasons = map[string]bool{"": true, "duplicate": true, "fraudulent": true, "requested_by_customer": true}

// Events.
const (
	EventCreated   event.Type = "refund.created"
	EventSucceeded event.Type = "refund.succeeded"
	EventFailed    event.Type = "refund.failed"
	EventCancelled event.Type = "refund.cancelled"

	EventReboundCreated   event.Type = "rebound.created"
	EventReboundCompleted event.Type = "rebound.completed"
	EventReboundFailed    event.Type = "rebound.failed"
	EventReboundCancelled event.Type = "rebound.cancelled"
)

// Errors.
var (
	ErrNotFound = errors.New("refund not found")
	// ErrExceedsPayment: the refunds of the invoice would add up to more than was
	// confirmed on it.
	ErrExceedsPayment = errors.New("exceeds what is left to refund of the confirmed payment")
	// ErrNothingPaid: nothing is confirmed on the invoice.
	ErrNothingPaid  = errors.New("nothing is confirmed on this invoice: there is nothing to refund")
	ErrInvalidState = errors.New("the refund is not in a state that allows this")
	// ErrClaimExpired: the claim link is past its expiry.
	ErrClaimExpired = errors.New("this refund link has expired")
	ErrBadValue     = errors.New("is not one of the accepted values")
)

// Refund is the resource.
type Refund struct {
	ID       string     `json:"id"`
	Object   string     `json:"object"` // ObjectRefund or ObjectRebound
	Mode     asset.Mode `json:"-"`
	Livemode bool       `json:"livemode"`
	// SubMerchantID is its invoice's scope, whose balance pays it.
	SubMerchantID string `json:"sub_merchant_id"`
	InvoiceID     string `json:"invoice_id"`
	Status        Status `json:"status"`
	// Amount is what is refunded in the invoice's price currency (Currency).
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Rate     Rate            `json:"rate"`
	FeePayer FeePayer        `json:"fee_payer"`
	// Asset is the asset the refund is paid in (an invoice method's code).
	Asset          string          `json:"refund_code"`
	RefundCurrency string          `json:"refund_currency"`
	RefundNetwork  asset.NetworkID `json:"refund_network"`
	// RefundAmount is Amount in the refund's asset: what counts against the crypto
	// confirmed on the invoice.
	RefundAmount decimal.Decimal `json:"refund_amount"`
	// AmountReceived is what the payer's address is sent, once a payout is made:
	// RefundAmount less EstimatedFee when the customer pays the fee in the refund's
	// own asset (the output is fixed before the transaction is signed, so the
	// customer pays the estimate; what the actual fee comes to less stays with the
	// merchant, more is the merchant's), or RefundAmount when the merchant pays it.
	AmountReceived *decimal.Decimal `json:"amount_received"`
	// EstimatedFee is the network fee estimated when the payout was made, and
	// NetworkFee the fee paid, once known; both in FeeCurrency.
	EstimatedFee *decimal.Decimal `json:"estimated_fee"`
	NetworkFee   *decimal.Decimal `json:"network_fee"`
	FeeCurrency  string           `json:"fee_currency,omitempty"`
	Destination  *string          `json:"destination_address"`
	// Email is the payer's, given on the claim page (optional).
	Email       string          `json:"email,omitempty"`
	PayoutID    *string         `json:"payout_id"`
	TxHash      *string         `json:"tx_hash"`
	Reason      string          `json:"reason,omitempty"`
	Description string          `json:"description,omitempty"`
	Metadata    json.RawMessage `json:"metadata"`
	// ClaimPath is the claim page's path under the hosted pages ("/refunds/<token>"),
	// while the refund waits for an address; "" after.
	ClaimPath      string     `json:"claim_path,omitempty"`
	ClaimExpiresAt *time.Time `json:"claim_expires_at,omitempty"`
	FailureReason  string     `json:"failure_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	SucceededAt    *time.Time `json:"succeeded_at,omitempty"`

	// ClaimToken is the claim link's secret (128 bits, base64url): stored for the
	// lookup, never shown in the API but in ClaimPath.
	ClaimToken string `json:"-"`
	// RequestKey is the key of the request that created it (CreateParams.RequestKey).
	RequestKey string `json:"-"`
}

// ListParams filter List.
type ListParams struct {
	Mode asset.Mode
	// Object is ObjectRefund or ObjectRebound (List: ObjectRefund when "").
	Object    string
	InvoiceID string
	Status    Status
	// SubMerchantID, if not nil, lists only that scope's ("" the operator's own).
	SubMerchantID *string
	Page, Limit   int
}

// Tx is the storage the refund service needs inside one transaction.
type Tx interface {
	payout.Tx
	// GetInvoice returns the invoice of mode m (invoice.ErrNotFound otherwise); in a
	// read-write transaction its row stays locked until the end, so two refunds of
	// one invoice are checked one after the other.
	GetInvoice(ctx context.Context, m asset.Mode, id string) (*invoice.Invoice, error)
	// SetInvoiceRefunded stores the invoice's AmountRefunded and Refunded.
	SetInvoiceRefunded(ctx context.Context, m asset.Mode, id string, amount decimal.Decimal, full bool) error
	InsertRefund(ctx context.Context, r *Refund) error
	UpdateRefund(ctx context.Context, r *Refund) error
	// GetRefund returns ErrNotFound for an unknown id or one of the other mode.
	GetRefund(ctx context.Context, m asset.Mode, id string) (*Refund, error)
	// RefundByToken returns the refund whose claim token is token, in any mode.
	RefundByToken(ctx context.Context, token string) (*Refund, error)
	RefundByRequestKey(ctx context.Context, m asset.Mode, key string) (*Refund, error)
	RefundByPayout(ctx context.Context, payoutID string) (*Refund, error)
	// InvoiceRefunds returns the refunds of an invoice in creation order.
	InvoiceRefunds(ctx context.Context, m asset.Mode, invoiceID string) ([]*Refund, error)
	// ListRefunds returns refunds, newest first, and how many match.
	ListRefunds(ctx context.Context, p ListParams) ([]*Refund, int, error)
	// ClaimsExpiring returns up to limit refunds of every mode awaiting an address
	// whose claim link expired at or before t.
	ClaimsExpiring(ctx context.Context, t time.Time, limit int) ([]*Refund, error)
}
