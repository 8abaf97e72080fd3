package checkpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/metrics"
)

// Start policies for a consumer without state.
const (
	StartEnd       = "end"       // skip the backlog: begin after the live file's last line
	StartBeginning = "beginning" // read the live file from its first line
	StartAll       = "all"       // read every rotated file, oldest first, then the live file
)

// Bounds of Config.MaxLineBytes: below 4 KiB even a flow record may not
// fit; above 1 GiB one line could take that much memory.
const (
	MinLineBytes = 4 << 10
	MaxLineBytes = 1 << 30
)

// ErrStop, returned by a Lines callback, ends the scan after that line.
var ErrStop = errors.New("stop")

// gzSettle is how long a truncated compressed file (.gz, .zst, .xz, .bz2)
// may still be being written by logrotate; an older one is damage that will
// not heal.
const gzSettle = 2 * time.Minute

// mtimeSlack covers the kernel's coarse file timestamps (and small clock
// steps) when comparing an mtime with a commit time: reading a file twice is
// acceptable, skipping it is not.
const mtimeSlack = 2 * time.Second

// Config says which consumer reads which eve.json.
type Config struct {
	Consumer     string   // e.g. "alert-digest": names the state and lock files
	Live         string   // the live eve.json
	Globs        []string // rotated-file patterns; default <live>.* and <live>-*
	Rotated      []string // extra patterns added to Globs (logrotate olddir)
	StateDir     string
	Start        string // StartEnd (default), StartBeginning or StartAll, when there is no state
	Reset        bool   // discard the state (even a corrupt one) and apply Start
	ReadOnly     bool   // previews: no lock, no state writes, Commit refused
	MaxLineBytes int    // longer lines are skipped, warned about and counted; 0: eve.DefaultMaxLine
	Logger       *slog.Logger
	Metrics      *metrics.Registry // receives suricron_eve_oversized_lines; nil records nothing
	Now          func() time.Time
}

// Position is a point in the stream: just after a line of one file.
type Position struct {
	c      *candidate
	Path   string // for messages only
	Offset int64
}

// IsZero reports a position with no file behind it (empty stream).
func (p Position) IsZero() bool { return p.c == nil }

// Stats counts what one run saw.
type Stats struct {
	Files    int   // files read from
	Lines    int64 // lines handed to the callback
	Bytes    int64 // bytes consumed
	Oversize int   // lines over MaxLineBytes, skipped
	Torn     int   // unterminated fragments at the end of rotated files, skipped
	Gaps     int   // checkpointed file not found / damaged: data may be missing
}

// Session is one run of one consumer.
type Session struct {
	cfg       Config
	log       *slog.Logger
	lock      *Lock
	statePath string
	state     *State // nil when there was none
	base      State  // counters as loaded, before this run
	cands     []*candidate
	first     int   // index of the first candidate to read
	firstOff  int64 // offset in it
	firstR    io.Reader
	firstDone func()
	start     Position
	end       Position
	ident     Position     // the last position read in a file with an identity (see filePos)
	stopAt    *FilePos     // pending batch end: stop exactly there
	clamped   bool         // the pending end lay past its file's end (see Lines)
	extra     []*candidate // copies opened during the run (continueInCopy)
	stats     Stats
	scanned   bool
}

// Open locks the consumer, loads its state and finds where to resume. The
// caller must Close the session.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	if cfg.Consumer == "" || cfg.Live == "" {
		return nil, cli.Usagef("checkpoint: consumer and eve path are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Start == "" {
		cfg.Start = StartEnd
	}
	if cfg.MaxLineBytes != 0 && (cfg.MaxLineBytes < MinLineBytes || cfg.MaxLineBytes > MaxLineBytes) {
		return nil, cli.Usagef("--max-line-bytes %d: want %d to %d", cfg.MaxLineBytes, MinLineBytes, MaxLineBytes)
	}
	switch cfg.Start {
	case StartEnd, StartBeginning, StartAll:
	default:
		return nil, cli.Usagef("--start %q: want end, beginning or all", cfg.Start)
	}
	if len(cfg.Globs) == 0 {
		cfg.Globs = []string{cfg.Live + ".*", cfg.Live + "-*"}
	}
	cfg.Globs = append(cfg.Globs, cfg.Rotated...)
	s := &Session{cfg: cfg, log: cfg.Logger, statePath: filepath.Join(cfg.StateDir, cfg.Consumer+".state.json")}
	if !cfg.ReadOnly {
		if err := atomicfile.PrivateDir(cfg.StateDir); err != nil {
			if errors.Is(err, atomicfile.ErrUnsafeDir) {
				return nil, cli.Usage(err)
			}
			return nil, err
		}
		l, err := TryLock(filepath.Join(cfg.StateDir, cfg.Consumer+".lock"))
		if err != nil {
			if errors.Is(err, ErrLocked) {
				return nil, cli.TempFail(err)
			}
			return nil, err
		}
		s.lock = l
		removeStaleTemps(cfg.StateDir, filepath.Base(s.statePath))
	}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.log.Debug("checkpoint: resuming", "file", s.start.Path, "offset", s.start.Offset, "pending", s.stopAt != nil)
	return s, nil
}

func (s *Session) open(ctx context.Context) error {
	if !s.cfg.Reset {
		b, err := readNoFollow(s.statePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return fmt.Errorf("read state %s: %w", s.statePath, err)
		default:
			st, err := DecodeState(b, s.cfg.Consumer, s.cfg.Live)
			if err != nil {
				return cli.Data(fmt.Errorf("state %s: %w; run once with --reset-state to discard it (the next run then starts per --start)", s.statePath, err))
			}
			s.state = st
			s.base = *st
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cands, err := listCandidates(s.cfg.Live, s.cfg.Globs)
	if err != nil {
		return err
	}
	s.cands = cands
	if s.state == nil {
		return s.planFirstRun()
	}
	return s.planResume()
}

func (s *Session) live() *candidate { return s.cands[len(s.cands)-1] }

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

func (s *Session) planResume() error {
	st := s.state
	pos := st.Pos
	if st.Pending != nil {
		p := st.Pending.End
		s.stopAt = &p
	}
	if pos.Head == "" {
		// Saved while the file read had no complete record: nothing of it
		// was consumed, and every file newer than pos.After is unread.
		s.first, s.firstOff = len(s.cands)-1, 0
		if pos.After != "" {
			for i, c := range s.cands[:len(s.cands)-1] {
				if c.head == pos.After {
					s.first = i + 1
					s.setStart()
					return nil
				}
			}
		}
		// No such file (an older state, or retention deleted it): find
		// the file we saw then (same dev/inode), or failing that any file
		// modified since, with a margin because file mtimes come from a
		// coarser clock than time.Now.
		upd, _ := time.Parse(time.RFC3339Nano, st.UpdatedAt)
		if now := s.cfg.Now(); !upd.IsZero() && now.Before(upd.Add(-mtimeSlack)) {
			s.log.Warn("the clock is behind the last commit and the file the checkpoint followed is gone; reading every rotated file again (duplicates rather than loss)",
				"committed_at", st.UpdatedAt, "now", now.UTC().Format(time.RFC3339Nano))
			upd = time.Time{}
			s.first = 0
		}
		for i, c := range s.cands {
			same := pos.Ino != 0 && c.dev == pos.Dev && c.ino == pos.Ino
			recent := !upd.IsZero() && c.mtime.After(upd.Add(-mtimeSlack))
			pending := s.stopAt != nil && c.head == s.stopAt.Head
			if same || recent || pending {
				s.first = min(s.first, i)
				break
			}
		}
		s.setStart()
		return nil
	}
	for i, c := range s.cands {
		if c.head != pos.Head {
			continue
		}
		if pos.Offset == 0 {
			s.first, s.firstOff = i, 0
			s.setStart()
			return nil
		}
		anchor, n, r, done, err := c.anchorAt(pos.Offset)
		if err == nil && anchor == pos.Anchor && n == pos.AnchorLen {
			s.first, s.firstOff, s.firstR, s.firstDone = i, pos.Offset, r, done
			s.setStart()
			return nil
		}
		if done != nil {
			done()
		}
		if c.live && (errors.Is(err, errShort) || !c.sameHead()) {
			// copytruncate emptied eve.json between its open and this
			// check: the checkpointed bytes are in the copy now, and Lines
			// goes on there from the saved offset (continueInCopy).
			s.first, s.firstOff = i, pos.Offset
			s.setStart()
			return nil
		}
		if errors.Is(err, errShort) && !c.live {
			// A rotated copy that ends before the offset: a run read
			// eve.json past what copytruncate's copy kept (bytes written
			// inside logrotate's copy→truncate window), delivered them,
			// and then eve.json was truncated. Everything of this file
			// that still exists was read: go on with the newer files.
			s.log.Warn("the rotated copy ends before the saved offset (copytruncate); continuing with the newer files",
				"file", c.path, "offset", pos.Offset)
			if s.stopAt != nil && s.stopAt.Head == c.head {
				s.stopAt = nil // nothing of the pending batch is left to resend
			}
			s.first, s.firstOff = i+1, 0
			s.setStart()
			return nil
		}
		// Same first line, different bytes before the offset: the file
		// was rewritten. Re-read it whole: duplicates beat loss.
		s.log.Warn("checkpointed file was rewritten before the saved offset; reading it again from the start",
			"file", c.path, "offset", pos.Offset, "size", c.size, "codec", c.codec.String(), "anchor_err", err)
		s.first, s.firstOff = i, 0
		s.stats.Gaps++
		s.setStart()
		return nil
	}
	s.stats.Gaps++
	s.first = s.firstUnread(pos)
	s.firstOff = 0
	s.log.Warn("checkpointed file not found (deleted by retention, moved outside the rotated-file patterns, or a copytruncate copy not visible); events after it until the next file may be lost",
		"first_ts", pos.FirstTS, "offset", pos.Offset, "last_path", pos.Path, "resume_at", s.cands[s.first].path)
	s.setStart()
	return nil
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

func (s *Session) setStart() {
	c := s.cands[s.first]
	s.start = Position{c: c, Path: c.path, Offset: s.firstOff}
	s.advance(s.start)
}

// advance moves the run's end to p, and its last identifiable position
// with it when p's file has an identity.
func (s *Session) advance(p Position) {
	s.end = p
	if p.c != nil && p.c.head != "" {
		s.ident = p
	}
}

// Start is where this run began.
func (s *Session) Start() Position { return s.start }

// End is the position after everything consumed so far, including skipped
// blank, oversize and torn lines; committing it after the work succeeded
// moves the checkpoint past all of them.
func (s *Session) End() Position { return s.end }

// Stats returns this run's counters.
func (s *Session) Stats() Stats { return s.stats }

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

// settled reports whether rotated file c can no longer grow: it is
// compressed, or a newer rotated file exists, or the live file already had
// data when this run opened it (so the writer had reopened after the HUP).
func (s *Session) settled(c *candidate) bool {
	if c.codec.Compressed() || s.live().size > 0 {
		return true
	}
	return len(s.cands) < 2 || s.cands[len(s.cands)-2] != c
}

// BatchID names the batch from this run's start to end. It depends only on
// the two positions, so a retry of the same batch carries the same id and a
// receiver can drop the duplicate.
func (s *Session) pastStop(c *candidate, off int64) bool {
	return s.stopAt != nil && c.head == s.stopAt.Head && off > s.stopAt.Offset
}

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

// Close releases the files and the lock. It never writes state.
func (s *Session) Close() error {
	if s.firstDone != nil && s.firstR != nil {
		s.firstDone()
		s.firstR = nil
	}
	closeAll(s.cands)
	closeAll(s.extra)
	s.cands, s.extra = nil, nil
	return s.lock.Unlock()
}

// ReadState loads a consumer's state without locking, for status displays.
func ReadState(stateDir, consumer, live string) (*State, error) {
	p := filepath.Join(stateDir, consumer+".state.json")
	b, err := readNoFollow(p)
	if err != nil {
		return nil, err
	}
	st, err := DecodeState(b, consumer, live)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", p, err)
	}
	return st, nil
}

// FormatPos renders a position for logs: the path and the byte offset,
// spelt out so it cannot be read as a line number ("path:1234" was).
func FormatPos(p Position) string {
	return p.Path + " at byte offset " + strconv.FormatInt(p.Offset, 10)
}

// FileID is the identity of the file p lies in (the hash of its first
// line), the same in eve.json and its rotated or compressed copies; ""
// for a position without a file. eve-ship derives its event ids from it.
func (p Position) FileID() string { return p.head() }
