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
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
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
	// FeeRate bounds in sat/vB: estimates are clamped to [MinFeeRate, MaxFeeRate] and
	// DefaultFeeRate is used when the node has no estimate. Defaults 1, 500, 10.
	MinFeeRate, MaxFeeRate, DefaultFeeRate int64
	// FeeTarget is the confirmation target in blocks for estimates (default 3).
	FeeTarget int
	Logger    *slog.Logger
}

// Backend is a chains.Backend for a Bitcoin-like node.
type Backend struct {
	cfg    Config
	net    chains.NetworkRef
	native string // asset code of the coin, "BTC" or "LTC"
	log    *slog.Logger

	mu      sync.Mutex
	mempool map[string][]chains.Transfer // txid -> its outputs to any script (filtered per call)
}

var (
	_ chains.Backend  = (*Backend)(nil)
	_ chains.Mempool  = (*Backend)(nil)
	_ chains.Keyer    = (*Backend)(nil)
	_ chains.Notifier = (*Backend)(nil)
)

// New returns a Backend.
func New(cfg Config) (*Backend, error) {
	if cfg.Network != asset.Bitcoin && cfg.Network != asset.Litecoin {
		return nil, fmt.Errorf("bitcoin: network must be bitcoin or litecoin, not %q", cfg.Network)
	}
	if !cfg.Mode.Valid() {
		return nil, fmt.Errorf("bitcoin: %w: %q", asset.ErrUnknownMode, cfg.Mode)
	}
	if cfg.RPC == nil {
		return nil, errors.New("bitcoin: RPC is required")
	}
	if cfg.Params == nil {
		cfg.Params = DefaultParams(cfg.Network, cfg.Mode)
	}
	if cfg.MinFeeRate <= 0 {
		cfg.MinFeeRate = 1
	}
	if cfg.MaxFeeRate <= 0 {
		cfg.MaxFeeRate = 500
	}
	if cfg.DefaultFeeRate <= 0 {
		cfg.DefaultFeeRate = 10
	}
	if cfg.MinFeeRate > cfg.MaxFeeRate || cfg.DefaultFeeRate < cfg.MinFeeRate || cfg.DefaultFeeRate > cfg.MaxFeeRate {
		return nil, errors.New("bitcoin: fee rates must satisfy MinFeeRate <= DefaultFeeRate <= MaxFeeRate")
	}
	if cfg.FeeTarget <= 0 {
		cfg.FeeTarget = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	native := "BTC"
	if cfg.Network == asset.Litecoin {
		native = "LTC"
	}
	return &Backend{cfg: cfg, net: chains.NetworkRef{ID: cfg.Network, Mode: cfg.Mode}, native: native,
		log: cfg.Logger, mempool: map[string][]chains.Transfer{}}, nil
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

// Params returns the backend's chain parameters.
func (b *Backend) Params() *chaincfg.Params { return b.cfg.Params }

// Network implements chains.Backend.
func (b *Backend) Network() chains.NetworkRef { return b.net }

// ValidateAddress implements chains.Backend.
func (b *Backend) ValidateAddress(addr string) error {
	_, err := AddressScript(addr, b.cfg.Params)
	return err
}

// WatchKey implements chains.Keyer: outputs are matched by script.
func (b *Backend) WatchKey(addr string) (string, bool) {
	s, err := AddressScript(addr, b.cfg.Params)
	return string(s), err == nil
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
	return scanRaw(raw, height, b.native, watch)
}

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

// match appends tx's outputs to watched scripts.
func match(tx *wire.MsgTx, ref chains.BlockRef, native string, watch chains.AddressSet, dst []chains.Transfer) []chains.Transfer {
	keyed, _ := watch.(chains.KeyedSet)
	txid := ""
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
	all := allScripts{params: b.cfg.Params}
	for _, id := range ids {
		now[id] = true
		ts, ok := b.mempool[id]
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
			ts = match(&tx, chains.BlockRef{}, b.native, all, nil)
			b.mempool[id] = ts
		}
		for _, t := range ts {
			if watch.Contains(t.To) {
				out = append(out, t)
			}
		}
	}
	for id := range b.mempool {
		if !now[id] {
			delete(b.mempool, id)
		}
	}
	return out, nil
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
	err := b.cfg.RPC.Call(ctx, "estimatesmartfee", &smart, b.cfg.FeeTarget)
	btcPerKvB := -1.0
	switch {
	case err == nil && smart.FeeRate != nil:
		btcPerKvB = *smart.FeeRate
	case err == nil || IsCode(err, codeMethodNotFound):
		var est float64
		if err := b.cfg.RPC.Call(ctx, "estimatefee", &est, b.cfg.FeeTarget); err == nil {
			btcPerKvB = est
		}
	default:
		var re *RPCError
		if !errors.As(err, &re) {
			return 0, err // the node is unreachable: not a reason to guess a fee
		}
	}
	rate := b.cfg.DefaultFeeRate
	if btcPerKvB > 0 {
		// BTC/kvB -> sat/vB: x 1e8 / 1000, rounded up.
		rate = int64(math.Ceil(btcPerKvB * 1e5))
	}
	return min(max(rate, b.cfg.MinFeeRate), b.cfg.MaxFeeRate), nil
}
