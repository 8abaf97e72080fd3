// Package secretfile reads a token or password from the file a --*-file
// flag names. It is a leaf so that any floor (mail, digest, the command
// models) can read its secrets without importing the command-line layer. Its
// errors wrap ErrUnusable; cli.ExitCode classifies that as a usage error
// (exit 2): the operator must fix the file, retrying cannot help.
package secretfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxSecret bounds a secret file: a token or password is short, and reading a
// multi-GB file by mistake must not exhaust memory.
const maxSecret = 64 << 10

// ErrUnusable is in the chain of every error of Read: the secret file is not
// set, missing, unreadable, too large or empty.
var ErrUnusable = errors.New("unusable secret file")

// unusable keeps the message the operator reads exactly as it is while
// putting ErrUnusable in the chain.
type unusable struct{ err error }

func (e *unusable) Error() string   { return e.err.Error() }
func (e *unusable) Unwrap() []error { return []error{e.err, ErrUnusable} }

func fail(format string, a ...any) error { return &unusable{fmt.Errorf(format, a...)} }

// Read reads a token or password from path, trimming surrounding whitespace
// (files usually end in a newline). A missing, unreadable, huge or empty file
// is an error that names the file but never its content.
func Read(path string) (string, error) {
	if path == "" {
		return "", fail("secret file not set")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fail("read secret file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", fail("read secret file %s: %w", path, err)
	}
	n := len(buf)
	if n > maxSecret {
		return "", fail("secret file %s is larger than %d bytes", path, maxSecret)
	}
	s := bytes.TrimSpace(buf[:n])
	if len(s) == 0 {
		return "", fail("secret file %s is empty", path)
	}
	return string(s), nil
}
