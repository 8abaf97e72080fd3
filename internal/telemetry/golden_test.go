package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// TestGoldenRealAlerts masks every alert of real sensor logs with a fixed
// local set (the sample networks' own ranges, no host interfaces) and
// compares with testdata/golden.
func TestGoldenRealAlerts(t *testing.T) {
	cases := []struct {
		name    string
		file    []string
		homeNet string
		ifaces  []string
	}{
		{"josevnz-eve-2", []string{"eve", "josevnz", "eve-2.json"}, "[10.2.8.0/24]", nil},
		{"honeypot-2018", []string{"eve", "frankhassanabad", "honeypot-2018-alerts.ndjson"}, "[10.0.0.0/8]", []string{"138.68.3.0/24"}},
		{"wrccdc-2018", []string{"eve", "frankhassanabad", "wrccdc-2018-alerts.ndjson"}, "[10.47.0.0/16]", nil},
		{"josevnz-payload", []string{"eve", "josevnz", "eve_payload.json"}, "[10.0.0.0/8,192.168.0.0/16]", nil},
		{"first-org-2015", []string{"eve", "frankhassanabad", "first-org-conf-2015-alerts.ndjson"}, "[192.168.0.0/16,10.0.0.0/8]", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := sharedtest.Path(t, c.file...)
			var ifs []netip.Prefix
			for _, s := range c.ifaces {
				ifs = append(ifs, netip.MustParsePrefix(s))
			}
			local, err := homenet.NewSet(homenet.Options{HomeNet: c.homeNet, Interfaces: ifs})
			if err != nil {
				t.Fatal(err)
			}
			enc := Encoder{Local: local}
			sel := Selector{All: true}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			n := 0
			for sc.Scan() {
				if !sel.Select(sc.Bytes()) {
					continue
				}
				out, err := enc.Append(nil, sc.Bytes())
				if err != nil {
					t.Fatalf("line %d: %v", n, err)
				}
				if !json.Valid(out) {
					t.Fatalf("invalid output %s", out)
				}
				if leak := findLocal(out, local); leak != "" {
					t.Fatalf("local %s leaked in %s", leak, out)
				}
				got.Write(out)
				got.WriteByte('\n')
				n++
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("no alerts selected from the sample")
			}
			golden := filepath.Join("testdata", "golden", c.name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from %d-alert output; run with -update after checking the diff", golden, n)
			}
		})
	}
}
