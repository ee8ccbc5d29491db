// Package safedial keeps webhook deliveries away from the machine that sends
// them and its private networks (server-side request forgery): Classify names
// the non-public kinds of address, Control refuses them when a connection is
// dialed, after name resolution, and Transport makes an *http.Transport dial
// that way.
package safedial

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// unsafePrefixes are the non-public ranges that netip's predicates do not
// cover.
var unsafePrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixto4 = netip.MustParsePrefix("2002::/16")
)

// Classify says what kind of non-public address ip is ("loopback", "private",
// "link-local", "unspecified", "multicast" or "reserved"), or "" for a public
// one. IPv6 addresses that embed an IPv4 address (mapped, NAT64, 6to4) are
// judged by it.
func Classify(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast"
	case nat64.Contains(ip):
		b := ip.As16()
		return Classify(netip.AddrFrom4([4]byte(b[12:16])))
	case sixto4.Contains(ip):
		b := ip.As16()
		return Classify(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range unsafePrefixes {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	return ""
}

// Control is a net.Dialer Control function: it runs after name resolution, on
// the address about to be connected, so a host name that resolves (or is
// rebound) to an unsafe address is refused too.
func Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhook destination %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook destination %s: %w", address, err)
	}
	if kind := Classify(ip); kind != "" {
		return fmt.Errorf("webhook destination %s refused: a %s address", address, kind)
	}
	return nil
}

// Transport makes tr refuse unsafe destinations and returns it: it dials
// through Control, and uses no proxy from the environment, since the check
// must see the receiver's address.
func Transport(tr *http.Transport) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: Control}
	tr.Proxy = nil
	tr.DialContext = d.DialContext
	tr.DialTLSContext = nil
	return tr
}
