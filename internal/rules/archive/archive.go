// Package archive reads a rules tarball (tar.gz) defensively: it refuses
// non-gzip bodies (HTML error pages), truncated or corrupt streams, absolute
// or ".." member paths, links and device nodes, and enforces caps on entry
// count and unpacked size so a decompression bomb cannot exhaust memory.
package archive

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// Limits bounds what an archive may hold.
type Limits struct {
	MaxEntries  int   // members of any type
	MaxTotal    int64 // sum of unpacked regular-file sizes
	MaxFileSize int64 // one unpacked member
	MaxTrailing int64 // bytes after the tar end marker (padding)
	// MaxLine caps one line of a member read in RuleLines mode; 0: no cap.
	MaxLine int
}

// DefaultLimits fit ET Pro (the largest common set, ~60 MB unpacked) with a
// wide margin while stopping bombs early.
func DefaultLimits() Limits {
	return Limits{MaxEntries: 10000, MaxTotal: 1 << 30, MaxFileSize: 512 << 20, MaxTrailing: 1 << 20, MaxLine: 1 << 20}
}

// ErrRejected marks every refusal, so callers can map it to "bad data".
var ErrRejected = errors.New("archive rejected")

func reject(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, a...))
}

// File is one kept member.
type File struct {
	Name string // cleaned path inside the archive, e.g. "rules/x.rules"
	// Data is a string so rules can be parsed as substrings without a copy.
	Data string
	// Candidates, for a member read in RuleLines mode, is the number of
	// lines kept with their text; -1 for a member kept whole.
	Candidates int
}

// Mode says how a member is read.
type Mode int

const (
	// Skip reads the member only to verify the stream.
	Skip Mode = iota
	// Whole keeps the member's bytes as they are.
	Whole
	// RuleLines keeps only the lines that can be (part of) a rule and
	// leaves every other line empty, so line numbers do not move: a
	// tarball inflating to 1 GiB of comments no longer costs 1 GiB.
	RuleLines
)

// Archive is the result of a successful read.
type Archive struct {
	Files   []File
	Entries int   // members seen
	Total   int64 // unpacked bytes of regular files
}

// Read unpacks a gzip-compressed tar from r, keeping the regular files for
// which keep(name) is true and reading (but discarding) the others so that
// the whole stream, including the gzip CRC, is verified.
func Read(r io.Reader, lim Limits, keep func(name string) bool) (*Archive, error) {
	return ReadEach(r, lim, keep, nil)
}

// ReadEach is Read that also hands each kept file, with its index in
// Archive.Files, to each as soon as it is complete, so that the caller can
// start working on it while the rest is still being decompressed. Files
// handed out before an error belong to a rejected archive: each must not
// act on them beyond work that can be thrown away.
func ReadEach(r io.Reader, lim Limits, keep func(name string) bool, each func(i int, f File)) (*Archive, error) {
	mode := func(name string) Mode {
		if keep != nil && keep(name) {
			return Whole
		}
		return Skip
	}
	return ReadEachMode(r, lim, mode, each)
}

// ReadEachMode is ReadEach with a per-member Mode.
func ReadEachMode(r io.Reader, lim Limits, mode func(name string) Mode, each func(i int, f File)) (*Archive, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		head, _ := br.Peek(32)
		return nil, reject("not a gzip archive (starts with %q)", printable(head))
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, reject("gzip header: %v", err)
	}
	defer zr.Close()
	a := &Archive{}
	tr := tar.NewReader(zr)
	// One copy buffer for all members: io.Copy into a strings.Builder
	// allocates a new 32 KB buffer for every member.
	copyBuf := make([]byte, 64<<10)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, reject("tar entry %d: %v", a.Entries+1, truncated(err))
		}
		a.Entries++
		if a.Entries > lim.MaxEntries {
			return nil, reject("more than %d entries", lim.MaxEntries)
		}
		name, err := cleanName(h.Name)
		if err != nil {
			return nil, reject("entry %q: %v", h.Name, err)
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg: // archive/tar reports old '\x00' entries as TypeReg
		case tar.TypeSymlink, tar.TypeLink:
			return nil, reject("entry %q: links are not allowed", name)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, reject("entry %q: device or fifo nodes are not allowed", name)
		default:
			return nil, reject("entry %q: unsupported type %q", name, h.Typeflag)
		}
		if h.Size < 0 || h.Size > lim.MaxFileSize {
			return nil, reject("entry %q: size %d exceeds the %d byte cap", name, h.Size, lim.MaxFileSize)
		}
		if a.Total+h.Size > lim.MaxTotal {
			return nil, reject("unpacked size exceeds the %d byte cap at %q", lim.MaxTotal, name)
		}
		a.Total += h.Size
		switch mode(name) {
		case Whole:
			var buf strings.Builder
			buf.Grow(int(h.Size))
			if _, err := io.CopyBuffer(&buf, tr, copyBuf); err != nil {
				return nil, reject("entry %q: %v", name, truncated(err))
			}
			a.Files = append(a.Files, File{Name: name, Data: buf.String(), Candidates: -1})
		case RuleLines:
			lf := &lineFilter{max: lim.MaxLine}
			lf.out.Grow(int(min(h.Size, growCap)))
			if _, err := io.CopyBuffer(lf, tr, copyBuf); err != nil {
				if errors.Is(err, errLongLine) {
					return nil, reject("entry %q line %d: longer than the %d byte line cap", name, lf.lineNo+1, lim.MaxLine)
				}
				return nil, reject("entry %q: %v", name, truncated(err))
			}
			lf.finish()
			a.Files = append(a.Files, File{Name: name, Data: lf.out.String(), Candidates: lf.kept})
		default:
			if _, err := io.CopyBuffer(io.Discard, tr, copyBuf); err != nil {
				return nil, reject("entry %q: %v", name, truncated(err))
			}
			continue
		}
		if each != nil {
			each(len(a.Files)-1, a.Files[len(a.Files)-1])
		}
	}
	// The tar end marker may come before the end of the gzip stream; reading
	// the rest makes gzip check its CRC and length, which catches corruption
	// and truncation the tar layer cannot see.
	n, err := io.Copy(io.Discard, io.LimitReader(zr, lim.MaxTrailing+1))
	if err != nil {
		return nil, reject("gzip stream: %v", truncated(err))
	}
	if n > lim.MaxTrailing {
		return nil, reject("more than %d bytes after the tar end", lim.MaxTrailing)
	}
	return a, nil
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated archive: %w", err)
	}
	return err
}

// cleanName refuses absolute and escaping paths and normalises "./x".
func cleanName(n string) (string, error) {
	if n == "" {
		return "", errors.New("empty name")
	}
	if strings.HasPrefix(n, "/") || strings.Contains(n, "\\") && strings.HasPrefix(n, "\\") {
		return "", errors.New("absolute path")
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", errors.New("path contains \"..\"")
		}
	}
	if strings.ContainsRune(n, 0) {
		return "", errors.New("NUL in name")
	}
	c := path.Clean(n)
	if c == "." {
		return c, nil
	}
	return strings.TrimPrefix(c, "./"), nil
}

func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else {
			out = append(out, '.')
		}
	}
	return string(out)
}
