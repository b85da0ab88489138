package rates

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"
)

// maxBody bounds a source's response.
const maxBody = 4 << 20

// HTTP is what the HTTP sources share: a base URL (the public API by default, a test
// server in tests) and a client.
type HTTP struct {
	BaseURL string
	Client  *http.Client // default http.DefaultClient
	// Header is added to every request (an API key, for example).
	Header http.Header
}

func (h HTTP) get(ctx context.Context, def, path string, query url.Values, into any) error {
	base := h.BaseURL
	if base == "" {
		base = def
	}
	u := strings.TrimRight(base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, v := range h.Header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadData, path, err)
	}
	return nil
}

func positive(s string) (decimal.Decimal, error) {
	v, err := decimal.NewFromString(s)
	if err != nil || !v.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("%w: price %q", ErrBadData, s)
	}
	return v, nil
}

// CoinGecko prices from the simple/price endpoint. Fiat prices are derived through
// bitcoin's price in each fiat.
type CoinGecko struct{ HTTP }

// coingeckoIDs maps currency codes to CoinGecko coin ids.
var coingeckoIDs = map[string]string{
	"BTC": "bitcoin", "LTC": "litecoin", "ETH": "ethereum", "BNB": "binancecoin",
	"POL": "polygon-ecosystem-token", "TRX": "tron", "SOL": "solana", "LINK": "chainlink",
	"CRO": "crypto-com-chain", "DOT": "polkadot", "STX": "blockstack",
}

// Name implements Source.
func (CoinGecko) Name() string { return "coingecko" }

// USDPrices implements Source.
func (s CoinGecko) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	ids := map[string]string{}
	var fiats []string
	for _, c := range codes {
		if id, ok := coingeckoIDs[c]; ok {
			ids[id] = c
		} else if len(c) == 3 {
			fiats = append(fiats, strings.ToLower(c))
		}
	}
	if _, ok := ids["bitcoin"]; !ok && len(fiats) > 0 {
		ids["bitcoin"] = "" // fetched only as the cross for fiat prices
	}
	if len(ids) == 0 {
		return map[string]decimal.Decimal{}, nil
	}
	var idList []string
	for id := range ids {
		idList = append(idList, id)
	}
	q := url.Values{"ids": {strings.Join(idList, ",")}, "vs_currencies": {strings.Join(append([]string{"usd"}, fiats...), ",")}}
	var body map[string]map[string]json.Number
	if err := s.get(ctx, "https://api.coingecko.com/api/v3", "/simple/price", q, &body); err != nil {
		return nil, err
	}
	out := map[string]decimal.Decimal{}
	for id, code := range ids {
		if code == "" {
			continue
		}
		if n, ok := body[id]["usd"]; ok {
			v, err := positive(n.String())
			if err != nil {
				return nil, err
			}
			out[code] = v
		}
	}
	btc := body["bitcoin"]
	for _, f := range fiats {
		usd, inFiat := btc["usd"], btc[f]
		if usd == "" || inFiat == "" {
			continue
		}
		u, err1 := positive(usd.String())
		x, err2 := positive(inFiat.String())
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: bitcoin in %s", ErrBadData, f)
		}
		out[strings.ToUpper(f)] = u.DivRound(x, ratePrecision)
	}
	return out, nil
}

// Kraken prices from the public Ticker endpoint (last trade price) against USD.
type Kraken struct{ HTTP }

// Name implements Source.
func (Kraken) Name() string { return "kraken" }

// USDPrices implements Source.
func (s Kraken) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	pairs := map[string]string{} // result key -> code
	var query []string
	for _, c := range codes {
		base := c
		if c == "BTC" {
			base = "XBT"
		}
		query = append(query, base+"USD")
		for _, k := range []string{base + "USD", "X" + base + "ZUSD", "Z" + base + "ZUSD"} {
			pairs[k] = c
		}
	}
	var body struct {
		Error  []string `json:"error"`
		Result map[string]struct {
			C []string `json:"c"`
		} `json:"result"`
	}
	if err := s.get(ctx, "https://api.kraken.com/0/public", "/Ticker", url.Values{"pair": {strings.Join(query, ",")}}, &body); err != nil {
		return nil, err
	}
	if len(body.Error) > 0 && len(body.Result) == 0 {
		return nil, fmt.Errorf("kraken: %s", strings.Join(body.Error, "; "))
	}
	out := map[string]decimal.Decimal{}
	for k, t := range body.Result {
		code, ok := pairs[k]
		if !ok || len(t.C) == 0 {
			continue
		}
		v, err := positive(t.C[0])
		if err != nil {
			return nil, err
		}
		out[code] = v
	}
	return out, nil
}

// Binance prices from the ticker/price endpoint against USDT, taken as USD (Binance has
// no USD book; USDT trades within a fraction of a percent of it).
type Binance struct{ HTTP }

// binanceSymbols are the codes Binance lists against USDT; asking for an unlisted
// symbol fails the whole request, so only these are asked.
var binanceSymbols = map[string]bool{
	"BTC": true, "LTC": true, "ETH": true, "BNB": true, "POL": true, "TRX": true, "SOL": true,
	"LINK": true, "DOT": true, "EUR": true, "GBP": true, "TRY": true, "BRL": true,
}

// Name implements Source.
func (Binance) Name() string { return "binance" }

// USDPrices implements Source.
func (s Binance) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	var syms []string
	for _, c := range codes {
		if binanceSymbols[c] {
			syms = append(syms, `"`+c+`USDT"`)
		}
	}
	if len(syms) == 0 {
		return map[string]decimal.Decimal{}, nil
	}
	var body []struct {
		Symbol string `json:"symbol"`
		Price  string `json:"price"`
	}
	if err := s.get(ctx, "https://api.binance.com/api/v3", "/ticker/price", url.Values{"symbols": {"[" + strings.Join(syms, ",") + "]"}}, &body); err != nil {
		return nil, err
	}
	out := map[string]decimal.Decimal{}
	for _, t := range body {
		code, ok := strings.CutSuffix(t.Symbol, "USDT")
		if !ok {
			continue
		}
		v, err := positive(t.Price)
		if err != nil {
			return nil, err
		}
		out[code] = v
	}
	return out, nil
}

// Coinbase prices from the exchange-rates endpoint, which lists how much of every
// currency one US dollar buys; a USD price is its inverse.
type Coinbase struct{ HTTP }

// Name implements Source.
func (Coinbase) Name() string { return "coinbase" }

// USDPrices implements Source.
func (s Coinbase) USDPrices(ctx context.Context, codes []string) (map[string]decimal.Decimal, error) {
	var body struct {
		Data struct {
			Currency string            `json:"currency"`
			Rates    map[string]string `json:"rates"`
		} `json:"data"`
	}
	if err := s.get(ctx, "https://api.coinbase.com/v2", "/exchange-rates", url.Values{"currency": {"USD"}}, &body); err != nil {
		return nil, err
	}
	if body.Data.Currency != "USD" {
		return nil, fmt.Errorf("%w: rates are for %q, not USD", ErrBadData, body.Data.Currency)
	}
	out := map[string]decimal.Decimal{}
	for _, c := range codes {
		r, ok := body.Data.Rates[c]
		if !ok {
			continue
		}
		v, err := positive(r)
		if err != nil {
			return nil, err
		}
		out[c] = decimal.NewFromInt(1).DivRound(v, ratePrecision)
	}
	return out, nil
}
