package conversion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// RetryAfter is how long a pending conversion rests before Recover asks its
// Exchanger again: long enough that a create still waiting for its answer is not
// asked twice at once, short enough that a crash costs a merchant little.
const RetryAfter = 30 * time.Second

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Config configures a Service.
type Config struct {
	Assets *asset.Registry
	// Exchanger returns the exchange of a mode, or nil when conversions are not
	// available in it (ErrUnavailable).
	Exchanger func(m asset.Mode) Exchanger
	// Enabled, if set, returns the asset codes of mode m that a chain backend runs for:
	// a conversion to or from another is refused (asset.ErrNotEnabled), since its
	// balance could be neither paid out nor swept.
	Enabled func(m asset.Mode) map[string]bool
	// CheckSubMerchant, if set, checks a sub_merchant_id (submerchant.Service.Check).
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
	Update, View     Runner
	Now              func() time.Time
	Logger           *slog.Logger
}

// Service creates, finishes and lists conversions.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Update == nil || cfg.View == nil || cfg.Assets == nil || cfg.Exchanger == nil {
		return nil, errors.New("conversion: Assets, Exchanger, Update and View are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// CreateParams ask for a conversion.
type CreateParams struct {
	// From and To are asset codes ("BTC", "USDT_TRON"; a currency on several networks
	// must name its network).
	From, To string
	// Amount is what to convert, in From: positive, exact in From's decimals.
	Amount decimal.Decimal
	// SubMerchantID converts that sub-merchant's balances ("" the operator's own).
	SubMerchantID string
	// RequestKey, if set (the API's Idempotency-Key digest), is stored with the
	// conversion: a create with a key used before in the mode answers the conversion
	// it made, and converts nothing again.
	RequestKey string
}

// Create validates p, holds the amount on the merchant's balance, asks the mode's
// Exchanger to convert it and books the answer. Bad input is a *validation.Error
// naming each wrong field (asset.ErrUnknownAsset, asset.ErrNotEnabled,
// ErrSameCurrency, the amount's asset errors, ErrInsufficientFunds on "amount"), and
// nothing is written; without an Exchanger it is ErrUnavailable. Once the amount is
// held, the conversion is returned whatever the exchange answered: completed, failed
// (refused; the hold is void) or pending (no final answer yet; Recover finishes it).
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*Conversion, error) {
	if !m.Valid() {
		return nil, validation.Field("mode", asset.ErrUnknownMode)
	}
	if len(p.RequestKey) > 255 {
		return nil, validation.Field("request_key", fmt.Errorf("%w: over 255 bytes", ErrBadFormat))
	}
	if c, err := s.byRequestKey(ctx, m, p.RequestKey); c != nil || err != nil {
		return c, err
	}
	ex := s.cfg.Exchanger(m)
	if ex == nil {
		return nil, ErrUnavailable
	}
	var v validation.Error
	from, err := s.cfg.Assets.Parse(p.From, "")
	if err != nil {
		v.Add("from_currency", err)
	}
	to, err := s.cfg.Assets.Parse(p.To, "")
	if err != nil {
		v.Add("to_currency", err)
	}
	if from.Code != "" && from.Code == to.Code {
		v.Add("to_currency", ErrSameCurrency)
	}
	if s.cfg.Enabled != nil {
		enabled := s.cfg.Enabled(m)
		for field, a := range map[string]asset.Asset{"from_currency": from, "to_currency": to} {
			if a.Code != "" && !enabled[a.Code] {
				v.Add(field, fmt.Errorf("%s %w in %s mode", a.Code, asset.ErrNotEnabled, m))
			}
		}
	}
	var units *big.Int
	if from.Code != "" {
		var amount decimal.Decimal
		if amount, units, err = from.CheckPositive(p.Amount); err != nil {
			v.Add("amount", err)
		}
		p.Amount = amount
	}
	if p.SubMerchantID != "" && s.cfg.CheckSubMerchant != nil {
		var fe *validation.FieldError
		if err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID); errors.As(err, &fe) {
			v.Add(fe.Field, fe.Err)
		} else if err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	c := Conversion{ID: ids.New("cv"), Mode: m, SubMerchantID: p.SubMerchantID, From: from.Code, To: to.Code, Amount: p.Amount,
		Rate: decimal.Zero, Received: decimal.Zero, Fee: decimal.Zero, Status: StatusPending, RequestKey: p.RequestKey,
		CreatedAt: now, UpdatedAt: now}
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := ledger.HoldConversion(ctx, tx, ledger.Owner{Sub: c.SubMerchantID}, m, c.ID, c.From, units); err != nil {
			if errors.Is(err, ledger.ErrInsufficientFunds) {
				return validation.Field("amount", fmt.Errorf("%w: the available %s balance is below %s", ErrInsufficientFunds, c.From, c.Amount))
			}
			return err
		}
		return tx.InsertConversion(ctx, c)
	})
	if errors.Is(err, ErrDuplicate) { // the same request, at the same time
		if c, err := s.byRequestKey(ctx, m, p.RequestKey); c != nil || err != nil {
			return c, err
		}
	}
	if err != nil {
		return nil, err
	}
	// Held: from here on the conversion is the merchant's, whatever the client does
	// (a cancelled request must not leave it unbooked until the recovery pass).
	return s.ask(context.WithoutCancel(ctx), ex, c)
}

// ConvertTimeout bounds one Convert call: well under RetryAfter, so that the
// recovery pass asks again only after an answer could no longer come, and a hung
// exchange never holds up the jobs that run beside the recovery pass.
const ConvertTimeout = 20 * time.Second

// byRequestKey returns the conversion made with key (nil when key is "" or unused).
func (s *Service) byRequestKey(ctx context.Context, m asset.Mode, key string) (*Conversion, error) {
	if key == "" {
		return nil, nil
	}
	var c Conversion
	var ok bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		c, ok, err = tx.ConversionByRequestKey(ctx, m, key)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

// ask asks ex to convert c (pending, its amount held) and books the answer. An answer
// that is not final leaves c pending, as it is returned.
func (s *Service) ask(ctx context.Context, ex Exchanger, c Conversion) (*Conversion, error) {
	cctx, cancel := context.WithTimeout(ctx, ConvertTimeout)
	res, err := ex.Convert(cctx, Request{ID: c.ID, Mode: c.Mode, From: c.From, To: c.To, Amount: c.Amount})
	cancel()
	switch {
	case errors.Is(err, ErrRefused):
		// The exchange's own words go to the log; the merchant's record says refused.
		s.cfg.Logger.InfoContext(ctx, "conversion: refused by the exchange", "conversion", c.ID, "err", err)
		res = Result{Status: StatusFailed, Reason: ErrRefused.Error()}
	case err != nil:
		s.cfg.Logger.WarnContext(ctx, "conversion: the exchange did not answer; the conversion stays pending and is asked again",
			"conversion", c.ID, "mode", c.Mode, "err", err)
		return &c, nil
	}
	switch res.Status {
	case StatusFailed:
		if res.Reason == "" {
			res.Reason = ErrRefused.Error()
		}
		return s.finish(ctx, c, res)
	case StatusCompleted:
		if err := s.checkResult(c, &res); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "conversion: the exchange answered a result that cannot be booked; the conversion stays pending and is asked again",
				"conversion", c.ID, "mode", c.Mode, "err", err)
			return &c, nil
		}
		return s.finish(ctx, c, res)
	case StatusPending:
		return &c, nil
	}
	s.cfg.Logger.ErrorContext(ctx, "conversion: the exchange answered an unknown status; the conversion stays pending",
		"conversion", c.ID, "status", res.Status)
	return &c, nil
}

// consistency is how far received plus fee may be from amount times rate (a share
// of it): beyond, the exchange's numbers contradict each other (an adapter that
// answers base units, or another request's result) and nothing is booked.
var consistency = decimal.RequireFromString("0.01")

// checkResult checks a completed Result and rounds its amounts down to the decimals of
// c.To (what is finer stays with the exchange): a positive rate, a positive amount
// received and a fee of zero or more, whose sum is within 1% of Amount times Rate.
func (s *Service) checkResult(c Conversion, r *Result) error {
	to, err := s.cfg.Assets.Get(c.To)
	if err != nil {
		return err
	}
	if !r.Rate.IsPositive() {
		return fmt.Errorf("rate %s is not positive", r.Rate)
	}
	r.Received, r.Fee = r.Received.RoundDown(to.Decimals), r.Fee.RoundDown(to.Decimals)
	if _, _, err := to.CheckPositive(r.Received); err != nil {
		return fmt.Errorf("received %s %s: %w", r.Received, c.To, err)
	}
	if r.Fee.IsNegative() {
		return fmt.Errorf("fee %s is negative", r.Fee)
	}
	if _, err := to.ToBaseUnits(r.Fee); err != nil {
		return fmt.Errorf("fee %s %s: %w", r.Fee, c.To, err)
	}
	gross := c.Amount.Mul(r.Rate)
	if off := r.Received.Add(r.Fee).Sub(gross).Abs(); off.GreaterThan(gross.Mul(consistency)) {
		return fmt.Errorf("received %s plus fee %s is not %s at rate %s (%s %s)", r.Received, r.Fee, gross, r.Rate, c.Amount, c.From)
	}
	return nil
}

// finish books a final answer in one transaction: completed (both legs, one entry)
// or failed (the hold voided), with its event. A conversion another finisher booked
// first is returned as that one booked it.
func (s *Service) finish(ctx context.Context, c Conversion, r Result) (*Conversion, error) {
	var done Conversion
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		done = c
		done.UpdatedAt = s.cfg.Now().UTC()
		owner := ledger.Owner{Sub: c.SubMerchantID}
		var typ event.Type
		switch r.Status {
		case StatusCompleted:
			to, err := s.cfg.Assets.Get(c.To)
			if err != nil {
				return err
			}
			received, _ := to.ToBaseUnits(r.Received) // checkResult checked both
			fee, _ := to.ToBaseUnits(r.Fee)
			if err := ledger.PostConversion(ctx, tx, owner, c.Mode, c.ID, c.To, received, fee); err != nil {
				return err
			}
			done.Status, done.Rate, done.Received, done.Fee, typ = StatusCompleted, r.Rate, r.Received, r.Fee, EventCompleted
		default:
			if err := ledger.VoidHold(ctx, tx, c.ID); err != nil {
				return err
			}
			done.Status, done.FailureReason, typ = StatusFailed, clip(r.Reason, 500), EventFailed
		}
		if err := tx.UpdateConversion(ctx, done); err != nil {
			return err
		}
		data, err := json.Marshal(done)
		if err != nil {
			return err
		}
		_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: typ, CreatedAt: done.UpdatedAt, Mode: c.Mode,
			Livemode: c.Mode == asset.Live, SubMerchantID: c.SubMerchantID, ObjectID: c.ID, Data: data})
		return err
	})
	if errors.Is(err, ledger.ErrHoldClosed) { // booked by another finisher
		return s.Get(ctx, c.Mode, c.ID)
	}
	if err != nil {
		return nil, err
	}
	return &done, nil
}

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Recover finishes conversions left pending (a crash between the hold and the
// booking, an exchange that did not answer): each pending conversion last touched
// RetryAfter ago or more is asked again, with its id, and the answer is booked once.
// One that still has no final answer is touched, so it rests RetryAfter again. A pass
// stops asking after ConvertTimeout (each Convert is bounded by it too). The Gateway
// runs it under a lease, on one instance at a time.
func (s *Service) Recover(ctx context.Context) error {
	var pending []Conversion
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		pending, err = tx.PendingConversions(ctx, s.cfg.Now().Add(-RetryAfter), 100)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	began := s.cfg.Now()
	for _, c := range pending {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A pass asks for at most about ConvertTimeout (an exchange that hangs would
		// otherwise hold up the jobs that run beside it): the rest wait for the next.
		if s.cfg.Now().Sub(began) > ConvertTimeout {
			break
		}
		ex := s.cfg.Exchanger(c.Mode)
		if ex == nil {
			s.cfg.Logger.ErrorContext(ctx, "conversion: a pending conversion has no exchange to finish it (configure Config.Exchanger)",
				"conversion", c.ID, "mode", c.Mode)
			// Touched, so that it rests RetryAfter and others behind it are asked.
			if err := s.touch(ctx, c); err != nil {
				errs = append(errs, fmt.Errorf("conversion %s: %w", c.ID, err))
			}
			continue
		}
		got, err := s.ask(ctx, ex, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("conversion %s: %w", c.ID, err))
			if err := s.touch(ctx, c); err != nil {
				errs = append(errs, fmt.Errorf("conversion %s: %w", c.ID, err))
			}
			continue
		}
		if got.Status == StatusPending {
			if err := s.touch(ctx, c); err != nil {
				errs = append(errs, fmt.Errorf("conversion %s: %w", c.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// touch sets a still pending conversion's updated time to now.
func (s *Service) touch(ctx context.Context, c Conversion) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, ok, err := tx.GetConversion(ctx, c.Mode, c.ID)
		if err != nil || !ok || cur.Status != StatusPending {
			return err
		}
		cur.UpdatedAt = s.cfg.Now().UTC()
		return tx.UpdateConversion(ctx, cur)
	})
}

// Get returns conversion id of mode m (ErrNotFound for an unknown id or one of the
// other mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Conversion, error) {
	if !ids.Valid("cv", id) {
		return nil, ErrNotFound
	}
	var c Conversion
	var ok bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		c, ok, err = tx.GetConversion(ctx, m, id)
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

// List returns a page of conversions, newest first, and how many match in all.
func (s *Service) List(ctx context.Context, p ListParams) ([]Conversion, int, error) {
	var v validation.Error
	if !p.Mode.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	validation.Paging(&v, &p.Page, &p.Limit, ErrBadFormat)
	if p.Status != "" && !p.Status.Valid() {
		v.Add("status", fmt.Errorf("%w: want pending, completed or failed", ErrBadFormat))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []Conversion
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListConversions(ctx, p)
		return err
	})
	if out == nil {
		out = []Conversion{}
	}
	return out, total, err
}
