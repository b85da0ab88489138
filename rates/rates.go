// Package rates prices crypto amounts in fiat: exchange-rate sources (CoinGecko, Kraken,
// Binance, Coinbase, and Fixed for tests) and a Cache that refreshes them with a TTL and
// refuses to quote from a rate older than its stale limit.
//
// Every source answers the same question: how many US dollars is one unit of each of
// these currencies worth (USD prices)? Cross rates between any two currencies, crypto or
// fiat, go through USD: rate(BTC→EUR) = usd(BTC) / usd(EUR). USD stablecoins (USDT,
// USDC) are priced at their USD rate, exactly 1, so a 100 USD invoice asks exactly
// 100 USDT.
//
// Prices are parsed from the sources' JSON as decimal text (json.Number), never through
// float64. A zero, negative or missing price is an error, never a quote.
package rates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Source fetches USD prices.
type Source interface {
	// Name identifies the source in logs and on stored rates ("coingecko").
	Name() string
	// USDPrices returns the USD price of each code it can price (crypto such as "BTC", or
	// fiat such as "EUR"). Codes it does not know are left out of the result; an error
	// means the source could not be reached or answered nonsense.
	USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error)
}

// Errors.
var (
	ErrNoRate  = errors.New("no exchange rate available")
	ErrStale   = errors.New("exchange rate is too old to quote")
	ErrBadData = errors.New("rate source answered with unusable data")
)

// Rate is a price of one unit of Base in Quote.
type Rate struct {
	Base, Quote string
	Value       decimal.Decimal // Quote per 1 Base
	Source      string
	At          time.Time // when the underlying prices were fetched
}

// Stablecoins priced at exactly 1 USD.
var stable = map[string]bool{"USD": true, "USDT": true, "USDC": true}

// ratePrecision is the number of decimal places a cross rate keeps. Quotes do not
// divide by the rate (see invoice), so this only bounds what is shown and stored.
const ratePrecision = 18

// Fixed is a Source with set USD prices, for tests and sandboxes: rates.Fixed{"BTC":
// decimal.NewFromInt(65000)}.
type Fixed map[string]decimal.Decimal

// Name implements Source.
func (Fixed) Name() string { return "fixed" }

// USDPrices implements Source.
func (f Fixed) USDPrices(_ context.Context, codes []string) (map[string]decimal.Decimal, error) {
	out := map[string]decimal.Decimal{}
	for _, c := range codes {
		if v, ok := f[c]; ok {
			out[c] = v
		}
	}
	return out, nil
}

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Sources are asked in order; the first to price a code wins. At least one.
	Sources []Source
	// TTL is how long fetched prices are used before refreshing (default 1 minute).
	TTL time.Duration
	// StaleAfter is the age after which a price is refused even when no source can
	// refresh it (default 15 minutes). Quoting an invoice from an ancient rate would
	// sell at the wrong price, so Kassa fails instead.
	StaleAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger logs failing sources (default slog.Default()).
	Logger *slog.Logger
}

// Cache caches USD prices from its sources. It is safe for concurrent use.
type Cache struct {
	cfg    CacheConfig
	mu     sync.Mutex
	prices map[string]cached
}

type cached struct {
	usd    decimal.Decimal
	source string
	at     time.Time
}

// NewCache returns a Cache.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if len(cfg.Sources) == 0 {
		return nil, errors.New("rates: a cache needs at least one source")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Minute
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 15 * time.Minute
	}
	if cfg.StaleAfter < cfg.TTL {
		return nil, errors.New("rates: StaleAfter must not be shorter than TTL")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Cache{cfg: cfg, prices: map[string]cached{}}, nil
}

// Rate returns the price of one base in quote (both currency codes, crypto or fiat,
// upper case), through USD.
func (c *Cache) Rate(ctx context.Context, base, quote string) (Rate, error) {
	base, quote = strings.ToUpper(base), strings.ToUpper(quote)
	p, err := c.usd(ctx, []string{base, quote})
	if err != nil {
		return Rate{}, err
	}
	b, q := p[base], p[quote]
	at, src := b.at, b.source
	if q.at.Before(at) {
		at = q.at
	}
	if q.source != b.source {
		src = b.source + "+" + q.source
	}
	return Rate{Base: base, Quote: quote, Value: b.usd.DivRound(q.usd, ratePrecision), Source: src, At: at}, nil
}

// usd returns a USD price for every code, refreshing those older than TTL.
func (c *Cache) usd(ctx context.Context, codes []string) (map[string]cached, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]cached{}
	var need []string
	for _, code := range codes {
		if stable[code] {
			out[code] = cached{usd: decimal.NewFromInt(1), source: "par", at: now}
			continue
		}
		if p, ok := c.prices[code]; ok && now.Sub(p.at) < c.cfg.TTL {
			out[code] = p
			continue
		}
		need = append(need, code)
	}
	if len(need) > 0 {
		sort.Strings(need)
		c.refresh(ctx, need, now)
	}
	for _, code := range need {
		p, ok := c.prices[code]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoRate, code)
		}
		if age := now.Sub(p.at); age >= c.cfg.StaleAfter {
			return nil, fmt.Errorf("%w: %s is %s old (limit %s)", ErrStale, code, age.Round(time.Second), c.cfg.StaleAfter)
		}
		out[code] = p
	}
	return out, nil
}

func (c *Cache) refresh(ctx context.Context, codes []string, now time.Time) {
	missing := codes
	for _, s := range c.cfg.Sources {
		if len(missing) == 0 {
			return
		}
		got, err := s.USDPrices(ctx, missing)
		if err != nil {
			c.cfg.Logger.WarnContext(ctx, "rates: source failed", "source", s.Name(), "codes", missing, "err", err)
			continue
		}
		var still []string
		for _, code := range missing {
			v, ok := got[code]
			if !ok || !v.IsPositive() {
				still = append(still, code)
				continue
			}
			c.prices[code] = cached{usd: v, source: s.Name(), at: now}
		}
		missing = still
	}
}
