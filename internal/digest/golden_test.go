package digest

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenRealAlerts renders the digests of real alert samples with a
// fixed clock and host name and compares the header block and the decoded
// text and HTML parts with testdata/golden/.
func TestGoldenRealAlerts(t *testing.T) {
	for _, name := range []string{"frankhassanabad/wrccdc-2018-alerts.ndjson", "frankhassanabad/wrccdc-2017-alerts.ndjson",
		"frankhassanabad/first-org-conf-2015-alerts.ndjson", "frankhassanabad/honeypot-2018-alerts.ndjson", "josevnz/eve-2.json"} {
		dir, file := filepath.Split(name)
		name := strings.TrimSuffix(strings.TrimSuffix(file, ".ndjson"), ".json")
		t.Run(name, func(t *testing.T) {
			src := sharedtest.Path(t, "eve", filepath.Clean(dir), file)
			e := newEnv(t)
			cfg := e.config()
			cfg.Eve = src
			cfg.Start = checkpoint.StartBeginning
			cfg.DryRun = true
			cfg.MaxGroups = 25
			cfg.LinkTemplate = "https://evebox.example/#/events?q=flow_id:{flow_id}&minTs={from_ms}&maxTs={to_ms}"
			res, err := e.run(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			raw := e.stdout.String()
			p, err := mailtest.ParseMessage([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			// The batch id hashes the file's path, which differs between
			// checkouts; everything else is fixed by the injected deps.
			norm := func(s string) string { return strings.ReplaceAll(s, res.BatchID, "BATCH") }
			head := raw[:strings.Index(raw, "\r\n\r\n")+2]
			for ext, got := range map[string]string{".headers": norm(head), ".txt": norm(p.Text), ".html": norm(p.HTML)} {
				golden(t, filepath.Join("testdata", "golden", name+ext), got)
			}
			// Independent check of the numbers against the source file.
			data, _ := os.ReadFile(src)
			n := alertRe.FindAllIndex(data, -1)
			if res.Alerts != int64(len(n)) {
				t.Errorf("digest has %d alerts, the file %d", res.Alerts, len(n))
			}
			checkText(t, p.Text)
			if len(p.HTML) >= 100_000 {
				t.Errorf("HTML part is %d bytes, want < 100 KB", len(p.HTML))
			}
			// No alert's signature is absent: every sid of the file is in
			// a section or in the list of others, and the counts add up.
			sids := map[string]bool{}
			for _, m := range sidRe.FindAllSubmatch(data, -1) {
				sids[string(m[1])] = true
			}
			listed := listedSIDs(p.Text)
			var sum int64
			for sid, c := range listed {
				sum += c
				if !sids[sid] {
					t.Errorf("sid %s listed but not in the file", sid)
				}
			}
			for sid := range sids {
				if _, ok := listed[sid]; !ok {
					t.Errorf("sid %s of the file is not named in the text part", sid)
				}
			}
			if sum != res.Alerts {
				t.Errorf("listed signature counts sum to %d, want %d", sum, res.Alerts)
			}
		})
	}
}

var (
	alertRe = regexp.MustCompile(`"event_type": ?"alert"`)
	sidRe   = regexp.MustCompile(`"signature_id": ?(\d+)`)
	// otherRow is a row of the others list: "count  gid:sid  signature".
	otherRow = regexp.MustCompile(`^ +([\d,]+)  \d+:(\d+) +\S`)
)

// checkText asserts the text part's layout promise: no line wider than 78
// columns.
func checkText(t *testing.T, text string) {
	t.Helper()
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if w := runewidth.StringWidth(line); w > 78 {
			t.Errorf("text line %d is %d columns wide: %q", i+1, w, line)
		}
	}
}

// listedSIDs returns sid -> count for every signature named in a section
// or in the others list (not the summary's top list).
func listedSIDs(text string) map[string]int64 {
	out := map[string]int64{}
	inOthers := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if m := sectionHead.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(strings.ReplaceAll(m[4], ",", ""), 10, 64)
			out[m[3]] += n
			continue
		}
		if strings.HasPrefix(line, "Other signatures (beyond") {
			inOthers = true
			continue
		}
		if line == "-- " {
			inOthers = false
		}
		if m := otherRow.FindStringSubmatch(line); inOthers && m != nil {
			n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
			out[m[2]] += n
		}
	}
	return out
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}
