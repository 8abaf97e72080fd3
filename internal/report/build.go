package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Report is what every output format renders. Its JSON form is the
// contract of DESIGN §4 (period, alerts, unusual_ports, capture, hosts)
// plus fields that only add to it.
type Report struct {
	Host         string         `json:"host"`
	Week         string         `json:"week,omitempty"`
	Period       Period         `json:"period"`
	NoData       bool           `json:"no_data"`
	Alerts       AlertSection   `json:"alerts"`
	UnusualPorts []PortRow      `json:"unusual_ports"`
	Capture      CaptureSection `json:"capture"`
	Hosts        []HostRow      `json:"hosts"`
	TopTalkers   []HostRow      `json:"top_talkers"`
	NewHosts     []string       `json:"new_hosts"`
	Notes        []string       `json:"notes"`
	Coverage     []Coverage     `json:"coverage,omitempty"`
	Sensors      []SensorRow    `json:"sensors,omitempty"` // fleet report only
}

// Period is [Start, End).
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// AlertSection is section 1.
type AlertSection struct {
	Total         int64            `json:"total"`
	Previous      int64            `json:"previous_total"`
	BySeverity    map[string]int64 `json:"by_severity"`
	Signatures    []SigRow         `json:"signatures"`
	MoreSigs      int              `json:"more_signatures"`
	PerDay        []AlertDay       `json:"per_day"`
	Sources       []AddrRow        `json:"top_sources"`
	Destinations  []AddrRow        `json:"top_destinations"`
	NewSignatures []SigRow         `json:"new_signatures"`
}

// SigRow is one signature of the week.
type SigRow struct {
	SID       int64  `json:"sid"`
	Signature string `json:"signature"`
	Severity  int    `json:"severity"`
	Category  string `json:"category,omitempty"`
	Count     int64  `json:"count"`
	Previous  int64  `json:"previous"`
	New       bool   `json:"new"`
}

// AlertDay is one row of alerts per day.
type AlertDay struct {
	Date       string           `json:"date"`
	Total      int64            `json:"total"`
	BySeverity map[string]int64 `json:"by_severity"`
}

// AddrRow is an address with its alert count.
type AddrRow struct {
	IP    string `json:"ip"`
	Count int64  `json:"count"`
}

// PortRow is one unusual destination port.
type PortRow struct {
	Port      int       `json:"port"`
	Proto     string    `json:"proto"`
	Dir       string    `json:"direction"`
	Flows     int64     `json:"flows"`
	Bytes     int64     `json:"bytes"`
	Alerts    int64     `json:"alerts"`
	Hosts     []string  `json:"hosts"`
	HostsMore int64     `json:"hosts_more,omitempty"`
	Peers     []string  `json:"peers"`
	PeersMore int64     `json:"peers_more,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
}

// CaptureSection is section 3.
type CaptureSection struct {
	KernelPackets int64        `json:"kernel_packets"`
	KernelDrops   int64        `json:"kernel_drops"`
	DropRatio     float64      `json:"drop_ratio"`
	Restarts      int          `json:"restarts"`
	HasCapture    bool         `json:"has_capture"`
	Records       int64        `json:"stats_records"`
	DecoderPkts   int64        `json:"decoder_pkts"`
	DownSeconds   int64        `json:"down_seconds"`
	RestartTimes  []time.Time  `json:"restart_times"`
	Days          []CaptureDay `json:"per_day"`
	Worst         *Interval    `json:"worst_interval"`
}

// CaptureDay is one row of capture health per day.
type CaptureDay struct {
	Date      string  `json:"date"`
	Records   int64   `json:"stats_records"`
	Packets   int64   `json:"kernel_packets"`
	Drops     int64   `json:"kernel_drops"`
	DropRatio float64 `json:"drop_ratio"`
	Restarts  int     `json:"restarts"`
}

// HostRow is one internal host.
type HostRow struct {
	IP       string   `json:"ip"`
	Flows    int64    `json:"flows"`
	Bytes    int64    `json:"bytes"`
	Services []string `json:"services"`
	New      bool     `json:"new"`
}

// DropWarn is Suricata's own guidance: drops should stay below 1 % of
// kernel_packets (performance/analysis.rst).
const DropWarn = 0.01

// buildInput is what Build needs: the days of the period, of the week
// before it and of everything earlier (the learned baseline).
type buildInput struct {
	host     string
	week     string
	period   Period
	loc      *time.Location
	cur      map[string]*Day
	prev     map[string]*Day // the 7 days before the period
	base     map[string]*Day // every day before the period (includes prev)
	expected PortSet
	top      int
	notes    []string // from reading (bad lines, gaps)
	// coverage is asked only when the period has no data (empty.go).
	coverage func() ([]Coverage, error)
}

// bigLimits sum a week without dropping rows; the per-day files are
// already bounded, so the sum is too.
var bigLimits = Limits{Signatures: 1 << 20, Addresses: 1 << 20, Ports: 1 << 20, Hosts: 1 << 20, Services: 1 << 20, Members: 8}

func sum(days map[string]*Day) *Day {
	w := newDay("")
	for _, k := range slices.Sorted(maps.Keys(days)) {
		w.merge(days[k], bigLimits)
	}
	return w
}

// dates lists the calendar days of the period.
func (p Period) dates(loc *time.Location) []string {
	var out []string
	s := p.Start.In(loc)
	d := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	for i := 0; d.Before(p.End) && i < 400; i++ {
		out = append(out, d.Format(time.DateOnly))
		d = d.AddDate(0, 0, 1)
	}
	return out
}

func build(in buildInput) *Report {
	top := in.top
	if top <= 0 {
		top = 20
	}
	w := sum(in.cur)
	pw := sum(in.prev)
	r := &Report{Host: in.host, Week: in.week, Period: in.period, Notes: in.notes}
	r.NoData = w.Events == 0

	// 1. Alerts.
	a := &r.Alerts
	a.Total = w.Alerts.Total
	a.Previous = pw.Alerts.Total
	a.BySeverity = maps.Clone(w.Alerts.BySeverity)
	baseSIDs := map[int64]bool{}
	for _, d := range in.base {
		for _, s := range d.Alerts.Sigs {
			baseSIDs[s.SID] = true
		}
	}
	sigs := slices.Clone(w.Alerts.Sigs)
	sortSigs(sigs)
	for i, s := range sigs {
		// Without earlier data nothing can be called new.
		row := SigRow{SID: s.SID, Signature: s.Signature, Severity: s.Severity, Category: s.Category, Count: s.Count, New: len(in.base) > 0 && !baseSIDs[s.SID]}
		if p := pw.Alerts.sigIdx[s.SID]; p != nil {
			row.Previous = p.Count
		}
		if i < top {
			a.Signatures = append(a.Signatures, row)
		}
		if row.New {
			a.NewSignatures = append(a.NewSignatures, row)
		}
	}
	a.MoreSigs = max(len(sigs)-top, 0)
	if len(a.NewSignatures) > top {
		a.NewSignatures = a.NewSignatures[:top]
	}
	for _, date := range in.period.dates(in.loc) {
		row := AlertDay{Date: date, BySeverity: map[string]int64{}}
		if d := in.cur[date]; d != nil {
			row.Total = d.Alerts.Total
			row.BySeverity = maps.Clone(d.Alerts.BySeverity)
		}
		a.PerDay = append(a.PerDay, row)
	}
	a.Sources = topAddrs(w.Alerts.Src, top)
	a.Destinations = topAddrs(w.Alerts.Dst, top)

	// 2. Unusual ports: neither expected nor seen in any earlier day.
	learned := map[string]bool{}
	for _, d := range in.base {
		for _, p := range d.Ports {
			if p.Flows > 0 {
				learned[Service(p.Proto, p.Port)] = true
			}
		}
	}
	ports := slices.Clone(w.Ports)
	sortPorts(ports)
	unusual := 0
	for _, p := range ports {
		if in.expected.Has(p.Proto, p.Port) || learned[Service(p.Proto, p.Port)] {
			continue
		}
		unusual++
		if len(r.UnusualPorts) >= top {
			continue
		}
		r.UnusualPorts = append(r.UnusualPorts, PortRow{Port: p.Port, Proto: p.Proto, Dir: p.Dir, Flows: p.Flows,
			Bytes: p.Bytes, Alerts: p.Alerts, Hosts: sorted(p.Hosts), HostsMore: p.HostsMore,
			Peers: sorted(p.Peers), PeersMore: p.PeersMore, FirstSeen: p.First})
	}
	if unusual > top {
		r.Notes = append(r.Notes, fmt.Sprintf("%d unusual port rows, the %d busiest shown", unusual, top))
	}
	if w.PortsOt.Rows > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d smaller port rows (%d flows) were folded away by the daily size limit", w.PortsOt.Rows, w.PortsOt.Flows))
	}

	// 3. Capture health.
	c := &r.Capture
	wc := w.Capture
	c.KernelPackets, c.KernelDrops, c.Restarts = wc.KernelPackets, wc.KernelDrops, wc.Restarts
	c.HasCapture = wc.WithCapture > 0
	c.Records, c.DecoderPkts, c.DownSeconds = wc.Records, wc.DecoderPkts, wc.DownSeconds
	c.RestartTimes = wc.RestartTimes
	c.Worst = wc.Worst
	c.DropRatio = ratio(wc.KernelDrops, wc.KernelPackets)
	for _, date := range in.period.dates(in.loc) {
		row := CaptureDay{Date: date}
		if d := in.cur[date]; d != nil {
			row.Records, row.Packets, row.Drops, row.Restarts = d.Capture.Records, d.Capture.KernelPackets, d.Capture.KernelDrops, d.Capture.Restarts
			row.DropRatio = ratio(row.Drops, row.Packets)
		}
		c.Days = append(c.Days, row)
	}
	r.Notes = append(r.Notes, captureNotes(wc, c)...)

	// 4. Local network.
	baseHosts := map[string]bool{}
	for _, d := range in.base {
		for _, h := range d.Hosts {
			baseHosts[h.IP] = true
		}
	}
	hosts := slices.Clone(w.Hosts)
	sortHosts(hosts)
	for i, h := range hosts {
		row := hostRow(h, len(in.base) > 0 && !baseHosts[h.IP])
		if i < top {
			r.Hosts = append(r.Hosts, row)
		}
		if row.New && len(r.NewHosts) < top {
			r.NewHosts = append(r.NewHosts, h.IP)
		}
	}
	slices.SortFunc(hosts, func(a, b *Host) int {
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(a.IP, b.IP)
	})
	for _, h := range hosts[:min(len(hosts), 10)] {
		r.TopTalkers = append(r.TopTalkers, hostRow(h, len(in.base) > 0 && !baseHosts[h.IP]))
	}
	if len(in.base) == 0 && !r.NoData {
		r.Notes = append(r.Notes, "no earlier data: new signatures, new hosts and the learned port baseline start with this period")
	}
	if r.NoData {
		r.Notes = append([]string{"no data for this period"}, r.Notes...)
	}
	// Lists are empty rather than null in JSON: "none" is an answer.
	r.Alerts.Signatures = nonNil(r.Alerts.Signatures)
	r.Alerts.NewSignatures = nonNil(r.Alerts.NewSignatures)
	r.Alerts.Sources = nonNil(r.Alerts.Sources)
	r.Alerts.Destinations = nonNil(r.Alerts.Destinations)
	r.UnusualPorts = nonNil(r.UnusualPorts)
	r.Hosts = nonNil(r.Hosts)
	r.TopTalkers = nonNil(r.TopTalkers)
	r.NewHosts = nonNil(r.NewHosts)
	r.Notes = nonNil(r.Notes)
	r.Capture.RestartTimes = nonNil(r.Capture.RestartTimes)
	if r.Alerts.BySeverity == nil {
		r.Alerts.BySeverity = map[string]int64{}
	}
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func captureNotes(wc Capture, c *CaptureSection) []string {
	var n []string
	if wc.Records > 0 && wc.WithCapture == 0 {
		n = append(n, "stats records have no capture section (pcap-file mode): no kernel packet or drop counters")
	}
	if c.DropRatio >= DropWarn {
		n = append(n, fmt.Sprintf("kernel drops %.2f %% of packets, above Suricata's 1 %% guidance", 100*c.DropRatio))
	}
	if wc.Restarts > 0 {
		n = append(n, fmt.Sprintf("Suricata restarted %s; counters were summed across restarts; down about %s", plural(int64(wc.Restarts), "time", "times"), time.Duration(wc.DownSeconds)*time.Second))
	}
	if wc.MissingFields > 0 {
		n = append(n, fmt.Sprintf("%s uptime or capture/decoder counters (treated as unchanged)", plural(wc.MissingFields, "stats record lacked", "stats records lacked")))
	}
	if wc.Backwards > 0 {
		n = append(n, fmt.Sprintf("a counter went backwards without an uptime reset %s (counted as a reset)", plural(wc.Backwards, "time", "times")))
	}
	if wc.ClockJumps > 0 {
		n = append(n, fmt.Sprintf("%s between stats records (wall clock and uptime disagree)", plural(wc.ClockJumps, "clock jump", "clock jumps")))
	}
	return n
}

func hostRow(h *Host, isNew bool) HostRow {
	keys := slices.Collect(maps.Keys(h.Services))
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(h.Services[b], h.Services[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return HostRow{IP: h.IP, Flows: h.Flows, Bytes: h.Bytes, Services: nonNil(keys[:min(len(keys), 6)]), New: isNew}
}

func topAddrs(m map[string]int64, n int) []AddrRow {
	rows := make([]AddrRow, 0, len(m))
	for k, v := range m {
		rows = append(rows, AddrRow{IP: k, Count: v})
	}
	slices.SortFunc(rows, func(a, b AddrRow) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.IP, b.IP)
	})
	return rows[:min(len(rows), n)]
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return nonNil(out)
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// PortSet is the --expected-ports list.
type PortSet map[string]bool

// Has reports whether proto/port is expected; a bare port entry matches any
// protocol.
func (s PortSet) Has(proto string, port int) bool {
	return s[Service(proto, port)] || s["*/"+strconv.Itoa(port)]
}
