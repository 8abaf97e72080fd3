// Commit: the position saved after the caller's work succeeded, and the
// pending record saved before it sends (tailing.md §6.7, §6.10).
//
// Invariants kept here: the state file changes only through Prepare and
// Commit, atomically (temp + fsync + rename + dir fsync) and with the
// previous state kept as .prev; a saved offset is always just after a '\n'
// of a file with an identity; a batch id depends only on the start and end
// positions, so a retry of the same batch carries the same id.

package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// BatchID names the batch from this run's start to end. It depends only on
// the two positions, so a retry of the same batch carries the same id and a
// receiver can drop the duplicate. A retry of a pending batch gets the
// pending id, also when its end had to be clamped to the end of a
// copytruncate copy (Lines).
func (s *Session) BatchID(end Position) string {
	if s.state != nil && s.state.Pending != nil && end.c != nil &&
		end.c.head == s.state.Pending.End.Head &&
		(end.Offset == s.state.Pending.End.Offset || s.clamped && end == s.end) {
		return s.state.Pending.BatchID
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", s.cfg.Consumer, s.start.head(), s.start.Offset)
	fmt.Fprintf(h, "%s\x00%d", end.head(), end.Offset)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func (p Position) head() string {
	if p.c == nil {
		return ""
	}
	return p.c.head
}

func (s *Session) filePos(p Position) (FilePos, error) {
	if p.c == nil {
		return FilePos{}, errors.New("checkpoint: position without a file")
	}
	c := p.c
	if c.head == "" && s.ident.c != nil && s.ident.c != c {
		// p lies in a file with no complete record yet (eve.json holding
		// only the torn end of a record that copytruncate cut), read after
		// an identified file. Saving "nothing of this file" would lose
		// where the identified one ended, and the next run could only
		// guess by mtimes, re-reading a just-compressed copy. Save the end
		// of the identified file instead: the next run reads this file's
		// fragment again, which holds no record.
		return s.filePos(s.ident)
	}
	fp := FilePos{Head: c.head, HeadLen: c.headLen, FirstTS: c.firstTS, Offset: p.Offset,
		Dev: c.dev, Ino: c.ino, Path: c.path, Size: c.size}
	if c.head != "" {
		fp.Older = s.olderThan(c)
	}
	if c.head == "" {
		// Nothing identifiable consumed yet (empty live file). Name the
		// file before it, so the next run knows where new files begin
		// without comparing mtimes with a clock that may have moved.
		fp.Offset = 0
		for i, x := range s.cands {
			if x == c && i > 0 {
				fp.After = s.cands[i-1].head
			}
		}
		return fp, nil
	}
	if p.Offset > 0 {
		a, n, _, done, err := c.anchorAt(p.Offset)
		if err == nil && c.live && !c.sameHead() {
			// The live file was truncated and written again while this run
			// read it (copytruncate): its bytes are no longer the ones
			// read. The copy holds them.
			done()
			err = errShort
		}
		if errors.Is(err, errShort) && c.live {
			// copytruncate ran after this run read the live file: the
			// bytes it read are now in the copy, which has the same head
			// and is where the next run resumes.
			var off int64
			a, n, off, err = s.anchorInCopy(c.head, p.Offset)
			if err == nil && off != p.Offset {
				// This run opened eve.json inside logrotate's copy→truncate
				// window: the bytes past the copy's last complete line are
				// in no file any more, and the next run resumes at that line.
				s.log.Warn("eve.json was truncated by copytruncate while being read; resuming at the end of its copy",
					"copy_offset", off, "read_offset", p.Offset)
				fp.Offset = off
			}
		} else if err == nil {
			done()
		}
		if err != nil {
			return FilePos{}, fmt.Errorf("anchor in %s at %d: %w", c.path, p.Offset, err)
		}
		fp.Anchor, fp.AnchorLen = a, n
	}
	return fp, nil
}

// Prepare records end as a pending batch before it is sent, so that after a
// crash between the receiver's acknowledgement and Commit the next run
// re-sends exactly this batch under the same id.
func (s *Session) Prepare(end Position, batchID string) error {
	if s.cfg.ReadOnly {
		return errors.New("checkpoint: read-only session")
	}
	fp, err := s.filePos(end)
	if err != nil {
		return err
	}
	st := s.nextState()
	if s.state != nil {
		// The position has not moved: keep its time too, which the
		// empty-file case (head "") compares file mtimes against.
		st.Pos, st.UpdatedAt = s.state.Pos, s.state.UpdatedAt
	} else {
		sp, err := s.filePos(s.start)
		if err != nil {
			return err
		}
		st.Pos = sp
	}
	st.Pending = &Pending{BatchID: batchID, End: fp}
	s.log.Debug("checkpoint: batch pending", "batch", batchID, "file", end.Path, "offset", end.Offset, "saved_offset", fp.Offset)
	return s.write(st)
}

func (s *Session) nextState() *State {
	st := &State{Version: StateVersion, Consumer: s.cfg.Consumer, Source: s.cfg.Live,
		UpdatedAt: nowString(s.cfg.Now())}
	st.Lines, st.BadLines, st.Gaps = s.base.Lines, s.base.BadLines, s.base.Gaps
	if s.state != nil {
		st.BatchID = s.state.BatchID
	}
	return st
}

// Commit persists end as the new checkpoint. Call it only after the work for
// every line up to end succeeded. badLines is the caller's count of lines it
// could not decode, kept in the state for diagnostics.
func (s *Session) Commit(end Position, batchID string, badLines int64) error {
	if s.cfg.ReadOnly {
		return errors.New("checkpoint: read-only session")
	}
	if end == s.start && s.state != nil && s.state.Pending == nil && s.stats.Lines == 0 && s.stats.Gaps == 0 {
		return nil // nothing read: the saved position stands as it is
	}
	fp, err := s.filePos(end)
	if err != nil {
		return err
	}
	st := s.nextState()
	st.Pos = fp
	if batchID != "" {
		st.BatchID = batchID
	}
	// Counters are the totals at Open plus this run's, so committing
	// several times in one run does not count a line twice.
	st.Lines = s.base.Lines + s.stats.Lines
	st.BadLines = s.base.BadLines + badLines + int64(s.stats.Oversize+s.stats.Torn)
	st.Gaps = s.base.Gaps + int64(s.stats.Gaps)
	if s.state != nil && s.state.Pending == nil && s.state.Pos.Head == fp.Head && s.state.Pos.Offset == fp.Offset && s.stats.Lines == 0 && s.stats.Gaps == 0 {
		return nil // nothing changed: leave the file alone
	}
	if err := s.write(st); err != nil {
		return err
	}
	s.log.Debug("checkpoint: committed", "file", end.Path, "offset", end.Offset, "saved_offset", fp.Offset)
	return nil
}

func (s *Session) write(st *State) error {
	b, err := EncodeState(st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.statePath, b); err != nil {
		return fmt.Errorf("write state %s: %w", s.statePath, err)
	}
	s.state = st
	return nil
}
