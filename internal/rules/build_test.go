package rules

import (
	"bytes"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/rules/policy"
)

// TestWriteToAndSameAs checks the streamed merged file against the plain
// rendering (every rule's Format plus a newline) on ET Open, large enough
// for many writeChunk pieces, and the comparison used for "changed".
func TestWriteToAndSameAs(t *testing.T) {
	rs, err := buildRuleset(loadShared(t, "emerging.rules.tar.gz"), []string{"*deleted.rules"}, &policy.Policy{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, r := range rs.set.Rules() {
		want.WriteString(r.Format())
		want.WriteByte('\n')
	}
	var got bytes.Buffer
	if err := rs.writeTo(&got); err != nil {
		t.Fatal(err)
	}
	if got.Len() < 4*writeChunk {
		t.Fatalf("only %d bytes: the test needs several chunks", got.Len())
	}
	if got.String() != want.String() {
		t.Fatal("writeTo differs from the rules' Format lines")
	}
	full := got.Bytes()
	if !rs.sameAs(full) {
		t.Error("sameAs(identical) = false")
	}
	flipped := bytes.Clone(full)
	flipped[len(flipped)/2] ^= 1
	for name, old := range map[string][]byte{
		"nil":            nil,
		"one byte short": full[:len(full)-1],
		"one byte more":  append(bytes.Clone(full), '\n'),
		"middle differs": flipped,
		"first chunk":    full[:writeChunk],
	} {
		if rs.sameAs(old) {
			t.Errorf("sameAs(%s) = true", name)
		}
	}
	boom := errors.New("disk full")
	if err := rs.writeTo(failWriter{boom}); !errors.Is(err, boom) {
		t.Errorf("writeTo on a failing writer: %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestRunFileSelection runs whole updates on the fixture to check which
// files are loaded now that unpack drops the others before parsing:
// skipfile and --ignore globs, by base name, together.
func TestRunFileSelection(t *testing.T) {
	src := filepath.Join(t.TempDir(), "emerging.rules.tar.gz")
	writeFile(t, src, tarGz(t, dirFiles(t, "testdata/v1")))
	conf := filepath.Join(t.TempDir(), "oinkmaster.conf")
	writeFile(t, conf, []byte("skipfile emerging-games.rules\n"))
	files := func(out string) map[string]int {
		n := map[string]int{}
		for _, line := range strings.Split(out, "\n") {
			for _, m := range []string{"FIXTURE DELETED", "FIXTURE GAMES", "FIXTURE SCAN"} {
				if strings.Contains(line, m) {
					n[m]++
				}
			}
		}
		return n
	}
	for _, tc := range []struct {
		name   string
		ignore []string
		confs  []string
		want   map[string]int
	}{
		{"default ignore", nil, nil, map[string]int{"FIXTURE GAMES": 4, "FIXTURE SCAN": 7}},
		{"ignore nothing", []string{}, nil, map[string]int{"FIXTURE DELETED": 1, "FIXTURE GAMES": 4, "FIXTURE SCAN": 7}},
		{"skipfile", []string{}, []string{conf}, map[string]int{"FIXTURE DELETED": 1, "FIXTURE SCAN": 7}},
		{"skipfile and glob", []string{"*-scan.rules", "*deleted*"}, []string{conf}, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "file://"+src)
			h.cfg.Ignore, h.cfg.OinkmasterConfs, h.cfg.MinRules = tc.ignore, tc.confs, 0
			if _, err := h.run(); err != nil {
				t.Fatal(err)
			}
			if got := files(h.output()); !maps.Equal(got, tc.want) {
				t.Errorf("rules per file = %v, want %v", got, tc.want)
			}
		})
	}
}
