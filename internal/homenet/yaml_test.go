package homenet

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/suricron/suricron/internal/sharedtest"
)

const sampleYAML = `%YAML 1.1
---
# comment
vars:
  # more specific is better
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
    #HOME_NET: "[192.168.0.0/16]"
    EXTERNAL_NET: "!$HOME_NET"   # everything else
    DNS_SERVERS: '$HOME_NET'
    DMZ: 203.0.113.0/24 # plain
    "QUOTED_KEY": "[1.2.3.4]"

  port-groups:
    HTTP_PORTS: "80"
default-log-dir: /var/log/suricata/
af-packet:
  - interface: eth0
vars2:
  address-groups:
    HOME_NET: "wrong"
`

func TestParseYAMLVars(t *testing.T) {
	got, err := ParseYAMLVars(strings.NewReader(sampleYAML))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HOME_NET":     "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		"EXTERNAL_NET": "!$HOME_NET",
		"DNS_SERVERS":  "$HOME_NET",
		"DMZ":          "203.0.113.0/24",
		"QUOTED_KEY":   "[1.2.3.4]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("vars (-want +got):\n%s", d)
	}
}

func TestParseYAMLVarsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\n", "line 3"},
		{"vars:\n  address-groups:\n    HOME_NET:\n", "line 3: HOME_NET: empty value"},
		{"vars:\n  address-groups:\n    - 10.0.0.0/8\n", "line 3: vars.address-groups: expected NAME: value"},
		{"vars:\n  address-groups:\n    HOME_NET: [10.0.0.0/8]\n", "line 3: HOME_NET: expected a scalar"},
		{"vars:\n  address-groups:\n    HOME_NET: 'x' y\n", "yaml: line 2"},
	} {
		_, err := ParseYAMLVars(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestNewSetFromYAML(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "suricata.yaml")
	if err := os.WriteFile(p, []byte("vars:\n  address-groups:\n    HOME_NET: \"[$LAN,!198.18.0.9]\"\n    LAN: 198.18.0.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(Options{SuricataYAML: p})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains(netip.MustParseAddr("198.18.0.1")) || s.Contains(netip.MustParseAddr("198.18.0.9")) {
		t.Error("HOME_NET from yaml not applied")
	}
	// --home-net wins over the file but may use its variables.
	s, err = NewSet(Options{SuricataYAML: p, HomeNet: "$LAN,198.19.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains(netip.MustParseAddr("198.18.0.9")) || !s.Contains(netip.MustParseAddr("198.19.0.1")) {
		t.Error("--home-net not applied")
	}
	if err := os.WriteFile(p, []byte("vars:\n  port-groups:\n    X: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSet(Options{SuricataYAML: p}); err == nil || !strings.Contains(err.Error(), "no vars.address-groups.HOME_NET") {
		t.Errorf("err = %v", err)
	}
}

func FuzzParseYAMLVars(f *testing.F) {
	f.Add(sampleYAML)
	f.Add("vars:\n  address-groups:\n    HOME_NET: 'a''b'\n")
	f.Add("vars:\n\taddress-groups:\n")
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := ParseYAMLVars(strings.NewReader(s))
		if err != nil {
			return
		}
		for k, v := range vars {
			if k == "" && v == "" {
				continue
			}
			_, _ = Parse(v, vars) // must not hang or panic on recursive vars
		}
	})
}

// TestParseYAMLVarsForms covers the YAML the hand-written scanner refused
// or misread (issue 15): flow maps, anchors and aliases, merge keys,
// folded and literal scalars, a %YAML 1.1 header, documents markers.
func TestParseYAMLVarsForms(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"flow map", "%YAML 1.1\n---\nvars: {address-groups: {HOME_NET: \"[10.0.0.0/8]\", EXTERNAL_NET: \"!$HOME_NET\"}}\n",
			map[string]string{"HOME_NET": "[10.0.0.0/8]", "EXTERNAL_NET": "!$HOME_NET"}},
		{"anchor and alias", "nets: &lan \"[192.168.0.0/16]\"\nvars:\n  address-groups:\n    HOME_NET: *lan\n",
			map[string]string{"HOME_NET": "[192.168.0.0/16]"}},
		{"merge key", "base: &b\n  HOME_NET: 10.0.0.0/8\nvars:\n  address-groups:\n    <<: *b\n    DMZ: 203.0.113.0/24\n",
			map[string]string{"HOME_NET": "10.0.0.0/8", "DMZ": "203.0.113.0/24"}},
		{"folded scalar", "vars:\n  address-groups:\n    HOME_NET: >-\n      [10.0.0.0/8,\n      192.168.0.0/16]\n",
			map[string]string{"HOME_NET": "[10.0.0.0/8, 192.168.0.0/16]"}},
		{"aliased group mapping", "g: &g\n  HOME_NET: \"[172.16.0.0/12]\"\nvars:\n  address-groups: *g\n",
			map[string]string{"HOME_NET": "[172.16.0.0/12]"}},
		{"no vars", "%YAML 1.1\n---\noutputs: []\n", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseYAMLVars(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("vars (-want +got):\n%s", d)
			}
		})
	}
	// The folded HOME_NET is a valid expression.
	got, _ := ParseYAMLVars(strings.NewReader(tests[3].in))
	if _, err := Parse(got["HOME_NET"], got); err != nil {
		t.Errorf("folded HOME_NET: %v", err)
	}
}

// TestRealSuricataYAML reads Suricata 7.0.17's shipped suricata.yaml.
func TestRealSuricataYAML(t *testing.T) {
	p := sharedtest.Path(t, "suricata-7.0.17", "etc", "suricata.yaml")
	s, err := NewSet(Options{SuricataYAML: p})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars, err := ParseYAMLVars(f)
	if err != nil {
		t.Fatal(err)
	}
	if vars["HOME_NET"] != "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" || vars["EXTERNAL_NET"] != "!$HOME_NET" || len(vars) < 10 {
		t.Errorf("vars = %v", vars)
	}
	if !s.Contains(netip.MustParseAddr("10.9.8.7")) || s.Contains(netip.MustParseAddr("8.8.8.8")) {
		t.Error("HOME_NET of the real file not applied")
	}
}
