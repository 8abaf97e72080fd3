package eve

// statsFast is ParseStatsSummary's fast path: one forward walk that reads
// the timestamp, then the stats object's uptime, capture and decoder, and
// stops as soon as it has those three, the way the ObjectEach path does.
// It never finds the end of the stats object (the ObjectEach path
// brackets-matches all of it, 5-100 KB of counters, before looking in)
// and never tokenises what follows decoder.pkts.
//
// It takes only records it can read exactly as the ObjectEach path would:
// anything less plain (an escaped key or timestamp, a repeated key it
// reads, a counter that is not a plain integer, a malformed value, bytes
// after the object) returns false, and the caller runs that path, so its
// values and errors stay the contract. FuzzStatsFast holds the two
// together for every line that is one whole object. A line that passes
// only Complete's counting shortcut (its braces add up only with those
// inside strings) may be read here where ObjectEach gives up on the stats
// object's end, past the point this walk stops.
func statsFast(line []byte, s *StatsSummary) bool {
	w := statsWalk{p: alertPass{line: line}, s: s}
	if len(line) < 2 || line[0] != '{' {
		return false
	}
	w.p.i = 1
	ok := w.p.object(w.top)
	if w.done {
		return true
	}
	return ok && w.p.i == len(line)
}

// statsWalk is one statsFast attempt. Its members return false both to
// give up (done unset) and to stop early once everything is read (done
// set).
type statsWalk struct {
	p    alertPass
	s    *StatsSummary
	seen uint8 // statsSeen* keys read, for repeats and the early stop
	pkts bool  // decoder.pkts was read
	done bool
}

const (
	statsSeenUptime = 1 << iota
	statsSeenCapture
	statsSeenDecoder
	statsSeenTimestamp
	statsSeenStats
	statsSeenPackets
	statsSeenDrops
	statsSeenIfdrops
	statsSeenAll = statsSeenUptime | statsSeenCapture | statsSeenDecoder
)

func (w *statsWalk) once(bit uint8) bool {
	if w.seen&bit != 0 {
		return false
	}
	w.seen |= bit
	return true
}

func (w *statsWalk) top(key []byte) bool {
	p := &w.p
	switch string(key) {
	case "timestamp":
		if !w.once(statsSeenTimestamp) {
			return false
		}
		if p.null() {
			return true
		}
		raw, next, ok := plainString(p.line, p.i)
		if !ok {
			return false
		}
		p.i = next
		t, ok := parseTimeFast(string(raw))
		if !ok {
			return false // ParseTime's other layouts, or its error
		}
		w.s.Timestamp, w.s.HasTimestamp = t, true
		return true
	case "stats":
		if !w.once(statsSeenStats) {
			return false
		}
		if p.line[p.i] != '{' {
			return w.skip() // not an object: ignored, as ObjectEach's path does
		}
		p.i++
		return p.object(w.stats)
	}
	return w.skip()
}

func (w *statsWalk) stats(key []byte) bool {
	var ok bool
	switch string(key) {
	case "uptime":
		ok = w.once(statsSeenUptime) && w.counter(&w.s.Uptime, &w.s.HasUptime)
	case "capture":
		ok = w.once(statsSeenCapture) && w.sub(w.capture)
	case "decoder":
		ok = w.once(statsSeenDecoder) && w.sub(w.decoder)
	default:
		return w.skip()
	}
	if ok && w.seen&statsSeenAll == statsSeenAll {
		w.done = true
		return false
	}
	return ok && !w.done
}

// sub walks an object value with member, or takes null; any other type
// goes to the general path.
func (w *statsWalk) sub(member func(key []byte) bool) bool {
	p := &w.p
	if p.null() {
		return true
	}
	if p.line[p.i] != '{' {
		return false
	}
	p.i++
	return p.object(member)
}

func (w *statsWalk) capture(key []byte) bool {
	var ignored bool
	switch string(key) {
	case "kernel_packets":
		return w.once(statsSeenPackets) && w.counter(&w.s.KernelPackets, &w.s.HasPackets)
	case "kernel_drops":
		return w.once(statsSeenDrops) && w.counter(&w.s.KernelDrops, &w.s.HasDrops)
	case "kernel_ifdrops":
		return w.once(statsSeenIfdrops) && w.counter(&w.s.KernelIfdrops, &ignored)
	}
	return w.skip()
}

// decoder reads decoder.pkts, the first "pkts" key (as jsonparser.Get
// finds it; later ones are skipped); once uptime and capture are read
// too, the walk is over.
func (w *statsWalk) decoder(key []byte) bool {
	if string(key) != "pkts" || w.pkts {
		return w.skip()
	}
	w.pkts = true
	if !w.counter(&w.s.DecoderPkts, &w.s.HasDecoder) {
		return false
	}
	if w.seen&statsSeenAll == statsSeenAll {
		w.done = true
		return false
	}
	return true
}

// counter reads a plain non-negative integer, or null (missing).
func (w *statsWalk) counter(dst *int64, has *bool) bool {
	p := &w.p
	if p.null() {
		return true
	}
	v, ok := p.number()
	if !ok {
		return false
	}
	n, err := parseInt(v)
	if err != nil || n < 0 {
		return false
	}
	*dst, *has = n, true
	return true
}

// skip consumes a value that is not read. A number must be a plain
// integer ended by a delimiter: alertPass.skip takes any token that starts
// like one (`0"pkts":0`), where jsonparser would find a key.
func (w *statsWalk) skip() bool {
	if c := w.p.line[w.p.i]; c == '-' || ('0' <= c && c <= '9') {
		_, ok := w.p.number()
		return ok
	}
	return w.p.skip()
}
