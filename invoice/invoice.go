// Package invoice is Kassa's invoices, payments and checkout sessions (one resource,
// told apart by Kind): creation with quotes at a locked rate and a unique deposit
// address per payment method, the state machine, matching of chain transfers to
// invoices, expiry and the monitoring window.
//
// One pure function, Compute, decides an invoice's status, exception and amounts from
// its terms, the transfers paid to its addresses and the time; every transition is the
// difference between two results of Compute, written with its ledger entries and its
// outbox events in one storage transaction.
//
//	pending --payment seen (enough, within tolerance)--> confirming --confirmations--> paid
//	pending --partial payment--> partially_paid --top-up--> confirming
//	pending|partially_paid --lifetime over--> expired (exception underpaid if some came)
//	pending --Cancel--> cancelled
//	confirming --reorg or double-spend takes the payment back--> pending | partially_paid
//	expired --enough arrives within the monitoring window--> confirming --> paid (paid_late)
//	expired, nothing received --Refresh--> pending (same addresses, new quotes, new lifetime)
//
// The payer's "I have paid" (Claim) keeps an invoice watched a day after it; the
// claim is found by a payment after it, or by the invoice being confirming or paid,
// and fails with invoice.claim_failed when the watching ends with nothing.
//
// # Money
//
// Every transfer to an invoice address is the merchant's money, whatever the invoice's
// state: it is booked in the ledger as pending when seen and as available at its
// confirmations, and taken back if a reorg or double-spend removes it. A transfer's
// booking is a state kept beside it and moved by idempotent entries, so it is credited
// exactly once however often the watcher reports it.
//
// Quotes: a fiat price is converted at the rate locked at creation (price currency per
// one unit of the asset) and rounded UP to the asset's decimals (asset.DivRoundUp), so
// the merchant never receives less than the price. discount_percent applies to the
// price first (rounded up to the price currency's minor units); subtract adds that
// percentage of the asset's network fee estimate to the amount due.
package invoice

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/shopspring/decimal"
)

// Kind tells the three flavours of the resource apart.
type Kind string

const (
	KindInvoice         Kind = "invoice"
	KindPayment         Kind = "payment"
	KindCheckoutSession Kind = "checkout_session"
)

// Status is an invoice's state.
type Status string

const (
	StatusPending       Status = "pending"
	StatusPartiallyPaid Status = "partially_paid"
	StatusConfirming    Status = "confirming"
	StatusPaid          Status = "paid"
	StatusExpired       Status = "expired"
	StatusCancelled     Status = "cancelled"
)

// Exception qualifies a status.
type Exception string

const (
	ExceptionNone      Exception = ""
	ExceptionOverpaid  Exception = "overpaid"
	ExceptionUnderpaid Exception = "underpaid"
	ExceptionPaidLate  Exception = "paid_late"
)

// Invoice is the resource. Amounts in the price currency are decimals; a method's
// amounts are in its asset.
type Invoice struct {
	ID   string     `json:"id"`
	Kind Kind       `json:"kind"`
	Mode asset.Mode `json:"mode"`
	// SubMerchantID is the sub-merchant the invoice is for ("" for the operator's own
	// scope): its money is booked on that sub-merchant's balance.
	SubMerchantID string    `json:"sub_merchant_id"`
	Status        Status    `json:"status"`
	Exception     Exception `json:"exception,omitempty"`

	Amount    decimal.Decimal `json:"amount"`     // the price as given
	Currency  string          `json:"currency"`   // price currency: fiat code or asset code
	AmountDue decimal.Decimal `json:"amount_due"` // the price after discount

	OrderID    string `json:"order_id,omitempty"`
	RequestKey string `json:"-"` // CreateParams.RequestKey; kept by the store, not read back
	// ParamsHash is a digest of the parameters the invoice was created with, kept by the
	// store: a second create with its OrderID must have the same ones.
	ParamsHash string `json:"-"`
	// Existing is set on the invoice a create returns when its OrderID named an invoice
	// made before with the same parameters (nothing was created). Never stored.
	Existing   bool   `json:"-"`
	CustomerID string `json:"customer_id"`
	// SubscriptionID is the subscription (package billing) whose period
	// SubscriptionPeriod (0 the first) the invoice bills; "" for other invoices.
	SubscriptionID     string          `json:"subscription_id,omitempty"`
	SubscriptionPeriod *int            `json:"subscription_period,omitempty"`
	CustomerEmail      string          `json:"customer_email,omitempty"`
	Description        string          `json:"description,omitempty"`
	SuccessURL         string          `json:"success_url,omitempty"`
	CancelURL          string          `json:"cancel_url,omitempty"`
	CallbackURL        string          `json:"url_callback,omitempty"`
	Metadata           json.RawMessage `json:"metadata"` // null when none: the key is always there

	AccuracyPercent       decimal.Decimal `json:"accuracy_payment_percent"`
	UnderpaymentThreshold decimal.Decimal `json:"underpayment_threshold"`
	PaymentMultiple       bool            `json:"is_payment_multiple"`
	SubtractPercent       decimal.Decimal `json:"subtract"`
	DiscountPercent       decimal.Decimal `json:"discount_percent"`

	Methods []Method `json:"payment_methods"`

	AmountPaid      decimal.Decimal `json:"amount_paid"`      // detected, in the price currency
	AmountConfirmed decimal.Decimal `json:"amount_confirmed"` // confirmed, in the price currency
	// AmountRefunded is what its succeeded refunds gave back, in the price currency
	// (package refund); Refunded says it covers all that was confirmed.
	AmountRefunded decimal.Decimal `json:"amount_refunded"`
	Refunded       bool            `json:"refunded"`

	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	MonitorUntil time.Time  `json:"monitor_until"` // late payments count until then
	PaidAt       *time.Time `json:"paid_at,omitempty"`
	CancelledAt  *time.Time `json:"cancelled_at,omitempty"`
	// Refreshes counts how often the invoice was refreshed after expiring unpaid.
	Refreshes int `json:"refreshes,omitempty"`
	// Claims are the payer's "I have paid" (Claim), oldest first.
	Claims    []Claim   `json:"claims,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Method is one way to pay an invoice: an asset, an address and the amount due in it.
type Method struct {
	Asset    string          `json:"code"` // "USDT_TRON"
	Currency string          `json:"currency"`
	Network  asset.NetworkID `json:"network"`
	Address  string          `json:"address"`
	Family   asset.Family    `json:"family"`
	Decimals int32           `json:"precision"`
	Index    uint32          `json:"address_index"`
	// Rate is the locked price of one unit of the asset in the price currency;
	// RateSource names who priced it ("coingecko", "kraken", "fixed"; a cross rate
	// names both of its prices' sources, "kraken+par"; "par" alone for
	// the asset itself or a USD stablecoin in USD, priced 1 by definition) and RatedAt
	// when its prices were fetched (zero at par).
	Rate            decimal.Decimal `json:"rate"`
	RateSource      string          `json:"rate_source,omitempty"`
	RatedAt         *time.Time      `json:"rated_at,omitempty"`
	AmountDue       decimal.Decimal `json:"amount_due"`
	AmountPaid      decimal.Decimal `json:"amount_paid"`
	AmountConfirmed decimal.Decimal `json:"amount_confirmed"`
	Confirmations   int             `json:"confirmations_required"`
}

// Livemode reports whether the invoice is live.
func (inv *Invoice) Livemode() bool { return inv.Mode == asset.Live }

// Final reports whether the invoice can no longer change by itself (paid or
// cancelled; expired invoices still take late payments until MonitorUntil).
func (inv *Invoice) Final() bool { return inv.Status == StatusPaid || inv.Status == StatusCancelled }

// Errors of lookups and state.
var (
	ErrNotFound = errors.New("invoice not found")
	// ErrUnknownCustomer: a customer_id of Kassa's own shape (cus_...) names no
	// customer of the mode.
	ErrUnknownCustomer = errors.New("no such customer")
	ErrInvalidState    = errors.New("invoice is not in a state that allows this")
	ErrNoRate          = errors.New("no exchange rate available")
	// ErrOrderConflict: an invoice with this order id exists with other parameters.
	ErrOrderConflict = errors.New("an invoice with this order id exists with other parameters")
)

// Payment is a transfer matched to one of an invoice's methods.
type Payment struct {
	Method int // index into Invoice.Methods
	chains.Record
}

// ListParams filter List.
type ListParams struct {
	Mode asset.Mode
	// SubMerchantID, if not nil, lists only the invoices of that scope ("" the
	// operator's own).
	SubMerchantID *string
	Kind          Kind // "" for every kind
	Status        Status
	CustomerID    string
	OrderID       string
	CreatedFrom   time.Time
	CreatedTo     time.Time
	Page, Limit   int // Page from 1, Limit 1..100
}

// OrderKey is how an order id is stored: unique per mode and scope, so two
// sub-merchants may use the same order ids. The operator's own keep theirs as they
// are; a sub-merchant's are prefixed with its id and ":" (which order ids cannot hold).
func OrderKey(sub, orderID string) string {
	if sub == "" || orderID == "" {
		return orderID
	}
	return sub + ":" + orderID
}

// TransferFilter filters ListTransfers; empty fields match everything.
type TransferFilter struct {
	Asset   string          // asset code
	Network asset.NetworkID // network
	Status  chains.Status
	TxID    string
}

// Booking is where the ledger holds a transfer's money (ledger.Place).
type Booking = ledger.Place

// Bookings.
const (
	BookedNone      = ledger.InWorld
	BookedPending   = ledger.InPending
	BookedAvailable = ledger.InAvailable
)

// Tx is the storage the invoice package needs inside one transaction.
type Tx interface {
	ledger.Tx
	keys.IndexAllocator
	keys.AddressBook
	event.Tx
	// AfterCommit runs fn once the transaction has committed (never if it rolls back):
	// the watchers' address sets change only with what storage says.
	AfterCommit(fn func())
	// Cursor returns the watcher's last processed block of n (confirmations are
	// counted from it).
	Cursor(ctx context.Context, n chains.NetworkRef) (chains.BlockRef, bool, error)
	// OwnTx reports whether txid is a transaction our own wallet sent (its outputs to
	// our addresses are change, not deposits).
	OwnTx(ctx context.Context, n chains.NetworkRef, txid string) (bool, error)
	InsertInvoice(ctx context.Context, inv *Invoice) error
	// UpdateInvoice stores inv's state, its expiry and monitoring window included (a
	// refreshed invoice expires anew); watching says whether its addresses are still
	// watched.
	UpdateInvoice(ctx context.Context, inv *Invoice, watching bool) error
	// GetInvoice returns ErrNotFound for an unknown id or one of the other mode.
	GetInvoice(ctx context.Context, m asset.Mode, id string) (*Invoice, error)
	InvoiceByOrderID(ctx context.Context, m asset.Mode, orderID string) (*Invoice, error)
	// InvoiceByRequestKey returns the invoice created with CreateParams.RequestKey key
	// in m, or ErrNotFound (also for "").
	InvoiceByRequestKey(ctx context.Context, m asset.Mode, key string) (*Invoice, error)
	// InvoiceByAddress returns the invoice with a method paying asset to address on n.
	InvoiceByAddress(ctx context.Context, n chains.NetworkRef, assetCode, address string) (*Invoice, error)
	ListInvoices(ctx context.Context, p ListParams) ([]*Invoice, int, error)
	// Payments returns the transfers to the invoice's method addresses in their assets.
	Payments(ctx context.Context, inv *Invoice) ([]Payment, error)
	// DueInvoices returns ids of invoices of mode to look at now: pending or partially
	// paid past expiry, or still watched past their monitoring window.
	DueInvoices(ctx context.Context, m asset.Mode, now time.Time, limit int) ([]string, error)
	// WatchAddress adds address on n to the watched set for invoiceID.
	WatchAddress(ctx context.Context, n chains.NetworkRef, address, invoiceID string) error
	// UnwatchInvoice removes the invoice's addresses from the watched set.
	UnwatchInvoice(ctx context.Context, invoiceID string) error
	// ListTransfers returns transfers of mode, newest first, with optional filters, and
	// the total that match.
	ListTransfers(ctx context.Context, m asset.Mode, f TransferFilter, page, limit int) ([]chains.Record, int, error)
	// Booking returns where the transfer's money is booked, and how many entries moved it.
	Booking(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (Booking, int, error)
	SetBooking(ctx context.Context, n chains.NetworkRef, txid string, index uint32, b Booking, seq int) error
}
