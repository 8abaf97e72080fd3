package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/telemetry"
)

// runMask measures mask + serialise (Encoder.Append, what telemetry-send
// and dump-data run per selected alert) beside the anchor, encoding/json
// decoding each line into a map and encoding it again. The two sides are
// interleaved (ours, anchor; then anchor, ours; …) so a load spike on this
// shared machine hits both, and each run's ratio compares neighbours.
// Rates are per CPU-second of this process (getrusage), which is what "on
// one core" means when other processes take turns on it; wall-clock rates
// are printed too. Run it with GOMAXPROCS=1.
func runMask(n, runs int, minTime time.Duration, evePath string) error {
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if err != nil {
		return err
	}
	fmt.Printf("mask+serialise, GOMAXPROCS=%d, %d interleaved runs per side, %s+ each; load average before: %s\n",
		runtime.GOMAXPROCS(0), runs, minTime, loadAvg())
	sets := []struct {
		name  string
		lines [][]byte
	}{{"synthetic alerts", synth(n)}}
	if evePath != "" {
		lines, err := realAlerts(evePath)
		if err != nil {
			return err
		}
		sets = append(sets, struct {
			name  string
			lines [][]byte
		}{"real alerts of " + evePath, lines})
	}
	enc := telemetry.Encoder{Local: local}
	ours := func(lines [][]byte) error {
		var dst []byte
		for _, l := range lines {
			var err error
			if dst, err = enc.Append(dst[:0], l); err != nil {
				return fmt.Errorf("encode: %w", err)
			}
		}
		return nil
	}
	anchor := func(lines [][]byte) error {
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				return fmt.Errorf("anchor decode: %w", err)
			}
			if _, err := json.Marshal(m); err != nil {
				return fmt.Errorf("anchor encode: %w", err)
			}
		}
		return nil
	}
	for _, set := range sets {
		var bytes int
		for _, l := range set.lines {
			bytes += len(l)
		}
		fmt.Printf("\n%s: %d lines, %d B on average\n", set.name, len(set.lines), bytes/max(len(set.lines), 1))
		var oCPU, aCPU, oWall, aWall, ratio []float64
		for r := 0; r < runs; r++ {
			var o, a rate
			var err error
			if r%2 == 0 {
				if o, err = measure(ours, set.lines, minTime); err == nil {
					a, err = measure(anchor, set.lines, minTime)
				}
			} else {
				if a, err = measure(anchor, set.lines, minTime); err == nil {
					o, err = measure(ours, set.lines, minTime)
				}
			}
			if err != nil {
				return err
			}
			oCPU, aCPU = append(oCPU, o.cpu), append(aCPU, a.cpu)
			oWall, aWall = append(oWall, o.wall), append(aWall, a.wall)
			ratio = append(ratio, o.cpu/a.cpu)
		}
		fmt.Printf("%-40s %12s %12s %12s\n", "events per CPU-second", "min", "median", "max")
		row("suricron Encoder.Append", oCPU, "%12.0f")
		row("encoding/json decode+encode (anchor)", aCPU, "%12.0f")
		row("ratio, per interleaved run", ratio, "%11.2fx")
		fmt.Printf("%-40s %12s %12s %12s\n", "events per wall-second", "", "", "")
		row("suricron Encoder.Append", oWall, "%12.0f")
		row("encoding/json decode+encode (anchor)", aWall, "%12.0f")
	}
	fmt.Printf("\nload average after: %s (%d CPUs)\n", loadAvg(), runtime.NumCPU())
	return nil
}

type rate struct{ cpu, wall float64 }

// measure runs fn over lines until minTime has passed and returns events
// per CPU-second and per wall-second.
func measure(fn func([][]byte) error, lines [][]byte, minTime time.Duration) (rate, error) {
	runtime.GC()
	c0, w0 := cpuTime(), time.Now()
	events := 0
	for time.Since(w0) < minTime || events == 0 {
		if err := fn(lines); err != nil {
			return rate{}, err
		}
		events += len(lines)
	}
	wall := time.Since(w0)
	cpu := cpuTime() - c0
	return rate{cpu: float64(events) / cpu.Seconds(), wall: float64(events) / wall.Seconds()}, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func row(label string, v []float64, format string) {
	s := slices.Clone(v)
	slices.Sort(s)
	fmt.Printf("%-40s "+format+" "+format+" "+format+"\n", label, s[0], s[len(s)/2], s[len(s)-1])
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// realAlerts reads the alerts telemetry-send would select (every alert).
func realAlerts(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sel := telemetry.Selector{All: true}
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if sel.Select(sc.Bytes()) {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no alerts", path)
	}
	return out, nil
}
