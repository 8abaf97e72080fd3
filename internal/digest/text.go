package digest

import (
	"fmt"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/suricron/suricron/internal/printable"
)

// textWidth is the widest line of the text part, in terminal columns: what
// every mail client shows without wrapping or scrolling (RFC 5322's
// recommended 78).
const textWidth = 78

// textBody renders the text/plain part: a summary, then one section per
// signature. Every section starts with a line
//
//	## N. sid GID:SID rev R  COUNT alerts  severity S  [NEW] [fresh rule]
//
// (greppable: grep '^## '), and the signatures beyond --max-groups follow
// as "count  gid:sid  signature" rows. No line is wider than textWidth.
func (d *Document) textBody() string {
	w := &textWriter{}
	w.wrap("", "", "Suricata alert digest for "+printable.String(d.Host))
	w.blank()
	w.field("Alerts", thousands(d.Alerts)+pick(d.sevCounts() != "", " ("+d.sevCounts()+")", ""))
	w.field("Signatures", thousands(int64(d.Signatures)))
	w.field("Time span", d.span())
	w.field("Sensor", printable.String(d.Host))
	if len(d.New) > 0 {
		w.field("New", plural(int64(len(d.New)), "signature", "signatures")+" never seen before on this sensor")
	}
	if len(d.Fresh) > 0 {
		w.field("Fresh rules", plural(int64(len(d.Fresh)), "signature", "signatures")+" from rules the last rules-update added or changed")
	}
	if len(d.Others) > 0 {
		var n int64
		for _, o := range d.Others {
			n += o.Count
		}
		w.field("Listed", fmt.Sprintf("%s in detail; %s (%s) by name and count at the end",
			plural(int64(len(d.Sections)), "signature", "signatures"),
			plural(int64(len(d.Others)), "other", "others"), plural(n, "alert", "alerts")))
	}
	for _, n := range d.Notes {
		w.wrap("Note: ", "      ", n)
	}
	if len(d.New) > 0 {
		w.blank()
		w.line("New signatures (never seen before on this sensor):")
		w.sigRows(capList(d.New))
		w.more(len(d.New), "NEW")
	}
	if len(d.Fresh) > 0 {
		w.blank()
		w.line("Fresh rules (added or changed by the last rules-update):")
		w.sigRows(capList(d.Fresh))
		w.more(len(d.Fresh), "fresh rule")
	}
	w.blank()
	w.line("Top signatures by alerts:")
	w.sigRows(d.Top)

	w.blank()
	w.line("Signatures, most important first (severity, then new, then count):")
	for _, s := range d.Sections {
		if s.Link != "" && runewidth.StringWidth("   Link: "+s.Link) > textWidth {
			w.line("(Links wider than a text line are in the HTML part.)")
			break
		}
	}
	for i, s := range d.Sections {
		w.blank()
		w.section(i+1, &s)
	}
	if len(d.Others) > 0 {
		w.blank()
		w.line(fmt.Sprintf("Other signatures (beyond the %d above), by name and count:", len(d.Sections)))
		w.sigRows(d.Others)
	}
	w.blank()
	w.line("-- ")
	w.wrap("", "", "suricron alert-digest on "+printable.String(d.Host))
	w.wrap("Batch: ", "       ", d.Batch)
	return w.b.String()
}

func (w *textWriter) section(n int, s *Section) {
	head := fmt.Sprintf("## %d. sid %s rev %d | %s | severity %s", n, sigID(s.SigCount), s.Rev,
		plural(s.Count, "alert", "alerts"), sevLabel(s.Severity))
	if t := tags(s.SigCount); t != "" {
		head += " | " + strings.ReplaceAll(t, ", ", " | ")
	}
	w.wrap("", "   ", head)
	const ind = "   "
	w.wrap(ind, ind, s.Signature)
	if s.Category != "" {
		w.wrap(ind+"Category: ", ind+"  ", s.Category)
	}
	w.wrap(ind, ind, fmt.Sprintf("Sources: %s, destinations: %s",
		distinct(s.Sources, s.SourcesCapped), distinct(s.Destinations, s.DestinationsCapped)))
	w.line(ind + "First seen: " + s.FirstSeen.Format(timeLayout))
	w.line(ind + "Last seen:  " + s.LastSeen.Format(timeLayout))
	if len(s.Actions) > 0 {
		w.wrap(ind+"Action: ", ind+"  ", actionsString(s.Actions))
	}
	if len(s.Pairs) > 0 {
		w.line(ind + "Top pairs (alerts  source -> destination  ports):")
		for _, p := range s.Pairs {
			w.pair(p, s.PairsApprox)
		}
		if s.MorePairs > 0 {
			w.line(ind + fmt.Sprintf("and %s more %s", thousands(s.MorePairs), pick(s.MorePairs == 1, "pair", "pairs")) +
				pick(s.PairsApprox, fmt.Sprintf(" (at most; pair counts may be high by up to %s)", thousands(s.PairsError)), ""))
		}
	}
	if len(s.Context) > 0 {
		w.line(ind + "Context:")
		for _, c := range s.Context {
			w.wrap(ind+"  "+c.Field+": ", ind+"    ", fmt.Sprintf("%s (%s%s)", c.Value, pick(c.Approx, "~", ""), thousands(c.Count)))
		}
	}
	if s.Link != "" {
		// A URL cannot be wrapped without breaking it: a long one is left
		// to the HTML part.
		if l := ind + "Link: " + s.Link; runewidth.StringWidth(l) <= textWidth {
			w.line(l)
		}
	}
}

// pair writes "count  src -> dst  ports"; when that is too wide the
// destination moves to its own line, so an address is never cut.
func (w *textWriter) pair(p Pair, approx bool) {
	count := pick(approx, "~", "") + thousands(p.Count)
	left := fmt.Sprintf("   %9s  ", count)
	ports := portsString(p)
	one := left + p.Src + " -> " + p.Dst + pick(ports != "", "  "+ports, "")
	if runewidth.StringWidth(one) <= textWidth {
		w.line(one)
		return
	}
	pad := strings.Repeat(" ", len(left))
	w.line(left + p.Src + " ->")
	if l := pad + "  " + p.Dst + pick(ports != "", "  "+ports, ""); runewidth.StringWidth(l) <= textWidth {
		w.line(l)
		return
	}
	w.line(pad + "  " + p.Dst)
	if ports != "" {
		w.wrap(pad+"  ", pad+"  ", ports)
	}
}

// sigRows lists signatures as "count  gid:sid  signature", the signature
// wrapped under itself.
func (w *textWriter) sigRows(list []SigCount) {
	for _, s := range list {
		prefix := fmt.Sprintf("%9s  %-12s  ", thousands(s.Count), sigID(s))
		text := s.Signature
		if t := tags(s); t != "" {
			text += " [" + t + "]"
		}
		w.wrap(prefix, strings.Repeat(" ", runewidth.StringWidth(prefix)), text)
	}
}

// summaryList is how many new or fresh signatures the summary names; the
// sections below mark every one.
const summaryList = 10

func capList(l []SigCount) []SigCount { return l[:min(len(l), summaryList)] }

func (w *textWriter) more(n int, tag string) {
	if n > summaryList {
		w.line(fmt.Sprintf("%9s  and %s more, marked %q below", "", thousands(int64(n-summaryList)), tag))
	}
}

// textWriter builds the text part line by line.
type textWriter struct{ b strings.Builder }

func (w *textWriter) blank() { w.b.WriteString("\n") }

// line writes one line; it is the only writer, so it enforces the width as
// the last guard (breaking at a column) for any line the layout above
// could not keep narrow.
func (w *textWriter) line(s string) {
	s = strings.TrimRight(s, " ")
	if s == "--" {
		s = "-- " // the signature separator keeps its space
	}
	for runewidth.StringWidth(s) > textWidth {
		head, rest := cutWidth(s, textWidth)
		w.b.WriteString(head + "\n")
		s = rest
	}
	w.b.WriteString(s + "\n")
}

func (w *textWriter) field(name, value string) {
	label := fmt.Sprintf("%-13s", name+":")
	w.wrap(label, strings.Repeat(" ", len(label)), value)
}

// wrap writes text after first, continuing after cont, breaking at spaces;
// a word wider than a line is broken at the line's end.
func (w *textWriter) wrap(first, cont, text string) {
	prefix := first
	cur := prefix
	curW := runewidth.StringWidth(cur)
	empty := true
	flush := func() {
		w.line(cur)
		prefix = cont
		cur = prefix
		curW = runewidth.StringWidth(cur)
		empty = true
	}
	for _, word := range strings.Fields(text) {
		ww := runewidth.StringWidth(word)
		sep := pick(empty, "", " ")
		if curW+len(sep)+ww <= textWidth {
			cur += sep + word
			curW += len(sep) + ww
			empty = false
			continue
		}
		if !empty {
			flush()
		}
		for curW+ww > textWidth {
			head, rest := cutWidth(word, textWidth-curW)
			cur += head
			flush()
			word = rest
			ww = runewidth.StringWidth(word)
		}
		cur += word
		curW += ww
		empty = false
	}
	if !empty || first != "" {
		w.line(cur)
	}
}

// cutWidth splits s after at most n columns (at least one rune).
func cutWidth(s string, n int) (string, string) {
	width := 0
	for i, r := range s {
		rw := runewidth.RuneWidth(r)
		if width+rw > n && i > 0 {
			return s[:i], s[i:]
		}
		width += rw
	}
	return s, ""
}
