// Package bitcoin is Kassa's chain backend for Bitcoin and Litecoin.
//
// Backend reads a node over the bitcoind-compatible JSON-RPC that Bitcoin Core, btcd
// and Litecoin Core speak: the tip (getbestblockhash, getblockheader), raw blocks
// (getblock <hash> 0) decoded with btcd's wire package, so nothing depends on the
// verbose JSON shapes that differ between node implementations; the mempool
// (getrawmempool + getrawtransaction); fee rates (estimatesmartfee, falling back to
// estimatefee, then to a configured rate, always clamped to configured bounds). With a
// websocket endpoint (btcd) it pushes new blocks (notifyblocks); otherwise the watcher
// polls.
//
// Outputs are matched by their scriptPubKey: the watcher's set keeps the script of
// every watched address (chains.Keyer), so a scan costs one hash lookup per output and
// never encodes an address. Any output type paid to an address we watch is found:
// P2WPKH (what Kassa derives), P2WSH, P2TR, P2PKH and P2SH.
//
// Litecoin is the same code with Litecoin's parameters (keys.LitecoinParams), which are
// never registered in chaincfg's global tables: AddressScript checks prefixes itself.
package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Config configures a Backend.
type Config struct {
	// Network is asset.Bitcoin or asset.Litecoin; Mode is live or test.
	Network asset.NetworkID
	Mode    asset.Mode
	// Params are the chain parameters. Default: mainnet in live mode, testnet3 (or
	// Litecoin's) in test mode. Use &chaincfg.RegressionNetParams for regtest.
	Params *chaincfg.Params
	// RPC is the node's JSON-RPC client.
	RPC *RPC
	// WebsocketHost is the node's host:port for btcd's websocket notifications
	// ("127.0.0.1:18334"); empty means poll. User and Pass are the RPC credentials.
	WebsocketHost string
	User, Pass    string
	// WebsocketHeaders are sent with the websocket's handshake, besides the basic
	// authentication of User and Pass: a node provider's API key (the RPC's own
	// requests carry theirs through RPCConfig.Transport). Nil sends none.
	WebsocketHeaders http.Header
	// With WebsocketHost the backend also subscribes to the transactions btcd accepts
	// into its mempool (notifynewtransactions) and wakes the watcher at most every
	// MempoolPushDelay after one, instead of waiting for the next poll: payments are
	// seen in about 0.1 s. Each wake reads the node's mempool; BlocksOnly subscribes
	// to blocks alone and leaves the mempool to the poll (a busy mainnet node, where a
	// read of its mempool every 100 ms costs more than the second it saves).
	BlocksOnly bool
	// Fees bounds the fee rates the backend reports.
	Fees   FeePolicy
	Logger *slog.Logger
}

// FeePolicy bounds fee rates, in sat/vB: estimates are clamped to [Min, Max], and
// Default is used when the node or API has no estimate. Target is the confirmation
// target in blocks. Defaults: 1, 500, 10 and 3.
type FeePolicy struct {
	Min, Max, Default int64
	Target            int
}

func (f FeePolicy) withDefaults() (FeePolicy, error) {
	if f.Min <= 0 {
		f.Min = 1
	}
	if f.Max <= 0 {
		f.Max = 500
	}
	if f.Default <= 0 {
		f.Default = 10
	}
	if f.Target <= 0 {
		f.Target = 3
	}
	if f.Min > f.Max || f.Default < f.Min || f.Default > f.Max {
		return f, errors.New("bitcoin: fee rates must satisfy Min <= Default <= Max")
	}
	return f, nil
}

// clamp bounds a rate in sat/vB; rate <= 0 means "no estimate".
func (f FeePolicy) clamp(rate int64) int64 {
	if rate <= 0 {
		rate = f.Default
	}
	return min(max(rate, f.Min), f.Max)
}

// common is what the node and Esplora backends share: the network, its parameters,
// the coin's asset code and the fee policy.
type common struct {
	net    chains.NetworkRef
	params *chaincfg.Params
	native string
	fees   FeePolicy
}

func newCommon(n asset.NetworkID, m asset.Mode, params *chaincfg.Params, fees FeePolicy) (common, error) {
	if n != asset.Bitcoin && n != asset.Litecoin {
		return common{}, fmt.Errorf("bitcoin: network must be bitcoin or litecoin, not %q", n)
	}
	if !m.Valid() {
		return common{}, fmt.Errorf("bitcoin: %w: %q", asset.ErrUnknownMode, m)
	}
	if params == nil {
		params = DefaultParams(n, m)
	}
	fees, err := fees.withDefaults()
	if err != nil {
		return common{}, err
	}
	native := "BTC"
	if n == asset.Litecoin {
		native = "LTC"
	}
	return common{net: chains.NetworkRef{ID: n, Mode: m}, params: params, native: native, fees: fees}, nil
}

// Network implements chains.Backend.
func (c *common) Network() chains.NetworkRef { return c.net }

// Params returns the chain parameters.
func (c *common) Params() *chaincfg.Params { return c.params }

// ValidateAddress implements chains.Backend.
func (c *common) ValidateAddress(addr string) error {
	_, err := AddressScript(addr, c.params)
	return err
}

// CanonicalAddress implements chains.Canonicalizer.
func (c *common) CanonicalAddress(addr string) (string, error) {
	return CanonicalAddress(addr, c.params)
}

// WatchKey implements chains.Keyer: outputs are matched by script.
func (c *common) WatchKey(addr string) (string, bool) {
	s, err := AddressScript(addr, c.params)
	return string(s), err == nil
}

// Backend is a chains.Backend for a Bitcoin-like node.
type Backend struct {
	common
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	mempool map[string]mempoolTx // txid -> the transaction and its outputs to any script (filtered per call)

	payerMu sync.Mutex
	payerOf map[string]string // txid -> its payer's address, "" when unknown (see payers)
}

var (
	_ chains.Backend       = (*Backend)(nil)
	_ chains.Mempool       = (*Backend)(nil)
	_ chains.Keyer         = (*Backend)(nil)
	_ chains.Notifier      = (*Backend)(nil)
	_ chains.Canonicalizer = (*Backend)(nil)
)

// New returns a Backend.
func New(cfg Config) (*Backend, error) {
	c, err := newCommon(cfg.Network, cfg.Mode, cfg.Params, cfg.Fees)
	if err != nil {
		return nil, err
	}
	if cfg.RPC == nil {
		return nil, errors.New("bitcoin: RPC is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Params, cfg.Fees = c.params, c.fees
	cfg.WebsocketHeaders = cfg.WebsocketHeaders.Clone() // the caller's map may change after New
	return &Backend{common: c, cfg: cfg, log: cfg.Logger, mempool: map[string]mempoolTx{}, payerOf: map[string]string{}}, nil
}

// DefaultParams returns the parameters of network in mode: mainnet for live, testnet
// for test.
func DefaultParams(n asset.NetworkID, m asset.Mode) *chaincfg.Params {
	if n == asset.Litecoin {
		return keys.LitecoinParams(m, false)
	}
	if m == asset.Test {
		return &chaincfg.TestNet3Params
	}
	return &chaincfg.MainNetParams
}

type header struct {
	Hash     string `json:"hash"`
	Height   uint64 `json:"height"`
	Previous string `json:"previousblockhash"`
	Time     int64  `json:"time"`
}

// Tip implements chains.Backend.
func (b *Backend) Tip(ctx context.Context) (chains.BlockRef, error) {
	var hash string
	if err := b.cfg.RPC.Call(ctx, "getbestblockhash", &hash); err != nil {
		return chains.BlockRef{}, err
	}
	var h header
	if err := b.cfg.RPC.Call(ctx, "getblockheader", &h, hash, true); err != nil {
		return chains.BlockRef{}, err
	}
	return chains.BlockRef{Height: h.Height, Hash: h.Hash, Parent: h.Previous, Time: time.Unix(h.Time, 0).UTC()}, nil
}

// Scan implements chains.Backend.
func (b *Backend) Scan(ctx context.Context, height uint64, watch chains.AddressSet) (chains.Block, error) {
	var hash string
	if err := b.cfg.RPC.Call(ctx, "getblockhash", &hash, height); err != nil {
		if IsCode(err, -8) || IsCode(err, -1) { // out of range (bitcoind -8, btcd -1)
			return chains.Block{}, fmt.Errorf("%w: %d: %v", chains.ErrNoBlock, height, err)
		}
		return chains.Block{}, err
	}
	var hx string
	if err := b.cfg.RPC.Call(ctx, "getblock", &hx, hash, 0); err != nil {
		return chains.Block{}, err
	}
	raw, err := hex.DecodeString(hx)
	if err != nil {
		return chains.Block{}, fmt.Errorf("getblock %s: %w", hash, err)
	}
	blk, err := scanRaw(raw, height, b.native, watch)
	if err == nil {
		b.payers(ctx, blk.Transfers, nil)
	}
	return blk, err
}

// Missing implements chains.InputChecker with gettxout (mempool included): an output
// the node does not return is spent, or its transaction no longer exists.
func (b *Backend) Missing(ctx context.Context, outs []chains.OutPoint) ([]chains.OutPoint, error) {
	var missing []chains.OutPoint
	for _, o := range outs {
		var out *json.RawMessage
		if err := b.cfg.RPC.Call(ctx, "gettxout", &out, o.TxID, o.Index, true); err != nil {
			return nil, err
		}
		if out == nil || string(*out) == "null" {
			missing = append(missing, o)
		}
	}
	return missing, nil
}

var _ chains.InputChecker = (*Backend)(nil)

// ScanRaw decodes a serialized block and returns its transfers to watched addresses.
// Its cost is the decoding plus one hash lookup per output; only matching transactions
// are hashed for their txid.
func (b *Backend) ScanRaw(raw []byte, height uint64, watch chains.AddressSet) (chains.Block, error) {
	return scanRaw(raw, height, b.native, watch)
}

func scanRaw(raw []byte, height uint64, native string, watch chains.AddressSet) (chains.Block, error) {
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
		return chains.Block{}, fmt.Errorf("decode block %d: %w", height, err)
	}
	ref := chains.BlockRef{Height: height, Hash: blk.BlockHash().String(), Parent: blk.Header.PrevBlock.String(),
		Time: blk.Header.Timestamp.UTC()}
	out := chains.Block{Ref: ref}
	for _, tx := range blk.Transactions {
		out.Transfers = match(tx, ref, native, watch, out.Transfers)
	}
	return out, nil
}

// match appends tx's outputs to watched scripts, and, when watch follows transactions
// of ours, tx itself if it is one of them (found by its inputs) or a record that it
// double-spends one of them.
func match(tx *wire.MsgTx, ref chains.BlockRef, native string, watch chains.AddressSet, dst []chains.Transfer) []chains.Transfer {
	keyed, _ := watch.(chains.KeyedSet)
	txid := ""
	if sent, ok := watch.(chains.SentSet); ok && sent.Following() {
		dst = matchOurs(tx, ref, sent, dst)
	}
	for i, o := range tx.TxOut {
		var addr string
		var ok bool
		if keyed != nil {
			addr, ok = keyed.ByKey(string(o.PkScript))
		}
		if !ok || o.Value <= 0 {
			continue
		}
		if txid == "" {
			txid = tx.TxHash().String()
		}
		dst = append(dst, chains.Transfer{Asset: native, To: addr, Amount: big.NewInt(o.Value), TxID: txid, Index: uint32(i), Block: ref})
	}
	return dst
}

// matchOurs finds whether tx is one of our followed transactions, or spends an input
// of one (a double-spend: ours can never confirm while tx stays in the chain), by one
// map lookup per input; only a match is hashed.
func matchOurs(tx *wire.MsgTx, ref chains.BlockRef, sent chains.SentSet, dst []chains.Transfer) []chains.Transfer {
	for _, in := range tx.TxIn {
		ours, ok := sent.SpentBy(in.PreviousOutPoint.Hash.String(), in.PreviousOutPoint.Index)
		if !ok {
			continue
		}
		txid := tx.TxHash().String()
		if txid == ours {
			return append(dst, chains.Transfer{Out: true, TxID: ours, Index: chains.OutIndex, Block: ref})
		}
		if sent.SentTx(txid) {
			// Another transaction of ours spends the same input: a fee bump and the one
			// it replaced (both followed). The one mined is ours; the other can never be.
			dst = append(dst, chains.Transfer{Out: true, TxID: txid, Index: chains.OutIndex, Block: ref})
		}
		return append(dst, chains.Transfer{Out: true, TxID: ours, Index: chains.ConflictIndex, ConflictedBy: txid, Block: ref})
	}
	return dst
}

// Pending implements chains.Mempool. Transactions are fetched once each and kept while
// they stay in the mempool.
func (b *Backend) Pending(ctx context.Context, watch chains.AddressSet) ([]chains.Transfer, error) {
	var ids []string
	if err := b.cfg.RPC.Call(ctx, "getrawmempool", &ids); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := make(map[string]bool, len(ids))
	var out []chains.Transfer
	all := allScripts{params: b.params}
	sent, _ := watch.(chains.SentSet)
	keyed, _ := watch.(chains.KeyedSet)
	fetched := map[string]*wire.MsgTx{} // the transactions fetched in this call
	for _, id := range ids {
		now[id] = true
		m, ok := b.mempool[id]
		if !ok {
			var hx string
			err := b.cfg.RPC.Call(ctx, "getrawtransaction", &hx, id, 0)
			if IsCode(err, codeNoInformation) {
				continue // mined or evicted since getrawmempool
			}
			if err != nil {
				return nil, err
			}
			raw, err := hex.DecodeString(hx)
			if err != nil {
				return nil, fmt.Errorf("getrawtransaction %s: %w", id, err)
			}
			var tx wire.MsgTx
			if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
				return nil, fmt.Errorf("decode mempool tx %s: %w", id, err)
			}
			m = mempoolTx{outs: match(&tx, chains.BlockRef{}, b.native, all, nil)}
			for _, t := range m.outs {
				m.scripts = append(m.scripts, string(tx.TxOut[t.Index].PkScript))
			}
			b.mempool[id] = m
			if len(m.outs) > 0 {
				fetched[id] = &tx // kept for this call's payer lookups, dropped if not watched below
			}
		}
		for i, t := range m.outs {
			var ok bool
			if keyed != nil {
				var a string
				a, ok = keyed.ByKey(m.scripts[i])
				ok = ok && a == t.To
			} else {
				ok = watch.Contains(t.To)
			}
			if ok {
				out = append(out, t)
			}
		}
		if sent != nil && sent.SentTx(id) {
			out = append(out, chains.Transfer{Out: true, TxID: id, Index: chains.OutIndex})
		}
	}
	for id := range b.mempool {
		if !now[id] {
			delete(b.mempool, id)
		}
	}
	for id := range fetched {
		if !slices.ContainsFunc(out, func(t chains.Transfer) bool { return t.TxID == id }) {
			delete(fetched, id)
		}
	}
	b.payers(ctx, out, fetched)
	return out, nil
}

// mempoolTx is a mempool transaction as Pending keeps it: its outputs to any script.
type mempoolTx struct {
	outs    []chains.Transfer
	scripts []string // outs[i]'s output script, the watched set's key
}

// allScripts is a KeyedSet that matches every standard output, decoding its address,
// so the mempool cache holds transfers to any address and each poll filters them with
// the current watched set.
type allScripts struct{ params *chaincfg.Params }

func (a allScripts) Contains(string) bool { return true }
func (a allScripts) Len() int             { return math.MaxInt }
func (a allScripts) ByKey(key string) (string, bool) {
	return ScriptAddress([]byte(key), a.params)
}

// FeeRate returns the fee rate in sat/vB for the configured target: the node's
// estimatesmartfee, else estimatefee (btcd), else DefaultFeeRate; clamped to the
// configured bounds.
func (b *Backend) FeeRate(ctx context.Context) (int64, error) {
	var smart struct {
		FeeRate *float64 `json:"feerate"`
	}
	err := b.cfg.RPC.Call(ctx, "estimatesmartfee", &smart, b.fees.Target)
	btcPerKvB := -1.0
	switch {
	case err == nil && smart.FeeRate != nil:
		btcPerKvB = *smart.FeeRate
	case err == nil || IsCode(err, codeMethodNotFound):
		var est float64
		if err := b.cfg.RPC.Call(ctx, "estimatefee", &est, b.fees.Target); err == nil {
			btcPerKvB = est
		}
	default:
		var re *RPCError
		if !errors.As(err, &re) {
			return 0, err // the node is unreachable: not a reason to guess a fee
		}
	}
	// BTC/kvB -> sat/vB: x 1e8 / 1000, rounded up; no estimate -> the default.
	return b.fees.clamp(int64(math.Ceil(btcPerKvB * 1e5))), nil
}
