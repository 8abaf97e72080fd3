// Package redact removes secrets (tokens, oinkcodes, passwords) from text at
// every boundary where text leaves the process: error messages, log lines,
// state and status files, heartbeats, mail. It is a leaf package so every
// floor of the project can use the same scrubber.
package redact

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
)

// Secrets is a set of secret values, each with the placeholder that replaces
// it. The zero value and a nil *Secrets scrub only the generic forms
// (URL passwords, Authorization header values).
type Secrets struct {
	items []item
}

type item struct{ value, label string }

// New returns a set holding the given secrets, each replaced by "[redacted]".
// Empty values are ignored.
func New(values ...string) *Secrets {
	s := &Secrets{}
	for _, v := range values {
		s.Add(v, "[redacted]")
	}
	return s
}

// Add registers value, replaced by label wherever it appears, in clear and
// in standard and URL base64 (servers echo Basic auth and AUTH PLAIN blobs).
func (s *Secrets) Add(value, label string) {
	if value == "" {
		return
	}
	s.items = append(s.items, item{value, label})
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
		if b := enc.EncodeToString([]byte(value)); b != value {
			s.items = append(s.items, item{b, label})
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	for i := len(s.items) - 1; i > 0 && len(s.items[i].value) > len(s.items[i-1].value); i-- {
		s.items[i], s.items[i-1] = s.items[i-1], s.items[i]
	}
}

// Empty reports whether no secret value is registered.
func (s *Secrets) Empty() bool { return s == nil || len(s.items) == 0 }

var (
	// scheme://user:password@host
	urlPassword = regexp.MustCompile(`(://[^/@\s:]*:)[^@/\s]*@`)
	// "Authorization: Bearer xyz", "authorization":"Basic xyz", Proxy-Authorization too.
	authHeader = regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["']?\s*(?:bearer|basic|token|digest)?\s*)[^\s"',;]+`)
	// token=xyz / password=xyz / oinkcode=xyz in query strings and key=value text.
	keyValue = regexp.MustCompile(`(?i)\b((?:access_token|token|password|passwd|oinkcode|api_key|apikey|secret)=)[^\s&"',;]+`)
)

// String returns text with every registered secret and every generic
// credential form replaced.
func (s *Secrets) String(text string) string {
	if s != nil {
		for _, it := range s.items {
			if strings.Contains(text, it.value) {
				text = strings.ReplaceAll(text, it.value, it.label)
			}
		}
	}
	if strings.Contains(text, "://") {
		text = urlPassword.ReplaceAllString(text, "${1}[redacted]@")
	}
	if strings.Contains(strings.ToLower(text), "authorization") {
		text = authHeader.ReplaceAllString(text, "${1}[redacted]")
	}
	if strings.IndexByte(text, '=') >= 0 {
		text = keyValue.ReplaceAllString(text, "${1}[redacted]")
	}
	return text
}

// Error returns err unchanged when its text holds no secret, and otherwise an
// error whose text is scrubbed and whose chain still answers errors.Is and
// errors.As (exit-code classification depends on it).
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.String(msg)
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// Is lets a scrubbed error be recognised as one without exposing its text.
func IsScrubbed(err error) bool {
	var sc *scrubbed
	return errors.As(err, &sc)
}
