package kassa_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/storage/storagetest"
	"github.com/kassapay/kassa/webhook"
)

// mapResolver answers from a map, records the hosts it is asked for and the deadline
// of each lookup's context.
type mapResolver struct {
	mu        sync.Mutex
	addrs     map[string]string
	asked     []string
	deadlines []time.Time
}

func (m *mapResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked = append(m.asked, host)
	d, _ := ctx.Deadline()
	m.deadlines = append(m.deadlines, d)
	ip, ok := m.addrs[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}

// guardedGateway is a Gateway with the production webhook setting (AllowPrivate off)
// and a Bitcoin test chain, resolving hosts with r.
func guardedGateway(t *testing.T, r webhook.Resolver) testGateway {
	t.Helper()
	return gatewayWith(t, kassa.Config{Chains: []chains.Backend{simChain(asset.Bitcoin, asset.Test)}, Webhooks: webhook.Options{Resolver: r}})
}

// TestInvoice_CallbackURLMustBePublic: a url_callback the webhook dialler would refuse
// (loopback, private, a number that is 127.0.0.1) is refused when the invoice is
// created, as a validation error on url_callback, and nothing is written; numbers are
// never given to the resolver; a public one is kept.
func TestInvoice_CallbackURLMustBePublic(t *testing.T) {
	r := &mapResolver{addrs: map[string]string{"shop.example": "93.184.216.34", "inside.example": "10.0.0.7"}}
	g := guardedGateway(t, r)
	ctx := context.Background()
	before, err := storagetest.Digest(ctx, g.store)
	if err != nil {
		t.Fatal(err)
	}
	for u, cause := range map[string]error{
		"http://127.0.0.1/cb":          webhook.ErrPrivateAddress,
		"http://localhost:8080/cb":     webhook.ErrPrivateAddress,
		"http://[::1]/cb":              webhook.ErrPrivateAddress,
		"http://[::ffff:0:7f00:1]/cb":  webhook.ErrPrivateAddress,
		"http://inside.example/cb":     webhook.ErrPrivateAddress,
		"http://2130706433/cb":         webhook.ErrBadURL,
		"http://0x7f000001/cb":         webhook.ErrBadURL,
		"https://user:pw@shop.example": webhook.ErrBadURL,
		"http://nowhere.example/cb":    webhook.ErrUnresolvable,
	} {
		inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.01"), Currency: "BTC", CallbackURL: u})
		var ve *kassa.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields["url_callback"]) == 0 || len(ve.Fields) != 1 || !errors.Is(err, cause) {
			t.Errorf("%s: created %t, error %v; want a validation error on url_callback (%v)", u, inv != nil, err, cause)
		}
	}
	after, err := storagetest.Digest(ctx, g.store)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("refused invoices changed the store:\n%s\n%s", before, after)
	}
	for _, h := range r.asked {
		if h != "inside.example" && h != "nowhere.example" {
			t.Errorf("the resolver was asked for %q", h)
		}
	}
	for _, d := range r.deadlines {
		if d.IsZero() || time.Until(d) > 5*time.Second {
			t.Errorf("a url_callback lookup ran with deadline %v, want at most 5 s", d)
		}
	}
	inv, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.01"), Currency: "BTC", CallbackURL: "https://shop.example/cb"})
	if err != nil || inv.CallbackURL != "https://shop.example/cb" {
		t.Fatalf("public url_callback: %v, %v", inv, err)
	}
}

// TestInvoice_CallbackLookupEndsWithTheRequest: a resolver that never answers does not
// hold an invoice create past its caller's deadline, and nothing is written.
func TestInvoice_CallbackLookupEndsWithTheRequest(t *testing.T) {
	g := guardedGateway(t, blockUntilDone{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := g.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: dec("0.01"), Currency: "BTC", CallbackURL: "https://slow.example/"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("create with a hanging resolver: %v", err)
	}
	if l, _, err := g.Invoices().List(context.Background(), invoice.ListParams{Mode: asset.Test, Limit: 10}); err != nil || len(l) != 0 {
		t.Fatalf("invoices %v, %v", l, err)
	}
}

type blockUntilDone struct{}

func (blockUntilDone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
