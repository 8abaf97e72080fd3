package digest

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/suricron/suricron/internal/eve"
)

// maxPorts is how many distinct destination ports a group lists.
const maxPorts = 8

// maxTrackedGroups bounds memory when a scan or spoofed flood makes a new
// (sid, src, dst) for nearly every alert: past it, new pairs are counted in
// one group per sid with "many" addresses, so the totals stay exact.
const maxTrackedGroups = 1 << 20

// GroupKey is EveBox's grouping: signature, source and destination.
type GroupKey struct {
	SID int64
	Src netip.Addr // invalid in an overflow group: many sources
	Dst netip.Addr
}

// Group is the alerts of one key.
type Group struct {
	GroupKey
	Signature string // of the newest alert
	Category  string
	Severity  int // most severe seen (1 is high); 0 if none given
	Proto     string
	Count     int64
	First     time.Time
	Last      time.Time
	FlowID    uint64   // of the newest alert, for the link
	Ports     []uint16 // distinct destination ports, at most maxPorts
	MorePorts bool     // more ports were seen than listed
}

// aggregator folds alerts into groups.
type aggregator struct {
	groups   map[GroupKey]*Group
	overflow map[int64]*Group
	// strs interns signatures and categories: a backlog has few distinct
	// ones but may have a million groups, each of which would otherwise
	// keep its own copy.
	strs   map[string]string
	alerts int64
	high   int64 // alerts of severity 1
}

func newAggregator() *aggregator {
	return &aggregator{groups: map[GroupKey]*Group{}, overflow: map[int64]*Group{}, strs: map[string]string{}}
}

func (ag *aggregator) add(ev *eve.Event) {
	a := ev.Alert
	k := GroupKey{SID: a.SignatureID, Src: ev.SrcIP, Dst: ev.DestIP}
	g := ag.groups[k]
	if g == nil {
		if len(ag.groups) >= maxTrackedGroups {
			g = ag.overflow[k.SID]
			if g == nil {
				g = &Group{GroupKey: GroupKey{SID: k.SID}}
				ag.overflow[k.SID] = g
			}
		} else {
			g = &Group{GroupKey: k}
			ag.groups[k] = g
		}
	}
	ag.alerts++
	if a.Severity == 1 {
		ag.high++
	}
	g.Count++
	ts := ev.Timestamp
	if g.Count == 1 || ts.Before(g.First) {
		g.First = ts
	}
	if g.Count == 1 || !ts.Before(g.Last) {
		g.Last = ts
		g.Signature, g.Category, g.Proto, g.FlowID = ag.intern(a.Signature), ag.intern(a.Category), ag.intern(ev.Proto), ev.FlowID
	}
	if a.Severity > 0 && (g.Severity == 0 || a.Severity < g.Severity) {
		g.Severity = a.Severity
	}
	if ev.DestPort != 0 && !slices.Contains(g.Ports, ev.DestPort) {
		if len(g.Ports) < maxPorts {
			g.Ports = append(g.Ports, ev.DestPort)
		} else {
			g.MorePorts = true
		}
	}
}

// maxInterned bounds the intern table; past it strings are kept as they are.
const maxInterned = 1 << 16

func (ag *aggregator) intern(s string) string {
	if v, ok := ag.strs[s]; ok {
		return v
	}
	if len(ag.strs) < maxInterned {
		ag.strs[s] = s
	}
	return s
}

// sorted returns every group, most severe first (unknown severity last),
// then by count, then by key so that equal digests render equally.
func (ag *aggregator) sorted() []*Group {
	out := make([]*Group, 0, len(ag.groups)+len(ag.overflow))
	for _, g := range ag.groups {
		out = append(out, g)
	}
	for _, g := range ag.overflow {
		out = append(out, g)
	}
	for _, g := range out {
		slices.Sort(g.Ports)
	}
	slices.SortFunc(out, compareGroups)
	return out
}

func sevRank(s int) int {
	if s < 1 {
		return 1 << 30
	}
	return s
}

func compareGroups(a, b *Group) int {
	if c := cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	if c := cmp.Compare(a.SID, b.SID); c != 0 {
		return c
	}
	if c := a.Src.Compare(b.Src); c != 0 {
		return c
	}
	return a.Dst.Compare(b.Dst)
}

// SignatureTotal sums one signature over all its groups.
type SignatureTotal struct {
	SID       int64
	Signature string
	Severity  int
	Count     int64
	Groups    int
}

func signatureTotals(groups []*Group) []SignatureTotal {
	idx := map[int64]int{}
	var out []SignatureTotal
	for _, g := range groups {
		i, ok := idx[g.SID]
		if !ok {
			i = len(out)
			idx[g.SID] = i
			out = append(out, SignatureTotal{SID: g.SID, Signature: g.Signature, Severity: g.Severity})
		}
		t := &out[i]
		t.Count += g.Count
		t.Groups++
		if g.Severity > 0 && (t.Severity == 0 || g.Severity < t.Severity) {
			t.Severity = g.Severity
		}
	}
	slices.SortFunc(out, func(a, b SignatureTotal) int {
		if c := cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.SID, b.SID)
	})
	return out
}
