package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func runLines(t *testing.T, lines []string, format string) string {
	t.Helper()
	p := writeFixture(t, lines)
	var out bytes.Buffer
	err := Run(context.Background(), Config{Files: []string{p}, Week: "2026-W46", Format: format, Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Stdout: &out})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String()
}

// assertNarrow checks the README's promise: no text line over Width columns.
func assertNarrow(t *testing.T, text string) {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("line %d is %d columns (> %d): %s", i+1, n, Width, l)
		}
	}
}

// unwrapped joins the signature column's continuation lines of a text table
// back into one string per row, so a test can look for a whole signature.
func unwrapped(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		cells := strings.Split(l, "|")
		if len(cells) > 2 {
			b.WriteString(strings.TrimSpace(cells[2]))
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// Issue 20: signatures cut at 52 characters made different rules look
// identical; they wrap now, so each is shown whole and stays distinct.
func TestLongSignaturesWrapNotCut(t *testing.T) {
	base := "ET COMPROMISED Known Compromised or Hostile Host Traffic group "
	sigs := []string{base + "10", base + "12", base + "3",
		"ET INFO " + strings.Repeat("x", 130) + " tail"}
	var lines []string
	for i, s := range sigs {
		lines = append(lines, alertLine(ts("10", "08:00"), 2400000+i, 2, s, "198.51.100.7", 6667, "192.168.1.20", 51000))
	}
	text := runLines(t, lines, "text")
	assertNarrow(t, text)
	joined := unwrapped(text)
	for _, s := range sigs[:3] {
		if !strings.Contains(joined, s+" ") {
			t.Errorf("signature %q not shown whole in:\n%s", s, text)
		}
	}
	if !strings.Contains(text, " tail ") || !strings.Contains(joined, strings.Repeat("x", 40)) {
		t.Errorf("a signature longer than the column is not wrapped in full:\n%s", text)
	}
	md := runLines(t, lines, "markdown")
	for _, s := range sigs {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
}

// Issue 20: "Hosts new this week" was one 469-column line.
func TestNewHostsWrap(t *testing.T) {
	lines := []string{flowLine(ts("03", "11:00"), "TCP", "192.168.1.10", 50000, "93.184.216.34", 443, 500, 4000)}
	var want []string
	// 20: the report lists at most that many new hosts.
	for i := range 20 {
		ip := fmt.Sprintf("192.168.7.%d", 100+i)
		want = append(want, ip)
		lines = append(lines, flowLine(ts("10", "11:00"), "TCP", ip, 50000, "93.184.216.34", 443, 500, 4000))
	}
	text := runLines(t, lines, "text")
	assertNarrow(t, text)
	_, tail, ok := strings.Cut(text, "Hosts new this week\n")
	if !ok {
		t.Fatalf("no new hosts section:\n%s", text)
	}
	if got := strings.Fields(tail); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("new hosts %v, want %v", got, want)
	}
	if strings.Count(tail, "\n") < 3 {
		t.Errorf("20 hosts on %d lines", strings.Count(tail, "\n"))
	}
}

func TestChange(t *testing.T) {
	for _, tc := range []struct {
		cur, prev int64
		isNew     bool
		want      string
	}{
		{5, 3, false, "+66%"},
		{3, 5, false, "-40%"},
		{0, 5, false, "-100%"},
		{5, 5, false, "="},
		{7, 0, false, "+7"},
		{7, 0, true, "new"},
		{95, 10, false, "+850%"},
		{100, 10, false, "×10"},
		{695, 1, false, "×695"}, // was "+69400%"
		{1_000_000, 3, false, "×333,333"},
	} {
		if got := change(tc.cur, tc.prev, tc.isNew); got != tc.want {
			t.Errorf("change(%d, %d, %v) = %q, want %q", tc.cur, tc.prev, tc.isNew, got, tc.want)
		}
	}
}

func TestNotesPlural(t *testing.T) {
	one := captureNotes(Capture{Restarts: 1, MissingFields: 1, Backwards: 1, ClockJumps: 1}, &CaptureSection{})
	two := captureNotes(Capture{Restarts: 2, MissingFields: 2, Backwards: 2, ClockJumps: 2}, &CaptureSection{})
	for _, want := range []string{"restarted 1 time;", "1 stats record lacked", "reset 1 time ", "1 clock jump between"} {
		if !strings.Contains(strings.Join(one, "\n"), want) {
			t.Errorf("notes lack %q: %q", want, one)
		}
	}
	for _, want := range []string{"restarted 2 times;", "2 stats records lacked", "reset 2 times ", "2 clock jumps between"} {
		if !strings.Contains(strings.Join(two, "\n"), want) {
			t.Errorf("notes lack %q: %q", want, two)
		}
	}
}

// Issue 20: --format html had no charts (only --mail had them); the file
// now carries both as data: PNGs.
func TestStandaloneHTMLHasCharts(t *testing.T) {
	html := runLines(t, fixtureWeek(), "html")
	imgs := regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(html, -1)
	if len(imgs) != 2 {
		t.Fatalf("%d inline charts, want 2", len(imgs))
	}
	for _, m := range imgs {
		b, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 100 {
			t.Errorf("chart %v too small", r)
		}
	}
	if strings.Contains(html, "cid:") {
		t.Errorf("standalone HTML refers to mail parts")
	}
}
