package fleet

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/clickhousetest"
	"github.com/suricron/suricron/internal/homenet"
)

// TestAddrExprsMatchGo evaluates the address classification in a real
// ClickHouse for addresses as eve writes them (IPv6 uncompressed,
// IPv4-mapped, broadcast, multicast, broken) and compares it with Go's
// reading: netip's canonical text, homenet.Set.Contains, and the report's
// multicast/broadcast/unspecified rule.
func TestAddrExprsMatchGo(t *testing.T) {
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	set, err := homenet.NewSet(homenet.Options{HomeNet: "[198.51.100.0/24,!198.51.100.128/25,2001:db8::/32,!2001:db8:ff00::/40,203.0.113.7-203.0.113.9]"})
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{
		"10.1.2.3", "8.8.8.8", "198.51.100.1", "198.51.100.200", "203.0.113.8", "203.0.113.10",
		"192.168.1.255", "224.0.0.251", "239.255.255.250", "0.0.0.0", "255.255.255.255",
		"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:0db8:ff00:0000:0000:0000:0000:0001", "2606:2800:0220:0001:0248:1893:25c8:1946",
		"fe80:0000:0000:0000:0211:22ff:fe33:4455", "ff02:0000:0000:0000:0000:0000:0000:00fb", "::", "::1",
		"::ffff:198.51.100.1", "::ffff:8.8.8.8", "2001:db8:1:1:1:1:0:1",
		"", "not-an-ip", "1.2.3", "zz::1",
	}
	var sel []string
	for _, a := range addrs {
		sel = append(sel, fmt.Sprintf("SELECT %s AS sa, %s", quote(a), addrExprs("sa", "s", set.Ranges())))
	}
	out := srv.Query(fmt.Sprintf("SELECT sa, s_ok, s_str, s_loc, s_grp FROM (%s) FORMAT TabSeparated", strings.Join(sel, " UNION ALL ")))
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 2)
		got[f[0]] = f[1]
	}
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		ok := err == nil
		ip = ip.Unmap()
		str := ""
		if ok {
			str = ip.String()
		}
		grp := ok && (ip.IsMulticast() || ip.IsUnspecified() || (ip.Is4() && ip.As4()[3] == 255))
		b := func(v bool) int {
			if v {
				return 1
			}
			return 0
		}
		want := fmt.Sprintf("%d\t%s\t%d\t%d", b(ok), str, b(ok && set.Contains(ip)), b(grp))
		g, found := got[a]
		if !found {
			t.Errorf("%q: no row", a)
			continue
		}
		if !ok {
			// The text of an invalid address is never used.
			f := strings.Split(g, "\t")
			f[1] = ""
			g = strings.Join(f, "\t")
		}
		if g != want {
			t.Errorf("%q: ClickHouse %q, Go %q", a, g, want)
		}
	}
}
