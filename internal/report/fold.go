package report

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

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
	trimEvery    int64 // trimEvery; tests lower it to reach the cut-back in small files
	// last is the day the previous line fell in, with its bounds in loc:
	// consecutive lines nearly always share a day, so a comparison of two
	// times replaces a Format per line.
	last struct {
		before     bool // the day is in before, not days
		start, end time.Time
		d          *Day
	}
	scratch scratch
	// Bad counts lines that could not be decoded (never fatal).
	Bad int64
	// Lines counts every line offered.
	Lines int64
	// Span is the time span of the events folded, in or out of the window
	// (empty.go reports it when the window has no data).
	Span Span
}

// NewFolder starts an empty fold. carry is the last stats record of the
// previous run (nil on the first run), so deltas chain across cron runs.
func NewFolder(loc *time.Location, local Local, lim Limits, carry *StatsPoint) *Folder {
	return &Folder{loc: loc, local: local, lim: lim, days: map[string]*Day{}, before: map[string]*Day{},
		after: newDay(""), stats: &statsTracker{prev: carry}, trimEvery: trimEvery}
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
// event_type prefilter. It is parseLine then apply: the parallel fold
// (parallel.go) runs the same two halves, parseLine on worker goroutines and
// apply in line order, so both give the same aggregates.
func (f *Folder) Fold(line []byte) {
	var r decoded
	parseLine(line, &r, &f.scratch)
	f.apply(&r)
}

// recKind is what parseLine made of a line.
type recKind uint8

const (
	recSkip recKind = iota // blank, or an event type the report does not read
	recBad                 // undecodable: counted, never fatal
	recFlow
	recAlert
	recStats
)

// decoded is one line decoded to exactly what apply folds. It holds no reference
// into the line, so a worker may decode a batch of lines whose buffer is
// reused once the batch is folded.
type decoded struct {
	kind recKind
	t    time.Time
	c    conn
	// flow
	toServer, toClient int64
	// alert
	sid      int64
	sev      int
	sig, cat string
	// stats
	sp StatsPoint
}

// scratch is one decoding goroutine's reusable space.
type scratch struct {
	flow  eve.FlowSummary
	alert eve.AlertFields
}

// parseLine decodes line into r without touching any fold state, so it is
// safe on any goroutine that owns sc.
func parseLine(line []byte, r *decoded, sc *scratch) {
	*r = decoded{}
	if eve.IsBlank(line) {
		return
	}
	et, err := eve.EventType(line)
	if err != nil {
		r.kind = recBad
		return
	}
	switch {
	case bytes.Equal(et, typeFlow):
		err = parseFlow(line, r, &sc.flow)
	case bytes.Equal(et, typeAlert):
		err = parseAlert(line, r, &sc.alert)
	case bytes.Equal(et, typeStats):
		err = parseStats(line, r)
	default:
		return
	}
	if err != nil {
		*r = decoded{kind: recBad}
	}
}

// apply folds one decoded line. Lines must be applied in file order: the
// stats deltas, the first-seen signature text, the capped member lists and
// the periodic cut-backs all depend on it.
func (f *Folder) apply(r *decoded) {
	f.Lines++
	switch r.kind {
	case recSkip:
		return
	case recBad:
		f.Bad++
		return
	case recFlow:
		f.foldFlow(r)
	case recAlert:
		f.foldAlert(r)
	case recStats:
		f.foldStats(r)
	}
	if f.folded++; f.folded >= f.trimEvery {
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
	f.Span.add(t)
	m, before := f.days, false
	switch {
	case !f.until.IsZero() && !t.Before(f.until):
		return f.after
	case !f.since.IsZero() && t.Before(f.since):
		m, before = f.before, true
	}
	// Day files are never removed from the maps while folding, so the
	// cached day is still the one in m.
	if l := &f.last; l.d != nil && l.before == before && !t.Before(l.start) && t.Before(l.end) {
		return l.d
	}
	lt := t.In(f.loc)
	key := lt.Format(time.DateOnly)
	d := m[key]
	if d == nil {
		d = newDay(key)
		m[key] = d
	}
	y, mo, dd := lt.Date()
	f.last.before, f.last.d = before, d
	f.last.start = time.Date(y, mo, dd, 0, 0, 0, 0, f.loc)
	f.last.end = time.Date(y, mo, dd+1, 0, 0, 0, 0, f.loc)
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

// protoName is the protocol as the report writes it, lower case; the
// common ones without ToLower's new string per flow.
func protoName(p string) string {
	switch p {
	case "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "ICMP":
		return "icmp"
	case "IPv6-ICMP":
		return "ipv6-icmp"
	}
	return strings.ToLower(p)
}

// conn is the addressing of one flow or alert, whichever decoder read it.
type conn struct {
	src, dst     netip.Addr
	sport, dport uint16
	proto        string
}

func (f *Folder) port(d *Day, c *conn, dir string, t time.Time) *Port {
	k := portKey{protoName(c.proto), int(c.dport), dir}
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
func hasPort(c *conn) bool { return c.dport != 0 || c.sport != 0 }

// flowFields are the flow fields the report folds: not app_proto or the
// packet counters, so the walk ends at flow.bytes_toclient also for a flow
// without app_proto.
const flowFields = eve.FlowTimestamp | eve.FlowSrcIP | eve.FlowSrcPort | eve.FlowDestIP | eve.FlowDestPort |
	eve.FlowProto | eve.FlowBytesToServer | eve.FlowBytesToClient

// parseFlow reads only the fields the report folds (eve.ParseFlowSummaryOf),
// not the whole record: flows are most of the lines a report decodes.
func parseFlow(line []byte, r *decoded, fs *eve.FlowSummary) error {
	if err := eve.ParseFlowSummaryOf(line, flowFields, fs); err != nil {
		return err
	}
	if !fs.HasFlow || fs.Timestamp.IsZero() {
		return errors.New("flow without flow object or timestamp")
	}
	r.kind, r.t = recFlow, fs.Timestamp
	r.c = conn{src: fs.SrcIP, dst: fs.DestIP, sport: fs.SrcPort, dport: fs.DestPort, proto: fs.Proto}
	r.toServer, r.toClient = fs.BytesToServer, fs.BytesToClient
	return nil
}

func (f *Folder) foldFlow(r *decoded) {
	c := &r.c
	t := r.t
	d := f.day(t)
	d.seen(t)
	bytesN := r.toServer + r.toClient
	dir, srcIn, dstIn := f.direction(c.src, c.dst)
	if hasPort(c) {
		p := f.port(d, c, dir, t)
		p.Flows++
		p.Bytes += bytesN
		f.members(p, c, srcIn, dstIn)
	}
	// Multicast and broadcast destinations are not hosts that offer
	// anything; counting them would list 224.0.0.251 as a talker.
	for i, a := range [2]netip.Addr{c.src, c.dst} {
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
		if i == 1 && hasPort(c) && r.toClient > 0 {
			h.Services[Service(protoName(c.proto), int(c.dport))]++
		}
	}
}

// addrText appends a.Unmap().String() to b without allocating it (the
// same text: AppendTo differs from String only for the zero Addr).
func addrText(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, a.String()...)
	}
	return a.Unmap().AppendTo(b)
}

func (f *Folder) members(p *Port, c *conn, srcIn, dstIn bool) {
	for i, a := range [2]netip.Addr{c.src, c.dst} {
		if !a.IsValid() || groupAddr(a) {
			continue
		}
		in := srcIn
		if i == 1 {
			in = dstIn
		}
		// A member is nearly always listed already or over the limit: only
		// a new one is formatted.
		if in {
			p.Hosts = addMemberAddr(p.Hosts, &p.hostAddrs, &p.HostsMore, a, f.lim.Members)
		} else {
			p.Peers = addMemberAddr(p.Peers, &p.peerAddrs, &p.PeersMore, a, f.lim.Members)
		}
	}
}

func (f *Folder) host(d *Day, a netip.Addr, t time.Time) *Host {
	u := a.Unmap()
	h := d.hostByAddr[u]
	if h == nil {
		var buf [64]byte
		b := addrText(buf[:0], a)
		h = d.hostIdx[string(b)] // no copy for the lookup
		if h == nil {
			s := string(b)
			h = &Host{IP: s, First: t, Services: map[string]int64{}}
			d.hostIdx[s] = h
			d.Hosts = append(d.Hosts, h)
		}
		h.addr = u
		d.hostByAddr[u] = h
	}
	if t.Before(h.First) {
		h.First = t
	}
	return h
}

// parseAlert reads the alert's identity, addresses and ports with
// eve.ParseAlertFields: the same values as eve.Parse for every line Parse
// accepts, without decoding the metadata, payload and flow an alert also
// carries.
func parseAlert(line []byte, r *decoded, af *eve.AlertFields) error {
	if err := eve.ParseAlertFields(line, af); err != nil {
		return err
	}
	if !af.HasAlert || af.Timestamp.IsZero() {
		return errors.New("alert without alert object or timestamp")
	}
	r.kind, r.t = recAlert, af.Timestamp
	r.c = conn{src: af.SrcIP, dst: af.DestIP, sport: af.SrcPort, dport: af.DestPort, proto: eve.ProtoText(af.Proto)}
	r.sid, r.sev, r.sig, r.cat = af.SignatureID, af.Severity, string(af.Signature), string(af.Category)
	return nil
}

func (f *Folder) foldAlert(r *decoded) {
	t := r.t
	d := f.day(t)
	d.seen(t)
	a := &d.Alerts
	a.Total++
	a.BySeverity[strconv.Itoa(r.sev)]++
	s := a.sigIdx[r.sid]
	if s == nil {
		s = &Sig{SID: r.sid, Signature: r.sig, Category: r.cat, Severity: r.sev, First: t}
		a.sigIdx[r.sid] = s
		a.Sigs = append(a.Sigs, s)
	}
	s.Count++
	if t.Before(s.First) {
		s.First = t
	}
	if r.c.src.IsValid() {
		a.Src[r.c.src.Unmap().String()]++
	}
	if r.c.dst.IsValid() {
		a.Dst[r.c.dst.Unmap().String()]++
	}
	if c := r.c; hasPort(&c) {
		// An alert's addresses follow the packet that matched, which may
		// be the server's reply: the lower port is taken as the service
		// when the destination's is unprivileged and higher.
		if c.dport >= 1024 && c.sport < c.dport {
			c.src, c.dst, c.sport, c.dport = c.dst, c.src, c.dport, c.sport
		}
		dir, srcIn, dstIn := f.direction(c.src, c.dst)
		p := f.port(d, &c, dir, t)
		p.Alerts++
		f.members(p, &c, srcIn, dstIn)
	}
}

// parseStats reads only the capture section's counters
// (eve.ParseStatsSummary): stats records are most of eve.json's bytes, and
// the report must know which counters are present (a missing field is not
// a zero).
func parseStats(line []byte, r *decoded) error {
	var ss eve.StatsSummary
	if err := eve.ParseStatsSummary(line, &ss); err != nil {
		return err
	}
	if !ss.HasTimestamp {
		return errors.New("stats record without timestamp")
	}
	p := StatsPoint{Time: ss.Timestamp, Uptime: ss.Uptime, KernelPackets: ss.KernelPackets, KernelDrops: ss.KernelDrops,
		KernelIfdrops: ss.KernelIfdrops, DecoderPkts: ss.DecoderPkts}
	p.HasUptime = ss.HasUptime
	p.HasCapture = ss.HasPackets || ss.HasDrops
	// With Suricata 8's null-values: false a zero counter is omitted, so
	// a lone missing counter inside a capture section still reads as 0;
	// but one missing while the other is present is noted.
	p.Partial = !ss.HasUptime || (ss.HasPackets != ss.HasDrops) || !ss.HasDecoder
	r.kind, r.sp = recStats, p
	return nil
}

func (f *Folder) foldStats(r *decoded) {
	p := r.sp
	d := f.day(p.Time)
	d.seen(p.Time)
	f.stats.add(d, &p)
}
