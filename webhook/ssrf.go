package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/kassapay/kassa/internal/netguard"
)

// URL errors. They are the errors of the SSRF guard that invoice creation uses for
// url_callback as well, so errors.Is matches either.
var (
	ErrBadURL         = netguard.ErrBadURL
	ErrPrivateAddress = netguard.ErrPrivateAddress
	ErrUnresolvable   = netguard.ErrUnresolvable
)

// Resolver looks up hosts; *net.Resolver is one. Tests substitute their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// PublicIP reports whether ip is a public unicast address: not loopback, private,
// link-local such as the cloud metadata address 169.254.169.254, multicast,
// unspecified, documentation or reserved, nor an IPv6 form that translates or tunnels
// to IPv4 (an IPv4-mapped address is judged as its IPv4 address).
func PublicIP(ip netip.Addr) bool { return netguard.PublicIP(ip) }

// guard checks URLs and dials only allowed addresses.
type guard struct {
	allowPrivate bool
	resolver     Resolver
	dialTimeout  time.Duration
}

func (g guard) net() netguard.Guard {
	return netguard.Guard{Resolver: g.resolver, AllowPrivate: g.allowPrivate}
}

// parseURL checks the shape of an endpoint URL.
func parseURL(raw string) (*url.URL, error) { return netguard.ParseURL(raw) }

// check parses raw and, unless private networks are allowed, resolves its host and
// refuses it if any address is not public.
func (g guard) check(ctx context.Context, raw string) error { return g.net().CheckURL(ctx, raw) }

// dial resolves the host itself and connects only to an allowed address: a name that
// resolved to a public address at creation and to a private one now is refused here,
// and so is a host that is a number in a form other than a.b.c.d (never resolved).
func (g guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ng := g.net()
	ips, err := ng.Lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: g.dialTimeout}
	var last error = fmt.Errorf("%w (%s)", ErrPrivateAddress, host)
	for _, ip := range ips {
		if !ng.Allowed(ip) {
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}
