package gen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/klauspost/compress/gzip"
)

// Family describes a logrotate-style set of files covering the period:
// Name (live, newest), Name.1 (uncompressed, as with delaycompress), and
// Name.2.gz … Name.N.gz (oldest). Each file holds an equal slice of time.
type Family struct {
	Dir     string
	Name    string // default "eve.json"
	Rotated int    // N: number of rotated files beside the live one
	// CompressAll gzips Name.1 too (logrotate without delaycompress).
	CompressAll bool
}

// Paths returns the files of the family, oldest first (the order a reader
// must consume them).
func (fam Family) Paths() []string {
	name := fam.Name
	if name == "" {
		name = "eve.json"
	}
	out := make([]string, 0, fam.Rotated+1)
	for i := fam.Rotated; i >= 1; i-- {
		p := name + "." + strconv.Itoa(i)
		if i >= 2 || fam.CompressAll {
			p += ".gz"
		}
		out = append(out, filepath.Join(fam.Dir, p))
	}
	return append(out, filepath.Join(fam.Dir, name))
}

// WriteFamily generates cfg into the files of fam. The torn line of
// cfg.Partial, if any, ends the live file only.
func WriteFamily(fam Family, cfg Config) (Summary, error) {
	if fam.Rotated < 0 {
		return Summary{}, fmt.Errorf("negative rotation count")
	}
	c := cfg.Defaults()
	fs := &familySink{
		paths:  fam.Paths(),
		start:  c.Start.UnixMicro(),
		segLen: max(1, c.Duration.Microseconds()/int64(fam.Rotated+1)),
		cur:    -1,
	}
	sum, err := generate(cfg, fs)
	if err == nil {
		// Files for periods without lines must still exist, as logrotate
		// (with notifempty off) would leave them.
		for fs.cur < len(fs.paths)-1 && err == nil {
			err = fs.open(fs.cur + 1)
		}
	}
	if cerr := fs.close(); err == nil {
		err = cerr
	}
	return sum, err
}

type familySink struct {
	paths  []string
	start  int64
	segLen int64
	cur    int
	last   int64
	f      *os.File
	gz     *gzip.Writer
	bw     *bufio.Writer
}

func (s *familySink) open(i int) error {
	if err := s.close(); err != nil {
		return err
	}
	f, err := os.Create(s.paths[i])
	if err != nil {
		return err
	}
	s.f, s.cur = f, i
	var w io.Writer = f
	if filepath.Ext(s.paths[i]) == ".gz" {
		s.gz = gzip.NewWriter(f)
		w = s.gz
	}
	s.bw = bufio.NewWriterSize(w, 256<<10)
	return nil
}

func (s *familySink) close() error {
	if s.f == nil {
		return nil
	}
	err := s.bw.Flush()
	if s.gz != nil {
		if e := s.gz.Close(); err == nil {
			err = e
		}
	}
	if e := s.f.Close(); err == nil {
		err = e
	}
	s.f, s.gz, s.bw = nil, nil, nil
	return err
}

func (s *familySink) line(ts int64, b []byte) error {
	// A line never moves to an older file than the previous line, so the
	// family reads back in exactly the generated order.
	s.last = max(s.last, ts)
	seg := int(min(int64(len(s.paths)-1), max(0, (s.last-s.start)/s.segLen)))
	for s.cur < seg {
		if err := s.open(s.cur + 1); err != nil {
			return err
		}
	}
	_, err := s.bw.Write(b)
	return err
}

func (s *familySink) torn(b []byte) error {
	for s.cur < len(s.paths)-1 {
		if err := s.open(s.cur + 1); err != nil {
			return err
		}
	}
	_, err := s.bw.Write(b)
	return err
}
