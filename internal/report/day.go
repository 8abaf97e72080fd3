package report

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// DayVersion is the layout version of an aggregate day file.
const DayVersion = 1

// Limits keep one day's aggregate small (a few KB gzipped) however busy or
// hostile the traffic: a port scan or a flood of spoofed sources lands in
// the "other" counters instead of growing the file. In memory a table may
// grow to twice its limit before it is cut back, so memory stays flat too.
type Limits struct {
	Signatures int // per day
	Addresses  int // alert sources and destinations, each
	Ports      int // proto/port/direction rows
	Hosts      int // internal hosts
	Services   int // services per host
	Members    int // internal hosts and external peers listed per port row
}

// DefaultLimits hold a year of days in a few MB.
var DefaultLimits = Limits{Signatures: 300, Addresses: 50, Ports: 400, Hosts: 300, Services: 16, Members: 8}

// Day is the aggregate of one calendar day in the report's time zone.
type Day struct {
	Version int    `json:"v"`
	Date    string `json:"date"` // 2006-01-02
	// Batch is the last checkpoint batch folded into this day, written in
	// the same atomic replace as the counts: a retry of that batch (after
	// a later write failed) skips the day instead of adding it twice.
	Batch string `json:"batch,omitempty"`
	// Span: the lines folded into this day (events) and their first and
	// last timestamps.
	Span
	Alerts  Alerts  `json:"alerts"`
	Ports   []*Port `json:"ports,omitempty"`
	PortsOt Other   `json:"ports_other"`
	Hosts   []*Host `json:"hosts,omitempty"`
	HostsOt Other   `json:"hosts_other"`
	Capture Capture `json:"capture"`

	// Indexes rebuilt after decoding; not stored.
	portIdx map[portKey]*Port
	hostIdx map[string]*Host
	// hostByAddr caches hostIdx by address for the fold (host), so a
	// known host costs no formatting; a miss falls back to hostIdx.
	hostByAddr map[netip.Addr]*Host
}

// Other is what was folded away when a table was cut back to its limit.
type Other struct {
	Rows  int64 `json:"rows,omitempty"`
	Flows int64 `json:"flows,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
}

// Alerts is one day of alerts.
type Alerts struct {
	Total      int64            `json:"total"`
	BySeverity map[string]int64 `json:"by_severity,omitempty"`
	Sigs       []*Sig           `json:"sigs,omitempty"`
	SigsOther  int64            `json:"sigs_other,omitempty"`
	Src        map[string]int64 `json:"src,omitempty"`
	SrcOther   int64            `json:"src_other,omitempty"`
	Dst        map[string]int64 `json:"dst,omitempty"`
	DstOther   int64            `json:"dst_other,omitempty"`

	sigIdx map[int64]*Sig
}

// Sig counts one signature.
type Sig struct {
	SID       int64     `json:"sid"`
	Signature string    `json:"msg"`
	Category  string    `json:"cat,omitempty"`
	Severity  int       `json:"sev"`
	Count     int64     `json:"n"`
	First     time.Time `json:"first"`
}

// Port is the traffic to one destination proto/port in one direction.
type Port struct {
	Proto  string    `json:"proto"`
	Port   int       `json:"port"`
	Dir    string    `json:"dir"` // in, out, local, ext
	Flows  int64     `json:"flows,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
	Alerts int64     `json:"alerts,omitempty"`
	First  time.Time `json:"first"`
	// Hosts are internal, Peers external addresses; both capped at
	// Limits.Members, with HostsMore/PeersMore counting the flows whose
	// address did not fit.
	Hosts     []string `json:"hosts,omitempty"`
	HostsMore int64    `json:"hosts_more,omitempty"`
	Peers     []string `json:"peers,omitempty"`
	PeersMore int64    `json:"peers_more,omitempty"`

	// hostAddrs and peerAddrs are Hosts and Peers as addresses, while the
	// fold has built both (equal lengths): a flow whose address is listed
	// (nearly every one) is then found without formatting it. A list
	// decoded or merged has none and is compared as text.
	hostAddrs, peerAddrs []netip.Addr
}

type portKey struct {
	proto string
	port  int
	dir   string
}

func (p *Port) key() portKey { return portKey{p.Proto, p.Port, p.Dir} }

// Service names proto/port, as in the JSON contract ("tcp/22").
func Service(proto string, port int) string { return proto + "/" + strconv.Itoa(port) }

// Host is one internal address.
type Host struct {
	IP    string    `json:"ip"`
	Flows int64     `json:"flows"`
	Bytes int64     `json:"bytes"`
	First time.Time `json:"first"`
	// Services maps "proto/port" this host answered on to flows.
	Services      map[string]int64 `json:"services,omitempty"`
	ServicesOther int64            `json:"services_other,omitempty"`

	addr netip.Addr // the key of this host in Day.hostByAddr, once there
}

// Capture is one day of the stats counters, as restart-aware sums.
type Capture struct {
	Records       int64 `json:"records"`
	WithCapture   int64 `json:"with_capture"` // records that had a capture section
	KernelPackets int64 `json:"kernel_packets"`
	KernelDrops   int64 `json:"kernel_drops"`
	KernelIfdrops int64 `json:"kernel_ifdrops,omitempty"`
	DecoderPkts   int64 `json:"decoder_pkts"`
	Restarts      int   `json:"restarts"`
	// RestartTimes are the first records after each restart (capped).
	RestartTimes []time.Time `json:"restart_times,omitempty"`
	DownSeconds  int64       `json:"down_seconds,omitempty"`
	Worst        *Interval   `json:"worst,omitempty"`
	// Anomalies in the counters, reported as notes.
	MissingFields int64 `json:"missing_fields,omitempty"`
	Backwards     int64 `json:"backwards,omitempty"`
	ClockJumps    int64 `json:"clock_jumps,omitempty"`
}

// Interval is the stretch between two stats records.
type Interval struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Packets int64     `json:"packets"`
	Drops   int64     `json:"drops"`
}

// worse orders intervals by drops, then by drop ratio.
func (iv *Interval) worse(o *Interval) bool {
	if o == nil {
		return true
	}
	if iv.Drops != o.Drops {
		return iv.Drops > o.Drops
	}
	return iv.Drops*max(o.Packets, 1) > o.Drops*max(iv.Packets, 1)
}

const maxRestartTimes = 16

func newDay(date string) *Day {
	d := &Day{Version: DayVersion, Date: date}
	d.index()
	return d
}

// index rebuilds the lookup maps after decoding and makes nil maps usable.
func (d *Day) index() {
	if d.Alerts.BySeverity == nil {
		d.Alerts.BySeverity = map[string]int64{}
	}
	if d.Alerts.Src == nil {
		d.Alerts.Src = map[string]int64{}
	}
	if d.Alerts.Dst == nil {
		d.Alerts.Dst = map[string]int64{}
	}
	d.Alerts.sigIdx = make(map[int64]*Sig, len(d.Alerts.Sigs))
	for _, s := range d.Alerts.Sigs {
		d.Alerts.sigIdx[s.SID] = s
	}
	d.portIdx = make(map[portKey]*Port, len(d.Ports))
	for _, p := range d.Ports {
		d.portIdx[p.key()] = p
	}
	d.hostIdx = make(map[string]*Host, len(d.Hosts))
	d.hostByAddr = make(map[netip.Addr]*Host, len(d.Hosts))
	for _, h := range d.Hosts {
		if h.Services == nil {
			h.Services = map[string]int64{}
		}
		d.hostIdx[h.IP] = h
	}
}

func (d *Day) seen(t time.Time) { d.Span.add(t) }

// trim cuts every table back to its limit, folding the rest into the other
// counters. Callers trim at 2× the limit while folding and exactly at the
// limit before writing, so the kept rows are the day's largest.
func (d *Day) trim(lim Limits, slack int) {
	a := &d.Alerts
	if len(a.Sigs) > lim.Signatures*slack {
		sortSigs(a.Sigs)
		for _, s := range a.Sigs[lim.Signatures:] {
			a.SigsOther += s.Count
			delete(a.sigIdx, s.SID)
		}
		a.Sigs = slices.Clip(a.Sigs[:lim.Signatures])
	}
	a.SrcOther += trimCounts(a.Src, lim.Addresses, slack)
	a.DstOther += trimCounts(a.Dst, lim.Addresses, slack)
	if len(d.Ports) > lim.Ports*slack {
		sortPorts(d.Ports)
		for _, p := range d.Ports[lim.Ports:] {
			d.PortsOt.Rows++
			d.PortsOt.Flows += p.Flows
			d.PortsOt.Bytes += p.Bytes
			delete(d.portIdx, p.key())
		}
		d.Ports = slices.Clip(d.Ports[:lim.Ports])
	}
	if len(d.Hosts) > lim.Hosts*slack {
		sortHosts(d.Hosts)
		for _, h := range d.Hosts[lim.Hosts:] {
			d.HostsOt.Rows++
			d.HostsOt.Flows += h.Flows
			d.HostsOt.Bytes += h.Bytes
			delete(d.hostIdx, h.IP)
			if h.addr.IsValid() {
				delete(d.hostByAddr, h.addr)
			}
		}
		d.Hosts = slices.Clip(d.Hosts[:lim.Hosts])
	}
	for _, h := range d.Hosts {
		h.ServicesOther += trimCounts(h.Services, lim.Services, slack)
	}
}

// trimCounts keeps the n largest entries of m (ties by key, for stable
// output) once m holds more than n*slack, and returns the removed total.
func trimCounts(m map[string]int64, n, slack int) int64 {
	if len(m) <= n*slack {
		return 0
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var other int64
	for _, k := range keys[n:] {
		other += m[k]
		delete(m, k)
	}
	return other
}

func sortSigs(s []*Sig) {
	slices.SortFunc(s, func(a, b *Sig) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.SID, b.SID)
	})
}

func sortPorts(p []*Port) {
	slices.SortFunc(p, func(a, b *Port) int {
		if c := cmp.Compare(b.Flows+b.Alerts, a.Flows+a.Alerts); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmpPortKey(a.key(), b.key())
	})
}

func cmpPortKey(a, b portKey) int {
	if c := cmp.Compare(a.proto, b.proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.port, b.port); c != 0 {
		return c
	}
	return cmp.Compare(a.dir, b.dir)
}

func sortHosts(h []*Host) {
	slices.SortFunc(h, func(a, b *Host) int {
		if c := cmp.Compare(b.Flows, a.Flows); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(a.IP, b.IP)
	})
}

// finish trims to the limits and orders every table, so equal inputs give
// equal files.
func (d *Day) finish(lim Limits) {
	d.trim(lim, 1)
	sortSigs(d.Alerts.Sigs)
	sortPorts(d.Ports)
	sortHosts(d.Hosts)
	for _, p := range d.Ports {
		slices.Sort(p.Hosts)
		slices.Sort(p.Peers)
	}
}

// addMember records addr in a capped, set-like list.
func addMember(list []string, more *int64, addr string, limit int) []string {
	if slices.Contains(list, addr) {
		return list
	}
	if len(list) >= limit {
		*more++
		return list
	}
	return append(list, addr)
}

// addMemberAddr is addMemberText keyed by the address: addrs holds list's
// entries as addresses (the text of an unmapped address is unique to it),
// so only an address that joins the list is formatted. Once list has
// entries addrs lacks (decoded or merged), it is compared as text.
func addMemberAddr(list []string, addrs *[]netip.Addr, more *int64, a netip.Addr, limit int) []string {
	if len(*addrs) != len(list) {
		var buf [64]byte
		return addMemberText(list, more, addrText(buf[:0], a), limit)
	}
	u := a.Unmap()
	if slices.Contains(*addrs, u) {
		return list
	}
	if len(list) >= limit {
		*more++
		return list
	}
	*addrs = append(*addrs, u)
	var buf [64]byte
	return append(list, string(addrText(buf[:0], a)))
}

// addMemberText is addMember for an address formatted into a scratch
// buffer: it is copied only when it joins the list.
func addMemberText(list []string, more *int64, addr []byte, limit int) []string {
	for _, x := range list {
		if x == string(addr) {
			return list
		}
	}
	if len(list) >= limit {
		*more++
		return list
	}
	return append(list, string(addr))
}
