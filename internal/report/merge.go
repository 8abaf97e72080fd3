package report

import "time"

// merge adds o into d. Both must be indexed. Used to fold a run's new
// lines into a day already on disk and to sum days into a week.
func (d *Day) merge(o *Day, lim Limits) {
	d.Events += o.Events
	if !o.First.IsZero() && (d.First.IsZero() || o.First.Before(d.First)) {
		d.First = o.First
	}
	if o.Last.After(d.Last) {
		d.Last = o.Last
	}
	a, b := &d.Alerts, &o.Alerts
	a.Total += b.Total
	addCounts(a.BySeverity, b.BySeverity)
	for _, s := range b.Sigs {
		x := a.sigIdx[s.SID]
		if x == nil {
			cp := *s
			a.sigIdx[s.SID] = &cp
			a.Sigs = append(a.Sigs, &cp)
			continue
		}
		x.Count += s.Count
		x.First = earliest(x.First, s.First)
	}
	a.SigsOther += b.SigsOther
	addCounts(a.Src, b.Src)
	addCounts(a.Dst, b.Dst)
	a.SrcOther += b.SrcOther
	a.DstOther += b.DstOther

	for _, p := range o.Ports {
		x := d.portIdx[p.key()]
		if x == nil {
			cp := *p
			cp.Hosts = append([]string(nil), p.Hosts...)
			cp.Peers = append([]string(nil), p.Peers...)
			cp.hostAddrs, cp.peerAddrs = nil, nil // cp's own lists are compared as text
			d.portIdx[p.key()] = &cp
			d.Ports = append(d.Ports, &cp)
			continue
		}
		x.Flows += p.Flows
		x.Bytes += p.Bytes
		x.Alerts += p.Alerts
		x.First = earliest(x.First, p.First)
		for _, h := range p.Hosts {
			x.Hosts = addMember(x.Hosts, &x.HostsMore, h, lim.Members)
		}
		for _, h := range p.Peers {
			x.Peers = addMember(x.Peers, &x.PeersMore, h, lim.Members)
		}
		x.HostsMore += p.HostsMore
		x.PeersMore += p.PeersMore
	}
	addOther(&d.PortsOt, o.PortsOt)
	for _, h := range o.Hosts {
		x := d.hostIdx[h.IP]
		if x == nil {
			x = &Host{IP: h.IP, First: h.First, Services: map[string]int64{}}
			d.hostIdx[h.IP] = x
			d.Hosts = append(d.Hosts, x)
		}
		x.Flows += h.Flows
		x.Bytes += h.Bytes
		x.First = earliest(x.First, h.First)
		addCounts(x.Services, h.Services)
		x.ServicesOther += h.ServicesOther
	}
	addOther(&d.HostsOt, o.HostsOt)

	c, e := &d.Capture, &o.Capture
	c.Records += e.Records
	c.WithCapture += e.WithCapture
	c.KernelPackets += e.KernelPackets
	c.KernelDrops += e.KernelDrops
	c.KernelIfdrops += e.KernelIfdrops
	c.DecoderPkts += e.DecoderPkts
	c.Restarts += e.Restarts
	for _, t := range e.RestartTimes {
		if len(c.RestartTimes) < maxRestartTimes {
			c.RestartTimes = append(c.RestartTimes, t)
		}
	}
	c.DownSeconds += e.DownSeconds
	if e.Worst != nil && e.Worst.worse(c.Worst) {
		w := *e.Worst
		c.Worst = &w
	}
	c.MissingFields += e.MissingFields
	c.Backwards += e.Backwards
	c.ClockJumps += e.ClockJumps
}

func addCounts(dst, src map[string]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

func addOther(d *Other, o Other) {
	d.Rows += o.Rows
	d.Flows += o.Flows
	d.Bytes += o.Bytes
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
