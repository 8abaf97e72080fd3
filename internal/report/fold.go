package report

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/buger/jsonparser"
	"github.com/suricron/suricron/internal/eve"
)

// Local decides which addresses are internal (HOME_NET).
type Local interface {
	Contains(netip.Addr) bool
}

// Folder folds eve lines into per-day aggregates. It is not safe for
// concurrent use.
type Folder struct {
	loc   *time.Location
	local Local
	lim   Limits
	days  map[string]*Day
	stats *statsTracker
	// Ad hoc window: lines before since fold into before (the baseline),
	// lines from until on only advance the stats base.
	since, until time.Time
	before       map[string]*Day
	after        *Day
	folded       int64 // lines since the last trim
	// Bad counts lines that could not be decoded (never fatal).
	Bad int64
	// Lines counts every line offered.
	Lines int64
}

// NewFolder starts an empty fold. carry is the last stats record of the
// previous run (nil on the first run), so deltas chain across cron runs.
func NewFolder(loc *time.Location, local Local, lim Limits, carry *StatsPoint) *Folder {
	return &Folder{loc: loc, local: local, lim: lim, days: map[string]*Day{}, before: map[string]*Day{},
		after: newDay(""), stats: &statsTracker{prev: carry}}
}

// SetWindow makes days hold only [since, until); earlier lines go to Before.
// Zero times are open ends.
func (f *Folder) SetWindow(since, until time.Time) { f.since, f.until = since, until }

// Before returns the days folded from lines before the window.
func (f *Folder) Before() map[string]*Day {
	for _, d := range f.before {
		d.finish(f.lim)
	}
	return f.before
}

// trimEvery bounds memory: tables are cut back to 2× their limit this often.
const trimEvery = 1 << 16

// Event types the report reads; everything else is skipped after the
// prefilter, without decoding.
var (
	typeAlert = []byte("alert")
	typeFlow  = []byte("flow")
	typeStats = []byte("stats")
)

// Fold takes one eve line. Lines of other event types cost only the
// event_type prefilter.
func (f *Folder) Fold(line []byte) {
	f.Lines++
	if eve.IsBlank(line) {
		return
	}
	et, err := eve.EventType(line)
	if err != nil {
		f.Bad++
		return
	}
	switch {
	case bytes.Equal(et, typeFlow):
		err = f.foldFlow(line)
	case bytes.Equal(et, typeAlert):
		err = f.foldAlert(line)
	case bytes.Equal(et, typeStats):
		err = f.foldStats(line)
	default:
		return
	}
	if err != nil {
		f.Bad++
		return
	}
	if f.folded++; f.folded >= trimEvery {
		f.folded = 0
		for _, d := range f.days {
			d.trim(f.lim, 2)
		}
		for _, d := range f.before {
			d.trim(f.lim, 2)
		}
		f.after = newDay("")
	}
}

func (f *Folder) day(t time.Time) *Day {
	m := f.days
	switch {
	case !f.until.IsZero() && !t.Before(f.until):
		return f.after
	case !f.since.IsZero() && t.Before(f.since):
		m = f.before
	}
	key := t.In(f.loc).Format(time.DateOnly)
	d := m[key]
	if d == nil {
		d = newDay(key)
		m[key] = d
	}
	return d
}

// Days returns the folded days, trimmed and ordered for writing.
func (f *Folder) Days() map[string]*Day {
	for _, d := range f.days {
		d.finish(f.lim)
	}
	return f.days
}

// Carry is the last stats record seen, to chain the next run's deltas.
func (f *Folder) Carry() *StatsPoint { return f.stats.prev }

func (f *Folder) isLocal(a netip.Addr) bool { return a.IsValid() && f.local.Contains(a) }

// groupAddr reports multicast and broadcast destinations: they stay on the
// local link, so they are neither external peers nor hosts that offer
// anything. Any IPv4 address ending in .255 counts as a broadcast: without
// the netmask it cannot be told from a host of a /23 or larger, which is
// rarely given such an address.
func groupAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	return a.Is4() && a.As4()[3] == 255
}

// direction classifies a flow by where its client and server are.
func (f *Folder) direction(src, dst netip.Addr) (dir string, srcIn, dstIn bool) {
	srcIn, dstIn = f.isLocal(src), f.isLocal(dst)
	if groupAddr(dst) {
		if srcIn {
			return "local", srcIn, dstIn
		}
		return "in", srcIn, dstIn
	}
	switch {
	case srcIn && dstIn:
		return "local", srcIn, dstIn
	case dstIn:
		return "in", srcIn, dstIn
	case srcIn:
		return "out", srcIn, dstIn
	}
	return "ext", srcIn, dstIn
}

func protoName(p string) string { return strings.ToLower(p) }

func (f *Folder) port(d *Day, ev *eve.Event, dir string, t time.Time) *Port {
	k := portKey{protoName(ev.Proto), int(ev.DestPort), dir}
	p := d.portIdx[k]
	if p == nil {
		p = &Port{Proto: k.proto, Port: k.port, Dir: dir, First: t}
		d.portIdx[k] = p
		d.Ports = append(d.Ports, p)
	}
	if t.Before(p.First) {
		p.First = t
	}
	return p
}

// hasPort: ICMP and other portless protocols have no service to name.
func hasPort(ev *eve.Event) bool { return ev.DestPort != 0 || ev.SrcPort != 0 }

func (f *Folder) foldFlow(line []byte) error {
	ev, err := eve.Parse(line)
	if err != nil {
		return err
	}
	if ev.Flow == nil || ev.Timestamp.IsZero() {
		return errors.New("flow without flow object or timestamp")
	}
	t := ev.Timestamp
	d := f.day(t)
	d.seen(t)
	bytesN := ev.Flow.BytesToServer + ev.Flow.BytesToClient
	dir, srcIn, dstIn := f.direction(ev.SrcIP, ev.DestIP)
	if hasPort(ev) {
		p := f.port(d, ev, dir, t)
		p.Flows++
		p.Bytes += bytesN
		f.members(p, ev, srcIn, dstIn)
	}
	// Multicast and broadcast destinations are not hosts that offer
	// anything; counting them would list 224.0.0.251 as a talker.
	for i, a := range [2]netip.Addr{ev.SrcIP, ev.DestIP} {
		in := srcIn
		if i == 1 {
			in = dstIn
		}
		if !in || groupAddr(a) {
			continue
		}
		h := f.host(d, a, t)
		h.Flows++
		h.Bytes += bytesN
		// A service is a port that answered: a scan of closed ports must
		// not make every probed port a "service".
		if i == 1 && hasPort(ev) && ev.Flow.BytesToClient > 0 {
			h.Services[Service(protoName(ev.Proto), int(ev.DestPort))]++
		}
	}
	return nil
}

func (f *Folder) members(p *Port, ev *eve.Event, srcIn, dstIn bool) {
	for i, a := range [2]netip.Addr{ev.SrcIP, ev.DestIP} {
		if !a.IsValid() || groupAddr(a) {
			continue
		}
		in := srcIn
		if i == 1 {
			in = dstIn
		}
		s := a.Unmap().String()
		if in {
			p.Hosts = addMember(p.Hosts, &p.HostsMore, s, f.lim.Members)
		} else {
			p.Peers = addMember(p.Peers, &p.PeersMore, s, f.lim.Members)
		}
	}
}

func (f *Folder) host(d *Day, a netip.Addr, t time.Time) *Host {
	s := a.Unmap().String()
	h := d.hostIdx[s]
	if h == nil {
		h = &Host{IP: s, First: t, Services: map[string]int64{}}
		d.hostIdx[s] = h
		d.Hosts = append(d.Hosts, h)
	}
	if t.Before(h.First) {
		h.First = t
	}
	return h
}

func (f *Folder) foldAlert(line []byte) error {
	ev, err := eve.Parse(line)
	if err != nil {
		return err
	}
	if ev.Alert == nil || ev.Timestamp.IsZero() {
		return errors.New("alert without alert object or timestamp")
	}
	t := ev.Timestamp
	d := f.day(t)
	d.seen(t)
	a := &d.Alerts
	al := ev.Alert
	a.Total++
	a.BySeverity[strconv.Itoa(al.Severity)]++
	s := a.sigIdx[al.SignatureID]
	if s == nil {
		s = &Sig{SID: al.SignatureID, Signature: al.Signature, Category: al.Category, Severity: al.Severity, First: t}
		a.sigIdx[al.SignatureID] = s
		a.Sigs = append(a.Sigs, s)
	}
	s.Count++
	if t.Before(s.First) {
		s.First = t
	}
	if ev.SrcIP.IsValid() {
		a.Src[ev.SrcIP.Unmap().String()]++
	}
	if ev.DestIP.IsValid() {
		a.Dst[ev.DestIP.Unmap().String()]++
	}
	if hasPort(ev) {
		// An alert's addresses follow the packet that matched, which may
		// be the server's reply: the lower port is taken as the service
		// when the destination's is unprivileged and higher.
		if ev.DestPort >= 1024 && ev.SrcPort < ev.DestPort {
			ev.SrcIP, ev.DestIP, ev.SrcPort, ev.DestPort = ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
		}
		dir, srcIn, dstIn := f.direction(ev.SrcIP, ev.DestIP)
		p := f.port(d, ev, dir, t)
		p.Alerts++
		f.members(p, ev, srcIn, dstIn)
	}
	return nil
}

// Paths of the stats fields the capture section needs. Stats are parsed
// here rather than with eve.Parse because the report must know which
// counters are present (a missing field is not a zero), and because stats
// records are most of eve.json's bytes: reading five keys is far cheaper
// than validating the whole 5–100 KB record.
var statsPaths = [][]string{
	{"timestamp"},
	{"stats", "uptime"},
	{"stats", "capture", "kernel_packets"},
	{"stats", "capture", "kernel_drops"},
	{"stats", "capture", "kernel_ifdrops"},
	{"stats", "decoder", "pkts"},
}

func (f *Folder) foldStats(line []byte) error {
	var p StatsPoint
	var perr error
	var have [6]bool
	jsonparser.EachKey(line, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if err != nil || perr != nil {
			if perr == nil {
				perr = err
			}
			return
		}
		if idx == 0 {
			s, err := jsonparser.ParseString(v)
			if err == nil {
				p.Time, err = eve.ParseTime(s)
			}
			if err != nil {
				perr = fmt.Errorf("timestamp: %w", err)
			}
			have[0] = true
			return
		}
		if vt != jsonparser.Number {
			return // null or odd type: treated as missing
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n < 0 {
			perr = fmt.Errorf("%s: bad counter %q", strings.Join(statsPaths[idx], "."), v)
			return
		}
		have[idx] = true
		switch idx {
		case 1:
			p.Uptime = n
		case 2:
			p.KernelPackets = n
		case 3:
			p.KernelDrops = n
		case 4:
			p.KernelIfdrops = n
		case 5:
			p.DecoderPkts = n
		}
	}, statsPaths...)
	if perr != nil {
		return perr
	}
	// A torn or interleaved record can still yield the first keys.
	if !balanced(line) {
		return errors.New("stats record is not one complete object")
	}
	if !have[0] {
		return errors.New("stats record without timestamp")
	}
	p.HasUptime = have[1]
	p.HasCapture = have[2] || have[3]
	// With Suricata 8's null-values: false a zero counter is omitted, so
	// a lone missing counter inside a capture section still reads as 0;
	// but one missing while the other is present is noted.
	p.Partial = !have[1] || (have[2] != have[3]) || !have[5]
	d := f.day(p.Time)
	d.seen(p.Time)
	f.stats.add(d, &p)
	return nil
}

// balanced reports whether line looks like one complete object: it starts
// with '{', ends with '}' and its braces and brackets pair up. It is a cheap
// stand-in for json.Valid on stats records, which are most of eve.json's
// bytes, and rejects torn writes and two writers interleaved on one line
// (a prefix always opens more than it closes). Counting ignores strings:
// stats records hold only counter names, numbers, a timestamp and thread
// names, none of which contain brackets.
func balanced(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	return bytes.Count(line, []byte{'{'}) == bytes.Count(line, []byte{'}'}) &&
		bytes.Count(line, []byte{'['}) == bytes.Count(line, []byte{']'})
}
