package digest

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// The suppress file mutes alerts the operator has already looked at. One
// rule per line; '#' starts a comment; fields are separated by blanks:
//
//	SID                          every alert of this sid
//	SID ADDR|CIDR                ... when the source or the destination is in it
//	SID src=ADDR|CIDR            ... only as the source (dst= likewise; both may be given)
//	... until=YYYY-MM-DD         optional: the rule ends after that day (local time)
//
// A bad line is reported with its number and ignored: losing one
// suppression means more mail, never fewer alerts.

// maxSuppressLine bounds one line, so a binary file given by mistake cannot
// make the scanner buffer grow without end.
const maxSuppressLine = 4096

// SuppressRule is one line of the suppress file.
type SuppressRule struct {
	Line  int
	SID   int64
	Any   netip.Prefix // source or destination; invalid when unset
	Src   netip.Prefix
	Dst   netip.Prefix
	Until time.Time // zero: forever; else the first instant it no longer applies
}

// LineError is a line of the suppress file that could not be used.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Suppressions is a parsed suppress file, indexed by sid.
type Suppressions struct {
	Rules  []SuppressRule
	Errors []LineError
	bySID  map[int64][]int
}

// LoadSuppressFile reads and parses path. Only an unreadable file is an
// error; bad lines are in the result's Errors.
func LoadSuppressFile(path string) (*Suppressions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("suppress file: %w", err)
	}
	defer f.Close()
	s, err := ParseSuppress(f)
	if err != nil {
		return nil, fmt.Errorf("suppress file %s: %w", path, err)
	}
	return s, nil
}

// ParseSuppress parses a suppress file. Dates are in time.Local.
func ParseSuppress(r io.Reader) (*Suppressions, error) {
	return parseSuppress(r, time.Local)
}

func parseSuppress(r io.Reader, loc *time.Location) (*Suppressions, error) {
	s := &Suppressions{bySID: map[int64][]int{}}
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return s, nil
			}
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if tooLong {
			s.Errors = append(s.Errors, LineError{n, fmt.Errorf("longer than %d bytes", maxSuppressLine)})
			continue
		}
		rule, ok, err := parseRule(line, loc)
		if err != nil {
			s.Errors = append(s.Errors, LineError{n, err})
			continue
		}
		if !ok {
			continue
		}
		rule.Line = n
		s.bySID[rule.SID] = append(s.bySID[rule.SID], len(s.Rules))
		s.Rules = append(s.Rules, rule)
	}
}

// readLine returns the next line without its end; io.EOF only when no
// bytes are left. Over-long lines are consumed and flagged.
func readLine(br *bufio.Reader) (string, bool, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > maxSuppressLine+1 {
			tooLong = true
		} else {
			b = append(b, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || (len(b) == 0 && !tooLong)) {
			return "", false, err
		}
		s := strings.TrimSuffix(string(b), "\n")
		return strings.TrimSuffix(s, "\r"), tooLong, nil
	}
}

// parseRule parses one line; ok is false for blank and comment lines.
func parseRule(line string, loc *time.Location) (SuppressRule, bool, error) {
	var r SuppressRule
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return r, false, nil
	}
	sid, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || sid <= 0 {
		return r, false, fmt.Errorf("sid %q: want a positive number", clip(fields[0]))
	}
	r.SID = sid
	for _, f := range fields[1:] {
		key, val, hasEq := strings.Cut(f, "=")
		if !hasEq {
			key, val = "", f
		}
		switch key {
		case "until":
			if !r.Until.IsZero() {
				return r, false, errors.New("until= given twice")
			}
			d, err := time.ParseInLocation(time.DateOnly, val, loc)
			if err != nil {
				return r, false, fmt.Errorf("until=%q: want YYYY-MM-DD", clip(val))
			}
			// The named day is still suppressed.
			r.Until = d.AddDate(0, 0, 1)
		case "", "src", "dst":
			p, err := parsePrefix(val)
			if err != nil {
				return r, false, err
			}
			slot := map[string]*netip.Prefix{"": &r.Any, "src": &r.Src, "dst": &r.Dst}[key]
			if slot.IsValid() {
				return r, false, fmt.Errorf("%q: that address is already given", clip(f))
			}
			*slot = p
		default:
			return r, false, fmt.Errorf("%q: unknown field (want an address, src=, dst= or until=)", clip(f))
		}
	}
	if r.Any.IsValid() && (r.Src.IsValid() || r.Dst.IsValid()) {
		return r, false, errors.New("an address for either side cannot be combined with src= or dst=")
	}
	return r, true, nil
}

// parsePrefix accepts an address (a /32 or /128) or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: not an address or CIDR", clip(s))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: not an address or CIDR", clip(s))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// clip keeps error messages short and printable when the file is garbage.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "…"
	}
	return printable.String(s)
}

// Expired reports whether the rule no longer applies at now.
func (r SuppressRule) Expired(now time.Time) bool {
	return !r.Until.IsZero() && !now.Before(r.Until)
}

// Matches reports whether the rule mutes an alert of sid from src to dst.
func (r SuppressRule) Matches(sid int64, src, dst netip.Addr, now time.Time) bool {
	if r.SID != sid || r.Expired(now) {
		return false
	}
	src, dst = src.Unmap(), dst.Unmap()
	if r.Any.IsValid() && !r.Any.Contains(src) && !r.Any.Contains(dst) {
		return false
	}
	if r.Src.IsValid() && !r.Src.Contains(src) {
		return false
	}
	if r.Dst.IsValid() && !r.Dst.Contains(dst) {
		return false
	}
	return true
}

// String renders the rule in the file's syntax.
func (r SuppressRule) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(r.SID, 10))
	pf := func(prefix string, p netip.Prefix) {
		if !p.IsValid() {
			return
		}
		b.WriteString(" " + prefix)
		if p.Bits() == p.Addr().BitLen() {
			b.WriteString(p.Addr().String())
		} else {
			b.WriteString(p.String())
		}
	}
	pf("", r.Any)
	pf("src=", r.Src)
	pf("dst=", r.Dst)
	if !r.Until.IsZero() {
		b.WriteString(" until=" + r.Until.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	return b.String()
}

// Match returns the rule that mutes the alert, if any.
func (s *Suppressions) Match(sid int64, src, dst netip.Addr, now time.Time) (SuppressRule, bool) {
	if s == nil {
		return SuppressRule{}, false
	}
	for _, i := range s.bySID[sid] {
		if s.Rules[i].Matches(sid, src, dst, now) {
			return s.Rules[i], true
		}
	}
	return SuppressRule{}, false
}
