package checkpoint

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

// TestOversizeLineWarnsWithLineNumber: a line over the limit is skipped,
// counted, and warned about at the default level naming the file, its line
// number (also when the run resumed mid-file, in plain and compressed
// files) and its byte offset. On the starting code it vanished without a
// word.
func TestOversizeLineWarnsWithLineNumber(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "gzip"}[compress], func(t *testing.T) {
			w := newWorld(t)
			w.appendN(w.live, 3)
			w.mustRun(runOpts{start: StartBeginning}) // resume after line 3 from now on
			w.appendN(w.live, 2)                      // lines 4, 5
			big := `{"timestamp":"2026-11-20T10:00:06.000000+0000","event_type":"alert","pad":"` + strings.Repeat("a", 2<<20) + "\"}\n"
			off := mustSize(t, w.live)
			w.appendRaw(w.live, big) // line 6
			w.appendN(w.live, 1)     // line 7
			name := w.live
			if compress {
				w.rotate(true)
				name = w.live + ".1.gz"
			}
			var logs bytes.Buffer
			s, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state, MaxLineBytes: 1 << 20,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := numbers(t, s)
			w.expect(got, 4, 6) // numbers 4, 5 and 6 (the record after the big line)
			if s.Stats().Oversize != 1 {
				t.Errorf("oversize %d, want 1", s.Stats().Oversize)
			}
			out := logs.String()
			for _, want := range []string{"level=WARN", "line-size limit", "file=" + name, "line=6", "offset=" + itoa(off), "max_line_bytes=1048576"} {
				if !strings.Contains(out, want) {
					t.Errorf("warning lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestFormatPosSaysOffset(t *testing.T) {
	if got := FormatPos(Position{Path: "/var/log/suricata/eve.json", Offset: 1234}); got != "/var/log/suricata/eve.json at byte offset 1234" {
		t.Errorf("FormatPos = %q", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
