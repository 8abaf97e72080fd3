package eve

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/suricron/suricron/internal/sharedtest"
)

func scanAll(t *testing.T, r io.Reader, max int) (lines []string, s *Scanner) {
	t.Helper()
	s = NewScanner(r, 0, max)
	for s.Next() {
		lines = append(lines, string(s.Line()))
	}
	return lines, s
}

func TestScannerFraming(t *testing.T) {
	long := strings.Repeat("y", 3*bufSize+17)
	tests := []struct {
		name      string
		in        string
		max       int
		want      []string
		tail      string
		oversize  int
		endOffset int64
	}{
		{"simple", "a\nb\n", 0, []string{"a", "b"}, "", 0, 4},
		{"partial last line kept out", "a\nb", 0, []string{"a"}, "b", 0, 2},
		{"crlf", "a\r\nb\n", 0, []string{"a", "b"}, "", 0, 5},
		{"blank lines returned, caller skips", "\n\na\n", 0, []string{"", "", "a"}, "", 0, 4},
		{"line longer than the buffer", "x\n" + long + "\nz\n", 0, []string{"x", long, "z"}, "", 0, int64(len(long) + 5)},
		{"oversize skipped and counted", "x\n" + long + "\nz\n", bufSize, []string{"x", "z"}, "", 1, int64(len(long) + 5)},
		{"oversize exactly at the limit kept", "abcd\nabcde\n", 4, []string{"abcd"}, "", 1, 11},
		{"oversize partial at EOF", "x\n" + long, 10, []string{"x"}, "*", 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, s := scanAll(t, strings.NewReader(tc.in), tc.max)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("lines %q, want %q", trunc(got), trunc(tc.want))
			}
			if tc.tail == "*" && len(s.Tail()) > 0 {
				// An unterminated oversize tail is reported, not kept whole.
			} else if string(s.Tail()) != tc.tail {
				t.Errorf("tail %d bytes, want %d", len(s.Tail()), len(tc.tail))
			}
			if s.Oversize != tc.oversize {
				t.Errorf("oversize %d, want %d", s.Oversize, tc.oversize)
			}
			if s.Offset() != tc.endOffset {
				t.Errorf("offset %d, want %d", s.Offset(), tc.endOffset)
			}
		})
	}
}

func trunc(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		if len(x) > 20 {
			x = x[:20] + "…"
		}
		out[i] = x
	}
	return out
}

func TestHundredMegabyteLine(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100 MB")
	}
	// A 100 MB line must be skipped with bounded memory (we keep at most
	// max+buffer bytes), then reading continues.
	r := io.MultiReader(strings.NewReader("{\"a\":1}\n{\"big\":\""),
		io.LimitReader(zeroReader('q'), 100<<20), strings.NewReader("\"}\n{\"b\":2}\n"))
	got, s := scanAll(t, r, DefaultMaxLine)
	if len(got) != 2 || got[1] != `{"b":2}` || s.Oversize != 1 {
		t.Errorf("got %v oversize %d", trunc(got), s.Oversize)
	}
}

type zeroReader byte

func (z zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(z)
	}
	return len(p), nil
}

func TestParseRealSamples(t *testing.T) {
	files := sharedtest.EveSamples(t)
	if len(files) < 10 {
		t.Fatalf("found only %d sample files", len(files))
	}
	var total, alerts, bad int
	for _, f := range files {
		fh, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		s := NewScanner(fh.Reader, 0, 0)
		for s.Next() {
			line := s.Line()
			if IsBlank(line) {
				continue
			}
			total++
			ev, err := Parse(line)
			if err != nil {
				bad++
				continue
			}
			if ev.Timestamp.IsZero() {
				t.Errorf("%s: no timestamp in %.80s", f, line)
			}
			if ev.EventType == "alert" {
				alerts++
				if ev.Alert == nil || ev.Alert.SignatureID == 0 || ev.Alert.Signature == "" {
					t.Errorf("%s: alert without signature: %.120s", f, line)
				}
			}
		}
		fh.Close()
	}
	// Counted independently with
	//   for f in */*.json */*.ndjson; do jq -c 'select(.event_type=="alert")' $f | wc -l; done
	// josevnz/eve-2.json 118, josevnz/eve_payload.json 131, frankhassanabad
	// 136 + 44 + 161 + 207: 797 alerts.
	t.Logf("%d lines, %d alerts, %d unparseable", total, alerts, bad)
	if alerts != 797 {
		t.Errorf("alerts %d, want 797", alerts)
	}
	// fever's broken sample has exactly one torn line; nothing else is bad.
	if bad != 1 {
		t.Errorf("unparseable %d, want 1 (fever/jsonparse_eve_broken1.json)", bad)
	}
}

func TestParseExactFields(t *testing.T) {
	p := sharedtest.Path(t, "eve", "fever", "alertify_input.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v6 *Event
	for _, l := range bytes.Split(b, []byte("\n")) {
		if ev, err := Parse(l); err == nil && ev.SrcIP.Is6() {
			v6 = ev
		}
	}
	if v6 == nil {
		t.Fatal("no IPv6 record in alertify_input.json")
	}
	if want := netip.MustParseAddr("2a03:b0c0:2:d0::bd3:4001"); v6.SrcIP != want {
		t.Errorf("full-form IPv6 parsed as %v", v6.SrcIP)
	}
	// flow_id above 2^53 must survive exactly (a float64 would round it).
	line := []byte(`{"timestamp":"2026-11-20T10:00:00.123456+0100","flow_id":18446744073709551615,"event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2013028,"rev":7,"signature":"ET POLICY \"quoted\" \u00e9","category":"Potential Corporate Privacy Violation","severity":1}}`)
	ev, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	if ev.FlowID != 18446744073709551615 {
		t.Errorf("flow_id %d", ev.FlowID)
	}
	if ev.Alert.Signature != `ET POLICY "quoted" é` || ev.Alert.Severity != 1 || ev.Alert.SignatureID != 2013028 {
		t.Errorf("alert %+v", ev.Alert)
	}
	want := time.Date(2026, 11, 20, 9, 0, 0, 123456000, time.UTC)
	if !ev.Timestamp.Equal(want) {
		t.Errorf("timestamp %v, want %v", ev.Timestamp, want)
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"garbage":       "\x00\x01\xff binary",
		"torn":          `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"alert","src_ip":"1.2.3.4","alert":{"sig`,
		"no event_type": `{"timestamp":"2026-11-20T10:00:00.000000+0000"}`,
		"bad timestamp": `{"timestamp":"yesterday","event_type":"alert"}`,
		"bad ip":        `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"alert","src_ip":"999.1.1.1"}`,
		"bad port":      `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","src_port":70000}`,
		"flow_id str":   `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","flow_id":"12"}`,
		"array":         `[1,2]`,
	}
	for name, line := range tests {
		t.Run(name, func(t *testing.T) {
			if ev, err := Parse([]byte(line)); err == nil {
				t.Errorf("accepted: %+v", ev)
			}
		})
	}
}

func TestEventType(t *testing.T) {
	et, err := EventType([]byte(`{"timestamp":"x","flow_id":1,"in_iface":"eth0","event_type":"stats","stats":{}}`))
	if err != nil || string(et) != "stats" {
		t.Errorf("%q %v", et, err)
	}
	if _, err := EventType([]byte(`{"a":1}`)); !errors.Is(err, ErrNoEventType) {
		t.Errorf("missing: %v", err)
	}
	if _, err := EventType([]byte(`garbage`)); err == nil {
		t.Error("garbage accepted")
	}
}

func TestStatsOver64KiB(t *testing.T) {
	p := sharedtest.Path(t, "eve", "josevnz", "eve_large.json.bz2")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := NewScanner(bzip2.NewReader(bufio.NewReader(f)), 0, 0)
	var stats, big, restarts int
	var prevUp int64 = -1
	for s.Next() && stats < 2000 {
		et, err := EventType(s.Line())
		if err != nil || string(et) != "stats" {
			continue
		}
		ev, err := Parse(s.Line())
		if err != nil {
			t.Fatalf("stats line: %v", err)
		}
		stats++
		if len(s.Line()) > 64<<10 {
			big++
		}
		if !ev.Stats.HasCapture || ev.Stats.KernelPackets == 0 {
			t.Fatalf("stats without capture counters: %+v", ev.Stats)
		}
		if ev.Stats.Uptime < prevUp {
			restarts++
		}
		prevUp = ev.Stats.Uptime
	}
	if stats != 2000 {
		t.Errorf("read %d stats records", stats)
	}
	t.Logf("%d stats records, %d over 64 KiB", stats, big)
}

func TestOpenGzipAndTruncated(t *testing.T) {
	dir := t.TempDir()
	var plain bytes.Buffer
	for i := 0; i < 5000; i++ {
		plain.WriteString(`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","n":` + strings.Repeat("1", i%7+1) + "}\n")
	}
	var gz bytes.Buffer
	zw := kgzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	full := filepath.Join(dir, "eve.json.1.gz")
	os.WriteFile(full, gz.Bytes(), 0o644)
	cut := filepath.Join(dir, "eve.json.2.gz")
	os.WriteFile(cut, gz.Bytes()[:gz.Len()/2], 0o644)

	f, err := Open(full)
	if err != nil || f.Codec != Gzip {
		t.Fatalf("open: %v gzip=%v", err, f != nil && f.Codec == Gzip)
	}
	got, s := scanAll(t, f.Reader, 0)
	f.Close()
	if len(got) != 5000 || s.Err() != nil {
		t.Errorf("full: %d lines, err %v", len(got), s.Err())
	}
	f, err = Open(cut)
	if err != nil {
		t.Fatal(err)
	}
	got, s = scanAll(t, f.Reader, 0)
	f.Close()
	if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("truncated gzip: err %v", s.Err())
	}
	if len(got) == 0 || len(got) >= 5000 {
		t.Errorf("truncated gzip: %d lines decoded", len(got))
	}
	for _, l := range got {
		if _, err := EventType([]byte(l)); err != nil {
			t.Fatalf("a line from before the damage is broken: %q", l)
		}
	}
}

// TestParseTimeFastAgrees: the fast path gives exactly what time.Parse
// gives, and refuses (falls back on) anything it does not fully check.
func TestParseTimeFastAgrees(t *testing.T) {
	for _, s := range []string{
		"2026-11-20T10:00:00.123456+0000", "2024-02-29T23:59:59.999999-0500", "1999-12-31T00:00:00.000001+1345",
		"2026-11-20T10:00:00.123456-0000",
	} {
		fast, ok := parseTimeFast(s)
		slow, err := time.Parse(TimeLayout, s)
		if !ok || err != nil || !fast.Equal(slow) {
			t.Errorf("%s: fast %v %v, time.Parse %v %v", s, fast, ok, slow, err)
		}
		_, offF := fast.Zone()
		_, offS := slow.Zone()
		if offF != offS {
			t.Errorf("%s: zone offset %d vs %d", s, offF, offS)
		}
	}
	for _, s := range []string{
		"2023-02-29T10:00:00.000000+0000", "2026-13-01T10:00:00.000000+0000", "2026-11-20T24:00:00.000000+0000",
		"2026-11-20T10:00:00.12345+00000", "2026-11-20 10:00:00.123456+0000", "2026-11-20T10:00:00.123456+0a00",
		"2026-11-20T10:00:00.123456Z0000",
	} {
		if _, ok := parseTimeFast(s); ok {
			t.Errorf("%s accepted by the fast path", s)
		}
	}
}

// TestOnOversizeNamesTheLine: the scanner tells which line it skipped (its
// index since base and its byte range), for a line longer than the buffer
// and for one that fits the buffer but not the limit.
func TestOnOversizeNamesTheLine(t *testing.T) {
	long := "{\"big\":\"" + strings.Repeat("q", 3*bufSize) + "\"}\n"
	mid := "{\"m\":\"" + strings.Repeat("m", 200) + "\"}\n"
	in := "{\"a\":1}\n\n" + long + "{\"b\":2}\n" + mid + "{\"c\":3}\n"
	type hit struct{ index, start, end int64 }
	var hits []hit
	const base = 1000
	s := NewScanner(strings.NewReader(in), base, 100)
	s.OnOversize = func(i, a, b int64) { hits = append(hits, hit{i, a, b}) }
	var kept []string
	for s.Next() {
		kept = append(kept, string(s.Line()))
	}
	startLong := int64(base + len("{\"a\":1}\n\n"))
	startMid := startLong + int64(len(long)+len("{\"b\":2}\n"))
	want := []hit{{2, startLong, startLong + int64(len(long))}, {4, startMid, startMid + int64(len(mid))}}
	if fmt.Sprint(hits) != fmt.Sprint(want) {
		t.Errorf("oversize hits %v, want %v", hits, want)
	}
	if fmt.Sprint(kept) != fmt.Sprint([]string{`{"a":1}`, ``, `{"b":2}`, `{"c":3}`}) || s.Oversize != 2 || s.Lines() != 6 {
		t.Errorf("kept %q, oversize %d, lines %d", kept, s.Oversize, s.Lines())
	}
}
