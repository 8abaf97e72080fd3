package report

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/suricron/suricron/internal/sharedtest"
)

// plus3 is the zone of the josevnz sample's timestamps, so days match the
// dates written in the file.
var plus3 = time.FixedZone("+0300", 3*3600)

// unpackLarge decompresses eve_large.json.bz2 into dir and returns its lines.
func unpackLarge(t *testing.T) [][]byte {
	t.Helper()
	p := sharedtest.Path(t, "eve", "josevnz", "eve_large.json.bz2")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(raw, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func writeLines(t *testing.T, path string, lines [][]byte, gz bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var zw *kgzip.Writer
	if gz {
		zw = kgzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.Write(l)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func jsonReport(t *testing.T, cfg Config) *Report {
	t.Helper()
	var out bytes.Buffer
	cfg.Format = "json"
	if cfg.Location == nil {
		cfg.Location = plus3
	}
	err := Run(context.Background(), cfg, Deps{Now: func() time.Time { return time.Date(2023, 9, 20, 0, 0, 0, 0, plus3) },
		Hostname: "sensor1", Stdout: &out})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, out.Bytes())
	}
	return &r
}

// The expected figures were computed independently of this code from the
// decompressed sample (40,231 lines), with jq and awk:
//
//	jq -r 'select(.event_type=="alert") | .timestamp[0:10]+" "+(.alert.severity|tostring)' eve_large.json | sort | uniq -c
//	  21 2023-09-03 1   449 2023-09-03 2   59 2023-09-03 3
//	  22 2023-09-04 1   980 2023-09-04 2  113 2023-09-04 3
//	                    135 2023-09-05 2   15 2023-09-05 3      => 1,794; sev 1: 43, 2: 1,564, 3: 187
//
//	jq -r 'select(.event_type=="stats") | [.timestamp, .stats.uptime, .stats.capture.kernel_packets,
//	       .stats.capture.kernel_drops] | @tsv' eve_large.json > stats.tsv
//	awk -F'\t' 'BEGIN{pu=-1} {d=substr($1,1,10); if(pu>=0&&$2<pu) r++;
//	     for(i=3;i<=4;i++){v=$i; if(pu<0) dl=0; else if($2<pu||v<p[i]) dl=v; else dl=v-p[i]; s[d,i]+=dl; p[i]=v}
//	     pu=$2; n[d]++} END{...}' stats.tsv
//	  records 8,073 / 10,799 / 1,702 = 20,574; restarts 2 (09-03 06:06:53 uptime 12284->52,
//	  09-05 06:06:57 uptime 151093->51); kernel_packets 53,192 / 88,740 / 96,378 = 238,310; drops 0.
//
// The first stats record (uptime 12,097 s) is only the base: the engine ran
// before the file began. The same rule gives detect.alert a sum of 1,794,
// equal to the alert events, which cross-checks the restart handling.
func TestRealSampleEveLarge(t *testing.T) {
	lines := unpackLarge(t)
	if len(lines) != 40231 {
		t.Fatalf("sample has %d lines, want 40231", len(lines))
	}
	dir := t.TempDir()
	// Half plain, half gzip, named so that name order is not time order.
	half := len(lines) / 2
	writeLines(t, filepath.Join(dir, "a-later.json.gz"), lines[half:], true)
	writeLines(t, filepath.Join(dir, "b-earlier.json"), lines[:half], false)

	since := time.Date(2023, 9, 1, 0, 0, 0, 0, plus3)
	until := time.Date(2023, 9, 8, 0, 0, 0, 0, plus3)
	adhoc := jsonReport(t, Config{Files: []string{filepath.Join(dir, "*")}, Since: since, Until: until})
	checkLarge(t, "ad hoc", adhoc)

	// State mode: two collect runs over a growing eve.json, then a report
	// from the aggregates must give the same figures.
	state := t.TempDir()
	live := filepath.Join(dir, "live", "eve.json")
	os.MkdirAll(filepath.Dir(live), 0o700)
	writeLines(t, live, lines[:12345], false)
	var out bytes.Buffer
	base := Config{Eve: live, StateDir: state, Start: "beginning", Location: plus3}
	c1 := base
	c1.CollectOnly = true
	// The clock matters: aggregates older than --keep weeks are pruned.
	if err := Run(context.Background(), c1, Deps{Now: func() time.Time { return time.Date(2023, 9, 20, 0, 0, 0, 0, plus3) }, Hostname: "sensor1", Stdout: &out}); err != nil {
		t.Fatalf("collect 1: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("--collect-only printed %q", out.String())
	}
	writeLines(t, live, lines[12345:], false)
	c2 := base
	c2.Since, c2.Until = since, until
	collected := jsonReport(t, c2)
	checkLarge(t, "collected", collected)

	// A further run with nothing new must not count anything twice.
	again := jsonReport(t, c2)
	checkLarge(t, "collected again", again)
}

func checkLarge(t *testing.T, what string, r *Report) {
	t.Helper()
	if r.Alerts.Total != 1794 {
		t.Errorf("%s: alerts %d, want 1794", what, r.Alerts.Total)
	}
	wantSev := map[string]int64{"1": 43, "2": 1564, "3": 187}
	for k, v := range wantSev {
		if r.Alerts.BySeverity[k] != v {
			t.Errorf("%s: severity %s: %d, want %d", what, k, r.Alerts.BySeverity[k], v)
		}
	}
	perDay := map[string]int64{"2023-09-03": 529, "2023-09-04": 1115, "2023-09-05": 150, "2023-09-06": 0}
	packets := map[string]int64{"2023-09-03": 53192, "2023-09-04": 88740, "2023-09-05": 96378}
	records := map[string]int64{"2023-09-03": 8073, "2023-09-04": 10799, "2023-09-05": 1702}
	for _, d := range r.Alerts.PerDay {
		if want, ok := perDay[d.Date]; ok && d.Total != want {
			t.Errorf("%s: alerts on %s: %d, want %d", what, d.Date, d.Total, want)
		}
	}
	for _, d := range r.Capture.Days {
		if want, ok := packets[d.Date]; ok && d.Packets != want {
			t.Errorf("%s: kernel_packets on %s: %d, want %d", what, d.Date, d.Packets, want)
		}
		if want, ok := records[d.Date]; ok && d.Records != want {
			t.Errorf("%s: stats records on %s: %d, want %d", what, d.Date, d.Records, want)
		}
	}
	c := r.Capture
	if c.KernelPackets != 238310 || c.KernelDrops != 0 || c.Restarts != 2 || c.Records != 20574 || !c.HasCapture {
		t.Errorf("%s: capture %+v, want 238310 packets, 0 drops, 2 restarts, 20574 records", what, c)
	}
	if len(c.RestartTimes) != 2 || c.RestartTimes[0].In(plus3).Format("2006-01-02 15:04:05") != "2023-09-03 06:06:53" {
		t.Errorf("%s: restart times %v", what, c.RestartTimes)
	}
	if len(r.Alerts.Signatures) == 0 || r.Alerts.Signatures[0].SID != 2001219 || r.Alerts.Signatures[0].Count != 696 {
		t.Errorf("%s: top signature %+v, want 2001219 × 696", what, r.Alerts.Signatures[:min(1, len(r.Alerts.Signatures))])
	}
}
