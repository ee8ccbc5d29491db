package safedial_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
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
		// IPv6 forms of an IPv4 address are judged by it.
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::a00:1", "private"}, // NAT64 of 10.0.0.1
		{"2002:7f00:1::", "loopback"}, // 6to4 of 127.0.0.1
		{"64:ff9b::5db8:d822", ""},    // NAT64 of 93.184.216.34
		{"2002:5db8:d822::1", ""},     // 6to4 of 93.184.216.34
		{"93.184.216.34", ""},         // public
		{"8.8.8.8", ""},               // public
		{"2606:4700::1111", ""},       // public
		{"::ffff:93.184.216.34", ""},  // public, mapped
		{"100.128.0.1", ""},           // just past the shared address space
		{"172.32.0.1", ""},            // just past 172.16.0.0/12
	} {
		t.Run(tc.ip, func(t *testing.T) {
			require.Equal(t, tc.want, safedial.Classify(netip.MustParseAddr(tc.ip)))
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
