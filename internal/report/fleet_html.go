package report

import "html/template"

// The per-sensor table of a fleet report in HTML (the mail's HTML part and
// --format html), the counterpart of renderSensors in the text. It is its
// own template so the local report's template only gains one call; a
// local report has no sensors and renders nothing here. Sensor names come
// from the store, so they go through the same cleaning as eve text.
var _ = template.Must(htmlTmpl.New("sensors").Parse(`{{if .R.Sensors}}
<h2 style="font-size:16px">5. Sensors</h2>
<table style="border-collapse:collapse"><tr>{{template "th" "Sensor"}}{{template "th" "Alerts"}}{{template "th" "High"}}{{template "th" "Drop %"}}{{template "th" "Restarts"}}{{template "th" "Last event"}}{{template "th" "Status"}}</tr>
{{range .R.Sensors}}<tr><td style="padding:2px 8px">{{clean .Sensor}}</td><td style="padding:2px 8px;text-align:right">{{num .Alerts}}</td><td style="padding:2px 8px;text-align:right">{{num .High}}</td><td style="padding:2px 8px;text-align:right">{{pct .DropRatio}}</td><td style="padding:2px 8px;text-align:right">{{.Restarts}}</td><td style="padding:2px 8px">{{stamp .LastEvent $.Loc}}</td><td style="padding:2px 8px">{{if .Silent}}<b style="color:#b00">SILENT</b>{{end}}</td></tr>
{{end}}</table>
{{end}}`))
