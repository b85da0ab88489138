package sim_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/chaintest"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/keys"
)

// mutantEnv names the mutant a child process of TestRun_CatchesBrokenBackends runs
// the suite on.
const mutantEnv = "CHAINTEST_MUTANT"

// mutant is a sim chain, or its harness, broken in one way, and the check of the suite
// that must fail on it ("": Run itself).
type mutant struct {
	check   string
	backend func(*sim.Chain) chains.Backend // nil: the sim chain itself
	edit    func(*chaintest.Chain)
	lacks   map[chaintest.Capability]string
	want    string // in the output, besides the check's failure
}

var mutants = map[string]mutant{
	"Scan reports transfers to unwatched addresses": {check: "Scan",
		backend: func(c *sim.Chain) chains.Backend { return unfiltered{c} }},
	"Scan reports amounts a hundred times too large": {check: "Scan",
		backend: func(c *sim.Chain) chains.Backend { return scaled{c} }},
	"Tip reports no parent": {check: "Scan",
		backend: func(c *sim.Chain) chains.Backend { return noParent{c} }},
	"Scan above the tip does not say ErrNoBlock": {check: "Scan",
		backend: func(c *sim.Chain) chains.Backend { return noErrNoBlock{c} }},
	"ValidateAddress accepts anything": {check: "AddressValidation",
		backend: func(c *sim.Chain) chains.Backend { return lenient{c} }},
	"ValidateAddress errors do not wrap ErrInvalidAddress": {check: "AddressValidation",
		backend: func(c *sim.Chain) chains.Backend { return plainErrors{c} }},
	"a payment's index depends on its block": {check: "ReorgMinedAgainIsOneRecord",
		backend: func(c *sim.Chain) chains.Backend { return indexByBlock{c} }},
	"Tip does not go down when blocks are disconnected": {check: "ReorgOrphans",
		backend: func(c *sim.Chain) chains.Backend { return &highestTip{Chain: c} }},
	"Pending keeps reporting payments that left the mempool": {check: "MempoolDropped",
		backend: func(c *sim.Chain) chains.Backend { return &stickyMempool{Chain: c} }},
	"NewBlocks closes its channel at once": {check: "NewBlocks",
		backend: func(c *sim.Chain) chains.Backend { return closedPush{c} }},
	"the wallet's fee estimate is zero": {check: "FeeEstimate",
		backend: func(c *sim.Chain) chains.Backend { return wallets{c, zeroFee} }},
	"the wallet's fee estimate is in another unit": {check: "Send",
		backend: func(c *sim.Chain) chains.Backend { return wallets{c, milliFee} }},
	"the wallet signs a payout again on every Send": {check: "Send",
		backend: func(c *sim.Chain) chains.Backend { return wallets{c, resign} }},
	"Scan does not report our own transactions": {check: "Send",
		backend: func(c *sim.Chain) chains.Backend { return blindToOurs{c} }},
	"the harness lacks Drop and does not say why": {check: "MempoolDropped",
		edit: func(c *chaintest.Chain) { c.Drop = nil }, want: "Harness.Lacks does not say why"},
	"the harness says the backend lacks an unknown capability": {
		lacks: map[chaintest.Capability]string{"mempol": "a typo"}, want: `Harness.Lacks names "mempol", which is no capability`},
}

// TestRun_CatchesBrokenBackends runs the suite, in a child process each, on sim chains
// broken in one way, and checks that the check meant to catch each fails: a suite
// that cannot fail proves nothing.
func TestRun_CatchesBrokenBackends(t *testing.T) {
	if name := os.Getenv(mutantEnv); name != "" {
		m, ok := mutants[name]
		if !ok {
			t.Fatalf("no mutant %q", name)
		}
		chaintest.Run(t, chaintest.Harness{Lacks: m.lacks, New: func(t *testing.T) *chaintest.Chain {
			c := simChain(t, m.backend)
			if m.edit != nil {
				m.edit(c)
			}
			return c
		}})
		return
	}
	for _, name := range slices.Sorted(maps.Keys(mutants)) {
		m := mutants[name]
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			run := "^TestRun_CatchesBrokenBackends$"
			if m.check != "" {
				run += "/^" + m.check + "$"
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a sim chain where %s (%v):\n%s", name, err, out)
			}
			want := []string{"--- FAIL: TestRun_CatchesBrokenBackends", m.want}
			if m.check != "" {
				want[0] += "/" + m.check
			}
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Fatalf("the suite's output lacks %q where %s:\n%s", w, name, out)
				}
			}
		})
	}
}

// TestChaintest runs the chain conformance suite on a sim chain standing in for
// Bitcoin in test mode (every capability; its wallet needs no keys or funds): the
// healthy chain the mutants below break.
func TestChaintest(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: func(t *testing.T) *chaintest.Chain { return simChain(t, nil) }})
}

// simChain is the sim chain of bitcoin in test mode, read through backend (the chain
// itself when nil).
func simChain(t *testing.T, backend func(*sim.Chain) chains.Backend) *chaintest.Chain {
	c := sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})
	var b chains.Backend = c
	if backend != nil {
		b = backend(c)
	}
	k, err := keys.FromMnemonic("legal winner thank year wave sausage worth useful legal winner thank yellow", "")
	if err != nil {
		t.Fatal(err)
	}
	next := uint32(0)
	address := func(m asset.Mode) string {
		a, err := k.Address(asset.FamilyBTC, m, keys.Receive, next)
		if err != nil {
			t.Fatal(err)
		}
		next++
		return a.Encoded
	}
	tb1 := address(asset.Test)
	return &chaintest.Chain{
		Backend: b,
		Asset:   "BTC",
		Address: func() string { return address(asset.Test) },
		// A mainnet bech32 and a mainnet base58 address (BIP 13's example).
		WrongNetwork: []string{address(asset.Live), "3P14159f73E4gFr7JterCCQh9QjiTjiZrG"},
		BadChecksum:  []string{flip(tb1)},
		Pay:          func(addr string, amount *big.Int) string { return c.Pay(addr, "BTC", amount) },
		Mine:         func(n int) { c.Mine(n) },
		Disconnect: func(depth int) {
			if err := c.Disconnect(depth); err != nil {
				t.Fatal(err)
			}
		},
		Drop: func(txid string) {
			if !c.Drop(txid) {
				t.Fatalf("%s is not in the mempool", txid)
			}
		},
	}
}

// flip changes the last character of a bech32 address: its checksum no longer matches.
func flip(s string) string {
	if strings.HasSuffix(s, "q") {
		return s[:len(s)-1] + "p"
	}
	return s[:len(s)-1] + "q"
}

// everything is a watched set holding every address.
type everything struct{}

func (everything) Contains(string) bool { return true }
func (everything) Len() int             { return math.MaxInt }

type unfiltered struct{ *sim.Chain }

func (u unfiltered) Scan(ctx context.Context, h uint64, _ chains.AddressSet) (chains.Block, error) {
	return u.Chain.Scan(ctx, h, everything{})
}

type scaled struct{ *sim.Chain }

func (s scaled) Scan(ctx context.Context, h uint64, w chains.AddressSet) (chains.Block, error) {
	b, err := s.Chain.Scan(ctx, h, w)
	for i := range b.Transfers {
		b.Transfers[i].Amount = new(big.Int).Mul(b.Transfers[i].Amount, big.NewInt(100))
	}
	return b, err
}

type noParent struct{ *sim.Chain }

func (n noParent) Tip(ctx context.Context) (chains.BlockRef, error) {
	tip, err := n.Chain.Tip(ctx)
	tip.Parent = ""
	return tip, err
}

type noErrNoBlock struct{ *sim.Chain }

func (n noErrNoBlock) Scan(ctx context.Context, h uint64, w chains.AddressSet) (chains.Block, error) {
	b, err := n.Chain.Scan(ctx, h, w)
	if errors.Is(err, chains.ErrNoBlock) {
		return b, fmt.Errorf("no block %d", h)
	}
	return b, err
}

type lenient struct{ *sim.Chain }

func (lenient) ValidateAddress(string) error { return nil }

type plainErrors struct{ *sim.Chain }

func (p plainErrors) ValidateAddress(addr string) error {
	if err := p.Chain.ValidateAddress(addr); err != nil {
		return errors.New(err.Error())
	}
	return nil
}

type indexByBlock struct{ *sim.Chain }

func (x indexByBlock) Scan(ctx context.Context, h uint64, w chains.AddressSet) (chains.Block, error) {
	b, err := x.Chain.Scan(ctx, h, w)
	for i := range b.Transfers {
		n, _ := strconv.ParseUint(b.Ref.Hash[:7], 16, 32)
		b.Transfers[i].Index += uint32(n)
	}
	return b, err
}

// highestTip reports the highest tip it has seen until the chain grows past it.
type highestTip struct {
	*sim.Chain
	high chains.BlockRef
}

func (x *highestTip) Tip(ctx context.Context) (chains.BlockRef, error) {
	tip, err := x.Chain.Tip(ctx)
	if err == nil && tip.Height >= x.high.Height {
		x.high = tip
	}
	return x.high, err
}

// stickyMempool reports every transfer it once saw in the mempool until it is mined.
type stickyMempool struct {
	*sim.Chain
	seen []chains.Transfer
}

func (s *stickyMempool) Pending(ctx context.Context, w chains.AddressSet) ([]chains.Transfer, error) {
	now, err := s.Chain.Pending(ctx, w)
	for _, t := range now {
		if !slices.ContainsFunc(s.seen, func(o chains.Transfer) bool { return o.Key() == t.Key() }) {
			s.seen = append(s.seen, t)
		}
	}
	s.seen = slices.DeleteFunc(s.seen, func(t chains.Transfer) bool { c, _, _ := s.TxStatus(t.TxID); return c > 0 })
	return slices.Clone(s.seen), err
}

type closedPush struct{ *sim.Chain }

func (closedPush) NewBlocks(context.Context) (<-chan chains.BlockRef, error) {
	ch := make(chan chains.BlockRef)
	close(ch)
	return ch, nil
}

type blindToOurs struct{ *sim.Chain }

func (b blindToOurs) Scan(ctx context.Context, h uint64, w chains.AddressSet) (chains.Block, error) {
	blk, err := b.Chain.Scan(ctx, h, w)
	blk.Transfers = slices.DeleteFunc(blk.Transfers, func(t chains.Transfer) bool { return t.Out })
	return blk, err
}

// wallets wraps the sim chain's wallets in a broken one.
type wallets struct {
	*sim.Chain
	wrap func(chains.Wallet) chains.Wallet
}

func (x wallets) NewWallet(cfg chains.WalletConfig) (chains.Wallet, error) {
	w, err := x.Chain.NewWallet(cfg)
	return x.wrap(w), err
}

type brokenWallet struct {
	chains.Wallet
	fee func(*big.Int) *big.Int
}

func (w *brokenWallet) EstimateFee(ctx context.Context, code, to string, amount *big.Int) (*big.Int, error) {
	f, err := w.Wallet.EstimateFee(ctx, code, to, amount)
	if err == nil && w.fee != nil {
		f = w.fee(f)
	}
	return f, err
}

func zeroFee(w chains.Wallet) chains.Wallet {
	return &brokenWallet{Wallet: w, fee: func(*big.Int) *big.Int { return new(big.Int) }}
}

func milliFee(w chains.Wallet) chains.Wallet {
	return &brokenWallet{Wallet: w, fee: func(f *big.Int) *big.Int { return new(big.Int).Mul(f, big.NewInt(1000)) }}
}

type resigner struct {
	chains.Wallet
	sends int
}

func (r *resigner) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	r.sends++
	spec.ID = fmt.Sprintf("%s-%d", spec.ID, r.sends)
	return r.Wallet.Send(ctx, spec)
}

func resign(w chains.Wallet) chains.Wallet { return &resigner{Wallet: w} }
