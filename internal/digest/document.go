package digest

import "time"

// DocumentVersion is the version of the Document JSON shape. It changes
// only when a field is removed or changes meaning; new fields may be added
// without changing it, so readers must ignore fields they do not know.
const DocumentVersion = 1

// Document is one digest as data: what every destination renders (the
// mail's text and HTML parts here; chat cards and the generic JSON of
// internal/notify). It is built once per run from the aggregated alerts and
// never changes afterwards.
//
// Every string that came from eve.json (signatures, categories, context
// values) has already been through printable.String and is truncated; it is
// still attacker-controlled, so each renderer must escape it for its own
// markup (HTML, Slack mrkdwn, Adaptive Cards). Addresses are the textual
// form of a parsed netip.Addr and are never truncated.
//
// Completeness: every signature of every alert in the batch appears either
// in Sections or in Others, so Alerts == sum(Sections[].Count) +
// sum(Others[].Count).
type Document struct {
	Version int    `json:"version"` // DocumentVersion
	Host    string `json:"host"`    // sensor host name
	// Batch is the X-Suricron-Batch id: the same alerts re-sent after a
	// failure or crash carry the same id, so a receiver can drop repeats.
	Batch string    `json:"batch"`
	Start time.Time `json:"start"` // timestamp of the oldest alert
	End   time.Time `json:"end"`   // timestamp of the newest alert

	Alerts     int64 `json:"alerts"`     // alerts in this digest
	Signatures int   `json:"signatures"` // distinct signatures (gid, sid)
	// Alerts by severity: High is severity 1, Medium 2, Low 3, Other any
	// other value or none. High+Medium+Low+Other == Alerts.
	High   int64 `json:"high"`
	Medium int64 `json:"medium"`
	Low    int64 `json:"low"`
	Other  int64 `json:"other"`

	// New lists the signatures never seen before on this sensor (the
	// alert-digest state dir remembers every signature it delivered).
	New []SigCount `json:"new"`
	// Fresh lists the signatures whose rule the last rules-update added or
	// changed ("fresh rule"), from rules-update's JSON report.
	Fresh []SigCount `json:"fresh"`
	// Top is the signatures with the most alerts, most first (at most
	// TopSignatures of them).
	Top []SigCount `json:"top"`

	// Sections is one per signature, most important first: severity
	// (1 first, unknown last), then new, then count. At most --max-groups.
	Sections []Section `json:"sections"`
	// Others is every signature beyond --max-groups, by name and count,
	// in the same order as Sections. No alert's signature is absent.
	Others []SigCount `json:"others"`

	// Notes say what the digest does not show or could not read: skipped
	// lines, suppressed alerts, gaps in eve.json. Plain sentences.
	Notes []string `json:"notes"`
}

// SigCount names a signature and how many alerts of the digest it raised.
type SigCount struct {
	GID       int64  `json:"gid"`
	SID       int64  `json:"sid"`
	Rev       int64  `json:"rev"`
	Signature string `json:"signature"`
	Severity  int    `json:"severity"` // most severe seen; 0: none given
	Count     int64  `json:"count"`
	New       bool   `json:"new"`   // never seen before on this sensor
	Fresh     bool   `json:"fresh"` // rule added or changed by the last rules-update
}

// Section is everything the digest says about one signature.
type Section struct {
	SigCount
	Category string `json:"category"`

	// Sources and Destinations count distinct addresses exactly up to
	// DistinctCap; when SourcesCapped (DestinationsCapped) is set the real
	// number is larger than the figure given.
	Sources            int  `json:"sources"`
	SourcesCapped      bool `json:"sources_capped"`
	Destinations       int  `json:"destinations"`
	DestinationsCapped bool `json:"destinations_capped"`

	// Pairs is the source/destination pairs with the most alerts, most
	// first (at most TopPairs). When PairsApprox is set, more distinct
	// pairs were seen than the digest tracks and each pair count may be
	// high by at most PairsError (the Space-Saving bound); otherwise the
	// counts are exact. MorePairs is how many distinct pairs are not
	// listed (exact, or an upper bound when PairsApprox: a pair evicted
	// and seen again is counted twice).
	Pairs       []Pair `json:"pairs"`
	MorePairs   int64  `json:"more_pairs"`
	PairsApprox bool   `json:"pairs_approx"`
	PairsError  int64  `json:"pairs_error"`

	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`

	// Actions counts alert.action values ("allowed", "blocked"; "" is
	// counted as "allowed", Suricata's default).
	Actions map[string]int64 `json:"actions"`

	// Context is the most frequent application-layer values of the
	// signature's alerts, most first per field: app_proto, http (hostname
	// and url), tls.sni, dns.rrname. Values are truncated to
	// MaxContextRunes.
	Context []Context `json:"context"`

	// Link is the --link-template URL for the signature's newest alert and
	// its time span ("" if none).
	Link string `json:"link,omitempty"`
}

// Pair is one source -> destination pair of a signature.
type Pair struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	// DstPorts lists distinct destination ports (at most MaxPairPorts);
	// MorePorts says more were seen.
	DstPorts  []int `json:"dst_ports"`
	MorePorts bool  `json:"more_ports"`
	Count     int64 `json:"count"`
}

// Context is one application-layer value and how many alerts carried it.
type Context struct {
	Field string `json:"field"` // "app_proto", "http", "tls.sni" or "dns.rrname"
	Value string `json:"value"`
	Count int64  `json:"count"`
	// Approx: the count may be high (bounded top-K tracking overflowed).
	Approx bool `json:"approx,omitempty"`
}

// Limits of what a Document holds: memory and message size are bounded by
// these, not by the backlog.
const (
	TopSignatures   = 10    // Document.Top
	TopPairs        = 5     // Section.Pairs
	MaxPairPorts    = 6     // Pair.DstPorts
	TopContext      = 3     // Section.Context per field
	MaxContextRunes = 120   // a context value is cut after this many runes
	DistinctCap     = 10000 // exact distinct source/destination counting per signature
)
