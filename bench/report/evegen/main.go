// Command evegen writes the benchmark's synthetic eve.json set: a week of
// logs split like logrotate leaves them (eve.json, eve.json.1, then older
// files gzip-compressed), totalling about -size bytes uncompressed, using
// the seeded generator in tools/evegen/gen. It prints the generator's true
// alert count, which the benchmark checks the report against.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/suricron/suricron/tools/evegen/gen"
)

func main() {
	size := flag.Int64("size", 5<<30, "total uncompressed bytes")
	dir := flag.String("dir", ".", "output directory")
	files := flag.Int("files", 8, "number of files")
	gzFrac := flag.Float64("gz", 0.5, "fraction of the files (the oldest) written gzip-compressed")
	seed := flag.Uint64("seed", 1, "generator seed")
	// Each file covers -hours: short enough that events, not the 8 s
	// stats records, make up most of the bytes at any -size.
	hours := flag.Int("hours", 6, "hours of traffic per file")
	flag.Parse()
	if err := run(*size, *dir, *files, *gzFrac, *seed, time.Duration(*hours)*time.Hour); err != nil {
		fmt.Fprintln(os.Stderr, "evegen:", err)
		os.Exit(1)
	}
}

func run(size int64, dir string, n int, gzFrac float64, seed uint64, span time.Duration) error {
	if n < 1 || size < 1 {
		return fmt.Errorf("need -files >= 1 and -size >= 1")
	}
	start := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	nGz := int(float64(n)*gzFrac + 0.5)
	var alerts, drops, packets int64
	for i := 0; i < n; i++ {
		// File 0 is the oldest; the live file eve.json is the newest.
		age := n - 1 - i
		name := "eve.json"
		if age > 0 {
			name = fmt.Sprintf("eve.json.%d", age)
		}
		gz := i < nGz
		if gz {
			name += ".gz"
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		var w io.Writer = bw
		var zw *kgzip.Writer
		if gz {
			// Level 6 is what logrotate's gzip uses by default.
			zw, _ = kgzip.NewWriterLevel(bw, 6)
			w = zw
		}
		sum, err := gen.Write(w, gen.Config{Seed: seed + uint64(i), Start: start.Add(time.Duration(i) * span),
			Duration: span, TotalBytes: size / int64(n), DropRate: 0.01, RestartCount: 1})
		if err != nil {
			return err
		}
		if zw != nil {
			if err := zw.Close(); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		alerts += sum.Alerts
		drops += sum.KernelDrops
		packets += sum.KernelPackets
	}
	fmt.Printf("alerts=%d kernel_drops=%d kernel_packets=%d\n", alerts, drops, packets)
	return nil
}
