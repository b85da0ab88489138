// Package event is Kassa's transactional outbox: every state change that others must
// hear about (an invoice paid, a payout broadcast) writes an Event in the same storage
// transaction as the change, so an event exists if and only if its change committed.
// In-process subscribers (Gateway.Subscribe) and the webhook dispatcher (package
// webhook) read the outbox in order and remember how far they got, so delivery is at
// least once and survives crashes.
package event

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
)

// Type is an event type, "invoice.paid".
type Type string

// Invoice events, plus payment_reversed for a payment a reorg or a
// double-spend took back.
const (
	InvoiceCreated         Type = "invoice.created"
	InvoicePaymentDetected Type = "invoice.payment_detected"
	InvoicePaymentReversed Type = "invoice.payment_reversed"
	InvoicePartiallyPaid   Type = "invoice.partially_paid"
	InvoiceConfirming      Type = "invoice.confirming"
	InvoicePaid            Type = "invoice.paid"
	InvoiceExpired         Type = "invoice.expired"
	InvoiceCancelled       Type = "invoice.cancelled"
	InvoiceRefunded        Type = "invoice.refunded"
	// InvoiceRefreshed: an invoice that expired unpaid is pending again, with new
	// quotes and a new lifetime (invoice.Service.Refresh).
	InvoiceRefreshed Type = "invoice.refreshed"
	// InvoiceClaimFailed: the payer said they had paid (invoice.Service.Claim), and
	// nothing arrived while the invoice was watched for it.
	InvoiceClaimFailed Type = "invoice.claim_failed"
	// BalanceDeficit: a reorg or a double-spend took back money the merchant had
	// already paid out; new payouts of the asset wait until deposits cover it.
	BalanceDeficit Type = "balance.deficit"
)

// Event is one outbox entry. Its JSON form is the webhook envelope:
// {"id":"evt_...","type":"invoice.paid","created_at":"RFC3339","livemode":false,"data":{...}}.
type Event struct {
	Seq       int64      `json:"-"` // position in the outbox, assigned by storage
	ID        string     `json:"id"`
	Type      Type       `json:"type"`
	CreatedAt time.Time  `json:"created_at"`
	Mode      asset.Mode `json:"-"`
	Livemode  bool       `json:"livemode"`
	// SubMerchantID is the sub-merchant whose object the event is about ("" for the
	// operator's own): a webhook endpoint of a sub-merchant gets only its events.
	SubMerchantID string          `json:"sub_merchant_id,omitempty"`
	ObjectID      string          `json:"-"` // the object the event is about ("inv_...")
	Data          json.RawMessage `json:"data"`
}

// ErrNotFound is returned for an unknown event or subscriber.
var ErrNotFound = errors.New("event not found")

// Tx is the outbox storage inside one transaction.
type Tx interface {
	// InsertEvent appends e to the outbox and returns its sequence number.
	InsertEvent(ctx context.Context, e Event) (int64, error)
	// EventsAfter returns up to limit events with Seq > after, in order.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// SubscriberCursor returns the Seq a named subscriber has processed (0 if new).
	SubscriberCursor(ctx context.Context, name string) (int64, error)
	// SetSubscriberCursor records that the named subscriber processed up to seq; a
	// cursor never moves back (two deliverers overlapping for a moment cannot undo
	// each other).
	SetSubscriberCursor(ctx context.Context, name string, seq int64) error
}
