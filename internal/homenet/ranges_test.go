package homenet

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func inRanges(rs []Range, a netip.Addr) bool {
	a = a.Unmap()
	for _, r := range rs {
		if r.Lo.BitLen() == a.BitLen() && r.Lo.Compare(a) <= 0 && a.Compare(r.Hi) <= 0 {
			return true
		}
	}
	return false
}

// probes are the boundaries of every range plus random addresses near
// them and anywhere, in both families and IPv4-mapped form.
func probes(rs []Range, rnd *rand.Rand) []netip.Addr {
	var out []netip.Addr
	for _, r := range rs {
		for _, a := range []netip.Addr{r.Lo, r.Hi, r.Lo.Prev(), r.Hi.Next()} {
			if a.IsValid() {
				out = append(out, a)
				if a.Is4() {
					out = append(out, netip.AddrFrom16(a.As16()))
				}
			}
		}
	}
	for range 2000 {
		var b4 [4]byte
		var b16 [16]byte
		for i := range b4 {
			b4[i] = byte(rnd.IntN(256))
		}
		for i := range b16 {
			b16[i] = byte(rnd.IntN(256))
		}
		out = append(out, netip.AddrFrom4(b4), netip.AddrFrom16(b16), netip.AddrFrom16(netip.AddrFrom4(b4).As16()))
	}
	return out
}

// TestRangesMatchContains: for every expression, an address is in
// Ranges exactly when Contains says so.
func TestRangesMatchContains(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, expr := range []string{
		"", "any", "!any", "[192.168.0.0/16,!192.168.5.0/24]", "[10.0.0.0/8,!10.1.0.0/16,!10.2.3.4]",
		"[!$EXT]", "[1.2.3.4-1.2.4.10,2001:db8::/32,!2001:db8:1::/48]", "8.8.8.8", "[0.0.0.0/0,!1.0.0.0/8]",
		"[::/0,!2000::/3]", "[[1.0.0.0/8,!1.2.0.0/16],!1.3.0.0/16,1.2.3.0/24]", "::ffff:1.2.3.4",
		"[255.255.255.0/24,2.0.0.0/8]",
	} {
		if expr == "[!$EXT]" {
			if _, err := NewSet(Options{HomeNet: expr}); err == nil {
				t.Fatal("unknown variable accepted")
			}
			continue
		}
		s, err := NewSet(Options{HomeNet: expr, Extra: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/25")}})
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		rs := s.Ranges()
		for i := 1; i < len(rs); i++ {
			if rs[i-1].Hi.Compare(rs[i].Lo) >= 0 {
				t.Errorf("%q: ranges %v and %v overlap or are unsorted", expr, rs[i-1], rs[i])
			}
		}
		for _, a := range probes(rs, rnd) {
			if got, want := inRanges(rs, a), s.Contains(a); got != want {
				t.Errorf("%q: %s in ranges %v, Contains %v", expr, a, got, want)
			}
		}
	}
}
