package cli

import (
	"bytes"
	"io"
	"os"
)

// maxSecret bounds a secret file: a token or password is short, and reading a
// multi-GB file by mistake must not exhaust memory.
const maxSecret = 64 << 10

// ReadSecret reads a token or password from path, trimming surrounding
// whitespace (files usually end in a newline). A missing, unreadable, huge or
// empty file is a usage error (exit 2) that names the file but never its
// content.
func ReadSecret(path string) (string, error) {
	if path == "" {
		return "", Usagef("secret file not set")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", Usagef("read secret file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", Usagef("read secret file %s: %w", path, err)
	}
	n := len(buf)
	if n > maxSecret {
		return "", Usagef("secret file %s is larger than %d bytes", path, maxSecret)
	}
	s := bytes.TrimSpace(buf[:n])
	if len(s) == 0 {
		return "", Usagef("secret file %s is empty", path)
	}
	return string(s), nil
}
