package apiclient_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/internal/apiclient"
	"github.com/kassapay/kassa/kassatest"
)

// signer authenticates every request of the generated client: the key as a bearer
// token and, for writes, the timestamp and signature the document's security
// schemes describe.
func signer(secret, prefix string) apiclient.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+secret)
		if req.Method == http.MethodGet {
			return nil
		}
		var body []byte
		if req.Body != nil {
			var err error
			if body, err = io.ReadAll(req.Body); err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + req.Method + prefix + req.URL.RequestURI()))
		m.Write(body)
		req.Header.Set("X-Kassa-Timestamp", ts)
		req.Header.Set("X-Kassa-Signature", hex.EncodeToString(m.Sum(nil)))
		return nil
	}
}

// TestGeneratedClientFlow is a test-mode flow through the client oapi-codegen made
// from the document: create an invoice, pay it on the test chain, read it paid, find
// its invoice.paid event.
func TestGeneratedClientFlow(t *testing.T) {
	ctx := context.Background()
	env := kassatest.New(t)
	h, err := httphandler.New(env.Gateway, httphandler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	key, err := env.Gateway.Keys().Create(ctx, apikey.CreateParams{Mode: asset.Test, Label: "generated client"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := apiclient.NewClientWithResponses(srv.URL, apiclient.WithRequestEditorFn(signer(key.Secret, "")))
	if err != nil {
		t.Fatal(err)
	}

	order := "ORD-42"
	created, err := c.CreateInvoiceWithResponse(ctx, &apiclient.CreateInvoiceParams{},
		apiclient.CreateInvoiceRequest{Amount: "25.00", Currency: ptr("USD"), OrderId: &order})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %s", err, body(created.HTTPResponse, created.Body))
	}
	inv := created.JSON201.Data
	if inv.Status != apiclient.InvoiceStatusPending || len(inv.PaymentMethods) == 0 || inv.OrderId == nil || *inv.OrderId != order {
		t.Fatalf("created %+v", inv)
	}

	confirmations := 19
	paid, err := c.TestPayInvoiceWithResponse(ctx, inv.Id, &apiclient.TestPayInvoiceParams{},
		apiclient.TestPayRequest{Currency: "USDT_TRON", Amount: "25", Confirmations: &confirmations})
	if err != nil || paid.JSON200 == nil {
		t.Fatalf("test pay: %v %s", err, body(paid.HTTPResponse, paid.Body))
	}

	got, err := c.GetInvoiceWithResponse(ctx, inv.Id)
	if err != nil || got.JSON200 == nil || got.JSON200.Data.Status != apiclient.InvoiceStatusPaid || got.JSON200.Data.AmountPaid != "25" {
		t.Fatalf("read back: %v %s", err, body(got.HTTPResponse, got.Body))
	}

	typ := "invoice.paid"
	evs, err := c.ListEventsWithResponse(ctx, &apiclient.ListEventsParams{Type: &typ})
	if err != nil || evs.JSON200 == nil {
		t.Fatalf("events: %v %s", err, body(evs.HTTPResponse, evs.Body))
	}
	found := false
	for _, e := range evs.JSON200.Data {
		if d, ok := e.Data.(map[string]any); ok && e.Type == typ && d["id"] == inv.Id {
			found = true
		}
	}
	if !found || evs.JSON200.Pagination.Total < 1 {
		t.Fatalf("no invoice.paid event for %s in %s", inv.Id, evs.Body)
	}

	// An error comes back typed too.
	bad, err := c.CreateInvoiceWithResponse(ctx, &apiclient.CreateInvoiceParams{}, apiclient.CreateInvoiceRequest{Amount: "-1", Currency: ptr("USD")})
	if err != nil || bad.JSON422 == nil || bad.JSON422.Error.Code != "validation_error" {
		t.Fatalf("a negative amount: %v %s", err, body(bad.HTTPResponse, bad.Body))
	}
}

func body(res *http.Response, b []byte) string {
	if res == nil {
		return "(no answer)"
	}
	return res.Status + " " + string(b)
}

func ptr[T any](v T) *T { return &v }
