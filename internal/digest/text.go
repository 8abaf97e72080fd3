package digest

import (
	"bytes"
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// textBody renders the text/plain part. Each group is one table row that
// starts "count  sid  signature  src -> dst" (DESIGN §4); the rest of the
// columns follow.
func (r *report) textBody() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Suricata alert digest for %s\n\n", printable.String(r.Host))
	b.WriteString(r.headline() + "\n")
	for _, n := range r.Notes {
		b.WriteString("Note: " + n + "\n")
	}
	b.WriteString("\nAlerts grouped by signature, source and destination, most severe first:\n\n")
	rows := make([][]string, 0, len(r.Groups))
	for _, g := range r.Groups {
		rows = append(rows, []string{strconv.FormatInt(g.Count, 10), strconv.FormatInt(g.SID, 10),
			g.Signature, g.Src + " -> " + g.Dst, g.SevLabel, g.Ports, g.First, g.Last, g.Category})
	}
	err := writeTable(&b, []string{"COUNT", "SID", "SIGNATURE", "SRC -> DST", "SEVERITY", "DEST PORTS", "FIRST SEEN", "LAST SEEN", "CATEGORY"},
		[]tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft},
		rows)
	if err != nil {
		return "", err
	}
	if l := r.moreGroupsLine(); l != "" {
		b.WriteString(l + " (see the totals per signature below)\n")
	}

	b.WriteString("\nTotals per signature:\n\n")
	rows = rows[:0]
	for _, s := range r.Sigs {
		rows = append(rows, []string{strconv.FormatInt(s.Count, 10), strconv.FormatInt(s.SID, 10),
			printable.String(s.Signature), sevLabel(s.Severity), strconv.Itoa(s.Groups)})
	}
	err = writeTable(&b, []string{"ALERTS", "SID", "SIGNATURE", "SEVERITY", "GROUPS"},
		[]tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignRight}, rows)
	if err != nil {
		return "", err
	}
	if l := r.moreSigsLine(); l != "" {
		b.WriteString(l + "\n")
	}

	links := false
	for _, g := range r.Groups {
		if g.Link == "" {
			continue
		}
		if !links {
			b.WriteString("\nLinks:\n\n")
			links = true
		}
		fmt.Fprintf(&b, "%d %s -> %s\n  %s\n", g.SID, g.Src, g.Dst, g.Link)
	}
	fmt.Fprintf(&b, "\n-- \nsuricron alert-digest on %s, batch %s\n", printable.String(r.Host), r.Batch)
	return b.String(), nil
}

// writeTable renders a borderless ASCII table with two spaces between
// columns, without the padding tablewriter puts at the line ends.
func writeTable(b *strings.Builder, header []string, align []tw.Align, rows [][]string) error {
	var buf bytes.Buffer
	al := tw.CellAlignment{PerColumn: align}
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off}, Alignment: al},
			Row:    tw.CellConfig{Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone}, Alignment: al},
		}))
	t.Header(toAny(header)...)
	for _, row := range rows {
		if err := t.Append(toAny(row)...); err != nil {
			return fmt.Errorf("text table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("text table: %w", err)
	}
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		b.WriteString(strings.TrimRight(strings.TrimPrefix(line, " "), " ") + "\n")
	}
	return nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
