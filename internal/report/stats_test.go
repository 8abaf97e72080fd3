package report

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// prefixes is a fixed HOME_NET for tests.
type prefixes []netip.Prefix

func (p prefixes) Contains(a netip.Addr) bool {
	for _, x := range p {
		if x.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

var testHome = prefixes{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")}

// rec is one synthetic stats record; negative counters are left out, so a
// record can lack a field.
type rec struct {
	at      string // 15:04:05 on 2026-11-16 (+0000)
	uptime  int64
	packets int64
	drops   int64
	noCap   bool
}

func (r rec) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"timestamp":"2026-11-16T%s.000000+0000","event_type":"stats","stats":{`, r.at)
	if r.uptime >= 0 {
		fmt.Fprintf(&b, `"uptime":%d,`, r.uptime)
	}
	if !r.noCap {
		b.WriteString(`"capture":{`)
		var f []string
		if r.packets >= 0 {
			f = append(f, fmt.Sprintf(`"kernel_packets":%d`, r.packets))
		}
		if r.drops >= 0 {
			f = append(f, fmt.Sprintf(`"kernel_drops":%d`, r.drops))
		}
		b.WriteString(strings.Join(f, ",") + `},`)
	}
	b.WriteString(`"decoder":{"pkts":1}}}`)
	return b.String()
}

func TestCaptureDeltas(t *testing.T) {
	tests := []struct {
		name                 string
		recs                 []rec
		packets, drops       int64
		restarts             int
		missing, back, jumps int64
		worstDrops           int64
		withCapture          int64
	}{
		{
			name:    "steady, first record is only the base",
			recs:    []rec{{"10:00:00", 1000, 5000, 10, false}, {"10:00:08", 1008, 6000, 15, false}, {"10:00:16", 1016, 8000, 45, false}},
			packets: 3000, drops: 35, worstDrops: 30, withCapture: 3,
		},
		{
			name: "engine started inside the data: first record counts whole",
			recs: []rec{{"10:00:00", 8, 500, 2, false}, {"10:00:08", 16, 900, 2, false}},
			// 500 + 400
			packets: 900, drops: 2, worstDrops: 2, withCapture: 2,
		},
		{
			name: "restart: add the new value, not the difference",
			recs: []rec{{"10:00:00", 1000, 5000, 10, false}, {"10:00:08", 1008, 6000, 20, false},
				{"10:05:00", 30, 700, 7, false}, {"10:05:08", 38, 1700, 9, false}},
			// 1000 + 700 + 1000; drops 10 + 7 + 2
			packets: 2700, drops: 19, restarts: 1, worstDrops: 10, withCapture: 4,
		},
		{
			name: "counter backwards without uptime reset",
			recs: []rec{{"10:00:00", 1000, 5000, 10, false}, {"10:00:08", 1008, 4000, 10, false}, {"10:00:16", 1016, 4500, 10, false}},
			// 4000 counted as a reset, then 500
			packets: 4500, back: 1, withCapture: 3,
		},
		{
			name:    "record without uptime is skipped and noted",
			recs:    []rec{{"10:00:00", 1000, 5000, 0, false}, {"10:00:08", -1, 99999, 0, false}, {"10:00:16", 1016, 5600, 0, false}},
			packets: 600, missing: 1, withCapture: 3,
		},
		{
			name:    "drops field missing is noted",
			recs:    []rec{{"10:00:00", 1000, 5000, 0, false}, {"10:00:08", 1008, 5100, -1, false}},
			packets: 100, missing: 1, withCapture: 2,
		},
		{
			name:    "wall clock set back while uptime goes on",
			recs:    []rec{{"10:00:00", 1000, 5000, 0, false}, {"09:00:08", 1008, 5100, 0, false}, {"09:00:16", 1016, 5200, 0, false}},
			packets: 200, jumps: 1, withCapture: 3,
		},
		{
			name: "hidden restart: engine up for less than the gap",
			recs: []rec{{"10:00:00", 1000, 5000, 0, false}, {"13:00:00", 3000, 800, 0, false}},
			// down from 10:00 to 12:10; counters restarted: add 800
			packets: 800, restarts: 1, withCapture: 2,
		},
		{
			name:     "pcap-file mode: no capture section",
			recs:     []rec{{"10:00:00", 5, 0, 0, true}, {"10:00:08", 13, 0, 0, true}},
			restarts: 0, withCapture: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFolder(time.UTC, testHome, DefaultLimits, nil)
			for _, r := range tc.recs {
				f.Fold([]byte(r.line()))
			}
			if f.Bad != 0 {
				t.Fatalf("%d bad lines", f.Bad)
			}
			var c Capture
			for _, d := range f.Days() {
				d2 := newDay("")
				d2.merge(d, DefaultLimits)
				c = d2.Capture
			}
			if c.KernelPackets != tc.packets || c.KernelDrops != tc.drops || c.Restarts != tc.restarts {
				t.Errorf("packets/drops/restarts = %d/%d/%d, want %d/%d/%d", c.KernelPackets, c.KernelDrops, c.Restarts, tc.packets, tc.drops, tc.restarts)
			}
			if c.MissingFields != tc.missing || c.Backwards != tc.back || c.ClockJumps != tc.jumps {
				t.Errorf("missing/backwards/jumps = %d/%d/%d, want %d/%d/%d", c.MissingFields, c.Backwards, c.ClockJumps, tc.missing, tc.back, tc.jumps)
			}
			if c.WithCapture != tc.withCapture || c.Records != int64(len(tc.recs)) {
				t.Errorf("with capture %d of %d records, want %d of %d", c.WithCapture, c.Records, tc.withCapture, len(tc.recs))
			}
			var worst int64
			if c.Worst != nil {
				worst = c.Worst.Drops
			}
			if worst != tc.worstDrops {
				t.Errorf("worst interval drops %d, want %d", worst, tc.worstDrops)
			}
		})
	}
}

// A carry chains deltas across runs exactly as one long run would.
func TestCaptureCarry(t *testing.T) {
	recs := []rec{{"10:00:00", 1000, 5000, 10, false}, {"10:00:08", 1008, 6000, 20, false},
		{"10:05:00", 30, 700, 7, false}, {"10:05:08", 38, 1700, 9, false}}
	one := NewFolder(time.UTC, testHome, DefaultLimits, nil)
	for _, r := range recs {
		one.Fold([]byte(r.line()))
	}
	a := NewFolder(time.UTC, testHome, DefaultLimits, nil)
	for _, r := range recs[:2] {
		a.Fold([]byte(r.line()))
	}
	b := NewFolder(time.UTC, testHome, DefaultLimits, a.Carry())
	for _, r := range recs[2:] {
		b.Fold([]byte(r.line()))
	}
	whole := one.Days()["2026-11-16"].Capture
	split := a.Days()["2026-11-16"]
	split.merge(b.Days()["2026-11-16"], DefaultLimits)
	if whole.KernelPackets != split.Capture.KernelPackets || whole.KernelDrops != split.Capture.KernelDrops || whole.Restarts != split.Capture.Restarts {
		t.Errorf("split runs %+v, one run %+v", split.Capture, whole)
	}
}
