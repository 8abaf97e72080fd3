package homenet

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// AlwaysLocal are ranges that never identify a public host and so are
// always masked: RFC 1918, CGNAT (RFC 6598), loopback, link-local, ULA and
// the unspecified/"this network" block.
var alwaysLocal = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16",
	"::/128", "::1/128", "fc00::/7", "fe80::/10",
}

// AlwaysLocal returns the built-in private ranges (a fresh slice).
func AlwaysLocal() []netip.Prefix {
	out := make([]netip.Prefix, len(alwaysLocal))
	for i, s := range alwaysLocal {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Set is the sensor's local-network set. The zero value contains nothing.
type Set struct {
	home     *Expr
	prefixes []netip.Prefix
	// v4 is prefixes' IPv4 networks as masked words, the others v6: the
	// per-address check every flow and masked field makes is then a few
	// integer compares for the common IPv4 case.
	v4 []v4Net
	v6 []netip.Prefix
}

// v4Net is an IPv4 prefix: an address matches when its top bits equal
// base's under mask.
type v4Net struct{ base, mask uint32 }

// word4 is an IPv4 address as a big-endian word.
func word4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// index splits prefixes by family (an IPv4 prefix only ever contains an
// IPv4 address, any other only an IPv6 one, as for netip.Prefix).
func (s *Set) index() {
	s.v4, s.v6 = nil, nil
	for _, p := range s.prefixes {
		switch {
		case !p.IsValid():
		case p.Addr().Is4():
			var mask uint32
			if p.Bits() > 0 {
				mask = ^uint32(0) << (32 - p.Bits())
			}
			s.v4 = append(s.v4, v4Net{base: word4(p.Addr()), mask: mask})
		default:
			s.v6 = append(s.v6, p)
		}
	}
}

// Options describe where local networks come from.
type Options struct {
	// HomeNet is a Suricata address expression; when empty and
	// SuricataYAML is set, HOME_NET from that file is used.
	HomeNet      string
	SuricataYAML string
	// Interfaces are the host's interface networks and own addresses.
	Interfaces []netip.Prefix
	// Extra are operator-configured CIDRs.
	Extra []netip.Prefix
}

// NewSet builds the set from opts plus the always-local ranges.
func NewSet(opts Options) (*Set, error) {
	s := &Set{}
	vars := map[string]string{}
	if opts.SuricataYAML != "" {
		f, err := os.Open(opts.SuricataYAML)
		if err != nil {
			return nil, fmt.Errorf("suricata yaml: %w", err)
		}
		vars, err = ParseYAMLVars(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("suricata yaml %s: %w", opts.SuricataYAML, err)
		}
	}
	expr := strings.TrimSpace(opts.HomeNet)
	if expr == "" && opts.SuricataYAML != "" {
		var ok bool
		if expr, ok = vars["HOME_NET"]; !ok {
			return nil, fmt.Errorf("suricata yaml %s: no vars.address-groups.HOME_NET", opts.SuricataYAML)
		}
	}
	if expr != "" {
		e, err := Parse(expr, vars)
		if err != nil {
			return nil, fmt.Errorf("HOME_NET %q: %w", expr, err)
		}
		s.home = e
	}
	s.prefixes = append(AlwaysLocal(), opts.Interfaces...)
	s.prefixes = append(s.prefixes, opts.Extra...)
	s.index()
	return s, nil
}

// Contains reports whether a is local. HOME_NET exclusions only narrow
// HOME_NET itself: an excluded address that is also RFC 1918 or on an
// interface is still local, because masking errs towards hiding.
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		u := word4(a)
		for _, n := range s.v4 {
			if (u^n.base)&n.mask == 0 {
				return true
			}
		}
	} else {
		for _, p := range s.v6 {
			if p.Contains(a) {
				return true
			}
		}
	}
	return s.home.Contains(a)
}

// InterfacePrefixes lists every interface's networks and own addresses,
// including point-to-point links (whose Linux netmask is often /32, so the
// own address as a host route is what makes a PPPoE WAN address local).
func InterfacePrefixes() ([]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []netip.Prefix
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("interface %s addresses: %w", ifc.Name, err)
		}
		for _, a := range addrs {
			out = append(out, addrPrefixes(a)...)
		}
	}
	return out, nil
}

func addrPrefixes(a net.Addr) []netip.Prefix {
	ipn, ok := a.(*net.IPNet)
	if !ok {
		return nil
	}
	ip, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return nil
	}
	ip = ip.Unmap()
	ones, bits := ipn.Mask.Size()
	if ip.Is4() && bits == 128 {
		ones -= 96
	}
	own := netip.PrefixFrom(ip, ip.BitLen())
	if ones <= 0 {
		return []netip.Prefix{own}
	}
	return []netip.Prefix{netip.PrefixFrom(ip, ones).Masked(), own}
}
