package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/clickhousetest"
	"github.com/suricron/suricron/internal/sharedtest"
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
	UnusualPorts []portJSON `json:"unusual_ports"`
	Hosts        []hostJSON `json:"hosts"`
	TopTalkers   []hostJSON `json:"top_talkers"`
	NewHosts     []string   `json:"new_hosts"`
	Sensors      []struct {
		Sensor        string `json:"sensor"`
		Alerts        int64  `json:"alerts"`
		High          int64  `json:"high"`
		KernelPackets int64  `json:"kernel_packets"`
		KernelDrops   int64  `json:"kernel_drops"`
		Restarts      int    `json:"restarts"`
		Silent        bool   `json:"silent"`
	} `json:"sensors"`
}

type portJSON struct {
	Port      int       `json:"port"`
	Proto     string    `json:"proto"`
	Dir       string    `json:"direction"`
	Flows     int64     `json:"flows"`
	Bytes     int64     `json:"bytes"`
	Alerts    int64     `json:"alerts"`
	Hosts     []string  `json:"hosts"`
	HostsMore int64     `json:"hosts_more"`
	Peers     []string  `json:"peers"`
	PeersMore int64     `json:"peers_more"`
	FirstSeen time.Time `json:"first_seen"`
}

type hostJSON struct {
	IP       string   `json:"ip"`
	Flows    int64    `json:"flows"`
	Bytes    int64    `json:"bytes"`
	Services []string `json:"services"`
	New      bool     `json:"new"`
}

// sameMembers: a port row's listed hosts or peers equal the local
// report's; past the cap of 8 both list 8 and count more, but which 8
// differs (the fleet keeps the first by time, the local report the first in
// file order), so only that is compared.
func sameMembers(fleet, local []string, fleetMore, localMore int64) bool {
	if localMore > 0 || fleetMore > 0 {
		return len(fleet) == len(local) && (fleetMore > 0) == (localMore > 0)
	}
	return slices.Equal(fleet, local)
}

// equalFlowSections compares sections 2 and 4 of a fleet report with the
// local report on the same data.
func equalFlowSections(t *testing.T, what string, fleet, local fleetJSON) {
	t.Helper()
	if len(local.UnusualPorts) == 0 || len(local.Hosts) == 0 {
		t.Fatalf("%s: the local report has %d unusual ports, %d hosts: the data does not test the sections", what, len(local.UnusualPorts), len(local.Hosts))
	}
	if len(fleet.UnusualPorts) != len(local.UnusualPorts) {
		t.Errorf("%s: %d unusual ports, local %d", what, len(fleet.UnusualPorts), len(local.UnusualPorts))
	}
	for i := range min(len(fleet.UnusualPorts), len(local.UnusualPorts)) {
		f, l := fleet.UnusualPorts[i], local.UnusualPorts[i]
		if f.Port != l.Port || f.Proto != l.Proto || f.Dir != l.Dir || f.Flows != l.Flows || f.Bytes != l.Bytes || f.Alerts != l.Alerts ||
			!f.FirstSeen.Equal(l.FirstSeen) || !sameMembers(f.Hosts, l.Hosts, f.HostsMore, l.HostsMore) || !sameMembers(f.Peers, l.Peers, f.PeersMore, l.PeersMore) {
			t.Errorf("%s: unusual port %d:\nfleet %+v\nlocal %+v", what, i, f, l)
		}
	}
	for name, pair := range map[string][2][]hostJSON{"hosts": {fleet.Hosts, local.Hosts}, "top talkers": {fleet.TopTalkers, local.TopTalkers}} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: %s:\nfleet %+v\nlocal %+v", what, name, pair[0], pair[1])
		}
	}
	if !slices.Equal(fleet.NewHosts, local.NewHosts) {
		t.Errorf("%s: new hosts: fleet %v, local %v", what, fleet.NewHosts, local.NewHosts)
	}
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
	files := map[string]string{}
	for _, sensor := range []string{"s1", "s2"} {
		dir := t.TempDir()
		eve := writeEve(t, dir, sensor)
		files[sensor] = eve
		if code, stderr := run(t, bin, "--clickhouse-url", srv.URL, "--eve", eve, "--state-dir", filepath.Join(dir, "st"), "--sensor", sensor, "--start", "beginning",
			"--event-types", "alert,stats,anomaly,flow"); code != 0 {
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
		equalFlowSections(t, "--sensor "+sensor, one, l)
	}
	// The fleet's sections 2 and 4 equal the local report on both
	// sensors' files together (its capture section would mix the two
	// sensors' counters, so only these are compared).
	both := filepath.Join(t.TempDir(), "both.json")
	var data []byte
	for _, s := range []string{"s1", "s2"} {
		b, err := os.ReadFile(files[s])
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	if err := os.WriteFile(both, data, 0o644); err != nil {
		t.Fatal(err)
	}
	equalFlowSections(t, "fleet", all, weeklyReport(t, wr, "--files", both))
	// With earlier data the learned port baseline and new hosts apply: the
	// period starts within the samples (a later --since wins).
	for _, since := range []string{"2018-03-24", "2022-02-08T15:00:00Z"} {
		f := weeklyReport(t, wr, "--source", "clickhouse", "--clickhouse-url", srv.URL, "--since", since)
		l := weeklyReport(t, wr, "--files", both, "--since", since)
		if len(l.NewHosts) == 0 {
			t.Errorf("--since %s: the local report has no new hosts: the data does not test the baseline", since)
		}
		equalFlowSections(t, "fleet --since "+since, f, l)
	}
	// HOME_NET from --home-net (public ranges, an exclusion, IPv6) and from
	// a real suricata.yaml decides the same way in ClickHouse as locally.
	homeNet := "[88.99.0.0/16,!88.99.70.107,93.184.0.0/14,2606:2800::/32]"
	equalFlowSections(t, "fleet --home-net", weeklyReport(t, wr, "--source", "clickhouse", "--clickhouse-url", srv.URL, "--home-net", homeNet),
		weeklyReport(t, wr, "--files", both, "--home-net", homeNet))
	yaml := sharedtest.Path(t, "suricata-7.0.17", "etc", "suricata.yaml")
	equalFlowSections(t, "s1 --suricata-yaml", weeklyReport(t, wr, "--source", "clickhouse", "--clickhouse-url", srv.URL, "--sensor", "s1", "--suricata-yaml", yaml),
		weeklyReport(t, wr, "--files", files["s1"], "--suricata-yaml", yaml))
}
