package gen

import (
	"math/rand/v2"
	"net/netip"
)

// host is an address with both of the textual forms Suricata can write,
// formatted once so that events only copy bytes.
type host struct {
	addr       netip.Addr
	expanded   string // Suricata's default for IPv6: 8 groups of 4 digits
	compressed string // RFC 5952, as with ipv6-compress: yes
}

func newHost(a netip.Addr) host {
	h := host{addr: a, compressed: a.String()}
	h.expanded = h.compressed
	if a.Is6() {
		h.expanded = expandIPv6(a)
	}
	return h
}

func expandIPv6(a netip.Addr) string {
	b := a.As16()
	out := make([]byte, 0, 39)
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexDigits[b[i]>>4], hexDigits[b[i]&0xf], hexDigits[b[i+1]>>4], hexDigits[b[i+1]&0xf])
	}
	return string(out)
}

// hostPools are the internal and external hosts of one synthetic site. A
// small internal population and a larger external one give the skew that
// "top talkers" and "new hosts" reports expect.
type hostPools struct {
	in4, in6   []host
	ext4, ext6 []host
	resolvers4 []host // internal DNS servers
	public4    []host // well-known public resolvers
	linkLocal  []host
	allRouters host // ff02::2, target of router solicitations
}

func newHostPools(r *rand.Rand, home []netip.Prefix) *hostPools {
	p := &hostPools{}
	for _, pfx := range home {
		if pfx.Addr().Is4() {
			// One or two /24s inside each v4 prefix, like a home or office LAN.
			for range 1 + r.IntN(2) {
				lan := netip.PrefixFrom(randomIn(r, pfx, 24), max(24, pfx.Bits()))
				for range 8 + r.IntN(24) {
					p.in4 = append(p.in4, newHost(randomIn(r, lan, 32)))
				}
				p.resolvers4 = append(p.resolvers4, newHost(lan.Addr().Next()))
			}
		} else {
			base := randomIn(r, pfx, 64)
			for range 10 + r.IntN(20) {
				b := base.As16()
				for i := 8; i < 16; i++ {
					b[i] = byte(r.IntN(256))
				}
				p.in6 = append(p.in6, newHost(netip.AddrFrom16(b)))
			}
		}
	}
	for range 2000 {
		p.ext4 = append(p.ext4, newHost(randomPublic4(r)))
	}
	// Real provider prefixes, so that the addresses look like traffic to CDNs.
	v6Nets := []netip.Prefix{
		netip.MustParsePrefix("2a00:1450::/32"), netip.MustParsePrefix("2606:4700::/32"),
		netip.MustParsePrefix("2a03:2880::/32"), netip.MustParsePrefix("2001:4860::/32"),
		netip.MustParsePrefix("2a03:b0c0::/32"), netip.MustParsePrefix("2600:1f18::/32"),
	}
	for range 400 {
		a := randomIn(r, v6Nets[r.IntN(len(v6Nets))], 128)
		if r.IntN(3) == 0 {
			// Many server addresses have mostly-zero interface IDs, which is what
			// makes the expanded and compressed forms differ most.
			b := a.As16()
			for i := 8; i < 14; i++ {
				b[i] = 0
			}
			a = netip.AddrFrom16(b)
		}
		p.ext6 = append(p.ext6, newHost(a))
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "9.9.9.9"} {
		p.public4 = append(p.public4, newHost(netip.MustParseAddr(s)))
	}
	for range 6 {
		b := [16]byte{0xfe, 0x80}
		for i := 8; i < 16; i++ {
			b[i] = byte(r.IntN(256))
		}
		b[11], b[12] = 0xff, 0xfe // EUI-64 shape
		p.linkLocal = append(p.linkLocal, newHost(netip.AddrFrom16(b)))
	}
	p.allRouters = newHost(netip.MustParseAddr("ff02::2"))
	return p
}

// randomIn returns a random address inside pfx whose bits beyond keep are zero.
func randomIn(r *rand.Rand, pfx netip.Prefix, keep int) netip.Addr {
	a := pfx.Masked().Addr()
	b := a.AsSlice()
	for bit := pfx.Bits(); bit < keep && bit < len(b)*8; bit++ {
		if r.IntN(2) == 1 {
			b[bit/8] |= 0x80 >> (bit % 8)
		}
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

func randomPublic4(r *rand.Rand) netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
		if a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() ||
			netip.MustParsePrefix("100.64.0.0/10").Contains(a) || a.As4()[0] == 0 {
			continue
		}
		return a
	}
}
