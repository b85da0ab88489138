package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

// fakeResolver answers from a map and can be changed between calls.
type fakeResolver map[string]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ip, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}

func TestGuard_RefusesPrivateAndBadURLs(t *testing.T) {
	g := guard{resolver: fakeResolver{"shop.example": "93.184.216.34", "evil.example": "127.0.0.1", "meta.example": "169.254.169.254"}}
	ctx := context.Background()
	if err := g.check(ctx, "https://shop.example/hooks"); err != nil {
		t.Fatalf("public URL refused: %v", err)
	}
	cases := map[string]error{
		"http://127.0.0.1:8080/":         ErrPrivateAddress,
		"http://[::1]/":                  ErrPrivateAddress,
		"http://10.1.2.3/":               ErrPrivateAddress,
		"http://192.168.0.10/":           ErrPrivateAddress,
		"http://169.254.169.254/latest/": ErrPrivateAddress,
		"http://100.64.0.1/":             ErrPrivateAddress,
		"http://0.0.0.0/":                ErrPrivateAddress,
		"http://[::ffff:127.0.0.1]/":     ErrPrivateAddress,
		"http://evil.example/":           ErrPrivateAddress, // a DNS name that resolves to 127.0.0.1
		"http://meta.example/":           ErrPrivateAddress,
		"http://nowhere.example/":        ErrUnresolvable,
		"ftp://shop.example/":            ErrBadURL,
		"javascript:alert(1)":            ErrBadURL,
		"https://user:pw@shop.example/":  ErrBadURL,
		"/relative":                      ErrBadURL,
		"https://":                       ErrBadURL,
		"":                               ErrBadURL,
	}
	for u, want := range cases {
		if err := g.check(ctx, u); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", u, err, want)
		}
	}
	// The real resolver: "localhost" resolves to loopback.
	real := guard{resolver: net.DefaultResolver}
	if err := real.check(ctx, "http://localhost:9999/"); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("localhost: %v", err)
	}
	// Allowed for tests and local development.
	if err := (guard{allowPrivate: true, resolver: g.resolver}).check(ctx, "http://127.0.0.1:1/"); err != nil {
		t.Errorf("allowPrivate: %v", err)
	}
}

func TestGuard_DialRefusesWhenDNSChanges(t *testing.T) {
	r := fakeResolver{"shop.example": "93.184.216.34"}
	g := guard{resolver: r}
	if err := g.check(context.Background(), "http://shop.example/"); err != nil {
		t.Fatal(err)
	}
	r["shop.example"] = "127.0.0.1" // rebinding after the check
	if _, err := g.dial(context.Background(), "tcp", "shop.example:80"); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("dial after DNS change: %v", err)
	}
}

func TestPublicIP(t *testing.T) {
	for ip, want := range map[string]bool{"8.8.8.8": true, "2606:4700::1111": true, "172.16.5.4": false, "fd00::1": false, "fe80::1": false, "224.0.0.1": false, "198.18.0.1": false} {
		if got := PublicIP(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %v", ip, got)
		}
	}
}

// askedResolver fails every lookup and records the hosts it was asked for.
type askedResolver struct{ asked []string }

func (a *askedResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	a.asked = append(a.asked, host)
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestGuard_DialRefusesWhatTheCheckRefuses: at delivery the dialler refuses hosts that
// are numbers in a form other than a.b.c.d without resolving them (also with private
// addresses allowed: a C resolver would read 2130706433 as 127.0.0.1), and the special
// IPv6 forms that lead to IPv4 addresses.
func TestGuard_DialRefusesWhatTheCheckRefuses(t *testing.T) {
	r := &askedResolver{}
	for _, allow := range []bool{false, true} {
		g := guard{resolver: r, allowPrivate: allow}
		for _, addr := range []string{"2130706433:80", "0x7f000001:80", "0177.0.0.1:80", "127.1:80", "127.0.0.1.:80"} {
			if _, err := g.dial(context.Background(), "tcp", addr); !errors.Is(err, ErrBadURL) {
				t.Errorf("allowPrivate %t, dial %s: %v", allow, addr, err)
			}
		}
	}
	g := guard{resolver: r}
	for _, addr := range []string{"[::127.0.0.1]:80", "[::ffff:0:7f00:1]:80", "[64:ff9b:1::a00:1]:80", "[2002:7f00:1::1]:80", "[fec0::1]:80", "localhost:80"} {
		if _, err := g.dial(context.Background(), "tcp", addr); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("dial %s: %v", addr, err)
		}
	}
	if len(r.asked) != 0 {
		t.Fatalf("the resolver was asked for %v", r.asked)
	}
}
