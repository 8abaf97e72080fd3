package report

import (
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Width is the text report's maximum line width.
const Width = 100

// sigWidth leaves the other columns of the signature table room inside Width.
const sigWidth = 52

// cleanText makes an eve string safe for a terminal (see package printable).
func cleanText(s string) string { return printable.String(s) }

// cellBreak separates the lines of a wrapped table cell. It is a control
// character, so it cannot survive cleanText in eve text: only wrapCell
// makes one.
const cellBreak = "\x1f"

// wrap breaks s into lines of at most width runes, at spaces where it can
// and inside a word longer than width. Nothing is dropped: two signatures
// that differ only at their end stay distinguishable.
func wrap(s string, width int) []string {
	var lines []string
	var cur []rune
	flush := func() {
		lines = append(lines, strings.TrimRight(string(cur), " "))
		cur = cur[:0]
	}
	for _, word := range strings.Split(s, " ") {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) > width {
			flush()
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		for len(cur)+len(w) > width {
			n := width - len(cur)
			cur = append(cur, w[:n]...)
			w = w[n:]
			flush()
		}
		cur = append(cur, w...)
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// wrapCell is wrap for a table cell.
func wrapCell(s string, width int) string { return strings.Join(wrap(s, width), cellBreak) }

// plural is "1 time", "2 times".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

// cut shortens s to n runes with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// mdEscape keeps eve strings from becoming markdown or inline HTML.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#!~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// num formats a count with thousands separators (5,120).
func num(n int64) string { return message.NewPrinter(language.English).Sprint(n) }

// bytesHuman formats a byte count in binary units.
func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func pct(r float64) string { return fmt.Sprintf("%.3f %%", 100*r) }

func change(cur, prev int64, isNew bool) string {
	switch {
	case isNew:
		return "new"
	case prev == 0:
		return "+" + num(cur)
	case cur == prev:
		return "="
	}
	if cur >= 10*prev {
		// "+69400%" reads as noise; a factor reads at a glance.
		return "×" + num((cur+prev/2)/prev)
	}
	return fmt.Sprintf("%+d%%", (cur-prev)*100/prev)
}

func severities(m map[string]int64) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return x - y
		}
		return strings.Compare(a, b)
	})
	return keys
}

// sevColumns are the severity columns of the per-day table: 1–3 always
// (EveBox's High/Medium/Low), any other value that occurs after them.
func sevColumns(r *Report) []string {
	cols := []string{"1", "2", "3"}
	for _, k := range severities(r.Alerts.BySeverity) {
		if !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	return cols
}

func members(list []string, more int64, n int) string {
	if len(list) == 0 {
		return "-"
	}
	shown := list[:min(len(list), n)]
	s := strings.Join(shown, " ")
	if rest := int64(len(list)-len(shown)) + more; rest > 0 {
		s += fmt.Sprintf(" +%d", rest)
	}
	return s
}

func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// tableKind selects the renderer.
type tableKind int

const (
	plainTable tableKind = iota
	markdownTable
)

// writeTable renders one table; an empty one is the word "none", so a
// section never silently vanishes.
func writeTable(w io.Writer, kind tableKind, header []string, rows [][]string, right []bool) error {
	if len(rows) == 0 {
		_, err := io.WriteString(w, "none\n")
		return err
	}
	// A text cell may hold several lines (a wrapped signature) separated
	// by cellBreak: each is cleaned on its own so that only the breaks
	// wrapCell put in become line breaks; a newline in eve text is still
	// shown escaped.
	clean := func(s string) string {
		lines := strings.Split(s, cellBreak)
		for i, l := range lines {
			l = cleanText(l)
			if kind == markdownTable {
				l = mdEscape(l)
			}
			lines[i] = l
		}
		if kind == markdownTable {
			return strings.Join(lines, " ")
		}
		return strings.Join(lines, "\n")
	}
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
		if i < len(right) && right[i] {
			align[i] = tw.AlignRight
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone}, Alignment: tw.CellAlignment{PerColumn: align}},
			Row:    tw.CellConfig{Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone}, Alignment: tw.CellAlignment{PerColumn: align}},
		}),
	}
	if kind == markdownTable {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleASCII),
		})))
	}
	t := tablewriter.NewTable(w, opts...)
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = clean(s)
	}
	t.Header(h...)
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, s := range r {
			cells[i] = clean(s)
		}
		if err := t.Append(cells...); err != nil {
			return err
		}
	}
	return t.Render()
}

// renderText writes the text (plain tables) or markdown report.
func renderText(w io.Writer, r *Report, loc *time.Location, kind tableKind) error {
	md := kind == markdownTable
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	heading := func(level int, s string) {
		if md {
			p("\n%s %s\n\n", strings.Repeat("#", level), mdEscape(cleanText(s)))
			return
		}
		if level == 1 {
			p("%s\n%s\n", cleanText(s), strings.Repeat("=", min(utf8.RuneCountInString(cleanText(s)), Width)))
			return
		}
		p("\n%s\n%s\n", s, strings.Repeat("-", utf8.RuneCountInString(s)))
	}
	sub := func(s string) {
		if md {
			p("\n### %s\n\n", s)
			return
		}
		p("\n%s\n", s)
	}
	// sigCell shows a whole signature: wrapped in text, on one line in
	// markdown (whose table cells cannot break).
	sigCell := func(sig string, width int) string {
		if md {
			return cleanText(sig)
		}
		return wrapCell(cleanText(sig), width)
	}
	table := func(header []string, rows [][]string, right ...bool) {
		if err == nil {
			err = writeTable(w, kind, header, rows, right)
		}
	}
	line := func(s string) {
		if md {
			s = mdEscape(cleanText(s))
		} else {
			s = cleanText(s)
		}
		p("%s\n", s)
	}
	bullet := func(s string) {
		if md {
			p("- %s\n", mdEscape(cleanText(s)))
			return
		}
		for i, l := range wrap(cleanText(s), Width-4) {
			if i == 0 {
				p("  * %s\n", l)
			} else {
				p("    %s\n", l)
			}
		}
	}
	// paragraph wraps a long list (new hosts) to Width.
	paragraph := func(s string) {
		if md {
			line(s)
			return
		}
		for _, l := range wrap(cleanText(s), Width) {
			p("%s\n", l)
		}
	}

	heading(1, fmt.Sprintf("Suricata weekly report %s %s", r.Host, r.Week))
	line(fmt.Sprintf("Period: %s to %s", r.Period.Start.In(loc).Format("2006-01-02 15:04 -0700"), r.Period.End.In(loc).Format("2006-01-02 15:04 -0700")))
	if r.NoData {
		line("No data for this period: no alerts, flows or stats were recorded.")
	}
	heading(2, "Notes")
	if len(r.Notes) == 0 {
		line("none")
	}
	for _, n := range r.Notes {
		bullet(n)
	}

	a := &r.Alerts
	heading(2, "1. Alert summary")
	var sev []string
	for _, k := range severities(a.BySeverity) {
		sev = append(sev, fmt.Sprintf("severity %s: %s", k, num(a.BySeverity[k])))
	}
	summary := fmt.Sprintf("%s alerts (previous week %s)", num(a.Total), num(a.Previous))
	if len(sev) > 0 {
		summary += "; " + strings.Join(sev, ", ")
	}
	line(summary)
	p("\n")
	cols := sevColumns(r)
	hdr := append([]string{"Day", "Alerts"}, prefixed("Sev ", cols)...)
	var rows [][]string
	for _, d := range a.PerDay {
		row := []string{d.Date, num(d.Total)}
		for _, c := range cols {
			row = append(row, num(d.BySeverity[c]))
		}
		rows = append(rows, row)
	}
	table(hdr, rows, rightAll(len(hdr), 1)...)

	sub("Top signatures")
	rows = nil
	for _, s := range a.Signatures {
		rows = append(rows, []string{strconv.FormatInt(s.SID, 10), sigCell(s.Signature, sigWidth), strconv.Itoa(s.Severity),
			num(s.Count), num(s.Previous), change(s.Count, s.Previous, s.New)})
	}
	table([]string{"SID", "Signature", "Sev", "Count", "Prev wk", "Change"}, rows, true, false, true, true, true, true)
	if a.MoreSigs > 0 {
		line(fmt.Sprintf("and %d more signatures", a.MoreSigs))
	}
	sub("Top sources")
	table([]string{"Source", "Alerts"}, addrRows(a.Sources), false, true)
	sub("Top destinations")
	table([]string{"Destination", "Alerts"}, addrRows(a.Destinations), false, true)
	sub("Signatures new this week")
	rows = nil
	for _, s := range a.NewSignatures {
		rows = append(rows, []string{strconv.FormatInt(s.SID, 10), sigCell(s.Signature, sigWidth+12), strconv.Itoa(s.Severity), num(s.Count)})
	}
	table([]string{"SID", "Signature", "Sev", "Count"}, rows, true, false, true, true)

	heading(2, "2. Unusual ports")
	rows = nil
	for _, u := range r.UnusualPorts {
		rows = append(rows, []string{Service(u.Proto, u.Port), u.Dir, num(u.Flows), bytesHuman(u.Bytes), num(u.Alerts),
			cut(members(u.Hosts, u.HostsMore, 1), 19), cut(members(u.Peers, u.PeersMore, 1), 19), shortStamp(u.FirstSeen, loc)})
	}
	table([]string{"Port", "Dir", "Flows", "Bytes", "Alerts", "Internal hosts", "External peers", "First seen"}, rows,
		false, false, true, true, true, false, false, false)

	c := &r.Capture
	heading(2, "3. Capture health")
	switch {
	case c.Records == 0:
		line("No stats records in this period.")
	case !c.HasCapture:
		line(fmt.Sprintf("%s, no capture section (pcap-file mode); decoder packets %s; restarts %d",
			plural(c.Records, "stats record", "stats records"), num(c.DecoderPkts), c.Restarts))
	default:
		line(fmt.Sprintf("kernel_packets %s, kernel_drops %s, drop %s, restarts %d",
			num(c.KernelPackets), num(c.KernelDrops), pct(c.DropRatio), c.Restarts))
	}
	p("\n")
	rows = nil
	for _, d := range c.Days {
		rows = append(rows, []string{d.Date, num(d.Records), num(d.Packets), num(d.Drops), pct(d.DropRatio), strconv.Itoa(d.Restarts)})
	}
	table([]string{"Day", "Stats", "Packets", "Kernel drops", "Drop %", "Restarts"}, rows, false, true, true, true, true, true)
	if c.Worst != nil {
		line(fmt.Sprintf("Worst interval: %s to %s, %s drops of %s packets (%s)", stamp(c.Worst.Start, loc), stamp(c.Worst.End, loc),
			num(c.Worst.Drops), num(c.Worst.Packets), pct(ratio(c.Worst.Drops, c.Worst.Packets))))
	} else {
		line("Worst interval: none (no kernel drops)")
	}
	if len(c.RestartTimes) > 0 {
		var ts []string
		for _, t := range c.RestartTimes {
			ts = append(ts, stamp(t, loc))
		}
		line("Restarts seen at: " + strings.Join(ts, ", "))
	}

	heading(2, "4. Local network")
	sub("Internal hosts")
	rows = nil
	for _, h := range r.Hosts {
		isNew := ""
		if h.New {
			isNew = "new"
		}
		rows = append(rows, []string{h.IP, num(h.Flows), bytesHuman(h.Bytes), cut(strings.Join(h.Services, " "), 28), isNew})
	}
	table([]string{"Host", "Flows", "Bytes", "Services (proto/port)", "New"}, rows, false, true, true, false, false)
	sub("Top talkers (bytes)")
	rows = nil
	for _, h := range r.TopTalkers {
		rows = append(rows, []string{h.IP, bytesHuman(h.Bytes), num(h.Flows)})
	}
	table([]string{"Host", "Bytes", "Flows"}, rows, false, true, true)
	sub("Hosts new this week")
	if len(r.NewHosts) == 0 {
		line("none")
	} else {
		paragraph(strings.Join(r.NewHosts, " "))
	}
	if err == nil {
		err = renderSensors(w, r, loc, kind)
	}
	return err
}

func shortStamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("01-02 15:04")
}

func prefixed(pre string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = pre + x
	}
	return out
}

func rightAll(n, from int) []bool {
	out := make([]bool, n)
	for i := from; i < n; i++ {
		out[i] = true
	}
	return out
}

func addrRows(rows []AddrRow) [][]string {
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.IP, num(r.Count)})
	}
	return out
}
