package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkLiveRead reads a 64 MiB live eve.json through a session, with
// the truncation guard checking the file's identity after every read.
func BenchmarkLiveRead(b *testing.B) {
	w := &world{clock: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	dir := b.TempDir()
	live := filepath.Join(dir, "eve.json")
	var sb strings.Builder
	for i := 1; sb.Len() < 64<<20; i++ {
		sb.WriteString(w.record(i))
	}
	if err := os.WriteFile(live, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ResetTimer()
	for b.Loop() {
		s, err := Open(context.Background(), Config{Consumer: "bench", Live: live, StateDir: filepath.Join(dir, "state"), Start: StartBeginning, ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Lines(context.Background(), func([]byte, Position) error { return nil }); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
