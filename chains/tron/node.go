package tron

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kassapay/kassa/chains"
)

// maxResponse bounds what one answer of the node may weigh: a mainnet block with its
// transaction infos is a few megabytes.
const maxResponse = 64 << 20

// APIKeyHeader is the header TronGrid reads its API key from.
const APIKeyHeader = "TRON-PRO-API-KEY"

// call posts body (JSON) to the node's path and decodes the answer into out. A node
// that cannot be reached, answers other than 200 or answers {"Error": ...} gives an
// error wrapping chains.ErrUnavailable.
func (b *Backend) call(ctx context.Context, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	for k, v := range b.cfg.HTTPHeaders {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if b.cfg.APIKey != "" {
		req.Header.Set(APIKeyHeader, b.cfg.APIKey)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: tron %s: %v", chains.ErrUnavailable, path, redactErr(err, b.base))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	switch {
	case err != nil:
		return fmt.Errorf("%w: tron %s: %v", chains.ErrUnavailable, path, err)
	case len(data) > maxResponse:
		return fmt.Errorf("%w: tron %s: answer above %d bytes", chains.ErrUnavailable, path, maxResponse)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: tron %s: HTTP %d: %s", chains.ErrUnavailable, path, resp.StatusCode, clip(data))
	}
	var e struct {
		Error string `json:"Error"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && json.Unmarshal(data, &e) == nil && e.Error != "" {
		return fmt.Errorf("%w: tron %s: %s", chains.ErrUnavailable, path, e.Error)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: tron %s: %v", chains.ErrUnavailable, path, err)
	}
	return nil
}

// redactErr keeps the node's URL (which may carry a key in its path) out of errors.
func redactErr(err error, base string) string {
	return strings.ReplaceAll(err.Error(), base, "<node>")
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// nodeBlock is a block as wallet/getblockbynum and wallet/getnowblock write it
// (visible=false: addresses in hex, 41...).
type nodeBlock struct {
	BlockID string `json:"blockID"`
	Header  struct {
		Raw struct {
			Number     int64  `json:"number"`
			ParentHash string `json:"parentHash"`
			Timestamp  int64  `json:"timestamp"`
		} `json:"raw_data"`
	} `json:"block_header"`
	Transactions []nodeTx `json:"transactions"`
}

// nodeTx is a transaction of a block, or one a node built (with raw_data_hex).
type nodeTx struct {
	TxID string `json:"txID"`
	Ret  []struct {
		ContractRet string `json:"contractRet"`
	} `json:"ret,omitempty"`
	Raw struct {
		Contract []struct {
			Type      string `json:"type"`
			Parameter struct {
				Value contractValue `json:"value"`
			} `json:"parameter"`
		} `json:"contract"`
	} `json:"raw_data"`
	RawHex string `json:"raw_data_hex,omitempty"`
}

// contractValue holds the fields Kassa reads of TransferContract and
// TriggerSmartContract parameters.
type contractValue struct {
	Amount   json.Number `json:"amount"`
	Owner    string      `json:"owner_address"`
	To       string      `json:"to_address"`
	Contract string      `json:"contract_address"`
	Data     string      `json:"data"`
}

// succeeded says whether the block reports the transaction's contract succeeded.
func (t *nodeTx) succeeded() bool { return len(t.Ret) > 0 && t.Ret[0].ContractRet == "SUCCESS" }

// ref is the block's BlockRef.
func (n *nodeBlock) ref() (chains.BlockRef, error) {
	if len(n.BlockID) != 64 || n.Header.Raw.Number < 0 {
		return chains.BlockRef{}, fmt.Errorf("%w: tron: not a block (blockID %q)", chains.ErrUnavailable, n.BlockID)
	}
	return chains.BlockRef{Height: uint64(n.Header.Raw.Number), Hash: n.BlockID, Parent: n.Header.Raw.ParentHash,
		Time: time.UnixMilli(n.Header.Raw.Timestamp).UTC()}, nil
}

// txInfo is wallet/gettransactioninfobyblocknum's (and gettransactioninfobyid's)
// record of one transaction's execution.
type txInfo struct {
	ID          string `json:"id"`
	Fee         int64  `json:"fee"` // sun burnt, all of it (bandwidth, energy, activation)
	BlockNumber int64  `json:"blockNumber"`
	Result      string `json:"result"` // "FAILED" when it failed; absent when it succeeded
	Receipt     struct {
		Result string `json:"result"` // SUCCESS, REVERT, OUT_OF_ENERGY...; absent for a system contract
	} `json:"receipt"`
	Log []struct {
		Address string   `json:"address"` // 20 bytes in hex, without 41
		Topics  []string `json:"topics"`
		Data    string   `json:"data"`
	} `json:"log"`
}

// transferTopic is the Transfer(address,address,uint256) event's topic, in hex as the
// node writes it.
const transferTopic = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

// hex20 reads 20 address bytes from hex: 40 digits, 42 with the 41 version byte, or
// 64 (a topic, the address in its last 20 bytes).
func hex20(s string) ([20]byte, bool) {
	var a [20]byte
	switch len(s) {
	case 42:
		if !strings.HasPrefix(s, "41") {
			return a, false
		}
		s = s[2:]
	case 64:
		if strings.Trim(s[:24], "0") != "" {
			return a, false
		}
		s = s[24:]
	case 40:
	default:
		return a, false
	}
	if _, err := hex.Decode(a[:], []byte(s)); err != nil {
		return a, false
	}
	return a, true
}

var errStale = fmt.Errorf("%w: tron: the block changed between two reads (a reorg under way)", chains.ErrUnavailable)
