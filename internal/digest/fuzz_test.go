package digest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/suricron/suricron/internal/printable"
)

// FuzzTextWidth: whatever the signature, category and context text, every
// line of the text part is at most 78 columns and addresses appear whole.
func FuzzTextWidth(f *testing.F) {
	f.Add("ET SCAN Potential SSH Scan", "Attempted Information Leak", "example.com/index.html", "2001:db8::1")
	f.Add(strings.Repeat("x", 300), strings.Repeat("漢", 100), strings.Repeat("%41", 90), "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff")
	f.Add("a\u0301\u0301\u0301 b", "\x1b[2J", "\u202e", "10.0.0.1")
	f.Fuzz(func(t *testing.T, sig, cat, ctx, addr string) {
		clean := func(s string, n int) string { return truncate(printable.String(s), n) }
		if strings.ContainsAny(addr, " \t\r\n") || addr == "" || len(addr) > 45 {
			return // addresses come from netip.Addr.String: no spaces, at most 45 bytes
		}
		addr = printable.String(addr)
		t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		sc := SigCount{GID: 1, SID: 2001219, Rev: 3, Signature: clean(sig, maxSignatureRunes), Severity: 2, Count: 7, New: true, Fresh: true}
		d := &Document{Host: clean(ctx, 255), Batch: "0123456789abcdef0123456789abcdef", Start: t0, End: t0, Alerts: 8, Signatures: 2, Medium: 8,
			New: []SigCount{sc}, Fresh: []SigCount{sc}, Top: []SigCount{sc},
			Sections: []Section{{SigCount: sc, Category: clean(cat, maxSignatureRunes), Sources: 1, Destinations: 1,
				Pairs:   []Pair{{Src: addr, Dst: addr, DstPorts: []int{1, 22, 443, 8080, 65535, 3}, MorePorts: true, Count: 7}},
				Actions: map[string]int64{"allowed": 7}, FirstSeen: t0, LastSeen: t0,
				Context: []Context{{Field: "http", Value: clean(ctx, MaxContextRunes), Count: 7}},
				Link:    "https://evebox.example/" + clean(ctx, 40)}},
			Others: []SigCount{{GID: 1, SID: 9, Signature: clean(sig, maxSignatureRunes), Count: 1}},
			Notes:  []string{clean(cat, 500)},
		}
		text := d.textBody()
		for i, line := range strings.Split(text, "\n") {
			if w := runewidth.StringWidth(line); w > textWidth {
				t.Fatalf("line %d is %d columns: %q", i+1, w, line)
			}
		}
		if !strings.Contains(text, addr+" ->") {
			t.Fatalf("source address %q cut:\n%s", addr, text)
		}
		if _, err := d.htmlBody(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseGIDSID: the known-signatures and rules-report entries never
// yield a key that formats differently from what was parsed.
func FuzzParseGIDSID(f *testing.F) {
	for _, s := range []string{"1:2001219", "2001219", "0:1", "1:-5", "a:b", ":", "1:2:3", "99999999999999999999:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := parseGIDSID(s)
		if !ok {
			return
		}
		if k.GID <= 0 || k.SID <= 0 {
			t.Fatalf("%q parsed to %+v", s, k)
		}
		back, ok := parseGIDSID(fmt.Sprintf("%d:%d", k.GID, k.SID))
		if !ok || back != k {
			t.Fatalf("%q: %+v does not round-trip (%+v)", s, k, back)
		}
	})
}
