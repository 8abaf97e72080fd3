package eve_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/tools/evegen/gen"
)

// The benchmarks read one generated eve.json of SURICRON_BENCH_BYTES
// (default 1 GiB) made by tools/evegen, cached under the test's temp root
// for the duration of the run. `go test ./internal/eve -bench . -benchtime 1x`
// prints MB/s for our prefiltered alert path and for encoding/json on the
// same bytes; bench/eve/run.sh adds jq and peak RSS.
var benchFile struct {
	once sync.Once
	path string
	sum  gen.Summary
	err  error
}

func benchInput(b *testing.B) (string, gen.Summary) {
	b.Helper()
	benchFile.once.Do(func() {
		size := int64(1 << 30)
		if s := os.Getenv("SURICRON_BENCH_BYTES"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				benchFile.err = err
				return
			}
			size = n
		}
		dir := os.Getenv("SURICRON_BENCH_DIR")
		if dir == "" {
			dir = os.TempDir()
		}
		p := filepath.Join(dir, fmt.Sprintf("suricron-bench-eve-%d.json", size))
		sumPath := p + ".summary.json"
		if b, err := os.ReadFile(sumPath); err == nil {
			if json.Unmarshal(b, &benchFile.sum) == nil {
				benchFile.path = p
				return
			}
		}
		f, err := os.Create(p)
		if err != nil {
			benchFile.err = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		sum, err := gen.Write(w, gen.Config{Seed: 7, Duration: 24 * time.Hour, TotalBytes: size, StatsInterval: 30 * time.Second})
		if err == nil {
			err = w.Flush()
		}
		f.Close()
		if err != nil {
			benchFile.err = err
			return
		}
		js, _ := json.Marshal(sum)
		os.WriteFile(sumPath, js, 0o644)
		benchFile.path, benchFile.sum = p, sum
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.path, benchFile.sum
}

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkAlertsPrefiltered is the alert path: find the lines of type
// alert without framing the others (TypeScanner), decode only those with
// the decoder the commands use for alerts (ParseAlertFields; eve.Parse,
// which decodes every field, is only its fallback for unusual lines).
func BenchmarkAlertsPrefiltered(b *testing.B) {
	path, sum := benchInput(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := eve.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s := eve.NewTypeScanner(f.Reader, "alert", 0)
		var alerts int64
		var af eve.AlertFields
		for s.Next() {
			if err := eve.ParseAlertFields(s.Line(), &af); err != nil {
				continue
			}
			if af.HasAlert {
				alerts++
			}
		}
		f.Close()
		if alerts != sum.Alerts {
			b.Fatalf("alerts %d, generator wrote %d", alerts, sum.Alerts)
		}
	}
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

// BenchmarkAlertsPerLine is the path before TypeScanner: frame every line,
// gate on event_type without decoding, decode only the alerts.
func BenchmarkAlertsPerLine(b *testing.B) {
	path, sum := benchInput(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := eve.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s := eve.NewScanner(f.Reader, 0, 0)
		var alerts int64
		var af eve.AlertFields
		for s.Next() {
			et, err := eve.EventType(s.Line())
			if err != nil || !bytes.Equal(et, []byte("alert")) {
				continue
			}
			if err := eve.ParseAlertFields(s.Line(), &af); err != nil {
				continue
			}
			if af.HasAlert {
				alerts++
			}
		}
		f.Close()
		if alerts != sum.Alerts {
			b.Fatalf("alerts %d, generator wrote %d", alerts, sum.Alerts)
		}
	}
}

// BenchmarkAlertsEncodingJSON is the anchor: the standard library decoding
// every line to find the alerts.
func BenchmarkAlertsEncodingJSON(b *testing.B) {
	path, sum := benchInput(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	type rec struct {
		EventType string `json:"event_type"`
		Alert     *struct {
			SignatureID int64  `json:"signature_id"`
			Signature   string `json:"signature"`
			Severity    int    `json:"severity"`
		} `json:"alert"`
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s := eve.NewScanner(f, 0, 0)
		var alerts int64
		for s.Next() {
			var r rec
			if json.Unmarshal(s.Line(), &r) == nil && r.EventType == "alert" && r.Alert != nil {
				alerts++
			}
		}
		f.Close()
		if alerts != sum.Alerts {
			b.Fatalf("alerts %d, generator wrote %d", alerts, sum.Alerts)
		}
	}
}
