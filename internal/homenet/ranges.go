package homenet

import (
	"net/netip"
	"slices"
)

// Range is an inclusive address range [Lo, Hi] of one family.
type Range struct{ Lo, Hi netip.Addr }

// Ranges returns the set as sorted, disjoint, non-adjacent ranges (IPv4
// before IPv6), for a store that tests membership itself (the fleet
// report's ClickHouse queries). An address a is in the set exactly when
// a.Unmap() is in one of them; the IPv4-mapped IPv6 block is left out of
// the IPv6 ranges because Contains unmaps before it compares.
func (s *Set) Ranges() []Range {
	if s == nil {
		return nil
	}
	var out []Range
	for _, p := range s.prefixes {
		out = append(out, prefixRange(p.Masked()))
	}
	if s.home != nil && s.home.root != nil {
		out = append(out, nodeRanges(s.home.root)...)
	}
	return subtract(union(out), []Range{prefixRange(netip.MustParsePrefix("::ffff:0:0/96"))})
}

var (
	full4 = Range{netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255})}
	full6 = Range{netip.IPv6Unspecified(), netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff,
		8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})}
)

func prefixRange(p netip.Prefix) Range {
	lo := p.Masked().Addr()
	b := lo.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	hi, _ := netip.AddrFromSlice(b)
	return Range{lo, hi}
}

func nodeRanges(n node) []Range {
	switch n := n.(type) {
	case anyNode:
		return []Range{full4, full6}
	case prefixNode:
		return []Range{prefixRange(n.p)}
	case rangeNode:
		return []Range{{n.lo, n.hi}}
	case groupNode:
		var pos []Range
		if len(n.pos) == 0 {
			pos = []Range{full4, full6}
		}
		for _, x := range n.pos {
			pos = append(pos, nodeRanges(x)...)
		}
		var neg []Range
		for _, x := range n.neg {
			neg = append(neg, nodeRanges(x)...)
		}
		return subtract(union(pos), union(neg))
	}
	return nil
}

// union sorts and merges overlapping or adjacent ranges of one family.
func union(rs []Range) []Range {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b Range) int { return a.Lo.Compare(b.Lo) })
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next := last.Hi.Next() // invalid after the family's last address
			if last.Hi.BitLen() == r.Lo.BitLen() && (r.Lo.Compare(last.Hi) <= 0 || (next.IsValid() && next == r.Lo)) {
				if r.Hi.Compare(last.Hi) > 0 {
					last.Hi = r.Hi
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// subtract removes every address of b (disjoint, sorted) from a (the same).
func subtract(a, b []Range) []Range {
	var out []Range
	for _, r := range a {
		cur := []Range{r}
		for _, x := range b {
			var next []Range
			for _, c := range cur {
				if x.Lo.BitLen() != c.Lo.BitLen() || x.Hi.Compare(c.Lo) < 0 || x.Lo.Compare(c.Hi) > 0 {
					next = append(next, c)
					continue
				}
				if x.Lo.Compare(c.Lo) > 0 {
					next = append(next, Range{c.Lo, x.Lo.Prev()})
				}
				if x.Hi.Compare(c.Hi) < 0 {
					next = append(next, Range{x.Hi.Next(), c.Hi})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}
