package digest

import (
	"cmp"
	"slices"
	"strings"
)

// buildDocument turns the aggregated alerts into the Document every
// renderer and destination uses. known and fresh mark new signatures and
// fresh rules.
func buildDocument(ag *aggregator, set *settings, host, batch string, known *knownSigs, fresh map[sigKey]bool, notes []string) *Document {
	d := &Document{
		Version: DocumentVersion, Host: host, Batch: batch,
		Alerts: ag.alerts, Signatures: len(ag.sigs),
		High: ag.bySev[1], Medium: ag.bySev[2], Low: ag.bySev[3], Other: ag.bySev[0],
		Notes: notes,
	}
	secs := make([]Section, 0, len(ag.order))
	for i, s := range ag.order {
		if i == 0 || s.first.Before(d.Start) {
			d.Start = s.first
		}
		if i == 0 || s.last.After(d.End) {
			d.End = s.last
		}
		secs = append(secs, s.section(known, fresh, set))
	}
	slices.SortFunc(secs, compareSections)
	for _, s := range secs {
		if s.New {
			d.New = append(d.New, s.SigCount)
		}
		if s.Fresh {
			d.Fresh = append(d.Fresh, s.SigCount)
		}
	}
	top := make([]SigCount, len(secs))
	for i, s := range secs {
		top[i] = s.SigCount
	}
	slices.SortStableFunc(top, func(a, b SigCount) int { return cmp.Compare(b.Count, a.Count) })
	d.Top = top[:min(len(top), TopSignatures)]
	n := min(len(secs), set.maxGroups)
	d.Sections = secs[:n]
	for _, s := range secs[n:] {
		d.Others = append(d.Others, s.SigCount)
	}
	return d
}

func sevRank(s int) int {
	if s < 1 {
		return 1 << 30
	}
	return s
}

// compareSections is "most important first": severity, then new, then
// count, then gid:sid so that equal digests render equally.
func compareSections(a, b Section) int {
	if c := cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)); c != 0 {
		return c
	}
	if a.New != b.New {
		if a.New {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return compareKeys(sigKey{a.GID, a.SID}, sigKey{b.GID, b.SID})
}

func (s *sigAgg) section(known *knownSigs, fresh map[sigKey]bool, set *settings) Section {
	sec := Section{
		SigCount: SigCount{GID: s.key.GID, SID: s.key.SID, Rev: s.rev, Signature: s.signature,
			Severity: s.severity, Count: s.count,
			New: known.isNew(s.key), Fresh: fresh[s.key]},
		Category: s.category,
		Sources:  s.srcs.len(), SourcesCapped: s.srcCapped,
		Destinations: s.dsts.len(), DestinationsCapped: s.dstCapped,
		FirstSeen: s.first, LastSeen: s.last,
		Actions:     s.actions,
		PairsApprox: s.pairs.overflow,
	}
	for _, p := range s.pairs.top(TopPairs, func(a, b pairKey) int {
		if c := a.Src.Compare(b.Src); c != 0 {
			return c
		}
		return a.Dst.Compare(b.Dst)
	}) {
		ports := make([]int, len(p.val.ports))
		for i, x := range p.val.ports {
			ports[i] = int(x)
		}
		slices.Sort(ports)
		sec.Pairs = append(sec.Pairs, Pair{Src: addrString(p.key.Src), Dst: addrString(p.key.Dst),
			DstPorts: ports, MorePorts: p.val.morePorts, Count: p.count})
	}
	sec.MorePairs = max(0, s.pairs.distinct-int64(len(sec.Pairs)))
	if s.pairs.overflow {
		sec.PairsError = s.pairs.maxErr()
	}
	for i := range s.context {
		c := &s.context[i]
		for _, v := range c.top(TopContext, strings.Compare) {
			sec.Context = append(sec.Context, Context{Field: contextFields[i], Value: v.key, Count: v.count, Approx: v.err > 0})
		}
	}
	if set.link != nil && s.key.SID != 0 {
		g := s.newest
		g.First, g.Last = s.first, s.last
		sec.Link = set.link.URL(&g)
	}
	return sec
}
