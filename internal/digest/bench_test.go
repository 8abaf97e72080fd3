package digest

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
)

// BenchmarkRun digests 50,000 alerts in 5,000 groups (dry run).
func BenchmarkRun(b *testing.B) {
	e := newEnv(b)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var lines [][]byte
	for i := 0; i < 50_000; i++ {
		lines = append(lines, alert{ts: t0.Add(time.Duration(i) * time.Millisecond), sid: int64(2000000 + i%300), sev: 1 + i%3,
			sig: fmt.Sprintf("ET BENCH %d", i%300), src: fmt.Sprintf("198.51.100.%d", i%50), dst: fmt.Sprintf("10.0.%d.%d", i%7, i%100), dport: 443, flowID: uint64(i)}.line(b))
	}
	appendLines(b, e.eve, lines...)
	cfg := e.config()
	cfg.DryRun = true
	cfg.Start = checkpoint.StartBeginning
	deps := e.deps()
	deps.Stdout = io.Discard
	b.ResetTimer()
	for b.Loop() {
		if _, err := run(b.Context(), cfg, deps); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBacklog digests the eve.json named by SURICRON_DIGEST_BENCH_EVE
// (e.g. bench/digest/gen output with 1 M alerts) in a dry run; skipped
// without it. For profiles: go test -run '^$' -bench Backlog -benchtime 1x
// -cpuprofile cpu.out ./internal/digest.
func BenchmarkBacklog(b *testing.B) {
	path := os.Getenv("SURICRON_DIGEST_BENCH_EVE")
	if path == "" {
		b.Skip("SURICRON_DIGEST_BENCH_EVE not set")
	}
	e := newEnv(b)
	cfg := e.config()
	cfg.Eve = path
	cfg.DryRun = true
	cfg.Start = checkpoint.StartBeginning
	deps := e.deps()
	deps.Stdout = io.Discard
	for b.Loop() {
		if _, err := run(b.Context(), cfg, deps); err != nil {
			b.Fatal(err)
		}
	}
}
