package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// URL errors.
var (
	ErrBadURL         = errors.New("must be an absolute http(s) URL without credentials, at most 2048 bytes")
	ErrPrivateAddress = errors.New("resolves to a loopback, private, link-local or reserved address")
	ErrUnresolvable   = errors.New("host does not resolve")
)

// Resolver looks up hosts; *net.Resolver is one. Tests substitute their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// reserved are ranges no webhook may reach besides the ones netip classifies.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach private IPv4
}

// PublicIP reports whether ip is a public unicast address (not loopback, private,
// link-local such as the cloud metadata address 169.254.169.254, multicast,
// unspecified or reserved).
func PublicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// guard checks URLs and dials only allowed addresses.
type guard struct {
	allowPrivate bool
	resolver     Resolver
	dialTimeout  time.Duration
}

// parse checks the shape of an endpoint URL.
func parseURL(raw string) (*url.URL, error) {
	if len(raw) == 0 || len(raw) > 2048 {
		return nil, ErrBadURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return nil, ErrBadURL
	}
	return u, nil
}

// check parses raw and, unless private networks are allowed, resolves its host and
// refuses it if any address is not public.
func (g guard) check(ctx context.Context, raw string) (*url.URL, error) {
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	if g.allowPrivate {
		return u, nil
	}
	ips, err := g.lookup(ctx, u.Hostname())
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if !PublicIP(ip) {
			return nil, fmt.Errorf("%w (%s is %s)", ErrPrivateAddress, u.Hostname(), ip)
		}
	}
	return u, nil
}

func (g guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs, err := g.resolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnresolvable, host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out = append(out, ip)
		}
	}
	return out, nil
}

// dial resolves the host itself and connects only to an allowed address: a name that
// resolved to a public address at creation and to a private one now is refused here.
func (g guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := g.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: g.dialTimeout}
	var last error = fmt.Errorf("%w (%s)", ErrPrivateAddress, host)
	for _, ip := range ips {
		if !g.allowPrivate && !PublicIP(ip) {
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
