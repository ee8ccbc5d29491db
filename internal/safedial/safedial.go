// Package safedial keeps webhook deliveries away from the machine that sends
// them and its private networks (server-side request forgery): Classify names
// the non-public kinds of address, ParseHost reads every spelling of an IP
// address that a URL's host may carry, Control refuses unsafe addresses when
// a connection is dialed, after name resolution, and Transport makes an
// *http.Transport dial that way.
package safedial

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// unsafePrefixes are the non-public ranges that netip's predicates do not
// cover: the IANA special-purpose registries' blocks that are not globally
// reachable, and deprecated ones.
var unsafePrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated)
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:2::/48"),     // benchmarking
	netip.MustParsePrefix("2001:10::/28"),    // ORCHID (deprecated)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // segment routing (SRv6) SIDs
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// IPv6 ranges that carry an IPv4 address.
var (
	compatible = netip.MustParsePrefix("::/96")           // IPv4-compatible (deprecated): ::127.0.0.1
	translated = netip.MustParsePrefix("::ffff:0:0:0/96") // IPv4-translated (SIIT): ::ffff:0:127.0.0.1
	nat64      = netip.MustParsePrefix("64:ff9b::/96")    // NAT64 well-known prefix
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")  // NAT64 local-use prefixes: always a local network's
	teredo     = netip.MustParsePrefix("2001::/32")       // Teredo: server and (inverted) client IPv4
	sixto4     = netip.MustParsePrefix("2002::/16")       // 6to4: the site's IPv4 in bits 16 to 47
)

// Classify says what kind of non-public address ip is ("loopback", "private",
// "link-local", "unspecified", "multicast" or "reserved"), or "" for a public
// one. A zone is ignored. An IPv6 address that carries an IPv4 address
// (mapped, compatible, translated, NAT64, 6to4, Teredo, an ISATAP interface
// identifier) is judged by it, since a translator or tunnel on the way may
// deliver it there; deprecated and tunnel forms with a public IPv4 address
// are "reserved" all the same, as no webhook receiver needs them.
func Classify(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "reserved"
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
	}
	if ip.Is6() {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte(b[12:16]))
		switch {
		case compatible.Contains(ip), translated.Contains(ip):
			return orReserved(Classify(v4))
		case nat64.Contains(ip):
			return Classify(v4)
		case nat64Local.Contains(ip):
			return "private"
		case teredo.Contains(ip):
			client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
			server := netip.AddrFrom4([4]byte(b[4:8]))
			for _, end := range []netip.Addr{client, server} {
				if kind := Classify(end); kind != "" && kind != "reserved" {
					return kind
				}
			}
			return "reserved"
		case sixto4.Contains(ip):
			return Classify(netip.AddrFrom4([4]byte(b[2:6])))
		case b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe && b[8]&^0x03 == 0:
			// An ISATAP interface identifier (RFC 5214): the tunnel ends at
			// the IPv4 address in the last 32 bits.
			if kind := Classify(v4); kind != "" {
				return kind
			}
		}
	}
	for _, p := range unsafePrefixes {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	return ""
}

// orReserved is kind, or "reserved" for a public one.
func orReserved(kind string) string {
	if kind == "" {
		return "reserved"
	}
	return kind
}

// ParseHost reads host, a URL's host name without brackets or port, as an IP
// address in any spelling a client might connect to: IPv6 (with a zone, in
// hex or with a dotted IPv4 tail) and dotted-quad IPv4, and also the legacy
// IPv4 forms that inet_aton and the WHATWG URL standard read (decimal
// 2130706433, hex 0x7f000001, octal 0177.0.0.1, short 127.1, a trailing
// dot). Canonical reports whether host is the address's usual spelling. ok is
// false for a host that is a name; a host whose last label is a number but
// that is no address (999.1.1.1) is not a name either: ParseHost returns an
// invalid Addr and ok true for it.
func ParseHost(host string) (ip netip.Addr, canonical, ok bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, true, true
	}
	h := strings.TrimSuffix(host, ".")
	if ip, err := netip.ParseAddr(h); err == nil && ip.Is4() {
		return ip, false, true
	}
	parts := strings.Split(h, ".")
	if h == "" || !isNumber(parts[len(parts)-1]) {
		return netip.Addr{}, false, false
	}
	// The WHATWG IPv4 parser: every part a number; all but the last one
	// byte each, the last filling the bytes left.
	if len(parts) > 4 {
		return netip.Addr{}, false, true
	}
	var v uint64
	for i, p := range parts {
		n, err := parseLegacyNumber(p)
		if err != nil {
			return netip.Addr{}, false, true
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false, true
			}
			v |= n << (8 * (3 - i))
			continue
		}
		if n >= 1<<(8*(5-len(parts))) {
			return netip.Addr{}, false, true
		}
		v |= n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), false, true
}

// isNumber reports whether s reads as a number in the WHATWG sense: decimal
// digits, or 0x and hex digits.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		return strings.Trim(s[2:], "0123456789abcdefABCDEF") == ""
	}
	return strings.Trim(s, "0123456789") == ""
}

// parseLegacyNumber reads one part of a legacy IPv4 address: 0x hex, 0 octal
// or decimal.
func parseLegacyNumber(s string) (uint64, error) {
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, nil
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	return strconv.ParseUint(s, base, 32)
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
