// Package customer keeps a merchant's customers: the people and businesses who pay,
// with the merchant's own id for them (external_id), name, email, phone and metadata.
// Platforms hang customer wallets and subscriptions on them; every object that takes a
// customer_id still accepts the merchant's own free text, as before, or a cus_ id.
//
// Customers live in a mode (test or live) like every object: an id of the other mode
// is not found. An external_id is unique within its mode, so a merchant can look its
// customer up by its own id (ListParams.ExternalID) and never create it twice.
package customer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/text"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/validation"
)

// Customer is a merchant's customer.
type Customer struct {
	ID          string          `json:"id"` // cus_...
	Mode        asset.Mode      `json:"mode"`
	ExternalID  string          `json:"external_id"` // the merchant's own id, "" for none
	Name        string          `json:"name"`
	Email       string          `json:"email"`
	Phone       string          `json:"phone"`
	Description string          `json:"description"`
	Metadata    json.RawMessage `json:"metadata"` // null when none
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// Errors.
var (
	ErrNotFound = errors.New("customer not found")
	// ErrExternalIDTaken: another customer of the mode has that external_id.
	ErrExternalIDTaken = errors.New("another customer has this external_id")
	ErrBadFormat       = errors.New("invalid format")
	ErrTooLong         = errors.New("too long")
)

// IDPrefix opens every customer id.
const IDPrefix = "cus_"

// IsID reports whether id has the shape of the ids Kassa gives customers ("cus_" and
// 20 lowercase base32 characters). Other text, "cus_" ids of another system among it,
// is a merchant's own.
func IsID(id string) bool { return ids.Valid("cus", id) }

// Tx is the storage the service needs inside one transaction.
type Tx interface {
	// InsertCustomer stores c; ErrExternalIDTaken when another customer of c.Mode has
	// c.ExternalID (not empty).
	InsertCustomer(ctx context.Context, c Customer) error
	// UpdateCustomer replaces the stored customer c.ID of c.Mode; ErrExternalIDTaken as
	// for InsertCustomer.
	UpdateCustomer(ctx context.Context, c Customer) error
	// DeleteCustomer deletes customer id of mode m, and reports whether there was one.
	DeleteCustomer(ctx context.Context, m asset.Mode, id string) (bool, error)
	// GetCustomer returns customer id of mode m; ok false if there is none.
	GetCustomer(ctx context.Context, m asset.Mode, id string) (c Customer, ok bool, err error)
	// ListCustomers returns a page of p.Mode's customers matching p's filters, newest
	// first, and how many match in all.
	ListCustomers(ctx context.Context, p ListParams) ([]Customer, int, error)
}

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Config configures a Service.
type Config struct {
	Update, View Runner
	Now          func() time.Time
	Logger       *slog.Logger
}

// Service creates, reads, changes and deletes customers.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("customer: Update and View are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// CreateParams are a new customer's fields; all are optional.
type CreateParams struct {
	ExternalID  string
	Name        string
	Email       string
	Phone       string
	Description string
	Metadata    json.RawMessage // a JSON object, at most 16 KiB (invoice.CheckMetadata)
}

// UpdateParams change a customer: nil fields stay as they are, "" clears one.
type UpdateParams struct {
	ExternalID, Name, Email, Phone, Description *string
	Metadata                                    *json.RawMessage // JSON null clears it
}

// ListParams filter and page a list.
type ListParams struct {
	Mode       asset.Mode
	Email      string // exact, "" for any
	ExternalID string // exact, "" for any
	Page       int    // from 1
	Limit      int    // 1..100
}

var (
	phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{2,30}$`)
)

// check validates c's fields, naming each wrong one.
func check(c *Customer) error {
	var v validation.Error
	if c.ExternalID != "" && !text.ID(c.ExternalID) {
		v.Add("external_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	if IsID(c.ExternalID) {
		v.Add("external_id", fmt.Errorf("%w: it has the shape of Kassa's own customer ids", ErrBadFormat))
	}
	text := func(field, s string, most int) {
		switch {
		case len(s) > most:
			v.Add(field, fmt.Errorf("%w: over %d bytes", ErrTooLong, most))
		case !utf8.ValidString(s) || strings.ContainsFunc(s, text.MultiLineControl):
			v.Add(field, fmt.Errorf("%w: not UTF-8 text, or it has control or bidirectional-override characters", ErrBadFormat))
		}
	}
	text("name", c.Name, 256)
	text("description", c.Description, 1000)
	if c.Email != "" {
		if !invoice.ValidEmail(c.Email) {
			v.Add("email", fmt.Errorf("%w: want an address such as ada@example.com", ErrBadFormat))
		}
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		v.Add("phone", fmt.Errorf("%w: want digits, spaces, ( ) and -, optionally after +, such as +44 20 7946 0958", ErrBadFormat))
	}
	v.Add("metadata", invoice.CheckMetadata(c.Metadata))
	return v.Err()
}

// Create stores a new customer of mode m.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*Customer, error) {
	if !m.Valid() {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	now := s.cfg.Now().UTC()
	c := Customer{ID: ids.New("cus"), Mode: m, ExternalID: p.ExternalID, Name: p.Name, Email: p.Email, Phone: p.Phone,
		Description: p.Description, Metadata: text.CompactJSON(p.Metadata), CreatedAt: now, UpdatedAt: now}
	if err := check(&c); err != nil {
		return nil, err
	}
	if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error { return tx.InsertCustomer(ctx, c) }); err != nil {
		return nil, taken(err)
	}
	return &c, nil
}

// taken names the field of ErrExternalIDTaken.
func taken(err error) error {
	if errors.Is(err, ErrExternalIDTaken) {
		return validation.Field("external_id", err)
	}
	return err
}

// Get returns customer id of mode m (ErrNotFound for an unknown id or one of the
// other mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Customer, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	var c Customer
	var ok bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		c, ok, err = tx.GetCustomer(ctx, m, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return &c, nil
}

// Update changes customer id of mode m.
func (s *Service) Update(ctx context.Context, m asset.Mode, id string, p UpdateParams) (*Customer, error) {
	var c Customer
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, ok, err := tx.GetCustomer(ctx, m, id)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		c = cur
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&c.ExternalID, p.ExternalID)
		set(&c.Name, p.Name)
		set(&c.Email, p.Email)
		set(&c.Phone, p.Phone)
		set(&c.Description, p.Description)
		if p.Metadata != nil {
			c.Metadata = text.CompactJSON(*p.Metadata)
		}
		if err := check(&c); err != nil {
			return err
		}
		c.UpdatedAt = s.cfg.Now().UTC()
		return tx.UpdateCustomer(ctx, c)
	})
	if err != nil {
		return nil, taken(err)
	}
	return &c, nil
}

// Delete deletes customer id of mode m. Invoices and payouts that name it keep the id
// as they had it.
func (s *Service) Delete(ctx context.Context, m asset.Mode, id string) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		ok, err := tx.DeleteCustomer(ctx, m, id)
		if err == nil && !ok {
			return ErrNotFound
		}
		return err
	})
}

// List returns a page of customers and how many match in all.
func (s *Service) List(ctx context.Context, p ListParams) ([]Customer, int, error) {
	var v validation.Error
	if !p.Mode.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	validation.Paging(&v, &p.Page, &p.Limit, ErrBadFormat)
	if p.Email != "" {
		if !invoice.ValidEmail(p.Email) {
			v.Add("email", fmt.Errorf("%w: want an address such as ada@example.com", ErrBadFormat))
		}
	}
	if p.ExternalID != "" && !text.ID(p.ExternalID) {
		v.Add("external_id", fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []Customer
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListCustomers(ctx, p)
		return err
	})
	return out, total, err
}

// Resolve checks a customer_id given to another object (invoice.Config.CheckCustomer,
// payout.Config.CheckCustomer): the merchant's own free text is taken as it is (ok),
// and an id of Kassa's shape (IsID) must name a customer of mode m (not ok
// otherwise). An error is the storage's.
func (s *Service) Resolve(ctx context.Context, m asset.Mode, id string) (ok bool, err error) {
	if !IsID(id) {
		return true, nil
	}
	_, err = s.Get(ctx, m, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
