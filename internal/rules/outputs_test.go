package rules

import "testing"

// The default suricata.yaml is read only when it exists, 'none' turns it
// off, and the check goes through the injected stat (tests never look at
// the host's /etc/suricata).
func TestSuricataConfDefault(t *testing.T) {
	tests := []struct {
		flag   string
		exists bool
		want   string
	}{
		{"", true, DefaultSuricataConf},
		{"", false, ""},
		{"none", true, ""},
		{"/tmp/x.yaml", true, "/tmp/x.yaml"},
		{"/tmp/x.yaml", false, "/tmp/x.yaml"},
	}
	for _, tc := range tests {
		var asked []string
		got := OutputsFlags{SuricataConf: tc.flag}.config(func(p string) bool {
			asked = append(asked, p)
			return tc.exists
		})
		if got.SuricataConf != tc.want {
			t.Errorf("flag %q exists %v: SuricataConf = %q, want %q", tc.flag, tc.exists, got.SuricataConf, tc.want)
		}
		for _, p := range asked {
			if p != DefaultSuricataConf {
				t.Errorf("stat of %q", p)
			}
		}
	}
}

func TestVarNames(t *testing.T) {
	tests := map[string][]string{
		"$HOME_NET":                            {"HOME_NET"},
		"[$HOME_NET,!$DNS_SERVERS,10.0.0.0/8]": {"HOME_NET", "DNS_SERVERS"},
		"any":                                  nil,
		"$":                                    nil,
		"[$HTTP_PORTS,8080]":                   {"HTTP_PORTS"},
	}
	for in, want := range tests {
		got := varNames(in)
		if len(got) != len(want) {
			t.Errorf("varNames(%q) = %v, want %v", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("varNames(%q) = %v, want %v", in, got, want)
			}
		}
	}
}
