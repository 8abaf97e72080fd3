package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
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

	// Set by the resume plan (resume.go), read by Lines.
	first     int       // index of the first candidate to read
	firstOff  int64     // offset in it
	firstR    io.Reader // already positioned at firstOff by the anchor check, or nil
	firstDone func()    // releases firstR
	stopAt    *FilePos  // pending batch end: stop exactly there

	// Moved by Lines (read.go, copytruncate.go), saved by commit.go.
	start   Position
	end     Position
	ident   Position     // the last position read in a file with an identity (see filePos)
	clamped bool         // the pending end lay past its file's end (see Lines)
	extra   []*candidate // copies opened during the run (continueInCopy)
	stats   Stats
	scanned bool
}

// Open locks the consumer, loads its state and finds where to resume. The
// caller must Close the session.
func Open(ctx context.Context, cfg Config) (*Session, error) {
	if cfg.Consumer == "" || cfg.Live == "" {
		return nil, exitcode.Usagef("checkpoint: consumer and eve path are required")
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
		return nil, exitcode.Usagef("--max-line-bytes %d: want %d to %d", cfg.MaxLineBytes, MinLineBytes, MaxLineBytes)
	}
	switch cfg.Start {
	case StartEnd, StartBeginning, StartAll:
	default:
		return nil, exitcode.Usagef("--start %q: want end, beginning or all", cfg.Start)
	}
	if len(cfg.Globs) == 0 {
		cfg.Globs = []string{cfg.Live + ".*", cfg.Live + "-*"}
	}
	cfg.Globs = append(cfg.Globs, cfg.Rotated...)
	s := &Session{cfg: cfg, log: cfg.Logger, statePath: filepath.Join(cfg.StateDir, cfg.Consumer+".state.json")}
	if !cfg.ReadOnly {
		if err := atomicfile.PrivateDir(cfg.StateDir); err != nil {
			return nil, err // atomicfile.ErrUnsafeDir: cli.ExitCode makes it 2
		}
		l, err := TryLock(filepath.Join(cfg.StateDir, cfg.Consumer+".lock"))
		if err != nil {
			return nil, err // ErrLocked: cli.ExitCode makes it 75
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
				return fmt.Errorf("state %s: %w; run once with --reset-state to discard it (the next run then starts per --start)", s.statePath, err) // ErrCorrupt: 65
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

// End is the position after everything consumed so far, including skipped
// blank, oversize and torn lines; committing it after the work succeeded
// moves the checkpoint past all of them.
func (s *Session) End() Position { return s.end }

// Stats returns this run's counters.
func (s *Session) Stats() Stats { return s.stats }

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
