package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/suricron/suricron/tools/evegen/gen"
)

// A generated week with known restarts and drops: the report must find
// exactly the generator's true counts.
func TestGeneratedWeek(t *testing.T) {
	start := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC) // Monday of 2026-W46
	cfg := gen.Config{
		Seed: 46, Start: start, Duration: 7 * 24 * time.Hour,
		EventsPerSecond: 0.03, StatsInterval: 30 * time.Second,
		RestartCount: 3, DropRate: 0.02, Hostile: true, BadLineRate: 0.001,
		HomeNet: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")},
	}
	p := filepath.Join(t.TempDir(), "eve.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := gen.Write(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if sum.Restarts != 3 || sum.KernelDrops == 0 {
		t.Fatalf("generator summary %+v: want 3 restarts and drops", sum)
	}
	// The report covers the whole generated span (flows logged after the
	// week's end included), so every generated event is in it.
	r := jsonReport(t, Config{Files: []string{p}, Since: start, Until: start.AddDate(0, 0, 8), Location: time.UTC,
		HomeNet: "[192.168.0.0/16,10.0.0.0/8,fd00::/8]"})
	if r.Alerts.Total != sum.Alerts {
		t.Errorf("alerts %d, generator wrote %d", r.Alerts.Total, sum.Alerts)
	}
	for sev, n := range sum.AlertsBySeverity {
		if got := r.Alerts.BySeverity[strconv.Itoa(sev)]; got != n {
			t.Errorf("severity %d: %d, generator wrote %d", sev, got, n)
		}
	}
	c := r.Capture
	if c.KernelPackets != sum.KernelPackets || c.KernelDrops != sum.KernelDrops || c.Restarts != sum.Restarts || c.Records != sum.StatsRecords {
		t.Errorf("capture %d packets, %d drops, %d restarts, %d records; generator: %d, %d, %d, %d",
			c.KernelPackets, c.KernelDrops, c.Restarts, c.Records, sum.KernelPackets, sum.KernelDrops, sum.Restarts, sum.StatsRecords)
	}
	var flows int64
	for _, h := range r.Hosts {
		flows += h.Flows
	}
	if flows == 0 || len(r.Hosts) == 0 {
		t.Errorf("no internal hosts found")
	}
}

// A day's aggregate stays small however many distinct ports, hosts and
// signatures the traffic holds: 200,000 flows to random ports from random
// hosts and 5,000 distinct signatures.
func TestDayFileIsBounded(t *testing.T) {
	f := NewFolder(time.UTC, testHome, DefaultLimits, nil)
	var x uint32 = 1
	next := func() uint32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x }
	for i := range 200000 {
		r := next()
		src := fmt.Sprintf("192.168.%d.%d", r>>8&255, r&255)
		dst := fmt.Sprintf("203.0.%d.%d", r>>16&255, r>>24&255)
		f.Fold([]byte(flowLine("2026-11-10T10:00:00.000000+0000", "TCP", dst, 40000, src, int(r%65535)+1, 60, 40)))
		if i%40 == 0 {
			f.Fold([]byte(alertLine("2026-11-10T10:00:00.000000+0000", int(next()%5000), 2, "sig", dst, 1, src, 80)))
		}
	}
	if f.Bad != 0 {
		t.Fatalf("%d bad lines", f.Bad)
	}
	d := f.Days()["2026-11-10"]
	b, err := EncodeDay(d)
	if err != nil {
		t.Fatal(err)
	}
	// 26 weeks of such days must stay "a few MB".
	if len(b) > 40<<10 {
		t.Errorf("day file is %d bytes, want <= 40 KiB", len(b))
	}
	var total int64
	for _, p := range d.Ports {
		total += p.Flows
	}
	if total+d.PortsOt.Flows != 200000 {
		t.Errorf("kept %d + other %d flows, want 200000", total, d.PortsOt.Flows)
	}
	if len(d.Ports) != DefaultLimits.Ports || len(d.Hosts) != DefaultLimits.Hosts {
		t.Errorf("%d ports, %d hosts kept; limits %d, %d", len(d.Ports), len(d.Hosts), DefaultLimits.Ports, DefaultLimits.Hosts)
	}
	back, err := DecodeDay(b, "2026-11-10")
	if err != nil {
		t.Fatal(err)
	}
	if back.Alerts.Total != d.Alerts.Total || len(back.Ports) != len(d.Ports) {
		t.Errorf("round trip changed the day")
	}
	t.Logf("bounded day file: %d bytes", len(b))
}

func TestPrune(t *testing.T) {
	st := NewStore(t.TempDir())
	for _, date := range []string{"2026-01-01", "2026-05-01", "2026-06-01"} {
		if err := st.WriteDay(newDay(date)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.Prune("2026-05-01")
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	dates, _ := st.Dates()
	if fmt.Sprint(dates) != "[2026-05-01 2026-06-01]" {
		t.Errorf("left %v", dates)
	}
}

func FuzzDecodeDay(f *testing.F) {
	good := NewFolder(time.UTC, testHome, DefaultLimits, nil)
	for _, l := range fixtureWeek() {
		good.Fold([]byte(l))
	}
	for date, d := range good.Days() {
		b, err := EncodeDay(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, date)
	}
	f.Add([]byte("not gzip"), "2026-11-10")
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	w.WriteString(`{"v":1,"date":"2026-11-10","alerts":{"sigs":[null]}}`)
	w.Flush()
	f.Add(gzipBytes(f, buf.Bytes()), "2026-11-10")
	f.Add(gzipBytes(f, []byte(`{"v":1,"date":"2026-11-10","ports":[{"proto":"tcp","port":-1}]}`)), "2026-11-10")
	f.Fuzz(func(t *testing.T, b []byte, date string) {
		d, err := DecodeDay(b, date)
		if err != nil {
			return
		}
		// Whatever decodes must be usable: merged, rendered, re-encoded.
		w := newDay("")
		w.merge(d, bigLimits)
		d.finish(DefaultLimits)
		b2, err := EncodeDay(d)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := DecodeDay(b2, date); err != nil {
			t.Fatalf("re-decode of an accepted day failed: %v", err)
		}
		r := build(buildInput{period: Period{time.Unix(0, 0), time.Unix(86400*2, 0)}, loc: time.UTC, cur: map[string]*Day{date: d}})
		if err := json.NewEncoder(&bytes.Buffer{}).Encode(r); err != nil {
			t.Fatalf("report of an accepted day: %v", err)
		}
		var out bytes.Buffer
		if err := renderText(&out, r, time.UTC, plainTable); err != nil {
			t.Fatalf("render: %v", err)
		}
	})
}

func gzipBytes(tb testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
