package safedial_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/internal/safedial"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"}, // cloud metadata
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"224.0.0.1", "link-local"}, // link-local multicast
		{"ff02::1", "link-local"},
		{"239.1.2.3", "multicast"},
		{"ff05::1", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "reserved"},
		{"100.64.0.1", "reserved"},
		{"192.0.2.1", "reserved"},
		{"198.18.0.1", "reserved"},
		{"203.0.113.9", "reserved"},
		{"255.255.255.255", "reserved"},
		{"2001:db8::1", "reserved"},
		{"fec0::1", "reserved"},
		{"192.88.99.1", "reserved"},   // 6to4 relay anycast
		{"2001:2::1", "reserved"},     // benchmarking
		{"2001:10::1", "reserved"},    // ORCHID
		{"3fff::1", "reserved"},       // documentation (RFC 9637)
		{"5f00::1", "reserved"},       // SRv6
		{"::1%lo", "loopback"},        // a zone changes nothing
		{"fd00::1%25eth0", "private"}, // nor does a zone that looks escaped
		// Every IPv6 form of an IPv4 address is judged by it (issue 13: the
		// IPv4-compatible ::127.0.0.1 used to pass).
		{"::ffff:127.0.0.1", "loopback"},         // mapped
		{"::ffff:7f00:1", "loopback"},            // mapped, in hex
		{"0:0:0:0:0:ffff:7f00:0001", "loopback"}, // mapped, uncompressed
		{"::FFFF:169.254.169.254", "link-local"}, // mapped, upper case
		{"::ffff:a00:1", "private"},              // mapped 10.0.0.1
		{"::127.0.0.1", "loopback"},              // IPv4-compatible
		{"::7f00:1", "loopback"},                 // IPv4-compatible, in hex
		{"0000:0000:0000:0000:0000:0000:7f00:0001", "loopback"},
		{"::a9fe:a9fe", "link-local"},                        // IPv4-compatible 169.254.169.254
		{"::10.0.0.1", "private"},                            // IPv4-compatible
		{"::8.8.8.8", "reserved"},                            // IPv4-compatible is deprecated, public or not
		{"::ffff:0:127.0.0.1", "loopback"},                   // IPv4-translated (SIIT)
		{"::ffff:0:a9fe:a9fe", "link-local"},                 // IPv4-translated, in hex
		{"::ffff:0:8.8.8.8", "reserved"},                     // IPv4-translated is never a receiver's
		{"64:ff9b::a00:1", "private"},                        // NAT64 of 10.0.0.1
		{"64:ff9b::127.0.0.1", "loopback"},                   // NAT64, dotted
		{"64:ff9b::a9fe:a9fe", "link-local"},                 // NAT64 of the metadata service
		{"64:ff9b:1::a00:1", "private"},                      // NAT64 local-use prefix
		{"64:ff9b:1:ffff::5db8:d822", "private"},             // local-use, whatever it embeds
		{"2002:7f00:1::", "loopback"},                        // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::1", "link-local"},                  // 6to4 of 169.254.169.254
		{"2002:c0a8:101::1", "private"},                      // 6to4 of 192.168.1.1
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"}, // Teredo, client 127.0.0.1 (inverted)
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"},  // Teredo, client 10.0.0.1
		{"2001:0:a00:1::1", "private"},                       // Teredo, server 10.0.0.1
		{"2001:0:4136:e378:8000:63bf:a247:29dd", "reserved"}, // Teredo with public ends: a tunnel
		{"2001:db8:1:2:0:5efe:a00:1", "private"},             // ISATAP interface id of 10.0.0.1
		{"2001:db8:1:2:200:5efe:7f00:1", "loopback"},         // ISATAP, universal bit set
		{"fe80::5efe:a9fe:a9fe", "link-local"},               // ISATAP, link-local
		{"64:ff9b::5db8:d822", ""},                           // NAT64 of 93.184.216.34
		{"2002:5db8:d822::1", ""},                            // 6to4 of 93.184.216.34
		{"2606:4700:1:2:0:5efe:5db8:d822", ""},               // ISATAP of a public address
		{"93.184.216.34", ""},                                // public
		{"8.8.8.8", ""},                                      // public
		{"2606:4700::1111", ""},                              // public
		{"::ffff:93.184.216.34", ""},                         // public, mapped
		{"100.128.0.1", ""},                                  // just past the shared address space
		{"172.32.0.1", ""},                                   // just past 172.16.0.0/12
	} {
		t.Run(tc.ip, func(t *testing.T) {
			ip, err := netip.ParseAddr(tc.ip)
			if err != nil {
				ip = netip.MustParseAddr(strings.Replace(tc.ip, "%25", "%", 1))
			}
			require.Equal(t, tc.want, safedial.Classify(ip))
		})
	}
}

// TestParseHost: every spelling of an IP address a URL's host can carry is
// read as the address a client connects to, so Classify judges it; the
// legacy IPv4 forms (which netip refuses but inet_aton, curl and browsers
// read) are not canonical.
func TestParseHost(t *testing.T) {
	for _, tc := range []struct {
		host, ip  string // ip "": a name; "invalid": a number that is no address
		canonical bool
		kind      string
	}{
		{"127.0.0.1", "127.0.0.1", true, "loopback"},
		{"127.0.0.1.", "127.0.0.1", false, "loopback"}, // trailing dot
		{"2130706433", "127.0.0.1", false, "loopback"}, // decimal
		{"0x7f000001", "127.0.0.1", false, "loopback"}, // hex
		{"0X7F000001", "127.0.0.1", false, "loopback"},
		{"017700000001", "127.0.0.1", false, "loopback"}, // octal
		{"0177.0.0.1", "127.0.0.1", false, "loopback"},
		{"0x7f.0.0.1", "127.0.0.1", false, "loopback"},
		{"0x7f.1", "127.0.0.1", false, "loopback"},
		{"127.1", "127.0.0.1", false, "loopback"}, // short forms
		{"127.0.1", "127.0.0.1", false, "loopback"},
		{"0", "0.0.0.0", false, "unspecified"},
		{"0x0", "0.0.0.0", false, "unspecified"},
		{"10.1", "10.0.0.1", false, "private"},
		{"012.0.0.1", "10.0.0.1", false, "private"},
		{"167772161", "10.0.0.1", false, "private"},
		{"0xa9.0xfe.0xa9.0xfe", "169.254.169.254", false, "link-local"},
		{"2852039166", "169.254.169.254", false, "link-local"},
		{"169.254.43518", "169.254.169.254", false, "link-local"},
		{"0251.0376.0251.0376", "169.254.169.254", false, "link-local"},
		{"3232235777", "192.168.1.1", false, "private"},
		{"1572395042", "93.184.216.34", false, ""}, // public, but not written as such
		{"::1", "::1", true, "loopback"},
		{"::127.0.0.1", "::7f00:1", true, "loopback"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1", true, "loopback"},
		{"fe80::1%eth0", "fe80::1%eth0", true, "link-local"},
		{"256.0.0.1", "invalid", false, "reserved"},
		{"1.2.3.4.5", "invalid", false, "reserved"},
		{"0x100000000", "invalid", false, "reserved"},
		{"08.0.0.1", "invalid", false, "reserved"}, // 8 is no octal digit
		{"4294967296", "invalid", false, "reserved"},
		{"example.com", "", false, ""},
		{"1.example", "", false, ""},
		{"localhost", "", false, ""},
		{"0x7f.example", "", false, ""},
	} {
		t.Run(tc.host, func(t *testing.T) {
			ip, canonical, ok := safedial.ParseHost(tc.host)
			switch tc.ip {
			case "":
				require.False(t, ok)
				return
			case "invalid":
				require.True(t, ok)
				require.False(t, ip.IsValid())
			default:
				require.True(t, ok)
				require.Equal(t, tc.ip, ip.String())
			}
			require.Equal(t, tc.canonical, canonical)
			require.Equal(t, tc.kind, safedial.Classify(ip))
		})
	}
}

func TestControl(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		require.NoError(t, safedial.Control("tcp4", "93.184.216.34:443", nil))
		require.NoError(t, safedial.Control("tcp6", "[2606:4700::1111]:443", nil))
	})
	for _, tc := range []struct{ addr, says string }{
		{"127.0.0.1:8080", "refused: a loopback address"},
		{"[::1]:80", "refused: a loopback address"},
		{"[::127.0.0.1]:80", "refused: a loopback address"},
		{"[::ffff:169.254.169.254]:80", "refused: a link-local address"},
		{"[fe80::1%eth0]:80", "refused: a link-local address"},
		{"10.0.0.7:443", "refused: a private address"},
		{"no-port", "missing port"},
		{"example.com:80", "ParseAddr"}, // Control runs after resolution: a name is a bug
	} {
		t.Run("Err/"+tc.addr, func(t *testing.T) {
			require.ErrorContains(t, safedial.Control("tcp", tc.addr, nil), tc.says)
		})
	}
}

// TestTransport: a transport made safe refuses a loopback receiver at dial
// time, whatever its URL says, and ignores proxies.
func TestTransport(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(rcv.Close)

	plain := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	resp, err := plain.Get(rcv.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	tr := http.DefaultTransport.(*http.Transport).Clone()
	require.Same(t, tr, safedial.Transport(tr))
	require.Nil(t, tr.Proxy)
	require.Nil(t, tr.DialTLSContext)
	_, err = (&http.Client{Transport: tr}).Get(rcv.URL)
	require.ErrorContains(t, err, "refused: a loopback address")
}
