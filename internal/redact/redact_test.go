package redact

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	s := New("s3cr3t-token")
	s.Add("0123456789abcdef", "<oinkcode>")
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"got s3cr3t-token back", "got [redacted] back"},
		{"Authorization: Bearer s3cr3t-token", "Authorization: Bearer [redacted]"},
		{"Authorization: Bearer other-value", "Authorization: Bearer [redacted]"},
		{`{"authorization":"Basic dXNlcjpwYXNz"}`, `{"authorization":"Basic [redacted]"}`},
		{"https://rules/0123456789abcdef/x.tar.gz", "https://rules/<oinkcode>/x.tar.gz"},
		{"smtp://bob:hunter2@mail:25", "smtp://bob:[redacted]@mail:25"},
		{"echo czNjcjN0LXRva2Vu", "echo [redacted]"}, // base64 of the token
		{"GET /x?token=abc&y=1", "GET /x?token=[redacted]&y=1"},
	} {
		if got := s.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var nilSet *Secrets
	if got := nilSet.String("Authorization: Bearer abc"); strings.Contains(got, "abc") {
		t.Errorf("nil set kept the header value: %q", got)
	}
}

func TestErrorKeepsChain(t *testing.T) {
	s := New("tok")
	err := s.Error(fmt.Errorf("server said tok: %w", io.ErrUnexpectedEOF))
	if strings.Contains(err.Error(), "tok:") || !errors.Is(err, io.ErrUnexpectedEOF) || !IsScrubbed(err) {
		t.Fatalf("got %v (is EOF %v)", err, errors.Is(err, io.ErrUnexpectedEOF))
	}
	plain := errors.New("nothing secret")
	if s.Error(plain) != plain || s.Error(nil) != nil {
		t.Fatal("clean errors must be returned unchanged")
	}
}

func FuzzString(f *testing.F) {
	f.Add("secret", "x secret y Authorization: Bearer secret")
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < 4 || strings.Contains("[redacted]", secret) {
			return
		}
		out := New(secret).String(text)
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q survives in %q", secret, out)
		}
	})
}
