// Read: Lines hands out the complete lines from the planned start to the
// end of the live file as it was at open.
//
// Invariants kept here: a line is handed out only with its '\n' (or, in a
// settled rotated file, as a final fragment that is complete JSON); the
// live file is never read past its size at open nor past its last '\n'; a
// pending batch is re-read exactly up to its recorded end; oversize and
// torn lines move the end past them and are counted, never fatal.

package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/metrics"
)

// gzSettle is how long a truncated compressed file (.gz, .zst, .xz, .bz2)
// may still be being written by logrotate; an older one is damage that will
// not heal.
const gzSettle = 2 * time.Minute

// Lines hands every new complete line, in order, to fn with the position
// just after it. fn may return ErrStop to end the scan after that line; any
// other error ends the scan and is returned. Lines may be called once.
func (s *Session) Lines(ctx context.Context, fn func(line []byte, end Position) error) error {
	if s.scanned {
		return errors.New("checkpoint: Lines called twice")
	}
	s.scanned = true
	defer func() { metrics.RecordOversized(s.cfg.Metrics, s.stats.Oversize) }()
	for i := s.first; i < len(s.cands); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := s.cands[i]
		from := int64(0)
		var r io.Reader
		done := func() {}
		if i == s.first {
			from = s.firstOff
			if s.firstR != nil {
				r, done = s.firstR, s.firstDone
				s.firstR = nil
			}
		}
		if r == nil {
			var err error
			if !c.codec.Compressed() {
				r = io.NewSectionReader(c.f, from, c.size-from)
			} else {
				r, done, err = c.reader()
				if err != nil {
					return err
				}
				if _, err := io.CopyN(io.Discard, r, from); err != nil {
					done()
					return fmt.Errorf("skip to offset %d in %s: %w", from, c.path, err)
				}
			}
		}
		if c.live && !c.codec.Compressed() {
			r = &truncationGuard{r: r, c: c}
		}
		s.log.Debug("checkpoint: reading", "file", c.path, "from", from, "size", c.size, "codec", c.codec.String())
		stop, err := s.scanFile(ctx, c, r, from, fn)
		done()
		if err != nil || stop {
			return err
		}
		if s.stopAt != nil && c.head == s.stopAt.Head {
			// The pending batch ended past the end of this file: it was
			// read from eve.json before copytruncate's truncate, beyond
			// what the copy holds, and those bytes are in no file now.
			// What is left of the batch is resent under its own id.
			s.clamped = true
			return nil
		}
	}
	return nil
}

func (s *Session) scanFile(ctx context.Context, c *candidate, r io.Reader, from int64, fn func([]byte, Position) error) (stop bool, err error) {
	s.stats.Files++
	sc := eve.NewScanner(r, from, s.cfg.MaxLineBytes)
	sc.OnOversize = func(index, start, end int64) { s.warnOversize(c, from, index, start, end) }
	atStart := from == 0
	prev := from
	n := 0
	for sc.Next() {
		line := sc.Line()
		if atStart {
			line = bytes.TrimLeft(line, "\x00")
			atStart = false
		}
		pos := Position{c: c, Path: c.path, Offset: sc.Offset()}
		if s.pastStop(c, pos.Offset) {
			// Past the pending batch's end: the retry must be the same batch.
			return true, nil
		}
		s.stats.Bytes += pos.Offset - prev
		prev = pos.Offset
		s.advance(pos)
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return true, err
			}
		}
		if !eve.IsBlank(line) {
			s.stats.Lines++
			if err := fn(line, pos); err != nil {
				if errors.Is(err, ErrStop) {
					return true, nil
				}
				return true, err
			}
		}
		if s.stopAt != nil && c.head == s.stopAt.Head && pos.Offset == s.stopAt.Offset {
			return true, nil
		}
	}
	s.stats.Oversize += sc.Oversize
	if err := sc.Err(); err != nil {
		if errors.Is(err, errTruncated) {
			// copytruncate emptied eve.json while this run read it: what
			// follows at these offsets is new content. The old bytes are
			// in the copy now: finish from there, so that a batch (and a
			// pending resend) is the same whatever the timing; the next
			// run reads the new eve.json from its start.
			off := from
			if s.end.c == c {
				off = s.end.Offset
			}
			found, err := s.continueInCopy(ctx, c, off, fn)
			if !found {
				s.log.Warn("eve.json was truncated while being read (copytruncate) and its copy is not visible; stopping at the last line read before",
					"file", c.path, "offset", off)
			}
			return true, err
		}
		if c.codec.Compressed() && errors.Is(err, io.ErrUnexpectedEOF) {
			if time.Since(c.mtime) < gzSettle {
				s.log.Warn("compressed file ends early, probably still being written; stopping here until the next run",
					"file", c.path, "offset", s.end.Offset)
				return true, nil
			}
			s.stats.Gaps++
			s.log.Warn("compressed file is truncated; the events after the damage are lost", "file", c.path, "offset", s.end.Offset)
			return false, nil
		}
		return true, fmt.Errorf("read %s: %w", c.path, err)
	}
	if tail := sc.Tail(); len(tail) > 0 && !c.live {
		if !s.settled(c) {
			// Right after logrotate's rename, Suricata keeps appending to
			// the renamed file until its HUP: the tail may be a record
			// half written. Leave it; the next run reads it whole.
			return false, nil
		}
		// A settled rotated file is closed: its unterminated last record
		// is kept if it is complete JSON, otherwise it is a torn write.
		end := Position{c: c, Path: c.path, Offset: sc.Offset() + int64(len(tail))}
		s.advance(end)
		if json.Valid(tail) {
			s.stats.Lines++
			if err := fn(tail, end); err != nil && !errors.Is(err, ErrStop) {
				return true, err
			}
		} else {
			s.stats.Torn++
			s.log.Warn("skipped a torn line at the end of a rotated file", "file", c.path, "bytes", len(tail))
		}
	}
	return false, nil
}

// warnOversize says, at the default level, which line was skipped for its
// length: the file, its line number (counting the lines before the run's
// start offset only now, as such lines are rare and resuming must stay
// O(1)) and byte offset, and the setting that would keep it.
func (s *Session) warnOversize(c *candidate, from, index, start, end int64) {
	before, err := c.linesBefore(from)
	line := any(before + index + 1)
	if err != nil {
		line = "unknown"
	}
	s.log.Warn("skipped a line longer than the line-size limit (raise [eve] max_line_bytes / --max-line-bytes to keep such lines)",
		"file", c.path, "line", line, "offset", start, "bytes", end-start-1, "max_line_bytes", s.maxLine())
}

func (s *Session) maxLine() int {
	if s.cfg.MaxLineBytes > 0 {
		return s.cfg.MaxLineBytes
	}
	return eve.DefaultMaxLine
}

// settled reports whether rotated file c can no longer grow: it is
// compressed, or a newer rotated file exists, or the live file already had
// data when this run opened it (so the writer had reopened after the HUP).
func (s *Session) settled(c *candidate) bool {
	if c.codec.Compressed() || s.live().size > 0 {
		return true
	}
	return len(s.cands) < 2 || s.cands[len(s.cands)-2] != c
}

// pastStop reports whether offset off of c lies past the pending batch's
// end: a retry must stop there to be the same batch.
func (s *Session) pastStop(c *candidate, off int64) bool {
	return s.stopAt != nil && c.head == s.stopAt.Head && off > s.stopAt.Offset
}
