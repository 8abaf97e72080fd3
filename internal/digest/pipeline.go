package digest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/eve"
)

// The digest reads eve.json in one goroutine (internal/checkpoint frames
// the lines and keeps the position, exactly as a serial reader would) and
// spends its CPU in two stages that run on every core:
//
//   - parse workers decode batches of alert lines (eve.ParseAlertFields)
//     and apply the filters, any batch on any worker;
//   - shard aggregators fold the decoded alerts in, each shard owning the
//     signatures whose key hashes to it and taking the batches in file
//     order.
//
// Every signature is summarised by one aggregator that sees its alerts in
// the order of the file, so the result is the same however the lines were
// batched and however many workers ran: the same as one loop over the
// lines (TestPipelineMatchesSerial). The shard count is a constant, not the
// core count, so that the per-shard limits (and with them the digest)
// do not change from one machine to another.
const (
	shards      = 4
	batchBytes  = 1 << 20 // alert bytes per batch
	batchLines  = 4096    // entries per batch (alerts and unreadable lines)
	maxInFlight = 8       // batches allocated: bounds the memory in the pipe
)

// entry is one line of a batch: an alert to decode, or a line the reader
// already found unreadable.
type entry struct {
	end     int // end of the line in batch.data (alerts)
	pos     checkpoint.Position
	err     error  // why the line is bad (set by the reader or the parser)
	verdict reason // after parsing; badLine for a line counted unreadable
	shard   int
}

// badLine marks an entry counted as an unreadable line.
const badLine reason = -1

type batch struct {
	data    []byte
	entries []entry
	recs    []eve.AlertFields
	parsed  chan struct{}
	left    atomic.Int32 // shards still reading the batch
}

// pipeline is one run's reading state.
type pipeline struct {
	filter  *filter
	workers int
	maxData int
	maxEnts int

	free   chan *batch
	parse  chan *batch
	toAgg  [shards]chan *batch
	cur    *batch
	wg     sync.WaitGroup
	ags    [shards]*aggregator
	counts counts // kept by shard 0, which sees every batch
}

// counts are the per-line tallies of one run.
type counts struct {
	excluded [nReasons]int64
	bad      int64
	firstBad string
}

func newPipeline(f *filter, workers, maxData, maxEnts int) *pipeline {
	if workers < 1 {
		workers = 1
	}
	p := &pipeline{filter: f, workers: workers, maxData: maxData, maxEnts: maxEnts,
		free: make(chan *batch, maxInFlight), parse: make(chan *batch, maxInFlight)}
	for i := 0; i < maxInFlight; i++ {
		p.free <- &batch{}
	}
	for w := 0; w < workers; w++ {
		p.wg.Add(1)
		go p.parser()
	}
	for s := range shards {
		p.ags[s] = newShardAggregator(shards)
		p.toAgg[s] = make(chan *batch, maxInFlight)
		p.wg.Add(1)
		go p.aggregate(s)
	}
	return p
}

// defaultWorkers is one parse worker per core: the shard aggregators
// share the cores with them.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// line takes one line from the checkpoint reader (the same callback the
// serial loop had): non-alerts are dropped at once, alerts and unreadable
// lines are queued in file order.
func (p *pipeline) line(line []byte, end checkpoint.Position) {
	typ, err := eve.EventType(line)
	if err == nil && string(typ) != "alert" {
		return
	}
	b := p.batch()
	e := entry{pos: end, err: err}
	if err == nil {
		b.data = append(b.data, line...)
		e.end = len(b.data)
	}
	b.entries = append(b.entries, e)
	if len(b.data) >= p.maxData || len(b.entries) >= p.maxEnts {
		p.flush()
	}
}

func (p *pipeline) batch() *batch {
	if p.cur == nil {
		b := <-p.free
		b.data, b.entries = b.data[:0], b.entries[:0]
		b.parsed = make(chan struct{})
		p.cur = b
	}
	return p.cur
}

// flush hands the current batch to the workers and the shards.
func (p *pipeline) flush() {
	b := p.cur
	if b == nil {
		return
	}
	p.cur = nil
	b.left.Store(shards)
	p.parse <- b
	for s := range shards {
		p.toAgg[s] <- b
	}
}

// finish waits for every queued line to be folded in.
func (p *pipeline) finish() {
	p.flush()
	close(p.parse)
	for s := range shards {
		close(p.toAgg[s])
	}
	p.wg.Wait()
}

func (p *pipeline) parser() {
	defer p.wg.Done()
	for b := range p.parse {
		p.parseBatch(b)
		close(b.parsed)
	}
}

func (p *pipeline) parseBatch(b *batch) {
	if cap(b.recs) < len(b.entries) {
		b.recs = append(b.recs[:cap(b.recs)], make([]eve.AlertFields, len(b.entries)-cap(b.recs))...)
	}
	b.recs = b.recs[:len(b.entries)]
	start := 0
	for i := range b.entries {
		e := &b.entries[i]
		if e.err != nil {
			e.verdict = badLine
			continue
		}
		line := b.data[start:e.end]
		start = e.end
		e.verdict, e.shard, e.err = p.judge(line, &b.recs[i])
	}
}

// judge decodes one alert line and says what becomes of it.
func (p *pipeline) judge(line []byte, a *eve.AlertFields) (reason, int, error) {
	err := eve.ParseAlertFields(line, a)
	if err == nil && (!a.HasAlert || a.SignatureID == 0) {
		err = errNoSID
	}
	if err != nil {
		return badLine, 0, err
	}
	if why := p.filter.verdict(a); why != kept {
		return why, 0, nil
	}
	return kept, shardOf(alertKey(a)), nil
}

var errNoSID = errors.New("alert without alert.signature_id")

func shardOf(k sigKey) int {
	h := uint64(k.GID)*0x9e3779b97f4a7c15 ^ uint64(k.SID)*0xff51afd7ed558ccd
	return int((h >> 32) % shards)
}

func (p *pipeline) aggregate(s int) {
	defer p.wg.Done()
	ag := p.ags[s]
	for b := range p.toAgg[s] {
		<-b.parsed
		for i := range b.entries {
			e := &b.entries[i]
			if e.verdict == kept && e.shard == s {
				ag.add(&b.recs[i])
			}
			if s != 0 {
				continue
			}
			switch e.verdict {
			case kept:
			case badLine:
				p.counts.bad++
				if p.counts.firstBad == "" {
					p.counts.firstBad = fmt.Sprintf("%s: %v", checkpoint.FormatPos(e.pos), e.err)
				}
			default:
				p.counts.excluded[e.verdict]++
			}
		}
		if b.left.Add(-1) == 0 {
			p.free <- b // every shard is done with it
		}
	}
}

// merged joins the shards' summaries into one aggregator. Signatures are
// disjoint between shards except the overflow bucket, which each shard may
// have; those are combined (approximately: see mergeOverflow).
func (p *pipeline) merged() *aggregator {
	out := newAggregator()
	for _, ag := range p.ags {
		out.alerts += ag.alerts
		for i := range out.bySev {
			out.bySev[i] += ag.bySev[i]
		}
		for _, s := range ag.order {
			if o := out.sigs[s.key]; o != nil {
				o.mergeOverflow(s)
				continue
			}
			out.sigs[s.key] = s
			out.order = append(out.order, s)
		}
	}
	return out
}

// mergeOverflow adds another shard's overflow bucket (signatures beyond
// the tracking limit, a forged flood only) to s. Counts, time span,
// severity and actions are exact; distinct counts are lower bounds and the
// pair and context counters are marked approximate.
func (s *sigAgg) mergeOverflow(o *sigAgg) {
	s.count += o.count
	if o.first.Before(s.first) {
		s.first = o.first
	}
	if !o.last.Before(s.last) {
		s.last, s.rev, s.newest = o.last, o.rev, o.newest
	}
	if o.severity > 0 && (s.severity == 0 || o.severity < s.severity) {
		s.severity = o.severity
	}
	for k, n := range o.actions {
		s.actions[k] += n
	}
	union := func(dst, src *addrSet, capped *bool, srcCapped bool) {
		*capped = *capped || srcCapped
		src.each(func(a netip.Addr) bool {
			if dst.has(a) {
				return true
			}
			if dst.len() >= DistinctCap {
				*capped = true
				return false
			}
			dst.add(a)
			return true
		})
	}
	union(&s.srcs, &o.srcs, &s.srcCapped, o.srcCapped)
	union(&s.dsts, &o.dsts, &s.dstCapped, o.dstCapped)
	// A pair seen in both shards would be counted twice as distinct.
	distinct := s.pairs.distinct + o.pairs.distinct
	for _, sl := range o.pairs.slots {
		s.pairs.addN(sl.key, sl.count, sl.err, sl.val)
	}
	s.pairs.overflow, s.pairs.distinct = true, distinct
	for i := range s.context {
		for _, sl := range o.context[i].slots {
			s.context[i].addN(sl.key, sl.count, sl.err, sl.val)
		}
	}
}

// read runs the pipeline over the session's lines.
func readAlerts(ctx context.Context, sess *checkpoint.Session, f *filter, workers int) (*aggregator, counts, error) {
	p := newPipeline(f, workers, batchBytes, batchLines)
	err := sess.Lines(ctx, func(line []byte, end checkpoint.Position) error {
		p.line(line, end)
		return nil
	})
	p.finish()
	return p.merged(), p.counts, err
}
