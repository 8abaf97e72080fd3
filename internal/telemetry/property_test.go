package telemetry

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
)

// findLocal is the test's own, deliberately different, detector: it cuts
// the output into runs of address characters and tries every substring that
// starts and ends on a run boundary or a separator, so an address hidden in
// "::ffff:", "host:port", brackets or a longer dotted run is still found.
// It returns the first local address found, or "".
func findLocal(out []byte, local Locality) string {
	s := string(out)
	isAddr := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
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
		if a, err := netip.ParseAddr(run); err == nil {
			if !a.IsUnspecified() && local.Contains(a) {
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
		for _, a := range cuts {
			for _, b := range cuts {
				if b-a < 2 || b-a > 45 {
					continue
				}
				if addr, err := netip.ParseAddr(run[a:b]); err == nil && !addr.IsUnspecified() && local.Contains(addr) {
					return run[a:b]
				}
			}
		}
	}
	return ""
}

// textForms renders a in the textual forms a log or header may carry.
func textForms(r *rand.Rand, a netip.Addr) string {
	if a.Is4() {
		switch r.IntN(4) {
		case 0:
			return a.String()
		case 1:
			return "::ffff:" + a.String()
		case 2:
			return a.String() + ":" + fmt.Sprint(r.IntN(65536))
		default:
			return "::FFFF:" + a.String()
		}
	}
	switch r.IntN(5) {
	case 0:
		return a.String()
	case 1:
		return a.StringExpanded()
	case 2:
		return strings.ToUpper(a.StringExpanded())
	case 3:
		return a.String() + "%eth0"
	default:
		return "[" + a.String() + "]"
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
	for iter := 0; iter < 3000; iter++ {
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
		val := func() string {
			s, a, isLocal := pick()
			if isLocal {
				locals = append(locals, a)
			}
			return s
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
			"in_iface": "eth" + val(), "src_ip": srcText, "dest_ip": val(), "src_port": r.IntN(65536), "proto": "TCP " + val(),
			"direction": dir, "app_proto": val(),
			"alert": map[string]any{"action": "allowed " + val(), "signature_id": 2000000 + r.IntN(100), "rev": 1, "signature": val(),
				"source": map[string]any{"ip": val(), "port": 1}, "target": map[string]any{"ip": val(), "port": 2}},
			"http": map[string]any{"hostname": val(), "http_refer": "http://" + val() + "/path?" + val(), "xff": val() + ", " + val(),
				"url": "/" + val(), "http_user_agent": val(), "http_method": val(), "http_content_type": "text/" + val()},
			"tls":       map[string]any{"sni": val(), "subject": "CN=" + val() + ", OU=x" + val(), "issuerdn": val(), "serial": val(), "ja3": map[string]any{"string": val()}},
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
		if len(locals) > 0 && !strings.Contains(string(out), "xxx") {
			t.Fatalf("record %d: %d local addresses but nothing masked: %s", iter, len(locals), out)
		}
	}
}

// TestFindLocalDetects guards the detector itself: a detector that finds
// nothing would make the property test pass vacuously.
func TestFindLocalDetects(t *testing.T) {
	local := testLocal(t)
	for _, s := range []string{`"10.0.0.1"`, `"::ffff:10.0.0.1"`, `"x 192.168.1.1:80"`, `"[FE80:0000:0000:0000:0000:0000:0000:0001]"`, `"1.10.0.0.1"`} {
		if findLocal([]byte(s), local) == "" {
			t.Errorf("detector missed the local address in %s", s)
		}
	}
	for _, s := range []string{`"xxx.xxx.xxx.1"`, `"8.8.8.8"`, `"xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:1"`} {
		if got := findLocal([]byte(s), local); got != "" {
			t.Errorf("detector flagged %q in %s", got, s)
		}
	}
}
