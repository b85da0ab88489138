package torture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kassapay/kassa/httphandler"

	"github.com/shopspring/decimal"
)

// client calls the API as a shop would: Bearer key, JSON bodies, Idempotency-Key on
// POSTs it may retry.
type client struct {
	base string
	key  string
	hc   *http.Client
}

func newClient(base, key string) *client {
	return &client{base: base, key: key, hc: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// errTransport marks a request whose outcome is unknown (no answer: the server died or
// was not listening).
var errTransport = errors.New("no answer")

// do sends a request; out receives the answer's data. A request without an answer
// returns an error wrapping errTransport.
func (c *client) do(ctx context.Context, method, path string, body any, idem string, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if method != http.MethodGet {
		// Signed afresh on every attempt: a signature is accepted once.
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		req.Header.Set("X-Kassa-Timestamp", ts)
		req.Header.Set("X-Kassa-Signature", httphandler.Sign(c.key, ts, method, path, raw))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errTransport, err)
	}
	defer res.Body.Close()
	raw, err = io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%w: %v", errTransport, err)
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  *apiError       `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: %d, not JSON: %.200q", method, path, res.StatusCode, raw)
	}
	if res.StatusCode >= 300 || env.Error != nil {
		e := env.Error
		if e == nil {
			e = &apiError{}
		}
		e.Status = res.StatusCode
		return e
	}
	if out != nil {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}

// method is the part of an invoice answer the harness needs.
type method struct {
	Code          string          `json:"code"`
	Network       string          `json:"network"`
	Address       string          `json:"address"`
	AmountDue     decimal.Decimal `json:"amount_due"`
	Confirmations int             `json:"confirmations_required"`
}

type invoiceAnswer struct {
	ID      string   `json:"id"`
	Status  string   `json:"status"`
	Methods []method `json:"payment_methods"`
}

type refundAnswer struct {
	ID          string          `json:"id"`
	InvoiceID   string          `json:"invoice_id"`
	Status      string          `json:"status"`
	Destination *string         `json:"destination_address"`
	Metadata    json.RawMessage `json:"metadata"`
}

type payoutAnswer struct {
	ID          string          `json:"payout_id"`
	Status      string          `json:"status"`
	Code        string          `json:"code"`
	Destination string          `json:"destination_address"`
	Amount      decimal.Decimal `json:"amount"`
	NetAmount   decimal.Decimal `json:"net_amount"`
	TxHash      string          `json:"tx_hash"`
}

// retryable reports whether a request may be sent again as it is: no answer, a
// server error, or the server still holding the Idempotency-Key.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Code == "idempotency_in_progress" || ae.Status == http.StatusTooManyRequests
	}
	return errors.Is(err, errTransport)
}

// getPublic GETs a public path (no key) and wants a 200.
func (c *client) getPublic(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errTransport, err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return &apiError{Status: res.StatusCode}
	}
	return nil
}
