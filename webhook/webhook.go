// Package webhook delivers Kassa's events to merchants' HTTP endpoints: every event
// reaches every subscribed endpoint at least once, signed per Standard Webhooks, even
// across crashes.
//
// Endpoints are stored resources (URL, event filter, enabled flag) whose signing
// secret (whsec_...) is stored encrypted under the Gateway's master key and shown only
// when created or rotated. During a rotation window both the old and the new secret
// sign every message.
//
// Delivery is built on the event outbox (package event): a fan-out step reads new
// events in order and, in one storage transaction with its cursor, records one
// delivery per matching endpoint (and per invoice url_callback), so fan-out happens
// exactly once. The dispatcher then claims due deliveries with a lease, POSTs them from
// a bounded worker pool (10 s timeout, redirects not followed, at most 64 KiB of the
// answer read), and records every attempt. Any 2xx acknowledges; anything else retries
// after 1 min, 5 min, 15 min, 1 h and 6 h (each ±10% jitter), then the delivery is
// failed and can be redelivered by hand. A process killed between commit and delivery
// delivers after restart; one killed during a POST re-POSTs once the lease expires. An
// endpoint that fails continuously for DisableAfter (default 5 days) is disabled, with
// a webhook_endpoint.disabled event.
//
// The SSRF guard refuses endpoint URLs that are not http(s), that carry credentials,
// whose host is a number not written a.b.c.d (2130706433, 0x7f000001, never resolved),
// or whose host is or resolves to a loopback, private, link-local (cloud metadata),
// documentation or reserved address, or an IPv6 form that translates or tunnels to
// IPv4 (see PublicIP), at creation and again at every connection, unless AllowPrivate
// is set (tests, local development). Invoice creation checks url_callback with the
// same guard.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/secretbox"
	"github.com/kassapay/kassa/validation"
)

// Errors.
var (
	ErrNotFound         = errors.New("not found")
	ErrUnknownEventType = errors.New("unknown event type")
	ErrTooManyEndpoints = errors.New("too many webhook endpoints")
	ErrNoEvents         = errors.New("subscribe to at least one event type, or \"*\"")
)

// EndpointDisabled is the event type announcing an endpoint disabled for failing.
const EndpointDisabled event.Type = "webhook_endpoint.disabled"

// EventTypes are the event types an endpoint may subscribe to.
var EventTypes = []event.Type{
	event.InvoiceCreated, event.InvoicePaymentDetected, event.InvoicePaymentReversed, event.InvoicePartiallyPaid,
	event.InvoiceConfirming, event.InvoicePaid, event.InvoiceExpired, event.InvoiceCancelled, event.InvoiceRefunded, event.InvoiceRefreshed,
	event.InvoiceClaimFailed,
	"payout.created", "payout.pending_verification", "payout.awaiting_signature", "payout.broadcast", "payout.completed", "payout.failed",
	"refund.created", "refund.succeeded", "refund.failed", "refund.cancelled",
	"rebound.created", "rebound.completed", "rebound.failed", "rebound.cancelled",
	"sweep.completed", "sweep.failed",
	"wallet.deposit.pending", "wallet.deposit.completed", "wallet.deposit.reversed",
	"wallet.withdrawal.initiated", "wallet.withdrawal.completed", "wallet.withdrawal.failed",
	"subscription.created", "subscription.activated", "subscription.renewed", "subscription.past_due",
	"subscription.cancelled", "subscription.expired",
	"conversion.completed", "conversion.failed",
	event.BalanceDeficit, EndpointDisabled,
}

// Endpoint is a webhook endpoint.
type Endpoint struct {
	ID   string     `json:"id"`
	Mode asset.Mode `json:"-"`
	// SubMerchantID is the scope whose events the endpoint gets: "" the operator's
	// own, a sub-merchant's id that sub-merchant's, AllScopes every scope's (a
	// platform's whole feed; each event says its sub_merchant_id).
	SubMerchantID string   `json:"sub_merchant_id"`
	URL           string   `json:"url"`
	Description   string   `json:"description"`
	Events        []string `json:"events"` // event types, or ["*"]
	Enabled       bool     `json:"enabled"`
	// DisabledReason says why Kassa disabled it ("" if enabled or disabled by hand).
	DisabledReason string `json:"disabled_reason,omitempty"`
	// Secret is the signing secret, set only in the answers of Create and RotateSecret.
	Secret       string     `json:"secret,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// EndpointRecord is an endpoint as storage keeps it: the secrets sealed.
type EndpointRecord struct {
	Endpoint
	Secret    []byte     // sealed current secret
	OldSecret []byte     // sealed previous secret, during a rotation window
	OldUntil  *time.Time // end of the rotation window
}

// DeliveryStatus is a delivery's state.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event to one endpoint (or to an invoice's url_callback).
type Delivery struct {
	ID       string         `json:"id"`
	EventID  string         `json:"event_id"`
	Target   string         `json:"endpoint_id"` // endpoint id, or "url_callback"
	URL      string         `json:"url"`
	Mode     asset.Mode     `json:"-"`
	Status   DeliveryStatus `json:"status"`
	Attempts int            `json:"attempts"`
	NextAt   time.Time      `json:"next_attempt_at"`
	// ClaimedUntil is the lease of a dispatcher working on it.
	ClaimedUntil time.Time `json:"-"`
	LastError    string    `json:"last_error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Attempt is one HTTP attempt of a delivery.
type Attempt struct {
	DeliveryID string        `json:"delivery_id"`
	N          int           `json:"attempt"`
	At         time.Time     `json:"at"`
	StatusCode int           `json:"status_code"`
	Latency    time.Duration `json:"latency_ns"`
	Error      string        `json:"error,omitempty"`
	Response   string        `json:"response,omitempty"` // first bytes of the answer
}

// CallbackTarget is the Delivery.Target of invoice url_callback deliveries.
const CallbackTarget = "url_callback"

// Tx is the storage the webhook service needs inside one transaction.
type Tx interface {
	event.Tx
	InsertEndpoint(ctx context.Context, e EndpointRecord) error
	UpdateEndpoint(ctx context.Context, e EndpointRecord) error
	DeleteEndpoint(ctx context.Context, m asset.Mode, id string) error
	// GetEndpoint returns ErrNotFound for an unknown id or one of the other mode.
	GetEndpoint(ctx context.Context, m asset.Mode, id string) (EndpointRecord, error)
	ListEndpoints(ctx context.Context, m asset.Mode) ([]EndpointRecord, error)
	// InsertDelivery records a delivery; one per (event, target), later ones ignored.
	InsertDelivery(ctx context.Context, d Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now and not leased.
	ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]Delivery, error)
	// FinishAttempt stores d's new state and the attempt.
	FinishAttempt(ctx context.Context, d Delivery, a Attempt) error
	Deliveries(ctx context.Context, eventID string) ([]Delivery, error)
	Attempts(ctx context.Context, deliveryID string) ([]Attempt, error)
	// ResetDeliveries makes every delivery of the event pending again, due at now.
	ResetDeliveries(ctx context.Context, eventID string, now time.Time) (int, error)
	// GetEvent returns ErrNotFound for an unknown id or one of the other mode.
	GetEvent(ctx context.Context, m asset.Mode, id string) (event.Event, error)
	// ListEvents returns a page of mode's events, newest first, of type typ (""
	// for any) and of scope sub (nil for any), and how many match.
	ListEvents(ctx context.Context, m asset.Mode, typ string, sub *string, page, limit int) ([]event.Event, int, error)
	// CallbackSecret returns the sealed url_callback secret of mode.
	CallbackSecret(ctx context.Context, m asset.Mode) ([]byte, bool, error)
	// SetCallbackSecret stores the sealed url_callback secret of mode, which has none
	// yet (the caller read CallbackSecret in the same transaction). It never replaces
	// one a concurrent transaction stored first: deliveries may be signed with it.
	SetCallbackSecret(ctx context.Context, m asset.Mode, sealed []byte) error
}

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Options tune delivery. The zero value is the production default.
type Options struct {
	// AllowPrivate lets endpoints resolve to loopback and private addresses (tests,
	// local development). A Gateway applies it, with Resolver, to invoices'
	// url_callback as well. Never set it in production.
	AllowPrivate bool
	// Workers is the number of concurrent deliveries (default 8).
	Workers int
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration
	// Lease is how long a claimed delivery stays with the dispatcher that claimed it;
	// one whose process died is sent again after it (default 2×Timeout + 1 min; at
	// least 2×Timeout, so a live dispatcher's POSTs always end inside their lease).
	Lease time.Duration
	// Schedule is the wait before each retry (default 1 min, 5 min, 15 min, 1 h, 6 h).
	Schedule []time.Duration
	// DisableAfter disables an endpoint failing continuously this long (default 5 days).
	DisableAfter time.Duration
	// RotationWindow is how long the old secret keeps signing after a rotation
	// (default 24 h).
	RotationWindow time.Duration
	// MaxEndpoints per mode and scope (default 16).
	MaxEndpoints int
	// Resolver resolves endpoint hosts, and through a Gateway the hosts of invoices'
	// url_callback (default net.DefaultResolver); each lookup gives up after 5 s.
	Resolver Resolver
}

// Config configures a Service.
type Config struct {
	MasterKey []byte
	Update    Runner // read-write transactions
	View      Runner // read-only transactions
	Options   Options
	Now       func() time.Time
	Logger    *slog.Logger
	// Observe hears each attempt once it is recorded: the delivery's new status
	// (succeeded; pending: it will be retried; failed: no more retries) and how long
	// the POST took. Optional (the Gateway's metrics).
	Observe func(status DeliveryStatus, took time.Duration)
	// CheckSubMerchant checks an endpoint's sub_merchant_id (submerchant.Service.Check:
	// a refusal is a *validation.FieldError). Optional.
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
}

// Service manages endpoints and delivers events.
type Service struct {
	cfg    Config
	opts   Options
	box    *secretbox.Box
	guard  guard
	client *http.Client
	claim  sync.Mutex // one claimer at a time within the process
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	box, err := secretbox.New(cfg.MasterKey, "webhook-secret")
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("webhook: Update and View are required")
	}
	o := cfg.Options
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2*o.Timeout + time.Minute
	}
	if o.Lease < 2*o.Timeout {
		return nil, fmt.Errorf("webhook: Lease %s is shorter than 2×Timeout (%s)", o.Lease, 2*o.Timeout)
	}
	if len(o.Schedule) == 0 {
		o.Schedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour}
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 5 * 24 * time.Hour
	}
	if o.RotationWindow <= 0 {
		o.RotationWindow = 24 * time.Hour
	}
	if o.MaxEndpoints <= 0 {
		o.MaxEndpoints = 16
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := guard{allowPrivate: o.AllowPrivate, resolver: o.Resolver, dialTimeout: o.Timeout}
	transport := &http.Transport{
		Proxy:                 nil, // an environment proxy would bypass the guard
		DialContext:           g.dial,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   o.Workers,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{Transport: transport, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Service{cfg: cfg, opts: o, box: box, guard: g, client: client}, nil
}

// CreateParams create an endpoint.
type CreateParams struct {
	URL         string
	Description string
	Events      []string
	// SubMerchantID is the scope whose events the endpoint gets (Endpoint.SubMerchantID):
	// "", a sub-merchant's id, or AllScopes.
	SubMerchantID string
}

// AllScopes subscribes an endpoint to the events of every scope of its mode: the
// operator's own and every sub-merchant's.
const AllScopes = "*"

func (s *Service) checkParams(ctx context.Context, url, description string, events []string) (validation.Error, []string) {
	var v validation.Error
	if err := s.guard.check(ctx, url); err != nil {
		v.Add("url", err)
	}
	if len(description) > 1000 {
		v.Add("description", errors.New("is longer than 1000 bytes"))
	}
	if len(events) == 0 {
		v.Add("events", ErrNoEvents)
	}
	var clean []string
	for i, e := range events {
		if e == "*" {
			if len(events) > 1 {
				v.Add(fmt.Sprintf("events[%d]", i), errors.New("\"*\" must stand alone"))
			}
			clean = append(clean, e)
			continue
		}
		if !slices.Contains(EventTypes, event.Type(e)) {
			v.Add(fmt.Sprintf("events[%d]", i), fmt.Errorf("%w: %q", ErrUnknownEventType, e))
			continue
		}
		if !slices.Contains(clean, e) {
			clean = append(clean, e)
		}
	}
	return v, clean
}

// Create validates p and stores a new enabled endpoint. The answer carries the secret,
// which is never shown again.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (Endpoint, error) {
	v, events := s.checkParams(ctx, p.URL, p.Description, p.Events)
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	if p.SubMerchantID != "" && p.SubMerchantID != AllScopes && s.cfg.CheckSubMerchant != nil {
		var fe *validation.FieldError
		if err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID); errors.As(err, &fe) {
			v.Add(fe.Field, fe.Err)
		} else if err != nil {
			return Endpoint{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Endpoint{}, err
	}
	now := s.cfg.Now().UTC()
	secret := NewSecret()
	e := Endpoint{ID: ids.New("we"), Mode: m, SubMerchantID: p.SubMerchantID, URL: p.URL, Description: p.Description, Events: events,
		Enabled: true, CreatedAt: now, UpdatedAt: now}
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		all, err := tx.ListEndpoints(ctx, m)
		if err != nil {
			return err
		}
		// The limit is per scope: one sub-merchant's endpoints never crowd out another's.
		n := 0
		for _, ep := range all {
			if ep.SubMerchantID == p.SubMerchantID {
				n++
			}
		}
		if n >= s.opts.MaxEndpoints {
			return validation.Field("url", fmt.Errorf("%w (at most %d)", ErrTooManyEndpoints, s.opts.MaxEndpoints))
		}
		return tx.InsertEndpoint(ctx, EndpointRecord{Endpoint: e, Secret: s.box.Seal([]byte(secret), []byte(e.ID))})
	})
	if err != nil {
		return Endpoint{}, err
	}
	e.Secret = secret
	return e, nil
}

// UpdateParams change an endpoint; nil fields stay as they are.
type UpdateParams struct {
	URL         *string
	Description *string
	Events      []string // nil: unchanged
	Enabled     *bool
}

// Update changes an endpoint. Enabling it clears DisabledReason and FailingSince. The
// new URL is checked (and its host looked up) before the storage transaction.
func (s *Service) Update(ctx context.Context, m asset.Mode, id string, p UpdateParams) (Endpoint, error) {
	// The new values are checked before the write transaction: checking a URL looks its
	// host up in DNS, and a slow resolver must never hold the database's writer (every
	// invoice and payout waits for it).
	cur, err := s.Get(ctx, m, id)
	if err != nil {
		return Endpoint{}, err
	}
	url, desc, events := cur.URL, cur.Description, cur.Events
	if p.URL != nil {
		url = *p.URL
	}
	if p.Description != nil {
		desc = *p.Description
	}
	if p.Events != nil {
		events = p.Events
	}
	v, clean := s.checkParams(ctx, url, desc, events)
	if err := v.Err(); err != nil {
		return Endpoint{}, err
	}
	var out Endpoint
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		rec, err := tx.GetEndpoint(ctx, m, id)
		if err != nil {
			return err
		}
		// Only the fields this call sets change: another update in between keeps its own.
		if p.URL != nil {
			rec.URL = url
		}
		if p.Description != nil {
			rec.Description = desc
		}
		if p.Events != nil {
			rec.Events = clean
		}
		if p.Enabled != nil {
			rec.Enabled = *p.Enabled
			if rec.Enabled {
				rec.DisabledReason, rec.FailingSince = "", nil
			}
		}
		rec.UpdatedAt = s.cfg.Now().UTC()
		out = rec.Endpoint
		return tx.UpdateEndpoint(ctx, rec)
	})
	return out, err
}

// RotateSecret gives the endpoint a new secret, returned once. The old one keeps
// signing (beside the new one) for the rotation window.
func (s *Service) RotateSecret(ctx context.Context, m asset.Mode, id string) (Endpoint, error) {
	var out Endpoint
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		rec, err := tx.GetEndpoint(ctx, m, id)
		if err != nil {
			return err
		}
		now := s.cfg.Now().UTC()
		until := now.Add(s.opts.RotationWindow)
		secret := NewSecret()
		rec.OldSecret, rec.OldUntil = rec.Secret, &until
		rec.Secret = s.box.Seal([]byte(secret), []byte(rec.ID))
		rec.UpdatedAt = now
		out = rec.Endpoint
		out.Secret = secret
		return tx.UpdateEndpoint(ctx, rec)
	})
	return out, err
}

// Get, List and Delete manage endpoints of a mode.
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (Endpoint, error) {
	var out Endpoint
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		rec, err := tx.GetEndpoint(ctx, m, id)
		out = rec.Endpoint
		return err
	})
	return out, err
}

// List returns the endpoints of a mode.
func (s *Service) List(ctx context.Context, m asset.Mode) ([]Endpoint, error) {
	var out []Endpoint
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		recs, err := tx.ListEndpoints(ctx, m)
		for _, r := range recs {
			out = append(out, r.Endpoint)
		}
		return err
	})
	return out, err
}

// Delete removes an endpoint; its pending deliveries are dropped when they come due.
func (s *Service) Delete(ctx context.Context, m asset.Mode, id string) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.GetEndpoint(ctx, m, id); err != nil {
			return err
		}
		return tx.DeleteEndpoint(ctx, m, id)
	})
}

// CallbackSecret returns the secret that signs invoice url_callback deliveries of mode,
// creating it on first use.
func (s *Service) CallbackSecret(ctx context.Context, m asset.Mode) (string, error) {
	var secret string
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		secret, err = s.callbackSecret(ctx, tx, m)
		return err
	})
	return secret, err
}

func (s *Service) callbackSecret(ctx context.Context, tx Tx, m asset.Mode) (string, error) {
	sealed, ok, err := tx.CallbackSecret(ctx, m)
	if err != nil {
		return "", err
	}
	if ok {
		plain, err := s.box.Open(sealed, []byte("callback:"+string(m)))
		return string(plain), err
	}
	secret := NewSecret()
	return secret, tx.SetCallbackSecret(ctx, m, s.box.Seal([]byte(secret), []byte("callback:"+string(m))))
}

const fanoutCursor = "webhooks"

// Fanout records a delivery for every new event and every endpoint subscribed to it
// (and the invoice's url_callback), in one transaction with the outbox cursor. It
// returns the number of events it processed.
func (s *Service) Fanout(ctx context.Context) (int, error) {
	n := 0
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cursor, err := tx.SubscriberCursor(ctx, fanoutCursor)
		if err != nil {
			return err
		}
		evs, err := tx.EventsAfter(ctx, cursor, 500)
		if err != nil || len(evs) == 0 {
			return err
		}
		endpoints := map[asset.Mode][]EndpointRecord{}
		now := s.cfg.Now().UTC()
		for _, e := range evs {
			eps, ok := endpoints[e.Mode]
			if !ok {
				if eps, err = tx.ListEndpoints(ctx, e.Mode); err != nil {
					return err
				}
				endpoints[e.Mode] = eps
			}
			for _, ep := range eps {
				if !ep.Enabled || !(slices.Contains(ep.Events, "*") || slices.Contains(ep.Events, string(e.Type))) ||
					ep.SubMerchantID != AllScopes && ep.SubMerchantID != e.SubMerchantID { // each endpoint hears its scope's events
					continue
				}
				if err := tx.InsertDelivery(ctx, newDelivery(e, ep.ID, ep.URL, now)); err != nil {
					return err
				}
			}
			var obj struct {
				Callback string `json:"url_callback"`
			}
			if json.Unmarshal(e.Data, &obj) == nil && obj.Callback != "" {
				if err := tx.InsertDelivery(ctx, newDelivery(e, CallbackTarget, obj.Callback, now)); err != nil {
					return err
				}
			}
			cursor = e.Seq
		}
		n = len(evs)
		return tx.SetSubscriberCursor(ctx, fanoutCursor, cursor)
	})
	return n, err
}

func newDelivery(e event.Event, target, url string, now time.Time) Delivery {
	return Delivery{ID: ids.New("whd"), EventID: e.ID, Target: target, URL: url, Mode: e.Mode, Status: DeliveryPending,
		NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// Dispatch delivers every delivery due now, with Workers concurrent POSTs, and returns
// how many attempts it made. It stops claiming when nothing is due.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	s.claim.Lock()
	defer s.claim.Unlock()
	total := 0
	for {
		now := s.cfg.Now().UTC()
		lease := now.Add(s.opts.Lease)
		var batch []Delivery
		if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			batch, err = tx.ClaimDeliveries(ctx, now, lease, s.opts.Workers*4)
			return err
		}); err != nil {
			return total, err
		}
		if len(batch) == 0 {
			return total, nil
		}
		sem := make(chan struct{}, s.opts.Workers)
		var wg sync.WaitGroup
		results := make([]result, len(batch))
		errs := make([]error, len(batch))
		for i, d := range batch {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				results[i], errs[i] = s.attempt(ctx, d)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return total, err
		}
		// One transaction records the whole batch (group commit). A crash before it
		// commits leaves the deliveries leased: they are sent again after the lease.
		if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
			for _, r := range results {
				if err := s.finish(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return total, err
		}
		if s.cfg.Observe != nil {
			for _, r := range results {
				s.cfg.Observe(r.d.Status, r.a.Latency)
			}
		}
		total += len(batch)
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// result is the outcome of one attempt, recorded by finish.
type result struct {
	d      Delivery
	a      Attempt
	ok     bool
	gone   bool
	health bool // whether the endpoint's health is tracked
}

// maxResponse bounds how much of an answer is read.
const maxResponse = 64 << 10

// attempt makes one attempt of d. Only storage errors are returned; an endpoint that
// fails is the normal case, recorded in the result.
func (s *Service) attempt(ctx context.Context, d Delivery) (result, error) {
	var e event.Event
	var secrets []string
	var gone bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if e, err = tx.GetEvent(ctx, d.Mode, d.EventID); err != nil {
			return err
		}
		if d.Target == CallbackTarget {
			sealed, ok, err := tx.CallbackSecret(ctx, d.Mode)
			if err != nil || !ok {
				return err
			}
			plain, err := s.box.Open(sealed, []byte("callback:"+string(d.Mode)))
			secrets = append(secrets, string(plain))
			return err
		}
		ep, err := tx.GetEndpoint(ctx, d.Mode, d.Target)
		if errors.Is(err, ErrNotFound) {
			gone = true
			return nil
		}
		if err != nil {
			return err
		}
		if !ep.Enabled {
			gone = true
			return nil
		}
		plain, err := s.box.Open(ep.Secret, []byte(ep.ID))
		if err != nil {
			return err
		}
		secrets = append(secrets, string(plain))
		if ep.OldSecret != nil && ep.OldUntil != nil && s.cfg.Now().Before(*ep.OldUntil) {
			old, err := s.box.Open(ep.OldSecret, []byte(ep.ID))
			if err != nil {
				return err
			}
			secrets = append(secrets, string(old))
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	if d.Target == CallbackTarget && len(secrets) == 0 {
		if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
			sec, err := s.callbackSecret(ctx, tx, d.Mode)
			secrets = []string{sec}
			return err
		}); err != nil {
			return result{}, err
		}
	}
	now := s.cfg.Now().UTC()
	a := Attempt{DeliveryID: d.ID, N: d.Attempts + 1, At: now}
	if gone {
		a.Error = "endpoint deleted or disabled"
	} else {
		s.post(ctx, d, e, secrets, &a)
	}
	d.Attempts++
	d.UpdatedAt = now
	d.ClaimedUntil = time.Time{}
	ok := a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300
	switch {
	case ok:
		d.Status, d.LastError = DeliverySucceeded, ""
	case gone || d.Attempts > len(s.opts.Schedule):
		d.Status, d.LastError = DeliveryFailed, attemptError(a)
	default:
		wait := s.opts.Schedule[d.Attempts-1]
		jitter := time.Duration(rand.Int64N(int64(wait)/5+1)) - wait/10 // ±10%
		d.Status, d.NextAt, d.LastError = DeliveryPending, now.Add(wait+jitter), attemptError(a)
	}
	if !ok && !gone {
		s.cfg.Logger.WarnContext(ctx, "webhook: delivery failed", "delivery", d.ID, "event", d.EventID, "url", d.URL,
			"attempt", a.N, "status", a.StatusCode, "err", a.Error, "next", d.NextAt)
	}
	return result{d: d, a: a, ok: ok, gone: gone, health: d.Target != CallbackTarget && !gone}, nil
}

// finish records an attempt and the delivery's new state.
func (s *Service) finish(ctx context.Context, tx Tx, r result) error {
	if err := tx.FinishAttempt(ctx, r.d, r.a); err != nil {
		return err
	}
	if !r.health {
		return nil
	}
	return s.trackHealth(ctx, tx, r.d, r.ok, r.a.At)
}

func attemptError(a Attempt) string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.StatusCode)
}

func (s *Service) post(ctx context.Context, d Delivery, e event.Event, secrets []string, a *Attempt) {
	body, err := json.Marshal(e)
	if err != nil {
		a.Error = err.Error()
		return
	}
	h, err := Headers(e.ID, s.cfg.Now(), body, secrets...)
	if err != nil {
		a.Error = err.Error()
		return
	}
	// The endpoint's URL is checked again: DNS may have changed since it was created
	// (the dialer checks the address it connects to as well).
	if _, err := parseURL(d.URL); err != nil {
		a.Error = err.Error()
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kassa-Webhooks/1")
	start := time.Now()
	resp, err := s.client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if len(excerpt) > 1024 {
		excerpt = excerpt[:1024]
	}
	a.Response = string(excerpt)
}

// trackHealth keeps FailingSince and disables an endpoint failing for DisableAfter.
func (s *Service) trackHealth(ctx context.Context, tx Tx, d Delivery, ok bool, now time.Time) error {
	ep, err := tx.GetEndpoint(ctx, d.Mode, d.Target)
	if err != nil {
		return err
	}
	switch {
	case ok && ep.FailingSince != nil:
		ep.FailingSince = nil
	case ok:
		return nil
	case ep.FailingSince == nil:
		ep.FailingSince = &now
	case now.Sub(*ep.FailingSince) >= s.opts.DisableAfter && ep.Enabled:
		ep.Enabled = false
		ep.DisabledReason = fmt.Sprintf("failing since %s", ep.FailingSince.Format(time.RFC3339))
		data, _ := json.Marshal(ep.Endpoint)
		if _, err := tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: EndpointDisabled, CreatedAt: now,
			Mode: d.Mode, Livemode: d.Mode == asset.Live, ObjectID: ep.ID, Data: data, SubMerchantID: ep.SubMerchantID}); err != nil {
			return err
		}
		s.cfg.Logger.WarnContext(ctx, "webhook: endpoint disabled", "endpoint", ep.ID, "url", ep.URL, "failing_since", ep.FailingSince)
	default:
		return nil
	}
	ep.UpdatedAt = now
	return tx.UpdateEndpoint(ctx, ep)
}

// Redeliver makes every delivery of an event pending again, due now.
func (s *Service) Redeliver(ctx context.Context, m asset.Mode, eventID string) (int, error) {
	n := 0
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.GetEvent(ctx, m, eventID); err != nil {
			return err
		}
		var err error
		n, err = tx.ResetDeliveries(ctx, eventID, s.cfg.Now().UTC())
		return err
	})
	return n, err
}

// EventDetail is an event with its deliveries and their attempts.
type EventDetail struct {
	event.Event
	Deliveries []DeliveryDetail `json:"deliveries"`
}

// DeliveryDetail is a delivery with its attempts.
type DeliveryDetail struct {
	Delivery
	AttemptLog []Attempt `json:"attempts_log"`
}

// Event returns an event of mode with its deliveries and every attempt.
func (s *Service) Event(ctx context.Context, m asset.Mode, id string) (EventDetail, error) {
	out := EventDetail{Deliveries: []DeliveryDetail{}}
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if out.Event, err = tx.GetEvent(ctx, m, id); err != nil {
			return err
		}
		ds, err := tx.Deliveries(ctx, id)
		if err != nil {
			return err
		}
		for _, d := range ds {
			as, err := tx.Attempts(ctx, d.ID)
			if err != nil {
				return err
			}
			if as == nil {
				as = []Attempt{} // a list, never null, in JSON
			}
			out.Deliveries = append(out.Deliveries, DeliveryDetail{Delivery: d, AttemptLog: as})
		}
		return nil
	})
	return out, err
}

// CheckSealed opens the stored secrets of the first endpoint of each mode and the
// url_callback secrets: an error means the master key is not the one they were
// sealed with. With nothing stored it returns nil.
func (s *Service) CheckSealed(ctx context.Context) error {
	return s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		for _, m := range []asset.Mode{asset.Live, asset.Test} {
			eps, err := tx.ListEndpoints(ctx, m)
			if err != nil {
				return err
			}
			if len(eps) > 0 {
				if _, err := s.box.Open(eps[0].Secret, []byte(eps[0].ID)); err != nil {
					return err
				}
			}
			sealed, ok, err := tx.CallbackSecret(ctx, m)
			if err != nil {
				return err
			}
			if ok {
				if _, err := s.box.Open(sealed, []byte("callback:"+string(m))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
