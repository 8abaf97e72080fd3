package report

import (
	"math/rand/v2"
	"net/netip"
	"slices"
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

// addMemberAddr keeps the same list and overflow count as formatting
// every address and calling addMemberText, for random address streams
// (mapped IPv4 beside plain, zones, repeats), also when the list started
// out decoded from a day file (text only).
func TestAddMemberAddrIsText(t *testing.T) {
	pool := []netip.Addr{}
	for _, s := range []string{"10.0.0.1", "::ffff:10.0.0.1", "10.0.0.2", "2001:db8::1", "fe80::1%eth0", "fe80::1",
		"fe80::1%eth1", "192.168.1.9", "::ffff:192.168.1.9%z", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"} {
		pool = append(pool, netip.MustParseAddr(s))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 2000 {
		limit := 1 + rng.IntN(6)
		var text, byAddr []string
		var addrs []netip.Addr
		var moreText, moreAddr int64
		if run%3 == 0 { // decoded: entries without addresses
			text = []string{pool[rng.IntN(len(pool))].Unmap().String()}
			byAddr = slices.Clone(text)
		}
		for range rng.IntN(30) {
			a := pool[rng.IntN(len(pool))]
			var buf [64]byte
			text = addMemberText(text, &moreText, addrText(buf[:0], a), limit)
			byAddr = addMemberAddr(byAddr, &addrs, &moreAddr, a, limit)
		}
		if !slices.Equal(text, byAddr) || moreText != moreAddr {
			t.Fatalf("run %d: text %v +%d, by address %v +%d", run, text, moreText, byAddr, moreAddr)
		}
	}
}
