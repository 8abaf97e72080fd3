package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
)

// Store is the aggregate directory: <state-dir>/weekly-report/days/DATE.json.gz
// plus carry.json (the last stats record and the last folded batch).
type Store struct {
	Dir string
	// write replaces one state file atomically; tests inject failures.
	write func(path string, data []byte) error
}

const (
	dayExt = ".json.gz"
	// maxDayBytes bounds a decompressed day file: real ones are tens of
	// KB, so anything near this is damage or a decompression bomb.
	maxDayBytes = 32 << 20
)

// NewStore uses dir (created on first write).
func NewStore(stateDir string) *Store {
	return &Store{Dir: filepath.Join(stateDir, "weekly-report"), write: writeAtomic}
}

func (s *Store) daysDir() string            { return filepath.Join(s.Dir, "days") }
func (s *Store) dayPath(date string) string { return filepath.Join(s.daysDir(), date+dayExt) }

// DecodeDay decodes one aggregate file's bytes (gzip-compressed JSON) and
// checks it: the version, that it describes date, and that no count is
// negative or row missing. Any failure is an error, never a panic.
func DecodeDay(b []byte, date string) (*Day, error) {
	zr, err := kgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxDayBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if len(raw) > maxDayBytes {
		return nil, fmt.Errorf("larger than %d bytes uncompressed", maxDayBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d Day
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("json: trailing data")
	}
	if err := d.check(date); err != nil {
		return nil, err
	}
	d.index()
	return &d, nil
}

func (d *Day) check(date string) error {
	if d.Version != DayVersion {
		return fmt.Errorf("version %d, want %d", d.Version, DayVersion)
	}
	if d.Date != date {
		return fmt.Errorf("date %q does not match the file name (%s)", d.Date, date)
	}
	neg := func(field string, v ...int64) error {
		for _, x := range v {
			if x < 0 {
				return fmt.Errorf("field %s: negative count %d", field, x)
			}
		}
		return nil
	}
	a := &d.Alerts
	if err := neg("alerts", d.Events, a.Total, a.SigsOther, a.SrcOther, a.DstOther); err != nil {
		return err
	}
	for _, m := range []map[string]int64{a.BySeverity, a.Src, a.Dst} {
		for k, v := range m {
			if err := neg("alerts."+k, v); err != nil {
				return err
			}
		}
	}
	seen := map[int64]bool{}
	for i, s := range a.Sigs {
		if s == nil {
			return fmt.Errorf("field alerts.sigs[%d]: null", i)
		}
		if seen[s.SID] {
			return fmt.Errorf("field alerts.sigs[%d]: duplicate sid %d", i, s.SID)
		}
		seen[s.SID] = true
		if err := neg(fmt.Sprintf("alerts.sigs[%d].n", i), s.Count); err != nil {
			return err
		}
	}
	pk := map[portKey]bool{}
	for i, p := range d.Ports {
		if p == nil {
			return fmt.Errorf("field ports[%d]: null", i)
		}
		if pk[p.key()] {
			return fmt.Errorf("field ports[%d]: duplicate %s/%d %s", i, p.Proto, p.Port, p.Dir)
		}
		pk[p.key()] = true
		if p.Port < 0 || p.Port > 65535 {
			return fmt.Errorf("field ports[%d].port: %d out of range", i, p.Port)
		}
		if err := neg(fmt.Sprintf("ports[%d]", i), p.Flows, p.Bytes, p.Alerts, p.HostsMore, p.PeersMore); err != nil {
			return err
		}
	}
	hk := map[string]bool{}
	for i, h := range d.Hosts {
		if h == nil {
			return fmt.Errorf("field hosts[%d]: null", i)
		}
		if hk[h.IP] {
			return fmt.Errorf("field hosts[%d]: duplicate %s", i, h.IP)
		}
		hk[h.IP] = true
		if err := neg(fmt.Sprintf("hosts[%d]", i), h.Flows, h.Bytes, h.ServicesOther); err != nil {
			return err
		}
		for k, v := range h.Services {
			if err := neg(fmt.Sprintf("hosts[%d].services.%s", i, k), v); err != nil {
				return err
			}
		}
	}
	c := &d.Capture
	if err := neg("capture", c.Records, c.WithCapture, c.KernelPackets, c.KernelDrops, c.KernelIfdrops,
		c.DecoderPkts, int64(c.Restarts), c.DownSeconds, c.MissingFields, c.Backwards, c.ClockJumps,
		d.PortsOt.Rows, d.PortsOt.Flows, d.PortsOt.Bytes, d.HostsOt.Rows, d.HostsOt.Flows, d.HostsOt.Bytes); err != nil {
		return err
	}
	return nil
}

// EncodeDay is the inverse of DecodeDay.
func EncodeDay(d *Day) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := kgzip.NewWriterLevel(&buf, kgzip.BestCompression)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(zw)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadDay loads date, or returns nil when there is no file. A damaged file
// is bad data (exit 65) naming the file.
func (s *Store) ReadDay(date string) (*Day, error) {
	p := s.dayPath(date)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: %w", p, err)
	}
	d, err := DecodeDay(b, date)
	if err != nil {
		return nil, exitcode.Data(fmt.Errorf("corrupt aggregate %s: %w (delete it to drop that day)", p, err))
	}
	return d, nil
}

// WriteDay replaces date's file atomically.
func (s *Store) WriteDay(d *Day) error {
	b, err := EncodeDay(d)
	if err != nil {
		return fmt.Errorf("encode aggregate %s: %w", d.Date, err)
	}
	return s.write(s.dayPath(d.Date), b)
}

// Dates lists the dates that have a file, oldest first.
func (s *Store) Dates() ([]string, error) {
	ents, err := os.ReadDir(s.daysDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aggregates: %w", err)
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		date, ok := strings.CutSuffix(name, dayExt)
		if !ok || e.IsDir() {
			continue
		}
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			continue
		}
		out = append(out, date)
	}
	slices.Sort(out)
	return out, nil
}

// Load reads every day in [from, to) (dates as 2006-01-02).
func (s *Store) Load(from, to string) (map[string]*Day, error) {
	dates, err := s.Dates()
	if err != nil {
		return nil, err
	}
	out := map[string]*Day{}
	for _, date := range dates {
		if date < from || date >= to {
			continue
		}
		d, err := s.ReadDay(date)
		if err != nil {
			return nil, err
		}
		if d != nil {
			out[date] = d
		}
	}
	return out, nil
}

// Prune removes day files dated before cutoff and returns how many.
func (s *Store) Prune(cutoff string) (int, error) {
	dates, err := s.Dates()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, date := range dates {
		if date >= cutoff {
			break
		}
		if err := os.Remove(s.dayPath(date)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("prune aggregate %s: %w", s.dayPath(date), err)
		}
		n++
	}
	return n, nil
}

// Carry links one collect run to the next.
type Carry struct {
	Version int `json:"v"`
	// Batch is the checkpoint batch whose lines the day files include; a
	// run that finds its pending batch here only commits the checkpoint.
	Batch string      `json:"batch,omitempty"`
	Stats *StatsPoint `json:"stats,omitempty"`
}

func (s *Store) carryPath() string { return filepath.Join(s.Dir, "carry.json") }

// ReadCarry returns the zero Carry when there is none.
func (s *Store) ReadCarry() (*Carry, error) {
	p := s.carryPath()
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return &Carry{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("carry %s: %w", p, err)
	}
	var c Carry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Version != 1 {
		if err == nil {
			err = fmt.Errorf("version %d", c.Version)
		}
		return nil, exitcode.Data(fmt.Errorf("corrupt aggregate %s: %w (delete it; the next stats record starts a new base)", p, err))
	}
	return &c, nil
}

// WriteCarry replaces carry.json atomically.
func (s *Store) WriteCarry(c *Carry) error {
	c.Version = 1
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.write(s.carryPath(), append(b, '\n'))
}

// writeAtomic writes state-dir files (aggregates, carry): private, and never
// half-written (internal/atomicfile).
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o600)
}
