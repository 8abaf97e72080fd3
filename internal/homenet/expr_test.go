package homenet

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseContains(t *testing.T) {
	vars := map[string]string{
		"HOME_NET":     "[192.168.0.0/16,10.0.0.0/8,!10.9.0.0/16]",
		"DMZ":          "203.0.113.0/28",
		"EXTERNAL_NET": "!$HOME_NET",
		"LOOP_A":       "$LOOP_B",
		"LOOP_B":       "[$LOOP_A]",
	}
	tests := []struct {
		expr    string
		in, out []string
		wantErr string
	}{
		{expr: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", in: []string{"192.168.1.1", "10.255.0.1", "172.31.255.255", "::ffff:10.0.0.1"}, out: []string{"172.32.0.1", "8.8.8.8", "2001:db8::1"}},
		{expr: "$HOME_NET", in: []string{"10.1.2.3"}, out: []string{"10.9.1.1", "11.0.0.1"}},
		{expr: "[$HOME_NET,$DMZ]", in: []string{"203.0.113.15", "192.168.0.1"}, out: []string{"203.0.113.16", "10.9.0.0"}},
		{expr: "$EXTERNAL_NET", in: []string{"8.8.8.8", "10.9.0.1"}, out: []string{"10.1.1.1"}},
		{expr: "[10.0.0.0/8,![10.1.0.0/16,10.2.0.0/16]]", in: []string{"10.3.0.1"}, out: []string{"10.1.0.1", "10.2.200.1"}},
		{expr: "[10.0.0.0/8,!![10.1.0.0/16]]", in: []string{"10.1.0.1"}, out: []string{"11.1.0.1"}},
		{expr: "2001:db8:1234::/48, fe80::1", in: []string{"2001:db8:1234:ffff::1", "fe80::1%eth0"}, out: []string{"2001:db8:1235::1", "fe80::2"}},
		{expr: "192.168.1.10-192.168.1.20", in: []string{"192.168.1.10", "192.168.1.20"}, out: []string{"192.168.1.9", "192.168.1.21"}},
		{expr: "192.168.1.7/24", in: []string{"192.168.1.200"}, out: []string{"192.168.2.1"}},
		{expr: "10.0.0.0/255.255.0.0", in: []string{"10.0.255.1"}, out: []string{"10.1.0.1"}},
		{expr: "any", in: []string{"8.8.8.8", "::1"}},
		{expr: "$LOOP_A", wantErr: "nested deeper"},
		{expr: "$NOPE", wantErr: "unknown address variable"},
		{expr: "[10.0.0.0/8", wantErr: "unbalanced"},
		{expr: "10.0.0.0/8]", wantErr: "unbalanced"},
		{expr: "10.0.0.0/33", wantErr: "prefix length"},
		{expr: "10.0.0.0/255.0.255.0", wantErr: "netmask"},
		{expr: "10.0.0.300", wantErr: "bad address"},
		{expr: "10.0.0.9-10.0.0.1", wantErr: "range"},
		{expr: "", wantErr: "empty"},
		{expr: "[10.0.0.0/8,,]", wantErr: "empty element"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr, vars)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.in {
				if !e.Contains(netip.MustParseAddr(s)) {
					t.Errorf("%s not in %s", s, tt.expr)
				}
			}
			for _, s := range tt.out {
				if e.Contains(netip.MustParseAddr(s)) {
					t.Errorf("%s unexpectedly in %s", s, tt.expr)
				}
			}
		})
	}
}

func TestSetContains(t *testing.T) {
	s, err := NewSet(Options{
		HomeNet:    "[198.18.0.0/15,!198.18.5.0/24]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.77/32")},
		Extra:      []netip.Prefix{netip.MustParsePrefix("2001:db8:99::/48")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr  string
		local bool
	}{
		{"198.18.1.1", true}, {"198.18.5.1", false}, {"203.0.113.45", true}, {"198.51.100.77", true},
		{"198.51.100.1", false}, {"100.64.3.4", true}, {"100.128.0.1", false}, {"fd12::1", true},
		{"fe80::21c:42ff:fec0:d65f", true}, {"::1", true}, {"127.0.0.2", true}, {"169.254.1.1", true},
		{"2001:db8:99:1::1", true}, {"2001:db8:98::1", false}, {"8.8.8.8", false}, {"ff02::16", false},
		{"::ffff:192.168.1.1", true}, {"172.15.0.1", false}, {"172.16.0.1", true},
	} {
		if got := s.Contains(netip.MustParseAddr(c.addr)); got != c.local {
			t.Errorf("Contains(%s) = %v, want %v", c.addr, got, c.local)
		}
	}
	var zero *Set
	if zero.Contains(netip.MustParseAddr("10.0.0.1")) {
		t.Error("nil set contains an address")
	}
}

func TestInterfacePrefixesIncludesLoopback(t *testing.T) {
	ps, err := InterfacePrefixes()
	if err != nil {
		t.Skipf("no interface list here: %v", err)
	}
	found := false
	for _, p := range ps {
		if p.Contains(netip.MustParseAddr("127.0.0.1")) && p.Bits() < 32 {
			found = true
		}
	}
	if !found {
		t.Errorf("no loopback network in %v", ps)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", "!$HOME_NET", "[10.0.0.0/8,![10.1.0.0/16]]", "any", "fe80::/10", "1.2.3.4-1.2.3.9", "[[[]]]", "$A", "10.0.0.0/255.255.0.0"} {
		f.Add(s)
	}
	vars := map[string]string{"HOME_NET": "10.0.0.0/8", "A": "[$B]", "B": "$A"}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, vars)
		if err != nil {
			return
		}
		// A parsed expression must answer for both families without panicking.
		e.Contains(netip.MustParseAddr("10.1.2.3"))
		e.Contains(netip.MustParseAddr("2001:db8::1"))
	})
}

// Set.Contains answers as netip.Prefix.Contains over the same prefixes
// would, for addresses on and around every prefix edge (mapped, zoned,
// /0, /32, non-canonical host bits, IPv4-in-IPv6 prefixes).
func TestSetContainsMatchesPrefixes(t *testing.T) {
	extra := []netip.Prefix{
		netip.MustParsePrefix("203.0.113.7/32"), netip.MustParsePrefix("198.51.100.77/25"),
		netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("2001:db8:1::/48"),
		netip.MustParsePrefix("::ffff:192.0.2.0/120"), {},
	}
	for _, ex := range [][]netip.Prefix{nil, extra[:2], extra} {
		s, err := NewSet(Options{Extra: ex})
		if err != nil {
			t.Fatal(err)
		}
		var probes []netip.Addr
		for _, p := range s.prefixes {
			if !p.IsValid() {
				continue
			}
			m := p.Masked().Addr()
			probes = append(probes, m, m.Prev(), m.Next(), p.Addr())
			last := lastAddr(p)
			probes = append(probes, last, last.Next())
		}
		probes = append(probes, netip.MustParseAddr("::ffff:10.1.2.3"), netip.MustParseAddr("fe80::1%eth0"),
			netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("::ffff:192.0.2.5"), netip.Addr{})
		for _, a := range probes {
			u := a.Unmap().WithZone("")
			want := false
			for _, p := range s.prefixes {
				want = want || p.Contains(u)
			}
			if got := s.Contains(a); got != want {
				t.Errorf("extra %v: Contains(%v) = %v, prefixes say %v", ex, a, got, want)
			}
		}
	}
}

// lastAddr is the highest address of p: its host bits all set.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
