package invoice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// CreateParams are the parameters of a new invoice. Amount and
// Currency are required; everything else is optional.
type CreateParams struct {
	Kind     Kind            // default KindInvoice
	Amount   decimal.Decimal // > 0, at most the price currency's decimals
	Currency string          // fiat ("USD") or an asset ("BTC", "USDT_TRON")
	OrderID  string          // [A-Za-z0-9_-]{1,128}; a second create with it returns the first invoice

	ToCurrency string // pay in this asset only ("USDT"); with Network if ambiguous
	Network    string
	// AcceptedAssets limits the methods of a fiat invoice (codes or currencies:
	// "BTC", "USDT_BSC", "USDT" for every USDT network). ExceptCurrencies removes some.
	AcceptedAssets   []string
	ExceptCurrencies []string

	Lifetime              time.Duration   // 300 s .. 43200 s, default 3600 s
	AccuracyPercent       decimal.Decimal // 0..5: underpayment tolerance in percent
	UnderpaymentThreshold decimal.Decimal // >= 0, in the price currency
	PaymentMultiple       *bool           // default true: the payer may top up
	SubtractPercent       decimal.Decimal // 0..100: share of the network fee the payer pays
	DiscountPercent       decimal.Decimal // -99..100: positive is a discount

	CustomerID    string
	CustomerEmail string
	// SubMerchantID makes the invoice a sub-merchant's (Config.CheckSubMerchant: it
	// must be an active one of the mode); "" for the operator's own.
	SubMerchantID string
	Description   string
	SuccessURL    string
	CancelURL     string
	// CallbackURL gets the invoice's webhook events. Its host must be public, like a
	// webhook endpoint's: it is looked up at creation (Config.Resolver, 5 s timeout)
	// unless Config.AllowPrivate is set, and its errors wrap webhook.ErrBadURL,
	// ErrPrivateAddress or ErrUnresolvable.
	CallbackURL string
	Metadata    json.RawMessage // a JSON object of valid Unicode, at most 16 KiB (CheckMetadata)

	// RequestKey makes the create idempotent for invoices without an OrderID: it is
	// stored with the invoice in the invoice's own transaction, and a second create
	// with it in the mode returns the first invoice, also after a crash that lost the
	// first answer. The HTTP API passes a digest of the Idempotency-Key and the
	// request. At most 255 characters; "" for none.
	RequestKey string

	// SubscriptionID and SubscriptionPeriod make the invoice the bill of one period
	// of a subscription (package billing); only billing sets them.
	SubscriptionID     string
	SubscriptionPeriod int
}

// Limits.
const (
	MinLifetime     = 300 * time.Second
	MaxLifetime     = 43200 * time.Second
	DefaultLifetime = time.Hour
	MaxMetadata     = 16 << 10
	MaxRequestKey   = 255
)

var orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Rater quotes exchange rates; *rates.Cache is one.
type Rater interface {
	Rate(ctx context.Context, base, quote string) (rates.Rate, error)
}

// draft is a validated, quoted invoice that has no id or addresses yet.
type draft struct {
	inv     *Invoice
	methods []asset.Asset
	addrs   map[asset.Family]keys.Address // derived by Create before its transaction
}

// prepare validates p and quotes every method. It does no storage I/O and consumes no
// address index; on any error nothing has happened.
func (s *Service) prepare(ctx context.Context, m asset.Mode, p CreateParams) (*draft, error) {
	var v validation.Error
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
		return nil, v.Err()
	}
	kind := p.Kind
	if kind == "" {
		kind = KindInvoice
	}
	if kind != KindInvoice && kind != KindPayment && kind != KindCheckoutSession {
		v.Add("kind", ErrBadFormat)
	}
	enabled := s.enabled(m)

	// The price currency: fiat, or an enabled asset.
	var priceDecimals int32
	var priceAsset *asset.Asset
	currency := strings.ToUpper(strings.TrimSpace(p.Currency))
	if f, err := asset.ParseFiat(currency); err == nil {
		priceDecimals, currency = f.MinorUnits, f.Code
	} else if a, err := s.priceAsset(p); err == nil {
		if !enabled[a.Code] {
			v.Add("currency", fmt.Errorf("%s %w in %s mode", a.Code, ErrNotEnabled, m))
		}
		priceAsset, priceDecimals, currency = &a, a.Decimals, a.Code
	} else if p.Currency == "" {
		v.Add("currency", errors.New("is required"))
	} else {
		v.Add("currency", err)
	}
	amount := p.Amount
	switch {
	case amount.Sign() < 0:
		v.Add("amount", asset.ErrNegativeAmount)
	case amount.Sign() == 0:
		v.Add("amount", asset.ErrZeroAmount)
	default:
		if _, err := asset.ToBaseUnits(amount, priceDecimals); err != nil {
			v.Add("amount", err)
		}
	}
	if len(p.RequestKey) > MaxRequestKey {
		v.Add("request_key", fmt.Errorf("%w: at most %d characters", ErrTooLarge, MaxRequestKey))
	}
	if p.OrderID != "" && !orderIDPattern.MatchString(p.OrderID) {
		v.Add("order_id", fmt.Errorf("%w: want 1 to 128 of A-Z a-z 0-9 _ -", ErrBadFormat))
	}
	lifetime := p.Lifetime
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	if lifetime < MinLifetime || lifetime > MaxLifetime {
		v.Add("lifetime", fmt.Errorf("%w: 300..43200 seconds", ErrOutOfRange))
	}
	inRange := func(field string, d decimal.Decimal, lo, hi int64) {
		if d.LessThan(decimal.NewFromInt(lo)) || d.GreaterThan(decimal.NewFromInt(hi)) {
			v.Add(field, fmt.Errorf("%w: %d..%d", ErrOutOfRange, lo, hi))
		}
	}
	inRange("accuracy_payment_percent", p.AccuracyPercent, 0, 5)
	inRange("subtract", p.SubtractPercent, 0, 100)
	inRange("discount_percent", p.DiscountPercent, -99, 100)
	if p.UnderpaymentThreshold.IsNegative() {
		v.Add("underpayment_threshold", asset.ErrNegativeAmount)
	}
	v.Add("metadata", CheckMetadata(p.Metadata))
	if p.CustomerEmail != "" {
		if !ValidEmail(p.CustomerEmail) {
			v.Add("customer_email", ErrBadFormat)
		}
	}
	for field, u := range map[string]string{"success_url": p.SuccessURL, "cancel_url": p.CancelURL} {
		if u != "" && !httpURL(u) {
			v.Add(field, fmt.Errorf("%w: want an absolute http(s) URL of at most 2048 bytes", ErrBadFormat))
		}
	}
	if p.CallbackURL != "" && p.SubMerchantID != "" {
		// url_callback deliveries are signed with the mode's one callback secret: a
		// sub-merchant could make another scope's receiver take its invoice for theirs.
		// Its own webhook endpoints have secrets of their own.
		v.Add("url_callback", ErrSubMerchantCallback)
	} else if p.CallbackURL != "" {
		// The webhook dialler would refuse it at every delivery, for days of retries:
		// the same guard refuses it now, before any transaction (it may look up DNS).
		err := s.callbacks.CheckURL(ctx, p.CallbackURL)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("invoice: url_callback: %w", err)
		}
		v.Add("url_callback", err)
	}
	for field, s := range map[string]string{"customer_id": p.CustomerID, "description": p.Description} {
		if len(s) > 1000 {
			v.Add(field, fmt.Errorf("%w: over 1000 bytes", ErrTooLarge))
		}
	}
	if p.CustomerID != "" && len(p.CustomerID) <= 1000 && s.cfg.CheckCustomer != nil {
		ok, err := s.cfg.CheckCustomer(ctx, m, p.CustomerID)
		if err != nil {
			return nil, err
		}
		if !ok {
			// A retry of a create that succeeded before the customer was deleted
			// answers its invoice (Insert compares the parameters), not a refusal.
			retry, err := s.named(ctx, m, p)
			if err != nil {
				return nil, err
			}
			if !retry {
				v.Add("customer_id", fmt.Errorf("%w: %s in %s mode", ErrUnknownCustomer, p.CustomerID, m))
			}
		}
	}

	// Which assets the payer may use.
	var methods []asset.Asset
	switch {
	case p.ToCurrency != "":
		if asset.IsFiat(p.ToCurrency) {
			v.Add("to_currency", ErrFiatTarget)
			break
		}
		a, err := s.cfg.Assets.Parse(p.ToCurrency, p.Network)
		if err != nil {
			v.Add(fieldOf(err, "to_currency"), err)
			break
		}
		if !enabled[a.Code] {
			v.Add("to_currency", fmt.Errorf("%s %w in %s mode", a.Code, ErrNotEnabled, m))
			break
		}
		methods = []asset.Asset{a}
	case p.Network != "" && priceAsset == nil:
		v.Add("to_currency", errors.New("is required with network"))
	case priceAsset != nil:
		methods = []asset.Asset{*priceAsset}
	default:
		methods = s.acceptable(&v, m, enabled, p.AcceptedAssets, p.ExceptCurrencies)
	}
	// One method the caller named (a crypto price, to_currency): it must be quotable.
	// Several (a fiat price): every one that can be quoted is offered; only none is
	// an error.
	single := len(methods) == 1 && (priceAsset != nil || p.ToCurrency != "")
	if p.SubMerchantID != "" && s.cfg.CheckSubMerchant != nil {
		var fe *validation.FieldError
		err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID)
		switch {
		case errors.As(err, &fe):
			v.Add(fe.Field, fe.Err)
		case err != nil:
			return nil, err
		}
	}

	if err := v.Err(); err != nil {
		return nil, err
	}

	now := s.cfg.Now().UTC()
	multiple := p.PaymentMultiple == nil || *p.PaymentMultiple
	hundred := decimal.NewFromInt(100)
	// Exact: decimal.Div would round at 16 places, below an 18-decimal asset's unit.
	due := asset.DivRoundUp(amount.Mul(hundred.Sub(p.DiscountPercent)), hundred, priceDecimals)
	inv := &Invoice{
		Kind: kind, Mode: m, Status: StatusPending,
		Amount: amount, Currency: currency, AmountDue: due,
		OrderID: p.OrderID, RequestKey: p.RequestKey, CustomerID: p.CustomerID, CustomerEmail: p.CustomerEmail, SubMerchantID: p.SubMerchantID,
		Description: p.Description, SuccessURL: p.SuccessURL, CancelURL: p.CancelURL, CallbackURL: p.CallbackURL,
		Metadata:        compact(p.Metadata),
		AccuracyPercent: p.AccuracyPercent, UnderpaymentThreshold: p.UnderpaymentThreshold,
		PaymentMultiple: multiple, SubtractPercent: p.SubtractPercent, DiscountPercent: p.DiscountPercent,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(lifetime),
	}
	if p.SubscriptionID != "" {
		n := p.SubscriptionPeriod
		inv.SubscriptionID, inv.SubscriptionPeriod = p.SubscriptionID, &n
	}
	inv.MonitorUntil = inv.ExpiresAt.Add(s.cfg.MonitoringWindow)
	inv.ParamsHash = paramsHash(kind, amount, currency, lifetime, multiple, p)
	var left validation.Error // why methods were left out of a multi-method invoice
	for _, a := range methods {
		out := &v
		if !single {
			out = &left
		}
		quoteIn := currency
		if priceAsset != nil {
			quoteIn = priceAsset.Currency
		}
		q, err := s.quote(ctx, a, currency, quoteIn, due, p.SubtractPercent)
		if err != nil {
			out.Add(quoteField(err), err)
			continue
		}
		n, _ := s.cfg.Assets.Network(a.Network)
		inv.Methods = append(inv.Methods, Method{
			Asset: a.Code, Currency: a.Currency, Network: a.Network, Family: n.Family, Decimals: a.Decimals,
			Rate: q.rate, RateSource: q.source, RatedAt: q.ratedAt, AmountDue: q.amount, AmountPaid: decimal.Zero,
			AmountConfirmed: decimal.Zero, Confirmations: a.ConfirmationsFor(q.amount),
		})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(inv.Methods) == 0 {
		return nil, left.Err() // no method could be quoted: every reason, per field
	}
	if err := left.Err(); err != nil {
		s.cfg.Logger.InfoContext(ctx, "invoice: payment methods left out", "mode", m, "currency", currency,
			"amount", amount, "offered", len(inv.Methods), "reasons", err.Error())
	}
	return &draft{inv: inv, methods: methods}, nil
}

// quoted is one asset's price for an invoice.
type quoted struct {
	rate, amount decimal.Decimal
	source       string
	ratedAt      *time.Time
}

// quote prices due (in currency; quoteIn is the currency the rate is asked in) in asset
// a: the locked rate (par for the asset itself or a USD stablecoin in USD), rounded up
// to a's decimals with exact arithmetic, plus subtract percent of a's default network
// fee; refused under a's minimum or over its maximum. It may fetch prices: call it
// outside any write transaction.
func (s *Service) quote(ctx context.Context, a asset.Asset, currency, quoteIn string, due, subtract decimal.Decimal) (quoted, error) {
	q := quoted{rate: decimal.NewFromInt(1), source: "par"}
	if a.Code != currency && !(a.Stable && currency == "USD") {
		r, err := s.cfg.Rates.Rate(ctx, a.Currency, quoteIn)
		if err != nil {
			return q, fmt.Errorf("%w for %s/%s: %v", ErrNoRate, a.Currency, currency, err)
		}
		q.rate, q.source = r.Value, r.Source
		if !r.At.IsZero() {
			at := r.At.UTC()
			q.ratedAt = &at
		}
	}
	hundred := decimal.NewFromInt(100)
	q.amount = asset.DivRoundUp(due, q.rate, a.Decimals)
	if subtract.IsPositive() {
		q.amount = q.amount.Add(asset.DivRoundUp(a.DefaultFee.Mul(subtract), hundred, a.Decimals))
	}
	if q.amount.LessThan(a.MinInvoice) {
		return q, fmt.Errorf("%w: %s %s is below %s %s", ErrAmountSmall, q.amount, a.Code, a.MinInvoice, a.Code)
	}
	if a.MaxInvoice.IsPositive() && q.amount.GreaterThan(a.MaxInvoice) {
		return q, fmt.Errorf("%w: %s %s is above the most an invoice may ask, %s %s", asset.ErrAmountTooLarge,
			q.amount, a.Code, a.MaxInvoice, a.Code)
	}
	if _, err := a.ToBaseUnits(q.amount); err != nil {
		return q, err
	}
	return q, nil
}

// quoteField is the input field a quoting error is about.
func quoteField(err error) string {
	if errors.Is(err, ErrNoRate) {
		return "currency"
	}
	return "amount"
}

// paramsHash is a digest of everything a create asks for (not its RequestKey): a
// second create with the same OrderID must give the same digest to be answered with
// the first invoice; otherwise it is a conflict.
func paramsHash(kind Kind, amount decimal.Decimal, currency string, lifetime time.Duration, multiple bool, p CreateParams) string {
	b, _ := json.Marshal([]any{kind, amount.String(), currency, p.ToCurrency, p.Network, p.AcceptedAssets, p.ExceptCurrencies,
		lifetime, p.AccuracyPercent.String(), p.UnderpaymentThreshold.String(), multiple, p.SubtractPercent.String(),
		p.DiscountPercent.String(), p.CustomerID, p.CustomerEmail, p.Description, p.SuccessURL, p.CancelURL, p.CallbackURL,
		string(compact(p.Metadata))})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// priceAsset parses a crypto price currency: "BTC", "USDT_TRON", or a currency with
// the network field ("USDT" + "ethereum", the API's currency + network). The network
// names the price currency's network only when the currency alone is ambiguous, or
// when no to_currency takes it.
func (s *Service) priceAsset(p CreateParams) (asset.Asset, error) {
	a, err := s.cfg.Assets.Parse(p.Currency, "")
	if err == nil || p.Network == "" || (p.ToCurrency != "" && !errors.Is(err, asset.ErrAmbiguousAsset)) {
		return a, err
	}
	return s.cfg.Assets.Parse(p.Currency, p.Network)
}

// acceptable returns the enabled assets a fiat invoice offers.
func (s *Service) acceptable(v *validation.Error, m asset.Mode, enabled map[string]bool, accepted, except []string) []asset.Asset {
	match := func(list []string, field string) map[string]bool {
		out := map[string]bool{}
		for i, c := range list {
			if a, err := s.cfg.Assets.Parse(c, ""); err == nil {
				out[a.Code] = true // named: it must be enabled
				continue
			}
			found := false // a bare currency means all its networks that are enabled
			for _, a := range s.cfg.Assets.Assets() {
				if strings.EqualFold(a.Currency, strings.TrimSpace(c)) {
					found = true
					if _, named := out[a.Code]; !named {
						out[a.Code] = false
					}
				}
			}
			if !found {
				v.Add(fmt.Sprintf("%s[%d]", field, i), asset.ErrUnknownAsset)
			}
		}
		return out
	}
	acc, exc := match(accepted, "accepted_assets"), match(except, "except_currencies")
	var out []asset.Asset
	for _, a := range s.cfg.Assets.Assets() {
		_, accepts := acc[a.Code]
		_, excepted := exc[a.Code]
		if !enabled[a.Code] || excepted || (len(accepted) > 0 && !accepts) {
			continue
		}
		out = append(out, a)
	}
	for code, named := range acc {
		if named && !enabled[code] {
			v.Add("accepted_assets", fmt.Errorf("%s %w in %s mode", code, ErrNotEnabled, m))
		}
	}
	if len(out) == 0 && len(v.Fields) == 0 {
		v.Add("accepted_assets", fmt.Errorf("no asset %w in %s mode", ErrNotEnabled, m))
	}
	return out
}

func fieldOf(err error, def string) string {
	if errors.Is(err, asset.ErrUnknownNetwork) {
		return "network"
	}
	return def
}

// ValidEmail reports whether s is a bare email address (ada@example.com: no display
// name, no angle brackets) of at most 254 bytes.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// CheckMetadata checks caller metadata (of an invoice, a payout): absent, or a JSON
// object of at most MaxMetadata bytes that is valid Unicode.
//
// Metadata is stored and returned as sent, so it must read the same to every JSON
// parser: bytes that are not UTF-8 are refused (ErrNotUnicode), and so are \u escapes
// of UTF-16 surrogates that are not a high one followed by a low one (a lone "\ud800"),
// which some parsers reject and others turn into U+FFFD. They are refused rather than
// replaced, so that what is stored is exactly what the caller sent.
func CheckMetadata(b json.RawMessage) error {
	switch {
	case len(b) == 0:
		return nil
	case len(b) > MaxMetadata:
		return fmt.Errorf("%w: over 16 KiB", ErrTooLarge)
	case !isObject(b):
		return ErrNotObject
	case !utf8.Valid(b):
		return fmt.Errorf("%w: it has bytes that are not UTF-8", ErrNotUnicode)
	case loneSurrogate(b):
		return fmt.Errorf(`%w: it has a \u escape of an unpaired UTF-16 surrogate`, ErrNotUnicode)
	}
	return nil
}

// loneSurrogate reports whether the JSON text b has a \u escape of a UTF-16 surrogate
// that is not a high surrogate directly followed by an escaped low one. b must be
// valid JSON, so every backslash in it starts an escape inside a string.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // b[i] is the escaped character
		if i+4 >= len(b) || b[i] != 'u' {
			continue
		}
		r := hex4(b[i+1 : i+5])
		i += 4
		switch {
		case r < 0xd800 || r > 0xdfff:
		case r >= 0xdc00: // a low surrogate with no high one before it
			return true
		case i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' && isLow(hex4(b[i+3:i+7])):
			i += 6
		default: // a high surrogate without a low one after it
			return true
		}
	}
	return false
}

func isLow(r rune) bool { return r >= 0xdc00 && r <= 0xdfff }

// hex4 decodes the four hex digits of a \u escape (checked by the JSON parser).
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// isObject reports whether b is exactly one JSON object (json.Valid also refuses
// anything after it, which Decoder.More would let through before a '}' or ']').
func isObject(b json.RawMessage) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == '{' && json.Valid(b)
}

func compact(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil
	}
	return out.Bytes()
}

func httpURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Errors of fields, each reading as a sentence after the field's name (a
// validation.FieldError names it).
var (
	ErrAmountSmall = errors.New("is below the minimum for the asset")
	ErrNotEnabled  = errors.New("is not enabled")
	ErrTooLarge    = errors.New("is too large")
	ErrOutOfRange  = errors.New("is out of range")
	ErrBadFormat   = errors.New("has an invalid format")
	ErrNotObject   = errors.New("must be a JSON object")
	ErrNotUnicode  = errors.New("must be valid Unicode text")
	ErrFiatTarget  = errors.New("must be a crypto currency, not fiat")
	// ErrSubMerchantCallback: a sub-merchant's invoice hears of itself through the
	// sub-merchant's own webhook endpoints, not url_callback.
	ErrSubMerchantCallback = errors.New("is not available for a sub-merchant's invoice: give the sub-merchant a webhook endpoint of its own")
)

// named reports whether an invoice of mode m has p's order id or request key with p's
// customer_id already.
func (s *Service) named(ctx context.Context, m asset.Mode, p CreateParams) (bool, error) {
	var found bool
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		check := func(inv *Invoice, err error) error {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			found = found || (err == nil && inv.CustomerID == p.CustomerID)
			return err
		}
		if p.OrderID != "" {
			if err := check(tx.InvoiceByOrderID(ctx, m, OrderKey(p.SubMerchantID, p.OrderID))); err != nil {
				return err
			}
		}
		if p.RequestKey != "" {
			return check(tx.InvoiceByRequestKey(ctx, m, p.RequestKey))
		}
		return nil
	})
	return found, err
}
