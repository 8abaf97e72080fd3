package telemetry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSIDs(t *testing.T) {
	tests := []struct {
		name, in string
		want     []uint64
		wantErr  string
	}{
		{name: "plain", in: "2000001\n2000002\n", want: []uint64{2000001, 2000002}},
		{name: "bom crlf comments", in: "\xef\xbb\xbf#@opnsense_download_hash:abc\r\n2023753\r\n\r\n  2001219  # scan\n", want: []uint64{2001219, 2023753}},
		{name: "no trailing newline", in: "1", want: []uint64{1}},
		{name: "empty", in: "", want: []uint64{}},
		{name: "html page", in: "<html>\n", wantErr: "line 1: \"<html>\" is not a SID"},
		{name: "gid:sid", in: "5\n1:2000\n", wantErr: "line 2"},
		{name: "negative", in: "-5\n", wantErr: "not a SID"},
		{name: "zero", in: "0\n", wantErr: "out of range"},
		{name: "too big", in: "99999999999\n", wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseSIDs(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := SIDSet{}
			for _, s := range tt.want {
				want[s] = struct{}{}
			}
			if d := cmp.Diff(want, set); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestLoadSIDsFailsClosed(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"", "no telemetry sids file configured"},
		{filepath.Join(dir, "missing.txt"), "no such file"},
		{empty, "lists no SIDs"},
	} {
		if _, err := LoadSIDs(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadSIDs(%q) = %v, want %q", c.path, err, c.want)
		}
	}
}

func TestSelector(t *testing.T) {
	sel := Selector{SIDs: SIDSet{2000001: {}}}
	all := Selector{All: true}
	for _, c := range []struct {
		line        string
		want, wantA bool
	}{
		{`{"event_type":"alert","alert":{"signature_id":2000001}}`, true, true},
		{`{"event_type":"alert","alert":{"signature_id":2000002}}`, false, true},
		{`{"event_type":"dns","alert":{"signature_id":2000001}}`, false, false},
		{`{"event_type":"alert","alert":{"signature_id":"2000001"}}`, false, false},
		{`{"event_type":"alert"}`, false, false},
		{`not json`, false, false},
	} {
		if got := sel.Select([]byte(c.line)); got != c.want {
			t.Errorf("sids Select(%s) = %v", c.line, got)
		}
		if got := all.Select([]byte(c.line)); got != c.wantA {
			t.Errorf("all Select(%s) = %v", c.line, got)
		}
	}
}

func FuzzParseSIDs(f *testing.F) {
	f.Add("2000001\n# c\n\r\n2000002 # x\n")
	f.Add("\xef\xbb\xbf1")
	f.Add("<html>")
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseSIDs(strings.NewReader(s))
		if err != nil {
			return
		}
		for sid := range set {
			if sid == 0 || sid > 1<<32-1 {
				t.Fatalf("sid %d out of range accepted", sid)
			}
		}
	})
}
