package eve

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// checkSameAsEachKey: ParseFlowSummary and the EachKey version it replaced
// agree on every input: the same error or none, the same error text, and
// the same summary (also the fields filled before an error).
func checkSameAsEachKey(t *testing.T, line []byte) {
	t.Helper()
	for _, fields := range fieldSets {
		checkSameAsEachKeyOf(t, line, fields)
	}
}

// fieldSets are the selections checked: all, the weekly report's, and two
// that end the walk on an early or a nested key.
var fieldSets = []FlowFields{AllFlowFields,
	FlowTimestamp | FlowSrcIP | FlowSrcPort | FlowDestIP | FlowDestPort | FlowProto | FlowBytesToServer | FlowBytesToClient,
	FlowSrcIP, FlowPktsToClient | FlowAppProto}

func checkSameAsEachKeyOf(t *testing.T, line []byte, fields FlowFields) {
	t.Helper()
	var got, want FlowSummary
	gerr := ParseFlowSummaryOf(line, fields, &got)
	werr := parseFlowSummaryEachKeyOf(line, fields, &want)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("fields %011b: error %v, EachKey %v\n%q", fields, gerr, werr, line)
	}
	// time.Parse makes a new *Location per call: compare instant and zone.
	gn, go_ := got.Timestamp.Zone()
	wn, wo := want.Timestamp.Zone()
	if !got.Timestamp.Equal(want.Timestamp) || gn != wn || go_ != wo {
		t.Fatalf("fields %011b: timestamp %v, EachKey %v\n%q", fields, got.Timestamp, want.Timestamp, line)
	}
	got.Timestamp = want.Timestamp
	if got != want {
		t.Fatalf("fields %011b: summary %+v\nEachKey %+v\n%q", fields, got, want, line)
	}
}

// Seeds for the walk: the shapes where EachKey's scan has quirks of its
// own, which the walk must share.
var walkSeeds = []string{
	seedFlow,
	// duplicates: the first occurrence wins, also a null one and across
	// two flow objects
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","src_ip":"10.0.0.1","src_ip":"10.0.0.2","src_port":null,"src_port":7,"flow":{"pkts_toserver":1},"flow":{"pkts_toserver":2,"pkts_toclient":3}}`,
	// escaped keys: a good escape names the key, a bad one ends the scan
	`{"\u0074imestamp":"2026-11-20T10:00:00.000000+0000","\u0066low":{"pkts\u005ftoserver":4},"x":{"\q":1},"src_ip":"10.0.0.1"}`,
	// keys inside arrays and deeper objects are not the summary's
	`{"a":[{"src_ip":"10.0.0.9"}],"b":{"src_ip":"10.0.0.8","flow":{"pkts_toserver":9}},"src_ip":"10.0.0.1","flow":{"x":{"pkts_toclient":5},"bytes_toclient":6}}`,
	// a string value followed by a colon is a key to EachKey
	`{"a":"src_ip":"10.0.0.1","flow":{"age":"pkts_toserver":5}}`,
	// brackets that do not pair
	`{"tcp":{"a":[}]},"src_ip":"10.0.0.1"}`, `{"a":["]"},"src_ip":"10.0.0.1"}`, `{"a":1]],"src_ip":"10.0.0.1"}`,
	`{"a":1}},{"src_ip":"10.0.0.1"}`, `{"a":{"b":1}]]["src_ip":1}`,
	// values of the wrong type or shape
	`{"src_port":"1","dest_port":1.5,"proto":7,"flow":{"pkts_toserver":true,"bytes_toserver":{}}}`,
	`{"src_port":tru,"flow":[1]}`, `{"src_port":,"flow":"x"}`, `{"src_port":01,"dest_port":-0,"flow":{}}`,
	`{"src_ip":{"a":}}`, `{"src_ip":[1,}`, `{"timestamp":"2026-11-20T10:00:00+00:00","proto":"T\u0043P","app_proto":"\x"}`,
	`{"flow":null}`, `{"flow":{"pkts_toserver":null}}`, `{"flow" : { "pkts_toserver" : 1 , "bytes_toclient" :2 } }`,
	// everything found: the scan stops before the rest
	`{"timestamp":"2026-11-20T10:00:00.000000+0000","src_ip":"1.2.3.4","src_port":1,"dest_ip":"1.2.3.5","dest_port":2,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":1,"pkts_toclient":2,"bytes_toserver":3,"bytes_toclient":4 x},"src_port":"bad"]}`,
}

func FuzzFlowSummaryEachKey(f *testing.F) {
	for _, s := range walkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkSameAsEachKey(t, line) })
}

func TestFlowSummaryWalkSeeds(t *testing.T) {
	for _, s := range walkSeeds {
		checkSameAsEachKey(t, []byte(s))
	}
}

// EachKey takes a key's first occurrence (checked, not assumed), and so
// must the walk.
func TestFlowSummaryDuplicateKeys(t *testing.T) {
	line := []byte(walkSeeds[1])
	for name, parse := range map[string]func([]byte, *FlowSummary) error{"walk": ParseFlowSummary, "EachKey": parseFlowSummaryEachKey} {
		var s FlowSummary
		if err := parse(line, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.SrcIP.String() != "10.0.0.1" || s.SrcPort != 0 || s.PktsToServer != 1 || s.PktsToClient != 3 || !s.HasFlow {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

// Many mutants of real-looking lines (bytes dropped, doubled or replaced by
// the ones the scan acts on) agree with EachKey, so that a plain go test
// also covers malformed input, not only the fuzzer.
func TestFlowSummaryMutantsMatchEachKey(t *testing.T) {
	lines := append(flowLines(t)[:32:32], []byte(seedFlow))
	for _, s := range walkSeeds {
		lines = append(lines, []byte(s))
	}
	const special = "\"\\{}[]:, nu0-tx"
	r := rand.New(rand.NewPCG(1, 17))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		m := bytes.Clone(lines[r.IntN(len(lines))])
		for range 1 + r.IntN(3) {
			if len(m) < 3 {
				break
			}
			p := 1 + r.IntN(len(m)-2)
			switch r.IntN(3) {
			case 0:
				m = append(m[:p], m[p+1:]...)
			case 1:
				m = append(m[:p+1], m[p:]...)
			default:
				m[p] = special[r.IntN(len(special))]
			}
		}
		checkSameAsEachKey(t, m)
	}
}

// flowLines are generated flow records (tools/evegen; testdata/flows.ndjson).
func flowLines(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open("testdata/flows.ndjson")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

func TestFlowSummaryGeneratedLines(t *testing.T) {
	for _, l := range flowLines(t) {
		checkSameAsEachKey(t, l)
		checkFlow(t, l)
	}
}

// BenchmarkFlowSummary: the walk against the EachKey version on the same
// generated flow lines (ns/op is per line).
func BenchmarkFlowSummary(b *testing.B) {
	lines := flowLines(b)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	for _, bc := range []struct {
		name  string
		parse func([]byte, *FlowSummary) error
	}{{"walk", ParseFlowSummary}, {"eachkey", parseFlowSummaryEachKey}} {
		b.Run(bc.name, func(b *testing.B) {
			var s FlowSummary
			b.SetBytes(size / int64(len(lines)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := bc.parse(lines[i], &s); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(lines) {
					i = 0
				}
			}
		})
	}
}
