package netguard

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeResolver answers from a map and records every host it is asked for.
type fakeResolver struct {
	mu    sync.Mutex
	addrs map[string][]string
	asked []string
}

func (f *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, host)
	ips, ok := f.addrs[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func TestPublicIP_Ranges(t *testing.T) {
	cases := map[string]bool{
		// Public.
		"8.8.8.8": true, "93.184.216.34": true, "1.1.1.1": true, "192.0.1.1": true, "100.63.255.255": true,
		"100.128.0.0": true, "198.17.255.255": true, "198.20.0.0": true, "192.88.98.255": true, "223.255.255.255": true,
		"2606:4700::1111": true, "2a00:1450:4001::1": true, "2001:200::1": true, "2001:db9::1": true, "3fff:1000::1": true,
		"::ffff:8.8.8.8": true,
		// IPv4 that is not.
		"0.0.0.0": false, "0.1.2.3": false, "10.0.0.1": false, "127.0.0.1": false, "127.255.255.254": false,
		"100.64.0.1": false, "100.127.255.255": false, "169.254.169.254": false, "172.16.0.1": false, "172.31.255.255": false,
		"192.0.0.1": false, "192.0.0.255": false, "192.0.2.1": false, "192.88.99.1": false, "192.168.1.1": false,
		"198.18.0.1": false, "198.19.255.255": false, "198.51.100.7": false, "203.0.113.9": false, "224.0.0.1": false,
		"239.255.255.250": false, "240.0.0.1": false, "255.255.255.255": false,
		// IPv6 that is not.
		"::": false, "::1": false, "fe80::1": false, "febf::1": false, "fec0::1": false, "feff::1": false, "fc00::1": false,
		"fd00::1": false, "ff02::1": false, "ff0e::1": false, "100::1": false, "100::ffff:ffff:ffff:ffff": false,
		"2001:db8::1": false, "2001:db8:ffff::1": false, "3fff::1": false, "3fff:fff::1": false, "2001::1": false,
		"2001:1ff::1": false, "2002::1": false, "64:ff9b::1": false, "64:ff9b:1::1": false, "5f00::1": false,
		"::127.0.0.1": false, "::ffff:0:7f00:1": false, "::ffff:127.0.0.1": false,
		// A zone only means something on a link.
		"fe80::1%eth0": false, "2606:4700::1111%eth0": false,
	}
	for s, want := range cases {
		if got := PublicIP(netip.MustParseAddr(s)); got != want {
			t.Errorf("PublicIP(%s) = %v, want %v", s, got, want)
		}
	}
	if PublicIP(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// TestPublicIP_EmbeddedIPv4: an IPv6 address that carries an IPv4 one is refused if that
// IPv4 address is; only the IPv4-mapped form, which is the IPv4 address itself, may be
// public. Translated and tunnelled forms are refused whatever they carry: a translator
// or relay on the path decides where they end up.
func TestPublicIP_EmbeddedIPv4(t *testing.T) {
	v4s := []string{"127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.10", "100.64.0.1", "0.0.0.0", "192.0.2.1", "8.8.8.8", "93.184.216.34"}
	embed := map[string]func(v4 [4]byte) netip.Addr{
		"IPv4-compatible ::a.b.c.d": func(v [4]byte) netip.Addr { return from(nil, v) },
		"IPv4-mapped ::ffff:a.b.c.d": func(v [4]byte) netip.Addr {
			return from([]byte{10: 0xff, 11: 0xff}, v)
		},
		"IPv4-translated ::ffff:0:a.b.c.d": func(v [4]byte) netip.Addr {
			return from([]byte{8: 0xff, 9: 0xff}, v)
		},
		"NAT64 64:ff9b::a.b.c.d": func(v [4]byte) netip.Addr { return from([]byte{0, 0x64, 0xff, 0x9b}, v) },
		"local NAT64 64:ff9b:1::a.b.c.d": func(v [4]byte) netip.Addr {
			return from([]byte{0, 0x64, 0xff, 0x9b, 0, 1}, v)
		},
		"6to4 2002:AABB:CCDD::1": func(v [4]byte) netip.Addr {
			b := [16]byte{0x20, 0x02, v[0], v[1], v[2], v[3], 15: 1}
			return netip.AddrFrom16(b)
		},
		"Teredo 2001:0:server:...:^client": func(v [4]byte) netip.Addr {
			b := [16]byte{0x20, 0x01, 0, 0, 198, 51, 100, 1}
			binary.BigEndian.PutUint32(b[12:], ^binary.BigEndian.Uint32(v[:]))
			return netip.AddrFrom16(b)
		},
	}
	for name, f := range embed {
		for _, s := range v4s {
			v4 := netip.MustParseAddr(s)
			ip := f(v4.As4())
			want := name == "IPv4-mapped ::ffff:a.b.c.d" && PublicIP(v4)
			if got := PublicIP(ip); got != want {
				t.Errorf("%s with %s (%s): %v, want %v", name, s, ip, got, want)
			}
			// Written in a URL, the address is refused before any lookup.
			r := &fakeResolver{}
			err := Guard{Resolver: r}.CheckURL(context.Background(), "http://["+ip.String()+"]:8080/hook")
			if want != (err == nil) || err != nil && !errors.Is(err, ErrPrivateAddress) {
				t.Errorf("CheckURL with %s (%s): %v", name, ip, err)
			}
			if len(r.asked) != 0 {
				t.Errorf("an address literal was resolved: %v", r.asked)
			}
		}
	}
}

// from builds an IPv6 address from a prefix of up to 12 bytes and an IPv4 address in
// the last 4.
func from(prefix []byte, v4 [4]byte) netip.Addr {
	var b [16]byte
	copy(b[:], prefix)
	copy(b[12:], v4[:])
	return netip.AddrFrom16(b)
}

// TestCheckURL_Shapes: only absolute http(s) URLs without credentials, and hosts that
// are a name or a canonical address; a number in any other form (which some resolvers
// and every browser read as an IPv4 address) is refused, never looked up, also when
// private addresses are allowed.
func TestCheckURL_Shapes(t *testing.T) {
	r := &fakeResolver{addrs: map[string][]string{
		"shop.example": {"93.184.216.34"}, "shop.example.": {"93.184.216.34"}, "0day.example": {"93.184.216.35"},
		"123.example": {"2606:4700::1111"}, "evil.example": {"127.0.0.1"}, "mixed.example": {"93.184.216.34", "10.0.0.7"},
		"v6.example": {"::ffff:0:7f00:1"}, "mapped.example": {"::ffff:93.184.216.34"}, "empty.example": {},
	}}
	cases := map[string]error{
		"https://shop.example/hooks":         nil,
		"http://shop.example.:8443/x?y=1#z":  nil,
		"http://0day.example/":               nil,
		"http://123.example/":                nil,
		"http://mapped.example/":             nil,
		"http://8.8.8.8/":                    nil,
		"http://[2606:4700::1111]/":          nil,
		"http://127.0.0.1:8080/":             ErrPrivateAddress,
		"http://[::1]/":                      ErrPrivateAddress,
		"http://[::127.0.0.1]/":              ErrPrivateAddress,
		"http://[::ffff:0:7f00:1]/":          ErrPrivateAddress,
		"http://[::ffff:127.0.0.1]/":         ErrPrivateAddress,
		"http://[fe80::1%25eth0]/":           ErrPrivateAddress,
		"http://%31%32%37.0.0.1/":            ErrBadURL,
		"http://localhost/":                  ErrPrivateAddress,
		"http://LocalHost.:9000/":            ErrPrivateAddress,
		"http://api.localhost/":              ErrPrivateAddress,
		"http://evil.example/":               ErrPrivateAddress,
		"http://mixed.example/":              ErrPrivateAddress,
		"http://v6.example/":                 ErrPrivateAddress,
		"http://nowhere.example/":            ErrUnresolvable,
		"http://empty.example/":              ErrUnresolvable,
		"http://2130706433/":                 ErrBadURL,
		"http://0x7f000001/":                 ErrBadURL,
		"http://0X7F.0.0.1/":                 ErrBadURL,
		"http://0177.0.0.1/":                 ErrBadURL,
		"http://127.1/":                      ErrBadURL,
		"http://127.0.0.1./":                 ErrBadURL,
		"http://1.2.3.04/":                   ErrBadURL,
		"http://8.8.8.8.8/":                  ErrBadURL,
		"http://shop.0x1/":                   ErrBadURL,
		"http://shop.example.123/":           ErrBadURL,
		"ftp://shop.example/":                ErrBadURL,
		"javascript:alert(1)":                ErrBadURL,
		"https://user:pw@shop.example/":      ErrBadURL,
		"https://user@shop.example/":         ErrBadURL,
		"/relative":                          ErrBadURL,
		"https://":                           ErrBadURL,
		"https://:443/":                      ErrBadURL,
		"http:shop.example":                  ErrBadURL,
		"":                                   ErrBadURL,
		"https://shop.example/" + long(2048): ErrBadURL,
	}
	ctx := context.Background()
	for u, want := range cases {
		if err := (Guard{Resolver: r}).CheckURL(ctx, u); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("%q: %v, want %v", u, err, want)
		}
	}
	// Allowed private addresses still need the shape, and still never resolve numbers.
	open := Guard{Resolver: r, AllowPrivate: true}
	for u, want := range cases {
		if !errors.Is(want, ErrBadURL) {
			want = nil
		}
		if err := open.CheckURL(ctx, u); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("AllowPrivate %q: %v, want %v", u, err, want)
		}
	}
	for _, h := range r.asked {
		if _, known := r.addrs[h]; !known && h != "nowhere.example" {
			t.Errorf("resolver asked for %q", h)
		}
	}
}

func long(n int) string { return strings.Repeat("a", n) }

// TestGuard_Lookup is what a dialler uses: numbers in other forms are refused there too,
// localhost names are loopback without a lookup, mapped addresses come back as IPv4.
func TestGuard_Lookup(t *testing.T) {
	r := &fakeResolver{addrs: map[string][]string{"mapped.example": {"::ffff:93.184.216.34", "2606:4700::1111"}}}
	g := Guard{Resolver: r, AllowPrivate: true}
	ctx := context.Background()
	for _, h := range []string{"2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.0.1."} {
		if _, err := g.Lookup(ctx, h); !errors.Is(err, ErrBadURL) {
			t.Errorf("Lookup(%q): %v", h, err)
		}
	}
	if ips, err := g.Lookup(ctx, "localhost"); err != nil || len(ips) == 0 || !ips[0].IsLoopback() {
		t.Errorf("Lookup(localhost) = %v, %v", ips, err)
	}
	ips, err := g.Lookup(ctx, "mapped.example")
	if err != nil || len(ips) != 2 || ips[0] != netip.MustParseAddr("93.184.216.34") || ips[1] != netip.MustParseAddr("2606:4700::1111") {
		t.Errorf("Lookup(mapped.example) = %v, %v", ips, err)
	}
	if len(r.asked) != 1 {
		t.Errorf("resolver asked %v", r.asked)
	}
}

// blockingResolver answers only when its context ends, as a resolver whose DNS server
// never replies; it records the deadline it was given.
type blockingResolver struct {
	mu       sync.Mutex
	deadline time.Time
	block    bool
}

func (b *blockingResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	d, _ := ctx.Deadline()
	b.mu.Lock()
	b.deadline = d
	b.mu.Unlock()
	if !b.block {
		return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
	}
	<-ctx.Done()
	return nil, &net.DNSError{Err: ctx.Err().Error(), Name: host, IsTimeout: true}
}

// TestCheckURL_LookupTimesOut: a resolver that never answers costs LookupTimeout (5 s by
// default), then the check fails with an error that says so; a caller's own
// cancellation is returned as such, not as a bad URL.
func TestCheckURL_LookupTimesOut(t *testing.T) {
	r := &blockingResolver{block: true}
	done := make(chan error, 1)
	go func() {
		done <- Guard{Resolver: r, LookupTimeout: 50 * time.Millisecond}.CheckURL(context.Background(), "https://slow.example/hook")
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnresolvable) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "slow.example did not answer within 50ms") {
			t.Fatalf("blocked lookup: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("CheckURL hangs on a resolver that never answers")
	}

	// The default is 5 s: the resolver is given a context that ends by then.
	r = &blockingResolver{}
	start := time.Now()
	if err := (Guard{Resolver: r}).CheckURL(context.Background(), "https://slow.example/"); !errors.Is(err, ErrUnresolvable) {
		t.Fatalf("failed lookup: %v", err)
	}
	end := time.Now()
	if r.deadline.Before(start.Add(DefaultLookupTimeout)) || r.deadline.After(end.Add(DefaultLookupTimeout)) {
		t.Fatalf("lookup deadline %v after the start, want %v", r.deadline.Sub(start), DefaultLookupTimeout)
	}

	// The caller cancelling is not the host's fault.
	ctx, cancel := context.WithCancel(context.Background())
	r = &blockingResolver{block: true}
	go cancel()
	err := Guard{Resolver: r}.CheckURL(ctx, "https://slow.example/")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnresolvable) {
		t.Fatalf("cancelled lookup: %v", err)
	}
}
