package report

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart sizes: wide enough to read in a mail client, small enough that the
// mail stays well under typical size limits.
const (
	chartW = 16 * vg.Centimeter
	chartH = 7 * vg.Centimeter
)

// sevColors follow EveBox's severity colours: high red, medium orange, low
// blue; anything else grey.
var sevColors = map[string]color.Color{
	"1": color.RGBA{0xd6, 0x27, 0x28, 0xff},
	"2": color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	"3": color.RGBA{0x1f, 0x77, 0xb4, 0xff},
}

func dayLabels(days []string) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d[5:] // MM-DD
	}
	return out
}

// alertsChart draws alerts per day as bars stacked by severity.
func alertsChart(r *Report) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Alerts per day by severity"
	p.Y.Label.Text = "alerts"
	var days []string
	for _, d := range r.Alerts.PerDay {
		days = append(days, d.Date)
	}
	w := vg.Points(float64(chartW.Points()) / float64(max(len(days), 1)) * 0.5)
	var below *plotter.BarChart
	for _, sev := range sevColumns(r) {
		vals := make(plotter.Values, len(r.Alerts.PerDay))
		for i, d := range r.Alerts.PerDay {
			vals[i] = float64(d.BySeverity[sev])
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("alerts chart: %w", err)
		}
		b.LineStyle.Width = 0
		b.Color = color.Gray{0x90}
		if c, ok := sevColors[sev]; ok {
			b.Color = c
		}
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add("severity "+sev, b)
	}
	p.Legend.Top = true
	p.NominalX(dayLabels(days)...)
	p.Y.Min = 0
	if r.Alerts.Total == 0 {
		p.Y.Max = 1
	}
	return encodePNG(p)
}

// dropChart draws the kernel drop percentage per day, with Suricata's 1 %
// guidance as a line.
func dropChart(r *Report) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Kernel drops per day (% of kernel_packets)"
	p.Y.Label.Text = "drop %"
	var days []string
	vals := make(plotter.Values, len(r.Capture.Days))
	top := 100 * DropWarn
	for i, d := range r.Capture.Days {
		days = append(days, d.Date)
		vals[i] = 100 * d.DropRatio
		top = max(top, vals[i])
	}
	w := vg.Points(float64(chartW.Points()) / float64(max(len(days), 1)) * 0.5)
	b, err := plotter.NewBarChart(vals, w)
	if err != nil {
		return nil, fmt.Errorf("drop chart: %w", err)
	}
	b.LineStyle.Width = 0
	b.Color = color.RGBA{0x94, 0x67, 0xbd, 0xff}
	p.Add(b)
	if len(days) > 0 {
		guide, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 100 * DropWarn}, {X: float64(len(days)) - 0.5, Y: 100 * DropWarn}})
		if err != nil {
			return nil, fmt.Errorf("drop chart: %w", err)
		}
		guide.Color = sevColors["1"]
		guide.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(guide)
		p.Legend.Add("1 % guidance", guide)
		p.Legend.Top = true
	}
	p.NominalX(dayLabels(days)...)
	p.Y.Min = 0
	p.Y.Max = top * 1.15
	return encodePNG(p)
}

func encodePNG(p *plot.Plot) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartW, chartH), vgimg.UseDPI(96))}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}
