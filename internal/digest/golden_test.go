package digest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	for _, name := range []string{"wrccdc-2018-alerts", "wrccdc-2017-alerts", "first-org-conf-2015-alerts", "honeypot-2018-alerts"} {
		t.Run(name, func(t *testing.T) {
			src := sharedtest.Path(t, "eve", "frankhassanabad", name+".ndjson")
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
			n := strings.Count(string(data), `"event_type":"alert"`)
			if res.Alerts != int64(n) {
				t.Errorf("digest has %d alerts, the file %d", res.Alerts, n)
			}
		})
	}
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
