package mail

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultFrom(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ path, want string }{
		{file("ok", "mail.example.org\n"), "suricron@mail.example.org"},
		{file("nonl", "  mx.example.net  "), "suricron@mx.example.net"},
		{file("empty", ""), "suricron@sensor1"},
		{file("junk", "a b@c\n"), "suricron@sensor1"},
		{file("dots", "example..org\n"), "suricron@sensor1"},
		{filepath.Join(dir, "absent"), "suricron@sensor1"},
	} {
		if got := DefaultFrom(tc.path, "sensor1"); got != tc.want {
			t.Errorf("DefaultFrom(%s) = %q, want %q", filepath.Base(tc.path), got, tc.want)
		}
	}
}
