package bitcoin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
)

// EsploraConfig configures an Esplora backend.
type EsploraConfig struct {
	// BaseURL of the Esplora REST API: "https://blockstream.info/api",
	// "https://mempool.space/api", their /testnet/api variants, or your own instance.
	BaseURL string
	Network asset.NetworkID
	Mode    asset.Mode
	Params  *chaincfg.Params // default: DefaultParams(Network, Mode)
	Client  *http.Client     // default: 30 s timeout
	Fees    FeePolicy
	Logger  *slog.Logger
}

// Esplora is a chains.Backend on the Esplora REST API (Blockstream, mempool.space) for
// merchants without a node. Blocks are fetched raw (/block/:hash/raw) and decoded like
// the node backend's, so matching is the same code. It has no mempool view (Esplora's
// mempool endpoints are per address): payments are detected at their first
// confirmation, and AddressTransfers looks up one address for a targeted rescan.
type Esplora struct {
	common
	cfg EsploraConfig
}

var (
	_ chains.Backend = (*Esplora)(nil)
	_ chains.Keyer   = (*Esplora)(nil)
)

// NewEsplora returns an Esplora backend.
func NewEsplora(cfg EsploraConfig) (*Esplora, error) {
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("bitcoin: Esplora BaseURL must be http(s): %q", cfg.BaseURL)
	}
	c, err := newCommon(cfg.Network, cfg.Mode, cfg.Params, cfg.Fees)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.Params, cfg.Fees = c.params, c.fees
	return &Esplora{common: c, cfg: cfg}, nil
}

// errNotFound is an Esplora 404.
var errNotFound = errors.New("esplora: not found")

// get fetches path; 429 and 5xx are chains.ErrUnavailable, 404 errNotFound.
func (e *Esplora) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.cfg.BaseURL+path, nil)
	if err != nil {
		return nil, err
	}
	return e.do(req, limit)
}

func (e *Esplora) do(req *http.Request, limit int64) ([]byte, error) {
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", chains.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", chains.ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %s", errNotFound, req.URL.Path)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s: HTTP %d", chains.ErrUnavailable, req.URL.Path, resp.StatusCode)
	}
	return nil, fmt.Errorf("esplora %s: HTTP %d: %.200s", req.URL.Path, resp.StatusCode, body)
}

type esploraBlock struct {
	ID        string `json:"id"`
	Height    uint64 `json:"height"`
	Previous  string `json:"previousblockhash"`
	Timestamp int64  `json:"timestamp"`
}

// Tip implements chains.Backend.
func (e *Esplora) Tip(ctx context.Context) (chains.BlockRef, error) {
	hash, err := e.get(ctx, "/blocks/tip/hash", 100)
	if err != nil {
		return chains.BlockRef{}, err
	}
	body, err := e.get(ctx, "/block/"+strings.TrimSpace(string(hash)), 1<<16)
	if err != nil {
		return chains.BlockRef{}, err
	}
	var b esploraBlock
	if err := json.Unmarshal(body, &b); err != nil || b.ID == "" {
		return chains.BlockRef{}, fmt.Errorf("esplora: block header: %v", err)
	}
	return chains.BlockRef{Height: b.Height, Hash: b.ID, Parent: b.Previous, Time: time.Unix(b.Timestamp, 0).UTC()}, nil
}

// Scan implements chains.Backend.
func (e *Esplora) Scan(ctx context.Context, height uint64, watch chains.AddressSet) (chains.Block, error) {
	hash, err := e.get(ctx, "/block-height/"+strconv.FormatUint(height, 10), 100)
	if errors.Is(err, errNotFound) {
		return chains.Block{}, fmt.Errorf("%w: %d", chains.ErrNoBlock, height)
	}
	if err != nil {
		return chains.Block{}, err
	}
	h := strings.TrimSpace(string(hash))
	raw, err := e.get(ctx, "/block/"+h+"/raw", 8<<20)
	if err != nil {
		return chains.Block{}, err
	}
	blk, err := scanRaw(raw, height, e.native, watch)
	if err != nil {
		return chains.Block{}, err
	}
	if blk.Ref.Hash != h {
		return chains.Block{}, fmt.Errorf("esplora: block at %d hashes to %s, not %s", height, blk.Ref.Hash, h)
	}
	return blk, nil
}

// FeeRate returns the fee rate in sat/vB for the configured target from
// /fee-estimates, within the configured bounds.
func (e *Esplora) FeeRate(ctx context.Context) (int64, error) {
	body, err := e.get(ctx, "/fee-estimates", 1<<16)
	if err != nil {
		return 0, err
	}
	var est map[string]float64
	if err := json.Unmarshal(body, &est); err != nil {
		return 0, fmt.Errorf("esplora: fee estimates: %w", err)
	}
	rate := int64(0)
	if v, ok := est[strconv.Itoa(e.fees.Target)]; ok && v > 0 && v < math.MaxInt32 {
		rate = int64(math.Ceil(v))
	}
	return e.fees.clamp(rate), nil
}

// Broadcast posts a raw transaction (POST /tx) and returns its txid.
func (e *Esplora) Broadcast(ctx context.Context, raw []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.BaseURL+"/tx", strings.NewReader(fmt.Sprintf("%x", raw)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/plain")
	body, err := e.do(req, 1<<10)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(body)), nil
}

type esploraTx struct {
	TxID string `json:"txid"`
	Vout []struct {
		Script string `json:"scriptpubkey"`
		Value  int64  `json:"value"`
	} `json:"vout"`
	Status struct {
		Confirmed   bool   `json:"confirmed"`
		BlockHeight uint64 `json:"block_height"`
		BlockHash   string `json:"block_hash"`
	} `json:"status"`
}

// AddressTransfers returns the transfers to addr that Esplora lists (its newest
// transactions: up to 50 unconfirmed and 25 confirmed), for a targeted rescan.
func (e *Esplora) AddressTransfers(ctx context.Context, addr string) ([]chains.Transfer, error) {
	script, err := AddressScript(addr, e.params)
	if err != nil {
		return nil, err
	}
	body, err := e.get(ctx, "/address/"+addr+"/txs", 16<<20)
	if err != nil {
		return nil, err
	}
	var txs []esploraTx
	if err := json.Unmarshal(body, &txs); err != nil {
		return nil, fmt.Errorf("esplora: address txs: %w", err)
	}
	want := fmt.Sprintf("%x", script)
	var out []chains.Transfer
	for _, tx := range txs {
		for i, o := range tx.Vout {
			if o.Script != want || o.Value <= 0 {
				continue
			}
			t := chains.Transfer{Asset: e.native, To: addr, Amount: big.NewInt(o.Value), TxID: tx.TxID, Index: uint32(i)}
			if tx.Status.Confirmed {
				t.Block = chains.BlockRef{Height: tx.Status.BlockHeight, Hash: tx.Status.BlockHash}
			}
			out = append(out, t)
		}
	}
	return out, nil
}
