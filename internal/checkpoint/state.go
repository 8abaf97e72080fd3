package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
)

// StateVersion is the state file format this build reads and writes.
const StateVersion = 1

// FilePos is a position as stored: which file (by content) and where in it.
type FilePos struct {
	Head      string `json:"head"`               // hex SHA-256 of the first line (≤4 KiB); "" for an empty file
	HeadLen   int    `json:"head_len"`           // bytes hashed
	FirstTS   string `json:"first_ts,omitempty"` // first parseable timestamp, verbatim
	Offset    int64  `json:"offset"`             // uncompressed, just after a '\n'
	Anchor    string `json:"anchor,omitempty"`   // hex SHA-256 of [offset-anchor_len, offset)
	AnchorLen int    `json:"anchor_len"`
	Dev       uint64 `json:"dev,omitempty"` // hints for diagnostics, never trusted alone
	Ino       uint64 `json:"ino,omitempty"`
	Path      string `json:"path,omitempty"`
	Size      int64  `json:"size,omitempty"`
	// After, for a position in a file without an identity yet (Head ""):
	// the identity of the newest rotated file when it was saved. Every
	// file after that one is unread, whatever the clock or the inodes did.
	After string `json:"after,omitempty"`
	// Older: the identities of the rotated files ordered before this one
	// when it was saved, comma-separated (newest last, at most maxOlder),
	// all read whole. When this file is gone, every remaining file after
	// the newest of them is unread: resuming needs no timestamps, which go
	// backwards when the sensor's clock is stepped back. A string, not a
	// slice, so that FilePos stays comparable.
	Older string `json:"older,omitempty"`
}

// olderHeads splits FilePos.Older.
func (p FilePos) olderHeads() []string {
	if p.Older == "" {
		return nil
	}
	return strings.Split(p.Older, ",")
}

// maxOlder bounds FilePos.Older: a few files deleted together still leave
// a known one; logrotate's retention deletes the oldest first.
const maxOlder = 8

// Pending records a batch handed to the receiver but not yet committed, so
// a retry after a crash re-sends exactly that batch with the same id.
type Pending struct {
	BatchID string  `json:"batch_id"`
	End     FilePos `json:"end"`
}

// State is the content of <consumer>.state.json.
type State struct {
	Version   int      `json:"version"`
	Consumer  string   `json:"consumer"`
	Source    string   `json:"source"`
	Pos       FilePos  `json:"position"`
	UpdatedAt string   `json:"updated_at"`
	BatchID   string   `json:"batch_id,omitempty"`
	Pending   *Pending `json:"pending,omitempty"`
	Lines     int64    `json:"lines"`
	BadLines  int64    `json:"bad_lines"`
	Gaps      int64    `json:"gap_warnings"`
}

// ErrCorrupt marks a state file that cannot be trusted; the fix is
// --reset-state.
var ErrCorrupt = errors.New("corrupt state")

// DecodeState parses a state file's bytes, refusing anything that is not
// exactly a version-1 state for consumer and source.
func DecodeState(b []byte, consumer, source string) (*State, error) {
	var st State
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrCorrupt)
	}
	switch {
	case st.Version != StateVersion:
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrCorrupt, st.Version, StateVersion)
	case st.Consumer != consumer:
		return nil, fmt.Errorf("%w: it belongs to %q, not %q", ErrCorrupt, st.Consumer, consumer)
	case st.Source != source:
		return nil, fmt.Errorf("%w: it tracks %s, not %s", ErrCorrupt, st.Source, source)
	case st.Pos.Offset < 0 || st.Pos.HeadLen < 0 || st.Pos.AnchorLen < 0 || st.Pos.AnchorLen > anchorMax || st.Pos.HeadLen > headMax:
		return nil, fmt.Errorf("%w: position out of range", ErrCorrupt)
	case st.Pos.Head == "" && st.Pos.Offset != 0:
		return nil, fmt.Errorf("%w: offset without a file identity", ErrCorrupt)
	case !isHexHash(st.Pos.Head) || !isHexHash(st.Pos.Anchor) || !isHexHash(st.Pos.After):
		return nil, fmt.Errorf("%w: head or anchor is not a SHA-256", ErrCorrupt)
	case len(st.Pos.olderHeads()) > maxOlder:
		return nil, fmt.Errorf("%w: more than %d older files", ErrCorrupt, maxOlder)
	}
	for _, h := range st.Pos.olderHeads() {
		if h == "" || !isHexHash(h) {
			return nil, fmt.Errorf("%w: an older file's identity is not a SHA-256", ErrCorrupt)
		}
	}
	return &st, nil
}

func isHexHash(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// EncodeState is the canonical encoding: indented JSON and a final newline,
// readable in a bug report.
func EncodeState(st *State) ([]byte, error) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeFileAtomic replaces path durably (internal/atomicfile) and keeps the
// previous committed state as path.prev for manual recovery.
func writeFileAtomic(path string, data []byte) error {
	// The old .prev goes only once the new state is on disk: on a full
	// disk the run fails instead of trading the backup for the write.
	return atomicfile.WriteThen(path, data, 0o600, func() error {
		prev := path + ".prev"
		os.Remove(prev)
		if err := os.Link(path, prev); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	})
}

// removeStaleTemps deletes temp files a crash left behind; the rename is the
// commit point, so they never hold anything newer than the state.
func removeStaleTemps(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPattern(base)))
	for _, m := range matches {
		os.Remove(m)
	}
}

// readNoFollow reads a state file, refusing a symlink planted in its place:
// a root run must not read (and quote in an error) a file it points to.
func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link; refusing to follow it", path)
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(f)
}

func nowString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
