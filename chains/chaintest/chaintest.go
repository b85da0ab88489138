// Package chaintest is the conformance suite of chain backends: the behaviour every
// chains.Backend must show for the watcher engine and the payout service to work on
// it, written once and run unchanged by each backend's own tests, against a real node
// (btcd in regtest, go-ethereum's simulated node), an HTTP API served by httptest
// (Esplora) or the sim chain.
//
// A backend's test describes how to start a chain and how to act on it (pay, mine,
// reorganise, drop an unconfirmed payment) in a Harness, and calls Run:
//
//	func TestChaintest(t *testing.T) {
//		chaintest.Run(t, chaintest.Harness{New: newChain})
//	}
//
// Run checks address validation, block scans, confirmations counted up to the required
// number, reorgs (a payment whose block leaves the chain is orphaned; mined again it is
// the same record), unconfirmed payments that leave the mempool (dropped), new blocks
// pushed, fee estimates and payouts followed to their confirmations. Everything that
// involves the watcher goes through the real chains.Watcher over a SQLite database in
// the test's temporary directory, stepped by hand: no check waits for time to pass.
//
// Optional behaviours are Capabilities. A backend that lacks one must say why in
// Harness.Lacks; Run then skips its checks with that reason, and fails instead when a
// capability is missing without one, so nothing is skipped silently.
package chaintest

import (
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Capability is an optional behaviour of a backend, checked only when the backend has
// it.
type Capability string

// Capabilities.
const (
	// Mempool: the backend reports unconfirmed payments (chains.Mempool) and the test
	// can take one out of the mempool (Chain.Drop).
	Mempool Capability = "mempool"
	// Reorg: the test can take blocks off the best chain (Chain.Disconnect) and drop
	// the transactions that return to the mempool (Chain.Drop).
	Reorg Capability = "reorg"
	// Push: the backend pushes new blocks (chains.Notifier).
	Push Capability = "push"
	// FeeEstimate: the backend's wallet (chains.Payer) estimates payout fees.
	FeeEstimate Capability = "fee-estimate"
	// Send: the backend's wallet (chains.Payer) pays out.
	Send Capability = "send"
)

// capabilities says, for each Capability, what a chain needs to have it.
var capabilities = map[Capability]struct {
	needs string
	has   func(c *Chain) bool
}{
	Mempool: {"a chains.Mempool backend and Chain.Drop", func(c *Chain) bool {
		return implements[chains.Mempool](c) && c.Drop != nil
	}},
	Reorg:       {"Chain.Disconnect and Chain.Drop", func(c *Chain) bool { return c.Disconnect != nil && c.Drop != nil }},
	Push:        {"a chains.Notifier backend", implements[chains.Notifier]},
	FeeEstimate: {"a chains.Payer backend", implements[chains.Payer]},
	Send:        {"a chains.Payer backend", implements[chains.Payer]},
}

// implements reports whether c's backend implements I.
func implements[I any](c *Chain) bool {
	_, ok := c.Backend.(I)
	return ok
}

// Harness is a backend under test.
type Harness struct {
	// New starts a fresh chain for one check and returns it with the backend that
	// reads it. Run calls it once per check, with that check's t: whatever it starts
	// must be stopped by t.Cleanup.
	New func(t *testing.T) *Chain
	// Lacks names the capabilities the backend does not have, each with the reason Run
	// gives when it skips their checks. A capability the chain lacks must be listed,
	// or Run fails.
	Lacks map[Capability]string
}

// Chain is one chain under test: the backend reading it and the test's controls over
// it. The controls fail the test themselves (t.Fatal) when they cannot do their work.
type Chain struct {
	// Backend reads the chain.
	Backend chains.Backend
	// Asset is the code of the network's coin ("BTC", "ETH"): what Pay pays, and what
	// fees are paid in.
	Asset string
	// Amount is a typical payment, in base units of Asset, and the payout the Send
	// check makes; payments of the checks are Amount plus a few units, each its own.
	// Default 1,000,000.
	Amount *big.Int

	// Address returns a new valid address, in the spelling the backend reports
	// (chains.Canonicalizer), that nothing else pays.
	Address func() string
	// WrongNetwork are addresses of other networks (another Bitcoin network, another
	// chain family) that ValidateAddress must refuse; BadChecksum are addresses of the
	// chain's own network with a checksum that does not match. Both are required.
	WrongNetwork, BadChecksum []string

	// Pay pays amount base units of Asset to addr in a new transaction from outside
	// Kassa's keys, into the mempool, and returns its id as the backend reports it.
	Pay func(addr string, amount *big.Int) (txid string)
	// Mine mines n blocks, or more if the node needs them to take every transaction
	// of the test waiting in its mempool, and returns once they are the best chain.
	Mine func(n int)
	// Disconnect takes the last depth blocks off the best chain at once, so the tip is
	// depth blocks lower; their transactions go back to the mempool, and the next Mine
	// mines them again unless Drop took them out. Nil lacks Reorg.
	Disconnect func(depth int)
	// Drop takes the unconfirmed transaction txid out of the mempool for good, as a
	// double-spend that pays elsewhere, a replacement or an eviction does. It may take
	// the test's other unconfirmed transactions with it. Nil lacks Mempool and Reorg.
	Drop func(txid string)

	// Keyring is the wallet's keys (never watch-only), for the FeeEstimate and Send
	// checks; nil for a wallet that needs none (the sim chain).
	Keyring *keys.Keyring
	// Source is the address of Keyring's that the wallet spends from (a deposit
	// address on UTXO chains, the hot wallet on EVM chains). The Send check records
	// it in the address book, pays it ten times Amount and confirms that before it
	// sends. Zero for a wallet that needs no funds (the sim chain).
	Source keys.Address
}

// check is one behaviour Run checks, needing a capability or none.
type check struct {
	name  string
	needs Capability
	run   func(t *testing.T, c *Chain)
}

var checks = []check{
	{"AddressValidation", "", checkAddresses},
	{"Scan", "", checkScan},
	{"Confirmations", "", checkConfirmations},
	{"ReorgOrphans", Reorg, checkReorgOrphans},
	{"ReorgMinedAgainIsOneRecord", Reorg, checkReorgMinedAgain},
	{"MempoolDropped", Mempool, checkDropped},
	{"NewBlocks", Push, checkNewBlocks},
	{"FeeEstimate", FeeEstimate, checkFeeEstimate},
	{"Send", Send, checkSend},
}

// Run runs every check of the suite on h, each in its own subtest on a fresh chain.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("chaintest: Harness.New is nil")
	}
	for _, c := range slices.Sorted(maps.Keys(h.Lacks)) {
		if _, ok := capabilities[c]; !ok {
			t.Fatalf("chaintest: Harness.Lacks names %q, which is no capability (%s)", c, capabilityNames())
		}
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := h.Lacks[c.needs]; ok && c.needs != "" {
				t.Skipf("the backend lacks %s: %s", c.needs, why)
			}
			ch := h.New(t)
			validate(t, ch)
			if need, ok := capabilities[c.needs]; ok && !need.has(ch) {
				t.Fatalf("chaintest: the chain lacks %s (it needs %s) and Harness.Lacks does not say why", c.needs, need.needs)
			}
			c.run(t, ch)
		})
	}
}

func capabilityNames() string {
	names := make([]string, 0, len(capabilities))
	for c := range capabilities {
		names = append(names, string(c))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// validate fails the test when the harness left out something every check needs, and
// sets defaults.
func validate(t *testing.T, c *Chain) {
	t.Helper()
	switch {
	case c == nil:
		t.Fatal("chaintest: Harness.New returned nil")
	case c.Backend == nil || c.Asset == "" || c.Address == nil || c.Pay == nil || c.Mine == nil:
		t.Fatal("chaintest: a Chain needs Backend, Asset, Address, Pay and Mine")
	}
	if c.Amount == nil {
		c.Amount = big.NewInt(1_000_000)
	}
	if c.Amount.Sign() <= 0 {
		t.Fatalf("chaintest: Chain.Amount %s is not positive", c.Amount)
	}
}

// amount returns the chain's typical payment plus k base units: each payment of a
// check has its own amount, so a transfer reported with another's amount is caught.
func (c *Chain) amount(k int64) *big.Int {
	return new(big.Int).Add(c.Amount, big.NewInt(k))
}
