package bitcoin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// RPC is a JSON-RPC client for the bitcoind-compatible API that Bitcoin Core, btcd and
// Litecoin Core speak. It is written here, not taken from btcd's rpcclient, because
// every call must take a context.Context (rpcclient's do not) and the backend needs only
// a dozen methods.
type RPC struct {
	url, user, pass string
	client          *http.Client
	id              atomic.Uint64
}

// RPCConfig configures an RPC client.
type RPCConfig struct {
	// URL of the node's RPC server, "http://127.0.0.1:18443".
	URL        string
	User, Pass string
	// Timeout bounds one call (default 30 s).
	Timeout time.Duration
	// Transport carries the calls (default http.DefaultTransport): custom TLS, a
	// proxy, or a test's fault injection.
	Transport http.RoundTripper
}

// NewRPC returns a client.
func NewRPC(cfg RPCConfig) (*RPC, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("bitcoin: RPC URL must be http(s): %q", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &RPC{url: cfg.URL, user: cfg.User, pass: cfg.Pass, client: &http.Client{Timeout: cfg.Timeout, Transport: cfg.Transport}}, nil
}

// RPCError is an error the node answered with.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// Well-known RPC error codes.
const (
	codeMethodNotFound = -32601
	codeNoInformation  = -5 // unknown transaction or block
)

// IsCode reports whether err is an RPC error with code.
func IsCode(err error, code int) bool {
	var re *RPCError
	return errors.As(err, &re) && re.Code == code
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type response struct {
	ID     uint64          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
}

// maxResponse bounds a response body (a 4 MB block is 8 MB of hex).
const maxResponse = 64 << 20

// Call calls method with params and decodes the result into out (which may be nil).
func (c *RPC) Call(ctx context.Context, method string, out any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(request{JSONRPC: "1.0", ID: c.id.Add(1), Method: method, Params: params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: RPC credentials refused (HTTP 401)", method)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d: undecodable response: %.200s", method, resp.StatusCode, raw)
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %w", method, r.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%s: result: %w", method, err)
	}
	return nil
}
