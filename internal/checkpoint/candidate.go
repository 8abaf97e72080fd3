package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/eve"
)

const (
	headMax   = 4096     // bytes of the first line hashed for identity
	anchorMax = 256      // bytes before the offset hashed as the anchor
	tsWindow  = 64 << 10 // how far into a file to look for a parseable timestamp
)

// candidate is one file of the eve.json family, opened once per run; all
// reads go through this fd, so a rename during the run changes nothing.
type candidate struct {
	path    string
	f       *os.File
	codec   eve.Codec // by magic bytes; offsets are always uncompressed
	live    bool
	size    int64 // raw size at open; the live file is read up to here only
	mtime   time.Time
	dev     uint64
	ino     uint64
	head    string // "" when the file has no complete first line yet
	headLen int
	nul     int // leading NUL bytes before the hashed head
	firstTS string
	tsTime  time.Time
	suffix  suffixKey
}

// openCandidate opens path, fstats the fd (never stat-then-open: a rotation
// could slip in between) and computes identity and first timestamp.
// Only regular files are opened, without blocking (eve.OpenRegular): a
// FIFO matched by a pattern would otherwise hang the run in open(2).
func openCandidate(path string, live bool) (*candidate, error) {
	f, fi, err := eve.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	c := &candidate{path: path, f: f, live: live, size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		c.dev, c.ino = uint64(st.Dev), st.Ino
	}
	var magic [eve.MagicLen]byte
	n, _ := f.ReadAt(magic[:], 0)
	c.codec = eve.DetectCodec(magic[:n])
	if err := c.identify(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read head of %s: %w", path, err)
	}
	return c, nil
}

// reader returns the uncompressed content from offset 0. For a plain file
// it is bounded by the size seen at open.
func (c *candidate) reader() (io.Reader, func(), error) { return c.open(true) }

// open is reader with or without readahead: identifying a file reads only
// its first 64 KiB, where inflating megabytes ahead would be waste.
func (c *candidate) open(ahead bool) (io.Reader, func(), error) {
	sr := io.NewSectionReader(c.f, 0, c.size)
	if !c.codec.Compressed() {
		return sr, func() {}, nil
	}
	zr, closeZ, err := eve.Decompress(c.codec, sr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.path, err)
	}
	if !ahead {
		return zr, closeZ, nil
	}
	ra := eve.NewReadahead(zr) // decompress on the other core
	return ra, func() { ra.Close(); closeZ() }, nil
}

func (c *candidate) identify() error {
	r, done, err := c.open(false)
	if err != nil {
		return err
	}
	defer done()
	buf := make([]byte, tsWindow)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		if n == 0 {
			return err
		}
	}
	buf = buf[:n]
	c.nul = len(buf) - len(bytes.TrimLeft(buf, "\x00"))
	c.head, c.headLen = headHash(buf)
	c.firstTS, c.tsTime = firstTimestamp(buf)
	return nil
}

// headHash hashes the start of a file up to and including its first
// complete record line (at most headMax bytes), after leading NULs that a
// non-O_APPEND writer leaves after copytruncate. A torn fragment before
// that record (the second half of a line cut by a truncation) is included
// but never enough on its own: fragments of different files can be equal
// byte for byte, while a record carries a microsecond timestamp.
func headHash(b []byte) (string, int) {
	b = bytes.TrimLeft(b, "\x00")
	lim := b
	if len(lim) > headMax {
		lim = lim[:headMax]
	}
	end := 0
	for {
		i := bytes.IndexByte(lim[end:], '\n')
		if i < 0 {
			if len(lim) < headMax {
				return "", 0 // no complete record yet
			}
			end = len(lim) // a first record longer than the cap
			break
		}
		line := lim[end : end+i]
		end += i + 1
		if isRecord(line) {
			break
		}
	}
	sum := sha256.Sum256(lim[:end])
	return hex.EncodeToString(sum[:]), end
}

// isRecord reports whether line is an eve record rather than a fragment:
// a JSON object with a top-level timestamp, ending in '}'.
func isRecord(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	_, err := jsonparser.GetString(line, "timestamp")
	return err == nil
}

// firstTimestamp finds the first line in b whose timestamp parses; a torn
// leading fragment must not hide the file's age (tailing.md §5 bug 1).
func firstTimestamp(b []byte) (string, time.Time) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return "", time.Time{}
		}
		line := bytes.TrimLeft(b[:i], "\x00")
		b = b[i+1:]
		v, err := jsonparser.GetString(line, "timestamp")
		if err != nil {
			continue
		}
		if t, err := eve.ParseTime(v); err == nil {
			return v, t
		}
	}
	return "", time.Time{}
}

// anchorAt hashes the bytes [offset-anchorMax, offset). For a compressed
// file it decompresses up to offset (resuming inside a .gz is O(offset)); it returns
// the reader positioned at offset so the caller can continue from there.
func (c *candidate) anchorAt(offset int64) (anchor string, n int, r io.Reader, done func(), err error) {
	start := offset - anchorMax
	if start < 0 {
		start = 0
	}
	n = int(offset - start)
	win := make([]byte, n)
	rd, done, err := c.reader()
	if err != nil {
		return "", 0, nil, nil, err
	}
	// A plain file seeks to the window; reading up to it instead made every
	// commit cost the whole file so far (quadratic in a run's commits).
	if sk, ok := rd.(io.Seeker); ok {
		if _, err := sk.Seek(start, io.SeekStart); err != nil {
			done()
			return "", 0, nil, nil, errShort
		}
	} else if _, err := io.CopyN(io.Discard, rd, start); err != nil {
		done()
		return "", 0, nil, nil, errShort
	}
	if _, err := io.ReadFull(rd, win); err != nil {
		done()
		return "", 0, nil, nil, errShort
	}
	sum := sha256.Sum256(win)
	return hex.EncodeToString(sum[:]), n, rd, done, nil
}

// linesBefore counts the '\n's in the uncompressed bytes [0, offset): the
// number of lines before offset, for messages that name a line.
func (c *candidate) linesBefore(offset int64) (int64, error) {
	if offset == 0 {
		return 0, nil
	}
	r, done, err := c.reader()
	if err != nil {
		return 0, err
	}
	defer done()
	buf := make([]byte, 64<<10)
	var n, pos int64
	for pos < offset {
		k, err := r.Read(buf[:min(int64(len(buf)), offset-pos)])
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		pos += int64(k)
		if err != nil {
			if pos < offset {
				return 0, err
			}
			break
		}
	}
	return n, nil
}

var errShort = errors.New("file is shorter than the checkpoint offset")

// suffixKey orders rotated names when timestamps do not: logrotate's .N
// (higher is older) and dateext -YYYYMMDD (earlier is older).
type suffixKey struct {
	num  int    // .N; 0 when absent
	date string // dateext digits; "" when absent
}

var (
	// The extension only helps ordering; the codec comes from magic bytes.
	numSuffix  = regexp.MustCompile(`^\.(\d+)(\.[a-z0-9]{1,4})?$`)
	dateSuffix = regexp.MustCompile(`^-(\d{8,14})(\.[a-z0-9]{1,4})?$`)
)

func parseSuffix(live, path string) suffixKey {
	rest := strings.TrimPrefix(filepath.Base(path), filepath.Base(live))
	if m := numSuffix.FindStringSubmatch(rest); m != nil {
		n, _ := strconv.Atoi(m[1])
		return suffixKey{num: n}
	}
	if m := dateSuffix.FindStringSubmatch(rest); m != nil {
		return suffixKey{date: m[1]}
	}
	return suffixKey{}
}

// older reports whether a was written before b (rotated files only).
// logrotate's .N numbering comes first: it is the order of the rotations
// themselves, while first timestamps go backwards when the sensor's clock
// jumps back, which would put a newer file before the checkpointed one and
// skip it.
func older(a, b *candidate) bool {
	if a.suffix.num != b.suffix.num && a.suffix.num > 0 && b.suffix.num > 0 {
		return a.suffix.num > b.suffix.num
	}
	if !a.tsTime.IsZero() && !b.tsTime.IsZero() && !a.tsTime.Equal(b.tsTime) {
		return a.tsTime.Before(b.tsTime)
	}
	if a.suffix.date != b.suffix.date && a.suffix.date != "" && b.suffix.date != "" {
		return a.suffix.date < b.suffix.date
	}
	if !a.mtime.Equal(b.mtime) {
		return a.mtime.Before(b.mtime)
	}
	return a.path < b.path
}

// listCandidates opens the live file and every rotated file the globs match,
// drops duplicates of the same content (preferring the live file, then the
// plain twin of a compressed file being compressed right now), and orders them oldest
// first with the live file last.
func listCandidates(live string, globs []string) ([]*candidate, error) {
	lc, err := openCandidate(live, true)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && rotatedExist(globs) {
			// logrotate is between its rename and its create: retry soon.
			return nil, fmt.Errorf("open eve file: %w (rotated files exist: %w)", err, ErrRotating)
		}
		return nil, fmt.Errorf("open eve file: %w", err)
	}
	seen := map[string]bool{filepath.Clean(live): true}
	var rotated []*candidate
	for _, g := range globs {
		matches, err := filepath.Glob(g)
		if err != nil {
			closeAll(append(rotated, lc))
			return nil, fmt.Errorf("rotated-file pattern %q: %w", g, err)
		}
		for _, m := range matches {
			m = filepath.Clean(m)
			if seen[m] || strings.HasSuffix(m, ".prev") {
				continue
			}
			seen[m] = true
			c, err := openCandidate(m, false)
			if err != nil {
				continue // vanished, a directory, unreadable: not part of the stream
			}
			if c.head == "" {
				c.f.Close() // a rotated file without one complete line holds nothing to read
				continue
			}
			c.suffix = parseSuffix(live, m)
			rotated = append(rotated, c)
		}
	}
	byHead := map[string]*candidate{}
	var keep []*candidate
	if lc.head != "" {
		byHead[lc.head] = lc
	}
	sort.SliceStable(rotated, func(i, j int) bool { return !rotated[i].codec.Compressed() && rotated[j].codec.Compressed() })
	for _, c := range rotated {
		if _, dup := byHead[c.head]; dup {
			// Same content twice: live beats rotated (a copytruncate in
			// progress), plain beats compressed (logrotate compressing
			// right now).
			c.f.Close()
			continue
		}
		byHead[c.head] = c
		keep = append(keep, c)
	}
	sort.SliceStable(keep, func(i, j int) bool { return older(keep[i], keep[j]) })
	return append(keep, lc), nil
}

func rotatedExist(globs []string) bool {
	for _, g := range globs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return true
		}
	}
	return false
}

// sameHead re-reads the identity's bytes through the open fd and reports
// whether they are still the ones hashed at open: the same NUL prefix, then
// the same headLen bytes. It runs after every read of the live file, so it
// reads those few KiB, not the whole identification window.
func (c *candidate) sameHead() bool {
	if c.head == "" {
		h, _ := headHash(c.window())
		return h == ""
	}
	buf := make([]byte, c.nul+c.headLen)
	if n, _ := c.f.ReadAt(buf, 0); n < len(buf) {
		return false
	}
	for _, b := range buf[:c.nul] {
		if b != 0 {
			return false
		}
	}
	sum := sha256.Sum256(buf[c.nul : c.nul+c.headLen])
	return hex.EncodeToString(sum[:]) == c.head
}

// window reads the identification window again (leading NULs included).
func (c *candidate) window() []byte {
	buf := make([]byte, tsWindow)
	n, _ := c.f.ReadAt(buf, 0)
	return buf[:n]
}

func closeAll(cs []*candidate) {
	for _, c := range cs {
		if c != nil && c.f != nil {
			c.f.Close()
		}
	}
}
