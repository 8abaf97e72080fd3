package digest

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLinkTemplate(t *testing.T) {
	zone := time.FixedZone("", -6*3600)
	g := &Group{
		GroupKey: GroupKey{SID: 2001219, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("10.0.0.5")},
		FlowID:   1 << 60, // above 2^53: must not pass through a float
		First:    time.Date(2018, 3, 24, 14, 37, 19, 37299000, zone),
		Last:     time.Date(2018, 3, 24, 15, 0, 0, 0, zone),
	}
	tests := []struct {
		name, tmpl, want string
	}{
		{"kibana rison in fragment",
			"https://kibana:5601/app/discover#/?_g=(time:(from:'{from}',to:'{to}'))&_a=(query:(language:kuery,query:'flow_id:{flow_id}'))",
			"https://kibana:5601/app/discover#/?_g=(time:(from:'2018-03-24T19%3A37%3A19.037Z',to:'2018-03-24T22%3A00%3A00.000Z'))&_a=(query:(language:kuery,query:'flow_id:1152921504606846976'))"},
		{"evebox query",
			"https://evebox.example/#/alerts?q=alert.signature_id:{sid}+src_ip:{src}+dest_ip:{dst}&minTs={from_ms}&maxTs={to_ms}",
			"https://evebox.example/#/alerts?q=alert.signature_id:2001219+src_ip:2001%3Adb8%3A%3A1+dest_ip:10.0.0.5&minTs=1521920239037&maxTs=1521928800000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lt, err := ParseLinkTemplate(tc.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got := lt.URL(g)
			if got != tc.want {
				t.Errorf("URL:\n got %s\nwant %s", got, tc.want)
			}
			if _, err := url.Parse(got); err != nil {
				t.Errorf("not a URL: %v", err)
			}
		})
	}
}

func TestLinkTemplateEscapesHostileValues(t *testing.T) {
	lt, err := ParseLinkTemplate("https://x.example/?a={src}&b={to}")
	if err != nil {
		t.Fatal(err)
	}
	// A zone in a time offset gives "+"; an IPv6 address gives ":".
	g := &Group{GroupKey: GroupKey{Src: netip.MustParseAddr("::1")},
		First: time.Unix(0, 0), Last: time.Unix(0, 0).In(time.FixedZone("", 3600))}
	got := lt.URL(g)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if v := u.Query().Get("a"); v != "::1" {
		t.Errorf("src decoded as %q", v)
	}
	if v := u.Query().Get("b"); v != "1970-01-01T01:00:00.000Z" {
		t.Errorf("to decoded as %q", v)
	}
}

func TestLinkTemplateErrors(t *testing.T) {
	for tmpl, want := range map[string]string{
		"https://x/{nope}":        "unknown placeholder {nope}",
		"https://x/{sid":          "unclosed '{'",
		"https://x/sid}":          "unmatched '}'",
		"javascript:alert({sid})": "http:// or https://",
		"/relative/{sid}":         "http:// or https://",
		"https://x/a b":           "control characters or spaces",
		"https://x/\n{sid}":       "control characters or spaces",
	} {
		_, err := ParseLinkTemplate(tmpl)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLinkTemplate(%q) = %v, want an error containing %q", tmpl, err, want)
		}
	}
}
