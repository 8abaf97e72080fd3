package source

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		tmpl, version    string
		params           map[string]string
		configured, want string // want: the actual URL, "" for an error
	}{
		{"https://h/suricata-%(__version__)s/e.tar.gz", "7.0.17", nil, "https://h/suricata-7.0.17/e.tar.gz", "https://h/suricata-7.0.17/e.tar.gz"},
		{"https://h/suricata-%(__version__)s/e.tar.gz", "", nil, "https://h/suricata-%(__version__)s/e.tar.gz", "https://h/suricata-0.0.0/e.tar.gz"},
		{"https://h/%(secret-code)s/p.tar.gz", "7.0.0", map[string]string{"secret-code": "K/1"}, "https://h/%(secret-code)s/p.tar.gz", "https://h/K%2F1/p.tar.gz"},
		{"https://h/%(flavour)s.rules", "", map[string]string{"flavour": "big"}, "https://h/big.rules", "https://h/big.rules"},
		{"https://h/%(secret-code)s/p.tar.gz", "", nil, "", ""},
		{"https://%(host)s/x", "", map[string]string{"host": ""}, "", ""},
	}
	for _, tc := range tests {
		got, secrets, err := Resolve(tc.tmpl, tc.params, tc.version)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Resolve(%q, %v): no error", tc.tmpl, tc.params)
			}
			continue
		}
		if err != nil || got != tc.configured {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.configured)
			continue
		}
		actual := strings.ReplaceAll(got, "%(__version__)s", "0.0.0")
		for ph, v := range secrets {
			actual = strings.ReplaceAll(actual, ph, v)
		}
		if actual != tc.want {
			t.Errorf("actual URL of %q = %q, want %q", tc.tmpl, actual, tc.want)
		}
	}
}

func TestParseIndexRefuses(t *testing.T) {
	entry := func(name, url string) string {
		return "sources:\n  " + name + ":\n    url: " + url + "\n"
	}
	tests := map[string]string{
		"file:// source":   entry("a/b", "file:///etc/shadow"),
		"ftp source":       entry("a/b", "ftp://h/x.rules"),
		"no url":           "sources:\n  a/b:\n    vendor: v\n",
		"dotdot":           entry("a/../../b", "https://h/x"),
		"absolute name":    entry("/etc/x", "https://h/x"),
		"dash name":        entry("-rf", "https://h/x"),
		"bad param name":   "sources:\n  a/b:\n    url: https://h/x\n    parameters:\n      ../p: {prompt: x}\n",
		"bad yaml":         "sources: [\n",
		"sources a list":   "sources:\n  - a\n",
		"empty":            "",
		"scheme in params": entry("a/b", "%(scheme)s://h/x"),
	}
	for name, in := range tests {
		if _, err := ParseIndex("t.yaml", []byte(in)); !errors.Is(err, ErrBadIndex) {
			t.Errorf("%s: err %v, want ErrBadIndex", name, err)
		}
	}
	if _, err := ParseIndex("t.yaml", []byte(entry("et/open", "https://h/suricata-%(__version__)s/e.tar.gz"))); err != nil {
		t.Errorf("a good index: %v", err)
	}
}

func TestCheckVersion(t *testing.T) {
	ix, err := ParseIndex("t", []byte("sources:\n  a/b: {url: 'https://h/x'}\nversions:\n  suricata:\n    recommended: 7.0.17\n    \"6.0\": 6.0.20\n    \"7.0\": 7.0.17\n"))
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]string{
		"7.0.17": "up to date", "8.0.0": "newer than the recommended", "7.0.2": "outdated: upgrade to 7.0.17",
		"6.0.3": "upgrade to 6.0.20 or 7.0.17", "4.1.10": "end of life", "8.0.0-dev": "development version",
	} {
		msg, _, err := ix.CheckVersion(v)
		if err != nil || !strings.Contains(msg, want) {
			t.Errorf("CheckVersion(%s) = %q, %v; want %q", v, msg, err, want)
		}
	}
	if _, _, err := ix.CheckVersion("seven"); !errors.Is(err, ErrUsage) {
		t.Errorf("bad version: %v", err)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.json")
	s, err := LoadStore(p)
	if err != nil || len(s.Sources) != 0 {
		t.Fatalf("missing store: %v %v", s, err)
	}
	s.Put(Enabled{Name: "z/z"})
	s.Put(Enabled{Name: "et/pro", SecretFiles: map[string]string{"secret-code": "/etc/x"}})
	s.Put(Enabled{Name: "z/z", Disabled: true})
	if err := s.Save(p); err != nil {
		t.Fatal(err)
	}
	s2, err := LoadStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Sources) != 2 || s2.Sources[0].Name != "et/pro" || len(s2.Active()) != 1 || !s2.Get("z/z").Disabled {
		t.Errorf("round trip: %+v", s2.Sources)
	}
	if !s2.Remove("z/z") || s2.Remove("z/z") {
		t.Errorf("Remove")
	}
}

// FuzzParseIndex: any input is either refused or yields sources whose
// names are safe and whose URLs resolve to http(s) only.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("sources:\n  et/open:\n    url: https://h/suricata-%(__version__)s/e.tar.gz\n"))
	f.Add([]byte("sources:\n  a/b:\n    url: file:///etc/shadow\n"))
	f.Add([]byte("sources:\n  ../x:\n    url: https://h/%(p)s\n    parameters: {p: {prompt: x}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := ParseIndex("fuzz", data)
		if err != nil {
			return
		}
		for name, e := range ix.Sources {
			if !ValidName(name) || strings.Contains(name, "..") {
				t.Fatalf("unsafe name %q accepted", name)
			}
			params := map[string]string{}
			for p := range e.Parameters {
				params[p] = "v"
			}
			if u, _, err := Resolve(e.URL, params, "7.0.0"); err == nil && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("source %q resolves to %q", name, u)
			}
		}
	})
}
