package digest

import (
	"regexp"
	"time"

	"github.com/suricron/suricron/internal/eve"
)

// reason says why an alert was left out of the digest.
type reason int

const (
	kept reason = iota
	bySeverity
	bySID
	byMatch
	bySuppress
	nReasons
)

// filter decides which alerts the digest shows.
type filter struct {
	minSeverity int
	only        map[int64]bool // nil: every sid
	exclude     map[int64]bool
	match       *regexp.Regexp
	suppress    *Suppressions
	now         time.Time
}

func (f *filter) verdict(a *eve.AlertFields) reason {
	if f.minSeverity > 0 && (a.Severity < 1 || a.Severity > f.minSeverity) {
		// Suricata's severity 1 is the highest; an alert without one is
		// treated as the lowest.
		return bySeverity
	}
	if f.only != nil && !f.only[a.SignatureID] {
		return bySID
	}
	if f.exclude[a.SignatureID] {
		return bySID
	}
	if f.match != nil && !f.match.Match(a.Signature) {
		return byMatch
	}
	if _, ok := f.suppress.Match(a.SignatureID, a.SrcIP, a.DestIP, f.now); ok {
		return bySuppress
	}
	return kept
}
