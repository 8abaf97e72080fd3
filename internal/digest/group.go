package digest

import (
	"net/netip"
	"time"
)

// GroupKey is one signature, source and destination: what a per-alert
// link (--link-template) points at.
type GroupKey struct {
	SID int64
	Src netip.Addr // invalid in an overflow group: many sources
	Dst netip.Addr
}

// Group is the newest alert of a signature and the signature's time span,
// as LinkTemplate.URL expands them.
type Group struct {
	GroupKey
	Signature string // of the newest alert
	Category  string
	Severity  int // most severe seen (1 is high); 0 if none given
	Proto     string
	Count     int64
	First     time.Time
	Last      time.Time
	FlowID    uint64   // of the newest alert, for the link
	Ports     []uint16 // distinct destination ports, at most maxPorts
	MorePorts bool     // more ports were seen than listed
}
