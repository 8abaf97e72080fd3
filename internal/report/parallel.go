package report

import (
	"runtime"
	"slices"
	"sync"
)

// The parallel fold: decoding a line (parseLine) is most of a report's CPU
// time and needs no fold state, so batches of lines are decoded on one
// worker per core while a single goroutine applies the decoded lines in
// file order. Applying in order keeps every order-dependent aggregate (the
// stats deltas chained record to record, restarts told by a counter going
// down, the first signature text seen, the first N members of a port, the
// cut-back every trimEvery lines) exactly as the serial Fold computes it:
// the result is identical by construction, not by a merge rule.
//
// The reader (the ad-hoc scan or the checkpoint session) stays one
// sequential pass, so what is consumed, and the checkpoint offset committed
// after it, do not change.

const (
	// batchBytes and batchLines bound one batch: large enough that the
	// channel hand-offs cost nothing per line, small enough that a few
	// batches per worker in flight keep memory flat.
	batchBytes = 128 << 10
	batchLines = 1024
	// maxKeptBuf: a batch whose buffer grew past this for a huge line
	// does not keep it.
	maxKeptBuf = 4 * batchBytes
)

// batch is a run of consecutive lines, copied, and what they decode to.
type batch struct {
	buf   []byte
	ends  []int // end offset of each line in buf
	recs  []decoded
	ready chan struct{} // a worker sends once recs are filled
	// synced, on a marker batch (no lines), is closed by the applier
	// once every batch before it is folded.
	synced chan struct{}
}

// parallelFold feeds a Folder from worker goroutines. Add and Close must be
// called from one goroutine; the Folder must not be touched in between.
type parallelFold struct {
	f     *Folder
	cur   *batch
	work  chan *batch // to the workers
	order chan *batch // to the applier, in file order
	free  chan *batch
	made  int // batches allocated, at most cap(free)
	wg    sync.WaitGroup
	done  chan struct{}
	shut  bool
	// maxLines, maxBytes end a batch (batchLines, batchBytes; tests cut
	// tiny batches to put many boundaries in a small file).
	maxLines, maxBytes int
}

// workerCount is the number of decoding goroutines for n (0: one per core).
func workerCount(n int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return n
}

// newParallelFold starts workers decoders and the applier.
func newParallelFold(f *Folder, workers int) *parallelFold {
	depth := 4*workers + 4
	p := &parallelFold{f: f, work: make(chan *batch, depth), order: make(chan *batch, depth),
		free: make(chan *batch, depth), done: make(chan struct{}), maxLines: batchLines, maxBytes: batchBytes}
	for range workers {
		p.wg.Go(p.decode)
	}
	go p.apply()
	return p
}

func (p *parallelFold) decode() {
	var sc scratch
	for b := range p.work {
		// parseLine resets each record itself: no zeroing here.
		b.recs = slices.Grow(b.recs[:0], len(b.ends))[:len(b.ends)]
		start := 0
		for i, end := range b.ends {
			parseLine(b.buf[start:end], &b.recs[i], &sc)
			start = end
		}
		b.ready <- struct{}{}
	}
}

func (p *parallelFold) apply() {
	defer close(p.done)
	for b := range p.order {
		<-b.ready
		if b.synced != nil {
			close(b.synced)
			continue
		}
		for i := range b.recs {
			p.f.apply(&b.recs[i])
		}
		b.buf, b.ends, b.recs = b.buf[:0], b.ends[:0], b.recs[:0]
		if cap(b.buf) > maxKeptBuf {
			b.buf = nil
		}
		p.free <- b
	}
}

// Add copies line into the current batch; it blocks while every batch is
// in flight, so memory stays bounded however fast the reader is.
func (p *parallelFold) Add(line []byte) {
	if p.cur == nil {
		select {
		case p.cur = <-p.free:
		default:
			if p.made < cap(p.free) {
				p.made++
				p.cur = &batch{buf: make([]byte, 0, batchBytes), ends: make([]int, 0, batchLines),
					recs: make([]decoded, 0, batchLines), ready: make(chan struct{}, 1)}
			} else {
				p.cur = <-p.free
			}
		}
	}
	b := p.cur
	b.buf = append(b.buf, line...)
	b.ends = append(b.ends, len(b.buf))
	if len(b.ends) >= p.maxLines || len(b.buf) >= p.maxBytes {
		p.flush()
	}
}

func (p *parallelFold) flush() {
	if p.cur == nil || len(p.cur.ends) == 0 {
		return
	}
	p.work <- p.cur
	p.order <- p.cur
	p.cur = nil
}

// sync returns once every line added so far is folded: until the next Add
// the Folder may be read, and its Span reset, from the caller's goroutine
// (per-file coverage needs a boundary between files).
func (p *parallelFold) sync() {
	p.flush()
	b := &batch{ready: make(chan struct{}, 1), synced: make(chan struct{})}
	b.ready <- struct{}{}
	p.order <- b
	<-b.synced
}

// Close folds what is left and stops the goroutines; afterwards the
// Folder holds every line added. It may be called more than once.
func (p *parallelFold) Close() {
	if p.shut {
		return
	}
	p.shut = true
	p.flush()
	close(p.work)
	close(p.order)
	<-p.done
	p.wg.Wait()
}

// lineFolder is where a scan sends its lines: the Folder itself (serial)
// or a parallelFold in front of it.
type lineFolder interface {
	add(line []byte)
	sync()
	close()
}

type serialFold struct{ f *Folder }

func (s serialFold) add(line []byte)    { s.f.Fold(line) }
func (s serialFold) sync()              {}
func (s serialFold) close()             {}
func (p *parallelFold) add(line []byte) { p.Add(line) }
func (p *parallelFold) close()          { p.Close() }

// newLineFolder picks the serial fold for one worker, the parallel one
// otherwise.
func newLineFolder(f *Folder, workers int) lineFolder {
	if n := workerCount(workers); n > 1 {
		return newParallelFold(f, n)
	}
	return serialFold{f}
}
