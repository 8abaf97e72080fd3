package reliability

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// hostileAlerts carry, in the fields that reach mail, text and HTML:
// header injection (CR/LF), markup and script, terminal escapes, invalid
// UTF-8 and numbers beyond 64 bits.
var hostileAlerts = strings.Join([]string{
	`{"timestamp":"2026-01-05T10:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"192.0.2.1","dest_port":80,"proto":"TCP","alert":{"gid":1,"signature_id":9000001,"rev":1,"signature":"CRLF\r\nBcc: victim@example.com\r\nX-Injected: yes","category":"a\r\nSubject: owned","severity":1}}`,
	`{"timestamp":"2026-01-05T10:00:01.000000+0000","flow_id":2,"event_type":"alert","src_ip":"10.0.0.2","src_port":2,"dest_ip":"192.0.2.2","dest_port":80,"proto":"TCP","alert":{"gid":1,"signature_id":9000002,"rev":1,"signature":"<script>alert(1)</script><img src=x onerror=alert(2)>","category":"</td></tr><iframe src=//evil>","severity":1}}`,
	"{\"timestamp\":\"2026-01-05T10:00:02.000000+0000\",\"flow_id\":3,\"event_type\":\"alert\",\"src_ip\":\"10.0.0.3\",\"src_port\":3,\"dest_ip\":\"192.0.2.3\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"gid\":1,\"signature_id\":9000003,\"rev\":1,\"signature\":\"ESC \\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m raw \x1b[31m\",\"category\":\"x\",\"severity\":2}}",
	"{\"timestamp\":\"2026-01-05T10:00:03.000000+0000\",\"flow_id\":4,\"event_type\":\"alert\",\"src_ip\":\"10.0.0.4\",\"src_port\":4,\"dest_ip\":\"192.0.2.4\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"gid\":1,\"signature_id\":9000004,\"rev\":1,\"signature\":\"bad utf8 \xff\xfe\xc3\x28 end\",\"category\":\"\xed\xa0\x80\",\"severity\":2}}",
	`{"timestamp":"2026-01-05T10:00:04.000000+0000","flow_id":99999999999999999999999,"event_type":"alert","src_ip":"10.0.0.5","src_port":18446744073709551617,"dest_ip":"192.0.2.5","dest_port":-1,"proto":"TCP","alert":{"gid":1,"signature_id":9223372036854775808,"rev":1,"signature":"overflow","category":"x","severity":99999999999999999999}}`,
	`{"timestamp":"2026-01-05T10:00:05.000000+0000","flow_id":6,"event_type":"alert","src_ip":"10.0.0.6\" onmouseover=\"alert(1)","src_port":6,"dest_ip":"javascript:alert(1)//","dest_port":80,"proto":"TCP","alert":{"gid":1,"signature_id":9000006,"rev":1,"signature":"hostile addresses","category":"x","severity":3}}`,
}, "\n") + "\n"

// TestHostileEveRecords: the hostile records give a mail whose headers are
// only ours, whose HTML escapes the markup, whose text has no terminal
// control bytes; weekly-report's text and HTML the same; dump-data valid
// JSON. Nothing crashes on the overflowing numbers.
func TestHostileEveRecords(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	writeFile(t, eve, hostileAlerts, 0o644)
	conf := emptyConfig(t, dir)
	env := cleanEnv(t)

	r := run(t, env, "alert-digest", "-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "s"), "--start", "beginning",
		"--dry-run", "--link-template", "https://evebox.example/flow?id={flow_id}&src={src}&dst={dst}&from={from}").want(t, 0, "digest dry run")
	msg := r.stdout
	hdr, _, _ := strings.Cut(strings.ReplaceAll(msg, "\r\n", "\n"), "\n\n")
	for _, bad := range []string{"\nBcc:", "\nX-Injected:", "\nSubject: owned", "victim@example.com"} {
		if strings.Contains("\n"+hdr, bad) {
			t.Errorf("mail header injected %q:\n%s", bad, hdr)
		}
	}
	p, err := mailtest.ParseMessage([]byte(msg))
	if err != nil {
		t.Fatalf("the digest does not parse: %v", err)
	}
	if len(p.Header["Bcc"]) > 0 || len(p.Header["X-Injected"]) > 0 {
		t.Errorf("injected headers parsed: %v", p.Header)
	}
	for _, bad := range []string{"<script", "<img", "<iframe", `" onmouseover`, `href="javascript:`} {
		if strings.Contains(strings.ToLower(p.HTML), strings.ToLower(bad)) {
			t.Errorf("HTML part carries %q unescaped", bad)
		}
	}
	if !strings.Contains(p.HTML, "&lt;script&gt;") {
		t.Errorf("HTML part lost the (escaped) hostile signature")
	}
	noControl(t, "digest text part", p.Text)
	noControl(t, "digest message", msg)

	for _, format := range []string{"text", "html", "markdown", "json"} {
		r := run(t, env, "weekly-report", "-c", conf, "--files", eve, "--since", "2026-01-01", "--until", "2026-01-12", "--format", format).
			want(t, 0, "weekly-report "+format)
		noControl(t, "weekly-report "+format, r.stdout)
		if format == "html" {
			// The two charts are the only images (data: PNGs since
			// --format html embeds them); any other <img came from eve.
			html := strings.ReplaceAll(r.stdout, `<img src="data:image/png;base64,`, "")
			for _, bad := range []string{"<script", "<img", "<iframe"} {
				if strings.Contains(strings.ToLower(html), bad) {
					t.Errorf("weekly-report html carries %q unescaped", bad)
				}
			}
		}
		if format == "json" && !json.Valid([]byte(r.stdout)) {
			t.Errorf("weekly-report json is not valid JSON")
		}
	}

	r = run(t, env, "dump-data", "-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "s"), "--start", "beginning",
		"--all-alerts", "--no-interfaces", "-p").want(t, 0, "dump-data -p")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l != "" && !json.Valid([]byte(l)) {
			t.Errorf("dump-data printed invalid JSON: %.200q", l)
		}
	}
	noControl(t, "dump-data", r.stdout)

	// A link template that is not an http(s) URL is refused up front.
	run(t, env, "alert-digest", "-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "s"), "--dry-run",
		"--link-template", "javascript:alert({src})").want(t, 2, "javascript: link template")
}

// noControl fails on terminal control bytes (ESC, BEL, C1 CSI) in output
// meant for a terminal or a mail reader.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\x9b"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s contains the control sequence byte %q", what, bad)
		}
	}
}

// tarGz builds a rules tarball from headers and bodies.
func tarGz(t *testing.T, members ...tarMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		h := m.h
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(m.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if m.body != "" {
			tw.Write([]byte(m.body))
		}
	}
	tw.Flush() // a member that claims more than it holds stays short on purpose
	zw.Close()
	return buf.Bytes()
}

type tarMember struct {
	h    tar.Header
	body string
}

// TestHostileTarballs runs rules-update on tarballs that try to escape the
// unpack, link outside, create devices or claim huge sizes: each is refused
// with exit 65, the installed rules stay byte-identical, and nothing appears
// outside. (Decompression bombs: internal/rules/archive TestBomb.)
func TestHostileTarballs(t *testing.T) {
	dir := t.TempDir()
	conf := emptyConfig(t, dir)
	env := cleanEnv(t)
	out := filepath.Join(dir, "rules", "suricata.rules")
	good := `alert tcp any any -> any any (msg:"ok"; sid:1; rev:1;)` + "\n"
	reg := func(name, body string) tarMember {
		return tarMember{h: tar.Header{Name: name, Typeflag: tar.TypeReg}, body: body}
	}
	args := func(url string) []string {
		return []string{"-c", conf, "--url", url, "--state-dir", filepath.Join(dir, "state"), "--output", out, "--min-rules", "1"}
	}
	src := filepath.Join(dir, "good.tar.gz")
	writeFile(t, src, string(tarGz(t, reg("rules/a.rules", good))), 0o644)
	run(t, env, "rules-update", args("file://"+src)...).want(t, 0, "install good rules")
	installed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]tarMember{
		"dot-dot":       {reg("rules/a.rules", good), reg("rules/../../escape.rules", good)},
		"absolute path": {reg("rules/a.rules", good), reg(filepath.Join(dir, "abs.rules"), good)},
		"symlink":       {{h: tar.Header{Name: "rules/a.rules", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}}},
		"hard link":     {reg("rules/b.rules", good), {h: tar.Header{Name: "rules/a.rules", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}}},
		"char device":   {reg("rules/a.rules", good), {h: tar.Header{Name: "rules/tty", Typeflag: tar.TypeChar, Devmajor: 5}}},
		"block device":  {reg("rules/a.rules", good), {h: tar.Header{Name: "rules/sda", Typeflag: tar.TypeBlock, Devmajor: 8}}},
		"huge size":     {{h: tar.Header{Name: "rules/a.rules", Typeflag: tar.TypeReg, Size: 1 << 40}, body: good}},
	}
	for name, ms := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".tar.gz")
			writeFile(t, p, string(tarGz(t, ms...)), 0o644)
			r := run(t, env, "rules-update", append(args("file://"+p), "--force")...).want(t, 65, name)
			if r.stderr == "" {
				t.Error("refused without a message")
			}
			if b, _ := os.ReadFile(out); !bytes.Equal(b, installed) {
				t.Error("the installed rules changed")
			}
			for _, escaped := range []string{filepath.Join(dir, "escape.rules"), filepath.Join(dir, "..", "escape.rules"), filepath.Join(dir, "abs.rules")} {
				if _, err := os.Stat(escaped); err == nil {
					t.Errorf("%s was written outside the unpack", escaped)
				}
			}
		})
	}
}
