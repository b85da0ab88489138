// Package asset is Kassa's registry of networks, assets and fiat pricing currencies, and
// the one place where amounts are converted between decimals and integer base units.
//
// An asset is a currency on a network: USDT on tron is written USDT_TRON; a native coin
// on its home network may be written alone (BTC, ETH, TRX). Network ids are lower case
// (bitcoin, ethereum, bsc, ...). Parse and ParseNetwork accept the aliases of the wider
// world (BEP20, "BNB Chain", TRC20, ERC20, MATIC, ...) case-insensitively and return
// ErrUnknownAsset, ErrUnknownNetwork or ErrAmbiguousAsset, never a guess.
//
// A Registry is a plain value: Default returns a fresh copy of the built-in table that
// the caller owns and may adjust (for example SetContract for a test-mode token deployed
// on a development chain). There is no package-level mutable state.
//
// # Money rules
//
// Amounts are decimal.Decimal at the edges and *big.Int base units (satoshi, wei, sun)
// on chains and in the ledger. ToBaseUnits is exact: it refuses an amount with more
// fractional digits than the asset has (ErrTooPrecise) instead of rounding, and an amount
// whose base units do not fit in a signed 256-bit integer (ErrAmountTooLarge). The only
// rounding Kassa does is RoundUp, used when a price is converted into a crypto amount
// due: it rounds toward positive infinity at the asset's decimals, so the merchant is
// never paid less than the quote.
package asset

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Mode separates live money from test money. Every stored object, ledger account and
// derived key belongs to exactly one mode.
type Mode string

const (
	// Live is real money on main networks (API keys sk_live_...).
	Live Mode = "live"
	// Test is test money on test networks, regtest nodes or the sim chain (sk_test_...).
	Test Mode = "test"
)

// Valid reports whether m is Live or Test.
func (m Mode) Valid() bool { return m == Live || m == Test }

// ParseMode parses "live" or "test".
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	if !m.Valid() {
		return "", fmt.Errorf("%w: %q (want live or test)", ErrUnknownMode, s)
	}
	return m, nil
}

// Family is an address family: all networks of one family derive their deposit
// addresses from the same HD account, so one index serves all of them (the same EVM
// address receives on ethereum, bsc, polygon and base).
type Family string

const (
	FamilyBTC      Family = "btc"      // Bitcoin: BIP84 P2WPKH, m/84'/0'/0'
	FamilyLTC      Family = "ltc"      // Litecoin: BIP84 P2WPKH, m/84'/2'/0'
	FamilyEVM      Family = "evm"      // Ethereum and EVM chains: m/44'/60'/0'
	FamilyTron     Family = "tron"     // Tron: m/44'/195'/0'
	FamilySolana   Family = "solana"   // Solana: SLIP-0010 ed25519 (no backend yet)
	FamilyStacks   Family = "stacks"   // Stacks: m/44'/5757'/0' (no backend yet)
	FamilyPolkadot Family = "polkadot" // Polkadot: sr25519, not BIP32 (no backend yet)
)

// NetworkID names a network in lower case, as in the API's "network" field.
type NetworkID string

const (
	Bitcoin  NetworkID = "bitcoin"
	Litecoin NetworkID = "litecoin"
	Ethereum NetworkID = "ethereum"
	BSC      NetworkID = "bsc"
	Polygon  NetworkID = "polygon"
	Base     NetworkID = "base"
	Tron     NetworkID = "tron"
)

// Networks whose assets are known but that have no chain backend yet.
const (
	Solana   NetworkID = "solana"
	Stacks   NetworkID = "stacks"
	Polkadot NetworkID = "polkadot"
	Cronos   NetworkID = "cronos"
)

// Network describes one chain.
type Network struct {
	ID     NetworkID
	Name   string // human name, "BNB Smart Chain"
	Family Family
	// Native is the currency code of the network's own coin ("BNB" on bsc, "ETH" on base).
	Native string
	// ChainID is the EIP-155 chain id per mode for EVM networks, 0 elsewhere.
	ChainID map[Mode]uint64
	// Supported says that Kassa ships a chain backend for this network. A Gateway only
	// enables assets of supported networks for which it was given a backend.
	Supported bool
}

// Asset is a currency on a network with everything Kassa needs to accept and pay it.
type Asset struct {
	Currency string    // upper case, "USDT"
	Network  NetworkID // "tron"
	// Code is the canonical code, "USDT_TRON", or the bare currency for a native coin on
	// its home network ("BTC", "ETH", "TRX").
	Code string
	Name string
	// Decimals is the number of fractional digits of one base unit: 8 for BTC, 18 for ETH,
	// 6 for USDT on tron but 18 for USDT on bsc.
	Decimals int32
	// Native is true for the network's own coin, false for a token.
	Native bool
	// Contract is the token contract per mode (empty for native coins, and empty in a
	// mode where no official deployment exists: set one with Registry.SetContract).
	Contract map[Mode]string
	// MinInvoice is the smallest amount an invoice may ask in this asset.
	MinInvoice decimal.Decimal
	// MaxInvoice is the most an invoice may ask in this asset (its quote of a fiat
	// price included): a bound against typos and absurd amounts, far above any real
	// sale (about 50 to 100 million USD), set with Registry.SetMaxInvoice. Zero means no
	// bound.
	MaxInvoice decimal.Decimal
	// MinPayout is the smallest payout in this asset.
	MinPayout decimal.Decimal
	// DefaultFee is the network fee estimate used when the chain gives none.
	DefaultFee decimal.Decimal
	// Confirmations is the number of confirmations required before a payment is
	// credited as available.
	Confirmations int
	// ConfirmationTiers raise the requirement for large payments: the highest tier
	// whose Above the amount exceeds wins. Sorted by Above.
	ConfirmationTiers []ConfirmationTier
	// Stable marks a USD stablecoin, priced through the USD rate.
	Stable bool
}

// ConfirmationTier requires Confirmations for payments above Above (in the asset).
type ConfirmationTier struct {
	Above         decimal.Decimal
	Confirmations int
}

// ConfirmationsFor returns the confirmations a payment of amount needs.
func (a Asset) ConfirmationsFor(amount decimal.Decimal) int {
	c := a.Confirmations
	for _, t := range a.ConfirmationTiers {
		if amount.GreaterThan(t.Above) && t.Confirmations > c {
			c = t.Confirmations
		}
	}
	return c
}

// ContractFor returns the token contract in mode, or "" for a native coin.
func (a Asset) ContractFor(m Mode) string { return a.Contract[m] }

func (a Asset) String() string { return a.Code }

// Errors returned by lookups and parsers. They read as sentences after a field name:
// "currency: unknown asset".
var (
	ErrUnknownAsset   = errors.New("unknown asset")
	ErrAmbiguousAsset = errors.New("currency is on several networks: name the network")
	ErrUnknownNetwork = errors.New("unknown network")
	ErrUnknownMode    = errors.New("unknown mode")
	ErrNotEnabled     = errors.New("asset is not enabled")
	ErrUnknownFiat    = errors.New("unknown fiat currency")
)

// Registry holds networks and assets. The zero value is empty; use Default.
//
// NOTE: a Registry is not safe for concurrent mutation. Configure it (SetContract,
// SetConfirmations) before handing it to a Gateway, then only read it.
type Registry struct {
	networks map[NetworkID]*Network
	assets   map[string]*Asset // by canonical code
	order    []string          // codes in table order
}

// Networks returns every network, in table order.
func (r *Registry) Networks() []Network {
	var out []Network
	seen := map[NetworkID]bool{}
	for _, c := range r.order {
		id := r.assets[c].Network
		if !seen[id] {
			seen[id] = true
			out = append(out, copyNetwork(r.networks[id]))
		}
	}
	return out
}

// Network returns the network with id.
func (r *Registry) Network(id NetworkID) (Network, error) {
	n, ok := r.networks[id]
	if !ok {
		return Network{}, fmt.Errorf("%w: %q", ErrUnknownNetwork, string(id))
	}
	return copyNetwork(n), nil
}

// Assets returns every asset, in table order.
func (r *Registry) Assets() []Asset {
	out := make([]Asset, 0, len(r.order))
	for _, c := range r.order {
		out = append(out, copyAsset(r.assets[c]))
	}
	return out
}

// AssetsOn returns the assets of network id, native coin first.
func (r *Registry) AssetsOn(id NetworkID) []Asset {
	var out []Asset
	for _, c := range r.order {
		if a := r.assets[c]; a.Network == id {
			out = append(out, copyAsset(a))
		}
	}
	return out
}

// Get returns the asset with the canonical code, exactly as Asset.Code spells it. Use
// Parse for user input.
func (r *Registry) Get(code string) (Asset, error) {
	a, ok := r.assets[code]
	if !ok {
		return Asset{}, fmt.Errorf("%w: %q", ErrUnknownAsset, code)
	}
	return copyAsset(a), nil
}

// Lookup returns currency on network.
func (r *Registry) Lookup(currency string, network NetworkID) (Asset, error) {
	for _, c := range r.order {
		if a := r.assets[c]; a.Currency == currency && a.Network == network {
			return copyAsset(a), nil
		}
	}
	return Asset{}, fmt.Errorf("%w: %s on %s", ErrUnknownAsset, currency, network)
}

// SetContract sets the token contract of the asset code in mode, for example the address
// of a test token deployed on a development chain.
func (r *Registry) SetContract(code string, m Mode, contract string) error {
	a, ok := r.assets[code]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAsset, code)
	}
	if a.Native {
		return fmt.Errorf("asset %s is a native coin and has no contract", code)
	}
	if !m.Valid() {
		return fmt.Errorf("%w: %q", ErrUnknownMode, string(m))
	}
	a.Contract[m] = contract
	return nil
}

// SetConfirmations overrides the confirmations required for the asset code.
func (r *Registry) SetConfirmations(code string, n int) error {
	a, ok := r.assets[code]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAsset, code)
	}
	if n < 0 || n > 10000 {
		return fmt.Errorf("confirmations for %s: %d is out of range 0..10000", code, n)
	}
	a.Confirmations = n
	a.ConfirmationTiers = nil
	return nil
}

// SetMaxInvoice sets the most an invoice may ask in asset code (zero: no bound).
func (r *Registry) SetMaxInvoice(code string, max decimal.Decimal) error {
	a, ok := r.assets[code]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAsset, code)
	}
	if max.IsNegative() {
		return fmt.Errorf("max invoice for %s: %w", code, ErrNegativeAmount)
	}
	a.MaxInvoice = max
	return nil
}

func copyAsset(a *Asset) Asset {
	c := *a
	c.Contract = make(map[Mode]string, len(a.Contract))
	for k, v := range a.Contract {
		c.Contract[k] = v
	}
	c.ConfirmationTiers = slices.Clone(a.ConfirmationTiers)
	return c
}

func copyNetwork(n *Network) Network {
	c := *n
	c.ChainID = make(map[Mode]uint64, len(n.ChainID))
	for k, v := range n.ChainID {
		c.ChainID[k] = v
	}
	return c
}
