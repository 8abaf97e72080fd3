package suricataconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/sharedtest"
)

func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The real Suricata 7.0.17 suricata.yaml: its %YAML 1.1 header, the
// protocols it ships turned off, ja3 left to "auto", its variables.
func TestRealSuricata7(t *testing.T) {
	p := sharedtest.Path(t, "suricata-7.0.17", "etc", "suricata.yaml")
	c, err := Load(p, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.DisabledProtocols(), []string{"dnp3", "enip", "modbus", "pgsql"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DisabledProtocols = %v, want %v (imap is detection-only, dns per transport)", got, want)
	}
	if c.JA3Off() {
		t.Error("JA3Off: ja3-fingerprints is commented out (auto)")
	}
	for _, v := range []string{"HOME_NET", "EXTERNAL_NET", "HTTP_SERVERS", "DNP3_CLIENT"} {
		if !c.HasAddressVar(v) {
			t.Errorf("address var %s missing", v)
		}
	}
	for _, v := range []string{"HTTP_PORTS", "ORACLE_PORTS", "SSH_PORTS"} {
		if !c.HasPortVar(v) {
			t.Errorf("port var %s missing", v)
		}
	}
	if c.HasAddressVar("HTTP_PORTS") || c.HasPortVar("HOME_NET") {
		t.Error("address and port groups mixed up")
	}
	if v, _ := c.Get("vars.port-groups.ORACLE_PORTS"); v != "1521" {
		t.Errorf("ORACLE_PORTS = %q, want the scalar as written", v)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string // main.yaml plus includes
		disabled []string
		ja3Off   bool
		addr     []string // address vars expected present
		noAddr   []string
	}{
		{"header and flags", map[string]string{"main.yaml": "%YAML 1.1\n---\napp-layer:\n  protocols:\n    smb:\n      enabled: no\n    imap:\n      enabled: detection-only\n    tls:\n      enabled: yes\n      ja3-fingerprints: no\n    dns:\n      tcp:\n        enabled: no\n"},
			[]string{"smb"}, true, nil, nil},
		{"ja3 auto and on", map[string]string{"main.yaml": "app-layer:\n  protocols:\n    tls:\n      ja3-fingerprints: auto\n    ssh:\n      enabled: on\n"}, nil, false, nil, nil},
		{"ja3 false", map[string]string{"main.yaml": "app-layer:\n  protocols:\n    tls:\n      ja3-fingerprints: false\n"}, nil, true, nil, nil},
		{"include at top and overriding", map[string]string{
			"main.yaml":  "%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: any\napp-layer:\n  protocols:\n    smb:\n      enabled: yes\ninclude:\n  - inc/a.yaml\n  - b.yaml\n",
			"inc/a.yaml": "%YAML 1.1\n---\napp-layer:\n  protocols:\n    smb:\n      enabled: no\n    ftp:\n      enabled: no\n",
			"b.yaml":     "vars:\n  address-groups:\n    DNS_SERVERS: $HOME_NET\napp-layer:\n  protocols:\n    ftp:\n      enabled: yes\n",
		}, []string{"smb"}, false, []string{"HOME_NET", "DNS_SERVERS"}, []string{"SQL_SERVERS"}},
		{"!include value", map[string]string{
			"main.yaml":   "vars:\n  address-groups: !include groups.yaml\n",
			"groups.yaml": "HOME_NET: 10.0.0.0/8\n",
		}, nil, false, []string{"HOME_NET"}, nil},
		{"nested include key", map[string]string{
			"main.yaml":   "app-layer:\n  protocols:\n    include: protos.yaml\n",
			"protos.yaml": "rdp:\n  enabled: no\n",
		}, []string{"rdp"}, false, nil, nil},
		{"anchors and merge", map[string]string{"main.yaml": "off: &off\n  enabled: no\napp-layer:\n  protocols:\n    smb: *off\n    nfs:\n      <<: *off\n"},
			[]string{"nfs", "smb"}, false, nil, nil},
		{"empty file", map[string]string{"main.yaml": ""}, nil, false, nil, []string{"HOME_NET"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				write(t, dir, name, content)
			}
			c, err := Load(filepath.Join(dir, "main.yaml"), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if got := c.DisabledProtocols(); !reflect.DeepEqual(got, tc.disabled) {
				t.Errorf("DisabledProtocols = %v, want %v", got, tc.disabled)
			}
			if got := c.JA3Off(); got != tc.ja3Off {
				t.Errorf("JA3Off = %v, want %v", got, tc.ja3Off)
			}
			for _, v := range tc.addr {
				if !c.HasAddressVar(v) {
					t.Errorf("address var %s missing; keys %v", v, c.Keys())
				}
			}
			for _, v := range tc.noAddr {
				if c.HasAddressVar(v) {
					t.Errorf("address var %s present", v)
				}
			}
		})
	}
}

func TestHostile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		lim   Limits
		want  string // in the error
		limit bool   // errors.Is ErrLimit
	}{
		{"bad yaml names file and line", map[string]string{"main.yaml": "vars:\n  address-groups:\n    HOME_NET: [1.2.3.4\n  x: y\n"}, Limits{}, "main.yaml: yaml: line", false},
		{"bad yaml in include", map[string]string{"main.yaml": "include: inc.yaml\n", "inc.yaml": "a: b\n c: d\n\t- x\n"}, Limits{}, "inc.yaml: yaml: line", false},
		{"not a mapping", map[string]string{"main.yaml": "- a\n- b\n"}, Limits{}, "main.yaml: line 1: the document is not a mapping", false},
		{"include loop", map[string]string{"main.yaml": "include: a.yaml\n", "a.yaml": "include: b.yaml\n", "b.yaml": "include: a.yaml\n"}, Limits{}, "include loop", false},
		{"self include", map[string]string{"main.yaml": "include: main.yaml\n"}, Limits{}, "include loop", false},
		{"missing include", map[string]string{"main.yaml": "x: 1\ninclude: nope.yaml\n"}, Limits{}, "main.yaml: line 2: include nope.yaml", false},
		{"huge file", map[string]string{"main.yaml": "a: " + strings.Repeat("x", 2000) + "\n"}, Limits{MaxFileBytes: 1024, MaxFiles: 4, MaxDepth: 4, MaxKeys: 100}, "larger than 1024 bytes", true},
		{"alias bomb", map[string]string{"main.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"},
			Limits{MaxFileBytes: 1 << 20, MaxFiles: 4, MaxDepth: 4, MaxKeys: 10000}, "more than 10000 keys", true},
		{"too many files", map[string]string{"main.yaml": "include: [a.yaml, a2.yaml, a3.yaml]\n", "a.yaml": "x: 1\n", "a2.yaml": "x: 2\n", "a3.yaml": "x: 3\n"},
			Limits{MaxFileBytes: 1 << 20, MaxFiles: 3, MaxDepth: 4, MaxKeys: 100}, "more than 3 files", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, dir, name, content)
			}
			_, err := Load(filepath.Join(dir, "main.yaml"), tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, ErrLimit) != tc.limit {
				t.Errorf("errors.Is(ErrLimit) = %v, want %v", !tc.limit, tc.limit)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("%YAML 1.1\n---\napp-layer:\n  protocols:\n    smb:\n      enabled: no\n")
	f.Add("a: &a [x]\nb: [*a, *a]\ninclude: self.yaml\n")
	f.Add("vars:\n  address-groups: !include x.yaml\n")
	f.Fuzz(func(t *testing.T, s string) {
		dir := t.TempDir()
		p := write(t, dir, "main.yaml", s)
		write(t, dir, "self.yaml", s)
		c, err := Load(p, Limits{MaxFileBytes: 1 << 16, MaxFiles: 8, MaxDepth: 4, MaxKeys: 5000})
		if err != nil {
			return
		}
		_ = c.DisabledProtocols()
		_ = c.JA3Off()
	})
}
