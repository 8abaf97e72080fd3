package telemetry

import (
	"net/netip"
	"slices"
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
	if !a.IsValid() {
		return append(dst, "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx"...)
	}
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

// IPv6 prefixes that carry an IPv4 address in known bytes. A local IPv4
// inside them (a NAT64 or 6to4 peer of the LAN, "::10.1.2.3") is as
// revealing as the IPv4 itself.
var (
	pfxCompat = netip.MustParsePrefix("::/96")           // IPv4-compatible, last 32 bits
	pfxSIIT   = netip.MustParsePrefix("::ffff:0:0:0/96") // IPv4-translated, last 32 bits
	pfxNAT64  = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052, last 32 bits
	pfxNAT64L = netip.MustParsePrefix("64:ff9b:1::/48")  // RFC 8215 local use; conservatively last 32 bits
	pfx6to4   = netip.MustParsePrefix("2002::/16")       // bits 16..47
	pfxTeredo = netip.MustParsePrefix("2001::/32")       // server bits 32..63, client last 32 bits inverted
)

// embedded4 returns the IPv4 addresses an IPv6 address embeds by a
// standard transition mechanism.
func embedded4(a netip.Addr) []netip.Addr {
	if !a.Is6() || a.Is4In6() {
		return nil
	}
	b := a.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case pfxCompat.Contains(a), pfxSIIT.Contains(a), pfxNAT64.Contains(a), pfxNAT64L.Contains(a):
		return []netip.Addr{last}
	case pfx6to4.Contains(a):
		return []netip.Addr{netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})}
	case pfxTeredo.Contains(a):
		return []netip.Addr{netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}),
			netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})}
	}
	return nil
}

// localAddr reports whether a is local, or embeds a local IPv4 address; it
// returns the address whose masked form replaces a (the embedded IPv4, so
// the masked text keeps one octet, not the two of an IPv6 group).
func localAddr(local Locality, a netip.Addr) (netip.Addr, bool) {
	a = a.WithZone("")
	if local.Contains(a) {
		return a, true
	}
	for _, v4 := range embedded4(a) {
		if local.Contains(v4) {
			return v4, true
		}
	}
	return netip.Addr{}, false
}

// parseAddrText parses an address as Suricata and HTTP headers print it:
// plain, with a zone, or in brackets. The zone is dropped: it is free text
// ("%10.1.2.3" is a valid zone) and says nothing the address does not.
func parseAddrText(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	// Before any zone, an address is hex digits, colons and dots: a name
	// ("www.example.com") is turned away without ParseAddr's error value.
	for i := 0; i < len(s) && s[i] != '%'; i++ {
		if c := s[i]; !isHex(c) && c != ':' && c != '.' {
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone(""), true
}

// span is a byte range of a text that holds a local address.
type span struct {
	start, end int
	addr       netip.Addr
}

// scrubText masks every local address embedded in free text (a certificate
// subject "CN=10.1.2.3", a host "10.1.2.3:8080", a resolver in an error
// message) in every textual form an address takes in dotted or colon
// notation: plain, zoned, glued to letters or digits ("vlanfe80::1",
// "CN=fe10.1.2.3", "10.1.2.3e"), with leading zeros, octal or hex parts
// ("192.168.001.001", "012.01.02.03", "0x0a.0x01.0x02.0x03"), and IPv4
// inside IPv6 ("::10.1.2.3", "64:ff9b::a01:203", "2002:a01:203::"). It errs
// towards masking: a run that can be read as a local address in any of
// these ways is masked. It returns s itself when nothing changed.
func scrubText(s string, local Locality) string {
	if strings.IndexByte(s, '.') < 0 && strings.IndexByte(s, ':') < 0 {
		return s
	}
	// What is left beside a masked part can read as another address
	// ("::100.0.0.1" masked as "::100" leaves "0.0.0.1"): repeat until
	// nothing changes. Each pass only hides digits; a bound keeps it finite anyway.
	out := scrubOnce(s, local)
	for prev, n := s, 0; out != prev && n < 8; n++ {
		prev, out = out, scrubOnce(out, local)
	}
	return out
}

func scrubOnce(s string, local Locality) string {
	spans := v6Spans(s, local, nil)
	spans = v4Spans(s, local, spans)
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := make([]byte, 0, len(s)+16)
	last := 0
	for i := 0; i < len(spans); {
		sp := spans[i]
		// Overlapping readings of one run are masked as one.
		j := i + 1
		for j < len(spans) && spans[j].start < sp.end {
			sp.end = max(sp.end, spans[j].end)
			j++
		}
		out = append(out, s[last:sp.start]...)
		out = appendMaskedAddr(out, sp.addr)
		last = sp.end
		i = j
	}
	return string(append(out, s[last:]...))
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// v6Spans finds IPv6 addresses: runs of hex digits, colons and dots that
// could hold one ("::" or at least six colons). A run that parses whole is
// judged whole ("2001:db8::1" is not the loopback "::1"); one that does not
// is tried from every start up to its first colon (letters glued before:
// "vlanfe80::1") and at and after every separator, to every end: a run
// that is no address reads as local when any part of it does.
func v6Spans(s string, local Locality, spans []span) []span {
	for i := 0; i < len(s); {
		if !isHex(s[i]) && s[i] != ':' && s[i] != '.' {
			i++
			continue
		}
		j := i
		colons, double := 0, false
		for j < len(s) && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
			if s[j] == ':' {
				colons++
				if j > i && s[j-1] == ':' {
					double = true
				}
			}
			j++
		}
		run := s[i:j]
		off := i
		i = j
		if !double && colons < 6 {
			continue
		}
		if a, err := netip.ParseAddr(run); err == nil {
			if m, ok := localAddr(local, a); ok && !a.IsUnspecified() {
				spans = append(spans, span{off, off + len(run), m})
			} else if tail, ok := dottedTail(a, run); ok && local.Contains(tail) {
				// Masking only the dotted tail would leave a different
				// address behind ("::1:0.0.0.0" → "::1:xxx…"): mask it all.
				spans = append(spans, span{off, off + len(run), tail})
			}
			continue
		}
		if len(run) > maxV6Run {
			// No text of a real log has such a run; judging it would cost
			// quadratic time on hostile input. Hide it whole.
			spans = append(spans, span{off, off + len(run), netip.Addr{}})
			continue
		}
		first := strings.IndexByte(run, ':')
		for st := 0; st < len(run)-1; st++ {
			// Starts: anywhere up to the first colon, then after separators.
			if st > first && run[st] != ':' && run[st-1] != ':' && run[st-1] != '.' {
				continue
			}
			// No address text is longer than 45 bytes. Only the ends
			// addrEnds lets through can parse: a colon run that is no
			// address (a certificate fingerprint "8a:9c:…", 59 bytes) would
			// otherwise cost some 1,800 failed parses.
			ends := addrEnds(run, st)
			for end := min(len(run), st+45); end > st+1; end-- {
				if end < len(run) && run[end] != ':' && run[end] != '.' && !isHex(run[end]) {
					continue
				}
				if ends&(1<<uint(end-st)) == 0 {
					continue
				}
				a, err := netip.ParseAddr(run[st:end])
				if err != nil {
					continue
				}
				if m, ok := localAddr(local, a); ok && !a.IsUnspecified() {
					spans = append(spans, span{off + st, off + end, m})
					break
				}
			}
		}
	}
	return spans
}

// addrEnds returns a bit set: bit k is set when run[st:st+k] (k ≤ 45) may
// be an address text netip.ParseAddr accepts. It only rules out what the
// address grammar cannot hold, so it never hides an address (FuzzAddrEnds
// checks it against ParseAddr): a hex group of more than four digits, a
// second "::", a lone leading colon, a colon after a dotted part, more than
// three dots; and at the end, a lone trailing colon, a dotted part without
// three dots, or other than eight groups without "::" (more with it). run
// holds only hex digits, colons and dots.
func addrEnds(run string, st int) uint64 {
	var bits uint64
	groups, cur, dots, colons := 0, 0, 0, 0
	ellipsis, prevColon := false, false
	for p := st; p < len(run) && p < st+45; p++ {
		c := run[p]
		if c == ':' {
			colons++
			if prevColon {
				if ellipsis {
					return bits // ":::" or a second "::"
				}
				ellipsis = true
			} else {
				if dots > 0 {
					return bits // the dotted part ends an address
				}
				if cur > 0 {
					groups++
				}
				cur = 0
			}
			prevColon = true
		} else {
			if p == st+1 && run[st] == ':' {
				return bits // one leading colon
			}
			if c == '.' {
				dots++
				if dots > 3 {
					return bits
				}
			}
			cur++
			if dots == 0 && cur > 4 || cur > 15 {
				return bits
			}
			prevColon = false
		}
		if possibleAddr(run, st, p+1, groups, cur, dots, colons, ellipsis, prevColon) {
			bits |= 1 << uint(p+1-st)
		}
	}
	return bits
}

// possibleAddr judges the end of addrEnds' prefix run[st:end].
func possibleAddr(run string, st, end, groups, cur, dots, colons int, ellipsis, prevColon bool) bool {
	if colons == 0 {
		return dots == 3 // IPv4: four parts
	}
	if prevColon {
		return end-st >= 2 && run[end-2] == ':' // "…::" ends an address, a lone ':' does not
	}
	n := groups
	switch dots {
	case 0:
		n++
	case 3:
		n += 2 // a dotted IPv4 tail fills two groups
	default:
		return false
	}
	if ellipsis {
		return n <= 8
	}
	return n == 8
}

// dottedTail is the IPv4 written in dotted form at the end of an IPv6
// address ("64:ff9b::10.1.2.3").
func dottedTail(a netip.Addr, text string) (netip.Addr, bool) {
	if !a.Is6() || strings.IndexByte(text, '.') < 0 {
		return netip.Addr{}, false
	}
	b := a.As16()
	return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
}

// maxPart bounds the text of one dotted part (leading zeros included).
const maxPart = 64

// maxV6Run bounds a colon run that is searched for addresses inside.
const maxV6Run = 256

// part is one reading of a dotted part: its text range and the values it
// may mean (decimal, and octal when it has a leading zero, as inet_aton
// reads it; or hex after 0x).
type part struct {
	start, end int // within the label
	vals       [2]uint64
	n          int
}

// parsePart reads p as an inet_aton part; ok is false when p is not one.
func parsePart(p string) (vals [2]uint64, n int, ok bool) {
	if p == "" || len(p) > maxPart {
		return vals, 0, false
	}
	if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		h := strings.TrimLeft(p[2:], "0")
		if h == "" {
			h = "0"
		}
		if len(h) > 12 {
			return vals, 0, false
		}
		v, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return vals, 0, false
		}
		vals[0] = v
		return vals, 1, true
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return vals, 0, false
		}
	}
	// Leading zeros change the base, never the size.
	d := strings.TrimLeft(p, "0")
	if d == "" {
		d = "0"
	}
	if len(d) > 12 {
		return vals, 0, false
	}
	v, _ := strconv.ParseUint(d, 10, 64)
	vals[0], n = v, 1
	if len(p) > 1 && p[0] == '0' {
		if o, err := strconv.ParseUint(d, 8, 64); err == nil && o != v {
			vals[1], n = o, 2
		}
	}
	return vals, n, true
}

// octetReadings lists the readings of a label as one octet. A label that is
// an octet as a whole is read only whole ("110" in "110.1.2.3" is a public
// 110.x, not a glued 10.x); otherwise every suffix (first label: glued
// after letters or digits, "fe10", "2310") or prefix (last label: "3e",
// "1234") that is a valid part is a reading.
func octetReadings(label string, suffix bool, dst []part) []part {
	dst = dst[:0]
	if vals, n, ok := parsePart(label); ok && fitsOctet(vals, n) {
		return append(dst, part{0, len(label), vals, n})
	}
	add := func(st, end int) {
		if vals, n, ok := parsePart(label[st:end]); ok && fitsOctet(vals, n) {
			dst = append(dst, part{st, end, vals, n})
		}
	}
	if suffix {
		for st := max(0, len(label)-maxPart); st < len(label); st++ { // widest first
			add(st, len(label))
		}
	} else {
		for end := 1; end <= len(label) && end <= maxPart; end++ {
			add(0, end)
		}
	}
	return dst
}

func fitsOctet(vals [2]uint64, n int) bool {
	for k := 0; k < n; k++ {
		if vals[k] <= 255 {
			return true
		}
	}
	return false
}

// v4Spans finds dotted IPv4 addresses: in every word of letters, digits
// and dots, every four consecutive labels are tried as an address with the
// first label's suffixes and the last label's prefixes as readings, and
// every decimal/octal/hex meaning of each part.
func v4Spans(s string, local Locality, spans []span) []span {
	var labels [][2]int // start, end in s
	var first, lastR, mid1, mid2 []part
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) && s[i] != '.' {
			i++
			continue
		}
		j := i
		dots := 0
		for j < len(s) && (isAlnum(s[j]) || s[j] == '.') {
			if s[j] == '.' {
				dots++
			}
			j++
		}
		w, off := s[i:j], i
		i = j
		if dots < 3 {
			continue
		}
		labels = labels[:0]
		st := 0
		for k := 0; k <= len(w); k++ {
			if k == len(w) || w[k] == '.' {
				labels = append(labels, [2]int{off + st, off + k})
				st = k + 1
			}
		}
		for k := 0; k+4 <= len(labels); k++ {
			lab := func(n int) string { return s[labels[k+n][0]:labels[k+n][1]] }
			mid1 = wholeOctet(lab(1), mid1)
			mid2 = wholeOctet(lab(2), mid2)
			if len(mid1) == 0 || len(mid2) == 0 {
				continue
			}
			first = octetReadings(lab(0), true, first)
			lastR = octetReadings(lab(3), false, lastR)
			if sp, ok := findLocal4(local, first, mid1[0], mid2[0], lastR); ok {
				spans = append(spans, span{labels[k][0] + sp.start, labels[k+3][0] + sp.end, sp.addr})
			}
		}
	}
	return spans
}

func wholeOctet(label string, dst []part) []part {
	dst = dst[:0]
	if vals, n, ok := parsePart(label); ok && fitsOctet(vals, n) {
		dst = append(dst, part{0, len(label), vals, n})
	}
	return dst
}

// findLocal4 tries every combination of readings, widest first; the span
// it returns runs from the first part's start (in the first label) to the
// last part's end (in the last label).
func findLocal4(local Locality, first []part, b, c part, last []part) (span, bool) {
	for _, a := range first {
		for di := len(last) - 1; di >= 0; di-- {
			d := last[di]
			for ia := 0; ia < a.n; ia++ {
				for ib := 0; ib < b.n; ib++ {
					for ic := 0; ic < c.n; ic++ {
						for id := 0; id < d.n; id++ {
							va, vb, vc, vd := a.vals[ia], b.vals[ib], c.vals[ic], d.vals[id]
							if va > 255 || vb > 255 || vc > 255 || vd > 255 {
								continue
							}
							addr := netip.AddrFrom4([4]byte{byte(va), byte(vb), byte(vc), byte(vd)})
							if local.Contains(addr) {
								return span{a.start, d.end, addr}, true
							}
						}
					}
				}
			}
		}
	}
	return span{}, false
}

// parseInetAton reads a host as a browser or inet_aton does: one to four
// dot-separated parts, each decimal, octal (leading 0) or hex (0x), the
// last filling the remaining bytes ("167838211", "10.1.515",
// "0x0a.0x01.0x02.0x03"). A trailing dot is allowed. It returns every
// address the host may mean (octal and decimal readings differ).
func parseInetAton(h string) []netip.Addr {
	// A byte no part can hold rejects a name ("example.com") before the
	// split and its allocation: parts are digits, or hex digits after 0x.
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isHex(c) && c != '.' && c != 'x' && c != 'X' {
			return nil
		}
	}
	h = strings.TrimSuffix(h, ".")
	labels := strings.Split(h, ".")
	if len(labels) > 4 || h == "" {
		return nil
	}
	type reading struct {
		vals [2]uint64
		n    int
	}
	rs := make([]reading, len(labels))
	for i, l := range labels {
		vals, n, ok := parsePart(l)
		if !ok {
			return nil
		}
		rs[i] = reading{vals, n}
	}
	var out []netip.Addr
	var walk func(i int, acc uint64)
	walk = func(i int, acc uint64) {
		if i == len(rs) {
			out = append(out, netip.AddrFrom4([4]byte{byte(acc >> 24), byte(acc >> 16), byte(acc >> 8), byte(acc)}))
			return
		}
		for k := 0; k < rs[i].n; k++ {
			v := rs[i].vals[k]
			if i < len(rs)-1 {
				if v > 255 {
					continue
				}
				walk(i+1, acc|v<<(8*uint(3-i)))
				continue
			}
			if bits := 8 * uint(4-i); v < 1<<bits {
				walk(i+1, acc|v)
			}
		}
	}
	walk(0, 0)
	return out
}

// hostAddr reads a host name field (HTTP Host, SNI, the host of a referer)
// as an address in any form a client would connect to: IPv6 with zone or
// brackets, dotted IPv4, or inet_aton's numeric spellings. numeric is true
// when the host looks numeric (its last label is a number) even if it
// did not parse: such a host is dropped rather than judged.
func hostAddr(local Locality, h string) (a netip.Addr, isLocal, numeric bool) {
	if a, ok := parseAddrText(h); ok {
		if m, ok := localAddr(local, a); ok {
			return m, true, true
		}
		return a, false, true
	}
	if as := parseInetAton(h); len(as) > 0 {
		for _, a := range as {
			if local.Contains(a) {
				return a, true, true
			}
		}
		return as[0], false, true
	}
	t := strings.TrimSuffix(h, ".")
	if k := strings.LastIndexByte(t, '.'); k >= 0 {
		t = t[k+1:]
	}
	if _, _, ok := parsePart(t); ok || strings.ContainsAny(h, ":%[]") {
		return netip.Addr{}, false, true
	}
	return netip.Addr{}, false, false
}
