package checkpoint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/buger/jsonparser"
	kgzip "github.com/klauspost/compress/gzip"
)

// world is a temp dir with an eve.json family and a state dir, plus a
// numbered-record writer: every record carries n, so tests can check that
// each written number is delivered exactly (or at least) once and in order.
type world struct {
	t     *testing.T
	dir   string
	live  string
	state string
	next  int
	clock time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	d := t.TempDir()
	w := &world{t: t, dir: d, live: filepath.Join(d, "eve.json"), state: filepath.Join(d, "state"), next: 1,
		clock: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	w.touch(w.live)
	return w
}

func (w *world) record(n int) string {
	ts := w.clock.Add(time.Duration(n) * time.Second).Format("2006-01-02T15:04:05.000000-0700")
	return fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"alert","n":%d,"pad":"%s"}`+"\n",
		ts, 1000000+n, n, strings.Repeat("x", n%50))
}

// appendN appends n complete records to path.
func (w *world) appendN(path string, n int) {
	w.t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(w.record(w.next))
		w.next++
	}
	w.appendRaw(path, b.String())
}

func (w *world) appendRaw(path, s string) {
	w.t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		w.t.Fatal(err)
	}
	f.Close()
}

func (w *world) touch(path string) {
	w.t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) rename(from, to string) {
	w.t.Helper()
	if err := os.Rename(filepath.Join(w.dir, from), filepath.Join(w.dir, to)); err != nil {
		w.t.Fatal(err)
	}
}

// gzip compresses name into name.gz and removes name, as logrotate does.
func (w *world) gzip(name string) {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		w.t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(p+".gz", buf.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
	os.Remove(p)
}

// rotate does Debian's logrotate: rename, create, (HUP), compress.
func (w *world) rotate(compress bool) {
	w.t.Helper()
	// Shift existing .N(.gz) files up, highest first.
	for i := 20; i >= 1; i-- {
		for _, ext := range []string{"", ".gz"} {
			from := fmt.Sprintf("eve.json.%d%s", i, ext)
			if _, err := os.Stat(filepath.Join(w.dir, from)); err == nil {
				w.rename(from, fmt.Sprintf("eve.json.%d%s", i+1, ext))
			}
		}
	}
	w.rename("eve.json", "eve.json.1")
	w.touch(w.live)
	if compress {
		w.gzip("eve.json.1")
	}
}

type runOpts struct {
	start   string
	fail    error // returned instead of committing
	maxN    int   // stop after this many lines
	noComit bool
	now     func() time.Time // the run's clock; default time.Now
}

// run opens a session, collects the numbers, and commits unless told not to.
func (w *world) run(o runOpts) ([]int, *Session, error) {
	w.t.Helper()
	s, err := Open(context.Background(), Config{Consumer: "test", Live: w.live, StateDir: w.state, Start: o.start, Now: o.now})
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var got []int
	err = s.Lines(context.Background(), func(line []byte, _ Position) error {
		n, err := jsonparser.GetInt(line, "n")
		if err != nil {
			return nil // not a numbered record: counted as bad by real callers
		}
		got = append(got, int(n))
		if o.maxN > 0 && len(got) == o.maxN {
			return ErrStop
		}
		return nil
	})
	if err != nil {
		return got, s, err
	}
	if o.fail != nil {
		return got, s, o.fail
	}
	if !o.noComit {
		if err := s.Commit(s.End(), s.BatchID(s.End()), 0); err != nil {
			return got, s, err
		}
	}
	return got, s, nil
}

// open opens a session with the default start, for tests that drive
// Lines, Prepare and Commit themselves.
func (w *world) open() *Session {
	w.t.Helper()
	s, err := Open(context.Background(), Config{Consumer: "test", Live: w.live, StateDir: w.state})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// numbers reads s to the end and returns the numbered records it handed
// out (lines without "n", such as torn fragments, are left out).
func numbers(t *testing.T, s *Session) []int {
	t.Helper()
	var got []int
	err := s.Lines(context.Background(), func(l []byte, _ Position) error {
		if n, err := jsonparser.GetInt(l, "n"); err == nil {
			got = append(got, int(n))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (w *world) mustRun(o runOpts) []int {
	w.t.Helper()
	got, _, err := w.run(o)
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return got
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func eqInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (w *world) expect(got []int, from, to int) {
	w.t.Helper()
	want := seq(from, to)
	if !eqInts(got, want) {
		w.t.Errorf("got %s\nwant %d..%d", short(got), from, to)
	}
}

func short(a []int) string {
	if len(a) > 30 {
		return strconv.Itoa(len(a)) + " numbers: " + fmt.Sprint(a[:10]) + " … " + fmt.Sprint(a[len(a)-10:])
	}
	return fmt.Sprint(a)
}
