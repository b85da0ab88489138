// Package evm is Kassa's chain backend for Ethereum and EVM networks (BSC, Polygon,
// Base): native coin and ERC-20/BEP-20 tokens, read over standard JSON-RPC with
// go-ethereum's rpc client.
//
// A scan of block h is three batched round trips at most: the block with its
// transactions (eth_getBlockByNumber), one eth_getLogs for the Transfer topic over
// every supported token contract of the network, pinned to that block's hash
// (EIP-234, so logs can never come from another block in a reorg), and the receipts of
// the native transfers to watched addresses (a reverted transaction never credits;
// token Transfer logs exist only for successful transactions). Matching is local: the
// watched set is keyed by the 20 address bytes, so a log or a transaction costs one
// map lookup, whatever the number of watched addresses, and no provider sees the list.
//
// Transfer.Index identifies a transfer within its transaction, so a transaction
// re-mined in another block after a reorg is the same transfer again (credited once,
// never an orphan beside a copy). For tokens it is the log's place among the
// transaction's Transfer logs of the network's supported token contracts (0, 1, ...),
// not the block-wide log index, which changes with the block. For native value it is
// NativeIndex (2^32-1), not 0, so a transaction that both sends
// ether to an address and emits a token Transfer to it never gives two transfers one
// identity.
package evm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// NativeIndex is the Transfer.Index of native value transfers.
const NativeIndex = math.MaxUint32

// Config configures a Backend.
type Config struct {
	Network asset.NetworkID // ethereum, bsc, polygon or base
	Mode    asset.Mode
	// URL of the node's JSON-RPC: http(s) for polling, ws(s) for newHeads pushes too.
	URL string
	// PushURL, when URL is http(s), is the node's websocket endpoint for newHeads
	// pushes, so a payment's block is seen as it arrives rather than at the next poll.
	// Default: URL with the ws(s) scheme (geth serving websockets on its HTTP port,
	// or a provider serving both on one URL); "off" never pushes. A node that refuses
	// it is polled, and asked again after PushRetry.
	PushURL string
	// HTTPHeaders are sent with every request to URL and with the handshake of the
	// push websocket: the API key of a node provider that wants one in a header
	// ("X-Api-Key"). Nil sends none.
	HTTPHeaders http.Header
	// ChainID is the EIP-155 chain id; default: the registry's for Network and Mode.
	// New refuses a node that reports another one.
	ChainID uint64
	// AnyChainID takes the chain id the node reports (a local development node
	// standing in for a network in test mode). Refused in live mode.
	AnyChainID bool
	// Assets gives the native coin and the token contracts of Network in Mode.
	Assets *asset.Registry
	// ReconcileLimit: while at most this many addresses are watched, every scanned
	// block is also reconciled against balances (eth_getBalance before and after), so
	// ether that arrives through an internal call of a contract, invisible in
	// transactions and logs, is credited too. It costs two balance reads per watched
	// address per block. Default 200; negative disables it.
	ReconcileLimit int
	Logger         *slog.Logger
}

type token struct {
	code     string
	decimals int32
}

// Backend is a chains.Backend for one EVM network.
type Backend struct {
	cfg       Config
	net       chains.NetworkRef
	rpc       *rpc.Client
	pushMu    sync.Mutex
	push      *rpc.Client // the websocket of PushURL, once dialled
	pushAfter time.Time   // no dial before (after a refusal)
	pushSaid  bool        // a refusal was logged
	native    string
	tokens    map[common.Address]token
	contracts []common.Address
	chainID   *big.Int
	log       *slog.Logger
}

var (
	_ chains.Backend = (*Backend)(nil)
	_ chains.Keyer   = (*Backend)(nil)
)

// New dials the node and checks its chain id.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Assets == nil {
		return nil, errors.New("evm: Assets is required")
	}
	n, err := cfg.Assets.Network(cfg.Network)
	if err != nil || n.Family != asset.FamilyEVM {
		return nil, fmt.Errorf("evm: %q is not an EVM network", cfg.Network)
	}
	if !cfg.Mode.Valid() {
		return nil, fmt.Errorf("evm: %w: %q", asset.ErrUnknownMode, cfg.Mode)
	}
	if cfg.AnyChainID && cfg.Mode == asset.Live {
		return nil, errors.New("evm: AnyChainID is for test mode only")
	}
	if p := cfg.PushURL; p != "" && p != "off" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return nil, fmt.Errorf("evm: PushURL %q: want a ws:// or wss:// URL, or \"off\"", redactURL(p))
		}
	}
	if cfg.ChainID == 0 {
		cfg.ChainID = n.ChainID[cfg.Mode]
	}
	cfg.HTTPHeaders = cfg.HTTPHeaders.Clone() // the caller's map may change after New
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ReconcileLimit == 0 {
		cfg.ReconcileLimit = 200
	}
	b := &Backend{cfg: cfg, net: chains.NetworkRef{ID: cfg.Network, Mode: cfg.Mode}, tokens: map[common.Address]token{},
		chainID: new(big.Int).SetUint64(cfg.ChainID), log: cfg.Logger}
	for _, a := range cfg.Assets.AssetsOn(cfg.Network) {
		if a.Native {
			b.native = a.Code
			continue
		}
		c := a.ContractFor(cfg.Mode)
		if c == "" {
			continue
		}
		if !common.IsHexAddress(c) {
			return nil, fmt.Errorf("evm: %s contract %q is not an address", a.Code, c)
		}
		addr := common.HexToAddress(c)
		b.tokens[addr] = token{code: a.Code, decimals: a.Decimals}
		b.contracts = append(b.contracts, addr)
	}
	if b.rpc, err = rpc.DialOptions(ctx, cfg.URL, b.dialOptions()...); err != nil {
		return nil, fmt.Errorf("evm: dial %s: %w", cfg.Network, err)
	}
	var id hexutil.Big
	if err := b.rpc.CallContext(ctx, &id, "eth_chainId"); err != nil {
		b.rpc.Close()
		return nil, fmt.Errorf("evm: %s: eth_chainId: %w", cfg.Network, err)
	}
	if cfg.AnyChainID {
		b.chainID = new(big.Int).Set((*big.Int)(&id))
	}
	if (*big.Int)(&id).Cmp(b.chainID) != 0 {
		b.rpc.Close()
		return nil, fmt.Errorf("evm: %s %s: node is on chain %s, configured %d", cfg.Network, cfg.Mode, (*big.Int)(&id), cfg.ChainID)
	}
	return b, nil
}

// dialOptions are the options of every dial: Config.HTTPHeaders.
func (b *Backend) dialOptions() []rpc.ClientOption {
	if len(b.cfg.HTTPHeaders) == 0 {
		return nil
	}
	return []rpc.ClientOption{rpc.WithHeaders(b.cfg.HTTPHeaders)}
}

// Close closes the RPC connections.
func (b *Backend) Close() {
	b.rpc.Close()
	b.pushMu.Lock()
	defer b.pushMu.Unlock()
	if b.push != nil {
		b.push.Close()
	}
	b.pushAfter = time.Now().Add(100 * 365 * 24 * time.Hour)
}

// Network implements chains.Backend.
func (b *Backend) Network() chains.NetworkRef { return b.net }

// ChainID returns the chain id.
func (b *Backend) ChainID() *big.Int { return new(big.Int).Set(b.chainID) }

// ServedAssets implements chains.AssetServer: the network's coin and the tokens whose
// contract the registry names in the backend's mode (a token without one cannot be
// watched, so it is never offered).
func (b *Backend) ServedAssets() []string {
	out := []string{b.native}
	for _, t := range b.tokens {
		out = append(out, t.code)
	}
	return out
}

// Tokens returns the token contracts the backend watches, by asset code.
func (b *Backend) Tokens() map[string]common.Address {
	out := map[string]common.Address{}
	for a, t := range b.tokens {
		out[t.code] = a
	}
	return out
}

// Errors.
var ErrBadChecksum = fmt.Errorf("%w: EIP-55 checksum does not match", chains.ErrInvalidAddress)

// ValidateAddress implements chains.Backend: 0x and 40 hex digits, all lower, all
// upper, or mixed case matching the EIP-55 checksum; never the zero address.
func (b *Backend) ValidateAddress(addr string) error { return ValidateAddress(addr) }

// ValidateAddress checks an EVM address (see Backend.ValidateAddress).
func ValidateAddress(addr string) error {
	if !strings.HasPrefix(addr, "0x") || len(addr) != 42 || !common.IsHexAddress(addr) {
		return fmt.Errorf("%w: want 0x and 40 hex digits", chains.ErrInvalidAddress)
	}
	a := common.HexToAddress(addr)
	if a == (common.Address{}) {
		return fmt.Errorf("%w: the zero address", chains.ErrInvalidAddress)
	}
	body := addr[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && a.Hex() != addr {
		return ErrBadChecksum
	}
	return nil
}

// CanonicalAddress validates addr (as ValidateAddress) and returns its EIP-55
// checksummed spelling, the one Kassa derives and stores.
func CanonicalAddress(addr string) (string, error) {
	if err := ValidateAddress(addr); err != nil {
		return "", err
	}
	return common.HexToAddress(addr).Hex(), nil
}

// CanonicalAddress implements chains.Canonicalizer.
func (b *Backend) CanonicalAddress(addr string) (string, error) { return CanonicalAddress(addr) }

// WatchKey implements chains.Keyer: the 20 address bytes, whatever the case.
func (b *Backend) WatchKey(addr string) (string, bool) {
	if ValidateAddress(addr) != nil {
		return "", false
	}
	return string(common.HexToAddress(addr).Bytes()), true
}

type rpcHeader struct {
	Hash       common.Hash    `json:"hash"`
	ParentHash common.Hash    `json:"parentHash"`
	Number     hexutil.Uint64 `json:"number"`
	Timestamp  hexutil.Uint64 `json:"timestamp"`
}

type rpcTx struct {
	Hash  common.Hash     `json:"hash"`
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
}

type rpcReceipt struct {
	Status            hexutil.Uint64 `json:"status"`
	BlockHash         common.Hash    `json:"blockHash"`
	GasUsed           hexutil.Uint64 `json:"gasUsed"`
	EffectiveGasPrice *hexutil.Big   `json:"effectiveGasPrice"`
}

type rpcBlock struct {
	rpcHeader
	Transactions []rpcTx `json:"transactions"`
}

type rpcLog struct {
	Address     common.Address `json:"address"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	BlockHash   common.Hash    `json:"blockHash"`
	TxHash      common.Hash    `json:"transactionHash"`
	Index       hexutil.Uint   `json:"logIndex"`
	Removed     bool           `json:"removed"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
}

func (h rpcHeader) ref() chains.BlockRef {
	return chains.BlockRef{Height: uint64(h.Number), Hash: h.Hash.Hex(), Parent: h.ParentHash.Hex(), Time: time.Unix(int64(h.Timestamp), 0).UTC()}
}

// Tip implements chains.Backend.
func (b *Backend) Tip(ctx context.Context) (chains.BlockRef, error) {
	var h *rpcHeader
	if err := b.rpc.CallContext(ctx, &h, "eth_getBlockByNumber", "latest", false); err != nil {
		return chains.BlockRef{}, err
	}
	if h == nil {
		return chains.BlockRef{}, errors.New("evm: no latest block")
	}
	return h.ref(), nil
}

// Scan implements chains.Backend.
func (b *Backend) Scan(ctx context.Context, height uint64, watch chains.AddressSet) (chains.Block, error) {
	var blk *rpcBlock
	if err := b.rpc.CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.Uint64(height), true); err != nil {
		return chains.Block{}, err
	}
	if blk == nil {
		return chains.Block{}, fmt.Errorf("%w: %d", chains.ErrNoBlock, height)
	}
	out := chains.Block{Ref: blk.ref()}
	lookup := lookupIn(watch)
	// Native value to watched addresses: confirm each with its receipt. Transactions
	// of ours being followed: their receipts say their fee and whether they reverted.
	candidates := b.nativeCandidates(blk, out.Ref, lookup)
	ours := oursIn(blk, watch)
	if len(candidates)+len(ours) > 0 {
		hashes := make([]string, 0, len(candidates)+len(ours))
		for _, c := range candidates {
			hashes = append(hashes, c.TxID)
		}
		hashes = append(hashes, ours...)
		receipts, err := b.receipts(ctx, hashes, blk.Hash)
		if err != nil {
			return chains.Block{}, err
		}
		for i, c := range candidates {
			if receipts[i].Status == 1 {
				out.Transfers = append(out.Transfers, c)
			}
		}
		for i, id := range ours {
			r := receipts[len(candidates)+i]
			fee := new(big.Int)
			if r.EffectiveGasPrice != nil {
				fee.Mul(new(big.Int).SetUint64(uint64(r.GasUsed)), r.EffectiveGasPrice.ToInt())
			}
			out.Transfers = append(out.Transfers, chains.Transfer{Out: true, TxID: id, Index: chains.OutIndex, Amount: fee,
				Failed: r.Status != 1, Block: out.Ref})
		}
	}
	if r, ok := watch.(interface{ Range(func(string) bool) }); ok && b.cfg.ReconcileLimit > 0 && watch.Len() <= b.cfg.ReconcileLimit {
		internal, err := b.reconcile(ctx, blk, out.Transfers, r)
		if err != nil {
			return chains.Block{}, err
		}
		out.Transfers = append(out.Transfers, internal...)
	}
	if len(b.contracts) == 0 {
		return out, nil
	}
	var logs []rpcLog
	filter := map[string]any{"blockHash": blk.Hash, "address": b.contracts,
		"topics": [][]common.Hash{{params.EthTransferLogEvent}}}
	if err := b.rpc.CallContext(ctx, &logs, "eth_getLogs", filter); err != nil {
		return chains.Block{}, err
	}
	out.Transfers = append(out.Transfers, b.matchLogs(logs, blk.Hash, out.Ref, lookup)...)
	return out, nil
}

// matchLogs returns the token Transfer logs to watched addresses. Each is indexed by
// its place among its transaction's Transfer logs here (logs in block order), which
// does not depend on the block the transaction is in.
func (b *Backend) matchLogs(logs []rpcLog, block common.Hash, ref chains.BlockRef, lookup func(common.Address) (string, bool)) []chains.Transfer {
	var out []chains.Transfer
	slices.SortStableFunc(logs, func(x, y rpcLog) int { return cmp.Compare(x.Index, y.Index) })
	seen := map[common.Hash]uint32{} // transaction -> Transfer logs of it so far
	for _, l := range logs {
		tok, ok := b.tokens[l.Address]
		if !ok || l.Removed || len(l.Topics) != 3 || l.Topics[0] != params.EthTransferLogEvent || len(l.Data) != 32 || l.BlockHash != block {
			continue
		}
		index := seen[l.TxHash]
		seen[l.TxHash]++
		addr, ok := lookup(common.BytesToAddress(l.Topics[2].Bytes()))
		if !ok {
			continue
		}
		amount := new(big.Int).SetBytes(l.Data)
		if amount.Sign() == 0 {
			continue
		}
		out = append(out, chains.Transfer{Asset: tok.code, To: addr, Amount: amount, TxID: l.TxHash.Hex(), Index: index, Block: ref,
			From: sender(common.BytesToAddress(l.Topics[1].Bytes()))})
	}
	return out
}

// oursIn returns the hashes of the block's transactions that watch follows.
func oursIn(blk *rpcBlock, watch chains.AddressSet) []string {
	sent, ok := watch.(chains.SentSet)
	if !ok || !sent.Following() {
		return nil
	}
	var out []string
	for _, tx := range blk.Transactions {
		if h := tx.Hash.Hex(); sent.SentTx(h) {
			out = append(out, h)
		}
	}
	return out
}

// nativeCandidates returns the transactions paying value to watched addresses (still
// to be checked against their receipts).
func (b *Backend) nativeCandidates(blk *rpcBlock, ref chains.BlockRef, lookup func(common.Address) (string, bool)) []chains.Transfer {
	var out []chains.Transfer
	for _, tx := range blk.Transactions {
		if tx.To == nil || tx.Value == nil || tx.Value.ToInt().Sign() <= 0 {
			continue
		}
		if addr, ok := lookup(*tx.To); ok {
			out = append(out, chains.Transfer{Asset: b.native, To: addr, Amount: new(big.Int).Set(tx.Value.ToInt()),
				TxID: tx.Hash.Hex(), Index: NativeIndex, Block: ref, From: sender(tx.From)})
		}
	}
	return out
}

// lookupIn returns the address lookup for a watched set: by key when it is keyed.
func lookupIn(watch chains.AddressSet) func(common.Address) (string, bool) {
	keyed, _ := watch.(chains.KeyedSet)
	return func(a common.Address) (string, bool) {
		if keyed != nil {
			return keyed.ByKey(string(a.Bytes()))
		}
		return a.Hex(), watch.Contains(a.Hex())
	}
}

// receipts fetches receipts in one batch and checks they belong to block.
func (b *Backend) receipts(ctx context.Context, hashes []string, block common.Hash) ([]rpcReceipt, error) {
	out := make([]rpcReceipt, len(hashes))
	batch := make([]rpc.BatchElem, len(hashes))
	for i, h := range hashes {
		batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &out[i]}
	}
	if err := b.rpc.BatchCallContext(ctx, batch); err != nil {
		return nil, err
	}
	for i := range batch {
		if batch[i].Error != nil {
			return nil, fmt.Errorf("receipt %s: %w", hashes[i], batch[i].Error)
		}
		if out[i].BlockHash != block {
			return nil, fmt.Errorf("evm: receipt of %s is from another block (reorg under way)", hashes[i])
		}
	}
	return out, nil
}

// InternalIndex is the Transfer.Index of ether found by balance reconciliation; its
// TxID is "internal:<block hash>:<address>", stable for that block.
const InternalIndex = math.MaxUint32 - 1

// reconcile compares each watched address's balance before and after blk with what
// the block's transactions show (value in, value and gas out) and reports the rest,
// if positive, as ether that arrived through an internal call.
func (b *Backend) reconcile(ctx context.Context, blk *rpcBlock, visible []chains.Transfer, watch interface{ Range(func(string) bool) }) ([]chains.Transfer, error) {
	if blk.Number == 0 {
		return nil, nil
	}
	var addrs []string
	watch.Range(func(a string) bool { addrs = append(addrs, a); return true })
	if len(addrs) == 0 {
		return nil, nil
	}
	before := make([]hexutil.Big, len(addrs))
	after := make([]hexutil.Big, len(addrs))
	batch := make([]rpc.BatchElem, 0, 2*len(addrs))
	for i, a := range addrs {
		batch = append(batch,
			rpc.BatchElem{Method: "eth_getBalance", Args: []any{a, map[string]any{"blockHash": blk.ParentHash}}, Result: &before[i]},
			rpc.BatchElem{Method: "eth_getBalance", Args: []any{a, map[string]any{"blockHash": blk.Hash}}, Result: &after[i]})
	}
	if err := b.rpc.BatchCallContext(ctx, batch); err != nil {
		return nil, err
	}
	for _, e := range batch {
		if e.Error != nil {
			return nil, fmt.Errorf("eth_getBalance: %w", e.Error)
		}
	}
	// What the block visibly moved for each address.
	moved := map[common.Address]*big.Int{}
	add := func(a common.Address, v *big.Int) {
		if moved[a] == nil {
			moved[a] = new(big.Int)
		}
		moved[a].Add(moved[a], v)
	}
	for _, t := range visible {
		if t.Index == NativeIndex {
			add(common.HexToAddress(t.To), t.Amount)
		}
	}
	index := map[common.Address]bool{}
	for _, a := range addrs {
		index[common.HexToAddress(a)] = true
	}
	var outgoing []rpcTx
	for _, tx := range blk.Transactions {
		if index[tx.From] {
			outgoing = append(outgoing, tx)
		}
	}
	if len(outgoing) > 0 {
		hashes := make([]string, len(outgoing))
		for i, tx := range outgoing {
			hashes[i] = tx.Hash.Hex()
		}
		rs, err := b.receipts(ctx, hashes, blk.Hash)
		if err != nil {
			return nil, err
		}
		for i, tx := range outgoing {
			spent := new(big.Int).Mul(new(big.Int).SetUint64(uint64(rs[i].GasUsed)), rs[i].EffectiveGasPrice.ToInt())
			if rs[i].Status == 1 && tx.Value != nil {
				spent.Add(spent, tx.Value.ToInt())
			}
			add(tx.From, spent.Neg(spent))
		}
	}
	var out []chains.Transfer
	for i, a := range addrs {
		delta := new(big.Int).Sub(after[i].ToInt(), before[i].ToInt())
		if m := moved[common.HexToAddress(a)]; m != nil {
			delta.Sub(delta, m)
		}
		if delta.Sign() > 0 {
			out = append(out, chains.Transfer{Asset: b.native, To: a, Amount: delta,
				TxID: "internal:" + blk.Hash.Hex() + ":" + strings.ToLower(a), Index: InternalIndex, Block: blk.ref()})
		}
	}
	return out, nil
}

var _ chains.Notifier = (*Backend)(nil)

// errNoPush says there is no websocket to push blocks; the watcher polls.
var errNoPush = errors.New("evm: no websocket for pushed blocks; polling")

// PushRetry is how long a backend whose PushURL was refused polls before it dials
// again.
const PushRetry = time.Minute

func isWS(u string) bool { return strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://") }

// pushURL is the websocket that pushes blocks, "" for none.
func (b *Backend) pushURL() string {
	switch {
	case isWS(b.cfg.URL):
		return b.cfg.URL
	case b.cfg.PushURL == "off":
		return ""
	case b.cfg.PushURL != "":
		return b.cfg.PushURL
	case strings.HasPrefix(b.cfg.URL, "https://"):
		return "wss://" + strings.TrimPrefix(b.cfg.URL, "https://")
	case strings.HasPrefix(b.cfg.URL, "http://"):
		return "ws://" + strings.TrimPrefix(b.cfg.URL, "http://")
	}
	return ""
}

// pushClient returns the client to subscribe on: the RPC connection when it is a
// websocket, else the PushURL's, dialled on first use.
func (b *Backend) pushClient(ctx context.Context) (*rpc.Client, error) {
	u := b.pushURL()
	switch {
	case u == "":
		return nil, errNoPush
	case u == b.cfg.URL:
		return b.rpc, nil
	}
	b.pushMu.Lock()
	defer b.pushMu.Unlock()
	if b.push != nil {
		return b.push, nil
	}
	if time.Now().Before(b.pushAfter) {
		return nil, errNoPush
	}
	dctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	c, err := rpc.DialOptions(dctx, u, b.dialOptions()...)
	if err != nil {
		b.pushAfter = time.Now().Add(PushRetry)
		if !b.pushSaid {
			b.pushSaid = true
			b.log.InfoContext(ctx, "evm: no websocket for pushed blocks; polling (set PushURL, or \"off\")",
				"network", b.net, "push_url", redactURL(u), "err", err)
		}
		return nil, fmt.Errorf("%w: %v", errNoPush, err)
	}
	b.push = c
	b.log.InfoContext(ctx, "evm: blocks are pushed", "network", b.net, "push_url", redactURL(u))
	return c, nil
}

// subscribeTimeout bounds eth_subscribe (and the dial of PushURL).
const subscribeTimeout = 5 * time.Second

// dropPush closes the push connection c after a failed subscription; the next is
// dialled after PushRetry, and the watcher polls meanwhile.
func (b *Backend) dropPush(c *rpc.Client) {
	b.pushMu.Lock()
	defer b.pushMu.Unlock()
	if b.push == c {
		b.push = nil
		b.pushAfter = time.Now().Add(PushRetry)
	}
	c.Close()
}

// redactURL drops credentials and query (API keys) from u for logs.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Scheme + "://" + p.Host
}

// NewBlocks implements chains.Notifier with an eth_subscribe("newHeads") subscription
// on the node's websocket (URL when it is ws:// or wss://, else PushURL). The channel
// closes when ctx ends or the subscription breaks (the watcher then polls and
// subscribes again).
func (b *Backend) NewBlocks(ctx context.Context) (<-chan chains.BlockRef, error) {
	c, err := b.pushClient(ctx)
	if err != nil {
		return nil, err
	}
	heads := make(chan *rpcHeader, 16)
	// A node that takes the websocket but never answers must not hold up the
	// watcher, which subscribes before it steps: the call is bounded (the
	// subscription, once made, lives until ctx ends).
	sctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	sub, err := c.EthSubscribe(sctx, heads, "newHeads")
	cancel()
	if err != nil {
		if c != b.rpc {
			b.dropPush(c) // dial again after PushRetry
		}
		return nil, fmt.Errorf("evm: newHeads: %w", err)
	}
	out := make(chan chains.BlockRef, 16)
	go func() {
		defer close(out)
		defer sub.Unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Err():
				return
			case h := <-heads:
				select {
				case out <- h.ref():
				default: // the watcher is busy; it scans up to the tip anyway
				}
			}
		}
	}()
	return out, nil
}

// sender is a transfer's From: "" for the zero address (a token minted to us has no
// payer).
func sender(a common.Address) string {
	if a == (common.Address{}) {
		return ""
	}
	return a.Hex()
}
