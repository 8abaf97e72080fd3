package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

func mustWrite(t *testing.T, cfg Config) ([]byte, Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := Write(&buf, cfg)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if int64(buf.Len()) != sum.Bytes {
		t.Fatalf("Summary.Bytes = %d, wrote %d", sum.Bytes, buf.Len())
	}
	return buf.Bytes(), sum
}

func small(seed uint64) Config {
	return Config{Seed: seed, Duration: 12 * time.Minute, EventsPerSecond: 30, RestartCount: 2}
}

func TestDeterminism(t *testing.T) {
	tests := []struct {
		name     string
		a, b     Config
		wantSame bool
	}{
		{"same seed", small(1), small(1), true},
		{"same seed hostile and bad lines", withDeco(small(3)), withDeco(small(3)), true},
		{"different seed", small(1), small(2), false},
		{"different start", small(1), func() Config { c := small(1); c.Start = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC); return c }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := mustWrite(t, tt.a)
			b, _ := mustWrite(t, tt.b)
			if same := bytes.Equal(a, b); same != tt.wantSame {
				t.Errorf("outputs equal = %v, want %v (%d vs %d bytes)", same, tt.wantSame, len(a), len(b))
			}
		})
	}
}

func withDeco(c Config) Config {
	c.Hostile, c.BadLineRate, c.Partial = true, 0.01, true
	return c
}

// reparse computes, from the bytes alone, everything Summary claims.
func reparse(t *testing.T, out []byte) (Summary, map[string]bool) {
	t.Helper()
	got := newSummary()
	seen := map[string]bool{} // features observed
	var prevUptime, prevPk, prevDr, prevAl int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		got.Lines++
		got.Bytes += int64(len(line)) + 1
		if !json.Valid(line) {
			got.BadLines++
			continue
		}
		var ev struct {
			Timestamp string      `json:"timestamp"`
			FlowID    json.Number `json:"flow_id"`
			EventType string      `json:"event_type"`
			SrcIP     string      `json:"src_ip"`
			Proto     string      `json:"proto"`
			Alert     *struct {
				SID      int    `json:"signature_id"`
				Rev      int    `json:"rev"`
				Severity int    `json:"severity"`
				Action   string `json:"action"`
				Sig      string `json:"signature"`
				Category string `json:"category"`
			} `json:"alert"`
			Stats *struct {
				Uptime  int64 `json:"uptime"`
				Capture struct {
					Packets int64 `json:"kernel_packets"`
					Drops   int64 `json:"kernel_drops"`
				} `json:"capture"`
				Decoder struct {
					Pkts int64 `json:"pkts"`
				} `json:"decoder"`
				Detect struct {
					Alert int64 `json:"alert"`
				} `json:"detect"`
			} `json:"stats"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("line %d: %v", got.Lines, err)
		}
		ts, err := time.Parse("2006-01-02T15:04:05.999999-0700", ev.Timestamp)
		if err != nil {
			t.Fatalf("line %d: timestamp: %v", got.Lines, err)
		}
		if len(ev.Timestamp) != len("2006-01-02T15:04:05.000000+0000") {
			t.Fatalf("line %d: timestamp %q lacks microseconds or offset", got.Lines, ev.Timestamp)
		}
		if got.First.IsZero() {
			got.First = ts
		}
		if ts.After(got.Last) {
			got.Last = ts
		}
		got.Events[ev.EventType]++
		prefix := `{"timestamp":"` + ev.Timestamp + `","flow_id":` + string(ev.FlowID) + `,"in_iface":"eth0","event_type":"` + ev.EventType + `","src_ip":"`
		if ev.EventType == "stats" {
			prefix = `{"timestamp":"` + ev.Timestamp + `","event_type":"stats","stats":{"uptime":`
		}
		if !bytes.HasPrefix(line, []byte(prefix)) {
			t.Fatalf("line %d: key order differs from Suricata's: %.120s", got.Lines, line)
		}
		if ev.EventType != "stats" {
			id, err := strconv.ParseUint(string(ev.FlowID), 10, 64)
			if err != nil || id == 0 {
				t.Fatalf("line %d: flow_id %q", got.Lines, ev.FlowID)
			}
			if id >= 1<<53 {
				got.WideFlowIDs++
			}
			a, err := netip.ParseAddr(ev.SrcIP)
			if err != nil {
				t.Fatalf("line %d: src_ip %q: %v", got.Lines, ev.SrcIP, err)
			}
			if a.Is6() {
				got.IPv6Events++
				seen[map[bool]string{true: "v6 compressed", false: "v6 expanded"}[a.String() == ev.SrcIP]] = true
			}
		}
		switch ev.EventType {
		case "alert":
			got.Alerts++
			got.AlertsBySID[ev.Alert.SID]++
			got.AlertsBySeverity[ev.Alert.Severity]++
			if ev.Alert.Action == "blocked" {
				got.AlertsBlocked++
			}
			if ev.Alert.Sig == "" || ev.Alert.Category == "" || ev.Alert.Rev == 0 {
				t.Fatalf("line %d: incomplete alert", got.Lines)
			}
			if strings.ContainsAny(ev.Alert.Sig, "<\x1b\r") {
				seen["hostile signature"] = true
			}
		case "flow":
			got.Flows++
			got.FlowsByProto[ev.Proto]++
		case "stats":
			s := ev.Stats
			got.StatsRecords++
			restart := s.Uptime < prevUptime
			if restart {
				got.Restarts++
			}
			add := func(v, prev int64) int64 {
				if restart || v < prev {
					return v
				}
				return v - prev
			}
			got.KernelPackets += add(s.Capture.Packets, prevPk)
			got.KernelDrops += add(s.Capture.Drops, prevDr)
			got.DetectAlerts += add(s.Detect.Alert, prevAl)
			prevUptime, prevPk, prevDr, prevAl = s.Uptime, s.Capture.Packets, s.Capture.Drops, s.Detect.Alert
			if s.Decoder.Pkts != s.Capture.Packets-s.Capture.Drops {
				t.Fatalf("line %d: decoder.pkts %d != kernel_packets %d - kernel_drops %d", got.Lines, s.Decoder.Pkts, s.Capture.Packets, s.Capture.Drops)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n := len(out); n > 0 && out[n-1] != '\n' {
		// bufio.Scanner returned the torn tail as a line; it is not one.
		got.Partial = true
		got.Bytes-- // counted a newline that is not there
		got.Lines--
		got.BadLines--
	}
	return got, seen
}

func TestSummaryMatchesOutput(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // features that must be present
	}{
		{"default mix", small(11), []string{"v6 compressed", "v6 expanded"}},
		{"hostile bad lines partial", withDeco(small(12)), []string{"hostile signature"}},
		{"expanded only, explicit restarts", Config{Seed: 13, Duration: 20 * time.Minute, EventsPerSecond: 20, IPv6Format: "expanded",
			Restarts: []time.Duration{5 * time.Minute, 9 * time.Minute, 15 * time.Minute}}, []string{"v6 expanded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, sum := mustWrite(t, tt.cfg)
			got, seen := reparse(t, out)
			if diff := cmp.Diff(sum, got); diff != "" {
				t.Errorf("Summary differs from re-parse (-summary +reparse):\n%s", diff)
			}
			for _, f := range tt.want {
				if !seen[f] {
					t.Errorf("output lacks %s", f)
				}
			}
			cfg := tt.cfg.Defaults()
			if got.Restarts != len(cfg.Restarts) {
				t.Errorf("restarts = %d, want %d", got.Restarts, len(cfg.Restarts))
			}
			if got.KernelDrops == 0 || got.WideFlowIDs == 0 || got.Events["drop"] == 0 || got.Events["anomaly"] == 0 || got.IPv6Events == 0 {
				t.Errorf("missing variety: drops %d, wide ids %d, events %v", got.KernelDrops, got.WideFlowIDs, got.Events)
			}
			for _, sev := range []int{1, 2, 3} {
				if got.AlertsBySeverity[sev] == 0 {
					t.Errorf("no severity %d alerts", sev)
				}
			}
			// detect.alert can only lag the alerts logged (those after the last
			// stats record of each run are not counted yet).
			if got.DetectAlerts > got.Alerts || got.DetectAlerts < got.Alerts*8/10 {
				t.Errorf("detect.alert deltas %d vs %d alerts", got.DetectAlerts, got.Alerts)
			}
		})
	}
}

// Bad lines and the torn tail are drawn from their own random stream, so
// removing them must give back exactly the clean output.
func TestBadLinesOnlyAdd(t *testing.T) {
	clean, _ := mustWrite(t, small(5))
	cfg := small(5)
	cfg.BadLineRate, cfg.Partial = 0.02, true
	dirty, sum := mustWrite(t, cfg)
	if sum.BadLines == 0 || !sum.Partial {
		t.Fatalf("BadLines = %d, Partial = %v", sum.BadLines, sum.Partial)
	}
	end := bytes.LastIndexByte(dirty, '\n') + 1
	if end == len(dirty) {
		t.Fatal("no torn last line")
	}
	var kept []byte
	var bad int64
	for _, l := range bytes.SplitAfter(dirty[:end], []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if !json.Valid(bytes.TrimSuffix(l, []byte("\n"))) {
			bad++
			continue
		}
		kept = append(kept, l...)
	}
	if bad != sum.BadLines {
		t.Errorf("found %d invalid lines, Summary says %d", bad, sum.BadLines)
	}
	if !bytes.Equal(kept, clean) {
		t.Errorf("valid lines differ from the clean output (%d vs %d bytes)", len(kept), len(clean))
	}
}

func TestTotalBytes(t *testing.T) {
	tests := []struct {
		size int64
		dur  time.Duration
	}{
		{4 << 20, time.Hour},
		{30 << 20, 6 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.size, 10), func(t *testing.T) {
			n, err := Write(io.Discard, Config{Seed: 9, TotalBytes: tt.size, Duration: tt.dur})
			if err != nil {
				t.Fatal(err)
			}
			if r := float64(n.Bytes) / float64(tt.size); math.Abs(r-1) > 0.1 {
				t.Errorf("wrote %d bytes for a %d target (ratio %.3f)", n.Bytes, tt.size, r)
			}
			if span := n.Last.Sub(n.First); span < tt.dur*9/10 {
				t.Errorf("covers %v of %v", span, tt.dur)
			}
		})
	}
}

func TestFamily(t *testing.T) {
	cfg := small(21)
	cfg.Partial = true
	want, sum := mustWrite(t, cfg)
	for _, compressAll := range []bool{false, true} {
		dir := t.TempDir()
		fam := Family{Dir: dir, Rotated: 3, CompressAll: compressAll}
		fsum, err := WriteFamily(fam, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sum, fsum); diff != "" {
			t.Errorf("family summary differs:\n%s", diff)
		}
		wantNames := []string{"eve.json.3.gz", "eve.json.2.gz", "eve.json.1", "eve.json"}
		if compressAll {
			wantNames[2] = "eve.json.1.gz"
		}
		var all []byte
		var lastFirst string
		for i, p := range fam.Paths() {
			if filepath.Base(p) != wantNames[i] {
				t.Fatalf("path %d = %s, want %s", i, filepath.Base(p), wantNames[i])
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(p, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					t.Fatalf("%s: %v", p, err)
				}
			}
			if len(b) == 0 {
				t.Fatalf("%s is empty", p)
			}
			first := string(b[len(`{"timestamp":"`) : len(`{"timestamp":"`)+26])
			if first < lastFirst {
				t.Errorf("%s starts at %s, before the previous file (%s)", p, first, lastFirst)
			}
			lastFirst = first
			if i < 3 && b[len(b)-1] != '\n' {
				t.Errorf("rotated file %s ends mid-line", p)
			}
			all = append(all, b...)
		}
		if !bytes.Equal(all, want) {
			t.Errorf("family concatenated (%d bytes) differs from Write output (%d bytes)", len(all), len(want))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"restart too close to start", Config{Restarts: []time.Duration{10 * time.Second}}, false},
		{"restarts too close together", Config{Restarts: []time.Duration{10 * time.Minute, 10*time.Minute + 30*time.Second}}, false},
		{"bad ipv6 format", Config{IPv6Format: "short"}, false},
		{"no v4 home net", Config{HomeNet: []netip.Prefix{netip.MustParsePrefix("fd00::/8")}}, false},
		{"v4 only home net needs ipv6 off", Config{HomeNet: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}}, false},
		{"v4 only home net, ipv6 off", Config{HomeNet: []netip.Prefix{netip.MustParsePrefix("172.16.5.0/28")}, IPv6Rate: -1}, true},
		{"bad line rate", Config{BadLineRate: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Duration = time.Hour
			_, err := Write(io.Discard, cfg)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestHomeNetRespected(t *testing.T) {
	home := []netip.Prefix{netip.MustParsePrefix("172.16.5.0/28"), netip.MustParsePrefix("fd12:3456::/32")}
	out, _ := mustWrite(t, Config{Seed: 4, Duration: 5 * time.Minute, HomeNet: home})
	internal := 0
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var ev struct{ SrcIP, DestIP string }
		var raw map[string]any
		if err := json.Unmarshal(l, &raw); err != nil {
			t.Fatal(err)
		}
		ev.SrcIP, _ = raw["src_ip"].(string)
		ev.DestIP, _ = raw["dest_ip"].(string)
		for _, s := range []string{ev.SrcIP, ev.DestIP} {
			if s == "" {
				continue
			}
			a := netip.MustParseAddr(s)
			if a.IsPrivate() && !home[0].Contains(a) && !home[1].Contains(a) && !a.IsLinkLocalUnicast() {
				t.Fatalf("private address %s outside HOME_NET %v", s, home)
			}
			if home[0].Contains(a) || home[1].Contains(a) {
				internal++
			}
		}
	}
	if internal == 0 {
		t.Error("no internal addresses at all")
	}
}

func BenchmarkWrite(b *testing.B) {
	cfg := Config{Seed: 1, Duration: time.Hour, TotalBytes: 64 << 20}
	b.SetBytes(cfg.TotalBytes)
	for b.Loop() {
		if _, err := Write(io.Discard, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
