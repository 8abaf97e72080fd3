package digest

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseSuppress(t *testing.T) {
	utc := time.UTC
	file := strings.Join([]string{
		"# comment line",
		"",
		"2001219", // 3
		"2001219 10.47.8.150   # trailing comment", // 4
		"2013028 192.168.0.0/16 until=2026-12-31",  // 5
		"2100498 src=10.0.0.0/8 dst=2001:db8::/32", // 6
		"abc",                           // 7 bad sid
		"2001219 10.0.0.1 10.0.0.2",     // 8 two addresses
		"2001219 until=2026-02-30",      // 9 bad date
		"2001219 port=22",               // 10 unknown field
		"0",                             // 11 sid must be positive
		"2001219 10.0.0.0/33",           // 12 bad CIDR
		"2001219 10.0.0.1 src=10.0.0.2", // 13 either-side plus src
		"2001219 until=2026-01-01 until=2026-01-02", // 14 twice
		"\t2200003\t::ffff:10.1.2.3\r",              // 15 tabs, CRLF, mapped v4
	}, "\n")
	s, err := parseSuppress(strings.NewReader(file), utc)
	if err != nil {
		t.Fatal(err)
	}
	var gotRules []string
	for _, r := range s.Rules {
		gotRules = append(gotRules, r.String())
	}
	wantRules := []string{
		"2001219",
		"2001219 10.47.8.150",
		"2013028 192.168.0.0/16 until=2026-12-31",
		"2100498 src=10.0.0.0/8 dst=2001:db8::/32",
		"2200003 10.1.2.3",
	}
	if strings.Join(gotRules, "|") != strings.Join(wantRules, "|") {
		t.Errorf("rules:\n got %q\nwant %q", gotRules, wantRules)
	}
	var badLines []int
	for _, le := range s.Errors {
		badLines = append(badLines, le.Line)
	}
	want := []int{7, 8, 9, 10, 11, 12, 13, 14}
	if len(badLines) != len(want) {
		t.Fatalf("bad lines %v, want %v (%v)", badLines, want, s.Errors)
	}
	for i := range want {
		if badLines[i] != want[i] {
			t.Fatalf("bad lines %v, want %v", badLines, want)
		}
	}
	if msg := s.Errors[0].Error(); !strings.HasPrefix(msg, "line 7: ") {
		t.Errorf("error text %q does not start with the line number", msg)
	}
}

func TestSuppressMatch(t *testing.T) {
	s, err := parseSuppress(strings.NewReader(`
2001219 10.47.8.150
2013028 192.168.0.0/16 until=2026-01-01
2100498 src=10.0.0.0/8 dst=2001:db8::/32
2222222
`), time.UTC)
	if err != nil || len(s.Errors) > 0 {
		t.Fatal(err, s.Errors)
	}
	a := netip.MustParseAddr
	before := time.Date(2026, 1, 1, 23, 59, 59, 0, time.UTC) // the named day still counts
	after := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		sid      int64
		src, dst string
		now      time.Time
		want     bool
	}{
		{"address as destination", 2001219, "1.2.3.4", "10.47.8.150", before, true},
		{"address as source", 2001219, "10.47.8.150", "1.2.3.4", before, true},
		{"other address", 2001219, "10.47.8.151", "1.2.3.4", before, false},
		{"other sid", 2001220, "10.47.8.150", "1.2.3.4", before, false},
		{"cidr before expiry", 2013028, "192.168.7.7", "8.8.8.8", before, true},
		{"cidr after expiry", 2013028, "192.168.7.7", "8.8.8.8", after, false},
		{"src and dst both match", 2100498, "10.9.9.9", "2001:db8::5", after, true},
		{"swapped direction", 2100498, "2001:db8::5", "10.9.9.9", after, false},
		{"dst outside", 2100498, "10.9.9.9", "2001:db9::5", after, false},
		{"whole sid", 2222222, "::1", "::2", after, true},
		{"v4-mapped source", 2001219, "::ffff:10.47.8.150", "1.1.1.1", before, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := s.Match(tc.sid, a(tc.src), a(tc.dst), tc.now)
			if got != tc.want {
				t.Errorf("Match(%d, %s, %s) = %v, want %v", tc.sid, tc.src, tc.dst, got, tc.want)
			}
		})
	}
}

func TestSuppressLongLine(t *testing.T) {
	in := "2001219\n" + strings.Repeat("9", 3*maxSuppressLine) + "\n2001220\n"
	s, err := parseSuppress(strings.NewReader(in), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 2 || len(s.Errors) != 1 || s.Errors[0].Line != 2 {
		t.Fatalf("rules %v errors %v", s.Rules, s.Errors)
	}
	if s.Rules[1].Line != 3 {
		t.Errorf("line after the long one numbered %d, want 3", s.Rules[1].Line)
	}
}

// FuzzParseSuppress: any input parses without panicking; every line is a
// rule, a comment/blank or a reported error; every rule prints in the file
// syntax and parses back to itself.
func FuzzParseSuppress(f *testing.F) {
	for _, seed := range []string{
		"2001219\n", "2001219 10.0.0.1\n", "2013028 192.168.0.0/16 until=2026-12-31\n",
		"2100498 src=10.0.0.0/8 dst=2001:db8::/32 # c\r\n", "# only a comment", "abc\n\n\n",
		"1 fe80::1%eth0\n", "1 ::ffff:1.2.3.4/104\n", "1 until=2026-13-01", "\x00\xff\n1",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSuppress(bytes.NewReader(data), time.UTC)
		if err != nil {
			t.Fatalf("reader error on in-memory input: %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if len(s.Rules)+len(s.Errors) > lines {
			t.Fatalf("%d rules + %d errors from %d lines", len(s.Rules), len(s.Errors), lines)
		}
		for _, r := range s.Rules {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("rule line %d out of 1..%d", r.Line, lines)
			}
			back, err := parseSuppress(strings.NewReader(r.String()), time.UTC)
			if err != nil || len(back.Rules) != 1 || len(back.Errors) != 0 {
				t.Fatalf("rule %q does not parse back: %v %v", r.String(), err, back.Errors)
			}
			b := back.Rules[0]
			b.Line = r.Line
			if b.SID != r.SID || b.Any != r.Any || b.Src != r.Src || b.Dst != r.Dst || !b.Until.Equal(r.Until) {
				t.Fatalf("round trip of %q gave %q", r.String(), b.String())
			}
		}
		for _, e := range s.Errors {
			if strings.ContainsAny(e.Error(), "\r\n\x1b") {
				t.Fatalf("error message is not printable: %q", e.Error())
			}
		}
	})
}
