package printable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ET SCAN Nmap", "ET SCAN Nmap"},
		{"Grüße 日本", "Grüße 日本"},
		{"a\x1b[31mred", `a\x1b[31mred`},
		{"line\r\nbreak", `line\r\nbreak`},
		{"\u202egnp.exe", `\u202egnp.exe`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"ltr\u200emark", `ltr\u200emark`},
		{"arabic\u061cmark", `arabic\u061cmark`},
		{"\ufeffbom", `\ufeffbom`},
		{"c1\u0085", `c1\u0085`},
		{"sep\u2028", `sep\u2028`},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"line1\r\nBcc: x@evil", `line1\r\nBcc: x@evil`},
		{"tab\there", `tab\there`},
		{"bell\a del\x7f", `bell\a del\x7f`},
		{"", ""},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("a\x1b\u202e\u200b\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if NeedsEscape(r) {
				t.Fatalf("%U survives in %q", r, out)
			}
		}
		if String(out) != out && !strings.Contains(s, "\\") {
			// Escaping is idempotent: an escaped string has nothing left to escape.
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, String(out))
		}
	})
}
