package telemetry

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
)

// findLocal is the test's own, deliberately different, detector: it cuts
// the output into runs of address characters and tries every substring that
// starts and ends on a run boundary or a separator (and, for colon runs
// that are no address as a whole, every start before the first colon), so
// an address hidden in "::ffff:", "host:port", brackets, a longer dotted
// run or glued to letters is still found. IPv4 addresses embedded in IPv6
// (compatible, NAT64, 6to4) count, and so does every dotted quad whose parts
// strconv reads in base 0 (octal, hex) or base 10 (leading zeros), in any
// word of letters and digits. In the host fields (http.hostname, tls.sni,
// the host of http_refer) the numeric inet_aton spellings count too.
// It returns the first local address found, or "".
func findLocal(out []byte, local Locality) string {
	s := string(out)
	isAddr := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
	}
	judge := func(sub string) bool {
		addr, err := netip.ParseAddr(sub)
		if err != nil || addr.IsUnspecified() {
			return false
		}
		return local.Contains(addr) || embedsLocal(addr, local)
	}
	for i := 0; i < len(s); {
		if !isAddr(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAddr(s[j]) {
			j++
		}
		run := s[i:j]
		i = j
		// A run that is itself an address is judged whole: "1::" is not
		// the local "::" and "2a00:fe80::1" is not the local "fe80::1".
		if _, err := netip.ParseAddr(run); err == nil {
			if judge(run) {
				return run
			}
			continue
		}
		// cut points: the run's ends and both sides of every separator
		cuts := []int{0, len(run)}
		for k := 0; k < len(run); k++ {
			if run[k] == ':' || run[k] == '.' {
				cuts = append(cuts, k, k+1)
			}
		}
		if c := strings.IndexByte(run, ':'); c > 0 && (strings.Contains(run, "::") || strings.Count(run, ":") >= 6) {
			for k := 1; k < c; k++ {
				cuts = append(cuts, k) // letters glued before an IPv6 address
			}
		}
		for _, a := range cuts {
			for _, b := range cuts {
				if b-a < 2 || b-a > 45 {
					continue
				}
				if judge(run[a:b]) {
					return run[a:b]
				}
			}
		}
	}
	if q := dottedLocal(s, local); q != "" {
		return q
	}
	var rec struct {
		HTTP struct {
			Hostname string `json:"hostname"`
			Refer    string `json:"http_refer"`
		} `json:"http"`
		TLS struct {
			SNI string `json:"sni"`
		} `json:"tls"`
	}
	if json.Unmarshal(out, &rec) == nil {
		refer := rec.HTTP.Refer
		if k := strings.Index(refer, "://"); k >= 0 {
			refer = refer[k+3:]
			if k := strings.LastIndexByte(refer, ':'); k >= 0 && !strings.HasSuffix(refer, "]") {
				refer = refer[:k]
			}
		}
		for _, h := range []string{rec.HTTP.Hostname, rec.TLS.SNI, refer} {
			for _, a := range atonReadings(h) {
				if local.Contains(a) {
					return h
				}
			}
		}
	}
	return ""
}

// embedsLocal: the IPv4 of an IPv4-compatible, NAT64 or 6to4 address.
func embedsLocal(a netip.Addr, local Locality) bool {
	b := a.As16()
	var cands []netip.Addr
	switch {
	case a.Is4In6():
		return false
	case string(b[:12]) == string(make([]byte, 12)), // IPv4-compatible
		string(b[:12]) == "\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00", // SIIT
		b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b:            // NAT64
		cands = append(cands, netip.AddrFrom4([4]byte(b[12:16])))
	case b[0] == 0x20 && b[1] == 0x02:
		cands = append(cands, netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, c := range cands {
		if local.Contains(c) {
			return true
		}
	}
	return false
}

// dottedLocal finds a local dotted quad in any base inside words of letters
// and digits: every substring with three dots whose four parts strconv
// reads (base 0 or 10) as octets.
func dottedLocal(s string, local Locality) string {
	isWord := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.'
	}
	for i := 0; i < len(s); i++ {
		if !isWord(s[i]) || i > 0 && isWord(s[i-1]) && !isWord(s[i]) {
			continue
		}
		dots := 0
		for j := i; j < len(s) && isWord(s[j]) && j-i < 60; j++ {
			if s[j] == '.' {
				dots++
			}
			if dots > 3 {
				break
			}
			if dots == 3 && s[j] != '.' {
				sub := s[i : j+1]
				// The first label must begin at a word start or be glued
				// to something that is not itself an octet.
				if i > 0 && isWord(s[i-1]) && s[i-1] != '.' {
					k := i
					for k > 0 && isWord(s[k-1]) && s[k-1] != '.' {
						k--
					}
					if octetReading(s[k : i+strings.IndexByte(sub, '.')]) {
						continue
					}
				}
				if i > 0 && s[i-1] == '.' {
					continue // inside a longer dotted run: its own window covers it
				}
				if end := j + 1; end < len(s) && isWord(s[end]) && s[end] != '.' {
					k := end
					for k < len(s) && isWord(s[k]) && s[k] != '.' {
						k++
					}
					if octetReading(sub[strings.LastIndexByte(sub, '.')+1:] + s[end:k]) {
						continue
					}
				}
				for _, a := range quadReadings(strings.Split(sub, ".")) {
					if local.Contains(a) {
						return sub
					}
				}
			}
		}
	}
	return ""
}

func readings(p string) []uint64 {
	var out []uint64
	if v, err := strconv.ParseUint(p, 0, 32); err == nil && !strings.Contains(p, "_") && !strings.HasPrefix(strings.ToLower(p), "0o") && !strings.HasPrefix(strings.ToLower(p), "0b") {
		out = append(out, v)
	}
	if v, err := strconv.ParseUint(p, 10, 32); err == nil {
		out = append(out, v)
	}
	return out
}

func octetReading(p string) bool {
	for _, v := range readings(p) {
		if v <= 255 {
			return true
		}
	}
	return false
}

func quadReadings(parts []string) []netip.Addr {
	var out []netip.Addr
	for _, a := range readings(parts[0]) {
		for _, b := range readings(parts[1]) {
			for _, c := range readings(parts[2]) {
				for _, d := range readings(parts[3]) {
					if a|b|c|d <= 255 {
						out = append(out, netip.AddrFrom4([4]byte{byte(a), byte(b), byte(c), byte(d)}))
					}
				}
			}
		}
	}
	return out
}

// atonReadings: every address a client may read from a numeric host.
func atonReadings(h string) []netip.Addr {
	parts := strings.Split(strings.TrimSuffix(h, "."), ".")
	if len(parts) > 4 || h == "" {
		return nil
	}
	accs := []uint64{0}
	for i, p := range parts {
		var next []uint64
		for _, acc := range accs {
			for _, v := range readings(p) {
				if i < len(parts)-1 {
					if v <= 255 {
						next = append(next, acc|v<<(8*(3-i)))
					}
				} else if v < 1<<(8*(4-i)) {
					next = append(next, acc|v)
				}
			}
		}
		accs = next
	}
	var out []netip.Addr
	for _, v := range accs {
		out = append(out, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
	}
	return out
}

// textForms renders a in the textual forms a log or header may carry:
// every form of issue 14 that is not host-only.
func textForms(r *rand.Rand, a netip.Addr) string {
	if a.Is4() {
		b := a.As4()
		hex := fmt.Sprintf("%x:%x", uint(b[0])<<8|uint(b[1]), uint(b[2])<<8|uint(b[3]))
		switch r.IntN(17) {
		case 0:
			return a.String()
		case 1:
			return "::ffff:" + a.String()
		case 2:
			return a.String() + ":" + fmt.Sprint(r.IntN(65536))
		case 3:
			return "::FFFF:" + a.String()
		case 4:
			return "2a00:1450::" + fmt.Sprint(r.IntN(9)+1) + "%" + a.String() // zone id
		case 5:
			return "fe" + a.String() // glued to hex letters: CN=fe10.1.2.3
		case 6:
			return "vlanfe" + a.String()
		case 7:
			return "771" + a.String() // glued to digits (ja3-like)
		case 8:
			return a.String() + "e"
		case 9:
			return fmt.Sprintf("%03d.%03d.%03d.%03d", b[0], b[1], b[2], b[3]) // leading zeros
		case 10:
			return fmt.Sprintf("0%o.0%o.0%o.0%o", b[0], b[1], b[2], b[3]) // octal
		case 11:
			return fmt.Sprintf("0x%02x.0x%02x.0x%02x.0x%02x", b[0], b[1], b[2], b[3])
		case 12:
			return "::" + a.String() // IPv4-compatible
		case 13:
			return "::ffff:" + hex
		case 14:
			return "2002:" + hex + "::" + fmt.Sprint(r.IntN(9)+1) // 6to4
		case 15:
			return "64:ff9b::" + a.String() // NAT64
		default:
			return "64:ff9b::" + hex
		}
	}
	switch r.IntN(6) {
	case 0:
		return a.String()
	case 1:
		return a.StringExpanded()
	case 2:
		return strings.ToUpper(a.StringExpanded())
	case 3:
		return a.String() + "%eth0"
	case 4:
		return "vlan" + a.StringExpanded() // glued to hex letters
	default:
		return "[" + a.String() + "]"
	}
}

// hostForms adds the numeric spellings a browser resolves in a host.
func hostForms(r *rand.Rand, a netip.Addr) string {
	if !a.Is4() || r.IntN(2) == 0 {
		if a.Is4() {
			return a.String()
		}
		return "[" + a.String() + "]"
	}
	b := a.As4()
	u := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	switch r.IntN(6) {
	case 0:
		return fmt.Sprint(u) // 167838211
	case 1:
		return fmt.Sprintf("0x%08x", u)
	case 2:
		return fmt.Sprintf("0%o", u)
	case 3:
		return fmt.Sprintf("%d.%d.%d", b[0], b[1], uint(b[2])<<8|uint(b[3])) // 10.1.515
	case 4:
		return fmt.Sprintf("%d.%d", b[0], u&0xffffff)
	default:
		return fmt.Sprintf("%03d.%03d.%03d.%03d", b[0], b[1], b[2], b[3])
	}
}

// randomAddr draws a uniformly random address inside p.
func randomAddr(r *rand.Rand, p netip.Prefix) netip.Addr {
	net := p.Masked().Addr().AsSlice()
	out := make([]byte, len(net))
	for i := range out {
		keep := 0 // number of network bits in this byte
		if rem := p.Bits() - 8*i; rem >= 8 {
			keep = 8
		} else if rem > 0 {
			keep = rem
		}
		mask := byte(0xff << (8 - keep))
		out[i] = net[i]&mask | byte(r.UintN(256))&^mask
	}
	a, _ := netip.AddrFromSlice(out)
	return a
}

func TestPropertyNoLocalAddressSurvives(t *testing.T) {
	local, err := homenet.NewSet(homenet.Options{
		HomeNet:    "[198.18.0.0/15,2001:db8:1234::/48,!198.18.7.0/24]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.77/32"), netip.MustParsePrefix("2a01:4f8:1:2::/64")},
		Extra:      []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	localPools := []netip.Prefix{}
	for _, s := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"fc00::/7", "fe80::/10", "198.18.0.0/15", "2001:db8:1234::/48", "203.0.113.0/24", "198.51.100.77/32", "2a01:4f8:1:2::/64", "192.0.2.0/24", "::1/128"} {
		localPools = append(localPools, netip.MustParsePrefix(s))
	}
	externalPools := []netip.Prefix{netip.MustParsePrefix("8.0.0.0/8"), netip.MustParsePrefix("45.0.0.0/8"), netip.MustParsePrefix("2a00::/12"), netip.MustParsePrefix("2600::/12")}

	r := rand.New(rand.NewPCG(1, 2))
	enc := Encoder{Local: local}
	for iter := 0; iter < 8000; iter++ {
		pick := func() (string, netip.Addr, bool) {
			if r.IntN(2) == 0 {
				a := randomAddr(r, localPools[r.IntN(len(localPools))])
				if local.Contains(a) {
					return textForms(r, a), a, true
				}
			}
			a := randomAddr(r, externalPools[r.IntN(len(externalPools))])
			return a.String(), a, false
		}
		var locals []netip.Addr
		kept := 0 // local addresses in fields that are always kept
		keptVal := func() string {
			s, a, isLocal := pick()
			if isLocal {
				locals = append(locals, a)
				kept++
			}
			return s
		}
		val := func() string {
			s, a, isLocal := pick()
			if isLocal {
				locals = append(locals, a)
			}
			return s
		}
		host := func() string {
			_, a, isLocal := pick()
			if isLocal {
				locals = append(locals, a)
				return hostForms(r, a)
			}
			if a.Is6() {
				return "[" + a.String() + "]"
			}
			return a.String()
		}
		dir := []string{"to_server", "to_client", ""}[r.IntN(3)]
		srcText, srcAddr, srcLocal := pick()
		if srcLocal {
			srcText = srcAddr.StringExpanded() // an IP field holds a bare address
		}
		if srcLocal {
			locals = append(locals, srcAddr)
		}
		rec := map[string]any{
			"timestamp": "2024-05-08T18:32:48.472418+0200", "flow_id": r.Uint64() >> 1, "event_type": "alert",
			"in_iface": "eth" + keptVal(), "src_ip": srcText, "dest_ip": val(), "src_port": r.IntN(65536), "proto": "TCP " + keptVal(),
			"direction": dir, "app_proto": val(),
			"alert": map[string]any{"action": "allowed " + val(), "signature_id": 2000000 + r.IntN(100), "rev": 1, "signature": val(),
				"source": map[string]any{"ip": val(), "port": 1}, "target": map[string]any{"ip": val(), "port": 2}},
			"http": map[string]any{"hostname": host(), "http_refer": "http://" + host() + "/path?" + val(), "xff": val() + ", " + val(),
				"url": "/" + val(), "http_user_agent": val(), "http_method": val(), "http_content_type": "text/" + val()},
			"tls":       map[string]any{"sni": host(), "subject": "CN=" + val() + ", OU=x" + val(), "issuerdn": val(), "serial": val(), "ja3": map[string]any{"string": val()}},
			"tunnel":    map[string]any{"src_ip": val(), "dest_ip": val()},
			"flow":      map[string]any{"src_ip": val(), "dest_ip": val()},
			"payload":   val(),
			"metadata":  map[string]any{"flowbits": []string{val()}},
			"dns":       map[string]any{"rrname": val(), "answers": []any{map[string]any{"rdata": val()}}},
			"something": val(),
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out, err := enc.Append(nil, line)
		if err != nil {
			t.Fatalf("record %d: %v\n%s", iter, err, line)
		}
		if !json.Valid(out) {
			t.Fatalf("record %d: invalid JSON %s", iter, out)
		}
		if leak := findLocal(out, local); leak != "" {
			t.Fatalf("record %d: local address %q survived\nin:  %s\nout: %s", iter, leak, line, out)
		}
		// Masking must not hide what is public: an external src stays as is.
		var got struct {
			Src string `json:"src_ip"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !srcLocal && got.Src != srcAddr.String() {
			t.Fatalf("record %d: external src %s became %q", iter, srcAddr, got.Src)
		}
		if srcLocal && !strings.HasPrefix(got.Src, "xxx") {
			t.Fatalf("record %d: local src %s became %q", iter, srcAddr, got.Src)
		}
		if kept > 0 && !strings.Contains(string(out), "xxx") {
			t.Fatalf("record %d: %d local addresses in kept fields but nothing masked: %s", iter, kept, out)
		}
	}
}

// TestFindLocalDetects guards the detector itself: a detector that finds
// nothing would make the property test pass vacuously.
func TestFindLocalDetects(t *testing.T) {
	local := testLocal(t)
	for _, s := range []string{`"10.0.0.1"`, `"::ffff:10.0.0.1"`, `"x 192.168.1.1:80"`, `"[FE80:0000:0000:0000:0000:0000:0000:0001]"`, `"1.10.0.0.1"`,
		`"CN=fe10.1.2.3"`, `"vlanfe10.1.2.3"`, `"77110.1.2.3"`, `"10.1.2.3e"`, `"192.168.001.001"`, `"012.01.02.03"`, `"0x0a.0x01.0x02.0x03"`,
		`"::10.1.2.3"`, `"::ffff:a01:203"`, `"2002:a01:203::1"`, `"64:ff9b::10.1.2.3"`, `"vlanfe80::1"`, `"2001:db8::1%10.1.2.3"`,
		`{"http":{"hostname":"167838211"}}`, `{"http":{"hostname":"0x0a010203"}}`, `{"tls":{"sni":"10.1.515"}}`, `{"http":{"http_refer":"http://012.01.02.03:80"}}`} {
		if findLocal([]byte(s), local) == "" {
			t.Errorf("detector missed the local address in %s", s)
		}
	}
	for _, s := range []string{`"xxx.xxx.xxx.1"`, `"8.8.8.8"`, `"xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:1"`, `"110.1.2.3"`, `"2001:db8::1"`,
		`"2024-05-08T18:32:48.472418+0200"`, `{"http":{"hostname":"134744072"}}`} {
		if got := findLocal([]byte(s), local); got != "" {
			t.Errorf("detector flagged %q in %s", got, s)
		}
	}
}
