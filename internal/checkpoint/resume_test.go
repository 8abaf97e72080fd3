package checkpoint

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

// writeBig writes n numbered records to path.
func writeBig(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, `{"timestamp":"%s","flow_id":%d,"event_type":"flow","n":%d,"pad":"%0200d"}`+"\n",
			base.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02T15:04:05.000000-0700"), i, i, i)
	}
	w.Flush()
}

// TestResumeDoesNotRescan is §7.36: resuming in a large plain file is a
// seek, so a run after an append reads only the appended bytes; resuming
// inside a large .gz decompresses up to the offset once and then reads only
// the rest.
func TestResumeDoesNotRescan(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~90 MB")
	}
	dir := t.TempDir()
	live := filepath.Join(dir, "eve.json")
	state := filepath.Join(dir, "state")
	const n = 300_000 // ~87 MB
	writeBig(t, live, n)

	open := func() *Session {
		s, err := Open(t.Context(), Config{Consumer: "big", Live: live, StateDir: state})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open() // first run: start at the end, O(1) by scanning backwards
	s.Lines(t.Context(), func([]byte, Position) error { return nil })
	if st := s.Stats(); st.Bytes != 0 || st.Lines != 0 {
		t.Fatalf("first run read %+v", st)
	}
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()

	extra := `{"timestamp":"2026-11-21T00:00:00.000000+0000","event_type":"alert","n":0}` + "\n"
	f, _ := os.OpenFile(live, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(extra)
	f.Close()
	start := time.Now()
	s = open()
	var lines int
	s.Lines(t.Context(), func([]byte, Position) error { lines++; return nil })
	plainResume := time.Since(start)
	if st := s.Stats(); lines != 1 || st.Bytes != int64(len(extra)) {
		t.Fatalf("resume read %d lines, %d bytes; want 1 line of %d bytes", lines, st.Bytes, len(extra))
	}
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Rotate: the big file becomes eve.json.1.gz; one line in the new live.
	gz := live + ".1.gz"
	b, _ := os.ReadFile(live)
	zf, _ := os.Create(gz)
	zw := kgzip.NewWriter(zf)
	zw.Write(b)
	zw.Close()
	zf.Close()
	os.WriteFile(live, []byte(extra), 0o644)
	start = time.Now()
	s = open()
	lines = 0
	s.Lines(t.Context(), func([]byte, Position) error { lines++; return nil })
	gzResume := time.Since(start)
	if lines != 1 {
		t.Fatalf("after rotation read %d lines, want only the new live one", lines)
	}
	s.Close()
	t.Logf("resume after append in a %d MB plain file: %v; resume at its end inside the .gz: %v",
		len(b)>>20, plainResume.Round(time.Millisecond), gzResume.Round(time.Millisecond))
}
