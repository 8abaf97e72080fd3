package eve

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// naiveType is the reference: frame every line, check every event_type.
func naiveType(in []byte, typ string, max int) []string {
	var out []string
	s := NewScanner(bytes.NewReader(in), 0, max)
	for s.Next() {
		if et, err := EventType(s.Line()); err == nil && string(et) == typ {
			out = append(out, string(s.Line()))
		}
	}
	return out
}

func fastType(r io.Reader, typ string, max int) []string {
	var out []string
	s := NewTypeScanner(r, typ, max)
	for s.Next() {
		out = append(out, string(s.Line()))
	}
	return out
}

// randomLines mixes alerts, other types that mention "alert" in a value or
// a key, a spaced event_type key, CRLF endings, blank and broken lines,
// long lines, and sometimes no final newline.
func randomLines(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 3))
	kinds := []func() string{
		func() string {
			return fmt.Sprintf(`{"timestamp":"2026-11-10T00:00:%02d.000000+0000","event_type":"alert","src_ip":"10.0.0.%d","alert":{"signature_id":%d,"signature":"x"}}`, rng.IntN(60), rng.IntN(255), rng.IntN(1e6))
		},
		func() string { return `{"event_type":"flow","flow":{"alerted":true},"app_proto":"alert"}` },
		func() string { return `{"event_type":"dns","dns":{"rrname":"\"alert\""}}` },
		func() string { return `{"event_type": "alert", "alert": {}}` },
		func() string { return `{"event_type":"alert"` }, // broken JSON, still an alert to EventType's fast path?
		func() string { return `{"alert":1,"event_type":"stats"}` },
		func() string { return `{"x":"` + strings.Repeat("y", rng.IntN(3000)) + `","event_type":"alert"}` },
		func() string { return `` },
		func() string { return `not json "alert"` },
		func() string { return `{"event_type":"alerts"}` },
	}
	var b bytes.Buffer
	for n := rng.IntN(400); n > 0; n-- {
		b.WriteString(kinds[rng.IntN(len(kinds))]())
		if rng.IntN(8) == 0 {
			b.WriteByte('\r')
		}
		b.WriteByte('\n')
	}
	if rng.IntN(2) == 0 {
		b.WriteString(kinds[0]()) // no final newline: not a complete line
	}
	return b.Bytes()
}

type randReader struct {
	b   []byte
	rng *rand.Rand
}

func (r *randReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), 1+r.rng.IntN(5000))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// The fast scan returns exactly the lines the per-line scan returns, for
// any read sizes and line caps.
func TestTypeScannerMatchesNaive(t *testing.T) {
	for seed := range uint64(40) {
		in := randomLines(seed)
		rng := rand.New(rand.NewPCG(seed, 8))
		for _, max := range []int{0, 200, 2000, 1 + rng.IntN(4000)} {
			want := naiveType(in, "alert", max)
			readers := map[string]io.Reader{
				"whole":   bytes.NewReader(in),
				"onebyte": iotest.OneByteReader(bytes.NewReader(in)),
				"random":  &randReader{in, rng},
			}
			for name, r := range readers {
				got := fastType(r, "alert", max)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("seed %d max %d %s reads: %d lines, naive scan %d\nfast  %q\nnaive %q", seed, max, name, len(got), len(want), got, want)
				}
			}
		}
	}
}

// A read error ends the scan after the complete lines before it.
func TestTypeScannerReadError(t *testing.T) {
	in := "{\"event_type\":\"alert\",\"n\":1}\n{\"event_type\":\"alert\",\"n\":2}"
	s := NewTypeScanner(io.MultiReader(strings.NewReader(in[:30]), iotest.ErrReader(io.ErrUnexpectedEOF)), "alert", 0)
	var n int
	for s.Next() {
		n++
	}
	if n != 1 || s.Err() != io.ErrUnexpectedEOF {
		t.Fatalf("got %d lines, err %v; want 1 line then io.ErrUnexpectedEOF", n, s.Err())
	}
}

func FuzzTypeScanner(f *testing.F) {
	f.Add(randomLines(1), 0, uint64(1))
	f.Add([]byte("{\"event_type\":\"alert\"}\r\n\"alert\"\n{\"event_type\":\"alert\"}"), 10, uint64(2))
	f.Fuzz(func(t *testing.T, in []byte, max int, seed uint64) {
		if max < 0 || max > 1<<16 {
			max = 0
		}
		want := naiveType(in, "alert", max)
		got := fastType(&randReader{in, rand.New(rand.NewPCG(seed, 1))}, "alert", max)
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Fatalf("fast %q, naive %q", got, want)
		}
	})
}
