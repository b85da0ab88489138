// Package netguard is Kassa's guard against server-side request forgery: it decides
// whether Kassa may send a request to a URL a merchant gave it (a webhook endpoint, an
// invoice's url_callback) so that such a URL cannot make Kassa reach into the network
// it runs in (loopback, private networks, the cloud metadata address, translators and
// tunnels that lead there).
//
// A URL passes when it is an absolute http(s) URL without credentials and its host is
// a name, or an address written canonically, whose every address is public (PublicIP).
// Hosts that are numbers in any other form ("2130706433", "0x7f000001", "0177.0.0.1",
// "127.1"), which some resolvers and every browser read as IPv4 addresses, are refused
// as bad URLs and never given to a resolver; "localhost" and names under it are
// loopback without a lookup (RFC 6761). Lookups have a timeout.
//
// The check at creation is not enough on its own (DNS may answer differently later):
// a dialler must resolve with Guard.Lookup and connect only to addresses Guard.Allowed
// accepts, as package webhook does. Packages webhook and invoice share it.
package netguard

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

// Errors of CheckURL and Lookup; webhook re-exports them under the same names.
var (
	ErrBadURL         = errors.New("must be an absolute http(s) URL without credentials, at most 2048 bytes")
	ErrPrivateAddress = errors.New("resolves to a loopback, private, link-local or reserved address")
	ErrUnresolvable   = errors.New("host does not resolve")
)

// MaxURL is the longest URL accepted, in bytes.
const MaxURL = 2048

// DefaultLookupTimeout bounds one host lookup when Guard.LookupTimeout is zero.
const DefaultLookupTimeout = 5 * time.Second

// Resolver looks up hosts; *net.Resolver is one. Tests substitute their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Guard checks URLs and resolves hosts for a dialler. The zero value is the production
// setting: net.DefaultResolver, a 5 s lookup timeout, public addresses only.
type Guard struct {
	// Resolver looks up host names (default net.DefaultResolver).
	Resolver Resolver
	// AllowPrivate accepts hosts that are, or resolve to, addresses that are not public
	// (tests, local development). URLs must still have the shape ParseURL wants.
	AllowPrivate bool
	// LookupTimeout bounds one lookup (default DefaultLookupTimeout).
	LookupTimeout time.Duration
}

// CheckURL parses raw (ParseURL) and, unless AllowPrivate is set, resolves its host
// and refuses it if any of its addresses is not public. Its errors wrap ErrBadURL,
// ErrPrivateAddress or ErrUnresolvable (a lookup that timed out also wraps
// context.DeadlineExceeded), or are ctx's error when ctx ended first.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := ParseURL(raw)
	if err != nil || g.AllowPrivate {
		return err
	}
	host := u.Hostname()
	ips, err := g.Lookup(ctx, host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !PublicIP(ip) {
			return fmt.Errorf("%w (%s is %s)", ErrPrivateAddress, host, ip)
		}
	}
	return nil
}

// Allowed reports whether a dialler may connect to ip.
func (g Guard) Allowed(ip netip.Addr) bool { return g.AllowPrivate || PublicIP(ip) }

// Lookup returns the addresses of host (a name or an address, without brackets or
// port): an address is itself; "localhost" and names under it are 127.0.0.1 and ::1;
// a number not written as a canonical IPv4 address is refused (ErrBadURL) before any
// lookup; a name is resolved within LookupTimeout. IPv4-mapped answers come back as
// IPv4 addresses. It does not judge the addresses: see Allowed and PublicIP.
func (g Guard) Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := parseHost(host); err != nil || ip.IsValid() {
		if err != nil {
			return nil, err
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	if isLocalhost(host) {
		return []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}, nil
	}
	r, timeout := g.Resolver, g.LookupTimeout
	if r == nil {
		r = net.DefaultResolver
	}
	if timeout <= 0 {
		timeout = DefaultLookupTimeout
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := r.LookupIPAddr(lctx, host)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("looking up %s: %w", host, ctx.Err())
	case err != nil && lctx.Err() != nil:
		return nil, fmt.Errorf("%w: %s did not answer within %s (%w)", ErrUnresolvable, host, timeout, context.DeadlineExceeded)
	case err != nil || len(addrs) == 0:
		return nil, fmt.Errorf("%w: %s", ErrUnresolvable, host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		if ip = ip.Unmap(); a.Zone != "" && ip.Is6() {
			ip = ip.WithZone(a.Zone)
		}
		out = append(out, ip)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnresolvable, host)
	}
	return out, nil
}

// ParseURL checks the shape of a URL Kassa will send requests to: absolute, http or
// https, no credentials, a non-empty host that is an address or a name but not a
// number in a non-canonical form, at most MaxURL bytes. It does no lookup.
func ParseURL(raw string) (*url.URL, error) {
	if len(raw) == 0 || len(raw) > MaxURL {
		return nil, ErrBadURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return nil, ErrBadURL
	}
	if _, err := parseHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// parseHost returns host's address when it is an IP address in canonical form, the
// zero Addr when it is a name, and ErrBadURL when it is neither: a broken IPv6 literal,
// or a number in another form. The WHATWG URL standard (and so every browser, and
// inet_aton in C resolvers) takes a host whose last label is a decimal, octal or hex
// number for an IPv4 address ("2130706433", "0x7f.1", "0177.0.0.1", "127.1",
// "127.0.0.1."); no top-level domain is numeric, so refusing them loses nothing real.
func parseHost(host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, nil
	}
	if strings.ContainsAny(host, ":%[]") {
		return netip.Addr{}, fmt.Errorf("%w: host %q is not a valid IPv6 address", ErrBadURL, host)
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if isNumber(labels[len(labels)-1]) {
		return netip.Addr{}, fmt.Errorf("%w: host %q is a number, not an IPv4 address written as a.b.c.d", ErrBadURL, host)
	}
	return netip.Addr{}, nil
}

// isNumber reports whether s is all decimal digits, or 0x/0X followed by hex digits.
func isNumber(s string) bool {
	digits := "0123456789"
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, digits = s[2:], "0123456789abcdefABCDEF"
		if s == "" {
			return true // "0x" alone is zero to the URL standard
		}
	}
	return s != "" && strings.Trim(s, digits) == ""
}

// isLocalhost reports whether host is "localhost" or a name under it, which resolve
// to loopback whatever DNS says (RFC 6761 §6.3).
func isLocalhost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

var (
	// reserved4 are IPv4 ranges that are not public besides the ones netip classifies
	// (loopback, private, link-local, multicast, the broadcast address).
	reserved4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
		netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255
	}
	// global6 is IPv6 global unicast. Everything outside it is refused, among them
	// ::/128, ::1, IPv4-compatible ::/96, IPv4-translated ::ffff:0:0/96, NAT64
	// 64:ff9b::/96 and 64:ff9b:1::/48, discard-only 100::/64, unique local fc00::/7,
	// link-local fe80::/10, site-local fec0::/10, multicast ff00::/8.
	global6 = netip.MustParsePrefix("2000::/3")
	// reserved6 are the ranges inside global6 that are not public.
	reserved6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments, Teredo 2001::/32 among them
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("2002::/16"),     // 6to4
		netip.MustParsePrefix("3fff::/20"),     // documentation
	}
)

// PublicIP reports whether ip is a public unicast address: not loopback, private,
// link-local (such as the cloud metadata address 169.254.169.254), multicast,
// unspecified, documentation, benchmarking or otherwise reserved, and without a zone.
//
// An IPv4-mapped address (::ffff:a.b.c.d) is judged as the IPv4 address it is. IPv6
// is public only inside global unicast 2000::/3 and outside the special ranges there,
// so every other form that carries an IPv4 address (IPv4-compatible ::a.b.c.d,
// IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d and 64:ff9b:1::/48, 6to4
// 2002:aabb:ccdd::, Teredo 2001::/32) is refused whatever it carries: a translator or
// relay on the way decides where it ends up, possibly inside the network.
func PublicIP(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	ip = ip.Unmap()
	if ip.Is4() {
		if !ip.IsGlobalUnicast() || ip.IsPrivate() {
			return false
		}
		for _, p := range reserved4 {
			if p.Contains(ip) {
				return false
			}
		}
		return true
	}
	if !global6.Contains(ip) {
		return false
	}
	for _, p := range reserved6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
