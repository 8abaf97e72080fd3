package digest

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/printable"
)

// Memory is bounded by what the digest shows, not by the backlog: per
// signature a fixed number of counters (pairs, context values) and at most
// DistinctCap addresses per side, and across all signatures at most
// maxDistinctTotal addresses; past those, distinct counts are reported as
// lower bounds ("10,000+").
const (
	// Space-Saving counters per signature for the top pairs: exact counts
	// up to this many distinct pairs. Past maxPairSlotsTotal over all
	// signatures, a new signature gets smallPairSlots.
	pairSlots         = 2048
	smallPairSlots    = 64
	maxPairSlotsTotal = 100_000
	contextSlots      = 64 // Space-Saving counters per context field
	maxDistinctTotal  = 400_000
	maxSignatures     = 100_000 // distinct signatures tracked; more go to one "other" bucket
)

// sigKey identifies a signature.
type sigKey struct{ GID, SID int64 }

// pairKey is a source/destination pair.
type pairKey struct{ Src, Dst netip.Addr }

// pairInfo is what a pair counter carries besides its count.
type pairInfo struct {
	ports     []uint16
	morePorts bool
}

// Context fields, in display order.
var contextFields = [...]string{"app_proto", "http", "tls.sni", "dns.rrname"}

// sigAgg is everything kept about one signature.
type sigAgg struct {
	key       sigKey
	rev       int64
	signature string // of the newest alert, sanitised and truncated
	category  string
	severity  int
	count     int64
	first     time.Time
	last      time.Time
	newest    Group // for the link
	// rawSig, rawCat are the last texts as eve.json had them: sanitising
	// again only when they change keeps the per-alert cost low.
	rawSig, rawCat string

	srcs, dsts           addrSet
	srcCapped, dstCapped bool

	pairs   spaceSaving[pairKey, pairInfo]
	actions map[string]int64
	context [len(contextFields)]spaceSaving[string, struct{}]
}

// aggregator folds alerts into per-signature summaries. The digest runs
// one per shard (see pipeline.go): each signature belongs to exactly one
// shard, which sees its alerts in file order, so the summaries do not
// depend on how the work was split. The global limits are per shard.
type aggregator struct {
	sigs      map[sigKey]*sigAgg
	order     []*sigAgg
	distinct  int // addresses held in all srcs/dsts sets
	pairSlots int // pair counters granted to all signatures
	alerts    int64
	bySev     [4]int64 // other, high, medium, low
	scratch   []byte   // http hostname+url
	// Limits of this aggregator (the package limits over the shards).
	maxSigs, maxDistinct, maxPairSlots int
}

func newAggregator() *aggregator { return newShardAggregator(1) }

// newShardAggregator is one of n shards: each gets 1/n of the global limits.
func newShardAggregator(n int) *aggregator {
	return &aggregator{sigs: map[sigKey]*sigAgg{},
		maxSigs: maxSignatures / n, maxDistinct: maxDistinctTotal / n, maxPairSlots: maxPairSlotsTotal / n}
}

// maxSignatureRunes cuts absurd signature texts (Suricata allows very long
// msg strings); the sid still identifies the rule.
const maxSignatureRunes = 300

// alertKey is the signature an alert counts under (gid 0 is gid 1, as
// Suricata writes it when the rule gives none).
func alertKey(a *eve.AlertFields) sigKey {
	gid := a.GID
	if gid == 0 {
		gid = 1
	}
	return sigKey{GID: gid, SID: a.SignatureID}
}

func (ag *aggregator) newSig(k sigKey) *sigAgg {
	s := &sigAgg{key: k, srcs: newAddrSet(), dsts: newAddrSet(), actions: map[string]int64{}}
	n := pairSlots
	if ag.pairSlots+n > ag.maxPairSlots {
		n = smallPairSlots
	}
	ag.pairSlots += n
	s.pairs.init(n)
	s.pairs.code = pairCode
	for i := range s.context {
		s.context[i].init(contextSlots)
	}
	ag.sigs[k] = s
	ag.order = append(ag.order, s)
	return s
}

// add folds one alert in. The byte slices of a are not kept: every string
// stored is a copy.
func (ag *aggregator) add(a *eve.AlertFields) {
	k := alertKey(a)
	s := ag.sigs[k]
	if s == nil {
		if len(ag.sigs) >= ag.maxSigs {
			// Unreachable with real rule sets (ET Open has ~50,000 rules);
			// a forged flood still cannot grow memory without end.
			k = overflowKey
			s = ag.sigs[k]
		}
		if s == nil {
			s = ag.newSig(k)
		}
	}
	ag.alerts++
	switch a.Severity {
	case 1, 2, 3:
		ag.bySev[a.Severity]++
	default:
		ag.bySev[0]++
	}
	s.count++
	ts := a.Timestamp
	if s.count == 1 || ts.Before(s.first) {
		s.first = ts
	}
	if s.count == 1 || !ts.Before(s.last) {
		s.last = ts
		if s.key == overflowKey {
			s.signature, s.category = overflowSignature, ""
		} else if s.count == 1 || string(a.Signature) != s.rawSig || string(a.Category) != s.rawCat {
			s.rawSig, s.rawCat = string(a.Signature), string(a.Category)
			s.signature = truncate(printable.String(s.rawSig), maxSignatureRunes)
			s.category = truncate(printable.String(s.rawCat), maxSignatureRunes)
		}
		s.rev = a.Rev
		s.newest = Group{GroupKey: GroupKey{SID: a.SignatureID, Src: a.SrcIP, Dst: a.DestIP}, FlowID: a.FlowID}
	}
	if a.Severity > 0 && (s.severity == 0 || a.Severity < s.severity) {
		s.severity = a.Severity
	}
	ag.distinctAdd(&s.srcs, &s.srcCapped, a.SrcIP)
	ag.distinctAdd(&s.dsts, &s.dstCapped, a.DestIP)

	info := s.pairs.add(pairKey{a.SrcIP, a.DestIP})
	if a.DestPort != 0 && !containsPort(info.ports, a.DestPort) {
		if len(info.ports) < MaxPairPorts {
			info.ports = append(info.ports, a.DestPort)
		} else {
			info.morePorts = true
		}
	}
	act := a.Action
	if len(act) == 0 {
		act = allowed
	}
	if n, ok := s.actions[string(act)]; ok {
		s.actions[string(act)] = n + 1
	} else if len(s.actions) < 8 {
		s.actions[string(act)] = 1
	} else {
		s.actions["other"]++
	}
	if len(a.AppProto) > 0 {
		addText(&s.context[0], a.AppProto)
	}
	if a.HasHTTP && (len(a.HTTPHostname) > 0 || len(a.HTTPURL) > 0) {
		ag.scratch = append(append(ag.scratch[:0], a.HTTPHostname...), a.HTTPURL...)
		addText(&s.context[1], ag.scratch)
	}
	if a.HasTLS && len(a.TLSSNI) > 0 {
		addText(&s.context[2], a.TLSSNI)
	}
	if a.HasDNS && len(a.DNSRRName) > 0 {
		addText(&s.context[3], a.DNSRRName)
	}
}

var allowed = []byte("allowed")

// overflowKey is the one bucket for signatures beyond the tracking limit.
var overflowKey = sigKey{GID: 0, SID: 0}

const overflowSignature = "(signatures beyond the tracking limit)"

// addText counts a context value as truncate(printable.String(v)) would
// give it, without building that string for the common value that is
// short printable ASCII (which both leave unchanged) and already counted.
func addText(t *spaceSaving[string, struct{}], v []byte) {
	if len(v) <= MaxContextRunes && plainASCII(v) {
		if s, ok := t.index[string(v)]; ok { // no code: strings use index
			t.hit(s)
			return
		}
		t.add(string(v))
		return
	}
	t.add(truncate(printable.String(string(v)), MaxContextRunes))
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func containsPort(ps []uint16, p uint16) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func (ag *aggregator) distinctAdd(set *addrSet, capped *bool, a netip.Addr) {
	if *capped || set.has(a) {
		return
	}
	if set.len() >= DistinctCap || ag.distinct >= ag.maxDistinct {
		*capped = true
		return
	}
	set.add(a)
	ag.distinct++
}

// addrSet is a set of addresses. IPv4 addresses (nearly all, on most
// sensors) are kept as 32-bit keys: a map of those is a quarter of the
// size of one of netip.Addr, hashes and compares faster, and holds no
// pointers for the garbage collector to scan.
type addrSet struct {
	v4    map[uint32]struct{}
	other map[netip.Addr]struct{} // IPv6, IPv4-mapped, with zones
}

func newAddrSet() addrSet { return addrSet{v4: map[uint32]struct{}{}} }

func (s *addrSet) len() int { return len(s.v4) + len(s.other) }

func v4Key(a netip.Addr) (uint32, bool) {
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

func (s *addrSet) has(a netip.Addr) bool {
	if k, ok := v4Key(a); ok {
		_, ok = s.v4[k]
		return ok
	}
	_, ok := s.other[a]
	return ok
}

func (s *addrSet) add(a netip.Addr) {
	if k, ok := v4Key(a); ok {
		s.v4[k] = struct{}{}
		return
	}
	if s.other == nil {
		s.other = map[netip.Addr]struct{}{}
	}
	s.other[a] = struct{}{}
}

// each calls fn for every address until it returns false.
func (s *addrSet) each(fn func(netip.Addr) bool) {
	for k := range s.v4 {
		if !fn(netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)})) {
			return
		}
	}
	for a := range s.other {
		if !fn(a) {
			return
		}
	}
}

// pairCode is the 64-bit key of a pair of IPv4 addresses (see addrSet).
func pairCode(p pairKey) (uint64, bool) {
	s, ok1 := v4Key(p.Src)
	d, ok2 := v4Key(p.Dst)
	return uint64(s)<<32 | uint64(d), ok1 && ok2
}

// truncate cuts s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// spaceSaving is the Space-Saving top-K counter (Metwally et al. 2005):
// a fixed number of slots; an unseen key takes over the slot with the
// smallest count and inherits that count as its error bound. Every key
// whose true count is above total/slots is guaranteed to be in the table,
// and while the table has never been full every count is exact. The slots
// form a min-heap on count, so both a hit and an eviction cost O(log n).
type spaceSaving[K comparable, V any] struct {
	slots []*ssSlot[K, V] // heap ordered by count
	index map[K]*ssSlot[K, V]
	// code, when set, maps the common keys to a uint64; those are
	// indexed in fast instead of index (cheaper to hash and compare).
	code     func(K) (uint64, bool)
	fast     map[uint64]*ssSlot[K, V]
	limit    int
	total    int64
	distinct int64 // keys ever inserted (exact until the table overflows)
	overflow bool
}

type ssSlot[K comparable, V any] struct {
	key   K
	count int64
	err   int64
	seq   int64 // insertion order, for stable ties
	pos   int   // index in the heap
	val   V
}

func (t *spaceSaving[K, V]) init(n int) {
	t.limit = n
	t.index = map[K]*ssSlot[K, V]{}
	t.fast = map[uint64]*ssSlot[K, V]{}
}

func (t *spaceSaving[K, V]) lookup(k K) (*ssSlot[K, V], bool) {
	if t.code != nil {
		if c, ok := t.code(k); ok {
			s, ok := t.fast[c]
			return s, ok
		}
	}
	s, ok := t.index[k]
	return s, ok
}

func (t *spaceSaving[K, V]) put(k K, s *ssSlot[K, V]) {
	if t.code != nil {
		if c, ok := t.code(k); ok {
			t.fast[c] = s
			return
		}
	}
	t.index[k] = s
}

func (t *spaceSaving[K, V]) remove(k K) {
	if t.code != nil {
		if c, ok := t.code(k); ok {
			delete(t.fast, c)
			return
		}
	}
	delete(t.index, k)
}

func (t *spaceSaving[K, V]) less(i, j int) bool { return t.slots[i].count < t.slots[j].count }

func (t *spaceSaving[K, V]) swap(i, j int) {
	t.slots[i], t.slots[j] = t.slots[j], t.slots[i]
	t.slots[i].pos, t.slots[j].pos = i, j
}

// down restores the heap below i after its count grew.
func (t *spaceSaving[K, V]) down(i int) {
	n := len(t.slots)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.less(r, l) {
			m = r
		}
		if !t.less(m, i) {
			return
		}
		t.swap(i, m)
		i = m
	}
}

func (t *spaceSaving[K, V]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

// hit counts one more occurrence of a key already in the table.
func (t *spaceSaving[K, V]) hit(s *ssSlot[K, V]) {
	t.total++
	s.count++
	t.down(s.pos)
}

// add counts one occurrence of k and returns its slot's value to update.
func (t *spaceSaving[K, V]) add(k K) *V {
	if s, ok := t.lookup(k); ok {
		t.hit(s)
		return &s.val
	}
	t.total++
	t.distinct++
	if len(t.slots) < t.limit {
		s := &ssSlot[K, V]{key: k, count: 1, seq: t.distinct, pos: len(t.slots)}
		t.slots = append(t.slots, s)
		t.put(k, s)
		t.up(s.pos)
		return &s.val
	}
	t.overflow = true
	s := t.slots[0]
	t.remove(s.key)
	var zero V
	*s = ssSlot[K, V]{key: k, count: s.count + 1, err: s.count, seq: t.distinct, pos: 0, val: zero}
	t.put(k, s)
	t.down(0)
	return &s.val
}

// addN merges a counter of another table (count n, error bound e) into
// this one, as Space-Saving merges do: an unseen key takes the smallest
// slot when the table is full and inherits its count as error.
func (t *spaceSaving[K, V]) addN(k K, n, e int64, v V) {
	t.total += n
	if s, ok := t.lookup(k); ok {
		s.count += n
		s.err += e
		t.down(s.pos)
		return
	}
	if len(t.slots) < t.limit {
		t.distinct++
		s := &ssSlot[K, V]{key: k, count: n, err: e, seq: t.distinct, pos: len(t.slots), val: v}
		t.slots = append(t.slots, s)
		t.put(k, s)
		t.up(s.pos)
		return
	}
	t.overflow = true
	t.distinct++
	s := t.slots[0]
	t.remove(s.key)
	*s = ssSlot[K, V]{key: k, count: s.count + n, err: s.count + e, seq: t.distinct, pos: 0, val: v}
	t.put(k, s)
	t.down(0)
}

// top returns up to n slots, highest count first, ties by tie (so equal
// inputs give equal digests whatever the arrival order).
func (t *spaceSaving[K, V]) top(n int, tie func(a, b K) int) []ssSlot[K, V] {
	out := make([]ssSlot[K, V], len(t.slots))
	for i, s := range t.slots {
		out[i] = *s
	}
	slices.SortFunc(out, func(a, b ssSlot[K, V]) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return tie(a.key, b.key)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// maxErr is the largest error bound of any slot (0 while exact).
func (t *spaceSaving[K, V]) maxErr() int64 {
	var m int64
	for _, s := range t.slots {
		if s.err > m {
			m = s.err
		}
	}
	return m
}
