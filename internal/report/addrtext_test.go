package report

import (
	"net/netip"
	"testing"
)

// addrText must give the report's member and host names exactly as
// a.Unmap().String() did, the zero Addr included.
func TestAddrTextIsString(t *testing.T) {
	addrs := []netip.Addr{{}}
	for _, s := range []string{"10.0.0.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::", "::ffff:10.1.2.3",
		"fe80::1%eth0", "fdbd:b6f6:a1b5:6ffc:d56:9d1:751f:6e8e", "::ffff:a01:203%zone"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, a := range addrs {
		var buf [64]byte
		if got, want := string(addrText(buf[:0], a)), a.Unmap().String(); got != want {
			t.Errorf("addrText(%v) = %q, want %q", a, got, want)
		}
	}
}
