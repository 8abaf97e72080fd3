package digest

import (
	"fmt"
	"html/template"
	"strings"
)

// htmlBudget bounds the HTML part: Gmail clips a message whose HTML
// exceeds ~102 KB. Sections are rendered while they fit; the signatures
// that do not fit are listed by name and count, and past the budget only
// the number of the remaining ones is given (the text part lists all).
const htmlBudget = 80_000

// The HTML part uses only what Gmail and Outlook keep: inline style
// attributes (no <style> block, no classes), bgcolor for Outlook's Word
// renderer, web-safe fonts, a 600 px column (max-width) with every table at
// 100% and long words allowed to break, so nothing scrolls sideways.
// html/template escapes every value, so no eve.json text can inject
// markup, and drops href values that are not http(s).
const htmlTemplates = `
{{define "head"}}<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background-color:#ffffff;">
<div style="max-width:600px;margin:0 auto;padding:12px;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.35;color:#222222;overflow-wrap:anywhere;word-break:break-word;">
<h2 style="font-size:18px;margin:0 0 8px 0;">Suricata alert digest for {{.D.Host}}</h2>
<table role="presentation" cellpadding="3" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;font-size:14px;">
<tr><td style="{{$.K}}">Alerts</td><td><b>{{thousands .D.Alerts}}</b>{{with .D.SevCounts}} ({{.}}){{end}}</td></tr>
<tr><td style="{{$.K}}">Signatures</td><td>{{.D.Signatures}}</td></tr>
<tr><td style="{{$.K}}">Time span</td><td>{{.Span}}</td></tr>
<tr><td style="{{$.K}}">Sensor</td><td>{{.D.Host}}</td></tr>
{{with .D.New}}<tr><td style="{{$.K}}">New</td><td>{{len .}} never seen before on this sensor</td></tr>{{end}}
{{with .D.Fresh}}<tr><td style="{{$.K}}">Fresh rules</td><td>{{len .}} from rules the last rules-update added or changed</td></tr>{{end}}
</table>
{{range .D.Notes}}<p style="margin:6px 0;color:#8a4b00;">Note: {{.}}</p>
{{end}}{{with .D.New}}<h3 style="{{$.H3}}">New signatures</h3>{{template "rows" .}}{{end}}
{{with .D.Fresh}}<h3 style="{{$.H3}}">Fresh rules</h3>{{template "rows" .}}{{end}}
<h3 style="{{$.H3}}">Top signatures by alerts</h3>{{template "rows" .D.Top}}
<h3 style="{{$.H3}}">Signatures, most important first</h3>
{{end}}

{{define "rows"}}{{template "open"}}{{range .}}{{template "row" .}}{{end}}{{template "close"}}{{end}}
{{define "open"}}<table role="presentation" cellpadding="2" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;font-size:13px;">
{{end}}
{{define "row"}}<tr valign="top"><td align="right" style="white-space:nowrap;padding-right:8px;">{{thousands .Count}}</td><td style="white-space:nowrap;padding-right:8px;color:#555555;">{{sigID .}}</td><td>{{.Signature}}{{template "tags" .}}</td></tr>
{{end}}
{{define "close"}}</table>
{{end}}

{{define "tags"}}{{if .New}} <span style="background-color:#1a5fb4;color:#ffffff;padding:0 4px;font-size:11px;">NEW</span>{{end}}{{if .Fresh}} <span style="background-color:#26a269;color:#ffffff;padding:0 4px;font-size:11px;">fresh rule</span>{{end}}{{end}}

{{define "section"}}<div style="border-left:6px solid {{sevColor .S.Severity}};padding:4px 0 4px 10px;margin:14px 0;">
<div style="font-size:12px;color:#555555;">{{.N}}. sid {{sigID .S.SigCount}} rev {{.S.Rev}} &middot; <span style="background-color:{{sevColor .S.Severity}};color:{{sevText .S.Severity}};padding:0 4px;">severity {{sevLabel .S.Severity}}</span>{{template "tags" .S.SigCount}}</div>
<div style="font-size:15px;font-weight:bold;margin:2px 0;">{{if .S.Link}}<a href="{{.S.Link}}" style="color:#1a5fb4;">{{.S.Signature}}</a>{{else}}{{.S.Signature}}{{end}}</div>
<div><b>{{thousands .S.Count}}</b> {{if eq .S.Count 1}}alert{{else}}alerts{{end}} &middot; {{.Sources}} &middot; {{.Dests}}{{with .S.Category}} &middot; {{.}}{{end}}</div>
<div style="font-size:12px;color:#555555;">{{.First}} &ndash; {{.Last}}{{with .Actions}} &middot; {{.}}{{end}}</div>
{{with .S.Pairs}}<table role="presentation" cellpadding="2" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;font-size:13px;margin-top:4px;">
{{range .}}<tr><td align="right" valign="top" style="white-space:nowrap;padding-right:8px;width:1%;">{{if $.S.PairsApprox}}~{{end}}{{thousands .Count}}</td><td valign="top">{{.Src}} &rarr; {{.Dst}}{{with ports .}} <span style="color:#555555;">{{.}}</span>{{end}}</td></tr>
{{end}}</table>
{{end}}{{with .MorePairs}}<div style="font-size:12px;color:#555555;">{{.}}</div>{{end}}
{{range .S.Context}}<div style="font-size:12px;"><span style="color:#555555;">{{.Field}}:</span> <code>{{.Value}}</code> ({{if .Approx}}~{{end}}{{thousands .Count}})</div>
{{end}}</div>
{{end}}

{{define "others"}}<h3 style="font-size:15px;margin:16px 0 6px 0;">Other signatures ({{.}}), by name and count</h3>
{{end}}
{{define "rest"}}<p style="margin:6px 0;font-weight:bold;">{{.}}</p>
{{end}}

{{define "foot"}}<p style="margin:16px 0 0 0;font-size:12px;color:#666666;">suricron alert-digest on {{.D.Host}}, batch {{.D.Batch}}</p>
</div></body></html>
{{end}}`

// htmlTmpl is parsed once: the templates are constant, and parsing on
// every run cost as much as rendering (issue 15).
var htmlTmpl = template.Must(template.New("digest").Funcs(template.FuncMap{
	"sevColor": sevColor, "sevText": sevText, "sevLabel": sevLabel, "thousands": thousands,
	"sigID": sigID, "ports": portsString,
}).Parse(htmlTemplates))

// sevColor is a fixed palette, never data, so it may go into style.
func sevColor(s int) template.CSS {
	switch s {
	case 1:
		return "#c0392b"
	case 2:
		return "#e67e22"
	case 3:
		return "#f4d03f"
	}
	return "#bbbbbb"
}

func sevText(s int) template.CSS {
	if s == 1 || s == 2 {
		return "#ffffff"
	}
	return "#222222"
}

type htmlDoc struct {
	*Document
	SevCounts string
}

func (d *Document) htmlBody() (string, error) {
	var b strings.Builder
	base := map[string]any{
		"D": htmlDoc{d, d.sevCounts()}, "Subject": d.subject(), "Span": d.span(),
		"K":  template.CSS("color:#555555;white-space:nowrap;width:1%;padding-right:12px;vertical-align:top;"),
		"H3": template.CSS("font-size:15px;margin:16px 0 6px 0;"),
	}
	if err := htmlTmpl.ExecuteTemplate(&b, "head", base); err != nil {
		return "", fmt.Errorf("html body: %w", err)
	}
	// Sections while they fit; the rest join the "others" rows.
	var rows []SigCount
	for i, s := range d.Sections {
		if b.Len() > htmlBudget*3/4 {
			rows = append(rows, s.SigCount)
			continue
		}
		data := map[string]any{
			"N": i + 1, "S": s,
			"Sources": distinct(s.Sources, s.SourcesCapped) + pick(s.Sources == 1 && !s.SourcesCapped, " source", " sources"),
			"Dests":   distinct(s.Destinations, s.DestinationsCapped) + pick(s.Destinations == 1 && !s.DestinationsCapped, " destination", " destinations"),
			"First":   s.FirstSeen.Format(timeLayout), "Last": s.LastSeen.Format(timeLayout),
			"Actions": actionsString(s.Actions), "MorePairs": morePairs(&s),
		}
		if err := htmlTmpl.ExecuteTemplate(&b, "section", data); err != nil {
			return "", fmt.Errorf("html section: %w", err)
		}
	}
	if len(rows) > 0 || len(d.Others) > 0 {
		rows = append(rows, d.Others...)
		if err := d.htmlOthers(&b, rows); err != nil {
			return "", err
		}
	}
	if err := htmlTmpl.ExecuteTemplate(&b, "foot", base); err != nil {
		return "", fmt.Errorf("html body: %w", err)
	}
	return b.String(), nil
}

func morePairs(s *Section) string {
	if s.MorePairs == 0 {
		return ""
	}
	return fmt.Sprintf("and %s more %s", thousands(s.MorePairs), pick(s.MorePairs == 1, "pair", "pairs"))
}

// htmlOthers lists rows by name and count while the part stays under the
// budget, then says how many more the text part lists.
func (d *Document) htmlOthers(b *strings.Builder, rows []SigCount) error {
	if err := htmlTmpl.ExecuteTemplate(b, "others", len(rows)); err != nil {
		return fmt.Errorf("html others: %w", err)
	}
	if err := htmlTmpl.ExecuteTemplate(b, "open", nil); err != nil {
		return fmt.Errorf("html others: %w", err)
	}
	var row strings.Builder
	for i, r := range rows {
		row.Reset()
		if err := htmlTmpl.ExecuteTemplate(&row, "row", r); err != nil {
			return fmt.Errorf("html others: %w", err)
		}
		if b.Len()+row.Len() > htmlBudget-1500 {
			var n int64
			for _, x := range rows[i:] {
				n += x.Count
			}
			if err := htmlTmpl.ExecuteTemplate(b, "close", nil); err != nil {
				return fmt.Errorf("html others: %w", err)
			}
			return htmlTmpl.ExecuteTemplate(b, "rest", fmt.Sprintf("and %s more (%s), listed in the text part of this mail",
				plural(int64(len(rows)-i), "signature", "signatures"), plural(n, "alert", "alerts")))
		}
		b.WriteString(row.String())
	}
	return htmlTmpl.ExecuteTemplate(b, "close", nil)
}
