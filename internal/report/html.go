package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail"
)

// Content-IDs of the inline charts.
const (
	cidAlerts = "alerts-per-day@suricron"
	cidDrops  = "drops-per-day@suricron"
)

// htmlView is what the template sees: the report plus its time zone and
// whether charts are attached.
type htmlView struct {
	R      *Report
	Loc    *time.Location
	Charts bool
	// AlertsImg and DropsImg are the charts' src attributes: cid:
	// references to the mail's inline parts, or data: URLs in a
	// standalone HTML file (as attributes, so that html/template does not
	// entity-escape every "+" of the base64).
	AlertsImg, DropsImg template.HTMLAttr
	Cols                []string
}

// Gmail and Outlook drop <style> blocks, so every cell carries its style.
var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":   num,
	"many":  plural,
	"bytes": bytesHuman,
	"pct":   pct,
	"stamp": stamp,
	"sev": func(m map[string]int64, k string) string {
		return num(m[k])
	},
	"change": change,
	"members": func(list []string, more int64) string {
		return members(list, more, 4)
	},
	"join":  strings.Join,
	"clean": cleanText,
	"ratio": ratio,
	"sid":   func(n int64) string { return strconv.FormatInt(n, 10) },
}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Suricata weekly report {{.R.Host}} {{.R.Week}}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">
{{define "th"}}<th style="text-align:left;padding:4px 8px;border-bottom:2px solid #999;background:#eee">{{.}}</th>{{end}}
{{define "none"}}<p style="color:#666"><i>none</i></p>{{end}}
<h1 style="font-size:20px">Suricata weekly report {{.R.Host}} {{.R.Week}}</h1>
<p>Period: {{.R.Period.Start.In .Loc | printf "%v"}} to {{.R.Period.End.In .Loc | printf "%v"}}</p>
{{if .R.NoData}}<p><b>No data for this period: no alerts, flows or stats were recorded.</b></p>{{end}}
<h2 style="font-size:16px">Notes</h2>
{{if .R.Notes}}<ul>{{range .R.Notes}}<li>{{clean .}}</li>{{end}}</ul>{{else}}{{template "none"}}{{end}}

<h2 style="font-size:16px">1. Alert summary</h2>
<p>{{num .R.Alerts.Total}} alerts (previous week {{num .R.Alerts.Previous}})</p>
{{if .Charts}}<p><img {{.AlertsImg}} alt="Alerts per day by severity" width="605"></p>{{end}}
<table style="border-collapse:collapse">
<tr>{{template "th" "Day"}}{{template "th" "Alerts"}}{{range .Cols}}{{template "th" (printf "Sev %s" .)}}{{end}}</tr>
{{range .R.Alerts.PerDay}}{{$d := .}}<tr><td style="padding:2px 8px">{{.Date}}</td><td style="padding:2px 8px;text-align:right">{{num .Total}}</td>{{range $.Cols}}<td style="padding:2px 8px;text-align:right">{{sev $d.BySeverity .}}</td>{{end}}</tr>
{{end}}</table>
<h3 style="font-size:14px">Top signatures</h3>
{{if .R.Alerts.Signatures}}<table style="border-collapse:collapse">
<tr>{{template "th" "SID"}}{{template "th" "Signature"}}{{template "th" "Sev"}}{{template "th" "Count"}}{{template "th" "Prev wk"}}{{template "th" "Change"}}</tr>
{{range .R.Alerts.Signatures}}<tr><td style="padding:2px 8px">{{sid .SID}}</td><td style="padding:2px 8px">{{clean .Signature}}</td><td style="padding:2px 8px">{{.Severity}}</td><td style="padding:2px 8px;text-align:right">{{num .Count}}</td><td style="padding:2px 8px;text-align:right">{{num .Previous}}</td><td style="padding:2px 8px">{{change .Count .Previous .New}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}
<h3 style="font-size:14px">Top sources</h3>
{{if .R.Alerts.Sources}}<table style="border-collapse:collapse"><tr>{{template "th" "Source"}}{{template "th" "Alerts"}}</tr>
{{range .R.Alerts.Sources}}<tr><td style="padding:2px 8px">{{.IP}}</td><td style="padding:2px 8px;text-align:right">{{num .Count}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}
<h3 style="font-size:14px">Top destinations</h3>
{{if .R.Alerts.Destinations}}<table style="border-collapse:collapse"><tr>{{template "th" "Destination"}}{{template "th" "Alerts"}}</tr>
{{range .R.Alerts.Destinations}}<tr><td style="padding:2px 8px">{{.IP}}</td><td style="padding:2px 8px;text-align:right">{{num .Count}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}
<h3 style="font-size:14px">Signatures new this week</h3>
{{if .R.Alerts.NewSignatures}}<table style="border-collapse:collapse"><tr>{{template "th" "SID"}}{{template "th" "Signature"}}{{template "th" "Sev"}}{{template "th" "Count"}}</tr>
{{range .R.Alerts.NewSignatures}}<tr><td style="padding:2px 8px">{{sid .SID}}</td><td style="padding:2px 8px">{{clean .Signature}}</td><td style="padding:2px 8px">{{.Severity}}</td><td style="padding:2px 8px;text-align:right">{{num .Count}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}

<h2 style="font-size:16px">2. Unusual ports</h2>
{{if .R.UnusualPorts}}<table style="border-collapse:collapse">
<tr>{{template "th" "Port"}}{{template "th" "Dir"}}{{template "th" "Flows"}}{{template "th" "Bytes"}}{{template "th" "Alerts"}}{{template "th" "Internal hosts"}}{{template "th" "External peers"}}{{template "th" "First seen"}}</tr>
{{range .R.UnusualPorts}}<tr><td style="padding:2px 8px">{{.Proto}}/{{.Port}}</td><td style="padding:2px 8px">{{.Dir}}</td><td style="padding:2px 8px;text-align:right">{{num .Flows}}</td><td style="padding:2px 8px;text-align:right">{{bytes .Bytes}}</td><td style="padding:2px 8px;text-align:right">{{num .Alerts}}</td><td style="padding:2px 8px">{{members .Hosts .HostsMore}}</td><td style="padding:2px 8px">{{members .Peers .PeersMore}}</td><td style="padding:2px 8px">{{stamp .FirstSeen $.Loc}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}

<h2 style="font-size:16px">3. Capture health</h2>
{{with .R.Capture}}{{if eq .Records 0}}<p>No stats records in this period.</p>{{else if not .HasCapture}}<p>{{many .Records "stats record" "stats records"}}, no capture section (pcap-file mode); restarts {{.Restarts}}</p>{{else}}<p>kernel_packets {{num .KernelPackets}}, kernel_drops {{num .KernelDrops}}, drop {{pct .DropRatio}}, restarts {{.Restarts}}</p>{{end}}{{end}}
{{if .Charts}}<p><img {{.DropsImg}} alt="Kernel drops per day" width="605"></p>{{end}}
<table style="border-collapse:collapse">
<tr>{{template "th" "Day"}}{{template "th" "Stats"}}{{template "th" "Packets"}}{{template "th" "Kernel drops"}}{{template "th" "Drop %"}}{{template "th" "Restarts"}}</tr>
{{range .R.Capture.Days}}<tr><td style="padding:2px 8px">{{.Date}}</td><td style="padding:2px 8px;text-align:right">{{num .Records}}</td><td style="padding:2px 8px;text-align:right">{{num .Packets}}</td><td style="padding:2px 8px;text-align:right">{{num .Drops}}</td><td style="padding:2px 8px;text-align:right">{{pct .DropRatio}}</td><td style="padding:2px 8px;text-align:right">{{.Restarts}}</td></tr>
{{end}}</table>
{{with .R.Capture.Worst}}<p>Worst interval: {{stamp .Start $.Loc}} to {{stamp .End $.Loc}}, {{num .Drops}} drops of {{num .Packets}} packets ({{pct (ratio .Drops .Packets)}})</p>{{else}}<p>Worst interval: none (no kernel drops)</p>{{end}}

<h2 style="font-size:16px">4. Local network</h2>
<h3 style="font-size:14px">Internal hosts</h3>
{{if .R.Hosts}}<table style="border-collapse:collapse"><tr>{{template "th" "Host"}}{{template "th" "Flows"}}{{template "th" "Bytes"}}{{template "th" "Services"}}{{template "th" "New"}}</tr>
{{range .R.Hosts}}<tr><td style="padding:2px 8px">{{.IP}}</td><td style="padding:2px 8px;text-align:right">{{num .Flows}}</td><td style="padding:2px 8px;text-align:right">{{bytes .Bytes}}</td><td style="padding:2px 8px">{{join .Services " "}}</td><td style="padding:2px 8px">{{if .New}}new{{end}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}
<h3 style="font-size:14px">Top talkers (bytes)</h3>
{{if .R.TopTalkers}}<table style="border-collapse:collapse"><tr>{{template "th" "Host"}}{{template "th" "Bytes"}}{{template "th" "Flows"}}</tr>
{{range .R.TopTalkers}}<tr><td style="padding:2px 8px">{{.IP}}</td><td style="padding:2px 8px;text-align:right">{{bytes .Bytes}}</td><td style="padding:2px 8px;text-align:right">{{num .Flows}}</td></tr>
{{end}}</table>{{else}}{{template "none"}}{{end}}
<h3 style="font-size:14px">Hosts new this week</h3>
{{if .R.NewHosts}}<p>{{join .R.NewHosts " "}}</p>{{else}}{{template "none"}}{{end}}
{{template "sensors" .}}</body></html>
`))

// renderHTML writes the HTML report; with both chart sources set it shows
// the charts.
func renderHTML(w io.Writer, r *Report, loc *time.Location, alertsImg, dropsImg template.HTMLAttr) error {
	return htmlTmpl.Execute(w, htmlView{R: r, Loc: loc, Charts: alertsImg != "" && dropsImg != "",
		AlertsImg: alertsImg, DropsImg: dropsImg, Cols: sevColumns(r)})
}

// srcAttr is an img src attribute. Its values are only our cid: constants
// and base64 (whose alphabet needs no escaping), so it is safe to hand to
// html/template as an attribute.
func srcAttr(url string) template.HTMLAttr { return template.HTMLAttr(`src="` + url + `"`) }

// dataURL embeds a PNG in a standalone HTML file, which has nowhere else
// to keep its charts.
func dataURL(png []byte) template.HTMLAttr {
	return srcAttr("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// renderStandaloneHTML is --format html: the mail's HTML with the charts
// inline, so a file opened in a browser shows what the mail shows.
func renderStandaloneHTML(w io.Writer, r *Report, loc *time.Location) error {
	ac, err := alertsChart(r)
	if err != nil {
		return err
	}
	dc, err := dropChart(r)
	if err != nil {
		return err
	}
	return renderHTML(w, r, loc, dataURL(ac), dataURL(dc))
}

func renderJSON(w io.Writer, r *Report) error {
	// The HTML escaping of encoding/json would turn < > & in signatures
	// into \u003c…; JSON consumers get the plain string.
	var buf bytes.Buffer
	enc2 := json.NewEncoder(&buf)
	enc2.SetIndent("", "  ")
	enc2.SetEscapeHTML(false)
	if err := enc2.Encode(r); err != nil {
		return err
	}
	_, err := w.Write(escapeC1(buf.Bytes()))
	return err
}

// escapeC1 writes C1 controls (U+0080–U+009F, e.g. CSI) as \u escapes:
// encoding/json passes them through raw, and a terminal showing the JSON
// could act on them. Inside JSON text they can only occur in strings, where
// the escape means the same character.
func escapeC1(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xc2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// Render writes r in format (text, markdown, json, html).
func Render(w io.Writer, r *Report, format string, loc *time.Location) error {
	switch format {
	case "text":
		return renderText(w, r, loc, plainTable)
	case "markdown":
		return renderText(w, r, loc, markdownTable)
	case "json":
		return renderJSON(w, r)
	case "html":
		return renderStandaloneHTML(w, r, loc)
	}
	return exitcode.Usagef("--format %q: want text, markdown, json or html", format)
}

// Subject is the mail subject of a report.
func Subject(r *Report) string {
	return fmt.Sprintf("[suricron] weekly report %s %s", r.Host, r.Week)
}

// BuildMail renders r as an HTML mail with inline PNG charts and a text
// alternative.
func BuildMail(r *Report, loc *time.Location, from string, to []string, date time.Time) ([]byte, *mail.Message, error) {
	var text, html bytes.Buffer
	if err := renderText(&text, r, loc, plainTable); err != nil {
		return nil, nil, fmt.Errorf("mail text: %w", err)
	}
	if err := renderHTML(&html, r, loc, srcAttr("cid:"+cidAlerts), srcAttr("cid:"+cidDrops)); err != nil {
		return nil, nil, fmt.Errorf("mail html: %w", err)
	}
	ac, err := alertsChart(r)
	if err != nil {
		return nil, nil, err
	}
	dc, err := dropChart(r)
	if err != nil {
		return nil, nil, err
	}
	msg := &mail.Message{
		From: from, To: to, Subject: Subject(r), Date: date,
		Text: text.String(), HTML: html.String(),
		Inline: []mail.Part{
			{ContentID: cidAlerts, Filename: "alerts-per-day.png", ContentType: "image/png", Data: ac},
			{ContentID: cidDrops, Filename: "drops-per-day.png", ContentType: "image/png", Data: dc},
		},
		Headers: []mail.Header{{Name: "X-Suricron-Report", Value: r.Week}},
	}
	if h := r.Host; h != "" && !strings.ContainsAny(h, " \t") {
		msg.Host = h
	}
	raw, err := mail.Build(msg)
	if err != nil {
		return nil, nil, err
	}
	return raw, msg, nil
}

func deliver(ctx context.Context, cfg Config, deps Deps, r *Report) error {
	if !cfg.Mail || cfg.Out != "" {
		var buf bytes.Buffer
		if err := Render(&buf, r, cfg.Format, cfg.Location); err != nil {
			return err
		}
		if cfg.Out != "" {
			// A report for people to read, not state: world-readable.
			if err := atomicfile.Write(cfg.Out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
		} else if _, err := deps.Stdout.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if !cfg.Mail {
		return nil
	}
	raw, msg, err := BuildMail(r, cfg.Location, cfg.From, cfg.To, deps.Now())
	if err != nil {
		return exitcode.Usage(err)
	}
	from, to, err := msg.Envelope()
	if err != nil {
		return exitcode.Usage(err)
	}
	if err := deps.Sender.Send(ctx, from, to, raw); err != nil {
		// A temporary mail.DeliveryError: cli.ExitCode makes it 75.
		return fmt.Errorf("mail report: %w", err)
	}
	deps.Logger.Info("report mailed", "to", len(to), "bytes", len(raw))
	return nil
}
