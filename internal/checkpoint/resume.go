// Resume plan: where this run starts, decided at Open from the state and
// the candidates (tailing.md §6.3–§6.5, §6.9).
//
// Invariants kept here: a file is recognised by its content (head, and the
// anchor before the offset), never by name, inode or timestamps; when the
// recognition fails the plan re-reads rather than skips (duplicates beat
// loss), and every such case is a warning and, where data may be missing,
// a counted gap.

package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// mtimeSlack covers the kernel's coarse file timestamps (and small clock
// steps) when comparing an mtime with a commit time: reading a file twice is
// acceptable, skipping it is not.
const mtimeSlack = 2 * time.Second

// planFirstRun applies --start when there is no state (tailing.md §6.9).
func (s *Session) planFirstRun() error {
	switch s.cfg.Start {
	case StartAll:
		s.first, s.firstOff = 0, 0
	case StartBeginning:
		s.first, s.firstOff = len(s.cands)-1, 0
	default:
		lc := s.live()
		off, err := lastNewline(lc)
		if err != nil {
			return fmt.Errorf("find end of %s: %w", lc.path, err)
		}
		s.first, s.firstOff = len(s.cands)-1, off
		skipped := off
		for _, c := range s.cands[:len(s.cands)-1] {
			skipped += c.size
		}
		if skipped > 0 {
			// Said at the default level: a first run that reports nothing
			// while eve.json holds alerts looks broken otherwise. The run
			// saves its position, so this is said once (every time in
			// --dry-run and dump-data, which save nothing).
			s.log.Warn("no saved position: starting at the end of eve.json; what is already there is not read (--start beginning reads it)",
				"file", lc.path, "skipped_bytes", skipped)
		}
	}
	s.setStart()
	return nil
}

// lastNewline returns the offset just after the live file's last '\n',
// scanning backwards from its end so a first run over a multi-GB file is
// O(1) rather than O(size).
func lastNewline(c *candidate) (int64, error) {
	if c.codec.Compressed() {
		return 0, fmt.Errorf("live file is %s-compressed", c.codec)
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	end := c.size
	for end > 0 {
		start := end - chunk
		if start < 0 {
			start = 0
		}
		n, err := c.f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// planResume finds where the saved position is now: in the file with its
// head (resumeInFile), in none because the position had no identity yet
// (resumeWithoutIdentity), or in none because the file is gone
// (resumeAfterGap).
func (s *Session) planResume() error {
	st := s.state
	if st.Pending != nil {
		p := st.Pending.End
		s.stopAt = &p
	}
	s.firstOff = 0
	switch i := s.indexOfHead(st.Pos.Head); {
	case st.Pos.Head == "":
		s.first = s.resumeWithoutIdentity(st)
	case i >= 0:
		s.resumeInFile(i, st.Pos)
	default:
		s.resumeAfterGap(st.Pos)
	}
	s.setStart()
	return nil
}

// indexOfHead returns the index of the candidate whose identity is head,
// or -1 (candidates are deduplicated by head: there is at most one).
func (s *Session) indexOfHead(head string) int {
	for i, c := range s.cands {
		if head != "" && c.head == head {
			return i
		}
	}
	return -1
}

// resumeWithoutIdentity plans a state saved while the file read had no
// complete record (Head ""): nothing of that file was consumed, and every
// file newer than pos.After is unread.
func (s *Session) resumeWithoutIdentity(st *State) int {
	pos := st.Pos
	if pos.After != "" {
		for i, c := range s.cands[:len(s.cands)-1] {
			if c.head == pos.After {
				return i + 1
			}
		}
	}
	// No such file (an older state, or retention deleted it): find the
	// file we saw then (same dev/inode), or failing that any file modified
	// since, with a margin because file mtimes come from a coarser clock
	// than time.Now.
	first := len(s.cands) - 1
	upd, _ := time.Parse(time.RFC3339Nano, st.UpdatedAt)
	if now := s.cfg.Now(); !upd.IsZero() && now.Before(upd.Add(-mtimeSlack)) {
		s.log.Warn("the clock is behind the last commit and the file the checkpoint followed is gone; reading every rotated file again (duplicates rather than loss)",
			"committed_at", st.UpdatedAt, "now", now.UTC().Format(time.RFC3339Nano))
		upd = time.Time{}
		first = 0
	}
	for i, c := range s.cands {
		same := pos.Ino != 0 && c.dev == pos.Dev && c.ino == pos.Ino
		recent := !upd.IsZero() && c.mtime.After(upd.Add(-mtimeSlack))
		pending := s.stopAt != nil && c.head == s.stopAt.Head
		if same || recent || pending {
			return min(first, i)
		}
	}
	return first
}

// resumeInFile plans a resume in candidate i, which has the saved head: at
// the saved offset when the anchor before it matches, else per what the
// mismatch means.
func (s *Session) resumeInFile(i int, pos FilePos) {
	c := s.cands[i]
	s.first = i
	if pos.Offset == 0 {
		return
	}
	anchor, n, r, done, err := c.anchorAt(pos.Offset)
	if err == nil && anchor == pos.Anchor && n == pos.AnchorLen {
		s.firstOff, s.firstR, s.firstDone = pos.Offset, r, done
		return
	}
	if done != nil {
		done()
	}
	switch {
	case c.live && (errors.Is(err, errShort) || !c.sameHead()):
		// copytruncate emptied eve.json between its open and this check:
		// the checkpointed bytes are in the copy now, and Lines goes on
		// there from the saved offset (continueInCopy).
		s.firstOff = pos.Offset
	case errors.Is(err, errShort):
		// A rotated copy that ends before the offset: a run read eve.json
		// past what copytruncate's copy kept (bytes written inside
		// logrotate's copy→truncate window), delivered them, and then
		// eve.json was truncated. Everything of this file that still
		// exists was read: go on with the newer files.
		s.log.Warn("the rotated copy ends before the saved offset (copytruncate); continuing with the newer files",
			"file", c.path, "offset", pos.Offset)
		if s.stopAt != nil && s.stopAt.Head == c.head {
			s.stopAt = nil // nothing of the pending batch is left to resend
		}
		s.first = i + 1
	default:
		// Same first line, different bytes before the offset: the file was
		// rewritten. Re-read it whole: duplicates beat loss.
		s.log.Warn("checkpointed file was rewritten before the saved offset; reading it again from the start",
			"file", c.path, "offset", pos.Offset, "size", c.size, "codec", c.codec.String(), "anchor_err", err)
		s.stats.Gaps++
	}
}

// resumeAfterGap plans a resume when no candidate has the saved head: the
// file was deleted, moved outside the patterns, or is a copytruncate copy
// that cannot be seen.
func (s *Session) resumeAfterGap(pos FilePos) {
	s.stats.Gaps++
	s.first = s.firstUnread(pos)
	s.log.Warn("checkpointed file not found (deleted by retention, moved outside the rotated-file patterns, or a copytruncate copy not visible); events after it until the next file may be lost",
		"first_ts", pos.FirstTS, "offset", pos.Offset, "last_path", pos.Path, "resume_at", s.cands[s.first].path)
}

// firstUnread returns, for a checkpointed file that is gone, the index of
// the first candidate not known to be read: the one after the newest
// remaining file that pos names as older, else the oldest one. It goes by
// the files' order and identities only, never by event timestamps or file
// times, which a clock stepped back turns around (the file after the
// checkpointed one can start "before" it). Without such a file everything
// left is read again: duplicates rather than loss.
func (s *Session) firstUnread(pos FilePos) int {
	read := map[string]bool{}
	for _, h := range pos.olderHeads() {
		read[h] = true
	}
	first := 0
	for i, c := range s.cands[:len(s.cands)-1] {
		if read[c.head] {
			first = i + 1
		}
	}
	return first
}

// olderThan names the rotated files ordered before c (at most maxOlder,
// newest last): all of them were read whole before c (see firstUnread). A
// copy opened during the run (continueInCopy) is not in the list of
// candidates; it holds the live file's bytes, so every rotated candidate
// is older.
func (s *Session) olderThan(c *candidate) string {
	end := len(s.cands) - 1
	for i, x := range s.cands {
		if x == c {
			end = i
			break
		}
	}
	var out []string
	for _, x := range s.cands[:end] {
		if x.head != "" && x.head != c.head {
			out = append(out, x.head)
		}
	}
	if len(out) > maxOlder {
		out = out[len(out)-maxOlder:]
	}
	return strings.Join(out, ",")
}
