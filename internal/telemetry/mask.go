package telemetry

import (
	"net/netip"
	"strconv"
	"strings"
)

// Locality says whether an address belongs to the sensor's own networks;
// *homenet.Set implements it.
type Locality interface {
	Contains(netip.Addr) bool
}

// appendMaskedAddr writes the masked form of a local address. IPv4 keeps the
// last octet, the plugin's wire format ("xxx.xxx.xxx.45"). IPv6 keeps only
// the last 16 bits, in RFC 5952 lower-case hex without leading zeros, behind
// seven "xxxx" groups: the plugin kept 32 bits, which for SLAAC EUI-64
// addresses carries three bytes of the host's MAC (research/telemetry.md §8).
func appendMaskedAddr(dst []byte, a netip.Addr) []byte {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		b := a.As4()
		dst = append(dst, "xxx.xxx.xxx."...)
		return strconv.AppendUint(dst, uint64(b[3]), 10)
	}
	b := a.As16()
	dst = append(dst, "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:"...)
	return strconv.AppendUint(dst, uint64(b[14])<<8|uint64(b[15]), 16)
}

// parseAddrText parses an address as Suricata and HTTP headers print it:
// plain, with a zone, or in brackets.
func parseAddrText(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

func isAddrByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

// scrubText masks every local address embedded in free text (a certificate
// subject "CN=10.1.2.3", a host "10.1.2.3:8080", a referer URL). Tokens are
// maximal runs of hex digits, dots and colons; a token that is not an
// address as a whole is tried without a trailing ":port" or punctuation and
// piece by piece between colons, so IPv4 inside "::ffff:" or "host:port"
// forms is found too. It returns s itself when nothing changed.
func scrubText(s string, local Locality) string {
	if !strings.ContainsAny(s, ".:") {
		return s
	}
	var out []byte
	last := 0
	for i := 0; i < len(s); {
		if !isAddrByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAddrByte(s[j]) {
			j++
		}
		tok := s[i:j]
		if masked, ok := maskToken(tok, local); ok {
			if out == nil {
				out = make([]byte, 0, len(s)+16)
			}
			out = append(out, s[last:i]...)
			out = append(out, masked...)
			last = j
		}
		i = j
	}
	if out == nil {
		return s
	}
	out = append(out, s[last:]...)
	return string(out)
}

// maskToken returns the token with its local addresses masked, and whether
// it changed anything.
func maskToken(tok string, local Locality) (string, bool) {
	if !strings.ContainsAny(tok, ".:") {
		return "", false
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		if local.Contains(a) {
			return string(appendMaskedAddr(nil, a)), true
		}
		return "", false
	}
	// Trailing punctuation ("… 10.0.0.1.") and ports ("10.0.0.1:80").
	if t := strings.TrimRight(tok, ".:"); t != tok && t != "" {
		if m, ok := maskToken(t, local); ok {
			return m + tok[len(t):], true
		}
	}
	// Piecewise: every colon-separated piece with a dot may be an IPv4
	// address (host:port, ::ffff:a.b.c.d, a.b.c.d:a.b.c.d).
	if strings.Contains(tok, ":") && strings.Contains(tok, ".") {
		parts := strings.Split(tok, ":")
		changed := false
		for k, p := range parts {
			if a, err := netip.ParseAddr(strings.TrimRight(p, ".")); err == nil && a.Is4() && local.Contains(a) {
				parts[k] = string(appendMaskedAddr(nil, a)) + p[len(strings.TrimRight(p, ".")):]
				changed = true
			}
		}
		if changed {
			return strings.Join(parts, ":"), true
		}
	}
	// Dotted runs longer than an address ("1.10.0.0.1") may hide one.
	if strings.Count(tok, ".") > 3 && !strings.Contains(tok, ":") {
		return maskDottedRun(tok, local)
	}
	return "", false
}

// maskDottedRun masks any four consecutive dotted numbers that form a local
// IPv4 address inside a longer dotted run.
func maskDottedRun(tok string, local Locality) (string, bool) {
	parts := strings.Split(tok, ".")
	changed := false
	for k := 0; k+4 <= len(parts); k++ {
		cand := strings.Join(parts[k:k+4], ".")
		if a, err := netip.ParseAddr(cand); err == nil && local.Contains(a) {
			for m := k; m < k+3; m++ {
				parts[m] = "xxx"
			}
			changed = true
		}
	}
	if !changed {
		return "", false
	}
	return strings.Join(parts, "."), true
}
