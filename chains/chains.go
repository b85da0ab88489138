// Package chains is the seam between Kassa and a blockchain, and the chain-agnostic
// watcher engine that every backend shares.
//
// A Backend only reports blocks and the transfers in them to watched addresses
// (Tip, Scan). Optional interfaces add a mempool (Mempool), push notifications of new
// blocks (Notifier) and paying out (Payer, wallet.go). Everything hard is written once, in Watcher:
// the stored cursor, the hash of every processed block, reorg detection by parent hash
// with a walk back to the fork point, confirmations counted from the tip, mempool
// transfers and their disappearance, backoff while a node is down, and targeted rescans.
// A fresh deployment starts at the tip, or below the oldest invoice handed out before
// its first scan (FirstScanSlack).
//
// The engine persists what it learns as transfer Records with a Status, and hands every
// changed Record to a Sink inside the same storage transaction that advances the cursor,
// so a crash can never lose or repeat what a block meant.
package chains

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
)

// NetworkRef names a network in a mode: bitcoin in test mode is a regtest or testnet
// node, in live mode mainnet.
type NetworkRef struct {
	ID   asset.NetworkID
	Mode asset.Mode
}

func (n NetworkRef) String() string { return string(n.ID) + "/" + string(n.Mode) }

// BlockRef identifies a block.
type BlockRef struct {
	Height uint64
	Hash   string
	Parent string // hash of the block at Height-1
	Time   time.Time
}

// Transfer is money arriving at an address: a UTXO output, a token Transfer log, or a
// native EVM value transfer.
type Transfer struct {
	Asset  string   // asset code, "USDT_TRON"
	To     string   // the receiving address, in the backend's canonical form
	Amount *big.Int // base units, positive
	TxID   string
	// Index is the output index (UTXO); for tokens, the log's place among its
	// transaction's logs (Tron) or Transfer logs of supported contracts (EVM); for a
	// native EVM or TRX value, evm.NativeIndex or tron.NativeIndex.
	Index uint32
	// Block is the block the transfer is in; zero for a mempool transfer.
	Block BlockRef
	// From is the payer's address when the chain tells it: an ERC-20 Transfer's
	// sender, the sender of a transaction that sends ether, or on Bitcoin and
	// Litecoin the address of the output the paying transaction's first input spends
	// (found on a node that has the transaction: in its mempool, or mined with a
	// transaction index). Empty when unknown (ether sent by a contract's internal
	// call, Esplora backends, a node without the index).
	From string

	// Out marks a transaction of our own being followed to its confirmations (a payout,
	// a sweep): Index is OutIndex, To is empty, and Amount is the fee it paid when the
	// backend knows it (an EVM receipt), else zero. Failed is set when it was mined but
	// reverted (EVM). A record with Index ConflictIndex says that another transaction,
	// ConflictedBy, spends an input of ours: ours can never confirm while that one
	// stays in the chain.
	Out          bool
	Failed       bool
	ConflictedBy string
}

// Indexes of the records of our own transactions (Transfer.Out).
const (
	OutIndex      uint32 = 1<<32 - 2
	ConflictIndex uint32 = 1<<32 - 3
)

// SentSet is implemented by watched sets that also follow our own transactions: the
// watcher's Set. Backends report the transactions it names (Transfer.Out).
type SentSet interface {
	// SentTx reports whether txid is a transaction of ours being followed.
	SentTx(txid string) bool
	// SpentBy returns our transaction that spends the output (txid, index), if any: a
	// UTXO backend finds our transactions, and those that double-spend them, by their
	// inputs, without hashing every transaction of a block.
	SpentBy(txid string, index uint32) (ours string, ok bool)
	// Following reports whether any transaction of ours is followed (backends skip the
	// work otherwise).
	Following() bool
}

// Key is the transfer's identity on its network: "txid:index".
func (t Transfer) Key() string { return fmt.Sprintf("%s:%d", t.TxID, t.Index) }

// Block is a block with the transfers in it to watched addresses.
type Block struct {
	Ref       BlockRef
	Transfers []Transfer
}

// AddressSet is a set of watched addresses. Lookups must be O(1): a scan's cost must
// not grow with the number of watched addresses.
type AddressSet interface {
	Contains(addr string) bool
	Len() int
}

// Backend reads a chain. Implementations must be safe for concurrent use.
type Backend interface {
	// Network is the network and mode this backend serves.
	Network() NetworkRef
	// Tip returns the best block.
	Tip(ctx context.Context) (BlockRef, error)
	// Scan returns the block at height with every transfer in it to an address in
	// watch. Its cost is O(size of the block), independent of watch.Len().
	Scan(ctx context.Context, height uint64, watch AddressSet) (Block, error)
	// ValidateAddress returns nil if addr is a valid address on this network and mode.
	ValidateAddress(addr string) error
}

// AssetServer is implemented by backends that serve only some of their network's
// assets (an EVM node watches the tokens whose contract it knows in its mode). Without
// it every asset of the network is taken as served.
type AssetServer interface {
	// ServedAssets returns the codes of the assets the backend watches.
	ServedAssets() []string
}

// Canonicalizer is implemented by backends whose addresses have several spellings of
// one destination (bech32 in upper or lower case, EVM hex with or without its EIP-55
// checksum). CanonicalAddress validates addr like ValidateAddress and returns the one
// spelling Kassa derives and stores, so addresses are compared by what they pay to,
// never by their text.
type Canonicalizer interface {
	CanonicalAddress(addr string) (string, error)
}

// Journaled is implemented by backends that keep their own state in Kassa's database
// (the sim chain: test mode and sandboxes on a database file keep their payments
// across restarts). The Gateway calls Journal once, with the entries stored for the
// backend's network; the backend replays them and passes every later change to
// record, in order.
type Journaled interface {
	Journal(stored [][]byte, record func(entry []byte) error) error
}

// JournalTx stores the journals of Journaled backends.
type JournalTx interface {
	// JournalEntries returns the journal of n, oldest first.
	JournalEntries(ctx context.Context, n NetworkRef) ([][]byte, error)
	// AppendJournal appends entry to the journal of n.
	AppendJournal(ctx context.Context, n NetworkRef, entry []byte) error
}

// Mempool is implemented by backends that see unconfirmed transactions.
type Mempool interface {
	// Pending returns the unconfirmed transfers to watched addresses.
	Pending(ctx context.Context, watch AddressSet) ([]Transfer, error)
}

// Notifier is implemented by backends that push new blocks.
type Notifier interface {
	// NewBlocks returns a channel that receives each new tip (or a zero BlockRef when
	// the node's mempool changed: a reason to step now too), closed when ctx ends or
	// the subscription breaks (the watcher then polls and subscribes again).
	NewBlocks(ctx context.Context) (<-chan BlockRef, error)
}

// Errors.
var (
	ErrUnavailable    = errors.New("chain node unavailable")
	ErrInvalidAddress = errors.New("invalid address for this network")
	ErrNoBlock        = errors.New("no block at this height")
	// ErrFundsUnconfirmed means a wallet holds the funds to send, but not yet in
	// spendable form (its own change still unconfirmed beyond the chain depth it
	// spends, or a transaction not yet accepted by the node): a payout waits and is
	// sent again, rather than failing.
	ErrFundsUnconfirmed = errors.New("the wallet's funds are not confirmed yet")
	// ErrWalletShort means a wallet does not hold the funds now (an EVM hot wallet
	// that sweeps of deposits have not filled yet): a Gateway that sweeps lets a
	// payout wait for them.
	ErrWalletShort = errors.New("the wallet's funds are short")
)

// Keyer is implemented by backends that match outputs by something other than the
// address text, such as a UTXO chain's scriptPubKey. The watcher's set then keeps the
// key of every address, and the backend looks outputs up with KeyedSet.ByKey: no
// address is encoded per output while scanning.
type Keyer interface {
	// WatchKey returns the key of addr, ok false if addr is not valid on this network.
	WatchKey(addr string) (key string, ok bool)
}

// KeyedSet is an AddressSet that can also be looked up by backend key.
type KeyedSet interface {
	AddressSet
	// ByKey returns the watched address with key.
	ByKey(key string) (addr string, ok bool)
}

// Set is a concurrency-safe AddressSet backed by hash maps. With a Keyer it is also a
// KeyedSet, and keeps each address once, under its key (a watched address costs one
// map entry, which matters with a million of them). It is a SentSet too.
type Set struct {
	mu    sync.RWMutex
	m     map[string]struct{} // addresses without a key (every address of a plain set)
	keyer Keyer
	keys  map[string]string   // key -> address
	sent  map[string]struct{} // our transactions followed
	spent map[OutPoint]string // outpoint -> our transaction that spends it
}

// SentTx implements SentSet.
func (s *Set) SentTx(txid string) bool {
	s.mu.RLock()
	_, ok := s.sent[txid]
	s.mu.RUnlock()
	return ok
}

// SpentBy implements SentSet.
func (s *Set) SpentBy(txid string, index uint32) (string, bool) {
	s.mu.RLock()
	ours, ok := s.spent[OutPoint{TxID: txid, Index: index}]
	s.mu.RUnlock()
	return ours, ok
}

// Following implements SentSet.
func (s *Set) Following() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sent) > 0
}

// Follow adds our transaction txid, spending inputs, to the set.
func (s *Set) Follow(txid string, inputs ...OutPoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent == nil {
		s.sent, s.spent = map[string]struct{}{}, map[OutPoint]string{}
	}
	s.sent[txid] = struct{}{}
	for _, in := range inputs {
		s.spent[in] = txid
	}
}

// Unfollow stops following our transaction txid.
func (s *Set) Unfollow(txid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sent, txid)
	for op, t := range s.spent {
		if t == txid {
			delete(s.spent, op)
		}
	}
}

// NewSet returns a Set holding addrs.
func NewSet(addrs ...string) *Set { return NewKeyedSet(nil, addrs...) }

// NewKeyedSet returns a Set holding addrs that also indexes them by k's keys (k may be
// nil for a plain set).
func NewKeyedSet(k Keyer, addrs ...string) *Set {
	s := &Set{m: map[string]struct{}{}, keyer: k}
	if k != nil {
		s.keys = make(map[string]string, len(addrs))
	} else {
		s.m = make(map[string]struct{}, len(addrs))
	}
	s.add(addrs)
	return s
}

func (s *Set) add(addrs []string) {
	for _, a := range addrs {
		if s.keyer != nil {
			if key, ok := s.keyer.WatchKey(a); ok {
				s.keys[key] = a
				continue
			}
		}
		s.m[a] = struct{}{}
	}
}

// ByKey implements KeyedSet; it finds nothing in a set without a Keyer.
func (s *Set) ByKey(key string) (string, bool) {
	s.mu.RLock()
	a, ok := s.keys[key]
	s.mu.RUnlock()
	return a, ok
}

// Contains implements AddressSet.
func (s *Set) Contains(addr string) bool {
	if s.keyer != nil {
		if key, ok := s.keyer.WatchKey(addr); ok {
			s.mu.RLock()
			a, ok := s.keys[key]
			s.mu.RUnlock()
			return ok && a == addr
		}
	}
	s.mu.RLock()
	_, ok := s.m[addr]
	s.mu.RUnlock()
	return ok
}

// Range calls fn for each address until it returns false.
func (s *Set) Range(fn func(addr string) bool) {
	s.mu.RLock()
	addrs := make([]string, 0, len(s.m)+len(s.keys))
	for a := range s.m {
		addrs = append(addrs, a)
	}
	for _, a := range s.keys {
		addrs = append(addrs, a)
	}
	s.mu.RUnlock()
	for _, a := range addrs {
		if !fn(a) {
			return
		}
	}
}

// Len implements AddressSet.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m) + len(s.keys)
}

// Add adds addrs.
func (s *Set) Add(addrs ...string) {
	s.mu.Lock()
	s.add(addrs)
	s.mu.Unlock()
}

// Remove removes addrs.
func (s *Set) Remove(addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range addrs {
		delete(s.m, a)
		if s.keyer != nil {
			if key, ok := s.keyer.WatchKey(a); ok && s.keys[key] == a {
				delete(s.keys, key)
			}
		}
	}
}

// Replace replaces the whole set: its addresses, and the transactions it follows.
func (s *Set) Replace(addrs []string, sent []Sent) {
	n := NewKeyedSet(s.keyer, addrs...)
	for _, t := range sent {
		n.Follow(t.TxID, t.Inputs...)
	}
	s.mu.Lock()
	s.m, s.keys, s.sent, s.spent = n.m, n.keys, n.sent, n.spent
	s.mu.Unlock()
}

// Sent is a transaction of ours to follow, with the outputs it spends (UTXO chains).
type Sent struct {
	TxID   string
	Inputs []OutPoint
}
