package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/suricron/suricron/internal/printable"
)

// reportWidth is the column limit of --report-diff lines (mail readers
// wrap longer ones wherever they like).
const reportWidth = 78

// diffContext is how much unchanged text minDiff keeps on each side of
// the change, so the reader sees where in the rule it is.
const diffContext = 24

// minDiff renders oinkmaster's minimised diff of a modified rule: only the
// changed part of old and new with a little context, "..." where text was
// cut, sanitised (rules come from the network) and wrapped at width.
func minDiff(old, cur string, width int) string {
	p := 0
	for p < len(old) && p < len(cur) && old[p] == cur[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(cur)-p && old[len(old)-1-s] == cur[len(cur)-1-s] {
		s++
	}
	start := max(0, p-diffContext)
	for start > 0 && !utf8.RuneStart(old[start]) {
		start--
	}
	var b strings.Builder
	for _, side := range []struct{ label, text string }{{"old: ", old}, {"new: ", cur}} {
		end := min(len(side.text), len(side.text)-s+diffContext)
		for end < len(side.text) && !utf8.RuneStart(side.text[end]) {
			end++
		}
		seg := printable.String(side.text[start:end])
		if start > 0 {
			seg = "..." + seg
		}
		if end < len(side.text) {
			seg += "..."
		}
		wrapInto(&b, "        "+side.label, seg, width)
	}
	return b.String()
}

// wrapInto writes text after prefix, continuing on lines indented like
// the prefix, none longer than width runes.
func wrapInto(b *strings.Builder, prefix, text string, width int) {
	indent := strings.Repeat(" ", len(prefix))
	room := max(width-len(prefix), 10)
	line := prefix
	for {
		rs := []rune(text)
		if len(rs) <= room {
			b.WriteString(line + text + "\n")
			return
		}
		// Break at the last space that fits, else hard.
		cut := room
		if i := strings.LastIndexByte(string(rs[:room]), ' '); i > room/2 {
			cut = utf8.RuneCountInString(string(rs[:room])[:i+1])
		}
		b.WriteString(strings.TrimRight(line+string(rs[:cut]), " ") + "\n")
		text = string(rs[cut:])
		line = indent
	}
}
