// copytruncate: logrotate copies eve.json to eve.json.1 and truncates it in
// place, possibly while a run reads it or between a run's open and its
// checks.
//
// Invariants kept here: bytes read at an offset are only trusted while the
// live file's first line is still the one hashed at open (truncationGuard);
// once it changed, the rest of the old content is read from the copy (same
// head) at the same uncompressed offsets, so a batch and its id do not
// depend on when the truncate happened; bytes past the end of the copy are
// in no file any more, and the position saved is the copy's last complete
// line.

package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
)

// continueInCopy reads on from offset off in the rotated copy of live (same
// first line), for a live file that copytruncate emptied during the run.
func (s *Session) continueInCopy(ctx context.Context, live *candidate, off int64, fn func([]byte, Position) error) (bool, error) {
	copies := s.copiesOf(live.head)
	s.extra = append(s.extra, copies...) // closed with the session
	for _, c := range copies {
		r, done, err := c.reader()
		if err != nil {
			continue
		}
		if _, err := io.CopyN(io.Discard, r, off); err != nil {
			// The copy ends before off: everything it kept was read.
			done()
			if s.stopAt != nil && c.head == s.stopAt.Head {
				s.clamped = true
			}
			return true, nil
		}
		s.log.Debug("checkpoint: continuing in the copy", "file", c.path, "from", off)
		stop, err := s.scanFile(ctx, c, r, off, fn)
		done()
		if err == nil && !stop && s.stopAt != nil && c.head == s.stopAt.Head {
			s.clamped = true
		}
		return true, err
	}
	return false, nil
}

// copiesOf opens the rotated files whose identity is head: the copies
// copytruncate left of a live file, the plain one before its .gz (glob
// order). The caller closes them.
func (s *Session) copiesOf(head string) []*candidate {
	var out []*candidate
	for _, g := range s.cfg.Globs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			c, err := openCandidate(m, false)
			if err != nil {
				continue
			}
			if c.head != head {
				c.f.Close()
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// errTruncated stops reading a live file that copytruncate emptied.
var errTruncated = errors.New("live file truncated while being read")

// truncationGuard checks, after every read of the live file, that its
// first line is still the one it had at open. A read that lands after a
// truncation would return new bytes at old offsets: misaligned lines that
// the next run would read again from the new file's start.
type truncationGuard struct {
	r io.Reader
	c *candidate
}

func (g *truncationGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	// Checked on data and on EOF alike: a file truncated below the offset
	// reads as an early EOF.
	if (n > 0 || err != nil) && g.c.head != "" && !g.c.sameHead() {
		return 0, errTruncated
	}
	return n, err
}

// anchorInCopy computes the anchor at offset in a rotated file whose first
// line is head (plain or gz; the first that holds offset wins). A copy
// shorter than offset (the run opened eve.json between logrotate's copy and
// its truncate) anchors at its last complete line instead, returned as off.
func (s *Session) anchorInCopy(head string, offset int64) (anchor string, n int, off int64, err error) {
	copies := s.copiesOf(head)
	defer closeAll(copies)
	for _, c := range copies {
		off, err := lineBoundaryBefore(c, offset)
		if err == nil {
			var done func()
			if anchor, n, _, done, err = c.anchorAt(off); err == nil {
				done()
				return anchor, n, off, nil
			}
		}
	}
	return "", 0, 0, errShort
}

// lineBoundaryBefore returns the offset just after the last '\n' at or
// before offset in c (uncompressed bytes).
func lineBoundaryBefore(c *candidate, offset int64) (int64, error) {
	r, done, err := c.reader()
	if err != nil {
		return 0, err
	}
	defer done()
	buf := make([]byte, 64<<10)
	var pos, last int64
	for pos < offset {
		k, err := r.Read(buf[:min(int64(len(buf)), offset-pos)])
		if i := bytes.LastIndexByte(buf[:k], '\n'); i >= 0 {
			last = pos + int64(i) + 1
		}
		pos += int64(k)
		if err != nil {
			break // the copy ends before offset
		}
	}
	if last == 0 {
		return 0, errShort
	}
	return last, nil
}
