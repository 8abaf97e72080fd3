package telemetry

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
)

// testLocal is the research's worked-example sensor (research/telemetry.md
// §2.4): OPNsense default HOME_NET, a /24 WAN, a LAN /64 and a PPPoE link.
func testLocal(t testing.TB) *homenet.Set {
	t.Helper()
	s, err := homenet.NewSet(homenet.Options{
		HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		Interfaces: []netip.Prefix{
			netip.MustParsePrefix("203.0.113.0/24"),
			netip.MustParsePrefix("2001:db8:ffff:1::/64"),
			netip.MustParsePrefix("2001:db8:1234:5600::/64"),
			netip.MustParsePrefix("198.51.100.77/32"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEncodeWorkedExample(t *testing.T) {
	in := `{"timestamp":"2024-05-08T18:32:48.472418+0200","flow_id":74128898697080,"in_iface":"igb0","event_type":"alert",` +
		`"src_ip":"194.165.16.161","src_port":15087,"dest_ip":"203.0.113.45","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap",` +
		`"tx_id":0,"community_id":"1:abc=","alert":{"action":"allowed","gid":1,"signature_id":2023753,"rev":3,"signature":"ET SCAN x",` +
		`"category":"Attempted Information Leak","severity":2,"metadata":{"a":["b"]}},"http":{"hostname":"intranet.example.lan","http_port":0,` +
		`"url":"/login?user=bob","http_user_agent":"Mozilla/5.0","http_refer":"https://intranet.example.lan/secret?token=abc",` +
		`"http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":400,"length":150,"redirect":"/x"},` +
		`"app_proto":"http","direction":"to_server","payload":"AAAA","packet":"BBBB","flow":{"src_ip":"203.0.113.45"}}`
	// The server (dest, local WAN) is internal: its names go, unlike the plugin.
	want := `{"timestamp":"2024-05-08T18:32:48.472418+0200","flow_id":74128898697080,"in_iface":"igb0","event_type":"alert",` +
		`"src_ip":"194.165.16.161","src_port":15087,"dest_ip":"xxx.xxx.xxx.45","dest_port":443,"proto":"TCP",` +
		`"alert":{"action":"allowed","signature_id":2023753,"rev":3},"http":{"http_port":0,"http_content_type":"text/html",` +
		`"http_method":"GET","protocol":"HTTP/1.1","status":400,"length":150},"app_proto":"http"}`
	enc := Encoder{Local: testLocal(t)}
	got, err := enc.Append(nil, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeFields(t *testing.T) {
	enc := Encoder{Local: testLocal(t)}
	tests := []struct {
		name, in, want string
	}{
		{"ipv6 local keeps 16 bits", `{"src_ip":"2001:0db8:1234:5600:021c:42ff:fec0:d65f","dest_ip":"ff02:0000:0000:0000:0000:0000:0000:0016"}`,
			`{"src_ip":"xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:d65f","dest_ip":"ff02::16"}`},
		{"link-local and zone", `{"src_ip":"fe80::1%igb1","dest_ip":"::ffff:192.168.1.23"}`,
			`{"src_ip":"xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:1","dest_ip":"xxx.xxx.xxx.23"}`},
		{"cgnat and p2p are local", `{"src_ip":"100.64.3.4","dest_ip":"198.51.100.77"}`,
			`{"src_ip":"xxx.xxx.xxx.4","dest_ip":"xxx.xxx.xxx.77"}`},
		{"unparseable ip dropped", `{"src_ip":"not-an-ip","dest_ip":"8.8.8.8","src_port":1}`, `{"dest_ip":"8.8.8.8","src_port":1}`},
		{"alert source/target masked", `{"alert":{"signature_id":1,"source":{"ip":"192.168.1.23","port":80},"target":{"ip":"8.8.4.4","port":53,"x":1}}}`,
			`{"alert":{"signature_id":1,"source":{"ip":"xxx.xxx.xxx.23","port":80},"target":{"ip":"8.8.4.4","port":53}}}`},
		{"tunnel masked", `{"tunnel":{"src_ip":"10.0.0.1","dest_ip":"9.9.9.9","proto":"GRE","depth":1,"pkt_src":"wire"}}`,
			`{"tunnel":{"src_ip":"xxx.xxx.xxx.1","dest_ip":"9.9.9.9","proto":"GRE","depth":1}}`},
		{"xff list", `{"dest_ip":"8.8.8.8","http":{"xff":"10.1.1.1, 8.8.4.4"}}`, `{"dest_ip":"8.8.8.8","http":{"xff":"xxx.xxx.xxx.1, 8.8.4.4"}}`},
		{"xff garbage dropped", `{"dest_ip":"8.8.8.8","http":{"xff":"unknown","status":1}}`, `{"dest_ip":"8.8.8.8","http":{"status":1}}`},
		{"external server keeps names, refer reduced", `{"dest_ip":"93.184.216.34","http":{"hostname":"example.com","http_refer":"HTTPS://Www.Example.com:8443/p?q=1"},"tls":{"sni":"example.com","subject":"CN=example.com","ja3":{"hash":"abc","string":"771,1"}}}`,
			`{"dest_ip":"93.184.216.34","http":{"hostname":"example.com","http_refer":"https://www.example.com:8443"},"tls":{"sni":"example.com","subject":"CN=example.com","ja3":{"hash":"abc","string":"771,1"}}}`},
		{"to_client: server is src", `{"src_ip":"192.168.1.5","dest_ip":"8.8.8.8","direction":"to_client","tls":{"sni":"nas.lan","version":"TLS 1.3","subject":"CN=nas"}}`,
			`{"src_ip":"xxx.xxx.xxx.5","dest_ip":"8.8.8.8","tls":{"version":"TLS 1.3"}}`},
		{"refer with local ip host", `{"dest_ip":"8.8.8.8","http":{"http_refer":"http://192.168.1.1:8080/admin","hostname":"[fd00::5]"}}`,
			`{"dest_ip":"8.8.8.8","http":{"http_refer":"http://xxx.xxx.xxx.1:8080","hostname":"xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:5"}}`},
		{"embedded address in text", `{"dest_ip":"8.8.8.8","tls":{"subject":"CN=10.2.3.4, O=fe80::abcd"},"alert":{"action":"10.9.9.9:443."}}`,
			`{"dest_ip":"8.8.8.8","tls":{"subject":"CN=xxx.xxx.xxx.4, O=xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:abcd"},"alert":{"action":"xxx.xxx.xxx.9:443."}}`},
		{"no html escaping, exact numbers", `{"flow_id":18446744073709551615,"http":{"http_content_type":"a<b>&\/\u00e9\u2028"},"dest_ip":"1.1.1.1"}`,
			"{\"flow_id\":18446744073709551615,\"http\":{\"http_content_type\":\"a<b>&/\u00e9\u2028\"},\"dest_ip\":\"1.1.1.1\"}"},
		{"control characters escaped", `{"in_iface":"a\"b\\c\n\u0001"}`, `{"in_iface":"a\"b\\c\n\u0001"}`},
		{"wrong types dropped", `{"flow_id":"1","src_port":[1],"vlan":[1,"x"],"alert":"x","http":{}}`, `{}`},
		{"vlan kept", `{"vlan":[10, 20]}`, `{"vlan":[10,20]}`},
		{"duplicate key keeps first", `{"src_ip":"8.8.8.8","src_ip":"10.0.0.1"}`, `{"src_ip":"8.8.8.8"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enc.Append(nil, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestEncodeInvalid(t *testing.T) {
	enc := Encoder{Local: testLocal(t)}
	for _, in := range []string{``, `[1,2]`, `{"a":`, `"x"`, `{"src_ip":"1.1.1.1"} trailing`} {
		if out, err := enc.Append([]byte("keep"), []byte(in)); err == nil || string(out) != "keep" {
			t.Errorf("%q: out=%q err=%v, want ErrInvalid and dst untouched", in, out, err)
		}
	}
}

func TestScrubTextKeepsExternal(t *testing.T) {
	local := testLocal(t)
	for _, s := range []string{"8.8.8.8", "version 1.2.3", "2a00:1450:4001:82b::200e", "deadbeef:cafe", "a.b.c"} {
		if got := scrubText(s, local); got != s {
			t.Errorf("scrubText(%q) = %q, want unchanged", s, got)
		}
	}
	if got := scrubText("ip 1.10.0.0.1 end", local); strings.Contains(got, "10.0.0.1") {
		t.Errorf("dotted run leaked: %q", got)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add([]byte(`{"src_ip":"10.0.0.1","dest_ip":"8.8.8.8","alert":{"signature_id":1,"source":{"ip":"fe80::1"}},"http":{"http_refer":"http://[::1]:80/x","xff":"10.0.0.1"}}`))
	f.Add([]byte(`{"tls":{"subject":"CN=192.168.0.1","sni":"\u0000"},"vlan":[1]}`))
	f.Add([]byte(`{"flow_id":1e400}`))
	local, err := homenet.NewSet(homenet.Options{HomeNet: "198.18.0.0/15"})
	if err != nil {
		f.Fatal(err)
	}
	enc := Encoder{Local: local}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := enc.Append(nil, in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out of %q: %q", in, out)
		}
		if leak := findLocal(out, local); leak != "" {
			t.Fatalf("local address %s survived in %s", leak, out)
		}
	})
}

// TestMaskTextualForms covers every textual form of a local address listed
// in issue 14, in the field kinds where it can occur.
func TestMaskTextualForms(t *testing.T) {
	local := testLocal(t)
	enc := Encoder{Local: local}
	tests := []struct{ name, in, want string }{
		{"zone id holding an address", `{"src_ip":"2001:db8::1%10.1.2.3","dest_ip":"8.8.8.8","http":{"hostname":"2001:db8::1%10.1.2.3"},"tls":{"subject":"O=2001:db8::1%10.1.2.3"}}`,
			`{"src_ip":"2001:db8::1","dest_ip":"8.8.8.8","http":{"hostname":"2001:db8::1"},"tls":{"subject":"O=2001:db8::1%xxx.xxx.xxx.3"}}`},
		{"glued to hex letters", `{"dest_ip":"8.8.8.8","tls":{"subject":"CN=fe10.1.2.3","issuerdn":"vlanfe10.1.2.3"},"in_iface":"vlanfe80::1"}`,
			`{"dest_ip":"8.8.8.8","tls":{"subject":"CN=fexxx.xxx.xxx.3","issuerdn":"vlanfexxx.xxx.xxx.3"},"in_iface":"vlanxxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:1"}`},
		{"glued to digits (ja3) and trailing letter", `{"dest_ip":"8.8.8.8","tls":{"ja3":{"string":"771,4865-77110.1.2.3,0"}},"in_iface":"10.1.2.3e"}`,
			`{"dest_ip":"8.8.8.8","tls":{"ja3":{"string":"771,4865-771xxx.xxx.xxx.3,0"}},"in_iface":"xxx.xxx.xxx.3e"}`},
		{"leading zeros, octal, hex parts in text", `{"dest_ip":"8.8.8.8","tls":{"subject":"CN=192.168.001.001, O=012.01.02.03, OU=0x0a.0x01.0x02.0x03"}}`,
			`{"dest_ip":"8.8.8.8","tls":{"subject":"CN=xxx.xxx.xxx.1, O=xxx.xxx.xxx.3, OU=xxx.xxx.xxx.3"}}`},
		{"numeric host spellings", `{"dest_ip":"8.8.8.8","http":{"hostname":"167838211"},"tls":{"sni":"0x0a010203"}}`,
			`{"dest_ip":"8.8.8.8","http":{"hostname":"xxx.xxx.xxx.3"},"tls":{"sni":"xxx.xxx.xxx.3"}}`},
		{"dotted hex and octal host", `{"dest_ip":"8.8.8.8","http":{"hostname":"0x0a.0x01.0x02.0x03"},"tls":{"sni":"012.01.02.03"}}`,
			`{"dest_ip":"8.8.8.8","http":{"hostname":"xxx.xxx.xxx.3"},"tls":{"sni":"xxx.xxx.xxx.3"}}`},
		{"short form and leading zeros host", `{"dest_ip":"8.8.8.8","http":{"hostname":"10.1.515"},"tls":{"sni":"192.168.001.001"}}`,
			`{"dest_ip":"8.8.8.8","http":{"hostname":"xxx.xxx.xxx.3"},"tls":{"sni":"xxx.xxx.xxx.1"}}`},
		{"referer numeric hosts", `{"dest_ip":"8.8.8.8","http":{"http_refer":"http://167838211:8080/x"}}`,
			`{"dest_ip":"8.8.8.8","http":{"http_refer":"http://xxx.xxx.xxx.3:8080"}}`},
		{"referer short host", `{"dest_ip":"8.8.8.8","http":{"http_refer":"http://10.1.515/"}}`,
			`{"dest_ip":"8.8.8.8","http":{"http_refer":"http://xxx.xxx.xxx.3"}}`},
		{"public numeric host is canonical", `{"dest_ip":"8.8.8.8","http":{"hostname":"134744072","http_refer":"http://0x08080808/"}}`,
			`{"dest_ip":"8.8.8.8","http":{"hostname":"8.8.8.8","http_refer":"http://8.8.8.8"}}`},
		{"numeric-looking non-address host dropped", `{"dest_ip":"8.8.8.8","http":{"hostname":"a.b.999999999999","status":1}}`,
			`{"dest_ip":"8.8.8.8","http":{"status":1}}`},
		{"ipv4 embedded in ipv6 fields", `{"src_ip":"::10.1.2.3","dest_ip":"::ffff:a01:203","tunnel":{"src_ip":"2002:a01:203::","dest_ip":"64:ff9b::10.1.2.3"}}`,
			`{"src_ip":"xxx.xxx.xxx.3","dest_ip":"xxx.xxx.xxx.3","tunnel":{"src_ip":"xxx.xxx.xxx.3","dest_ip":"xxx.xxx.xxx.3"}}`},
		{"ipv4 embedded in ipv6 text", `{"dest_ip":"8.8.8.8","tls":{"subject":"a=::10.1.2.3 b=2002:a01:203:: c=64:ff9b::a01:203"}}`,
			`{"dest_ip":"8.8.8.8","tls":{"subject":"a=xxx.xxx.xxx.3 b=xxx.xxx.xxx.3 c=xxx.xxx.xxx.3"}}`},
		{"public embedded stays", `{"src_ip":"64:ff9b::8.8.8.8","dest_ip":"2002:808:808::1"}`,
			`{"src_ip":"64:ff9b::808:808","dest_ip":"2002:808:808::1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enc.Append(nil, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if leak := findLocal(got, local); leak != "" {
				t.Errorf("local %q survived in %s", leak, got)
			}
		})
	}
}

// FuzzScrubText: whatever the text, no local address the test's own
// detector can find survives the masker.
func FuzzScrubText(f *testing.F) {
	for _, s := range []string{"CN=fe10.1.2.3", "77110.1.2.3", "10.1.2.3e", "012.01.02.03", "0x0a.0x01.0x02.0x03",
		"::10.1.2.3", "2002:a01:203::", "64:ff9b::a01:203", "vlanfe80::1", "2001:db8::1%10.1.2.3", "1.10.0.0.1", "192.168.001.001:80"} {
		f.Add(s)
	}
	local := testLocal(f)
	f.Fuzz(func(t *testing.T, s string) {
		out := scrubText(s, local)
		// The detector reads the text itself: JSON escapes such as \u0026
		// are not part of the value a collector decodes.
		if leak := findLocal([]byte(out), local); leak != "" {
			t.Fatalf("scrubText(%q) = %q keeps local %q", s, out, leak)
		}
	})
}
