package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/tools/evegen/gen"
)

// randomEve is a generated log (alerts, flows, stats with restarts and
// drops, hostile strings, bad lines) salted with the anomalies the fold
// must survive: blank lines, CRLF endings, junk, unknown event types,
// stats counters going backwards, records without uptime, out-of-order
// timestamps, a signature whose text changes, and — sometimes — a last
// line without its newline.
func randomEve(t testing.TB, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	start := time.Date(2026, 11, 8+rng.IntN(6), rng.IntN(24), 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	_, err := gen.Write(&buf, gen.Config{
		Seed: seed, Start: start, Duration: time.Duration(12+rng.IntN(48)) * time.Hour,
		EventsPerSecond: 0.01 + rng.Float64()*0.03, StatsInterval: time.Duration(10+rng.IntN(30)) * time.Minute,
		RestartCount: 1 + rng.IntN(2), DropRate: 0.02, Hostile: true, BadLineRate: 0.005,
		HomeNet: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	var out strings.Builder
	day := func() string { return fmt.Sprintf("%02d", 8+rng.IntN(8)) }
	hm := func() string { return fmt.Sprintf("%02d:%02d", rng.IntN(24), rng.IntN(60)) }
	for _, l := range lines {
		if l == "" {
			continue
		}
		if rng.IntN(40) == 0 {
			l = strings.TrimSuffix(l, "\n") + "\r\n"
		}
		out.WriteString(l)
		switch rng.IntN(60) {
		case 0:
			out.WriteString("\n   \n")
		case 1:
			out.WriteString("{not json at all\n")
		case 2:
			out.WriteString(`{"timestamp":"2026-11-10T00:00:00.000000+0000","event_type":"dns","dns":{"rrname":"alert"}}` + "\n")
		case 3: // backwards counters and a record without uptime
			out.WriteString(statsLine(ts(day(), hm()), 1e6+rng.Int64N(1e6), rng.Int64N(1000), rng.Int64N(10)) + "\n")
			out.WriteString(`{"timestamp":"` + ts(day(), hm()) + `","event_type":"stats","stats":{"capture":{"kernel_packets":5}}}` + "\n")
		case 4: // same sid, another text; ports and peers to overflow the caps
			out.WriteString(alertLine(ts(day(), hm()), 9000000+rng.IntN(3), 1+rng.IntN(3), fmt.Sprintf("changed text %d", rng.IntN(5)),
				fmt.Sprintf("203.0.113.%d", rng.IntN(250)), 1024+rng.IntN(60000), fmt.Sprintf("192.168.1.%d", rng.IntN(250)), rng.IntN(30)) + "\n")
		case 5:
			out.WriteString(flowLine(ts(day(), hm()), "TCP", fmt.Sprintf("192.168.2.%d", rng.IntN(250)), 40000+rng.IntN(100),
				fmt.Sprintf("198.51.100.%d", rng.IntN(250)), rng.IntN(40), rng.Int64N(1e5), rng.Int64N(3)) + "\n")
		}
	}
	b := []byte(out.String())
	switch rng.IntN(3) {
	case 0: // the final newline missing: that line is not complete
		b = bytes.TrimSuffix(b, []byte("\n"))
	case 1: // a torn final write
		b = append(b, `{"timestamp":"2026-11-10T00:00:00.000000+0000","event_type":"flow","src_ip":"192.168.`...)
	}
	return b
}

// choppyReader returns data in reads of random length, so lines cross
// read boundaries anywhere, inside a line included.
type choppyReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *choppyReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rng.IntN(9000))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// foldCase is one way to fold a file: limits, window, line cap.
type foldCase struct {
	lim          Limits
	trim         int64
	since, until time.Time
	maxLine      int
}

func randomCase(rng *rand.Rand) foldCase {
	fc := foldCase{lim: DefaultLimits, trim: trimEvery}
	if rng.IntN(3) > 0 { // caps that bite in a small file
		fc.lim = Limits{Signatures: 1 + rng.IntN(5), Addresses: 1 + rng.IntN(4), Ports: 1 + rng.IntN(6),
			Hosts: 1 + rng.IntN(5), Services: 1 + rng.IntN(3), Members: 1 + rng.IntN(3)}
		fc.trim = int64(1 + rng.IntN(300))
	}
	if rng.IntN(2) == 0 {
		fc.since = time.Date(2026, 11, 9+rng.IntN(3), rng.IntN(24), 0, 0, 0, time.UTC)
		fc.until = fc.since.Add(time.Duration(6+rng.IntN(72)) * time.Hour)
	}
	if rng.IntN(4) == 0 {
		fc.maxLine = 500 + rng.IntN(3000) // stats records become oversize lines
	}
	return fc
}

// foldResult folds data with workers decoders (1: the serial Fold) and
// returns everything the Folder holds, as JSON.
func foldResult(t testing.TB, data []byte, fc foldCase, workers int, rng *rand.Rand) string {
	t.Helper()
	f := NewFolder(time.UTC, testHome, fc.lim, nil)
	f.trimEvery = fc.trim
	f.SetWindow(fc.since, fc.until)
	var lf lineFolder = serialFold{f}
	if workers > 1 {
		p := newParallelFold(f, workers)
		p.maxLines = 1 + rng.IntN(60)
		p.maxBytes = 1 + rng.IntN(32<<10)
		lf = p
	}
	sc := eve.NewScanner(&choppyReader{data: data, rng: rng}, 0, fc.maxLine)
	for sc.Next() {
		lf.add(sc.Line())
	}
	lf.close()
	b, err := json.Marshal(struct {
		Days, Before map[string]*Day
		After        *Day
		Carry        *StatsPoint
		Lines, Bad   int64
		Oversize     int
	}{f.Days(), f.Before(), f.after, f.Carry(), f.Lines, f.Bad, sc.Oversize})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The parallel fold gives exactly the serial fold's aggregates, whatever the
// batch boundaries, read boundaries and number of workers.
func TestParallelFoldIdentical(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			data := randomEve(t, seed)
			rng := rand.New(rand.NewPCG(seed, 99))
			fc := randomCase(rng)
			want := foldResult(t, data, fc, 1, rng)
			if !strings.Contains(want, `"restarts":`) || !strings.Contains(want, `"sigs":`) {
				t.Fatalf("generated input lacks alerts or stats: %.300s", want)
			}
			for _, workers := range []int{2, 3, 5} {
				if got := foldResult(t, data, fc, workers, rng); got != want {
					t.Fatalf("%d workers differ from the serial fold (case %+v):\nserial   %.2000s\nparallel %.2000s", workers, fc, want, got)
				}
			}
		})
	}
}

// FuzzParallelFold: for any bytes, the parallel fold equals the serial one.
func FuzzParallelFold(f *testing.F) {
	f.Add(randomEve(f, 1)[:20000], uint64(1))
	f.Add([]byte(statsLine(ts("10", "00:00"), 10, 100, 1)+"\n"+statsLine(ts("10", "00:01"), 5, 50, 0)+"\r\n"+
		alertLine(ts("10", "00:02"), 1, 1, "x", "10.0.0.1", 1, "192.168.0.1", 80)), uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 5))
		fc := randomCase(rng)
		want := foldResult(t, data, fc, 1, rng)
		if got := foldResult(t, data, fc, 2+rng.IntN(3), rng); got != want {
			t.Fatalf("parallel fold differs:\nserial   %s\nparallel %s", want, got)
		}
	})
}

// The command's output, ad hoc (plain and gzip files) and from the state
// dir, is byte-identical with one worker and with several.
func TestParallelRunIdentical(t *testing.T) {
	dir := t.TempDir()
	older, newer := randomEve(t, 21), randomEve(t, 22)
	// Only a file's end may be torn: the older one, read first, gets its
	// newline back.
	if !bytes.HasSuffix(older, []byte("\n")) {
		older = append(older, '\n')
	}
	gz := filepath.Join(dir, "eve.json.1.gz")
	if err := os.WriteFile(gz, gzipBytes(t, older), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "eve.json")
	if err := os.WriteFile(plain, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.json")
	if err := os.WriteFile(live, append(append([]byte(nil), older...), newer...), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)
	run := func(cfg Config, workers int) string {
		t.Helper()
		var out bytes.Buffer
		cfg.Format, cfg.Location, cfg.HomeNet = "json", time.UTC, "[192.168.0.0/16,fd00::/8]"
		cfg.Limits = Limits{Signatures: 4, Addresses: 3, Ports: 5, Hosts: 4, Services: 2, Members: 2}
		err := Run(context.Background(), cfg, Deps{Now: func() time.Time { return now }, Hostname: "s", Stdout: &out, workers: workers})
		if err != nil {
			t.Fatalf("Run (%d workers): %v", workers, err)
		}
		return out.String()
	}
	adhoc := Config{Files: []string{filepath.Join(dir, "eve.json*")}, Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: now}
	want := run(adhoc, 1)
	if !strings.Contains(want, `"kernel_drops"`) {
		t.Fatalf("report without capture section: %.500s", want)
	}
	for _, w := range []int{2, 4} {
		if got := run(adhoc, w); got != want {
			t.Errorf("ad hoc, %d workers: output differs from serial\nserial   %.1500s\nparallel %.1500s", w, want, got)
		}
	}
	state := func(workers int) string {
		cfg := Config{Eve: live, StateDir: filepath.Join(t.TempDir(), "state"), Start: "beginning", Week: "2026-W46"}
		out := run(cfg, workers)
		carry, err := os.ReadFile(filepath.Join(cfg.StateDir, "weekly-report", "carry.json"))
		if err != nil {
			t.Fatal(err)
		}
		return out + string(carry)
	}
	want = state(1)
	if got := state(3); got != want {
		t.Errorf("state mode, 3 workers: output differs from serial\nserial   %.1500s\nparallel %.1500s", want, got)
	}
}

// With parallel decoding the checkpoint still consumes only complete lines:
// a collect over a file whose last line is half written, then one after the
// rest of it (and more) arrived, count every line exactly once.
func TestParallelCollectTornLine(t *testing.T) {
	dir := t.TempDir()
	live, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
	lines := manyDays(9000) // several batches
	all := strings.Join(lines, "\n") + "\n"
	cut := len(all) - len(lines[len(lines)-1])/2 // inside the last line
	if err := os.WriteFile(live, []byte(all[:cut]), 0o600); err != nil {
		t.Fatal(err)
	}
	collect := func() {
		t.Helper()
		err := Run(context.Background(), Config{Eve: live, StateDir: state, Start: "beginning", CollectOnly: true, Location: time.UTC},
			Deps{Now: func() time.Time { return fixedNow }, Hostname: "s", Stdout: io.Discard, workers: 3})
		if err != nil {
			t.Fatalf("collect: %v", err)
		}
	}
	collect()
	if got := weekTotal(t, live, state); got != int64(len(lines)-1) {
		t.Fatalf("after the torn write: %d alerts, want %d (the partial line must wait)", got, len(lines)-1)
	}
	if err := os.WriteFile(live, []byte(all), 0o600); err != nil {
		t.Fatal(err)
	}
	collect()
	if got := weekTotal(t, live, state); got != int64(len(lines)) {
		t.Fatalf("after the rest arrived: %d alerts, want %d", got, len(lines))
	}
}
