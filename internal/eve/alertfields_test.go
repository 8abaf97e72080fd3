package eve

import (
	"bytes"
	"net/netip"
	"os"
	"testing"

	"github.com/suricron/suricron/internal/sharedtest"
)

const seedAlert = `{"timestamp":"2026-11-20T10:00:00.123456+0100","flow_id":1234567890123456,"in_iface":"eth0","event_type":"alert","src_ip":"198.51.100.7","src_port":40000,"dest_ip":"2001:db8::1","dest_port":443,"proto":"TCP","app_proto":"tls","alert":{"action":"allowed","gid":1,"signature_id":2013028,"rev":7,"signature":"ET POLICY curl User-Agent \"x\"","category":"Attempted Information Leak","severity":2,"metadata":{"created_at":["2011_06_14"]}},"tls":{"sni":"example.org","version":"TLS 1.3"},"flow":{"pkts_toserver":3,"start":"2026-11-20T09:59:00.000000+0100","age":1.5},"payload_printable":"}{]["}`

// checkAlert: what Parse accepts, ParseAlertFields accepts with the same
// values; what ParseAlertFields rejects, Parse rejects with the same error.
func checkAlert(t *testing.T, line []byte) {
	t.Helper()
	var f AlertFields
	ferr := ParseAlertFields(line, &f)
	ev, perr := Parse(line)
	if ferr != nil {
		if perr == nil || perr.Error() != ferr.Error() {
			t.Fatalf("ParseAlertFields: %v, Parse: %v\n%q", ferr, perr, line)
		}
		return
	}
	if perr != nil {
		return // a field the digest does not read is malformed
	}
	want := AlertFields{}
	want.fromEvent(ev)
	if !f.Timestamp.Equal(want.Timestamp) || f.Timestamp.Format(TimeLayout) != want.Timestamp.Format(TimeLayout) {
		t.Fatalf("timestamp %v, Parse %v\n%q", f.Timestamp, want.Timestamp, line)
	}
	type view struct {
		EventType, InIface, Proto, AppProto, Action, Signature, Category, Host, URL, SNI, RRName string
		FlowID                                                                                   uint64
		Src, Dst                                                                                 string
		SrcPort, DstPort                                                                         uint16
		HasAlert, HasHTTP, HasTLS, HasDNS                                                        bool
		GID, SID, Rev                                                                            int64
		Severity                                                                                 int
	}
	v := func(f *AlertFields) view {
		return view{string(f.EventType), string(f.InIface), string(f.Proto), string(f.AppProto), string(f.Action),
			string(f.Signature), string(f.Category), string(f.HTTPHostname), string(f.HTTPURL), string(f.TLSSNI), string(f.DNSRRName),
			f.FlowID, f.SrcIP.String(), f.DestIP.String(), f.SrcPort, f.DestPort, f.HasAlert, f.HasHTTP, f.HasTLS, f.HasDNS,
			f.GID, f.SignatureID, f.Rev, f.Severity}
	}
	if got, w := v(&f), v(&want); got != w {
		t.Fatalf("ParseAlertFields %+v\nParse            %+v\n%q", got, w, line)
	}
	if f.SrcIP != want.SrcIP || f.DestIP != want.DestIP {
		t.Fatalf("addresses %v %v, Parse %v %v", f.SrcIP, f.DestIP, want.SrcIP, want.DestIP)
	}
}

func FuzzAlertFields(f *testing.F) {
	for _, s := range []string{seedAlert, seedFlow, seedStats,
		`{"event_type":"alert","alert":{"signature_id":1,"signature":"a\u00e9\\b"},"src_ip":"10.0.0.01"}`,
		`{"event_type":"alert","alert":{"signature_id":1},"alert":{"signature_id":2}}`,
		`{"event_type":"alert","alert":null,"http":{"hostname":"h","url":"/x?a=\"}","status":"200"},"dns":{"rrname":"a.b","type":"query"}}`,
		`{"event_type":"alert","src_ip":"::ffff:1.2.3.4","dest_ip":"fe80::1%eth0","src_port":70000}`,
		`{"event_type":"alert","flow":"x"}`, `{"event_type":"alert","x":[{]}`, `{"event_type":"alert"} x}`,
		`{"event_type":"alert","alert":{"severity":1.0}}`, `{"event_type":"alert","x":1e5,"y":-}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkAlert(t, line) })
}

func TestAlertFieldsCases(t *testing.T) {
	for _, s := range []string{seedAlert,
		`{"event_type":"alert","alert":{"signature_id":1},"alert":{"signature_id":2}}`,
		`{"event_type":"alert","src_ip":"10.0.0.01"}`,
		`{"event_type":"alert","src_ip":"1.2.3.256"}`,
		`{"event_type":"alert","src_ip":"1.2.3"}`,
		`{"event_type":"alert","src_ip":"0.0.0.0","dest_ip":"255.255.255.255"}`,
		`{"event_type":"alert","alert":{"severity":1.0}}`,
		`{"event_type":"alert","flow":"x"}`,
		`{"event_type":"","alert":{}}`,
		`{"event_type":"alert","http":{"status":"x","hostname":"a\"b"}}`,
		`{"event_type":"alert","http":{"http_method":1}}`,
		`{"event_type":"alert"} x}`,
	} {
		checkAlert(t, []byte(s))
	}
}

// The fast path (no fallback to Parse) takes every alert Suricata wrote in
// the real samples, with Parse's values: the speed-up is real on real data.
func TestAlertFieldsFastOnRealEve(t *testing.T) {
	paths := sharedtest.EveSamples(t)
	alerts, lines := 0, 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			checkAlert(t, line)
			lines++
			if typ, err := EventType(line); err != nil || string(typ) != "alert" {
				continue
			}
			alerts++
			var f AlertFields
			p := alertPass{line: bytes.TrimSpace(line), f: &f}
			if !p.record() {
				t.Errorf("fast path refused a real alert: %.300q", line)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in the real samples")
	}
	t.Logf("%d lines, %d alerts", lines, alerts)
}

func BenchmarkAlertFields(b *testing.B) {
	line := []byte(seedAlert)
	var f AlertFields
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := ParseAlertFields(line, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAlert(b *testing.B) {
	line := []byte(seedAlert)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseIPv4 holds the byte-level dotted-quad reader (used by Parse,
// the flow summary and the alert fast path alike, so none of them can
// check it) to netip.ParseAddr: whatever it accepts, ParseAddr reads as
// the same address.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"192.168.1.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4",
		"1.2.3", "1.2.3.4.5", "1..2.3", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4 ", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || a != want) {
			t.Fatalf("parseIPv4(%q) = %v, ParseAddr: %v, %v", s, a, want, err)
		}
		if !ok && err == nil && want.Is4() {
			t.Fatalf("parseIPv4(%q) refused an IPv4 address ParseAddr reads as %v", s, want)
		}
	})
}
