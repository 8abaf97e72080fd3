package report

import (
	"time"
)

// StatsPoint is one stats record's counters. It is also the carry kept
// between cron runs, so the first record of a run has a predecessor.
type StatsPoint struct {
	Time          time.Time `json:"time"`
	Uptime        int64     `json:"uptime"`
	HasUptime     bool      `json:"has_uptime"`
	HasCapture    bool      `json:"has_capture"`
	KernelPackets int64     `json:"kernel_packets"`
	KernelDrops   int64     `json:"kernel_drops"`
	KernelIfdrops int64     `json:"kernel_ifdrops"`
	DecoderPkts   int64     `json:"decoder_pkts"`
	Partial       bool      `json:"-"`
}

// freshStart: a first record with at most this uptime belongs to an engine
// that started inside the data, so its counters are all new. A larger
// uptime means the engine ran before the data began: that record is only the
// baseline, or the report would count hours of traffic it never saw.
const freshStart = 60

// jumpTolerance is how far wall-clock time and uptime may disagree between
// two records before it counts as a clock jump or a hidden restart.
const jumpTolerance = 60 * time.Second

// statsTracker sums restart-aware deltas of the cumulative counters.
type statsTracker struct {
	prev *StatsPoint
}

// delta is the increase of a cumulative counter between two records; after
// a restart (or a counter that went down) the new value is the increase,
// as the counters restarted from zero.
func delta(cur, prev int64, restart bool) (d int64, backwards bool) {
	if restart {
		return cur, false
	}
	if cur < prev {
		return cur, true
	}
	return cur - prev, false
}

func (st *statsTracker) add(d *Day, p *StatsPoint) {
	c := &d.Capture
	c.Records++
	if p.HasCapture {
		c.WithCapture++
	}
	if p.Partial {
		c.MissingFields++
	}
	if !p.HasUptime {
		// Without uptime a reset cannot be told from a glitch: skip the
		// record and keep the previous one as the base.
		return
	}
	prev := st.prev
	if prev == nil {
		if p.Uptime <= freshStart {
			st.count(c, p, &StatsPoint{HasCapture: p.HasCapture}, true, p.Time.Add(-time.Duration(p.Uptime)*time.Second))
		}
		cp := *p
		st.prev = &cp
		return
	}
	wall := p.Time.Sub(prev.Time)
	up := time.Duration(p.Uptime-prev.Uptime) * time.Second
	restart := p.Uptime < prev.Uptime
	switch {
	case restart:
	case wall < 0:
		// Wall clock went back while uptime went on: the clock was set.
		c.ClockJumps++
	case wall > up+jumpTolerance && time.Duration(p.Uptime)*time.Second < wall-jumpTolerance:
		// The engine has been up for less time than passed since the
		// previous record: it restarted in between and grew past the old
		// uptime before the next record we saw.
		restart = true
	case wall > up+jumpTolerance || up > wall+jumpTolerance:
		c.ClockJumps++
	}
	start := prev.Time
	if restart {
		c.Restarts++
		if len(c.RestartTimes) < maxRestartTimes {
			c.RestartTimes = append(c.RestartTimes, p.Time)
		}
		began := p.Time.Add(-time.Duration(p.Uptime) * time.Second)
		if down := began.Sub(prev.Time); down > 0 {
			c.DownSeconds += int64(down / time.Second)
		}
		start = began
	}
	st.count(c, p, prev, restart, start)
	cp := *p
	if !p.HasCapture && prev.HasCapture && !restart {
		// A record without its capture section keeps the last known
		// capture counters as the base for the next one.
		cp.KernelPackets, cp.KernelDrops, cp.KernelIfdrops, cp.HasCapture = prev.KernelPackets, prev.KernelDrops, prev.KernelIfdrops, true
	}
	st.prev = &cp
}

func (st *statsTracker) count(c *Capture, p, prev *StatsPoint, restart bool, start time.Time) {
	var back bool
	dd, b := delta(p.DecoderPkts, prev.DecoderPkts, restart)
	c.DecoderPkts += dd
	back = back || b
	if p.HasCapture {
		// A capture section that appears where the previous record had
		// none starts a new base rather than counting everything so far.
		fresh := restart || prev.HasCapture
		if fresh {
			kp, b1 := delta(p.KernelPackets, prev.KernelPackets, restart)
			kd, b2 := delta(p.KernelDrops, prev.KernelDrops, restart)
			ki, b3 := delta(p.KernelIfdrops, prev.KernelIfdrops, restart)
			back = back || b1 || b2 || b3
			c.KernelPackets += kp
			c.KernelDrops += kd
			c.KernelIfdrops += ki
			iv := &Interval{Start: start, End: p.Time, Packets: kp, Drops: kd}
			if kd > 0 && iv.worse(c.Worst) {
				c.Worst = iv
			}
		}
	}
	if back {
		c.Backwards++
	}
}
