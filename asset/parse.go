package asset

import (
	"fmt"
	"strings"
)

// networkAliases maps a normalised name (lower case, no spaces, dashes, dots or
// underscores) to a network id.
var networkAliases = map[string]NetworkID{
	"bitcoin": Bitcoin, "btc": Bitcoin,
	"litecoin": Litecoin, "ltc": Litecoin,
	"ethereum": Ethereum, "eth": Ethereum, "erc20": Ethereum, "mainnet": Ethereum,
	"bsc": BSC, "bep20": BSC, "bnb": BSC, "bnbchain": BSC, "bnbsmartchain": BSC,
	"binancesmartchain": BSC, "bep2": BSC,
	"polygon": Polygon, "matic": Polygon, "pol": Polygon, "polygonpos": Polygon,
	"base": Base,
	"tron": Tron, "trx": Tron, "trc20": Tron,
	"solana": Solana, "sol": Solana, "spl": Solana,
	"stacks": Stacks, "stx": Stacks,
	"polkadot": Polkadot, "dot": Polkadot,
	"cronos": Cronos, "cro": Cronos, "crc20": Cronos,
}

// currencyAliases maps other names of a currency to its code here.
var currencyAliases = map[string]string{"MATIC": "POL"}

func normalise(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.', '\t':
			return -1
		}
		return r
	}, s)
}

func upper(s string) string { return strings.ToUpper(s) }

// ParseNetwork turns a network name or alias ("BEP20", "BNB Chain", "trc20") into its
// id. It does not say whether the network is enabled.
func (r *Registry) ParseNetwork(s string) (NetworkID, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("%w: name too long", ErrUnknownNetwork)
	}
	id, ok := networkAliases[normalise(s)]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownNetwork, s)
	}
	if _, ok := r.networks[id]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownNetwork, s)
	}
	return id, nil
}

// Parse resolves an asset written as a code ("USDT_BSC", "usdt-trc20", "BTC") or as a
// currency plus a network ("USDT" + "BEP20"). network may be empty. A currency that
// exists on several networks and is given without one fails with ErrAmbiguousAsset,
// whose message lists the codes to choose from; a native coin alone means its home
// network.
func (r *Registry) Parse(currency, network string) (Asset, error) {
	currency = strings.TrimSpace(currency)
	if currency == "" {
		return Asset{}, fmt.Errorf("%w: empty", ErrUnknownAsset)
	}
	if len(currency) > 64 {
		return Asset{}, fmt.Errorf("%w: code too long", ErrUnknownAsset)
	}
	cur := upper(currency)
	if network == "" {
		if a, ok := r.assets[cur]; ok {
			return copyAsset(a), nil
		}
		// CURRENCY_NETWORK or CURRENCY-NETWORK, with the network part an alias.
		if i := strings.IndexAny(cur, "_-"); i > 0 {
			if cur[i+1:] == "" {
				return Asset{}, fmt.Errorf("%w: %q", ErrUnknownAsset, currency)
			}
			return r.Parse(cur[:i], cur[i+1:])
		}
		if alias, ok := currencyAliases[cur]; ok {
			cur = alias
		}
		if home, ok := homeNetwork[cur]; ok {
			if a, err := r.Lookup(cur, home); err == nil {
				return a, nil
			}
		}
		var codes []string
		for _, c := range r.order {
			if r.assets[c].Currency == cur {
				codes = append(codes, c)
			}
		}
		if len(codes) > 0 {
			return Asset{}, fmt.Errorf("%w: %s is on %s", ErrAmbiguousAsset, cur, strings.Join(codes, ", "))
		}
		return Asset{}, fmt.Errorf("%w: %q", ErrUnknownAsset, currency)
	}
	if alias, ok := currencyAliases[cur]; ok {
		cur = alias
	}
	id, err := r.ParseNetwork(network)
	if err != nil {
		return Asset{}, err
	}
	a, err := r.Lookup(cur, id)
	if err != nil {
		return Asset{}, fmt.Errorf("%w: %s is not listed on %s", ErrUnknownAsset, cur, id)
	}
	return a, nil
}
