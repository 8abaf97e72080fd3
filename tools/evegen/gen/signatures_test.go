package gen

import (
	"archive/tar"
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		wantErr bool
		sid     int
		msg     string
		hint    string
	}{
		{"plain", `alert tcp $EXTERNAL_NET any -> $HOME_NET 22 (msg:"ET SCAN Potential SSH Scan"; flow:to_server; classtype:attempted-recon; sid:2001219; rev:20; metadata:created_at 2010_07_30;)`,
			false, 2001219, "ET SCAN Potential SSH Scan", ""},
		{"escaped quote and semicolon in msg", `alert http any any -> any any (msg:"a \"b\"\; c"; content:"|03|foo|03|com"; classtype:misc-activity; sid:1; rev:2;)`,
			false, 1, `a "b"; c`, ".foo.com"},
		{"missing sid", `alert http any any -> any any (msg:"x"; classtype:misc-activity; rev:2;)`, true, 0, "", ""},
		{"missing rev", `alert http any any -> any any (msg:"x"; classtype:misc-activity; sid:3;)`, true, 0, "", ""},
		{"bad header", `alert http any -> any any (msg:"x"; classtype:misc-activity; sid:3; rev:1;)`, true, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseRule(tt.rule)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if s.SID != tt.sid || s.Msg != tt.msg || s.Hint != tt.hint {
				t.Errorf("got sid %d msg %q hint %q", s.SID, s.Msg, s.Hint)
			}
		})
	}
}

func TestEmbeddedSignatures(t *testing.T) {
	sigs := Signatures()
	if len(sigs) < 60 || len(sigs) > 100 {
		t.Fatalf("%d embedded signatures, want 60-100", len(sigs))
	}
	seen := map[int]bool{}
	sev := map[int]int{}
	for _, s := range sigs {
		if seen[s.SID] {
			t.Errorf("duplicate sid %d", s.SID)
		}
		seen[s.SID] = true
		sev[s.Severity]++
		if !strings.HasPrefix(s.File, "emerging-") {
			t.Errorf("sid %d: file %q", s.SID, s.File)
		}
	}
	for _, want := range []int{1, 2, 3} {
		if sev[want] == 0 {
			t.Errorf("no signature of severity %d", want)
		}
	}
}

func TestRulesTarball(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteRulesTarball(&buf, time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	classes := map[string]bool{}
	var rules []Signature
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, "rules/") || strings.Contains(h.Name, "..") {
			t.Fatalf("entry %q outside rules/", h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		sc := bufio.NewScanner(tr)
		sc.Buffer(nil, 1<<20)
		switch {
		case h.Name == "rules/classification.config":
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "config classification: "); ok {
					classes[strings.Split(v, ",")[0]] = true
				}
			}
		case strings.HasPrefix(h.Name, "rules/emerging-") && strings.HasSuffix(h.Name, ".rules"):
			files++
			for sc.Scan() {
				line := sc.Text()
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				s, err := ParseRule(line)
				if err != nil {
					t.Fatalf("%s: %v", h.Name, err)
				}
				for _, kw := range []string{"msg:", "sid:", "rev:", "classtype:"} {
					if !strings.Contains(line, kw) {
						t.Errorf("sid %d lacks %s", s.SID, kw)
					}
				}
				rules = append(rules, s)
			}
		default:
			t.Errorf("unexpected entry %s", h.Name)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(rules) != n || n != len(Signatures()) {
		t.Errorf("tarball has %d rules, writer says %d, embedded %d", len(rules), n, len(Signatures()))
	}
	if files < 10 {
		t.Errorf("only %d rules files", files)
	}
	for _, r := range rules {
		if !classes[r.Classtype] {
			t.Errorf("sid %d: classtype %s missing from classification.config", r.SID, r.Classtype)
		}
	}
	var first, again bytes.Buffer
	for _, b := range []*bytes.Buffer{&first, &again} {
		if _, err := WriteRulesTarball(b, time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	if first.Len() == 0 || !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Error("tarball is not reproducible")
	}
}
