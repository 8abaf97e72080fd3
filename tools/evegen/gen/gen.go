// Package gen generates realistic, deterministic Suricata 7 eve.json logs of
// any size: alerts drawn from real ET Open signatures, flows, dns, http, tls,
// anomaly and drop records, and cumulative stats records every interval with
// restarts and non-zero kernel drops. Output is streamed with bounded memory,
// and Write returns a Summary of exactly what was written so that tests of
// the readers can compare their findings with the truth.
package gen

import (
	"bufio"
	"container/heap"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// maxPending bounds the flows waiting for their flow record. When it is
// reached the oldest flow is logged at once, as Suricata's flow manager does
// in emergency mode; this keeps memory flat at any event rate.
const maxPending = 1 << 16

// sink receives complete lines in output order with their timestamps.
type sink interface {
	line(tsUS int64, b []byte) error
	torn(b []byte) error // last line without newline
}

// Write generates the log described by cfg into w.
func Write(w io.Writer, cfg Config) (Summary, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	s := &writerSink{w: bw}
	sum, err := generate(cfg, s)
	if err != nil {
		return sum, err
	}
	return sum, bw.Flush()
}

type writerSink struct{ w *bufio.Writer }

func (s *writerSink) line(_ int64, b []byte) error { _, err := s.w.Write(b); return err }
func (s *writerSink) torn(b []byte) error          { _, err := s.w.Write(b); return err }

type run struct{ start, stop int64 } // microseconds

type generator struct {
	cfg   Config
	r     *rand.Rand // everything that shapes the normal records
	deco  *rand.Rand // bad lines and hostile strings, so toggling them leaves other lines intact
	clk   *clock
	hosts *hostPools
	sigs  []Signature
	sigW  []float64 // cumulative signature weights
	sw    *statsWriter
	ctr   [nCounters]int64
	out   sink
	sum   Summary

	pending flowHeap
	free    []*flow
	buf     []byte
	hostile Signature // only used when cfg.Hostile
	seq     uint64    // flow creation order, the heap's tie-breaker

	sessionRate float64 // sessions per second
	now         int64   // latest timestamp written, µs
	prevUptime  int64   // for Summary restart-aware sums
	prevPackets int64
	prevDrops   int64
	prevAlerts  int64
}

func generate(cfg Config, out sink) (Summary, error) {
	cfg = cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	g, err := newGenerator(cfg, out)
	if err != nil {
		return Summary{}, err
	}
	if cfg.TotalBytes > 0 {
		rate, err := sessionRateForBytes(cfg)
		if err != nil {
			return Summary{}, err
		}
		g.sessionRate = rate
	} else {
		eps, err := eventsPerSession(cfg)
		if err != nil {
			return Summary{}, err
		}
		g.sessionRate = cfg.EventsPerSecond / eps
	}
	if err := g.all(); err != nil {
		return g.sum, err
	}
	return g.sum, nil
}

func newGenerator(cfg Config, out sink) (*generator, error) {
	sw, err := newStatsWriter()
	if err != nil {
		return nil, err
	}
	g := &generator{
		cfg:  cfg,
		r:    rand.New(rand.NewPCG(cfg.Seed, 0x5eed_e7e0)),
		deco: rand.New(rand.NewPCG(cfg.Seed, 0xdec0_4a7e)),
		clk:  newClock(cfg.Start.Location()),
		sw:   sw,
		out:  out,
		sum:  newSummary(),
		buf:  make([]byte, 0, 16<<10),
	}
	g.hosts = newHostPools(g.r, cfg.HomeNet)
	g.sigs = Signatures()
	g.sigW = signatureWeights(g.r, g.sigs)
	if cfg.Hostile {
		g.hostile = hostileSignature()
	}
	return g, nil
}

// signatureWeights gives a long-tailed popularity: a few signatures fire
// all the time (scans, policy user agents), most rarely, as on real sensors.
func signatureWeights(r *rand.Rand, sigs []Signature) []float64 {
	common := map[int]float64{2001219: 40, 2013028: 12, 2013504: 15, 2016149: 10, 2027757: 6, 2010937: 5, 2010935: 5, 2029340: 4}
	rank := r.Perm(len(sigs))
	cum := make([]float64, len(sigs))
	total := 0.0
	for i, s := range sigs {
		w := 3 / math.Pow(float64(rank[i]+2), 1.2)
		if c, ok := common[s.SID]; ok {
			w = c
		}
		total += w
		cum[i] = total
	}
	return cum
}

// runs splits the period into the stretches during which Suricata runs.
func (g *generator) runs() []run {
	start := g.cfg.Start.UnixMicro()
	end := start + g.cfg.Duration.Microseconds()
	var rs []run
	cur := start
	for _, r := range sortedDurations(g.cfg.Restarts) {
		stop := start + r.Microseconds()
		rs = append(rs, run{cur, stop})
		cur = stop + g.cfg.RestartDowntime.Microseconds()
	}
	return append(rs, run{cur, end})
}

func (g *generator) all() error {
	rs := g.runs()
	for i, rn := range rs {
		if err := g.run(rn, i == len(rs)-1); err != nil {
			return err
		}
	}
	if g.cfg.Partial {
		// A torn line as left by a writer killed mid-write or a buffered
		// output that has not flushed: half a flow record, no newline.
		f := g.newFlow()
		f.src, f.dst, f.sp, f.dp, f.app = g.inHost(false), g.extHost(false), g.ephemeral(), 443, "tls"
		g.tcpFlow(f, g.now, false)
		f.logUS = g.now
		b := g.flowRecord(g.buf[:0], f)
		if err := g.out.torn(b[:len(b)/2]); err != nil {
			return err
		}
		g.sum.Bytes += int64(len(b) / 2)
		g.sum.Partial = true
	}
	return nil
}

func (g *generator) run(rn run, last bool) error {
	g.ctr = [nCounters]int64{}
	// Rules load in a few seconds after start; the engine reports that time.
	g.ctr[cLastReload] = rn.start + int64(2e6+g.r.IntN(6e6))
	g.ctr[cRulesLoaded] = int64(47000 + g.r.IntN(3000))
	g.ctr[cFlowSpare] = 10000
	interval := g.cfg.StatsInterval.Microseconds()
	nextStats := rn.start + interval
	nextSession := rn.start + g.gap()
	for {
		t := min(nextStats, nextSession)
		if len(g.pending) > 0 && g.pending[0].logUS <= t {
			t = g.pending[0].logUS
			if t >= rn.stop {
				break
			}
			f := heap.Pop(&g.pending).(*flow)
			if err := g.emitFlow(max(t, g.now), f); err != nil {
				return err
			}
			continue
		}
		if t >= rn.stop {
			break
		}
		var err error
		if t == nextStats {
			err = g.emitStats(t, (t-rn.start)/1e6)
			nextStats += interval
		} else {
			err = g.session(max(t, g.now))
			nextSession = t + g.gap()
		}
		if err != nil {
			return err
		}
	}
	// On shutdown Suricata logs every flow still in its table; at the end of
	// the period the engine keeps running, so those flows are simply not
	// logged yet.
	for len(g.pending) > 0 {
		f := heap.Pop(&g.pending).(*flow)
		if !last {
			f.reason = "shutdown"
			if err := g.emitFlow(max(rn.stop, g.now), f); err != nil {
				return err
			}
			continue
		}
		g.free = append(g.free, f)
	}
	return nil
}

func (g *generator) gap() int64 {
	if g.sessionRate <= 0 {
		return math.MaxInt64 / 4
	}
	return int64(g.r.ExpFloat64()/g.sessionRate*1e6) + 1
}

// emit finishes one line in g.buf: newline, counting, sink, maybe a bad line.
func (g *generator) emit(ts int64, eventType string, b []byte) error {
	b = append(b, '\n')
	g.buf = b[:0]
	if ts > g.now {
		g.now = ts
	}
	g.sum.Lines++
	g.sum.Bytes += int64(len(b))
	g.sum.Events[eventType]++
	tt := time.UnixMicro(ts)
	if g.sum.First.IsZero() {
		g.sum.First = tt
	}
	if tt.After(g.sum.Last) {
		g.sum.Last = tt
	}
	if err := g.out.line(ts, b); err != nil {
		return err
	}
	if g.cfg.BadLineRate > 0 && g.deco.Float64() < g.cfg.BadLineRate {
		bad := badLine(g.deco, b)
		g.sum.Lines++
		g.sum.BadLines++
		g.sum.Bytes += int64(len(bad))
		return g.out.line(ts, bad)
	}
	return nil
}

// badLine returns one invalid line of a kind real logs contain.
func badLine(r *rand.Rand, good []byte) []byte {
	switch r.IntN(4) {
	case 0: // torn write that was later followed by a newline
		n := 1 + r.IntN(max(1, len(good)/2))
		return append(append([]byte(nil), good[:n]...), '\n')
	case 1: // two writers interleaved on one line
		half := good[:len(good)/2]
		return append(append(append([]byte(nil), half...), good[:len(good)-1]...), '\n')
	case 2: // something else writing into the log
		return []byte("suricata: [ERRCODE: SC_ERR_LOG_OUTPUT(2)] - log output error, will retry\n")
	default: // NUL bytes left by a crash on a filesystem without ordered data
		return []byte("\x00\x00\x00\x00\x00\x00\x00\x00{\"timestamp\":\n")
	}
}

func (g *generator) emitStats(ts, uptime int64) error {
	g.backgroundPackets()
	g.ctr[cUptime] = uptime
	g.ctr[cFlowActive] = int64(len(g.pending))
	g.ctr[cTCPActive] = int64(len(g.pending)) * 2 / 3
	g.ctr[cFlowMemuse] = 7_400_000 + int64(len(g.pending))*320
	g.ctr[cTCPMemuse] = 600_000 + int64(len(g.pending))*96
	g.ctr[cFlowSpare] = max(0, 10000-int64(len(g.pending))%10000)
	g.ctr[cMemcapPressure] = 5 + int64(len(g.pending))*90/maxPending
	if g.ctr[cDecPkts] > 0 {
		g.ctr[cDecAvgPkt] = g.ctr[cDecBytes] / g.ctr[cDecPkts]
	}

	b := g.buf[:0]
	b = append(b, `{"timestamp":"`...)
	b = g.clk.append(b, ts)
	b = append(b, `","event_type":"stats","stats":`...)
	b = g.sw.append(b, &g.ctr, g.clk)
	b = append(b, '}')

	// Restart-aware sums, exactly as a reader must compute them.
	restart := uptime < g.prevUptime
	if restart {
		g.sum.Restarts++
	}
	add := func(v, prev int64) int64 {
		if restart || v < prev {
			return v
		}
		return v - prev
	}
	g.sum.KernelPackets += add(g.ctr[cKernelPackets], g.prevPackets)
	g.sum.KernelDrops += add(g.ctr[cKernelDrops], g.prevDrops)
	g.sum.DetectAlerts += add(g.ctr[cDetectAlert], g.prevAlerts)
	g.prevUptime, g.prevPackets, g.prevDrops, g.prevAlerts = uptime, g.ctr[cKernelPackets], g.ctr[cKernelDrops], g.ctr[cDetectAlert]
	g.sum.StatsRecords++
	return g.emit(ts, "stats", b)
}

// backgroundPackets adds the interval's traffic that produced no logged
// event (ARP, broadcasts, packets of long flows) and the kernel drops. In
// AF_PACKET mode kernel_packets counts dropped packets too, so
// decoder.pkts = kernel_packets - kernel_drops holds as on real sensors.
func (g *generator) backgroundPackets() {
	secs := g.cfg.StatsInterval.Seconds()
	bg := int64(secs * (15 + g.sessionRate*3) * (0.5 + g.r.Float64()))
	g.ctr[cDecPkts] += bg
	g.ctr[cDecBytes] += bg * int64(60+g.r.IntN(200))
	g.ctr[cDecIPv4] += bg * 9 / 10
	g.ctr[cDecIPv6] += bg / 10
	g.ctr[cDecUDP] += bg / 2
	g.ctr[cDecTCP] += bg - bg/2
	seen := g.ctr[cDecPkts] - (g.ctr[cKernelPackets] - g.ctr[cKernelDrops])
	var drops int64
	if g.cfg.DropRate > 0 {
		// Drops come in bursts: most intervals lose a little, a few lose a lot.
		rate := g.cfg.DropRate * (0.2 + 0.8*g.r.Float64())
		if g.r.IntN(20) == 0 {
			rate = min(0.5, g.cfg.DropRate*(5+10*g.r.Float64()))
		}
		drops = int64(float64(seen) * rate / (1 - rate))
		if g.ctr[cKernelDrops]+drops == 0 {
			drops = 1 // a drop-enabled log must never show only zeros
		}
	}
	g.ctr[cKernelDrops] += drops
	g.ctr[cKernelPackets] += seen + drops
	g.ctr[cMgrChecked] += int64(secs) * 50
	g.ctr[cMgrTimeout] = g.ctr[cFlowTotal] - int64(len(g.pending))
}

func sortedDurations(ds []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), ds...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// countSink measures output without keeping it; used for calibration.
type countSink struct{ bytes, lines int64 }

func (c *countSink) line(_ int64, b []byte) error { c.bytes += int64(len(b)); c.lines++; return nil }
func (c *countSink) torn(b []byte) error          { c.bytes += int64(len(b)); return nil }

// calibration runs sessions of a generator with the same seed into a
// counter to learn the mean events and bytes per session, so rates and sizes
// can be translated into session rates.
func calibration(cfg Config) (eventsPer, bytesPer, statsBytes float64, err error) {
	const n = 3000
	cs := &countSink{}
	c := cfg
	c.BadLineRate, c.Partial = 0, false
	g, err := newGenerator(c, cs)
	if err != nil {
		return 0, 0, 0, err
	}
	g.sessionRate = 100
	t := cfg.Start.UnixMicro()
	for range n {
		t += 10_000
		if err := g.session(t); err != nil {
			return 0, 0, 0, err
		}
	}
	for len(g.pending) > 0 {
		if err := g.emitFlow(t, heap.Pop(&g.pending).(*flow)); err != nil {
			return 0, 0, 0, err
		}
	}
	before := cs.bytes
	if err := g.emitStats(t, 1<<20); err != nil {
		return 0, 0, 0, err
	}
	statsBytes = float64(cs.bytes - before)
	return float64(cs.lines-1) / n, float64(before) / n, statsBytes, nil
}

func eventsPerSession(cfg Config) (float64, error) {
	e, _, _, err := calibration(cfg)
	return e, err
}

func sessionRateForBytes(cfg Config) (float64, error) {
	_, perSession, statsBytes, err := calibration(cfg)
	if err != nil {
		return 0, err
	}
	g := &generator{cfg: cfg}
	var active float64
	var nStats int64
	for _, rn := range g.runs() {
		active += float64(rn.stop-rn.start) / 1e6
		nStats += (rn.stop - rn.start - 1) / cfg.StatsInterval.Microseconds()
	}
	budget := float64(cfg.TotalBytes) - float64(nStats)*statsBytes
	if cfg.BadLineRate > 0 {
		budget /= 1 + cfg.BadLineRate/2 // bad lines average about half a line
	}
	if budget <= 0 || active <= 0 {
		return 0.001, nil // stats alone fill the size; keep a trickle of events
	}
	return budget / perSession / active, nil
}

// flowHeap orders pending flows by the time their record is due.
type flowHeap []*flow

func (h flowHeap) Len() int { return len(h) }
func (h flowHeap) Less(i, j int) bool {
	if h[i].logUS != h[j].logUS {
		return h[i].logUS < h[j].logUS
	}
	return h[i].seq < h[j].seq // stable order keeps output deterministic
}
func (h flowHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *flowHeap) Push(x any)   { *h = append(*h, x.(*flow)) }
func (h *flowHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}
