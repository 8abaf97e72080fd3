package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/suricron/suricron/internal/sharedtest"
)

// TestSharedScripts runs the scripts that need the real data of
// ../shared/testdata (ET Open tarballs, Suricata 7.0.17's suricata.yaml),
// found as $SHARED; they skip without it (fail under
// SURICRON_REQUIRE_SHARED=1).
func TestSharedScripts(t *testing.T) {
	shared := sharedtest.Dir(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/shared",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SHARED", shared)
			// The host's suricata.yaml and dist rules must not change results.
			env.Setenv("SURICRON_SURICATA_CONF", "none")
			env.Setenv("SURICRON_SURICATA_RULES_DIR", "none")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mktar": mktar,
			"exits": exits,
		},
	})
}

// The real ET Open tarball plus a rules file whose rules need a dataset
// file, a lua script and a filemd5 list shipped in the tarball, one whose
// dataset file is missing and one naming ../ : the files present are
// installed beside suricata.rules under the names the rules use, the
// missing one and the escaping one are warned about and nothing lands
// outside the output dir.
func TestDependencyFiles(t *testing.T) {
	et, err := os.ReadFile(sharedtest.Path(t, "et-open", "emerging.rules.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(et))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	add := func(name, content string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	add("rules/local-deps.rules", `alert dns any any -> any any (msg:"T dataset"; dns.query; dataset:isset,bad-domains,type string,load lists/bad-domains.lst; sid:9100001; rev:1;)
alert http any any -> any any (msg:"T lua"; lua:check.lua; sid:9100002; rev:1;)
alert http any any -> any any (msg:"T md5"; filemd5:!hashes.md5; sid:9100003; rev:1;)
alert dns any any -> any any (msg:"T missing"; dns.query; dataset:isset,gone,type string,load gone.lst; sid:9100004; rev:1;)
alert dns any any -> any any (msg:"T escape"; dns.query; dataset:isset,esc,type string,load ../../escape.lst; sid:9100005; rev:1;)
# alert http any any -> any any (msg:"T disabled needs nothing"; lua:off.lua; sid:9100006; rev:1;)
`)
	add("rules/lists/bad-domains.lst", "ZXZpbC5leGFtcGxl\n")
	add("rules/check.lua", "function init(args) return {} end\n")
	add("rules/hashes.md5", "d41d8cd98f00b204e9800998ecf8427e\n")
	add("rules/off.lua", "-- not needed\n")
	add("escape.lst", "never copied\n")
	tw.Close()
	zw.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "et-deps.tar.gz")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "a", "b", "out")
	cmd := exec.Command(filepath.Join(binDir, "rules-update"), "-c", os.DevNull, "--url", "file://"+src, "--suricata-conf", "none",
		"--state-dir", filepath.Join(dir, "state"), "--output", filepath.Join(out, "suricata.rules"))
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	for name, want := range map[string]string{
		"lists/bad-domains.lst": "ZXZpbC5leGFtcGxl\n",
		"check.lua":             "function init(args) return {} end\n",
		"hashes.md5":            "d41d8cd98f00b204e9800998ecf8427e\n",
	} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	for _, p := range []string{filepath.Join(out, "off.lua"), filepath.Join(out, "gone.lst"), filepath.Join(dir, "a", "escape.lst"), filepath.Join(dir, "escape.lst")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	for _, want := range []string{"file a rule needs is not in the archive", "gone.lst", "1:9100004",
		"rule names a file outside its rules directory; not copied", "1:9100005"} {
		if !strings.Contains(string(res), want) {
			t.Errorf("output lacks %q:\n%.2000s", want, res)
		}
	}
}
