package eve

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/buger/jsonparser"
)

// FuzzScanner checks the framing invariants on arbitrary input: the lines
// plus their terminators plus the tail rebuild the input exactly (when no
// line is oversize), and offsets only grow.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("a\nb\r\n\n{\"x\":1}\npartial"), 0)
	f.Add([]byte(strings.Repeat("z", 300)+"\nq\n"), 16)
	f.Add([]byte("\x00\x00\n\xff\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 0 || max > 1<<20 {
			max = 0
		}
		s := NewScanner(bytes.NewReader(in), 0, max)
		var rebuilt []byte
		var last int64
		for s.Next() {
			if s.Offset() <= last {
				t.Fatalf("offset went from %d to %d", last, s.Offset())
			}
			last = s.Offset()
			if bytes.IndexByte(s.Line(), '\n') >= 0 {
				t.Fatal("line contains a newline")
			}
			rebuilt = append(rebuilt, in[len(rebuilt):s.Offset()]...)
		}
		if s.Oversize == 0 {
			if !bytes.Equal(append(rebuilt, s.Tail()...), in) {
				t.Fatal("lines and tail do not rebuild the input")
			}
		}
		if s.Offset() > int64(len(in)) {
			t.Fatal("offset past the input")
		}
	})
}

// FuzzParse: no input may panic, and an accepted record has an event type.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-11-20T10:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"::1","dest_port":2,"proto":"TCP","alert":{"signature_id":1,"severity":2,"signature":"x"}}`))
	f.Add([]byte(`{"timestamp":"2026-11-20T10:00:00+0000","event_type":"stats","stats":{"uptime":5,"capture":{"kernel_packets":10,"kernel_drops":1}}}`))
	f.Add([]byte(`{"event_type":"flow","flow":{"start":"bad"}}`))
	f.Add([]byte(`{"event_type":null}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := Parse(line)
		if err == nil && ev.EventType == "" {
			t.Fatal("accepted without event_type")
		}
		EventType(line)
	})
}

// FuzzEventTypeFast: the fast path never disagrees with jsonparser.
func FuzzEventTypeFast(f *testing.F) {
	f.Add([]byte(`{"timestamp":"x","flow_id":1,"in_iface":"eth0","event_type":"alert","alert":{}}`))
	f.Add([]byte(`{"a":"\"event_type\":\"x","event_type":"flow"}`))
	f.Add([]byte(`{"a":{"event_type":"inner"},"event_type":"outer"}`))
	f.Add([]byte(`{"a":"x" , "event_type":"dns"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := eventTypeFast(line)
		if !ok {
			return
		}
		slow, typ, _, err := jsonparser.Get(line, "event_type")
		if err != nil {
			return // the line is invalid further on; callers reject it in Parse
		}
		if typ != jsonparser.String || !bytes.Equal(fast, slow) {
			t.Fatalf("fast %q, jsonparser %q (%s)", fast, slow, typ)
		}
	})
}

// FuzzParseTime: the fast path never disagrees with time.Parse.
func FuzzParseTime(f *testing.F) {
	f.Add("2026-11-20T10:00:00.123456+0000")
	f.Add("2024-02-29T23:59:59.999999-0500")
	f.Add("0000-02-29T00:00:00.000000+0000")
	f.Add("0000-03-01T00:00:00.000001-2359")
	f.Add("1900-02-29T00:00:00.000000+0000")
	f.Add("9999-12-31T23:59:59.999999+2359")
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := parseTimeFast(s)
		if !ok {
			return
		}
		slow, err := time.Parse(TimeLayout, s)
		if err != nil || !fast.Equal(slow) {
			t.Fatalf("%q: fast %v, time.Parse %v %v", s, fast, slow, err)
		}
		_, fo := fast.Zone()
		_, so := slow.Zone()
		if fo != so || (fo == 0) != (fast.Location() == time.UTC) {
			t.Fatalf("%q: fast zone %v (%d), time.Parse %v (%d)", s, fast.Location(), fo, slow.Location(), so)
		}
	})
}

// FuzzOpenCompressed feeds arbitrary bytes, often behind a compressor's
// magic, through Open and the scanner as a rotated file would go: no
// panic, no hang, bounded output (a hostile frame cannot make the reader
// produce more than its cap), and a plain input is read back unchanged.
func FuzzOpenCompressed(f *testing.F) {
	f.Add([]byte("\x28\xb5\x2f\xfd\x00\x58\x00\x00"))
	f.Add([]byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46"))
	f.Add([]byte("BZh91AY&SY\x00\x00"))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Add([]byte("{\"timestamp\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p := filepath.Join(t.TempDir(), "eve.json.1")
		if err := os.WriteFile(p, in, 0o644); err != nil {
			t.Fatal(err)
		}
		ef, err := Open(p)
		if err != nil {
			return // a bad header is an error, not a panic
		}
		defer ef.Close()
		sc := NewScanner(io.LimitReader(ef.Reader, 8<<20), 0, 1<<20)
		var got []byte
		for sc.Next() {
			got = append(append(got, sc.Line()...), '\n')
		}
		if ef.Codec == Plain && sc.Oversize == 0 && !bytes.Contains(in, []byte("\r")) {
			if !bytes.Equal(append(got, sc.Tail()...), in) {
				t.Fatal("a plain file did not read back unchanged")
			}
		}
	})
}

// FuzzParseInt: the inline digit loop gives strconv.ParseInt's answer.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-0", "12", "-12", "007", "+5", "-", "", "999999999999999999", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "1e3", "1.5", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := parseInt([]byte(s))
		want, werr := strconv.ParseInt(s, 10, 64)
		if got != want || (gerr == nil) != (werr == nil) {
			t.Fatalf("parseInt(%q) = %d, %v; strconv: %d, %v", s, got, gerr, want, werr)
		}
	})
}
