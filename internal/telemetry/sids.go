package telemetry

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/buger/jsonparser"
)

// SIDSet is the set of signature ids whose alerts may be shared.
type SIDSet map[uint64]struct{}

// ParseSIDs reads a telemetry_sids.txt as the ET telemetry ruleset ships it:
// one decimal SID per line. Blank lines and '#' comments (including the
// "#@opnsense_download_hash" header OPNsense adds) are skipped; a UTF-8 BOM
// and CRLF endings are tolerated. Any other line is an error naming it:
// a mangled file (an HTML error page saved as the list) must not select
// a random subset.
func ParseSIDs(r io.Reader) (SIDSet, error) {
	set := SIDSet{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		for _, c := range line {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("line %d: %q is not a SID", n, truncate(string(line), 40))
			}
		}
		sid, err := strconv.ParseUint(string(line), 10, 32)
		if err != nil || sid == 0 {
			return nil, fmt.Errorf("line %d: SID %q out of range", n, truncate(string(line), 40))
		}
		set[sid] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return set, nil
}

// LoadSIDs reads the sids file at path. A missing or empty list is an error:
// without it the plugin sent every event (fail-open); we send nothing.
func LoadSIDs(path string) (SIDSet, error) {
	if path == "" {
		return nil, fmt.Errorf("no telemetry sids file configured (--sids-file)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("telemetry sids file: %w", err)
	}
	defer f.Close()
	set, err := ParseSIDs(f)
	if err != nil {
		return nil, fmt.Errorf("telemetry sids file %s: %w", path, err)
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("telemetry sids file %s lists no SIDs", path)
	}
	return set, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Selector picks the eve records that may be shared: alerts whose
// signature id is in SIDs, or every alert when All is set (an explicit
// operator choice, never a fallback).
type Selector struct {
	SIDs SIDSet
	All  bool
}

var selectPaths = [][]string{{"event_type"}, {"alert", "signature_id"}}

// Select reports whether line is a shareable alert. It reads only the two
// keys it needs, so non-alert lines cost one shallow scan.
func (s *Selector) Select(line []byte) bool {
	isAlert := false
	var sid uint64
	sidOK := false
	jsonparser.EachKey(line, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if err != nil {
			return
		}
		switch idx {
		case 0:
			isAlert = vt == jsonparser.String && string(v) == "alert"
		case 1:
			if vt == jsonparser.Number {
				if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
					sid, sidOK = n, true
				}
			}
		}
	}, selectPaths...)
	if !isAlert || !sidOK {
		return false
	}
	if s.All {
		return true
	}
	_, ok := s.SIDs[sid]
	return ok
}
