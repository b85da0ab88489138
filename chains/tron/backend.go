package tron

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// NativeIndex is the Transfer.Index of TRX transfers (a TRC20 transfer's is its log's
// place among its transaction's logs: 0, 1, ...), so a transaction that does both
// never gives two transfers one identity.
const NativeIndex = math.MaxUint32

// Config configures a Backend.
type Config struct {
	Mode asset.Mode
	// URL is the base of the full node's HTTP API (java-tron's port 8090, or
	// https://api.trongrid.io, https://nile.trongrid.io): Kassa posts to URL +
	// "/wallet/...".
	URL string
	// APIKey, when set, is sent in the TRON-PRO-API-KEY header (TronGrid's).
	APIKey string
	// HTTPHeaders are sent with every request (another provider's key header).
	HTTPHeaders http.Header
	// Timeout bounds each request to the node. Default 20 s.
	Timeout time.Duration
	// Assets gives TRX and the TRC20 contracts in Mode (asset.Registry.SetContract for
	// test mode: Nile's USDT is TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf).
	Assets *asset.Registry
	// HTTPClient, when set, makes the requests (a proxy, custom TLS). Default: a
	// client of its own.
	HTTPClient *http.Client
	// Expiration is how long the transactions the Gateway's wallet signs stay valid
	// (WalletConfig.Expiration; default 12 h, at most MaxExpiration). A payout's transaction
	// that expired unmined is signed anew.
	Expiration time.Duration
	Logger     *slog.Logger
}

type token struct {
	code     string
	contract Address
}

// Backend is a chains.Backend for Tron in one mode: TRX (TransferContract) and TRC20
// tokens (Transfer logs), read from a java-tron full node's HTTP API.
type Backend struct {
	cfg    Config
	base   string
	net    chains.NetworkRef
	client *http.Client
	native string
	tokens map[[20]byte]token // by contract
	log    *slog.Logger
}

var (
	_ chains.Backend       = (*Backend)(nil)
	_ chains.Keyer         = (*Backend)(nil)
	_ chains.Canonicalizer = (*Backend)(nil)
	_ chains.AssetServer   = (*Backend)(nil)
)

// New checks cfg, the node's network (its block 0: mainnet's in live mode, another
// in test mode) and its tip, so a wrong URL, key or network fails at start.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Assets == nil {
		return nil, errors.New("tron: Assets is required")
	}
	if !cfg.Mode.Valid() {
		return nil, fmt.Errorf("tron: %w: %q", asset.ErrUnknownMode, cfg.Mode)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tron: URL: want the node's http(s) API base such as https://api.trongrid.io, got %q", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Expiration < 0 || cfg.Expiration > MaxExpiration {
		return nil, fmt.Errorf("tron: Expiration %s: want 0 (12 h) up to %s", cfg.Expiration, MaxExpiration)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.HTTPHeaders = cfg.HTTPHeaders.Clone()
	b := &Backend{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), net: chains.NetworkRef{ID: asset.Tron, Mode: cfg.Mode},
		client: cfg.HTTPClient, tokens: map[[20]byte]token{}, log: cfg.Logger}
	if b.client == nil {
		b.client = &http.Client{}
	}
	for _, a := range cfg.Assets.AssetsOn(asset.Tron) {
		if a.Native {
			b.native = a.Code
			continue
		}
		c := a.ContractFor(cfg.Mode)
		if c == "" {
			continue
		}
		addr, err := ParseAddress(c)
		if err != nil {
			return nil, fmt.Errorf("tron: %s contract %q: %w", a.Code, c, err)
		}
		b.tokens[addr.EVM()] = token{code: a.Code, contract: addr}
	}
	if b.native == "" {
		return nil, errors.New("tron: the registry has no TRX")
	}
	var genesis nodeBlock
	if err := b.call(ctx, "/wallet/getblockbynum", map[string]any{"num": 0}, &genesis); err != nil {
		return nil, err
	}
	switch {
	case genesis.BlockID == "":
		return nil, fmt.Errorf("tron: the node at %s answers no block 0", b.base)
	case cfg.Mode == asset.Live && genesis.BlockID != MainnetGenesis:
		return nil, fmt.Errorf("tron: live mode needs a mainnet node; this one's block 0 is %s (Nile's is %s)", genesis.BlockID, NileGenesis)
	case cfg.Mode == asset.Test && genesis.BlockID == MainnetGenesis:
		return nil, errors.New("tron: test mode on a mainnet node: its TRX would be credited as test money and paid out as real")
	}
	if _, err := b.Tip(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Block 0's ids: New checks the node's network with it (addresses look alike on
// every Tron network).
const (
	MainnetGenesis = "00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc"
	NileGenesis    = "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc"
)

// Network implements chains.Backend.
func (b *Backend) Network() chains.NetworkRef { return b.net }

// ServedAssets implements chains.AssetServer: TRX and the tokens whose contract the
// registry names in the backend's mode.
func (b *Backend) ServedAssets() []string {
	out := []string{b.native}
	for _, t := range b.tokens {
		out = append(out, t.code)
	}
	return out
}

// Tokens returns the contracts of the tokens the backend watches, by asset code.
func (b *Backend) Tokens() map[string]Address {
	out := map[string]Address{}
	for _, t := range b.tokens {
		out[t.code] = t.contract
	}
	return out
}

// ValidateAddress implements chains.Backend: a base58check address with version 0x41
// (T...). Mainnet and the test networks share the format.
func (b *Backend) ValidateAddress(addr string) error {
	_, err := b.CanonicalAddress(addr)
	return err
}

// CanonicalAddress implements chains.Canonicalizer: the base58check spelling of an
// address given in base58check or in hex (41...).
func (b *Backend) CanonicalAddress(addr string) (string, error) {
	a, err := ParseAddress(addr)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// WatchKey implements chains.Keyer: the 20 address bytes, as TRC20 logs and the
// node's hex carry them.
func (b *Backend) WatchKey(addr string) (string, bool) {
	a, err := ParseAddress(addr)
	if err != nil || strings.HasPrefix(addr, "41") {
		return "", false
	}
	evm := a.EVM()
	return string(evm[:]), true
}

// Tip implements chains.Backend: wallet/getnowblock.
func (b *Backend) Tip(ctx context.Context) (chains.BlockRef, error) {
	var blk nodeBlock
	if err := b.call(ctx, "/wallet/getnowblock", struct{}{}, &blk); err != nil {
		return chains.BlockRef{}, err
	}
	return blk.ref()
}

// Scan implements chains.Backend: the block (wallet/getblockbynum), and when it calls
// a contract or holds a transaction of ours, its transactions' infos
// (wallet/gettransactioninfobyblocknum) for TRC20 Transfer logs, results and fees.
// TRX is credited for a TransferContract the block reports SUCCESS; a token for a
// Transfer log of a supported contract in a transaction whose receipt says SUCCESS,
// so a reverted or out-of-energy transfer never credits. Infos that are not all of
// this block's transactions (a reorg between the two reads) make the scan fail, and
// the watcher reads the block again.
func (b *Backend) Scan(ctx context.Context, height uint64, watch chains.AddressSet) (chains.Block, error) {
	var blk nodeBlock
	if err := b.call(ctx, "/wallet/getblockbynum", map[string]any{"num": height}, &blk); err != nil {
		return chains.Block{}, err
	}
	if blk.BlockID == "" {
		return chains.Block{}, fmt.Errorf("%w: %d", chains.ErrNoBlock, height)
	}
	ref, err := blk.ref()
	if err != nil {
		return chains.Block{}, err
	}
	if ref.Height != height {
		return chains.Block{}, fmt.Errorf("%w: tron: asked block %d, got %d", chains.ErrUnavailable, height, ref.Height)
	}
	lookup := lookupIn(watch)
	native, err := b.matchNative(&blk, ref, lookup)
	if err != nil {
		return chains.Block{}, err
	}
	out := chains.Block{Ref: ref, Transfers: native}
	ours := oursIn(&blk, watch)
	if len(ours) == 0 && (len(b.tokens) == 0 || !callsContracts(&blk)) {
		return out, nil
	}
	var infos []txInfo
	if err := b.call(ctx, "/wallet/gettransactioninfobyblocknum", map[string]any{"num": height}, &infos); err != nil {
		return chains.Block{}, err
	}
	byID, err := infosOf(&blk, infos)
	if err != nil {
		return chains.Block{}, err
	}
	for _, tx := range ours {
		info, ok := byID[tx.TxID]
		if !ok {
			return chains.Block{}, fmt.Errorf("%w: no info for %s", errStale, tx.TxID)
		}
		if len(tx.Ret) == 0 || len(tx.Raw.Contract) != 1 || info.Fee < 0 {
			return chains.Block{}, fmt.Errorf("%w: tron: block %d reports no result or no single contract for %s, or a negative fee", chains.ErrUnavailable, ref.Height, tx.TxID)
		}
		// A contract call fails (REVERT, OUT_OF_ENERGY) with its fee burnt; a mined
		// TransferContract has moved its TRX.
		failed := tx.Raw.Contract[0].Type != "TransferContract" && (!tx.succeeded() || info.Result == "FAILED")
		out.Transfers = append(out.Transfers, chains.Transfer{Out: true, TxID: tx.TxID, Index: chains.OutIndex, Block: ref,
			Amount: big.NewInt(info.Fee), Failed: failed})
	}
	out.Transfers = append(out.Transfers, b.matchLogs(infos, ref, lookup)...)
	return out, nil
}

// lookupIn finds a watched address by its 20 bytes: one map lookup in a keyed set.
func lookupIn(watch chains.AddressSet) func([20]byte) (string, bool) {
	keyed, _ := watch.(chains.KeyedSet)
	return func(a [20]byte) (string, bool) {
		if keyed != nil {
			return keyed.ByKey(string(a[:]))
		}
		s := AddressFromEVM(a).String()
		return s, watch.Contains(s)
	}
}

// matchNative returns the successful TRX transfers of the block to watched
// addresses. A transfer to a watched address whose result the node does not report
// (no ret) fails the scan: it would be neither credited nor refused.
func (b *Backend) matchNative(blk *nodeBlock, ref chains.BlockRef, lookup func([20]byte) (string, bool)) ([]chains.Transfer, error) {
	var out []chains.Transfer
	for i := range blk.Transactions {
		tx := &blk.Transactions[i]
		if len(tx.Raw.Contract) != 1 || tx.Raw.Contract[0].Type != "TransferContract" {
			continue
		}
		v := &tx.Raw.Contract[0].Parameter.Value
		to, ok := hex20(v.To)
		if !ok {
			continue
		}
		addr, ok := lookup(to)
		if !ok {
			continue
		}
		if len(tx.Ret) == 0 {
			return nil, fmt.Errorf("%w: tron: block %d reports no result for %s", chains.ErrUnavailable, ref.Height, tx.TxID)
		}
		amount, ok := new(big.Int).SetString(v.Amount.String(), 10)
		if !tx.succeeded() || !ok || amount.Sign() <= 0 {
			continue
		}
		t := chains.Transfer{Asset: b.native, To: addr, Amount: amount, TxID: tx.TxID, Index: NativeIndex, Block: ref}
		if from, ok := hex20(v.Owner); ok {
			t.From = AddressFromEVM(from).String()
		}
		out = append(out, t)
	}
	return out, nil
}

// matchLogs returns the Transfer logs of supported tokens to watched addresses in
// transactions that succeeded. Each is indexed by its place among all its
// transaction's logs, which the chain fixes: it depends neither on the block nor on
// which tokens are configured.
func (b *Backend) matchLogs(infos []txInfo, ref chains.BlockRef, lookup func([20]byte) (string, bool)) []chains.Transfer {
	var out []chains.Transfer
	for i := range infos {
		info := &infos[i]
		if info.Result == "FAILED" || info.Receipt.Result != "SUCCESS" {
			continue
		}
		for n, l := range info.Log {
			c, ok := hex20(l.Address)
			if !ok {
				continue
			}
			tok, ok := b.tokens[c]
			if !ok || len(l.Topics) != 3 || l.Topics[0] != transferTopic || len(l.Data) != 64 {
				continue
			}
			to, ok := hex20(l.Topics[2])
			if !ok {
				continue
			}
			addr, ok := lookup(to)
			if !ok {
				continue
			}
			raw, err := hex.DecodeString(l.Data)
			if err != nil {
				continue
			}
			amount := new(big.Int).SetBytes(raw)
			if amount.Sign() == 0 {
				continue
			}
			t := chains.Transfer{Asset: tok.code, To: addr, Amount: amount, TxID: info.ID, Index: uint32(n), Block: ref}
			if from, ok := hex20(l.Topics[1]); ok {
				t.From = AddressFromEVM(from).String()
			}
			out = append(out, t)
		}
	}
	return out
}

// callsContracts says whether the block has a smart-contract call (whose logs may pay
// a token).
func callsContracts(blk *nodeBlock) bool {
	for i := range blk.Transactions {
		for _, c := range blk.Transactions[i].Raw.Contract {
			if c.Type == "TriggerSmartContract" {
				return true
			}
		}
	}
	return false
}

// oursIn returns the block's transactions that watch follows.
func oursIn(blk *nodeBlock, watch chains.AddressSet) []*nodeTx {
	sent, ok := watch.(chains.SentSet)
	if !ok || !sent.Following() {
		return nil
	}
	var out []*nodeTx
	for i := range blk.Transactions {
		if sent.SentTx(blk.Transactions[i].TxID) {
			out = append(out, &blk.Transactions[i])
		}
	}
	return out
}

// infosOf checks that infos are those of blk's transactions, one for each smart
// contract call at least, and indexes them by id.
func infosOf(blk *nodeBlock, infos []txInfo) (map[string]*txInfo, error) {
	byID := make(map[string]*txInfo, len(infos))
	for i := range infos {
		if infos[i].BlockNumber != blk.Header.Raw.Number {
			return nil, fmt.Errorf("%w: info of %s is of block %d", errStale, infos[i].ID, infos[i].BlockNumber)
		}
		byID[infos[i].ID] = &infos[i]
	}
	in := make(map[string]bool, len(blk.Transactions))
	for i := range blk.Transactions {
		tx := &blk.Transactions[i]
		in[tx.TxID] = true
		if _, ok := byID[tx.TxID]; !ok && (len(tx.Raw.Contract) != 1 || tx.Raw.Contract[0].Type != "TransferContract") {
			return nil, fmt.Errorf("%w: no info for %s", errStale, tx.TxID)
		}
	}
	for id := range byID {
		if !in[id] {
			return nil, fmt.Errorf("%w: info of %s, not in block %d", errStale, id, blk.Header.Raw.Number)
		}
	}
	return byID, nil
}
