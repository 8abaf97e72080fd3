package report

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWantProgress(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	yes := func(int) bool { return true }
	no := func(int) bool { return false }
	for _, tc := range []struct {
		name   string
		stderr io.Writer
		format string
		tty    func(int) bool
		want   bool
	}{
		{"terminal", w, "text", yes, true},
		{"terminal, json logs", w, "json", yes, false},
		{"not a terminal", w, "text", no, false},
		{"a real pipe (cron)", w, "text", IsTerminal, false},
		{"a buffer", &bytes.Buffer{}, "text", yes, false},
		{"nil file", (*os.File)(nil), "text", yes, false},
	} {
		if got := WantProgress(tc.stderr, tc.format, tc.tty); got != tc.want {
			t.Errorf("%s: WantProgress = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type recProgress struct {
	total int64
	sets  []int64
	done  bool
}

func (p *recProgress) Set(n int64) { p.sets = append(p.sets, n) }
func (p *recProgress) Finish()     { p.done = true }

// The progress of an ad-hoc scan counts stored bytes of every file, plain
// and gzip, up to exactly the total it started with.
func TestProgressCountsStoredBytes(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for range 3000 {
		lines = append(lines, fixtureWeek()[:20]...)
	}
	plain := filepath.Join(dir, "eve.json")
	data := []byte(strings.Join(lines, "\n") + "\n")
	if err := os.WriteFile(plain, data, 0o600); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "eve.json.1.gz")
	if err := os.WriteFile(gz, gzipBytes(t, data), 0o600); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, p := range []string{plain, gz} {
		fi, _ := os.Stat(p)
		total += fi.Size()
	}
	rec := &recProgress{}
	err := Run(context.Background(), Config{Files: []string{plain, gz}, Week: "2026-W46", Format: "json", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "s", Stdout: &bytes.Buffer{},
			Progress: func(n int64) Progress { rec.total = n; return rec }})
	if err != nil {
		t.Fatal(err)
	}
	if rec.total != total || !rec.done || len(rec.sets) < 4 || rec.sets[len(rec.sets)-1] != total {
		t.Fatalf("progress total %d (want %d), done %v, %d updates ending at %v", rec.total, total, rec.done, len(rec.sets), rec.sets[len(rec.sets)-1:])
	}
	for i := 1; i < len(rec.sets); i++ {
		if rec.sets[i] < rec.sets[i-1] || rec.sets[i] > total {
			t.Fatalf("progress went %d -> %d (total %d)", rec.sets[i-1], rec.sets[i], total)
		}
	}
}
