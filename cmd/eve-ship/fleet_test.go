package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/suricron/suricron/internal/clickhousetest"
)

// fleetJSON is the part of the report JSON the comparison reads.
type fleetJSON struct {
	Alerts struct {
		Total      int64            `json:"total"`
		BySeverity map[string]int64 `json:"by_severity"`
		Signatures []struct {
			SID   int64 `json:"sid"`
			Count int64 `json:"count"`
		} `json:"signatures"`
	} `json:"alerts"`
	Capture struct {
		KernelPackets int64 `json:"kernel_packets"`
		KernelDrops   int64 `json:"kernel_drops"`
		Restarts      int   `json:"restarts"`
		Records       int64 `json:"stats_records"`
	} `json:"capture"`
	Sensors []struct {
		Sensor        string `json:"sensor"`
		Alerts        int64  `json:"alerts"`
		High          int64  `json:"high"`
		KernelPackets int64  `json:"kernel_packets"`
		KernelDrops   int64  `json:"kernel_drops"`
		Restarts      int    `json:"restarts"`
		Silent        bool   `json:"silent"`
	} `json:"sensors"`
}

func weeklyReport(t *testing.T, bin string, args ...string) fleetJSON {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--format", "json", "--since", "2014-01-01", "--until", "2027-01-01", "--state-dir", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("weekly-report %v: %v\n%s", args, err, out)
	}
	var r fleetJSON
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("weekly-report %v: %v", args, err)
	}
	return r
}

// TestFleetReportEqualsLocal ships two sensors' real samples and compares
// the fleet report from ClickHouse (per sensor, and the fleet's per-sensor
// table) with each sensor's local weekly-report on the same files.
func TestFleetReportEqualsLocal(t *testing.T) {
	bin := buildBinary(t)
	wr := filepath.Join(t.TempDir(), "weekly-report")
	if out, err := exec.Command("go", "build", "-o", wr, "github.com/suricron/suricron/cmd/weekly-report").CombinedOutput(); err != nil {
		t.Fatalf("go build weekly-report: %v\n%s", err, out)
	}
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	applySchema(t, bin, srv)
	local := map[string]fleetJSON{}
	for _, sensor := range []string{"s1", "s2"} {
		dir := t.TempDir()
		eve := writeEve(t, dir, sensor)
		if code, stderr := run(t, bin, "--clickhouse-url", srv.URL, "--eve", eve, "--state-dir", filepath.Join(dir, "st"), "--sensor", sensor, "--start", "beginning"); code != 0 {
			t.Fatalf("%s: exit %d: %s", sensor, code, stderr)
		}
		local[sensor] = weeklyReport(t, wr, "--files", eve)
	}
	all := weeklyReport(t, wr, "--source", "clickhouse", "--clickhouse-url", srv.URL)
	if len(all.Sensors) != 2 {
		t.Fatalf("fleet report lists %d sensors, want 2", len(all.Sensors))
	}
	var total int64
	for _, row := range all.Sensors {
		l := local[row.Sensor]
		if row.Alerts != l.Alerts.Total || row.High != l.Alerts.BySeverity["1"] {
			t.Errorf("sensor %s: fleet alerts %d high %d, local %d high %d", row.Sensor, row.Alerts, row.High, l.Alerts.Total, l.Alerts.BySeverity["1"])
		}
		if row.KernelPackets != l.Capture.KernelPackets || row.KernelDrops != l.Capture.KernelDrops || row.Restarts != l.Capture.Restarts {
			t.Errorf("sensor %s: fleet capture %d/%d/%d restarts, local %d/%d/%d", row.Sensor, row.KernelPackets, row.KernelDrops, row.Restarts,
				l.Capture.KernelPackets, l.Capture.KernelDrops, l.Capture.Restarts)
		}
		if !row.Silent { // the samples are years old
			t.Errorf("sensor %s not flagged silent", row.Sensor)
		}
		total += l.Alerts.Total
	}
	if all.Alerts.Total != total {
		t.Errorf("fleet total %d, sum of local totals %d", all.Alerts.Total, total)
	}
	for _, sensor := range []string{"s1", "s2"} {
		one := weeklyReport(t, wr, "--source", "clickhouse", "--clickhouse-url", srv.URL, "--sensor", sensor)
		l := local[sensor]
		if one.Alerts.Total != l.Alerts.Total || len(one.Alerts.Signatures) != len(l.Alerts.Signatures) {
			t.Fatalf("--sensor %s: %d alerts, %d signatures; local %d, %d", sensor, one.Alerts.Total, len(one.Alerts.Signatures), l.Alerts.Total, len(l.Alerts.Signatures))
		}
		for i, s := range one.Alerts.Signatures {
			if s != l.Alerts.Signatures[i] {
				t.Errorf("--sensor %s signature %d: fleet %+v, local %+v", sensor, i, s, l.Alerts.Signatures[i])
			}
		}
		if one.Capture != l.Capture {
			t.Errorf("--sensor %s capture: fleet %+v, local %+v", sensor, one.Capture, l.Capture)
		}
	}
}
