// Package billing is recurring billing: products with pricing plans, and
// subscriptions that bill a customer once per period of a plan.
//
// A subscription is a schedule anchored at its billing_cycle_anchor. Period n starts
// at the anchor plus n intervals (PeriodStart: months add calendar months and keep
// the anchor's day, or the month's last day when it has fewer: an anchor on 31 January
// bills on 28 or 29 February, 31 March, 30 April), and each period is billed exactly
// once: a Period row keyed by (subscription, n) is written in the same transaction as
// the period's invoice, or as the ledger entry that collects it from the customer's
// wallet, and a crash, a restart or a second instance finds it there.
//
// A period is billed by a leased background job (Service.Step, run by the Gateway
// under its "billing" lease). With collection "invoice" the period's invoice is created
// at the period's start (kind invoice, subscription_id set); with collection "wallet"
// the plan's price moves from the customer's wallet of the plan's asset to the
// merchant in one ledger entry when the wallet's available balance covers it, and an
// invoice is sent otherwise. An invoice that expires unpaid (or that the merchant
// cancels) makes the subscription past_due and a new invoice for the same period is
// sent after each delay of Config.Retries, never while the expired one still counts
// late payments (its MonitorUntil), and an invoice a newer one replaced cannot be
// refreshed (Refreshable): a period is never open on two invoices. When the last one
// expires too, the subscription is cancelled (cancellation_reason "unpaid"). A period
// whose invoice cannot be made (no rate, an asset no longer enabled) says why
// (BillingError), is tried again every few minutes, and is past_due once overdue. Statuses: pending (the first period is not paid) ->
// active -> past_due -> active again when paid, and finally cancelled (now or at a
// period's end) or expired (auto_end_at reached: no period starting at or after it is
// billed).
//
// Invoices tell the subscription of their fate in their own transaction
// (Service.OnInvoice, called for invoice.paid, invoice.expired and invoice.cancelled):
// a paid invoice pays its period at once. All times are the Gateway's clock
// (Config.Now), so a fake clock runs a year of renewals in milliseconds.
package billing

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/wallet"
	"github.com/shopspring/decimal"
)

// Interval is the unit of a plan's billing period.
type Interval string

const (
	Day   Interval = "day"
	Week  Interval = "week"
	Month Interval = "month"
	Year  Interval = "year"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Day || i == Week || i == Month || i == Year }

// Plan is a price and a period of a product. Its price (Amount, Currency, Interval,
// IntervalCount) never changes once a subscription uses it (Used): add a plan
// instead.
type Plan struct {
	ID            string          `json:"id"` // plan_...
	ProductID     string          `json:"product_id"`
	Amount        decimal.Decimal `json:"amount"`
	Currency      string          `json:"currency"` // fiat ("USD") or an asset code ("USDT")
	Interval      Interval        `json:"interval"`
	IntervalCount int             `json:"interval_count"`
	Description   string          `json:"description"`
	Active        bool            `json:"active"`
	Used          bool            `json:"used"`
	CreatedAt     time.Time       `json:"created_at"`
}

// Product is something a merchant sells by subscription.
type Product struct {
	ID   string     `json:"id"` // prod_...
	Mode asset.Mode `json:"-"`
	// SubMerchantID is the scope the product belongs to ("" the operator's own); its
	// subscriptions are that scope's, their money booked on its balance.
	SubMerchantID string          `json:"sub_merchant_id"`
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	Images        []string        `json:"images"`
	Metadata      json.RawMessage `json:"metadata"` // null when none
	PricingPlans  []Plan          `json:"pricing_plans"`
	Active        bool            `json:"active"` // false: archived, no new subscriptions
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	// RequestKey is ProductParams.RequestKey, kept by the store in its own column.
	RequestKey string `json:"-"`
}

// Plan returns the product's plan id.
func (p *Product) Plan(id string) (*Plan, bool) {
	for i := range p.PricingPlans {
		if p.PricingPlans[i].ID == id {
			return &p.PricingPlans[i], true
		}
	}
	return nil, false
}

// Status is a subscription's state.
type Status string

const (
	StatusPending   Status = "pending"  // the first period is not paid yet
	StatusActive    Status = "active"   // every period so far is paid
	StatusPastDue   Status = "past_due" // a period's invoice expired unpaid; retried
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired" // auto_end_at reached
)

// Ended reports whether s is final.
func (s Status) Ended() bool { return s == StatusCancelled || s == StatusExpired }

// Collection is how a subscription's periods are paid.
type Collection string

const (
	CollectInvoice Collection = "invoice" // an invoice per period
	CollectWallet  Collection = "wallet"  // from the customer's wallet, else an invoice
)

// Subscription bills a customer once per period of a plan.
type Subscription struct {
	ID            string     `json:"id"` // sub_...
	Mode          asset.Mode `json:"-"`
	SubMerchantID string     `json:"sub_merchant_id"`
	CustomerID    string     `json:"customer_id"`
	ProductID     string     `json:"product_id"`
	PlanID        string     `json:"plan_id"`
	Status        Status     `json:"status"`
	Collection    Collection `json:"collection"`
	// The plan's price, as it was when the subscription started (it never changes).
	Amount        decimal.Decimal `json:"amount"`
	Currency      string          `json:"currency"`
	Interval      Interval        `json:"interval"`
	IntervalCount int             `json:"interval_count"`

	BillingCycleAnchor time.Time  `json:"billing_cycle_anchor"`
	AutoEndAt          *time.Time `json:"auto_end_at"`
	AcceptedAssets     []string   `json:"accepted_assets"`
	CancelAtPeriodEnd  bool       `json:"cancel_at_period_end"`
	CancelledAt        *time.Time `json:"cancelled_at"`
	EndedAt            *time.Time `json:"ended_at"`
	// CancellationReason is "requested" (Cancel) or "unpaid" (the last retry expired).
	CancellationReason string `json:"cancellation_reason,omitempty"`

	// CurrentPeriod is the number of the period billed last (0 the first), -1 before
	// the anchor.
	CurrentPeriod      int        `json:"current_period"`
	CurrentPeriodStart *time.Time `json:"current_period_start"`
	CurrentPeriodEnd   *time.Time `json:"current_period_end"`
	CurrentPeriodPaid  bool       `json:"current_period_paid"`
	LatestInvoiceID    string     `json:"latest_invoice_id"`
	// Attempts counts the invoices sent for the current period (retries included).
	Attempts int `json:"payment_attempts"`
	// NextPaymentAttempt is when the next invoice for the open period is sent, while
	// past due (nil otherwise).
	NextPaymentAttempt *time.Time `json:"next_payment_attempt"`
	// BillingError says why the open period's invoice could not be made (no rate for
	// a fiat price, an asset no longer enabled, ...); the job tries again every few
	// minutes. "" when none.
	BillingError string `json:"billing_error,omitempty"`
	// PeriodsPaid counts the periods paid so far.
	PeriodsPaid int `json:"periods_paid"`

	Metadata  json.RawMessage `json:"metadata"` // null when none
	ReturnURL string          `json:"return_url,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`

	// NextAt is when the billing job looks at the subscription next (zero: never,
	// it ended). Kept by the store in its own column.
	NextAt time.Time `json:"-"`
	// RequestKey is CreateParams.RequestKey, kept by the store in its own column.
	RequestKey string `json:"-"`
}

// PeriodStatus is the state of one billing period.
type PeriodStatus string

const (
	PeriodOpen   PeriodStatus = "open"   // billed, not paid yet
	PeriodPaid   PeriodStatus = "paid"   // paid by an invoice or from the wallet
	PeriodUnpaid PeriodStatus = "unpaid" // its last retry expired: the subscription was cancelled
	PeriodVoid   PeriodStatus = "void"   // the subscription was cancelled before it was paid
)

// Period is one billed period of a subscription: written once, in the transaction
// that bills it.
type Period struct {
	SubscriptionID string          `json:"subscription_id"`
	Mode           asset.Mode      `json:"-"`
	N              int             `json:"period"`
	Start          time.Time       `json:"start"`
	End            time.Time       `json:"end"`
	Status         PeriodStatus    `json:"status"`
	Amount         decimal.Decimal `json:"amount"`
	Currency       string          `json:"currency"`
	// Collection is how it was paid or is to be paid: "wallet" when the customer's
	// wallet paid it (WalletID), "invoice" otherwise (InvoiceID, the latest of its
	// Attempts).
	Collection Collection `json:"collection"`
	WalletID   string     `json:"wallet_id,omitempty"`
	InvoiceID  string     `json:"invoice_id,omitempty"`
	Attempts   int        `json:"attempts"`
	PaidAt     *time.Time `json:"paid_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Ref names a subscription.
type Ref struct {
	Mode asset.Mode
	ID   string
}

// Errors.
var (
	ErrNotFound     = errors.New("not found")
	ErrBadFormat    = errors.New("invalid format")
	ErrArchived     = errors.New("archived")
	ErrPlanUsed     = errors.New("a subscription uses this plan: its price never changes; add a plan instead")
	ErrEnded        = errors.New("the subscription has ended")
	ErrPeriodExists = errors.New("the period is billed already")
	ErrNotAsset     = errors.New("wallet collection needs a plan priced in an asset, not fiat")
)

// Events.
const (
	EventCreated   event.Type = "subscription.created"
	EventActivated event.Type = "subscription.activated" // the first period is paid
	EventRenewed   event.Type = "subscription.renewed"   // a later period is paid
	EventPastDue   event.Type = "subscription.past_due"
	EventCancelled event.Type = "subscription.cancelled"
	EventExpired   event.Type = "subscription.expired"
)

// EventTypes are the subscription events.
var EventTypes = []event.Type{EventCreated, EventActivated, EventRenewed, EventPastDue, EventCancelled, EventExpired}

// Tx is the storage the service needs inside one transaction.
type Tx interface {
	wallet.Tx // invoices, the ledger, events and customers' wallets
	// InsertProduct stores p with its plans.
	InsertProduct(ctx context.Context, p Product) error
	// ProductByRequestKey returns the product of mode m created with request key key
	// (not ""); ok false if there is none.
	ProductByRequestKey(ctx context.Context, m asset.Mode, key string) (p Product, ok bool, err error)
	// SubscriptionByRequestKey returns the subscription of mode m created with request
	// key key (not ""); ok false if there is none.
	SubscriptionByRequestKey(ctx context.Context, m asset.Mode, key string) (s Subscription, ok bool, err error)
	// UpdateProduct replaces product p.ID of p.Mode, plans included (plans are never
	// removed).
	UpdateProduct(ctx context.Context, p Product) error
	// GetProduct returns product id of mode m; ok false if there is none.
	GetProduct(ctx context.Context, m asset.Mode, id string) (p Product, ok bool, err error)
	// ProductOfPlan returns the product of plan id in mode m; ok false if none.
	ProductOfPlan(ctx context.Context, m asset.Mode, plan string) (p Product, ok bool, err error)
	// ListProducts returns a page of p.Mode's products matching p's filters, newest
	// first, and how many match in all.
	ListProducts(ctx context.Context, p ProductListParams) ([]Product, int, error)
	// InsertSubscription stores s.
	InsertSubscription(ctx context.Context, s Subscription) error
	// UpdateSubscription replaces subscription s.ID of s.Mode.
	UpdateSubscription(ctx context.Context, s Subscription) error
	// GetSubscription returns subscription id of mode m; ok false if there is none.
	// In a read-write transaction the row is locked until it ends (two instances
	// changing one subscription take turns).
	GetSubscription(ctx context.Context, m asset.Mode, id string) (s Subscription, ok bool, err error)
	// ListSubscriptions returns a page of p.Mode's subscriptions matching p's
	// filters, newest first, and how many match in all.
	ListSubscriptions(ctx context.Context, p ListParams) ([]Subscription, int, error)
	// DueSubscriptions returns up to limit subscriptions of either mode whose NextAt
	// is set and not after now, soonest first.
	DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]Ref, error)
	// InsertPeriod stores p; ErrPeriodExists when p's subscription has period p.N.
	InsertPeriod(ctx context.Context, p Period) error
	// UpdatePeriod replaces period p.N of p's subscription.
	UpdatePeriod(ctx context.Context, p Period) error
	// GetPeriod returns period n of subscription sub of mode m; ok false if none.
	GetPeriod(ctx context.Context, m asset.Mode, sub string, n int) (p Period, ok bool, err error)
	// ListPeriods returns subscription sub's periods, oldest first.
	ListPeriods(ctx context.Context, m asset.Mode, sub string) ([]Period, error)
}

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Invoices creates and cancels the periods' invoices (*invoice.Service).
type Invoices interface {
	Prepare(ctx context.Context, m asset.Mode, p invoice.CreateParams) (invoice.Prepared, error)
	Insert(ctx context.Context, tx invoice.Tx, p invoice.Prepared) (*invoice.Invoice, bool, error)
	Cancel(ctx context.Context, m asset.Mode, id string) (*invoice.Invoice, error)
}

// Config configures a Service.
type Config struct {
	Assets       *asset.Registry
	Invoices     Invoices
	Update, View Runner
	// CheckCustomer checks a customer_id (customer.Service.Resolve).
	CheckCustomer func(ctx context.Context, m asset.Mode, id string) (ok bool, err error)
	// CheckSubMerchant checks a sub_merchant_id (submerchant.Service.Check).
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
	// Retries are the delays after a period's invoice expires unpaid before the next
	// invoice for it is sent; after the last one's invoice expires the subscription
	// is cancelled. Default 1, 3 and 5 days.
	Retries []time.Duration
	// InvoiceLifetime is a period invoice's lifetime (default invoice.MaxLifetime).
	InvoiceLifetime time.Duration
	Now             func() time.Time
	Logger          *slog.Logger
}

// DefaultRetries are Config.Retries' default.
var DefaultRetries = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 5 * 24 * time.Hour}

// Service keeps products and subscriptions and bills them.
type Service struct {
	cfg Config
	// beforeRecord, set by tests, runs after a period's invoice is inserted and before
	// the period is recorded, in the same transaction: an error stands for a crash.
	beforeRecord func() error
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Update == nil || cfg.View == nil || cfg.Invoices == nil || cfg.Assets == nil {
		return nil, errors.New("billing: Assets, Invoices, Update and View are required")
	}
	if cfg.Retries == nil {
		cfg.Retries = DefaultRetries
	}
	if cfg.InvoiceLifetime == 0 {
		cfg.InvoiceLifetime = invoice.MaxLifetime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}
