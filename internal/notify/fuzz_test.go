package notify

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzPayload: whatever a signature, host name or URL holds, every format
// stays valid JSON of the same shape and no text object carries markup.
func FuzzPayload(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h)
	}
	f.Add("\xff\xfe", "]]>")
	f.Fuzz(func(t *testing.T, sig, detail string) {
		d := &Digest{Batch: "b1", Title: sig, Alerts: 1, Signatures: 1, Summary: []string{detail},
			Items: []Item{{SID: 1, Signature: sig, Count: 1, Lines: []string{detail}}}, Notes: []string{sig}, JSON: []byte(`{}`)}
		for _, fm := range []Format{Slack, Mattermost, Teams} {
			b, err := Payload(fm, d)
			if err != nil {
				t.Fatalf("%s: %v", fm, err)
			}
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: not JSON: %v", fm, err)
			}
			switch fm {
			case Slack:
				var m struct {
					Blocks []struct {
						Type     string
						Text     *struct{ Type, Text string }
						Elements []struct{ Text string }
					}
				}
				json.Unmarshal(b, &m)
				for _, bl := range m.Blocks {
					if bl.Type == "section" {
						mrkdwnSafe(t, bl.Text.Text)
					}
					for _, e := range bl.Elements {
						mrkdwnSafe(t, e.Text)
					}
				}
			case Mattermost:
				markdownSafe(t, v["text"].(string))
			case Teams:
				if !strings.Contains(string(b), `"type":"AdaptiveCard"`) {
					t.Fatal("no card")
				}
			}
		}
	})
}
