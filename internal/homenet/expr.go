// Package homenet decides which IP addresses belong to the sensor's own
// networks: Suricata address expressions (HOME_NET with `!` exclusions,
// `[...]` groups, ranges and `$VARIABLES`), the address-groups of a
// suricata.yaml, the host's interface networks and the ranges that are never
// public (RFC 1918, CGNAT, ULA, link-local, loopback).
package homenet

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxDepth bounds nesting of groups and variable expansion, so a variable
// that refers to itself (directly or through others) is an error, not a hang.
const maxDepth = 32

// Expr is a parsed Suricata address expression.
type Expr struct {
	root node
}

// node is one element of an expression: a prefix, a range, "any" or a group.
type node interface {
	contains(a netip.Addr) bool
}

type anyNode struct{}

func (anyNode) contains(netip.Addr) bool { return true }

type prefixNode struct{ p netip.Prefix }

func (n prefixNode) contains(a netip.Addr) bool { return n.p.Contains(a) }

type rangeNode struct{ lo, hi netip.Addr }

func (n rangeNode) contains(a netip.Addr) bool {
	return a.BitLen() == n.lo.BitLen() && n.lo.Compare(a) <= 0 && a.Compare(n.hi) <= 0
}

// groupNode matches what one of pos matches and none of neg matches; a group
// with only exclusions ("!$HOME_NET") starts from "any", as Suricata does.
type groupNode struct {
	pos, neg []node
}

func (g groupNode) contains(a netip.Addr) bool {
	in := len(g.pos) == 0
	for _, n := range g.pos {
		if n.contains(a) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, n := range g.neg {
		if n.contains(a) {
			return false
		}
	}
	return true
}

// Contains reports whether a is in the expression. IPv4-mapped IPv6
// addresses are treated as the IPv4 address, zones are ignored.
func (e *Expr) Contains(a netip.Addr) bool {
	if e == nil || e.root == nil {
		return false
	}
	return e.root.contains(a.Unmap().WithZone(""))
}

// Parse parses a Suricata address expression such as
// "[192.168.0.0/16,!192.168.5.0/24,$DMZ]". vars resolves $NAME references
// (the address-groups of suricata.yaml); a reference to an unknown variable
// is an error.
func Parse(expr string, vars map[string]string) (*Expr, error) {
	p := parser{vars: vars}
	n, err := p.parse(expr, 0)
	if err != nil {
		return nil, err
	}
	return &Expr{root: n}, nil
}

type parser struct {
	vars map[string]string
}

func (p *parser) parse(expr string, depth int) (node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("address expression nested deeper than %d (recursive variable?)", maxDepth)
	}
	items, err := splitTop(strings.TrimSpace(expr))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("empty address expression")
	}
	var g groupNode
	for _, it := range items {
		neg := false
		for strings.HasPrefix(it, "!") {
			neg = !neg
			it = strings.TrimSpace(it[1:])
		}
		n, err := p.item(it, depth)
		if err != nil {
			return nil, err
		}
		if neg {
			g.neg = append(g.neg, n)
		} else {
			g.pos = append(g.pos, n)
		}
	}
	if len(g.pos) == 1 && len(g.neg) == 0 {
		return g.pos[0], nil
	}
	return g, nil
}

// item parses one element without its leading "!".
func (p *parser) item(it string, depth int) (node, error) {
	switch {
	case it == "":
		return nil, fmt.Errorf("empty element in address expression")
	case strings.HasPrefix(it, "["):
		if !strings.HasSuffix(it, "]") {
			return nil, fmt.Errorf("unbalanced '[' in %q", it)
		}
		return p.parse(it[1:len(it)-1], depth+1)
	case strings.HasPrefix(it, "$"):
		name := it[1:]
		v, ok := p.vars[name]
		if !ok {
			return nil, fmt.Errorf("unknown address variable $%s", name)
		}
		n, err := p.parse(v, depth+1)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", name, err)
		}
		return n, nil
	case strings.EqualFold(it, "any"):
		return anyNode{}, nil
	}
	return parseLeaf(it)
}

// parseLeaf parses an address, a CIDR, or a "lo-hi" range.
func parseLeaf(s string) (node, error) {
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a.BitLen() != b.BitLen() || b.Less(a) {
			return nil, fmt.Errorf("bad address range %q", s)
		}
		return rangeNode{a.Unmap().WithZone(""), b.Unmap().WithZone("")}, nil
	}
	if strings.Contains(s, "/") {
		pfx, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		return prefixNode{pfx}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, fmt.Errorf("bad address %q", s)
	}
	a = a.Unmap().WithZone("")
	return prefixNode{netip.PrefixFrom(a, a.BitLen())}, nil
}

// ParsePrefix parses "addr/bits" (host bits may be set, as in HOME_NET
// entries like 192.168.1.1/24) or "addr/dotted-netmask", returning the
// masked network.
func ParsePrefix(s string) (netip.Prefix, error) {
	addr, mask, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad network %q", s)
		}
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad network %q", s)
	}
	a = a.Unmap().WithZone("")
	if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && a.Is4() {
		bits, ok := maskBits(m)
		if !ok {
			return netip.Prefix{}, fmt.Errorf("bad netmask in %q", s)
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	var bits int
	if _, err := fmt.Sscanf(mask, "%d", &bits); err != nil || fmt.Sprint(bits) != mask || bits < 0 || bits > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("bad prefix length in %q", s)
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

// splitTop splits on commas outside brackets.
func splitTop(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ']' in %q", s)
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '[' in %q", s)
	}
	if last := strings.TrimSpace(s[start:]); last != "" || len(out) > 0 {
		out = append(out, last)
	}
	return out, nil
}
