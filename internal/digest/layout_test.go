package digest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/internal/sharedtest"
)

// chromium returns Debian's chromium, or skips (fails under
// SURICRON_REQUIRE_TOOLS=1, as .ci/run sets it after installing it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(sharedtest.RequireToolsEnv) == "1" {
		t.Fatalf("chromium not installed (%s=1)", sharedtest.RequireToolsEnv)
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// metricsScript writes the page's layout widths into the DOM once it has
// loaded, for --dump-dom to show.
const metricsScript = `<script>window.addEventListener("load",function(){var d=document.createElement("pre");` +
	`d.id="suricron-metrics";d.textContent="scrollWidth="+document.documentElement.scrollWidth+" innerWidth="+window.innerWidth;` +
	`document.body.appendChild(d);});</script>`

var metricsRe = regexp.MustCompile(`scrollWidth=(\d+) innerWidth=(\d+)`)

// layoutAt600 renders html in headless Chromium at 600 px and returns the
// document's scroll width and the viewport width; it keeps a screenshot in
// dir.
func layoutAt600(t *testing.T, bin, html, dir, name string) (scroll, inner int) {
	t.Helper()
	page := filepath.Join(dir, name+".html")
	if err := os.WriteFile(page, []byte(strings.Replace(html, "</body>", metricsScript+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + filepath.Join(dir, "profile-"+name), "--window-size=600,1200"}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := metricsRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no layout metrics in chromium's DOM dump (%d bytes)", len(out))
	}
	scroll, _ = strconv.Atoi(string(m[1]))
	inner, _ = strconv.Atoi(string(m[2]))
	shot := filepath.Join(dir, name+".png")
	if err := exec.CommandContext(ctx, bin, append(common, "--screenshot="+shot, "file://"+page)...).Run(); err != nil {
		t.Fatalf("chromium --screenshot: %v", err)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("%s: scrollWidth %d at a %d px window; screenshot %s", name, scroll, inner, shot)
	return scroll, inner
}

// Issue 16: the HTML part is readable at 600 px (Gmail, Outlook) without
// horizontal scrolling, for real alerts and for hostile ones (long words,
// IPv6 pairs, long context values), in a real browser.
func TestHTMLLayout600px(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	pages := map[string]string{}

	e := newEnv(t)
	cfg := e.config()
	cfg.Eve = sharedtest.Path(t, "eve", "frankhassanabad", "wrccdc-2018-alerts.ndjson")
	cfg.Start = checkpoint.StartBeginning
	cfg.DryRun = true
	cfg.LinkTemplate = "https://evebox.example/#/events?q=flow_id:{flow_id}&minTs={from_ms}&maxTs={to_ms}"
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(e.stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	pages["real"] = p.HTML

	h := newEnv(t)
	long := strings.Repeat("A", 300)
	var lines [][]byte
	for i := 0; i < 30; i++ {
		l := alert{sid: int64(500 + i), sev: 1 + i%3, sig: fmt.Sprintf("ET HOSTILE %d %s", i, long), cat: long,
			src: fmt.Sprintf("2001:db8:aaaa:bbbb:cccc:dddd:eeee:%x", i), dst: "2001:db8:1111:2222:3333:4444:5555:6666", dport: 65535}.line(t)
		l = []byte(strings.Replace(string(l), `"proto":"TCP"`, `"proto":"TCP","app_proto":"http","http":{"hostname":"`+long+`","url":"/`+long+`"}`, 1))
		lines = append(lines, l)
	}
	appendLines(t, h.eve, lines...)
	hcfg := h.config()
	hcfg.DryRun = true
	hcfg.MaxGroups = 10
	if _, err := h.run(t, hcfg); err != nil {
		t.Fatal(err)
	}
	if p, err = mailtest.ParseMessage(h.stdout.Bytes()); err != nil {
		t.Fatal(err)
	}
	pages["hostile"] = p.HTML

	for name, html := range pages {
		scroll, inner := layoutAt600(t, bin, html, dir, name)
		if inner != 600 {
			t.Errorf("%s: viewport %d px, want 600 (window size not applied)", name, inner)
		}
		if scroll > inner {
			t.Errorf("%s: horizontal overflow at 600 px: scrollWidth %d > %d", name, scroll, inner)
		}
	}
}
