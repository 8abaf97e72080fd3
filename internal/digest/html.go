package digest

import (
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"html/template"
	"strings"
)

// The HTML part uses only what Gmail and Outlook keep: tables, inline
// style attributes on every cell (no <style> block, no classes), bgcolor
// for Outlook's Word renderer, and web-safe fonts. html/template escapes
// every value, so a signature cannot inject markup, and drops href values
// that are not http(s).
const htmlTemplate = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222;background-color:#ffffff;">
<h2 style="font-family:Arial,Helvetica,sans-serif;font-size:18px;margin:0 0 8px 0;">Suricata alert digest for {{.R.Host}}</h2>
<p style="margin:0 0 8px 0;">{{.Headline}}</p>
{{range .R.Notes}}<p style="margin:0 0 8px 0;color:#8a4b00;">Note: {{.}}</p>
{{end}}<table role="presentation" cellpadding="4" cellspacing="0" border="1" width="100%" style="border-collapse:collapse;border:1px solid #cccccc;font-family:Arial,Helvetica,sans-serif;font-size:13px;">
<tr>{{range .GroupHeader}}<th align="left" bgcolor="#eeeeee" style="{{$.TH}}">{{.}}</th>{{end}}</tr>
{{range .R.Groups}}<tr>
<td align="right" style="{{$.TD}}">{{.Count}}</td>
<td align="right" style="{{$.TD}}">{{.SID}}</td>
<td style="{{$.TD}}">{{if .Link}}<a href="{{.Link}}" style="color:#1a5fb4;">{{.Signature}}</a>{{else}}{{.Signature}}{{end}}</td>
<td style="{{$.TD}}white-space:nowrap;">{{.Src}} -&gt; {{.Dst}}</td>
<td bgcolor="{{sevColor .Severity}}" style="{{$.TD}}background-color:{{sevColor .Severity}};color:{{sevText .Severity}};white-space:nowrap;">{{.SevLabel}}</td>
<td style="{{$.TD}}">{{.Ports}}</td>
<td style="{{$.TD}}white-space:nowrap;">{{.First}}</td>
<td style="{{$.TD}}white-space:nowrap;">{{.Last}}</td>
<td style="{{$.TD}}">{{.Category}}</td>
</tr>
{{end}}</table>
{{with .MoreGroups}}<p style="margin:8px 0 0 0;font-weight:bold;">{{.}} (see the totals per signature below)</p>
{{end}}<h3 style="font-family:Arial,Helvetica,sans-serif;font-size:15px;margin:16px 0 8px 0;">Totals per signature</h3>
<table role="presentation" cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse;border:1px solid #cccccc;font-family:Arial,Helvetica,sans-serif;font-size:13px;">
<tr>{{range .SigHeader}}<th align="left" bgcolor="#eeeeee" style="{{$.TH}}">{{.}}</th>{{end}}</tr>
{{range .R.Sigs}}<tr>
<td align="right" style="{{$.TD}}">{{.Count}}</td>
<td align="right" style="{{$.TD}}">{{.SID}}</td>
<td style="{{$.TD}}">{{printable .Signature}}</td>
<td bgcolor="{{sevColor .Severity}}" style="{{$.TD}}background-color:{{sevColor .Severity}};color:{{sevText .Severity}};white-space:nowrap;">{{sevLabel .Severity}}</td>
<td align="right" style="{{$.TD}}">{{.Groups}}</td>
</tr>
{{end}}</table>
{{with .MoreSigs}}<p style="margin:8px 0 0 0;font-weight:bold;">{{.}}</p>
{{end}}<p style="margin:16px 0 0 0;font-size:12px;color:#666666;">suricron alert-digest on {{.R.Host}}, batch {{.R.Batch}}</p>
</body></html>
`

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
	return "#dddddd"
}

func sevText(s int) template.CSS {
	if s == 1 || s == 2 {
		return "#ffffff"
	}
	return "#222222"
}

func (r *report) htmlBody() (string, error) {
	t, err := template.New("digest").Funcs(template.FuncMap{
		"sevColor": sevColor, "sevText": sevText, "sevLabel": sevLabel, "printable": printable.String,
	}).Parse(htmlTemplate)
	if err != nil {
		return "", fmt.Errorf("html template: %w", err)
	}
	data := map[string]any{
		"R":           r,
		"Subject":     r.subject(),
		"Headline":    r.headline(),
		"MoreGroups":  r.moreGroupsLine(),
		"MoreSigs":    r.moreSigsLine(),
		"GroupHeader": []string{"Count", "SID", "Signature", "Source -> Destination", "Severity", "Dest ports", "First seen", "Last seen", "Category"},
		"SigHeader":   []string{"Alerts", "SID", "Signature", "Severity", "Groups"},
		"TH":          template.CSS("border:1px solid #cccccc;padding:4px 8px;text-align:left;"),
		"TD":          template.CSS("border:1px solid #cccccc;padding:4px 8px;vertical-align:top;"),
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("html body: %w", err)
	}
	return b.String(), nil
}
