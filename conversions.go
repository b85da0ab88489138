package kassa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Conversion is a conversion between two of a merchant's balances (see package
// conversion).
type Conversion = conversion.Conversion

// Conversions returns the conversion service (create, get, list): conversions between
// a merchant's balances through Config.Exchanger.
func (g *Gateway) Conversions() *conversion.Service { return g.converts }

// exchangers is the conversion service's exchange per mode: the operator's in live
// mode (none without one); in test mode the test exchange, else the built-in one at
// the Gateway's rates. Test money never reaches the live exchange.
func exchangers(live, test conversion.Exchanger, rater invoice.Rater, assets *asset.Registry) func(asset.Mode) conversion.Exchanger {
	return func(m asset.Mode) conversion.Exchanger {
		switch {
		case m == asset.Live:
			return live
		case test != nil:
			return test
		}
		return conversion.Rated{Rates: rater, Assets: assets}
	}
}

// recoverConversions is the conversion job's pass: conversions left pending are
// asked again and finished (conversion.Service.Recover).
func (g *Gateway) recoverConversions(ctx context.Context) error {
	if err := g.converts.Recover(ctx); err != nil {
		return fmt.Errorf("conversions: %w", err)
	}
	return nil
}

// PriceEstimate is what an amount of one currency is worth in another at the
// Gateway's current rate (Gateway.EstimatePrice).
type PriceEstimate struct {
	Base   string          `json:"base_currency"`
	Quote  string          `json:"quote_currency"`
	Amount decimal.Decimal `json:"amount"`
	// Rate is Quote per 1 Base.
	Rate decimal.Decimal `json:"rate"`
	// EstimatedReceived is Amount times Rate, rounded down (toward zero) to Quote's
	// decimals (conversion.RoundReceived): never more than the rate gives.
	EstimatedReceived decimal.Decimal `json:"estimated_received"`
	// Source names the rate source ("kraken"; "par" for a USD stablecoin in USD).
	Source string `json:"source"`
	// AsOf is when the prices behind Rate were fetched.
	AsOf time.Time `json:"as_of"`
}

// maxFiatEstimate bounds an amount of fiat money to estimate: a trillion units is far
// above any sale, and below anything that would only be a typo.
var maxFiatEstimate = decimal.New(1, 12)

// Errors of estimates.
var (
	// ErrSameCurrency: an estimate of a currency in itself.
	ErrSameCurrency = errors.New("must differ from base_currency")
)

// pricing is a currency an estimate may name.
type pricing struct {
	code     string          // what the rates know: "BTC", "USDT", "EUR"
	decimals int32           // of its smallest unit
	max      decimal.Decimal // the most an amount of it may be
}

// pricingCurrency resolves a currency of an estimate: a fiat code invoices accept
// ("EUR"), or a crypto currency of the registry, as a currency ("BTC", "USDT") or an
// asset code ("USDT_TRON"). A currency on several networks has the fewest decimals
// and the smallest bound of its assets (USDT: 6 decimals), so that an estimate never
// promises a precision one of them cannot pay.
func (g *Gateway) pricingCurrency(code string) (pricing, error) {
	if f, err := asset.ParseFiat(code); err == nil {
		return pricing{code: f.Code, decimals: f.MinorUnits, max: maxFiatEstimate}, nil
	}
	a, err := g.assets.Parse(code, "")
	if err == nil {
		return pricing{code: a.Currency, decimals: a.Decimals, max: a.MaxInvoice}, nil
	}
	if !errors.Is(err, asset.ErrAmbiguousAsset) {
		return pricing{}, fmt.Errorf("%w: not a fiat currency invoices accept, nor a crypto currency of the registry", err)
	}
	var p pricing
	for _, a := range g.assets.Assets() {
		if a.Currency != strings.ToUpper(strings.TrimSpace(code)) {
			continue
		}
		if p.code == "" || a.Decimals < p.decimals {
			p.decimals = a.Decimals
		}
		if p.code == "" || (a.MaxInvoice.IsPositive() && a.MaxInvoice.LessThan(p.max)) {
			p.max = a.MaxInvoice
		}
		p.code = a.Currency
	}
	if p.code == "" {
		return pricing{}, err
	}
	return p, nil
}

// EstimatePrice says what amount of base is worth in quote at the Gateway's current
// rate (Config.Rates): base and quote are fiat codes invoices accept ("EUR") or
// crypto currencies of the registry ("BTC", "USDT", or an asset code, "USDT_TRON").
// Bad input is a *ValidationError naming each wrong field: base_currency or
// quote_currency unknown (asset.ErrUnknownAsset) or the same (ErrSameCurrency);
// amount not positive, with more decimal places than base has, or above the most an
// invoice may ask in base (a trillion for fiat). A rate that is unavailable or stale
// is refused as invoice creation refuses it: invoice.ErrNoRate, wrapping the rates
// error, on base_currency. It reads rates only and writes nothing.
func (g *Gateway) EstimatePrice(ctx context.Context, m asset.Mode, base, quote string, amount decimal.Decimal) (PriceEstimate, error) {
	var v ValidationError
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	b, err := g.pricingCurrency(base)
	if err != nil {
		v.Add("base_currency", err)
	}
	q, err := g.pricingCurrency(quote)
	if err != nil {
		v.Add("quote_currency", err)
	}
	if b.code != "" && b.code == q.code {
		v.Add("quote_currency", ErrSameCurrency)
	}
	switch {
	case amount.Sign() < 0:
		v.Add("amount", asset.ErrNegativeAmount)
	case amount.Sign() == 0:
		v.Add("amount", asset.ErrZeroAmount)
	case b.code != "":
		if _, err := asset.ToBaseUnits(amount, b.decimals); err != nil {
			v.Add("amount", err)
		} else if b.max.IsPositive() && amount.GreaterThan(b.max) {
			v.Add("amount", fmt.Errorf("%w: above %s %s", asset.ErrAmountTooLarge, b.max, b.code))
		}
	}
	if err := v.Err(); err != nil {
		return PriceEstimate{}, err
	}
	r, err := g.rater.Rate(ctx, b.code, q.code)
	if err != nil {
		return PriceEstimate{}, validation.Field("base_currency", fmt.Errorf("%w for %s/%s: %v", invoice.ErrNoRate, b.code, q.code, err))
	}
	return PriceEstimate{Base: b.code, Quote: q.code, Amount: amount, Rate: r.Value,
		EstimatedReceived: conversion.RoundReceived(amount.Mul(r.Value), q.decimals), Source: r.Source, AsOf: r.At.UTC()}, nil
}
