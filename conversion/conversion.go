// Package conversion converts money between a merchant's balances (BTC to USDT_TRON,
// say) through an exchange the operator runs: Kassa holds the amount, asks the
// operator's Exchanger to convert it, and books both legs in one ledger entry.
//
// The flow of one conversion, each step durable:
//
//  1. One storage transaction stores the conversion, pending, and holds the amount
//     of the from asset on the merchant's balance (ledger.HoldConversion). An amount
//     the available balance does not cover is refused and nothing is written.
//  2. Outside any transaction, the Exchanger is asked to convert (Request.ID is the
//     conversion's id).
//  3. A second transaction books the answer: completed, both legs in one entry
//     (ledger.PostConversion: the held amount to the exchange, what it gave back to
//     the merchant's available balance, its fee apart), with the event
//     conversion.completed; failed, the hold voided, with conversion.failed.
//
// A crash, or an Exchanger that errs without saying no, between 2 and 3 leaves the
// conversion pending with its hold in place: Service.Recover (run by the Gateway's
// background jobs) asks the Exchanger again with the same Request.ID, which must
// answer for the conversion it already made rather than make a second one, and books
// the answer once (the ledger entry's key is derived from the conversion id).
package conversion

import (
	"context"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/ledger"
	"github.com/shopspring/decimal"
)

// Status is a conversion's state: pending, then completed or failed, never back.
type Status string

const (
	// StatusPending: the amount is held; the exchange has not answered for good.
	StatusPending Status = "pending"
	// StatusCompleted: converted; both legs are booked.
	StatusCompleted Status = "completed"
	// StatusFailed: the exchange refused; the hold is void, nothing moved.
	StatusFailed Status = "failed"
)

// Valid reports whether s is one of the three statuses.
func (s Status) Valid() bool {
	return s == StatusPending || s == StatusCompleted || s == StatusFailed
}

// Events of conversions; their data is the Conversion.
const (
	EventCompleted event.Type = "conversion.completed"
	EventFailed    event.Type = "conversion.failed"
)

// IDPrefix opens every conversion id.
const IDPrefix = "cv_"

// Conversion is one conversion between two of a merchant's balances.
type Conversion struct {
	ID   string     `json:"conversion_id"` // cv_...
	Mode asset.Mode `json:"mode"`
	// SubMerchantID is the sub-merchant whose balances it converts ("" for the
	// operator's own).
	SubMerchantID string `json:"sub_merchant_id"`
	// From and To are asset codes ("BTC", "USDT_TRON").
	From string `json:"from_currency"`
	To   string `json:"to_currency"`
	// Amount is what is converted, in From.
	Amount decimal.Decimal `json:"amount"`
	// Rate is what the exchange applied (To per 1 From); zero until completed.
	Rate decimal.Decimal `json:"rate_applied"`
	// Received is what the merchant got, in To, after Fee; zero until completed.
	Received decimal.Decimal `json:"received_amount"`
	// Fee is what the exchange reported it kept, in To.
	Fee           decimal.Decimal `json:"fee"`
	Status        Status          `json:"status"`
	FailureReason string          `json:"failure_reason"`
	// RequestKey is the key of the request that created it (CreateParams.RequestKey).
	RequestKey string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Request asks an Exchanger to convert Amount of From into To.
type Request struct {
	// ID is the conversion's id: the idempotency key of the request.
	ID   string
	Mode asset.Mode
	// From and To are asset codes of Kassa's registry ("BTC", "USDT_TRON").
	From, To string
	Amount   decimal.Decimal
}

// Result is an Exchanger's answer.
type Result struct {
	// Status is StatusCompleted (converted: Rate, Received and Fee say how),
	// StatusFailed (refused: nothing was converted) or StatusPending (still under
	// way: Kassa asks again later, with the same Request.ID).
	Status Status
	// Rate is To per 1 From, as applied.
	Rate decimal.Decimal
	// Received is what the merchant gets, in To, net of Fee: positive. Finer than To's
	// decimals, it is rounded down (the dust stays with the exchange). Received plus
	// Fee must be within 1% of Amount times Rate, else the Result contradicts itself
	// (base units for units, another request's answer): it is not booked, and Kassa
	// asks again.
	Received decimal.Decimal
	// Fee is what the exchange kept, in To (zero or more; rounded down as Received).
	Fee decimal.Decimal
	// Reason says why a conversion failed (shown as failure_reason): write it for the
	// merchant, without the exchange's internals.
	Reason string
}

// Exchanger is the operator's exchange: it converts one asset into another, moving
// the coins on its own side (Kassa books what it reports; it sends nothing on chain).
//
// Convert must be idempotent by Request.ID: Kassa asks again with the same ID when it
// did not hear a final answer (a crash after asking, an error, a StatusPending), and
// the second call must answer for the conversion the first made (its Result), never
// make another. An error means "unknown": the conversion stays pending, its amount
// held, and is asked again by Service.Recover; only an error wrapping ErrRefused, or
// a Result with StatusFailed, fails it.
//
// An error meaning "this ID was asked before" must never be mapped to ErrRefused:
// answer the first call's Result instead, or the hold would be voided while the
// exchange converted. Convert is only asked for the mode it was configured for
// (Config.Exchanger live money, Config.TestExchanger test money); Request.Mode says
// which, and a live exchange may refuse anything else.
//
// NOTE: Convert is called outside any storage transaction, within ConvertTimeout, and
// may be called for one ID from several goroutines or instances at once (a create
// and the recovery pass).
type Exchanger interface {
	Convert(ctx context.Context, r Request) (Result, error)
}

// Errors.
var (
	ErrNotFound = errors.New("conversion not found")
	// ErrUnavailable: no Exchanger is configured for the mode (the API's
	// conversion_unavailable).
	ErrUnavailable = errors.New("conversions are not available: no exchange is configured for this mode")
	// ErrRefused, wrapped by an Exchanger's error, says the exchange refused for good.
	ErrRefused           = errors.New("the exchange refused the conversion")
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrSameCurrency      = errors.New("must differ from from_currency")
	ErrBadFormat         = errors.New("invalid format")
	// ErrDuplicate: a conversion with the request key exists (Tx.InsertConversion).
	ErrDuplicate = errors.New("a conversion with this request key exists")
)

// Tx is the storage the service needs inside one transaction: the ledger, the
// outbox, and the conversions.
type Tx interface {
	ledger.Tx
	event.Tx
	// InsertConversion stores a new conversion; ErrDuplicate, writing nothing, when
	// another conversion of c.Mode has c.RequestKey (not empty).
	InsertConversion(ctx context.Context, c Conversion) error
	// UpdateConversion replaces the status, rate, received amount, fee, failure
	// reason and updated time of conversion c.ID of c.Mode.
	UpdateConversion(ctx context.Context, c Conversion) error
	// GetConversion returns conversion id of mode m; ok false if there is none.
	GetConversion(ctx context.Context, m asset.Mode, id string) (c Conversion, ok bool, err error)
	// ConversionByRequestKey returns the conversion created with request key key in
	// mode m; ok false if there is none.
	ConversionByRequestKey(ctx context.Context, m asset.Mode, key string) (c Conversion, ok bool, err error)
	// ListConversions returns a page of p.Mode's conversions matching p's filters,
	// newest first (created_at, then id), and how many match in all.
	ListConversions(ctx context.Context, p ListParams) ([]Conversion, int, error)
	// PendingConversions returns up to limit pending conversions of both modes last
	// updated before before, oldest update first.
	PendingConversions(ctx context.Context, before time.Time, limit int) ([]Conversion, error)
}

// ListParams filter and page a list.
type ListParams struct {
	Mode asset.Mode
	// SubMerchantID, if not nil, lists only that scope's ("" the operator's own).
	SubMerchantID *string
	Status        Status // "" for any
	Page          int    // from 1
	Limit         int    // 1..100
}
