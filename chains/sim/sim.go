// Package sim is a deterministic in-memory blockchain implementing every chains
// interface (Backend, Mempool, Notifier, Payer). Tests and sandbox mode use it to pay
// addresses, mine, reorganise, replace or double-spend unconfirmed payments, include
// failed transfers, take the node offline and refuse payouts (RejectSends), in
// microseconds and without sleeps.
//
// It is the test double for the watcher engine and the invoice state machine, never
// the proof that a real chain works: chains/bitcoin and chains/evm are tested against
// real nodes.
//
// Hashes are derived from the network, height, parent and a counter, so the same
// sequence of calls gives the same chain.
package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kassapay/kassa/chains"
)

// Output is one payment output of a transaction.
type Output struct {
	Asset  string // asset code, "BTC" or "USDT_ETHEREUM"
	To     string
	Amount *big.Int
}

type tx struct {
	id      string
	outputs []Output
	failed  bool // mined but reverted: never credits
}

type block struct {
	ref chains.BlockRef
	txs []*tx
}

// Chain is a simulated chain. It is safe for concurrent use.
type Chain struct {
	mu      sync.Mutex
	net     chains.NetworkRef
	blocks  []*block
	mempool []*tx
	counter uint64
	offline bool
	subs    []chan chains.BlockRef
	sent    map[string]chains.SentTx
	fee     *big.Int
	start   time.Time
	reject  string // when set, Send refuses with ErrRejected
	// canonical validates an address by the rules of the network the chain stands
	// in for and returns its canonical spelling.
	canonical func(string) (string, error)
	// journal is every change made to the chain, in order (see Journal).
	journal [][]byte
	record  func(entry []byte) error
	// replaying is set while Journal replays stored entries.
	replaying bool
}

// ErrRejected is returned by Send while RejectSends is set, as a node refuses a
// transaction (an invalid or underpaying one).
var ErrRejected = errors.New("sim: transaction rejected")

// RejectSends makes Send refuse every new transaction with ErrRejected and reason,
// until called with "".
func (c *Chain) RejectSends(reason string) {
	c.mu.Lock()
	c.reject = reason
	c.mu.Unlock()
}

// TxStatus reports a transaction's confirmations (0 in the mempool), whether it failed
// on chain, and whether the chain knows it at all.
func (c *Chain) TxStatus(txid string) (confirmations uint64, failed, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txStatus(txid)
}

func (c *Chain) txStatus(txid string) (confirmations uint64, failed, known bool) {
	for _, t := range c.mempool {
		if t.id == txid {
			return 0, t.failed, true
		}
	}
	tip := c.blocks[len(c.blocks)-1].ref.Height
	for _, b := range c.blocks {
		for _, t := range b.txs {
			if t.id == txid {
				return tip - b.ref.Height + 1, t.failed, true
			}
		}
	}
	return 0, false, false
}

var (
	_ chains.Backend  = (*Chain)(nil)
	_ chains.Mempool  = (*Chain)(nil)
	_ chains.Notifier = (*Chain)(nil)
	_ chains.Payer    = (*Chain)(nil)

	_ chains.Canonicalizer = (*Chain)(nil)
	_ chains.Journaled     = (*Chain)(nil)
)

// New returns a chain for net holding only its genesis block (height 0).
func New(net chains.NetworkRef) *Chain {
	c := &Chain{net: net, sent: map[string]chains.SentTx{}, fee: big.NewInt(1000),
		start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), canonical: canonicalFor(net)}
	c.blocks = []*block{{ref: chains.BlockRef{Height: 0, Hash: c.hash("genesis", 0, ""), Time: c.start}}}
	return c
}

func (c *Chain) hash(kind string, height uint64, parent string) string {
	c.counter++
	s := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%s|%d", c.net, kind, height, parent, c.counter))
	return hex.EncodeToString(s[:])
}

// Network implements chains.Backend.
func (c *Chain) Network() chains.NetworkRef { return c.net }

// SetOffline makes every call fail with chains.ErrUnavailable until set back.
func (c *Chain) SetOffline(off bool) {
	c.mu.Lock()
	c.offline = off
	c.mu.Unlock()
}

func (c *Chain) check() error {
	if c.offline {
		return fmt.Errorf("%w: sim %s is offline", chains.ErrUnavailable, c.net)
	}
	return nil
}

// Pay puts a transaction with one output into the mempool and returns its id.
func (c *Chain) Pay(to, asset string, amount *big.Int) string {
	return c.PayMany(Output{Asset: asset, To: to, Amount: amount})
}

// PayMany puts a transaction with several outputs (output i has index i) into the
// mempool and returns its id.
func (c *Chain) PayMany(outs ...Output) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.add(outs, false)
}

// PayFailed puts a transaction into the mempool that will be mined but fail (a
// reverted EVM call): it must never be credited.
func (c *Chain) PayFailed(to, asset string, amount *big.Int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.add([]Output{{Asset: asset, To: to, Amount: amount}}, true)
}

func (c *Chain) add(outs []Output, failed bool) string {
	return c.addTx(outs, failed, "")
}

// addTx puts a transaction in the mempool: a new one, or, with id, the same one again
// (a rebroadcast of stored bytes).
func (c *Chain) addTx(outs []Output, failed bool, id string) string {
	c.log(op{Op: "add", Outs: outs, Failed: failed, ID: id})
	// Like a real txid, the id commits to the payment, so two different payments never
	// share one, even across two sim chains started the same way.
	var desc strings.Builder
	for _, o := range outs {
		fmt.Fprintf(&desc, "%s>%s=%s;", o.Asset, o.To, o.Amount)
	}
	if id == "" {
		id = c.hash("tx:"+desc.String(), 0, "")
	}
	t := &tx{id: id, failed: failed}
	for _, o := range outs {
		t.outputs = append(t.outputs, Output{Asset: o.Asset, To: o.To, Amount: new(big.Int).Set(o.Amount)})
	}
	c.mempool = append(c.mempool, t)
	return t.id
}

// Drop removes an unconfirmed transaction from the mempool, as a double-spend or a
// replacement does. It reports whether the transaction was there.
func (c *Chain) Drop(txid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drop(txid)
}

func (c *Chain) drop(txid string) bool {
	for i, t := range c.mempool {
		if t.id == txid {
			c.log(op{Op: "drop", ID: txid})
			c.mempool = append(c.mempool[:i], c.mempool[i+1:]...)
			return true
		}
	}
	return false
}

// Replace drops txid from the mempool and adds a replacement paying outs (an RBF
// bump or a double-spend to elsewhere). It returns the new transaction id.
func (c *Chain) Replace(txid string, outs ...Output) (string, error) {
	if !c.Drop(txid) {
		return "", fmt.Errorf("sim: %s is not in the mempool", txid)
	}
	return c.PayMany(outs...), nil
}

// Mine mines n blocks; the first takes the whole mempool. It returns the new tip.
func (c *Chain) Mine(n int) chains.BlockRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.mine()
	}
	return c.blocks[len(c.blocks)-1].ref
}

func (c *Chain) mine() {
	c.log(op{Op: "mine"})
	parent := c.blocks[len(c.blocks)-1].ref
	h := parent.Height + 1
	b := &block{ref: chains.BlockRef{Height: h, Hash: c.hash("block", h, parent.Hash), Parent: parent.Hash,
		Time: c.start.Add(time.Duration(h) * 10 * time.Minute)}, txs: c.mempool}
	c.mempool = nil
	c.blocks = append(c.blocks, b)
	for _, s := range c.subs {
		select {
		case s <- b.ref:
		default: // a slow subscriber polls anyway
		}
	}
}

// Disconnect removes the last depth blocks; their transactions return to the mempool
// (as btcd and bitcoind do), where Drop can double-spend them.
func (c *Chain) Disconnect(depth int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnect(depth)
}

func (c *Chain) disconnect(depth int) error {
	if depth <= 0 || depth >= len(c.blocks) {
		return fmt.Errorf("sim: cannot disconnect %d of %d blocks", depth, len(c.blocks)-1)
	}
	c.log(op{Op: "disconnect", Depth: depth})
	cut := c.blocks[len(c.blocks)-depth:]
	c.blocks = c.blocks[:len(c.blocks)-depth]
	var back []*tx
	for _, b := range cut {
		back = append(back, b.txs...)
	}
	c.mempool = append(back, c.mempool...)
	return nil
}

// Reorg replaces the last depth blocks with depth+1 new ones; the first new block takes
// the mempool, so the disconnected transactions are mined again unless dropped first
// (use Disconnect, Drop and Mine for that).
func (c *Chain) Reorg(depth int) error {
	if err := c.Disconnect(depth); err != nil {
		return err
	}
	c.Mine(depth + 1)
	return nil
}

// Height returns the tip height.
func (c *Chain) Height() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocks[len(c.blocks)-1].ref.Height
}

// Tip implements chains.Backend.
func (c *Chain) Tip(ctx context.Context) (chains.BlockRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return chains.BlockRef{}, err
	}
	return c.blocks[len(c.blocks)-1].ref, nil
}

// Scan implements chains.Backend.
func (c *Chain) Scan(ctx context.Context, height uint64, watch chains.AddressSet) (chains.Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return chains.Block{}, err
	}
	if height >= uint64(len(c.blocks)) {
		return chains.Block{}, fmt.Errorf("%w: %d", chains.ErrNoBlock, height)
	}
	b := c.blocks[height]
	out := chains.Block{Ref: b.ref}
	out.Transfers = c.transfers(b.txs, b.ref, watch)
	return out, nil
}

func (c *Chain) transfers(txs []*tx, ref chains.BlockRef, watch chains.AddressSet) []chains.Transfer {
	var out []chains.Transfer
	sent, _ := watch.(chains.SentSet)
	for _, t := range txs {
		if sent != nil && sent.SentTx(t.id) {
			// One of ours: the watcher follows it (the network's coin, its flat fee).
			out = append(out, chains.Transfer{Out: true, TxID: t.id, Index: chains.OutIndex, Amount: new(big.Int).Set(c.fee),
				Failed: t.failed, Block: ref})
		}
		if t.failed {
			continue
		}
		for i, o := range t.outputs {
			if watch.Contains(o.To) {
				out = append(out, chains.Transfer{Asset: o.Asset, To: o.To, Amount: new(big.Int).Set(o.Amount),
					TxID: t.id, Index: uint32(i), Block: ref})
			}
		}
	}
	return out
}

// Pending implements chains.Mempool.
func (c *Chain) Pending(ctx context.Context, watch chains.AddressSet) ([]chains.Transfer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.transfers(c.mempool, chains.BlockRef{}, watch), nil
}

// NewBlocks implements chains.Notifier.
func (c *Chain) NewBlocks(ctx context.Context) (<-chan chains.BlockRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return nil, err
	}
	ch := make(chan chains.BlockRef, 16)
	c.subs = append(c.subs, ch)
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, s := range c.subs {
			if s == ch {
				c.subs = append(c.subs[:i], c.subs[i+1:]...)
				close(ch)
				return
			}
		}
	}()
	return ch, nil
}

// ValidateAddress implements chains.Backend by the rules of the network the chain
// stands in for: a sim bitcoin chain in test mode takes testnet, signet and regtest
// addresses with their checksums, a sim ethereum chain EVM addresses with EIP-55
// checksums, a sim tron chain base58check Tron addresses.
func (c *Chain) ValidateAddress(addr string) error {
	_, err := c.canonical(addr)
	return err
}

// CanonicalAddress implements chains.Canonicalizer with the same rules.
func (c *Chain) CanonicalAddress(addr string) (string, error) { return c.canonical(addr) }

// send makes a payout a mempool transaction; sending the same spec ID again returns
// the first one (and puts it back if it left the mempool, as a rebroadcast of the
// stored bytes does).
func (c *Chain) send(p chains.PayoutSpec) (chains.SentTx, error) {
	if err := c.ValidateAddress(p.To); err != nil {
		return chains.SentTx{}, err
	}
	if p.Amount == nil || p.Amount.Sign() <= 0 {
		return chains.SentTx{}, errors.New("sim: payout amount must be positive")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return chains.SentTx{}, err
	}
	if s, ok := c.sent[p.ID]; ok {
		if _, _, known := c.txStatus(s.TxID); !known {
			// Dropped from the mempool: a rebroadcast puts the same transaction back,
			// as a node takes the stored bytes again.
			c.addTx([]Output{{Asset: p.Asset, To: p.To, Amount: p.Amount}}, false, s.TxID)
		}
		return s, nil
	}
	if c.reject != "" {
		return chains.SentTx{}, fmt.Errorf("%w: %s", ErrRejected, c.reject)
	}
	id := c.add([]Output{{Asset: p.Asset, To: p.To, Amount: p.Amount}}, false)
	s := chains.SentTx{TxID: id, Fee: new(big.Int).Set(c.fee)}
	c.log(op{Op: "sent", ID: p.ID, TxID: id, Fee: s.Fee})
	c.sent[p.ID] = s
	return s, nil
}

// Received returns what address to has received of asset in blocks (mined
// transactions that did not fail), in base units: what a payer's wallet would show.
func (c *Chain) Received(to, asset string) *big.Int {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := new(big.Int)
	for _, b := range c.blocks {
		for _, t := range b.txs {
			for _, o := range t.outputs {
				if !t.failed && o.To == to && o.Asset == asset {
					sum.Add(sum, o.Amount)
				}
			}
		}
	}
	return sum
}

// bumpPlan is the replacement of spec id's mempool transaction (Wallet.Bump), not
// yet made.
func (c *Chain) bumpPlan(specID string) (chains.SentTx, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(); err != nil {
		return chains.SentTx{}, err
	}
	s, ok := c.sent[specID]
	if !ok {
		return chains.SentTx{}, fmt.Errorf("%w: no send %q", ErrRejected, specID)
	}
	if !slices.ContainsFunc(c.mempool, func(t *tx) bool { return t.id == s.TxID }) {
		return chains.SentTx{}, fmt.Errorf("%w: %s is not in the mempool", ErrRejected, s.TxID)
	}
	return chains.SentTx{TxID: c.hash("bump:"+s.TxID, 0, ""), Fee: new(big.Int).Set(c.fee)}, nil
}

// bump replaces spec id's mempool transaction by next (bumpPlan's).
func (c *Chain) bump(specID string, next chains.SentTx) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sent[specID]
	var outs []Output
	for _, t := range c.mempool {
		if t.id == s.TxID {
			outs = t.outputs
		}
	}
	if outs == nil {
		return fmt.Errorf("%w: %s left the mempool", ErrRejected, s.TxID)
	}
	c.drop(s.TxID)
	c.addTx(outs, false, next.TxID)
	c.log(op{Op: "sent", ID: specID, TxID: next.TxID, Fee: next.Fee})
	c.sent[specID] = next
	return nil
}
