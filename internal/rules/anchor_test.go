package rules

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/sharedtest"
)

// anchorDisableConf is the disable.conf of rules.md §4.1, with which
// suricata-update 1.2.7 disabled 125 rules and kept 24,832 enabled.
const anchorDisableConf = `2013028
1:2012648
re:heartbleed
group:emerging-games.rules
group:emerging-p2p
metadata: deployment perimeter-no-such
`

func loadShared(t testing.TB, name string) []sourceFiles {
	t.Helper()
	p := sharedtest.Path(t, "et-open", name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := archive.Read(f, archive.DefaultLimits(), keepMember)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return []sourceFiles{{name: name, files: a.Files}}
}

// TestAnchorCounts checks the counts suricata-update produced on the same
// tarballs and config (rules.md §4.2).
func TestAnchorCounts(t *testing.T) {
	disable, err := policy.ParseMatchConf("disable.conf", anchorDisableConf)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                                string
		tarball                             string
		pol                                 *policy.Policy
		loaded, total, enabled, flow, disab int
	}{
		{"et-open 2024 no policy", "emerging.rules.tar.gz", &policy.Policy{}, 31406, 31406, 24957, 130, 0},
		{"et-open 2024 disable.conf", "emerging.rules.tar.gz", &policy.Policy{Disable: disable}, 31406, 31406, 24832, 130, 125},
		{"et-open 2017 complete", "emerging-2017.rules.tar.gz", &policy.Policy{}, 21695, 21695, 19596, 40, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := buildRuleset(loadShared(t, tc.tarball), []string{"*deleted.rules"}, tc.pol, nil)
			if err != nil {
				t.Fatal(err)
			}
			en, _ := countEnabled(rs.set)
			got := [5]int{rs.loaded, rs.set.Len(), en, rs.stats.Flowbits, rs.stats.Disabled}
			want := [5]int{tc.loaded, tc.total, tc.enabled, tc.flow, tc.disab}
			if got != want {
				t.Errorf("loaded,total,enabled,flowbits,disabled = %v, want %v", got, want)
			}
			for _, w := range rs.warnings {
				t.Logf("warning: %v", w)
			}
		})
	}
}

// TestMatchesSuricataUpdate runs Debian's suricata-update (when installed)
// on the same tarball and policy files and requires a byte-identical
// suricata.rules.
func TestMatchesSuricataUpdate(t *testing.T) {
	bin, err := exec.LookPath("suricata-update")
	if err != nil {
		if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
			t.Fatal("suricata-update not installed (SURICRON_REQUIRE_TOOLS=1; .ci/run installs it)")
		}
		t.Skip("suricata-update not installed")
	}
	fixture := filepath.Join(t.TempDir(), "fixture.tar.gz")
	if err := os.WriteFile(fixture, tarGz(t, dirFiles(t, "testdata/v1")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tarball func(t *testing.T) string
		confs   map[string]string // flag name -> content
		// yaml, when set, makes a copy of Suricata 7.0.17's suricata.yaml
		// edited by it for --suricata-conf.
		yaml func(t *testing.T, dir string) string
	}{
		{"et-open disable.conf", func(t *testing.T) string { return sharedtest.Path(t, "et-open", "emerging.rules.tar.gz") },
			map[string]string{"disable-conf": anchorDisableConf}, nil},
		{"fixture full policy", func(*testing.T) string { return fixture }, map[string]string{
			"disable-conf": "re:heartbleed\n2900004\n",
			"enable-conf":  "2900005\n",
			"drop-conf":    "group:emerging-scan\n",
			"modify-conf":  `2900101 "steam" "steamcommunity"` + "\n" + `modifysid 2900104 "(msg:\"FIXTURE) GAMES" | "${1} PLAY"` + "\n",
		}, nil},
		{"et-open suricata.yaml", func(t *testing.T) string { return sharedtest.Path(t, "et-open", "emerging.rules.tar.gz") },
			map[string]string{"disable-conf": anchorDisableConf, "enable-conf": "2027267\n"}, editedSuricataYAML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tarball := tc.tarball(t)
			dir := t.TempDir()
			write := func(name, content string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			args := []string{"-q", "-c", write("update.yaml", "ignore:\n  - \"*deleted.rules\"\n"), "-D", filepath.Join(dir, "data"),
				"-o", filepath.Join(dir, "out"), "--url", "file://" + tarball, "--no-test", "--no-reload", "--suricata-version", "7.0.0"}
			cfg := Config{URLs: []string{"file://" + tarball}, Output: filepath.Join(dir, "ours", "suricata.rules"),
				StateDir: filepath.Join(dir, "state"), MinRules: 1, MaxShrink: 50, Quiet: true}
			// The files beside the rules, from the same rules.
			thIn := write("threshold.in", anchorThresholdIn)
			args = append(args, "--threshold-in", thIn, "--threshold-out", filepath.Join(dir, "out", "threshold.config"),
				"--sid-msg-map", filepath.Join(dir, "out", "sid-msg.map"), "--sid-msg-map-2", filepath.Join(dir, "out", "sid-msg-v2.map"))
			cfg.ThresholdIn = thIn
			cfg.SIDMsgMap = filepath.Join(dir, "ours", "sid-msg.map")
			cfg.SIDMsgMap2 = filepath.Join(dir, "ours", "sid-msg-v2.map")
			if tc.yaml != nil {
				conf := tc.yaml(t, dir)
				args = append(args, "--suricata-conf", conf, "--suricata", fakeSuricata(t, dir))
				cfg.SuricataConf = conf
			}
			for flag, content := range tc.confs {
				p := write(flag, content)
				args = append(args, "--"+flag, p)
				switch flag {
				case "disable-conf":
					cfg.DisableConf = p
				case "enable-conf":
					cfg.EnableConf = p
				case "drop-conf":
					cfg.DropConf = p
				case "modify-conf":
					cfg.ModifyConf = p
				}
			}
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("suricata-update: %v\n%s", err, out)
			}
			want, err := os.ReadFile(filepath.Join(dir, "out", "suricata.rules"))
			if err != nil {
				t.Fatal(err)
			}
			if err := Run(t.Context(), cfg, Deps{}); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(cfg.Output)
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "suricata.rules", want, got)
			for _, f := range []string{"threshold.config", "sid-msg.map", "sid-msg-v2.map"} {
				want, err := os.ReadFile(filepath.Join(dir, "out", f))
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, "ours", f))
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 {
					t.Fatalf("suricata-update wrote an empty %s", f)
				}
				sameBytes(t, f, want, got)
			}
		})
	}
}

// anchorThresholdIn has each form of re: matcher suricata-update knows
// (quoted, up to a comma, to the end), plain lines, comments and a
// matcher that finds nothing.
const anchorThresholdIn = `# threshold.in for the anchor test

suppress gen_id 1, sig_id 2013028
suppress re:heartbleed
suppress re:"ET SCAN Nmap", track by_src, ip 10.0.0.0/8
threshold re:ET POLICY Spotify, type limit, track by_src, count 1, seconds 60
suppress re:no-rule-has-this-text-8f2c
  # indented comment
event_filter gen_id 1, sig_id 2000419, type limit, track by_src, count 1, seconds 60
`

// sameBytes fails with the first differing line.
func sameBytes(t *testing.T, name string, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			t.Fatalf("%s differs from suricata-update's at line %d:\nwant %s\ngot  %s", name, i+1, wl[i], gl[i])
		}
	}
	t.Fatalf("%s differs in length: %d lines vs %d", name, len(gl), len(wl))
}

// editedSuricataYAML copies Suricata 7.0.17's suricata.yaml into dir and
// turns off, as an operator would: smb (in the file), ftp (in an included
// file, with %YAML 1.1 header), ja3 fingerprints, and the SQL_SERVERS
// variable; smtp becomes detection-only (its rules stay). It returns the
// copy's path.
func editedSuricataYAML(t *testing.T, dir string) string {
	b, err := os.ReadFile(sharedtest.Path(t, "suricata-7.0.17", "etc", "suricata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, e := range [][2]string{
		{"    smb:\n      enabled: yes", "    smb:\n      enabled: no"},
		{"    smtp:\n      enabled: yes", "    smtp:\n      enabled: detection-only"},
		{"      #ja3-fingerprints: auto", "      ja3-fingerprints: no"},
		{"    SQL_SERVERS: \"$HOME_NET\"\n", ""},
		{"#include:\n#  - include1.yaml\n", "include:\n  - include1.yaml\n"},
	} {
		if !strings.Contains(s, e[0]) {
			t.Fatalf("suricata.yaml has no %q", e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	conf := filepath.Join(dir, "etc", "suricata.yaml")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	inc := "%YAML 1.1\n---\napp-layer:\n  protocols:\n    ftp:\n      enabled: no\n"
	if err := os.WriteFile(filepath.Join(dir, "etc", "include1.yaml"), []byte(inc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// testdata/fake-suricata stands in for the suricata binary, which this machine
// lacks and suricata-update needs to read suricata.yaml at all (it runs
// suricata --dump-config). It flattens the yaml with PyYAML (the library
// suricata-update itself uses; BaseLoader keeps every scalar as written,
// as Suricata does), following top-level include: files relative to the
// yaml: an independent reading to compare ours with.

func fakeSuricata(t *testing.T, dir string) string {
	p := filepath.Join(dir, "bin", "suricata")
	os.MkdirAll(filepath.Dir(p), 0o755)
	script, err := os.ReadFile("testdata/fake-suricata")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, script, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func BenchmarkBuildETOpen(b *testing.B) {
	p := sharedtest.Path(b, "et-open", "emerging.rules.tar.gz")
	body, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := archive.Read(bytes.NewReader(body), archive.DefaultLimits(), keepMember)
		if err != nil {
			b.Fatal(err)
		}
		rs, err := buildRuleset([]sourceFiles{{name: "et", files: a.Files}}, []string{"*deleted.rules"}, &policy.Policy{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		diffSets(nil, rs.set, rs.stats, "x")
	}
}

// BenchmarkRunCold measures a whole first install (fetch from file://,
// build, write, cache, state) in-process, without a policy and with the
// §4.1 disable.conf that bench/rules-update/run.sh uses.
func BenchmarkRunCold(b *testing.B) {
	p := sharedtest.Path(b, "et-open", "emerging.rules.tar.gz")
	conf := filepath.Join(b.TempDir(), "disable.conf")
	if err := os.WriteFile(conf, []byte(anchorDisableConf), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, disable := range []string{"", conf} {
		name := "nopolicy"
		if disable != "" {
			name = "disableconf"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				b.StartTimer()
				cfg := Config{URLs: []string{"file://" + p}, Output: filepath.Join(dir, "out", "suricata.rules"),
					StateDir: filepath.Join(dir, "state"), MinRules: 1000, MaxShrink: 50, Quiet: true, DisableConf: disable}
				if err := Run(b.Context(), cfg, Deps{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
