package eve

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"plain / text", `"plain / text"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1b[31m", `"\u0000\u001b[31m"`},
		{"<script>&", `"<script>&"`},
		{"héllo ✓", `"héllo ✓"`},
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"cut \xe2\x9c", `"cut \ufffd\ufffd"`},
	}
	for _, tc := range cases {
		if got := string(AppendString([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzAppendString: the output is always one valid JSON string that
// decodes to the input (invalid UTF-8 replaced by U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\x1f\x7f", "héllo", "\xff\xfe", "\xe2\x9c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: not JSON: %v", s, out, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); !utf8.ValidString(s) {
			// Each invalid byte is its own U+FFFD; ToValidUTF8 merges runs.
			if strings.ReplaceAll(back, "\ufffd", "") != strings.ReplaceAll(want, "\ufffd", "") {
				t.Fatalf("%q decodes to %q", s, back)
			}
		} else if back != s {
			t.Fatalf("%q decodes to %q", s, back)
		}
	})
}
