package eve

import (
	"bytes"
	"os"
	"testing"

	"github.com/suricron/suricron/internal/sharedtest"
)

const (
	seedFlow  = `{"timestamp":"2026-11-20T10:00:00.000000+0100","flow_id":7,"in_iface":"eth0","event_type":"flow","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"2001:db8::1","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,"bytes_toclient":4000,"start":"2026-11-20T09:59:00.000000+0100","end":"2026-11-20T10:00:00.000000+0100","age":60,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b"}}`
	seedStats = `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"stats","stats":{"uptime":5,"capture":{"kernel_packets":10,"kernel_drops":1,"errors":0},"decoder":{"pkts":9,"bytes":900},"flow":{"tcp":3},"app_layer":{"flow":{"http":1}}}}`
)

// dup reports whether any key the summaries read occurs twice: duplicate
// keys are resolved differently by the two decoders (first vs last), and
// Suricata never writes them.
func dup(line []byte) bool {
	for _, k := range []string{"timestamp", "src_ip", "dest_ip", "src_port", "dest_port", "proto", "app_proto", "flow",
		"pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "stats", "uptime", "capture",
		"kernel_packets", "kernel_drops", "kernel_ifdrops", "decoder", "pkts"} {
		if bytes.Count(line, []byte(`"`+k+`"`)) > 1 {
			return true
		}
	}
	return false
}

// checkFlow: what Parse accepts, ParseFlowSummary accepts with the same
// values; what ParseFlowSummary rejects, Parse rejects, unless the line is
// not one complete object.
func checkFlow(t *testing.T, line []byte) {
	t.Helper()
	checkSameAsEachKey(t, line)
	var s FlowSummary
	serr := ParseFlowSummary(line, &s)
	ev, perr := Parse(line)
	// Stricter on purpose: Parse ignores bytes after the closing brace
	// (`{…}}`, two objects on a line); the summary counts them bad. The
	// exact walk decides what is one object: Complete's counting shortcut
	// passes `{…}x{}` (found by the fuzzer).
	if serr != nil && perr == nil && !dup(line) && wholeObject(bytes.TrimSpace(line)) {
		t.Fatalf("selective rejects what Parse accepts: %v\n%q", serr, line)
	}
	if perr != nil || dup(line) || !wholeObject(bytes.TrimSpace(line)) {
		return
	}
	if serr != nil {
		t.Fatalf("selective: %v", serr)
	}
	want := FlowSummary{Timestamp: ev.Timestamp, SrcIP: ev.SrcIP, DestIP: ev.DestIP, SrcPort: ev.SrcPort, DestPort: ev.DestPort,
		Proto: ev.Proto, AppProto: ev.AppProto, HasFlow: ev.Flow != nil}
	if ev.Flow != nil {
		want.PktsToServer, want.PktsToClient = ev.Flow.PktsToServer, ev.Flow.PktsToClient
		want.BytesToServer, want.BytesToClient = ev.Flow.BytesToServer, ev.Flow.BytesToClient
	}
	if !s.Timestamp.Equal(want.Timestamp) {
		t.Fatalf("timestamp %v, Parse %v", s.Timestamp, want.Timestamp)
	}
	s.Timestamp = want.Timestamp
	if s != want {
		t.Fatalf("selective %+v\nParse     %+v\n%q", s, want, line)
	}
}

// checkStats: for a record Parse accepts with non-negative counters, the
// stats summary reads the same counters and their presence.
func checkStats(t *testing.T, line []byte) {
	t.Helper()
	var s StatsSummary
	serr := ParseStatsSummary(line, &s)
	ev, perr := Parse(line)
	// Stricter on purpose, as for flows: bytes after the closing brace
	// (`{…}}`, which Parse ignores) make the line not one record.
	if perr != nil || ev.Stats == nil || dup(line) || !wholeObject(bytes.TrimSpace(line)) {
		return
	}
	st := ev.Stats
	if st.Uptime < 0 || st.KernelPackets < 0 || st.KernelDrops < 0 || st.KernelIfdrops < 0 || st.DecoderPkts < 0 {
		return // Parse takes any integer; a negative counter is an error here
	}
	if serr != nil {
		t.Fatalf("stats summary rejects what Parse accepts: %v\n%q", serr, line)
	}
	if !s.Timestamp.Equal(ev.Timestamp) || s.Uptime != st.Uptime || s.KernelPackets != st.KernelPackets ||
		s.KernelDrops != st.KernelDrops || s.KernelIfdrops != st.KernelIfdrops || s.DecoderPkts != st.DecoderPkts ||
		(s.HasPackets || s.HasDrops) != st.HasCapture {
		t.Fatalf("stats summary %+v, Parse %+v\n%q", s, st, line)
	}
}

func FuzzFlowSummary(f *testing.F) {
	for _, s := range []string{seedFlow, seedStats,
		`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","flow":{}}`,
		`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.300","flow":{"age":1}}`,
		`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","proto":"T\u0043P","app_proto":"{[","flow":{"pkts_toserver":null}}`,
		`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","flow":{"bytes_toserver":1}`,
		`{"event_type":"flow","flow":[1]}`, `{"a":"}"}{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkFlow(t, line) })
}

// statsSeeds start both stats fuzzers: missing sections, sections out of
// Suricata's order, a negative and a fractional counter.
var statsSeeds = []string{seedStats, seedFlow,
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"stats","stats":{"capture":{"kernel_packets":1}}}`,
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"stats","stats":{"decoder":{"bytes":1,"pkts":2},"uptime":1,"capture":{"kernel_drops":0}}}`,
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"stats","stats":{"uptime":-1}}`,
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"stats","stats":{"uptime":1.5}}`,
}

func FuzzStatsSummary(f *testing.F) {
	for _, s := range statsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkStats(t, line) })
}

// Every line of the real samples decodes the same both ways.
func TestSummariesMatchParseOnRealEve(t *testing.T) {
	paths := sharedtest.EveSamples(t)
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			checkFlow(t, line)
			checkStats(t, line)
			n++
		}
	}
	t.Logf("%d lines", n)
}

func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{}`, true},
		{`{"a":{"b":[1,2]}}`, true},
		{`{"a":"}{"}`, true},
		{`{"a":"\"}"}`, true},
		{`{"a":1`, false},
		{`{"a":{"b":1}`, false},
		{`{"a":"x}`, false},
		{`{"a":1}}`, false},
		{`{"a":1} {"b":`, false},
		{`[1]`, false},
	} {
		if got := Complete([]byte(tc.in)); got != tc.want {
			t.Errorf("Complete(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
