package digest

import "testing"

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ET SCAN Potential SSH Scan", "ET SCAN Potential SSH Scan"},
		{"Überwachung ü 日本", "Überwachung ü 日本"},
		{"a\x1b[31mred\x1b[0m", `a\x1b[31mred\x1b[0m`},
		{"line1\r\nBcc: x@evil", `line1\r\nBcc: x@evil`},
		{"tab\there", `tab\there`},
		{"bell\a del\x7f", `bell\a del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
