// Command evegen writes a deterministic, realistic Suricata eve.json of any
// size (optionally as a logrotate family), and an ET-style rules tarball,
// for the demo, tests and benchmarks of suricron. See package gen.
//
//	evegen -seed 7 -duration 24h -size 1GB -out /tmp/eve.json -rotate 4
//	evegen -duration 10m -eps 50 -hostile -bad-lines 0.001 -partial > eve.json
//	evegen -rules-tarball /tmp/emerging.rules.tar.gz
package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/suricron/suricron/tools/evegen/gen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "evegen:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		seed        = fs.Uint64("seed", 1, "random seed; the same flags and seed give the same bytes")
		start       = fs.String("start", "2025-01-06T00:00:00Z", "start time (RFC 3339; its offset is used in timestamps), or now-DURATION such as now-168h")
		duration    = fs.Duration("duration", time.Hour, "period covered")
		size        = fs.String("size", "", "target output size such as 200MB or 1GB (binary units); overrides -eps")
		eps         = fs.Float64("eps", 20, "mean events per second (without -size)")
		statsEvery  = fs.Duration("stats-interval", 8*time.Second, "interval between stats records")
		restarts    = fs.Int("restarts", -1, "number of Suricata restarts spread over the period (default: 1 if the period is 10m or longer)")
		restartAt   = fs.String("restart-at", "", "comma-separated restart offsets from -start (e.g. 2h,30h); overrides -restarts")
		downtime    = fs.Duration("restart-downtime", 45*time.Second, "how long Suricata is down per restart")
		dropRate    = fs.Float64("drop-rate", 0.005, "mean kernel_drops/kernel_packets; negative for none")
		alertRate   = fs.Float64("alert-rate", 0.08, "fraction of sessions that raise an alert")
		blocked     = fs.Float64("blocked-rate", 0.05, "fraction of alerts blocked (with a drop event); negative for none")
		ipv6Rate    = fs.Float64("ipv6-rate", 0.15, "fraction of sessions over IPv6; negative for none")
		ipv6Format  = fs.String("ipv6-format", "mixed", "expanded, compressed or mixed")
		homeNet     = fs.String("home-net", "192.168.0.0/16,10.0.0.0/8,fd00::/8", "internal networks")
		iface       = fs.String("iface", "eth0", "in_iface value")
		out         = fs.String("out", "-", "output file, - for stdout")
		rotate      = fs.Int("rotate", 0, "write a logrotate family OUT, OUT.1, OUT.2.gz … OUT.N.gz covering the period")
		gz          = fs.Bool("gzip", false, "gzip the output (with -rotate: also OUT.1)")
		rules       = fs.String("rules-tarball", "", "also write an ET-style rules tarball of the embedded signatures (and FILE.md5)")
		hostile     = fs.Bool("hostile", false, "add valid but hostile strings (HTML, quotes, CR/LF, escapes, unicode)")
		badLines    = fs.Float64("bad-lines", 0, "fraction of lines followed by an invalid line")
		partial     = fs.Bool("partial", false, "end with a torn last line (no newline)")
		summaryPath = fs.String("summary", "", "write the exact Summary as JSON to this file")
		quiet       = fs.Bool("q", false, "no summary line on stderr")
	)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}

	if *rules != "" {
		if err := writeTarball(*rules); err != nil {
			return err
		}
		// Only a tarball was asked for: do not also spew eve.json to stdout.
		if !flagSet(fs, "out") && !flagSet(fs, "size") && !flagSet(fs, "duration") && !flagSet(fs, "rotate") {
			return nil
		}
	}

	if *restarts < 0 {
		// One restart shows readers the counter reset, but a short period
		// has no room for it (stats on both sides are needed).
		*restarts = 0
		if *duration >= 10*time.Minute {
			*restarts = 1
		}
	}
	cfg := gen.Config{
		Seed: *seed, Duration: *duration, EventsPerSecond: *eps, StatsInterval: *statsEvery,
		RestartCount: *restarts, RestartDowntime: *downtime, DropRate: *dropRate, AlertRate: *alertRate,
		BlockedRate: *blocked, IPv6Rate: *ipv6Rate, IPv6Format: *ipv6Format, Interface: *iface,
		Hostile: *hostile, BadLineRate: *badLines, Partial: *partial,
	}
	var err error
	if cfg.Start, err = parseStart(*start, time.Now()); err != nil {
		return fmt.Errorf("%w: -start: %v", errUsage, err)
	}
	if *size != "" {
		if cfg.TotalBytes, err = parseSize(*size); err != nil {
			return fmt.Errorf("%w: -size: %v", errUsage, err)
		}
	}
	if *restartAt != "" {
		for _, f := range strings.Split(*restartAt, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("%w: -restart-at: %v", errUsage, err)
			}
			cfg.Restarts = append(cfg.Restarts, d)
		}
	}
	for _, p := range strings.Split(*homeNet, ",") {
		pfx, err := netip.ParsePrefix(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%w: -home-net: %v", errUsage, err)
		}
		cfg.HomeNet = append(cfg.HomeNet, pfx)
	}

	began := time.Now()
	var sum gen.Summary
	switch {
	case *rotate > 0:
		if *out == "-" || *out == "" {
			return fmt.Errorf("%w: -rotate needs -out FILE", errUsage)
		}
		fam := gen.Family{Dir: filepath.Dir(*out), Name: filepath.Base(*out), Rotated: *rotate, CompressAll: *gz}
		sum, err = gen.WriteFamily(fam, cfg)
	case *out == "-" || *out == "":
		sum, err = writeStream(stdout, cfg, *gz)
	default:
		var f *os.File
		if f, err = os.Create(*out); err != nil {
			return err
		}
		sum, err = writeStream(f, cfg, *gz)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(began)
	if *summaryPath != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*summaryPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if !*quiet {
		fmt.Fprintf(stderr, "evegen: %d lines, %.1f MB in %v (%.0f MB/s): %d alerts (%d sids), %d flows, %d stats, %d restarts, kernel drops %d of %d packets\n",
			sum.Lines, float64(sum.Bytes)/1e6, elapsed.Round(time.Millisecond), float64(sum.Bytes)/1e6/elapsed.Seconds(),
			sum.Alerts, len(sum.AlertsBySID), sum.Flows, sum.StatsRecords, sum.Restarts, sum.KernelDrops, sum.KernelPackets)
	}
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func writeStream(w io.Writer, cfg gen.Config, compress bool) (gen.Summary, error) {
	if !compress {
		return gen.Write(w, cfg)
	}
	zw := gzip.NewWriter(w)
	sum, err := gen.Write(zw, cfg)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	return sum, err
}

// writeTarball writes the rules tarball and, as ET publishes it, FILE.md5
// holding the hex md5 of the tarball (what conditional downloads compare).
func writeTarball(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	h := md5.New()
	_, err = gen.WriteRulesTarball(io.MultiWriter(f, h), time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path+".md5", []byte(hex.EncodeToString(h.Sum(nil))+"\n"), 0o644)
}

func parseStart(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now.Truncate(time.Second), nil
	}
	if rest, ok := strings.CutPrefix(s, "now-"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d).Truncate(time.Second), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// parseSize reads 200MB, 1GB, 512KiB, 1g or a plain byte count; all units
// are binary (1 MB = 1 MiB) because that is what ls -h and du show.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * float64(mult)), nil
}
