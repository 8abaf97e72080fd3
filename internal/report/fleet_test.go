package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

// fleetSource answers like internal/fleet would: one day of alerts and two
// sensors, one gone silent, one with a hostile name.
type fleetSource struct{}

func (fleetSource) Days(_ context.Context, p Period, loc *time.Location, _ int) (*SourceData, error) {
	d := NewDay(p.Start.In(loc).Format(time.DateOnly))
	d.Events, d.First, d.Last = 3, p.Start, p.Start.Add(time.Hour)
	d.Alerts.Total = 3
	d.Alerts.BySeverity["1"], d.Alerts.BySeverity["2"] = 1, 2
	return &SourceData{
		Cur: map[string]*Day{d.Date: d}, Prev: map[string]*Day{}, Base: map[string]*Day{},
		Sensors: []SensorRow{
			{Sensor: "dmz-1", Alerts: 2, High: 1, KernelPackets: 1000, KernelDrops: 20, DropRatio: 0.02, Restarts: 1, LastEvent: p.Start.Add(time.Hour)},
			{Sensor: "<b>lab</b>\x1b[31m", Alerts: 1, LastEvent: p.Start.Add(-48 * time.Hour), Silent: true},
		},
	}, nil
}

func runFleet(t *testing.T, cfg Config, deps Deps) []byte {
	t.Helper()
	var out bytes.Buffer
	cfg.Source, cfg.Week, cfg.Location = fleetSource{}, "2026-W46", time.UTC
	deps.Now, deps.Hostname, deps.Stdout = func() time.Time { return fixedNow }, "fleet", &out
	if err := Run(context.Background(), cfg, deps); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.Bytes()
}

// TestFleetSensorsHTML: the per-sensor table is in the HTML report (and
// so in the mail), with the silent sensor flagged and the hostile name
// escaped; the local report's HTML has no such section (week.html).
func TestFleetSensorsHTML(t *testing.T) {
	got := runFleet(t, Config{Format: "html"}, Deps{})
	html := string(got)
	// The chart images are base64 PNGs: the golden holds the page without them.
	for _, want := range []string{"5. Sensors", "dmz-1", "2.000 %", "SILENT", "&lt;b&gt;lab&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "<b>lab") || strings.Contains(html, "\x1b") {
		t.Error("sensor name not escaped")
	}
	golden(t, "fleet.html", []byte(stripDataURLs(html)))
}

// stripDataURLs replaces the charts' data: URLs, whose PNG bytes depend on
// the image encoder, by a marker.
func stripDataURLs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "data:image/png;base64,")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + "data:…")
		s = s[i:]
		j := strings.IndexByte(s, '"')
		if j < 0 {
			return b.String()
		}
		s = s[j:]
	}
}

// TestFleetMailHasSensors: the mailed fleet report carries the sensor
// table in both its HTML and its text part.
func TestFleetMailHasSensors(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSender(mail.Config{SMTP: "smtp://" + srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	runFleet(t, Config{Mail: true, To: []string{"soc@example.org"}, From: "suricron@example.org"}, Deps{Sender: sender})
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m, err := mailtest.ParseMessage(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	for part, body := range map[string]string{"HTML": m.HTML, "text": m.Text} {
		for _, want := range []string{"5. Sensors", "dmz-1", "SILENT"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q", part, want)
			}
		}
	}
}
